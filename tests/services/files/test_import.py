"""Imports from a URL: through the SSRF guard, into the same all-or-nothing upload."""

import pytest

from file_uploads import jpeg
from http_servers import Route, local_server
from tessera.errors import ContentTooLargeError, InvalidPayloadError, ServiceUnavailableError
from tessera.services.outbound import AddressGuard, Outbound

pytestmark = pytest.mark.anyio


async def test_an_import_stores_the_file_named_from_the_url(files):
    data = jpeg((12, 10))
    with local_server() as server:
        server.routes["/photos/summer%20trip.jpg"] = Route(
            data, headers={"content-type": "application/octet-stream"}
        )
        server.routes["/go"] = Route(status=302, headers={"location": "/photos/summer%20trip.jpg"})
        key = await files.service().import_url(server.url("/go"), {"description": "From afar"})
    row = files.row(key)
    assert row["filename_download"] == "summer trip.jpg"
    assert row["title"] == "Summer Trip.jpg"
    assert row["type"] == "image/jpeg"
    assert (row["width"], row["height"], row["filesize"]) == (12, 10, len(data))
    assert row["description"] == "From afar"
    assert await files.stored() == [f"{key}.jpg"]
    assert files.activity() == [("create", key)]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/file.txt",
        "http://localhost:{port}/file.txt",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/file.txt",
    ],
)
async def test_the_default_guard_refuses_internal_addresses_and_redirects_to_them(files, url):
    with local_server() as server:
        server.routes["/file.txt"] = Route(b"internal")
        guarded = files.service()
        guarded.outbound = None  # from the settings: Tessera's defaults
        with pytest.raises(ServiceUnavailableError) as raised:
            await guarded.import_url(url.format(port=server.port))
        assert server.seen == []
    error = raised.value
    assert error.extensions["service"] == "external-file"
    assert "Couldn't fetch file from URL" in error.message
    assert "internal address" in error.message or "IMPORT_IP_DENY_LIST" in error.message
    await files.nothing_left()


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:{port}/file.txt"]
)
async def test_a_redirect_from_an_allowed_server_to_a_denied_one_is_refused(files, target):
    with local_server() as server:
        server.routes["/file.txt"] = Route(b"internal")
        location = target.format(port=server.port)
        server.routes["/away"] = Route(status=307, headers={"location": location})
        service = files.service()
        guard = AddressGuard.parse("169.254.169.254,127.0.0.2", deny_internal=False)
        service.outbound = Outbound(guard, timeout=5)
        with pytest.raises(ServiceUnavailableError, match="IMPORT_IP_DENY_LIST"):
            await service.import_url(server.url("/away"))
        assert [path for path, _ in server.seen] == ["/away"]
    await files.nothing_left()


async def test_a_download_breaking_off_leaves_nothing(files):
    with local_server() as server:
        server.routes["/cut.bin"] = Route(b"x" * 100_000, cut=50_000)
        with pytest.raises(ServiceUnavailableError):
            await files.service().import_url(server.url("/cut.bin"))
    await files.nothing_left()


async def test_an_error_answer_or_a_too_large_file_is_refused(files):
    with local_server() as server:
        server.routes["/big.bin"] = Route(b"x" * 4096)
        with pytest.raises(ServiceUnavailableError, match="answered 404"):
            await files.service().import_url(server.url("/missing"))
        with pytest.raises(ContentTooLargeError):
            await files.service(files_max_upload_size="1kb").import_url(server.url("/big.bin"))
        with pytest.raises(InvalidPayloadError, match="not allowed"):
            await files.service(files_mime_type_allow_list="image/*").import_url(
                server.url("/big.bin")
            )
    await files.nothing_left()


async def test_an_import_needs_a_url(files):
    with pytest.raises(InvalidPayloadError, match='"url" is required'):
        await files.service().import_url("")
