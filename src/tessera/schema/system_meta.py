"""Metadata of the system collections, which Directus keeps in code rather than in rows.

The ``special`` flags tell the services what to do with a system field (hash a
password, hide a token, stamp a date); the alias fields and relations let queries
and nested writes walk between system collections (a user's policies, a flow's
operations). Taken from what Directus 12.4 reports for its own collections; the
presentation-only aliases of its app (dividers, notices) are left out.
"""

from __future__ import annotations

from typing import Any

_UUID = ["uuid"]
_M2O = ["m2o"]
_JSON = ["cast-json"]
_BOOL = ["cast-boolean"]
_CSV = ["cast-csv"]

#: Column fields: collection → field → special flags.
SYSTEM_SPECIALS: dict[str, dict[str, list[str]]] = {
    "directus_access": {"id": _UUID, "role": _M2O, "user": _M2O, "policy": _M2O},
    "directus_activity": {"timestamp": ["date-created", "cast-timestamp"]},
    "directus_collections": {
        "hidden": _BOOL,
        "singleton": _BOOL,
        "translations": _JSON,
        "archive_app_filter": _BOOL,
        "item_duplication_fields": _JSON,
        "versioning": _BOOL,
    },
    "directus_fields": {
        "special": _CSV,
        "options": _JSON,
        "display_options": _JSON,
        "readonly": _BOOL,
        "hidden": _BOOL,
        "translations": _JSON,
        "conditions": _JSON,
        "required": _BOOL,
        "validation": _JSON,
        "searchable": _BOOL,
    },
    "directus_files": {
        "id": _UUID,
        "folder": _M2O,
        "uploaded_by": ["user-created"],
        "created_on": ["date-created"],
        "modified_by": ["user-updated"],
        "modified_on": ["date-created", "date-updated"],
        "tags": _JSON,
        "metadata": _JSON,
        "tus_data": _JSON,
    },
    "directus_flows": {
        "id": _UUID,
        "options": _JSON,
        "date_created": ["date-created"],
        "user_created": ["user-created"],
        "folder": _M2O,
    },
    "directus_folders": {"id": _UUID},
    "directus_notifications": {"timestamp": ["date-created", "cast-timestamp"]},
    "directus_operations": {
        "id": _UUID,
        "options": _JSON,
        "date_created": ["date-created"],
        "user_created": ["user-created"],
    },
    "directus_permissions": {
        "permissions": _JSON,
        "validation": _JSON,
        "presets": _JSON,
        "fields": _CSV,
        "policy": _M2O,
    },
    "directus_policies": {
        "id": _UUID,
        "ip_access": _CSV,
        "enforce_tfa": _BOOL,
        "admin_access": _BOOL,
        "app_access": _BOOL,
    },
    "directus_relations": {"one_allowed_collections": _CSV},
    "directus_revisions": {"data": _JSON, "delta": _JSON},
    "directus_roles": {"id": _UUID, "parent": _M2O},
    "directus_settings": {
        "storage_asset_presets": _JSON,
        "basemaps": _JSON,
        "module_bar": _JSON,
        "custom_aspect_ratios": _JSON,
        "theme_light_overrides": _JSON,
        "theme_dark_overrides": _JSON,
        "public_registration": _BOOL,
        "public_registration_verify_email": _BOOL,
        "public_registration_role": _M2O,
        "public_registration_email_filter": _JSON,
        "visual_editor_urls": _JSON,
        "mcp_enabled": _BOOL,
        "mcp_allow_deletes": _BOOL,
        "mcp_system_prompt_enabled": _BOOL,
        "mcp_oauth_enabled": _BOOL,
        "mcp_oauth_dcr_enabled": _BOOL,
        "mcp_oauth_cimd_enabled": _BOOL,
    },
    "directus_users": {
        "id": _UUID,
        "password": ["hash", "conceal"],
        "tags": _JSON,
        "tfa_secret": ["conceal"],
        "role": _M2O,
        "token": ["conceal"],
        "email_notifications": _BOOL,
        "theme_light_overrides": _JSON,
        "theme_dark_overrides": _JSON,
    },
}

#: Alias fields: collection → field → the one special that says what they are.
SYSTEM_ALIASES: dict[str, dict[str, str]] = {
    "directus_activity": {"revisions": "o2m"},
    "directus_flows": {"operations": "o2m"},
    "directus_policies": {"permissions": "o2m", "users": "m2m", "roles": "m2m"},
    "directus_roles": {"children": "o2m", "policies": "m2m", "users": "o2m"},
    "directus_users": {"policies": "m2m"},
}

#: Relations: (collection, field, related collection, one_field, junction_field,
#: one_deselect_action). ``directus_access.policy`` is listed twice, once for each
#: many-to-many it serves (policies ↔ roles, policies ↔ users), as Directus does.
SYSTEM_RELATIONS: tuple[tuple[str, str, str, str | None, str | None, str], ...] = (
    ("directus_folders", "parent", "directus_folders", None, None, "nullify"),
    ("directus_files", "folder", "directus_folders", None, None, "nullify"),
    ("directus_files", "modified_by", "directus_users", None, None, "nullify"),
    ("directus_files", "uploaded_by", "directus_users", None, None, "nullify"),
    ("directus_operations", "user_created", "directus_users", None, None, "nullify"),
    ("directus_operations", "flow", "directus_flows", "operations", None, "delete"),
    ("directus_operations", "reject", "directus_operations", None, None, "nullify"),
    ("directus_operations", "resolve", "directus_operations", None, None, "nullify"),
    ("directus_notifications", "sender", "directus_users", None, None, "nullify"),
    ("directus_notifications", "recipient", "directus_users", None, None, "nullify"),
    ("directus_revisions", "activity", "directus_activity", "revisions", None, "nullify"),
    ("directus_revisions", "parent", "directus_revisions", None, None, "nullify"),
    ("directus_users", "role", "directus_roles", "users", None, "nullify"),
    ("directus_permissions", "policy", "directus_policies", "permissions", None, "delete"),
    ("directus_access", "policy", "directus_policies", "roles", "role", "delete"),
    ("directus_access", "policy", "directus_policies", "users", "user", "delete"),
    ("directus_access", "user", "directus_users", "policies", "policy", "delete"),
    ("directus_access", "role", "directus_roles", "policies", "policy", "delete"),
    ("directus_collections", "group", "directus_collections", None, None, "nullify"),
    ("directus_roles", "parent", "directus_roles", "children", None, "nullify"),
    ("directus_settings", "public_registration_role", "directus_roles", None, None, "nullify"),
    ("directus_settings", "public_favicon", "directus_files", None, None, "nullify"),
    ("directus_settings", "storage_default_folder", "directus_folders", None, None, "nullify"),
    ("directus_settings", "public_background", "directus_files", None, None, "nullify"),
    ("directus_settings", "public_foreground", "directus_files", None, None, "nullify"),
    ("directus_settings", "project_logo", "directus_files", None, None, "nullify"),
    ("directus_sessions", "user", "directus_users", None, None, "nullify"),
    ("directus_flows", "folder", "directus_folders", None, None, "nullify"),
    ("directus_flows", "user_created", "directus_users", None, None, "nullify"),
    ("directus_flows", "operation", "directus_operations", None, None, "nullify"),
    ("directus_users", "avatar", "directus_files", None, None, "nullify"),
    ("directus_activity", "user", "directus_users", None, None, "nullify"),
)


def system_field_meta(collection: str, field: str, special: list[str]) -> dict[str, Any]:
    """The ``meta`` a system field shows, shaped like a ``directus_fields`` row."""
    return {
        "collection": collection,
        "field": field,
        "special": list(special),
        "system": True,
    }


def system_relation_meta(
    collection: str,
    field: str,
    related: str,
    one_field: str | None,
    junction_field: str | None,
    deselect: str,
) -> dict[str, Any]:
    """The ``meta`` a system relation shows, shaped like a ``directus_relations`` row."""
    return {
        "many_collection": collection,
        "many_field": field,
        "one_collection": related,
        "one_field": one_field,
        "one_collection_field": None,
        "one_allowed_collections": None,
        "junction_field": junction_field,
        "sort_field": None,
        "one_deselect_action": deselect,
        "system": True,
    }
