"""``/assets/:id`` over HTTP: Directus's status codes, headers and error bodies (as a running
12.4 answers them), and where Directus is wrong, the right answer."""

from __future__ import annotations

import email.utils
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from asgi_client import serving
from asset_files import image_bytes, store_file
from callers import grant, make_caller, public_caller
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.services.assets import SLOTS
from tessera.services.bootstrap import bootstrap
from tessera.storage import LocalDriver, StorageLocations

pytestmark = pytest.mark.anyio
ADMIN = {"access_token": "admin-token"}
READER = {"access_token": "reader-token"}
NOBODY = {"access_token": "nobody-token"}
FORBIDDEN = {
    "errors": [
        {
            "message": "You don't have permission to access this.",
            "extensions": {"code": "FORBIDDEN"},
        }
    ]
}


@dataclass
class Setup:
    client: httpx.AsyncClient
    image: str
    image_data: bytes
    text: str
    driver: LocalDriver
    db: object


@pytest.fixture
async def setup(db, settings, tmp_path) -> AsyncIterator[Setup]:
    bootstrap(db, settings)
    reader = make_caller(db, [grant("directus_files", "read", rule={"title": {"_eq": "shared"}})])
    nobody = make_caller(db, [grant("directus_users", "read")])
    with db.write() as conn:
        for user, token in ((reader.user, "reader-token"), (nobody.user, "nobody-token")):
            conn.execute(
                sa.update(directus_users).where(directus_users.c.id == user).values(token=token)
            )
        others = directus_users.c.id.not_in([reader.user, nobody.user])
        conn.execute(sa.update(directus_users).where(others).values(token="admin-token"))
    driver = LocalDriver(tmp_path / "files")
    data = image_bytes((400, 300))
    image = await store_file(db, driver, data, title="shared", filename_download="ref.jpg")
    text = await store_file(db, driver, b"hello world\n" * 10, type="text/plain", ext="txt")
    app = create_app(settings, db, storage=StorageLocations({"local": driver}))
    async with serving(app) as client:
        yield Setup(client, image, data, text, driver, db)


async def test_the_original_with_directus_headers(setup):
    answer = await setup.client.get(f"/assets/{setup.image}", params=ADMIN)
    assert answer.status_code == 200
    assert answer.content == setup.image_data
    headers = answer.headers
    assert headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"] == 'inline; filename="ref.jpg"'
    assert headers["accept-ranges"] == "bytes"
    assert headers["cache-control"] == "private, max-age=2592000"
    assert headers["vary"] == "Origin, Cache-Control"
    assert headers["content-length"] == str(len(setup.image_data))
    assert headers["content-security-policy"] == "default-src 'none'"
    modified = email.utils.parsedate_to_datetime(headers["last-modified"])
    assert headers["etag"] == f'"{int(modified.timestamp())}"'


async def test_the_token_comes_from_the_header_or_the_query(setup):
    bearer = {"Authorization": "Bearer admin-token"}
    assert (await setup.client.get(f"/assets/{setup.image}", headers=bearer)).status_code == 200
    both = await setup.client.get(f"/assets/{setup.image}", params=ADMIN, headers=bearer)
    assert both.status_code == 400
    assert both.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"


async def test_read_permission_decides(setup):
    assert (await setup.client.get(f"/assets/{setup.image}", params=READER)).status_code == 200
    other = await store_file(setup.db, setup.driver, image_bytes(), title="private")
    refused = await setup.client.get(f"/assets/{other}", params=READER)
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    nobody = await setup.client.get(f"/assets/{setup.image}", params=NOBODY)
    assert nobody.status_code == 403
    assert nobody.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await setup.client.get(f"/assets/{setup.image}", params={"width": "10"})
    assert anonymous.status_code == 403


async def test_a_public_file_is_cached_publicly(setup):
    public_caller(setup.db, [grant("directus_files", "read")])
    answer = await setup.client.get(f"/assets/{setup.image}")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=2592000"


@pytest.mark.parametrize("file_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_a_missing_file_is_forbidden_as_in_directus(setup, file_id):
    answer = await setup.client.get(f"/assets/{file_id}", params=ADMIN)
    assert (answer.status_code, answer.json()) == (403, FORBIDDEN)


async def test_download_and_a_name_in_the_path(setup):
    answer = await setup.client.get(f"/assets/{setup.image}", params={**ADMIN, "download": ""})
    assert answer.headers["content-disposition"] == 'attachment; filename="ref.jpg"'
    named = await setup.client.get(
        f"/assets/{setup.image}/other name.jpg", params={**ADMIN, "download": ""}
    )
    assert named.headers["content-disposition"] == 'attachment; filename="other name.jpg"'
    accented = await setup.client.get(f"/assets/{setup.image}/café.jpg", params=ADMIN)
    assert accented.headers["content-disposition"] == (
        "inline; filename=\"caf?.jpg\"; filename*=UTF-8''caf%C3%A9.jpg"
    )


async def test_ranges_of_the_original(setup):
    size = len(setup.image_data)
    first = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"Range": "bytes=0-99"}
    )
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.headers["content-length"] == "100"
    assert first.content == setup.image_data[:100]
    tail = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"Range": "bytes=-10"}
    )
    assert (tail.status_code, tail.content) == (206, setup.image_data[-10:])
    # Directus refuses a one-byte range; RFC 9110 does not.
    one = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"Range": "bytes=5-5"}
    )
    assert (one.status_code, one.content) == (206, setup.image_data[5:6])


async def test_an_unsatisfiable_range_is_416(setup):
    size = len(setup.image_data)
    answer = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"Range": f"bytes={size}-"}
    )
    assert answer.status_code == 416
    assert answer.headers["content-range"] == f"bytes */{size}"
    assert answer.json() == {
        "errors": [
            {
                "message": f"Range \"{size}-\" is invalid or the file's size doesn't match "
                "the requested range.",
                "extensions": {"code": "RANGE_NOT_SATISFIABLE", "range": {"start": size}},
            }
        ]
    }


async def test_a_range_is_ignored_when_transforming_as_in_directus(setup):
    answer = await setup.client.get(
        f"/assets/{setup.image}",
        params={**ADMIN, "width": "50"},
        headers={"Range": "bytes=0-9"},
    )
    assert answer.status_code == 200
    assert "content-range" not in answer.headers
    assert Image.open(io.BytesIO(answer.content)).size == (50, 38)


async def test_head_answers_what_get_would_without_a_body(setup):
    answer = await setup.client.head(f"/assets/{setup.image}", params=ADMIN)
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["content-length"] == str(len(setup.image_data))
    ranged = await setup.client.head(
        f"/assets/{setup.image}", params=ADMIN, headers={"Range": "bytes=0-9"}
    )
    assert (ranged.status_code, ranged.headers["content-length"]) == (206, "10")


async def test_conditional_requests_are_answered_304(setup):
    """Directus answers 304 only with ASSETS_CACHE_REVALIDATE on; the validators hold anyway."""
    first = await setup.client.get(f"/assets/{setup.image}", params=ADMIN)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_tag = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"If-None-Match": etag}
    )
    assert by_tag.status_code == 304
    assert by_tag.content == b""
    assert by_tag.headers["etag"] == etag
    by_date = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"If-Modified-Since": modified}
    )
    assert by_date.status_code == 304
    stale = await setup.client.get(
        f"/assets/{setup.image}", params=ADMIN, headers={"If-None-Match": '"1"'}
    )
    assert stale.status_code == 200
    earlier = await setup.client.get(
        f"/assets/{setup.image}",
        params=ADMIN,
        headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert earlier.status_code == 200


async def test_a_transformed_variant_is_made_once(setup):
    query = {**ADMIN, "width": "100", "format": "webp"}
    started = SLOTS.started
    first = await setup.client.get(f"/assets/{setup.image}", params=query)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/webp"
    assert first.content[8:12] == b"WEBP"
    assert Image.open(io.BytesIO(first.content)).size == (100, 75)
    original = await setup.client.get(f"/assets/{setup.image}", params=ADMIN)
    assert first.headers["etag"] != original.headers["etag"]
    again = await setup.client.get(f"/assets/{setup.image}", params=query)
    assert again.content == first.content
    assert SLOTS.started == started + 1
    stored = [key async for key in setup.driver.list(f"{setup.image}__")]
    assert len(stored) == 1
    assert stored[0].endswith(".webp")
    cached = await setup.client.get(
        f"/assets/{setup.image}", params=query, headers={"If-None-Match": first.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_format_auto_varies_by_accept(setup):
    answer = await setup.client.get(
        f"/assets/{setup.image}",
        params={**ADMIN, "format": "auto", "width": "20"},
        headers={"Accept": "image/avif,image/webp"},
    )
    assert answer.headers["content-type"] == "image/avif"
    assert answer.headers["vary"] == "Origin, Cache-Control, Accept"
    preset = await setup.client.get(
        f"/assets/{setup.image}",
        params={**ADMIN, "key": "system-small-cover"},
        headers={"Accept": "image/webp"},
    )
    assert preset.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(preset.content)).size == (64, 64)


async def test_bad_parameters_are_directus_errors(setup):
    answer = await setup.client.get(f"/assets/{setup.image}", params={**ADMIN, "width": "abc"})
    reason = (
        "Expected positive integer between 1 and 100000000 for width "
        "but received NaN of type number"
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "errors": [
                {
                    "message": f"Invalid query. {reason}.",
                    "extensions": {"code": "INVALID_QUERY", "reason": reason},
                }
            ]
        },
    )
    too_wide = await setup.client.get(f"/assets/{setup.image}", params={**ADMIN, "width": "7000"})
    assert too_wide.status_code == 400
    error = too_wide.json()["errors"][0]
    assert error["message"] == "Illegal asset transformation."
    assert error["extensions"]["code"] == "ILLEGAL_ASSET_TRANSFORMATION"
    assert error["extensions"]["invalidTransformations"] == ["width", "height"]


async def test_a_non_image_is_served_but_not_transformed(setup):
    plain = await setup.client.get(f"/assets/{setup.text}", params=ADMIN)
    assert (plain.status_code, plain.headers["content-type"]) == (200, "text/plain")
    refused = await setup.client.get(f"/assets/{setup.text}", params={**ADMIN, "width": "10"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "ILLEGAL_ASSET_TRANSFORMATION"


async def test_revalidation_asks_clients_to_check_every_time(setup, db, settings):
    changed = settings.model_copy(
        update={"assets_cache_revalidate": True, "assets_cache_ttl": "1h"}
    )
    app = create_app(changed, db, storage=StorageLocations({"local": setup.driver}))
    async with serving(app) as client:
        answer = await client.get(f"/assets/{setup.image}", params=ADMIN)
    assert answer.headers["cache-control"] == "max-age=0, must-revalidate"
    shorter = settings.model_copy(update={"assets_cache_ttl": "1h"})
    async with serving(
        create_app(shorter, db, storage=StorageLocations({"local": setup.driver}))
    ) as client:
        answer = await client.get(f"/assets/{setup.image}", params=ADMIN)
    assert answer.headers["cache-control"] == "private, max-age=3600"
