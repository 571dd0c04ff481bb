from collections.abc import AsyncIterator

import httpx
import pytest

from asgi_client import serving
from tessera.app import create_app
from tessera.services.bootstrap import bootstrap


@pytest.fixture
async def client(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app serving a migrated, bootstrapped database."""
    bootstrap(db, settings)
    async with serving(create_app(settings, db)) as test_client:
        yield test_client
