import uuid

import pytest
import sqlalchemy as sa

from asgi_client import serving
from db_helpers import unopenable_url
from tessera import __version__
from tessera.app import create_app
from tessera.db import Database
from tessera.db.system_tables import directus_files, directus_settings

# What Directus 12.4 answers an unauthenticated GET /server/info with, on a new project
# (project_name aside: ours defaults to Tessera).
pytestmark = pytest.mark.anyio

DEFAULT_PROJECT = {
    "project_name": "Tessera",
    "project_descriptor": None,
    "project_logo": None,
    "project_color": "#6644FF",
    "default_appearance": "auto",
    "default_theme_light": None,
    "default_theme_dark": None,
    "theme_light_overrides": None,
    "theme_dark_overrides": None,
    "default_language": "en-US",
    "public_foreground": None,
    "public_background": None,
    "public_favicon": None,
    "public_note": None,
    "custom_css": None,
    "public_registration": False,
    "public_registration_verify_email": True,
}


async def test_ping_answers_pong(client):
    response = await client.get("/server/ping")
    assert response.status_code == 200
    assert response.text == "pong"


async def test_health_reports_the_database_in_directus_shape(client, settings):
    response = await client.get("/server/health")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/health+json")
    assert response.headers["cache-control"] == "no-cache"
    body = response.json()
    assert body["status"] == "ok"
    assert body["releaseId"] == __version__
    assert body["serviceId"] == settings.public_url
    client_name = settings.db_client
    assert set(body["checks"]) == {
        f"{client_name}:responseTime",
        f"{client_name}:connectionsAvailable",
        f"{client_name}:connectionsUsed",
    }
    (timing,) = body["checks"][f"{client_name}:responseTime"]
    assert timing["status"] == "ok"
    assert timing["componentType"] == "datastore"
    assert timing["observedUnit"] == "ms"
    assert timing["threshold"] == 150
    assert timing["observedValue"] >= 0


async def test_health_is_503_error_when_the_database_cannot_be_opened(settings, tmp_path):
    app = create_app(settings, Database(unopenable_url(settings.database_url, tmp_path)))
    async with serving(app) as client:
        response = await client.get("/server/health")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/health+json")
    body = response.json()
    assert body["status"] == "error"
    (timing,) = body["checks"][f"{settings.db_client}:responseTime"]
    assert timing["status"] == "error"
    assert timing["output"] == "Can't connect to the database."


async def test_info_shows_the_public_project_settings_only(client):
    response = await client.get("/server/info")

    assert response.status_code == 200
    project = response.json()["data"]["project"]
    assert project == DEFAULT_PROJECT
    assert list(project) == list(DEFAULT_PROJECT)
    assert list(response.json()["data"]) == ["project"]


async def test_info_reflects_changed_settings_and_expands_the_background(client, db):
    file_id = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(
            sa.insert(directus_files).values(
                id=file_id, storage="local", filename_download="bg.png", type="image/png"
            )
        )
        conn.execute(
            sa.update(directus_settings).values(
                project_name="Atlas", public_background=file_id, public_registration=True
            )
        )

    project = (await client.get("/server/info")).json()["data"]["project"]

    assert project["project_name"] == "Atlas"
    assert project["public_background"] == {"id": file_id, "type": "image/png"}
    assert project["public_registration"] is True


async def test_info_before_setup_is_service_unavailable(db, settings):
    async with serving(create_app(settings, db)) as client:
        response = await client.get("/server/info")

    assert response.status_code == 503
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "tessera init" in error["message"]
