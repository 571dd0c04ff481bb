"""The assets service over a migrated database and each storage driver (local and S3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from asset_files import image_bytes, store_file
from storage.conftest import Backend, backend, s3_endpoint  # noqa: F401 - fixtures
from tessera.access.accountability import Accountability
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_settings
from tessera.schema.overview import SchemaCache
from tessera.services.assets import AssetsService
from tessera.storage import StorageLocations


@dataclass
class Assets:
    db: Database
    settings: Settings
    backend: Backend

    def service(
        self, accountability: Accountability | None = None, **settings: Any
    ) -> AssetsService:
        """The service for ``accountability`` (None: Tessera itself), settings overridden."""
        changed = self.settings.model_copy(update=settings) if settings else self.settings
        locations = StorageLocations({"local": self.backend.driver})
        return AssetsService(self.db, SchemaCache(self.db), changed, locations, accountability)

    async def store(self, data: bytes | None = None, **row: Any) -> str:
        return await store_file(self.db, self.backend.driver, data or image_bytes(), **row)

    def project_settings(self, **values: Any) -> None:
        with self.db.write() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(directus_settings)).scalar():
                conn.execute(sa.update(directus_settings).values(**values))
            else:
                conn.execute(sa.insert(directus_settings).values(**values))

    async def variants(self) -> list[str]:
        return [key for key in await self.backend.stored() if "__" in key]


@pytest.fixture
def assets(db: Database, settings: Settings, backend: Backend) -> Assets:  # noqa: F811
    return Assets(db, settings, backend)
