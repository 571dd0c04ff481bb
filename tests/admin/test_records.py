"""One file's page and one flow's page: where the files and flows tools' links lead."""

from __future__ import annotations

import pytest

from admin_helpers import EDITOR_EMAIL, Person, text_of
from file_uploads import png
from flow_helpers import save_flow
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio


async def test_a_file_page_shows_its_record_a_preview_and_a_download(admin: Person):
    uploaded = await admin.http.post(
        "/files",
        data={"title": "Logo"},
        files={"file": ("logo.png", png((60, 40)), "image/png")},
    )
    assert uploaded.status_code == 200, uploaded.text
    key = uploaded.json()["data"]["id"]
    page = await admin.get(f"/admin/files/{key}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Logo" in words
    assert "type image/png" in words
    assert "width 60" in words
    preview = f"/assets/{key}?width=480&amp;fit=inside"
    assert preview in page.text
    image = await admin.get(preview.replace("&amp;", "&"))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert f'href="/assets/{key}?download"' in page.text


async def test_a_file_the_caller_may_not_read_is_refused(admin: Person, person: Person):
    uploaded = await admin.http.post("/files", files={"file": ("a.txt", b"hello", "text/plain")})
    key = uploaded.json()["data"]["id"]
    await admin.http.post("/admin/logout", data={"csrf": ""})
    admin.http.cookies.clear()
    await admin.sign_in(EDITOR_EMAIL)
    assert (await admin.get(f"/admin/files/{key}")).status_code == 403


async def test_a_flow_page_lists_its_operations_in_running_order(admin: Person, app):
    state = app.state
    items = ItemsService(state.db, state.schema, state.settings)
    flow = save_flow(
        items,
        {
            "key": "check",
            "type": "condition",
            "options": {"filter": {}},
            "resolve": "say",
            "reject": "stop",
        },
        {"key": "stop", "type": "throw-error", "options": {"message": "no"}},
        {"key": "say", "type": "log", "options": {"message": "hello {{ $trigger }}"}},
        name="Greeter",
        trigger="manual",
        options={"collections": ["articles"]},
    )
    page = await admin.get(f"/admin/settings/flows/{flow}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Greeter" in words
    assert "Trigger manual" in words
    assert words.index("key check") < words.index("key say") < words.index("key stop")
    assert "hello {{ $trigger }}" in words


async def test_a_flow_page_is_for_those_who_may_read_flows(person: Person, app):
    state = app.state
    flow = save_flow(ItemsService(state.db, state.schema, state.settings), name="Hidden")
    await person.sign_in(EDITOR_EMAIL)
    assert (await person.get(f"/admin/settings/flows/{flow}")).status_code == 403
