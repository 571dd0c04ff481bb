"""Content pages, read-only: where the MCP tools' ``url`` links lead."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, PASSWORD, Person, text_of
from callers import grant, make_caller
from tessera.access.passwords import hash_password
from tessera.db.system_tables import directus_users

pytestmark = pytest.mark.anyio


async def test_collections_items_and_one_item(admin: Person):
    listed = await admin.get("/admin/content")
    assert 'href="/admin/content/articles"' in listed.text
    assert "directus_users" not in listed.text
    articles = await admin.get("/admin/content/articles")
    assert articles.status_code == 200
    words = text_of(articles.text)
    assert "Hello world" in words
    assert '<a href="/admin/content/articles/1">1</a>' in articles.text
    one = await admin.get("/admin/content/articles/1")
    words = text_of(one.text)
    assert "title Hello world" in words
    assert "secret **********" in words  # a concealed field stays concealed
    # Structures are shown as indented JSON.
    assert '"lang": "en"' in one.text.replace("&#34;", '"')


async def test_search_and_pages(admin: Person):
    found = await admin.get("/admin/content/articles", search="practice")
    words = text_of(found.text)
    assert "1 item matching “practice”." in words
    assert "MCP in practice" in words
    assert "Hello world" not in words


async def test_what_the_caller_may_not_read_is_not_shown(person: Person, admin_db):
    await person.sign_in(EDITOR_EMAIL)
    # The editor may read articles (every field): drafts and the secret too.
    assert (await person.get("/admin/content/articles/2")).status_code == 200
    assert (await person.get("/admin/content/authors")).status_code == 403
    assert (await person.get("/admin/content/directus_users")).status_code == 403


async def test_fields_and_items_outside_the_permissions_stay_hidden(person: Person, admin_db):

    make_caller(
        admin_db,
        [grant("articles", "read", fields="id,title", rule={"status": {"_eq": "published"}})],
        email="narrow@example.com",
        app=True,
    )
    with admin_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email == "narrow@example.com")
            .values(password=hash_password(PASSWORD), provider="default")
        )
    await person.sign_in("narrow@example.com")
    listed = await person.get("/admin/content/articles")
    words = text_of(listed.text)
    assert "Hello world" in words
    assert "Draft" not in words
    assert "secret" not in words
    assert (await person.get("/admin/content/articles/2")).status_code == 403
    one = await person.get("/admin/content/articles/1")
    assert "title Hello world" in text_of(one.text)
    assert "<dt>body</dt>" not in one.text
    assert "<dt>secret</dt>" not in one.text
