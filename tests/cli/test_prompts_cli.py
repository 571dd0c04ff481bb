"""`tessera prompts init`: Directus's generated prompts collection, and the setting naming it."""

from __future__ import annotations

from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

PROMPT_FIELDS = [
    "id",
    "sort",
    "date_created",
    "user_created",
    "date_updated",
    "user_updated",
    "meta_prompts_notice",
    "name",
    "status",
    "description",
    "system_prompt",
    "messages",
]


def items(tessera) -> ItemsService:
    return ItemsService(tessera.db, SchemaCache(tessera.db), tessera.settings)


def setting(tessera) -> str | None:
    found = items(tessera).read_singleton(
        "directus_settings", {"fields": ["mcp_prompts_collection"]}
    )
    return found["mcp_prompts_collection"]


def test_init_creates_the_collection_and_names_it_in_the_settings(tessera):
    result = tessera("prompts", "init")
    assert result.exit_code == 0, result.output
    assert "ai_prompts: added id, sort" in result.stderr
    assert setting(tessera) == "ai_prompts"
    info = SchemaCache(tessera.db).get().collections["ai_prompts"]
    by_sort = sorted(info.fields.values(), key=lambda field: field.meta["sort"])
    assert [field.field for field in by_sort] == PROMPT_FIELDS
    assert info.meta is not None
    assert (info.meta["icon"], info.meta["sort_field"], info.meta["archive_field"]) == (
        "magic_button",
        "sort",
        "status",
    )
    assert info.fields["messages"].special == ["cast-json"]
    assert info.fields["name"].meta["required"] is True
    relations = SchemaCache(tessera.db).get().relations
    related = {r.field: r.related_collection for r in relations if r.collection == "ai_prompts"}
    assert related == {"user_created": "directus_users", "user_updated": "directus_users"}

    service = items(tessera)
    key = service.create_one(
        "ai_prompts",
        {"name": "hello", "messages": [{"role": "user", "text": "Hi {{who}}"}]},
    )
    created = service.read_one("ai_prompts", key)
    assert created["status"] == "draft"
    assert created["messages"] == [{"role": "user", "text": "Hi {{who}}"}]
    assert created["date_created"] is not None


def test_init_again_changes_nothing(tessera):
    tessera.ok("prompts", "init")
    result = tessera("prompts", "init")
    assert result.exit_code == 0, result.output
    assert "ai_prompts already has every prompt field" in result.stderr


def test_init_completes_an_existing_collection(tessera):
    tessera.collection("my_prompts", "name", "notes")
    result = tessera("prompts", "init", "--collection", "my_prompts")
    assert result.exit_code == 0, result.output
    info = SchemaCache(tessera.db).get().collections["my_prompts"]
    assert {"name", "notes", "description", "system_prompt", "messages"} <= set(info.fields)
    assert info.fields["id"].type == "integer"
    assert setting(tessera) == "my_prompts"


def test_a_bad_name_is_one_line_and_changes_nothing(tessera):
    line = tessera.fails("prompts", "init", "--collection", "directus_prompts")
    assert "INVALID_PAYLOAD" in line or "FORBIDDEN" in line
    assert setting(tessera) is None
