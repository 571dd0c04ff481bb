"""The files service over a migrated database and each storage driver (local and S3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from file_uploads import OPEN
from storage.conftest import Backend, backend, s3_endpoint  # noqa: F401 - fixtures
from tessera.access.accountability import Accountability
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_activity, directus_files, directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.files.service import FilesService
from tessera.storage import StorageLocations


@dataclass
class Files:
    db: Database
    settings: Settings
    backend: Backend
    admin: Accountability

    def service(
        self,
        accountability: Accountability | None = None,
        *,
        as_admin: bool = True,
        **settings: Any,
    ) -> FilesService:
        """The service for ``accountability`` (the admin unless told), settings overridden."""
        changed = self.settings.model_copy(update=settings) if settings else self.settings
        locations = StorageLocations({"local": self.backend.driver})
        who = accountability if accountability is not None or not as_admin else self.admin
        return FilesService(self.db, SchemaCache(self.db), changed, locations, who, outbound=OPEN)

    def rows(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(directus_files))]

    def row(self, key: str) -> dict[str, Any]:
        (found,) = [row for row in self.rows() if str(row["id"]) == key]
        return found

    def activity(self) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            query = sa.select(directus_activity.c.action, directus_activity.c.item).where(
                directus_activity.c.collection == "directus_files"
            )
            return [tuple(row) for row in conn.execute(query.order_by(directus_activity.c.id))]

    async def stored(self) -> list[str]:
        return await self.backend.stored()

    async def nothing_left(self) -> None:
        assert self.rows() == []
        assert await self.stored() == []


@pytest.fixture
def files(db: Database, settings: Settings, backend: Backend) -> Files:  # noqa: F811
    admin_id = "7f2c1b3e-0000-4000-8000-000000000001"
    with db.write() as conn:
        conn.execute(sa.insert(directus_users).values(id=admin_id, email="admin@example.com"))
    return Files(db, settings, backend, Accountability(user=admin_id, admin=True))
