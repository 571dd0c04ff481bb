"""The activity page: newest first, paged, filtered through the query string, each entry
with its revisions; and only what the signed-in person may read."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx
import httpx2
import pytest
import sqlalchemy as sa
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from admin_helpers import ADMIN_EMAIL, BASE_URL, EDITOR_EMAIL, PASSWORD, Person, text_of
from callers import grant, make_caller
from mcp import Client
from tessera.access.passwords import hash_password
from tessera.db import Database
from tessera.db.system_tables import directus_settings, directus_users

pytestmark = pytest.mark.anyio
AUDITOR_EMAIL = "auditor@example.com"
MCP_TOKEN = "activity-admin-token"


def entry_ids(html: str) -> list[int]:
    """The entries a list shows, by id, in their order."""
    return [int(found) for found in re.findall(r'href="/admin/activity/(\d+)"', html)]


def rows_of(html: str) -> list[list[str]]:
    """Each table row's cells (when, user, action, collection, item, origin), as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = body.split("<tr>")[1:]
    return [[text_of(cell) for cell in re.split(r"<td[^>]*>", row)[1:7]] for row in rows]


async def add_tags(person: Person, *names: str, origin: str | None = None) -> None:
    headers = {"origin": origin} if origin else {}
    made = await person.http.post(
        "/items/tags", json=[{"name": name} for name in names], headers=headers
    )
    assert made.status_code == 200, made.text


async def rest_activity_ids(person: Person) -> list[int]:
    answer = await person.http.get("/activity", params={"fields": "id", "limit": "-1"})
    assert answer.status_code == 200, answer.text
    return sorted(row["id"] for row in answer.json()["data"])


@pytest.fixture
def auditor(admin_db: Database) -> str:
    """A person with app access who may read the activity of ``tags`` only."""
    make_caller(
        admin_db,
        [grant("directus_activity", "read", rule={"collection": {"_eq": "tags"}})],
        email=AUDITOR_EMAIL,
        app=True,
    )
    with admin_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == AUDITOR_EMAIL)
            .values(password=hash_password(PASSWORD), provider="default")
        )
    return AUDITOR_EMAIL


@pytest.fixture
async def other(app: Starlette, person: Person) -> AsyncIterator[Person]:
    """A second person at another browser, not signed in yet."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Person(client)


@pytest.fixture
def mcp_on(admin_db: Database) -> None:
    with admin_db.write() as conn:
        conn.execute(sa.update(directus_settings).values(mcp_enabled=True))
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == ADMIN_EMAIL)
            .values(token=MCP_TOKEN)
        )


@contextlib.asynccontextmanager
async def mcp_client(app: Starlette) -> AsyncIterator[Client]:
    transport = httpx2.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {MCP_TOKEN}"}
    async with (
        httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http,
        Client(streamable_http_client(f"{BASE_URL}/mcp", http_client=http)) as client,
    ):
        yield client


async def test_the_log_lists_the_newest_first_with_who_did_what(admin: Person):
    await add_tags(admin, "first")
    await add_tags(admin, "second", origin="https://app.example")
    page = await admin.get("/admin/activity")
    assert page.status_code == 200
    rows = [row[1:4] + row[5:] for row in rows_of(page.text)[:3]]
    assert rows == [
        ["admin@example.com", "create", "tags", "https://app.example"],
        ["admin@example.com", "create", "tags", "—"],  # a REST call without an Origin
        ["admin@example.com", "login", "directus_users", "—"],
    ]
    ids = entry_ids(page.text)
    assert ids == sorted(ids, reverse=True)
    assert f"{len(ids)} entries, newest first" in text_of(page.text)


async def test_each_filter_narrows_the_list(admin: Person, other: Person, admin_db: Database):
    before = entry_ids((await admin.get("/admin/activity")).text)
    await add_tags(admin, "one", "two")
    await add_tags(admin, "three", origin="https://app.example")
    assert len(entry_ids((await admin.get("/admin/activity")).text)) == len(before) + 3

    by_action = await admin.get("/admin/activity", action="login")
    assert [row[1:3] for row in rows_of(by_action.text)] == [["admin@example.com", "login"]]
    by_collection = await admin.get("/admin/activity", collection="tags")
    assert len(entry_ids(by_collection.text)) == 3
    by_origin = await admin.get("/admin/activity", origin="https://app.example")
    assert len(entry_ids(by_origin.text)) == 1
    # The origins offered are those recorded, besides MCP and the command line.
    assert '<option value="https://app.example"' in by_origin.text
    assert '<option value="mcp"' in by_origin.text

    editor = other
    await editor.sign_in(EDITOR_EMAIL)
    by_user = await editor.get("/admin/activity", user=EDITOR_EMAIL)
    assert [row[1:3] for row in rows_of(by_user.text)] == [["editor@example.com", "login"]]
    with admin_db.read() as conn:
        editor_id = conn.execute(
            sa.select(directus_users.c.id).where(directus_users.c.email == EDITOR_EMAIL)
        ).scalar()
    assert entry_ids((await editor.get("/admin/activity", user=editor_id)).text) == entry_ids(
        by_user.text
    )
    both = await editor.get("/admin/activity", collection="tags", action="create")
    assert len(entry_ids(both.text)) == 3
    # The form says what is selected, so the filtered view is a link to share.
    assert "<option selected>tags</option>" in both.text
    assert "<option selected>create</option>" in both.text


async def test_the_list_is_paged_and_page_links_keep_the_filters(admin: Person):
    await add_tags(admin, *(f"tag {n}" for n in range(30)))
    first = await admin.get("/admin/activity", collection="tags")
    assert len(entry_ids(first.text)) == 25
    assert "30 entries, newest first — page 1 of 2" in text_of(first.text)
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert older, "no link to the next page"
    assert older.group(1) == "/admin/activity?collection=tags&amp;page=2"
    second = await admin.get("/admin/activity", collection="tags", page="2")
    assert len(entry_ids(second.text)) == 5
    assert not set(entry_ids(first.text)) & set(entry_ids(second.text))
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"action": "explode"}, "action", "'explode' is not an action"),
        (
            {"collection": "nowhere"},
            "collection",
            "No activity you may read is about a collection named",
        ),
        ({"user": "nobody@example.com"}, "user", "No user you can see has the email or id"),
        ({"origin": "oauth:nope"}, "origin", "There is no OAuth client 'nope'"),
        ({"page": "zero"}, "page", "The page must be a whole number from 1, not 'zero'"),
        ({"page": "9"}, "page", "There is no page 9: the last is 1."),
    ],
)
async def test_a_bad_filter_value_is_said_next_to_its_field(admin: Person, params, field, message):
    page = await admin.get("/admin/activity", **params)
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.text
    assert message in text_of(page.text)
    assert entry_ids(page.text) == []


async def test_the_empty_states(admin: Person):
    page = await admin.get("/admin/activity", action="delete")
    assert page.status_code == 200
    assert "No activity matches these filters." in text_of(page.text)
    assert "Clear filters" in text_of(page.text)


async def test_every_filter_has_a_label(admin: Person):
    page = (await admin.get("/admin/activity")).text
    form = page.split('role="search"', 1)[1].split("</form>", 1)[0]
    for name in ("user", "collection", "action", "origin"):
        assert f'<label for="{name}">' in form
        assert f'id="{name}" name="{name}"' in form
    assert 'method="get"' in page.split('role="search"', 1)[0].rsplit("<form", 1)[1]


async def test_someone_sees_only_the_entries_they_may_read(
    admin: Person, other: Person, auditor: str
):
    await add_tags(admin, "seen")
    person = other
    await person.sign_in(auditor)
    page = await person.get("/admin/activity")
    assert page.status_code == 200
    shown = sorted(entry_ids(page.text))
    # The same as REST's /activity for the same person: the tags' entries and, as in
    # Directus, their own (signing in); never the admin's sign-in.
    assert shown == await rest_activity_ids(person)
    shown_rows = sorted(row[2:4] for row in rows_of(page.text))
    assert shown_rows == [["create", "tags"], ["login", "directus_users"]]
    # The collections offered are those their readable entries name, nothing else.
    offered = page.text.split('id="collection"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option>([^<]+)</option>", offered) == ["directus_users", "tags"]
    # An entry they may not read is refused, not shown.
    hidden = min(set(entry_ids((await admin.get("/admin/activity")).text)) - set(shown))
    refused = await person.get(f"/admin/activity/{hidden}")
    assert refused.status_code == 403
    assert "admin@example.com" not in refused.text


async def test_an_entry_shows_its_revisions(admin: Person):
    await add_tags(admin, "revised")
    entry = entry_ids((await admin.get("/admin/activity", collection="tags")).text)[0]
    page = await admin.get(f"/admin/activity/{entry}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Create on tags" in words
    assert "admin@example.com" in words
    assert "What was written" in words
    tag = re.search(r'href="(/admin/content/tags/[^"]+)">open it</a>', page.text)
    assert tag, "no link to the item"
    assert "revised" in (await admin.get(tag.group(1))).text
    assert '"name": "revised"' in page.text.replace("&#34;", '"')


async def test_without_read_on_revisions_an_entry_says_so(admin: Person, other: Person):
    await add_tags(admin, "private")
    person = other
    entry = entry_ids((await admin.get("/admin/activity", collection="tags")).text)[0]
    await person.sign_in(EDITOR_EMAIL)
    page = await person.get(f"/admin/activity/{entry}")
    assert page.status_code == 200
    assert "Your permissions do not include the revisions" in text_of(page.text)
    assert "private" not in page.text
    assert "open it" not in page.text  # they may not read tags


async def test_changes_through_mcp_show_origin_mcp(admin: Person, app: Starlette, mcp_on):
    await add_tags(admin, "by rest")
    async with mcp_client(app) as client:
        made = await client.call_tool(
            "items", {"action": "create", "collection": "tags", "data": {"name": "by mcp"}}
        )
        assert not made.is_error, made.content
    page = await admin.get("/admin/activity", origin="mcp")
    rows = rows_of(page.text)
    assert [row[1:4] + row[5:] for row in rows] == [["admin@example.com", "create", "tags", "mcp"]]


async def test_fields_kept_back_are_not_shown(admin: Person, other: Person, admin_db: Database):
    clerk = "clerk@example.com"
    make_caller(
        admin_db,
        [
            grant("directus_activity", "read", fields="id,action,collection"),
            grant("directus_revisions", "read", fields="id,activity,delta"),
        ],
        email=clerk,
        app=True,
    )
    with admin_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == clerk)
            .values(password=hash_password(PASSWORD), provider="default")
        )
    await add_tags(admin, "kept", origin="https://app.example")
    entry = entry_ids((await admin.get("/admin/activity", collection="tags")).text)[0]
    await other.sign_in(clerk)
    page = await other.get("/admin/activity")
    assert page.status_code == 200
    row = next(row for row in rows_of(page.text) if row[3] == "tags")
    assert row == ["—", "—", "create", "tags", "—", "—"]
    assert "admin@example.com" not in page.text
    assert "https://app.example" not in page.text
    one = await other.get(f"/admin/activity/{entry}")
    assert one.status_code == 200
    assert "(not readable with your permissions)" in one.text
    assert '"name": "kept"' in one.text.replace("&#34;", '"')
