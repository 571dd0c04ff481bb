"""What one MCP request works with: the project's MCP settings and the caller's services."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_settings
from tessera.errors import ServiceUnavailableError
from tessera.mcp.exchange import Exchange
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.assets.service import AssetsService
from tessera.services.files.service import FilesService
from tessera.services.flows.service import FlowsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext
from tessera.storage import StorageLocations

#: What activity records as the ``origin`` of every change made through MCP.
MCP_ORIGIN = "mcp"
#: The OAuth scope that allows every tool; ``mcp:read`` allows only reads.
FULL_SCOPE = "mcp:access"


@dataclass(frozen=True)
class McpSettings:
    """The ``mcp_*`` columns of ``directus_settings``, with Directus's defaults."""

    enabled: bool = False
    allow_deletes: bool = False
    prompts_collection: str | None = None
    system_prompt_enabled: bool = True
    system_prompt: str | None = None


#: Built once, as every statement on a request's path (see :mod:`tessera.db.counters`).
_SETTINGS = sa.select(
    directus_settings.c.mcp_enabled,
    directus_settings.c.mcp_allow_deletes,
    directus_settings.c.mcp_prompts_collection,
    directus_settings.c.mcp_system_prompt_enabled,
    directus_settings.c.mcp_system_prompt,
).limit(1)


def read_mcp_settings(db: Database) -> McpSettings:
    """The project's MCP settings, read as the system (before anyone is authenticated)."""
    with db.read() as conn:
        row = conn.execute(_SETTINGS).first()
    if row is None:
        return McpSettings()
    return McpSettings(
        enabled=bool(row.mcp_enabled),
        allow_deletes=bool(row.mcp_allow_deletes),
        prompts_collection=row.mcp_prompts_collection or None,
        system_prompt_enabled=row.mcp_system_prompt_enabled is not False,
        system_prompt=row.mcp_system_prompt or None,
    )


@dataclass(frozen=True)
class ToolContext:
    """A tool's view of the server: the caller, the settings, and the services they may use.

    ``accountability`` is the connected user's, with ``origin`` set to ``"mcp"`` so the
    activity log says which door a change came through.
    """

    db: Database
    schema: SchemaCache
    settings: Settings
    access_cache: AccessCache
    accountability: Accountability
    mcp: McpSettings
    #: Starts flows (``trigger-flow``); None where the app runs no flows.
    flows: FlowsService | None = None
    #: Where files are kept (the file tools); None where the app stores none.
    storage: StorageLocations | None = None
    #: The request's line back to the client (see :mod:`tessera.mcp.exchange`).
    exchange: Exchange = field(default_factory=Exchange)

    @classmethod
    def for_caller(
        cls, state: Any, accountability: Accountability, mcp: McpSettings
    ) -> ToolContext:
        """The context for one request, from the app's ``state`` and the caller."""
        return cls(
            db=state.db,
            schema=state.schema,
            settings=state.settings,
            access_cache=state.access_cache,
            accountability=replace(accountability, origin=MCP_ORIGIN),
            mcp=mcp,
            flows=getattr(state, "flows", None),
            storage=getattr(state, "storage", None),
        )

    @property
    def is_admin(self) -> bool:
        return self.accountability.admin

    @property
    def read_only(self) -> bool:
        """An OAuth grant without ``mcp:access`` (``mcp:read``): read-only tools and actions."""
        scopes = self.accountability.scopes
        return scopes is not None and FULL_SCOPE not in scopes

    def items(self) -> ItemsService:
        return ItemsService(
            self.db,
            self.schema,
            self.settings,
            self.accountability,
            cache=self.access_cache,
            events=self.flows.events.emitter() if self.flows else None,
        )

    def files(self) -> FilesService:
        """The files service as the caller (uploads, imports, deletes with their blobs),
        firing ``files.upload`` and the items events as REST does."""
        return FilesService(
            self.db,
            self.schema,
            self.settings,
            self._storage(),
            self.accountability,
            cache=self.access_cache,
            events=self.flows.events.emitter() if self.flows else None,
        )

    def assets(self) -> AssetsService:
        """The assets service as the caller (a file's bytes, or a transformed image)."""
        return AssetsService(
            self.db,
            self.schema,
            self.settings,
            self._storage(),
            self.accountability,
            cache=self.access_cache,
        )

    def _storage(self) -> StorageLocations:
        if self.storage is None:
            raise ServiceUnavailableError(
                'Service "files" is unavailable. No storage.', service="files", reason="No storage"
            )
        return self.storage

    def schema_context(self) -> SchemaContext:
        return SchemaContext(self.db, self.schema, self.accountability)

    def admin_url(self, *path: object) -> str | None:
        """``PUBLIC_URL/admin/<path>``, or None when PUBLIC_URL is not an absolute URL.

        Directus also answers a relative ``/admin/...`` when PUBLIC_URL is ``/``; an
        assistant cannot open that, so Tessera leaves the ``url`` out instead.
        """
        base = self.settings.public_url
        if not base.startswith(("http://", "https://")):
            return None
        return "/".join([base.rstrip("/"), "admin", *(quote(str(step), safe="") for step in path)])
