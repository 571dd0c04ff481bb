"""The ``directus_*`` system tables, named and shaped as Directus 12 creates them.

Column names, types, nullability and defaults follow a database created by
Directus 12.4 (``.schema`` of its SQLite file), so a database created by Directus
can be served by Tessera and the other way round. Foreign keys to tables Tessera
does not have yet (shares, versions, OAuth clients) are left out.

``tessera_schema_version`` is Tessera's own: a counter bumped by every schema
change, which is how a second process learns that its cached schema is stale.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

metadata = sa.MetaData()

#: Primary keys Directus stores as UUIDs: native ``uuid`` on PostgreSQL, char(36) on SQLite.
UUID = sa.Uuid(as_uuid=False).with_variant(sqlite.CHAR(36), "sqlite")
DATETIME = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")


directus_collections = sa.Table(
    "directus_collections",
    metadata,
    sa.Column("collection", sa.String(64), primary_key=True),
    sa.Column("icon", sa.String(64)),
    sa.Column("note", sa.Text()),
    sa.Column("display_template", sa.String(255)),
    sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("singleton", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("translations", sa.JSON()),
    sa.Column("archive_field", sa.String(64)),
    sa.Column("archive_app_filter", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("archive_value", sa.String(255)),
    sa.Column("unarchive_value", sa.String(255)),
    sa.Column("sort_field", sa.String(64)),
    sa.Column("accountability", sa.String(255), server_default="all"),
    sa.Column("color", sa.String(255)),
    sa.Column("item_duplication_fields", sa.JSON()),
    sa.Column("sort", sa.Integer()),
    sa.Column("group", sa.String(64), sa.ForeignKey("directus_collections.collection")),
    sa.Column("collapse", sa.String(255), nullable=False, server_default="open"),
    sa.Column("preview_url", sa.String(255)),
    sa.Column("versioning", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String(255), nullable=False, server_default="active"),
    sa.Column("autosave_revision_interval", sa.Float()),
)

directus_fields = sa.Table(
    "directus_fields",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("special", sa.String(64)),
    sa.Column("interface", sa.String(64)),
    sa.Column("options", sa.JSON()),
    sa.Column("display", sa.String(64)),
    sa.Column("display_options", sa.JSON()),
    sa.Column("readonly", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("sort", sa.Integer()),
    sa.Column("width", sa.String(30), server_default="full"),
    sa.Column("translations", sa.JSON()),
    sa.Column("note", sa.Text()),
    sa.Column("conditions", sa.JSON()),
    sa.Column("required", sa.Boolean(), server_default=sa.false()),
    sa.Column("group", sa.String(64)),
    sa.Column("validation", sa.JSON()),
    sa.Column("validation_message", sa.Text()),
    sa.Column("searchable", sa.Boolean(), nullable=False, server_default=sa.true()),
)

directus_relations = sa.Table(
    "directus_relations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("many_collection", sa.String(64), nullable=False),
    sa.Column("many_field", sa.String(64), nullable=False),
    sa.Column("one_collection", sa.String(64)),
    sa.Column("one_field", sa.String(64)),
    sa.Column("one_collection_field", sa.String(64)),
    sa.Column("one_allowed_collections", sa.Text()),
    sa.Column("junction_field", sa.String(64)),
    sa.Column("sort_field", sa.String(64)),
    sa.Column("one_deselect_action", sa.String(255), nullable=False, server_default="nullify"),
)

directus_roles = sa.Table(
    "directus_roles",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("icon", sa.String(64), nullable=False, server_default="supervised_user_circle"),
    sa.Column("description", sa.Text()),
    sa.Column("parent", UUID, sa.ForeignKey("directus_roles.id")),
)

directus_folders = sa.Table(
    "directus_folders",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("parent", UUID, sa.ForeignKey("directus_folders.id")),
    sa.Column("type", sa.String(255), nullable=False, server_default="files"),
)

directus_users = sa.Table(
    "directus_users",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("first_name", sa.String(50)),
    sa.Column("last_name", sa.String(50)),
    sa.Column("email", sa.String(128), unique=True),
    sa.Column("password", sa.String(255)),
    sa.Column("location", sa.String(255)),
    sa.Column("title", sa.String(50)),
    sa.Column("description", sa.Text()),
    sa.Column("tags", sa.JSON()),
    sa.Column("avatar", UUID),
    sa.Column("language", sa.String(255)),
    sa.Column("tfa_secret", sa.String(255)),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("role", UUID, sa.ForeignKey("directus_roles.id", ondelete="SET NULL")),
    sa.Column("token", sa.String(255), unique=True),
    sa.Column("last_access", DATETIME),
    sa.Column("last_page", sa.String(255)),
    sa.Column("provider", sa.String(128), nullable=False, server_default="default"),
    sa.Column("external_identifier", sa.String(255), unique=True),
    sa.Column("auth_data", sa.JSON()),
    sa.Column("email_notifications", sa.Boolean(), server_default=sa.true()),
    sa.Column("appearance", sa.String(255)),
    sa.Column("theme_dark", sa.String(255)),
    sa.Column("theme_light", sa.String(255)),
    sa.Column("theme_light_overrides", sa.JSON()),
    sa.Column("theme_dark_overrides", sa.JSON()),
    sa.Column("text_direction", sa.String(255), nullable=False, server_default="auto"),
)

directus_policies = sa.Table(
    "directus_policies",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("icon", sa.String(64), nullable=False, server_default="badge"),
    sa.Column("description", sa.Text()),
    sa.Column("ip_access", sa.Text()),
    sa.Column("enforce_tfa", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("admin_access", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("app_access", sa.Boolean(), nullable=False, server_default=sa.false()),
)

directus_access = sa.Table(
    "directus_access",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("role", UUID, sa.ForeignKey("directus_roles.id", ondelete="CASCADE")),
    sa.Column("user", UUID, sa.ForeignKey("directus_users.id", ondelete="CASCADE")),
    sa.Column(
        "policy", UUID, sa.ForeignKey("directus_policies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("sort", sa.Integer()),
)

directus_permissions = sa.Table(
    "directus_permissions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("permissions", sa.JSON()),
    sa.Column("validation", sa.JSON()),
    sa.Column("presets", sa.JSON()),
    sa.Column("fields", sa.Text()),
    sa.Column(
        "policy", UUID, sa.ForeignKey("directus_policies.id", ondelete="CASCADE"), nullable=False
    ),
)

directus_files = sa.Table(
    "directus_files",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("storage", sa.String(255), nullable=False),
    sa.Column("filename_disk", sa.String(255)),
    sa.Column("filename_download", sa.String(255), nullable=False),
    sa.Column("title", sa.String(255)),
    sa.Column("type", sa.String(255)),
    sa.Column("folder", UUID, sa.ForeignKey("directus_folders.id", ondelete="SET NULL")),
    sa.Column("uploaded_by", UUID, sa.ForeignKey("directus_users.id")),
    sa.Column("created_on", DATETIME, nullable=False, server_default=NOW),
    sa.Column("modified_by", UUID, sa.ForeignKey("directus_users.id")),
    sa.Column("modified_on", DATETIME, nullable=False, server_default=NOW),
    sa.Column("charset", sa.String(50)),
    sa.Column("filesize", sa.BigInteger()),
    sa.Column("width", sa.Integer()),
    sa.Column("height", sa.Integer()),
    sa.Column("duration", sa.Integer()),
    sa.Column("embed", sa.String(200)),
    sa.Column("description", sa.Text()),
    sa.Column("location", sa.Text()),
    sa.Column("tags", sa.Text()),
    sa.Column("metadata", sa.JSON()),
    sa.Column("focal_point_x", sa.Integer()),
    sa.Column("focal_point_y", sa.Integer()),
    sa.Column("tus_id", sa.String(64)),
    sa.Column("tus_data", sa.JSON()),
    sa.Column("uploaded_on", DATETIME),
)

directus_settings = sa.Table(
    "directus_settings",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("project_name", sa.String(100), nullable=False, server_default="Tessera"),
    sa.Column("project_url", sa.String(255)),
    sa.Column("project_color", sa.String(255), nullable=False, server_default="#6644FF"),
    sa.Column("project_logo", UUID, sa.ForeignKey("directus_files.id")),
    sa.Column("public_foreground", UUID, sa.ForeignKey("directus_files.id")),
    sa.Column("public_background", UUID, sa.ForeignKey("directus_files.id")),
    sa.Column("public_note", sa.Text()),
    sa.Column("auth_login_attempts", sa.Integer(), server_default="25"),
    sa.Column("auth_password_policy", sa.String(100)),
    sa.Column("storage_asset_transform", sa.String(7), server_default="all"),
    sa.Column("storage_asset_presets", sa.JSON()),
    sa.Column("custom_css", sa.Text()),
    sa.Column(
        "storage_default_folder",
        UUID,
        sa.ForeignKey(
            "directus_folders.id",
            ondelete="SET NULL",
            name="directus_settings_storage_default_folder_foreign",
        ),
    ),
    sa.Column("basemaps", sa.JSON()),
    sa.Column("mapbox_key", sa.String(255)),
    sa.Column("module_bar", sa.JSON()),
    sa.Column("project_descriptor", sa.String(100)),
    sa.Column("default_language", sa.String(255), nullable=False, server_default="en-US"),
    sa.Column("custom_aspect_ratios", sa.JSON()),
    sa.Column("public_favicon", UUID, sa.ForeignKey("directus_files.id")),
    sa.Column("default_appearance", sa.String(255), nullable=False, server_default="auto"),
    sa.Column("default_theme_light", sa.String(255)),
    sa.Column("theme_light_overrides", sa.JSON()),
    sa.Column("default_theme_dark", sa.String(255)),
    sa.Column("theme_dark_overrides", sa.JSON()),
    sa.Column("report_error_url", sa.String(255)),
    sa.Column("report_bug_url", sa.String(255)),
    sa.Column("report_feature_url", sa.String(255)),
    sa.Column("public_registration", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column(
        "public_registration_verify_email", sa.Boolean(), nullable=False, server_default=sa.true()
    ),
    sa.Column(
        "public_registration_role", UUID, sa.ForeignKey("directus_roles.id", ondelete="SET NULL")
    ),
    sa.Column("public_registration_email_filter", sa.JSON()),
    sa.Column("visual_editor_urls", sa.JSON()),
    sa.Column("project_id", UUID),
    sa.Column("mcp_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("mcp_allow_deletes", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("mcp_prompts_collection", sa.String(255)),
    sa.Column("mcp_system_prompt_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("mcp_system_prompt", sa.Text()),
    sa.Column("mcp_oauth_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("mcp_oauth_dcr_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("mcp_oauth_cimd_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column(
        "default_save_action", sa.String(255), nullable=False, server_default="save-and-quit"
    ),
)

directus_sessions = sa.Table(
    "directus_sessions",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("user", UUID, sa.ForeignKey("directus_users.id", ondelete="CASCADE")),
    sa.Column("expires", DATETIME, nullable=False),
    sa.Column("ip", sa.String(255)),
    sa.Column("user_agent", sa.Text()),
    sa.Column("share", UUID),
    sa.Column("origin", sa.String(255)),
    sa.Column("next_token", sa.String(64)),
    sa.Column("oauth_client", sa.String(255), index=True),
)

#: MCP OAuth clients, registered by DCR or from a Client ID Metadata Document.
directus_oauth_clients = sa.Table(
    "directus_oauth_clients",
    metadata,
    sa.Column("client_id", sa.String(255), primary_key=True),
    sa.Column("client_name", sa.String(200), nullable=False),
    sa.Column("redirect_uris", sa.JSON(), nullable=False),
    sa.Column("grant_types", sa.JSON(), nullable=False),
    sa.Column("token_endpoint_auth_method", sa.String(32), nullable=False, server_default="none"),
    sa.Column("client_secret_hash", sa.String(64)),
    sa.Column("registration_type", sa.String(8), nullable=False),
    sa.Column("client_uri", sa.String(255)),
    sa.Column("logo_uri", sa.String(255)),
    sa.Column("tos_uri", sa.String(255)),
    sa.Column("policy_uri", sa.String(255)),
    sa.Column("metadata_fetched_at", DATETIME),
    sa.Column("metadata_expires_at", DATETIME),
    sa.Column("metadata_etag", sa.String(255)),
    sa.Column("date_created", DATETIME, nullable=False, server_default=NOW),
)


def _client_key() -> sa.ForeignKey:
    return sa.ForeignKey("directus_oauth_clients.client_id", ondelete="CASCADE")


def _user_key() -> sa.ForeignKey:
    return sa.ForeignKey("directus_users.id", ondelete="CASCADE")


#: What a user approved for a client and redirect URI (the scope granted).
directus_oauth_consents = sa.Table(
    "directus_oauth_consents",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("user", UUID, _user_key(), nullable=False),
    sa.Column("client", sa.String(255), _client_key(), nullable=False),
    sa.Column("redirect_uri", sa.String(255), nullable=False),
    sa.Column("scope", sa.String(255)),
    sa.Column("date_created", DATETIME, nullable=False, server_default=NOW),
    sa.Column("date_updated", DATETIME, nullable=False, server_default=NOW),
    sa.UniqueConstraint("user", "client", "redirect_uri"),
)

#: Authorization codes, by their SHA-256; burned (``used_at``) by the exchange.
directus_oauth_codes = sa.Table(
    "directus_oauth_codes",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("client", sa.String(255), _client_key(), nullable=False),
    sa.Column("user", UUID, _user_key(), nullable=False),
    sa.Column("redirect_uri", sa.String(255), nullable=False),
    sa.Column("resource", sa.String(255), nullable=False),
    sa.Column("code_challenge", sa.String(255), nullable=False),
    sa.Column("code_challenge_method", sa.String(10), nullable=False),
    sa.Column("scope", sa.String(255)),
    sa.Column("expires_at", DATETIME, nullable=False),
    sa.Column("used_at", DATETIME),
)

#: Grants: one per (client, user), following its session as refresh tokens rotate.
directus_oauth_tokens = sa.Table(
    "directus_oauth_tokens",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("client", sa.String(255), _client_key(), nullable=False),
    sa.Column("user", UUID, _user_key(), nullable=False),
    sa.Column("session", sa.String(64), nullable=False, unique=True),
    sa.Column("previous_session", sa.String(64), index=True),
    sa.Column("resource", sa.String(255), nullable=False),
    sa.Column("code_hash", sa.String(64)),
    sa.Column("scope", sa.String(255)),
    sa.Column("expires_at", DATETIME, nullable=False),
    sa.Column("date_created", DATETIME, nullable=False, server_default=NOW),
    sa.UniqueConstraint("client", "user"),
)

directus_activity = sa.Table(
    "directus_activity",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(45), nullable=False),
    sa.Column("user", UUID),
    sa.Column("timestamp", DATETIME, nullable=False, server_default=NOW, index=True),
    sa.Column("ip", sa.String(50)),
    sa.Column("user_agent", sa.Text()),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("item", sa.String(255), nullable=False),
    sa.Column("origin", sa.String(255)),
)

directus_revisions = sa.Table(
    "directus_revisions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "activity",
        sa.Integer(),
        sa.ForeignKey("directus_activity.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("collection", sa.String(64), nullable=False),
    sa.Column("item", sa.String(255), nullable=False),
    sa.Column("data", sa.JSON()),
    sa.Column("delta", sa.JSON()),
    sa.Column("parent", sa.Integer(), sa.ForeignKey("directus_revisions.id"), index=True),
    sa.Column("version", UUID),
)

directus_flows = sa.Table(
    "directus_flows",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("icon", sa.String(64)),
    sa.Column("color", sa.String(255)),
    sa.Column("description", sa.Text()),
    sa.Column("status", sa.String(255), nullable=False, server_default="active"),
    sa.Column("trigger", sa.String(255)),
    sa.Column("accountability", sa.String(255), server_default="all"),
    sa.Column("options", sa.JSON()),
    sa.Column("operation", UUID, unique=True),
    sa.Column("date_created", DATETIME, server_default=NOW),
    sa.Column("user_created", UUID, sa.ForeignKey("directus_users.id", ondelete="SET NULL")),
    sa.Column("folder", UUID, sa.ForeignKey("directus_folders.id", ondelete="SET NULL")),
)

directus_operations = sa.Table(
    "directus_operations",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("position_x", sa.Integer(), nullable=False),
    sa.Column("position_y", sa.Integer(), nullable=False),
    sa.Column("options", sa.JSON()),
    sa.Column("resolve", UUID, sa.ForeignKey("directus_operations.id"), unique=True),
    sa.Column("reject", UUID, sa.ForeignKey("directus_operations.id"), unique=True),
    sa.Column("flow", UUID, sa.ForeignKey("directus_flows.id", ondelete="CASCADE"), nullable=False),
    sa.Column("date_created", DATETIME, server_default=NOW),
    sa.Column("user_created", UUID, sa.ForeignKey("directus_users.id", ondelete="SET NULL")),
)

directus_notifications = sa.Table(
    "directus_notifications",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("timestamp", DATETIME, server_default=NOW),
    sa.Column("status", sa.String(255), server_default="inbox"),
    sa.Column(
        "recipient", UUID, sa.ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("sender", UUID, sa.ForeignKey("directus_users.id")),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("message", sa.Text()),
    sa.Column("collection", sa.String(64)),
    sa.Column("item", sa.String(255)),
)

directus_migrations = sa.Table(
    "directus_migrations",
    metadata,
    sa.Column("version", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("timestamp", DATETIME, server_default=NOW),
)

tessera_schema_version = sa.Table(
    "tessera_schema_version",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger(), nullable=False),
)

#: Schedule ticks claimed: the instance whose insert of (flow, tick) succeeds runs that tick.
tessera_flow_ticks = sa.Table(
    "tessera_flow_ticks",
    metadata,
    sa.Column(
        "flow",
        UUID,
        sa.ForeignKey("directus_flows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tick", DATETIME, primary_key=True),
)

#: Tables that are never user collections, whatever their name.
SYSTEM_TABLE_NAMES = frozenset(metadata.tables)
