"""The grants of the two roles Directus's MCP guide suggests, Content Editor and Developer,
as permission rows: ``tessera permissions preset`` and the admin app's preset buttons grant
the same ones.

Both read the schema: an assistant's second call is the ``schema`` tool, which shows only
the collections and fields their other permissions cover. Neither changes the schema,
which stays with admins.
"""

from __future__ import annotations

from typing import Any

from tessera.access.permissions import Action
from tessera.schema.overview import SchemaOverview

#: Stands for every user collection (one that is not ``directus_*``) in :data:`PRESETS`.
USER_COLLECTIONS = "*"
_SCHEMA_READ: dict[str, tuple[Action, ...]] = dict.fromkeys(
    ("directus_collections", "directus_fields", "directus_relations"), ("read",)
)
PRESETS: dict[str, dict[str, tuple[Action, ...]]] = {
    "content-editor": {
        USER_COLLECTIONS: ("create", "read", "update"),
        "directus_files": ("create", "read", "update"),
        "directus_folders": ("read",),
        **_SCHEMA_READ,
    },
    "developer": {
        USER_COLLECTIONS: ("create", "read", "update", "delete"),
        "directus_files": ("create", "read", "update", "delete"),
        "directus_folders": ("create", "read", "update", "delete"),
        **_SCHEMA_READ,
    },
}
#: The role and policy name each preset is known by.
PRESET_NAMES = {"content-editor": "Content Editor", "developer": "Developer"}


def preset_rows(overview: SchemaOverview, preset: str) -> list[dict[str, Any]]:
    """The permission rows ``preset`` grants, all fields and all items, over the user
    collections that exist now."""
    user = sorted(
        name
        for name, info in overview.collections.items()
        if not info.system and info.table is not None
    )
    rows: list[dict[str, Any]] = []
    for collection, actions in PRESETS[preset].items():
        for name in user if collection == USER_COLLECTIONS else [collection]:
            rows.extend({"collection": name, "action": action, "fields": "*"} for action in actions)
    return rows
