"""Settings → AI → Model Context Protocol."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_helpers import EDITOR_EMAIL, Person, text_of
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_settings

pytestmark = pytest.mark.anyio
PATH = "/admin/settings/mcp"


def stored(db: Database, *names: str) -> dict:
    with db.read() as conn:
        row = conn.execute(sa.select(*(directus_settings.c[n] for n in names))).mappings().one()
    return dict(row)


async def test_every_setting_is_explained_and_oauth_says_why_it_is_off(admin: Person):
    shown = await admin.get(PATH)
    assert shown.status_code == 200
    words = text_of(shown.text)
    for label in (
        "Enable MCP",
        "Allow deletes",
        "Prompts collection",
        "Use the system prompt",
        "Custom system prompt",
        "Sign in with OAuth",
        "Dynamic client registration",
        "Client ID metadata documents",
    ):
        assert label in words
    assert "MCP_OAUTH_ENABLED is false in the server's environment" in words
    assert 'id="mcp_oauth_enabled" name="mcp_oauth_enabled" disabled' in shown.text
    # The default system prompt is there for reference; no client configs while MCP is off.
    assert "Call `schema` first" in shown.text or "call `schema` first" in shown.text.lower()
    assert "claude mcp add" not in shown.text


async def test_enabling_mcp_shows_the_endpoint_and_client_configs(admin: Person, admin_db):
    saved = await admin.submit(PATH, {"mcp_enabled": "on", "mcp_system_prompt_enabled": "on"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PATH}?notice=saved"
    assert stored(admin_db, "mcp_enabled", "mcp_allow_deletes", "mcp_system_prompt_enabled") == {
        "mcp_enabled": True,
        "mcp_allow_deletes": False,
        "mcp_system_prompt_enabled": True,
    }
    page = await admin.get(saved.headers["location"])
    words = text_of(page.text)
    assert "Saved." in words
    assert "http://127.0.0.1:8055/mcp" in words
    assert (
        "claude mcp add --transport http tessera http://127.0.0.1:8055/mcp "
        "--header 'Authorization: Bearer <token>'" in words
    )
    for client in ("Claude Desktop", "Cursor", "VS Code"):
        assert client in words
    assert '"mcp-remote"' in text_of(page.text).replace("&quot;", '"')
    home = text_of((await admin.get("/admin")).text)
    assert "MCP On, at http://127.0.0.1:8055/mcp" in home
    # The change is in the activity log as the admin's.
    with admin_db.read() as conn:
        logged = conn.execute(
            sa.select(directus_activity.c.action).where(
                directus_activity.c.collection == "directus_settings"
            )
        ).all()
    assert ("update",) in logged or ("create",) in logged


async def test_unchecked_switches_turn_off_and_the_custom_prompt_is_kept(admin: Person, admin_db):
    await admin.submit(PATH, {"mcp_enabled": "on", "mcp_allow_deletes": "on"})
    await admin.submit(PATH, {"mcp_system_prompt": "Be brief.\r\nAsk first."})
    assert stored(
        admin_db,
        "mcp_enabled",
        "mcp_allow_deletes",
        "mcp_system_prompt_enabled",
        "mcp_system_prompt",
    ) == {
        "mcp_enabled": False,
        "mcp_allow_deletes": False,
        "mcp_system_prompt_enabled": False,
        "mcp_system_prompt": "Be brief.\nAsk first.",
    }


async def test_an_unknown_prompts_collection_is_refused_next_to_its_field(admin: Person, admin_db):
    refused = await admin.submit(PATH, {"mcp_enabled": "on", "mcp_prompts_collection": "nope"})
    assert refused.status_code == 400
    html = refused.text
    # The message sits right after the select it is about.
    where = html.index('id="mcp_prompts_collection-error"')
    assert html.index('<select id="mcp_prompts_collection"') < where < html.index("System prompt<")
    assert 'There is no collection "nope".' in text_of(html)
    assert stored(admin_db, "mcp_enabled", "mcp_prompts_collection") == {
        "mcp_enabled": False,
        "mcp_prompts_collection": None,
    }


async def test_generating_the_prompts_collection_selects_it(admin: Person, admin_db):
    made = await admin.submit(f"{PATH}/prompts", {"collection": "ai_prompts"}, page=PATH)
    assert made.status_code == 303
    assert stored(admin_db, "mcp_prompts_collection") == {"mcp_prompts_collection": "ai_prompts"}
    page = await admin.get(made.headers["location"])
    assert "The prompts collection is ready" in text_of(page.text)
    assert '<option value="ai_prompts" selected>' in page.text
    created = await admin.http.get("/fields/ai_prompts")
    names = [field["field"] for field in created.json()["data"]]
    assert {"name", "description", "system_prompt", "messages"} <= set(names)


async def test_a_bad_collection_name_is_refused(admin: Person, admin_db):
    refused = await admin.submit(f"{PATH}/prompts", {"collection": "directus_x"}, page=PATH)
    assert refused.status_code == 400
    assert "can&#39;t start with" in refused.text
    assert stored(admin_db, "mcp_prompts_collection") == {"mcp_prompts_collection": None}


async def test_a_save_without_the_csrf_token_changes_nothing(admin: Person, admin_db):
    await admin.get(PATH)
    refused = await admin.http.post(PATH, data={"mcp_enabled": "on"})
    assert refused.status_code == 403
    assert stored(admin_db, "mcp_enabled") == {"mcp_enabled": False}


async def test_non_admins_have_no_settings(person: Person, admin_db):
    await person.sign_in(EDITOR_EMAIL)
    assert (await person.get(PATH)).status_code == 403
    refused = await person.submit(PATH, {"mcp_enabled": "on"}, page="/admin")
    assert refused.status_code == 403
    assert stored(admin_db, "mcp_enabled") == {"mcp_enabled": False}
