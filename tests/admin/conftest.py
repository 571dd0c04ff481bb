"""The admin app over the blog database: an admin, an editor with app access who may read
``articles`` and ``directus_activity``, and an API-only user without app access (all with
PASSWORD). (No ``__init__.py`` here, as in tests/mcp.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from admin_helpers import ADMIN_EMAIL, API_EMAIL, BASE_URL, EDITOR_EMAIL, PASSWORD, Person
from callers import grant, make_caller
from tessera.access.passwords import hash_password
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_users
from tessera.services.bootstrap import bootstrap


@pytest.fixture
def admin_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_url": BASE_URL,
            "admin_email": ADMIN_EMAIL,
            "admin_password": PASSWORD,
            "login_stall_time": 0,
        }
    )


@pytest.fixture
def admin_db(blog_db: Database, admin_settings: Settings) -> Database:
    bootstrap(blog_db, admin_settings)
    make_caller(
        blog_db,
        [grant("articles", "read"), grant("directus_activity", "read")],
        email=EDITOR_EMAIL,
        app=True,
    )
    make_caller(blog_db, [grant("articles", "read")], email=API_EMAIL)
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.email.in_([EDITOR_EMAIL, API_EMAIL]))
            .values(password=hash_password(PASSWORD), provider="default")
        )
    return blog_db


@pytest.fixture
def app(admin_db: Database, admin_settings: Settings) -> Starlette:
    return create_app(admin_settings, admin_db)


@pytest.fixture
async def person(app: Starlette) -> AsyncIterator[Person]:
    """Someone at a browser, not signed in yet."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Person(client)


@pytest.fixture
async def admin(person: Person) -> Person:
    """The admin, signed in."""
    signed = await person.sign_in()
    assert signed.status_code == 303, signed.text
    return person
