"""The collection MCP prompts are kept in, as Directus generates it.

Directus's Studio has a "Generate AI Prompts collection…" button (``schema.ts`` of the
``system-mcp-prompts-collection`` interface); this makes the same collection (default name
``ai_prompts``) through the schema services, so the activity log records it as the caller's.
On an existing collection only the fields it lacks are added, as the Studio's "Generate
missing fields…" does. ``tessera prompts init`` and the admin app's MCP settings page use it.
"""

from __future__ import annotations

from typing import Any

from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

DEFAULT_COLLECTION = "ai_prompts"
#: Who made and last changed a prompt: the fields that relate to ``directus_users``.
_USER_FIELDS = ("user_created", "user_updated")

_ROLE_CHOICES = [
    {
        "text": "$t:mcp_prompts_collection_schema.messages_role_user",
        "value": "user",
        "icon": "person",
    },
    {
        "text": "$t:mcp_prompts_collection_schema.messages_role_assistant",
        "value": "assistant",
        "icon": "smart_toy",
    },
]
_STATUS_CHOICES = [
    ("published", "var(--theme--primary)", "var(--theme--primary-background)"),
    ("draft", "var(--theme--foreground)", "var(--theme--background-normal)"),
    ("archived", "var(--theme--warning)", "var(--theme--warning-background)"),
]
_USER_TEMPLATE = {"template": "{{avatar}} {{first_name}} {{last_name}}"}


def prompt_fields() -> list[dict[str, Any]]:
    """The fields of Directus's generated prompts collection, in its order."""
    hidden = {"hidden": True, "width": "half"}
    stamp = {
        "interface": "datetime",
        "display": "datetime",
        "display_options": {"relative": True},
        "readonly": True,
        **hidden,
    }
    user = {
        "interface": "select-dropdown-m2o",
        "options": _USER_TEMPLATE,
        "display": "user",
        "readonly": True,
        **hidden,
    }
    fields: list[dict[str, Any]] = [
        {
            "field": "id",
            "type": "uuid",
            "schema": {"is_primary_key": True, "is_unique": True},
            "meta": {"special": ["uuid"], "interface": "input", **hidden},
        },
        {"field": "sort", "type": "integer", "meta": {"interface": "input", **hidden}},
        {
            "field": "date_created",
            "type": "timestamp",
            "meta": {"special": ["date-created"], **stamp},
        },
        {"field": "user_created", "type": "uuid", "meta": {"special": ["user-created"], **user}},
        {
            "field": "date_updated",
            "type": "timestamp",
            "meta": {"special": ["date-updated"], **stamp},
        },
        {"field": "user_updated", "type": "uuid", "meta": {"special": ["user-updated"], **user}},
        {
            "field": "meta_prompts_notice",
            "type": "alias",
            "meta": {
                "special": ["alias", "no-data"],
                "interface": "presentation-notice",
                "options": {
                    "icon": "info",
                    "text": "$t:mcp_prompts_collection_schema.meta_prompts_notice",
                },
                "width": "full",
            },
        },
        {
            "field": "name",
            "type": "string",
            "schema": {"max_length": 255, "is_unique": True, "is_indexed": True},
            "meta": {
                "interface": "input",
                "options": {"slug": True, "trim": True},
                "display": "formatted-value",
                "display_options": {"font": "monospace"},
                "width": "half",
                "required": True,
            },
        },
        {
            "field": "status",
            "type": "string",
            "schema": {"default_value": "draft", "max_length": 255},
            "meta": {
                "interface": "select-dropdown",
                "options": {
                    "choices": [
                        {"text": f"$t:{value}", "value": value, "color": color}
                        for value, color, _ in _STATUS_CHOICES
                    ]
                },
                "display": "labels",
                "display_options": {
                    "choices": [
                        {
                            "text": f"$t:{value}",
                            "value": value,
                            "color": color,
                            "foreground": color,
                            "background": background,
                        }
                        for value, color, background in _STATUS_CHOICES
                    ]
                },
                "width": "half",
            },
        },
        {"field": "description", "type": "text", "meta": {"interface": "input", "width": "full"}},
        {
            "field": "system_prompt",
            "type": "text",
            "meta": {
                "interface": "input-rich-text-md",
                "width": "full",
                "note": "$t:mcp_prompts_collection_schema.system_prompt_note",
            },
        },
        {
            "field": "messages",
            "type": "json",
            "meta": {
                "special": ["cast-json"],
                "interface": "list",
                "options": {
                    "fields": [
                        _list_field(
                            "role",
                            "string",
                            interface="select-dropdown",
                            options={"choices": _ROLE_CHOICES},
                            display="labels",
                            display_options={"choices": _ROLE_CHOICES},
                            note="$t:mcp_prompts_collection_schema.messages_role_note",
                        ),
                        _list_field(
                            "text",
                            "text",
                            interface="input-rich-text-md",
                            display="formatted-value",
                            display_options={"format": True},
                            note=(
                                "The actual content of the message. You can use "
                                "{{ curly_braces }} for placeholders that will be replaced "
                                "with real data."
                            ),
                        ),
                    ],
                    "showConfirmDiscard": True,
                    "template": "{{ role }} • {{ text }}",
                    "addLabel": "New Message",
                },
                "display": "formatted-json-value",
                "display_options": {"format": "{{ role }} • {{ text }}"},
                "width": "full",
                "note": "$t:mcp_prompts_collection_schema.messages_note",
            },
        },
    ]
    for sort, field in enumerate(fields, start=1):
        field["meta"]["sort"] = sort
    return fields


def _list_field(name: str, field_type: str, **meta: Any) -> dict[str, Any]:
    """One sub-field of the ``list`` interface that edits ``messages``."""
    return {
        "field": name,
        "name": name,
        "type": field_type,
        "meta": {"field": name, "width": "full", "type": field_type, "required": True, **meta},
    }


COLLECTION_META = {
    "icon": "magic_button",
    "sort_field": "sort",
    "archive_field": "status",
    "archive_value": "archived",
    "unarchive_value": "draft",
    "singleton": False,
}


def create_prompts_collection(context: SchemaContext, collection: str) -> list[str]:
    """Make ``collection`` a prompts collection in one transaction; the fields added.

    A new collection gets every field; an existing one the fields it lacks (a field of
    that name is left as it is, whatever its type).
    """
    with context.transaction():
        overview = context.overview()
        existing = overview.collections.get(collection)
        fields = prompt_fields()
        if existing is None:
            CollectionsService(context).create(
                {"collection": collection, "schema": {}, "meta": COLLECTION_META, "fields": fields}
            )
        else:
            fields = [field for field in fields if field["field"] not in existing.fields]
            for field in fields:
                FieldsService(context).create(collection, field)
        relations = RelationsService(context)
        for field in fields:
            if field["field"] in _USER_FIELDS:
                relations.create(
                    {
                        "collection": collection,
                        "field": field["field"],
                        "related_collection": "directus_users",
                        "schema": {},
                    }
                )
    return [field["field"] for field in fields]
