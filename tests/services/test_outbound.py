"""The SSRF guard of outbound requests, against real servers on loopback."""

import ipaddress
import socket

import anyio
import httpx
import pytest

from http_servers import Route, local_server
from tessera.config import load_settings
from tessera.services.outbound import AddressGuard, Outbound, OutboundRefused

pytestmark = [pytest.mark.anyio, pytest.mark.database_free]

#: Allows loopback, so that the tests' own servers can be reached.
OPEN = Outbound(AddressGuard.parse("", deny_internal=False), timeout=5)
DEFAULT = Outbound(AddressGuard.parse("0.0.0.0,169.254.169.254"), timeout=5)


def refused(guard: AddressGuard, address: str) -> bool:
    return guard.refusal(ipaddress.ip_address(address)) is not None


async def fetched(outbound: Outbound, url: str) -> bytes:
    async with outbound.get(url) as response:
        return await response.aread()


def test_the_default_guard_refuses_internal_and_metadata_addresses():
    guard = AddressGuard.from_settings(load_settings(env_file=None))
    for address in [
        "127.0.0.1",
        "127.9.9.9",
        "::1",
        "0.0.0.0",
        "::",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "168.63.129.16",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",
    ]:
        assert refused(guard, address), address
    for address in ["93.184.215.14", "2606:4700::1111", "1.1.1.1"]:
        assert not refused(guard, address), address


def test_deny_list_entries_are_addresses_blocks_and_ranges():
    guard = AddressGuard.parse("8.8.8.8, 9.9.9.0/24, 1.1.1.1-1.1.1.3", deny_internal=False)
    assert refused(guard, "8.8.8.8")
    assert refused(guard, "9.9.9.200")
    assert refused(guard, "1.1.1.2")
    assert not refused(guard, "1.1.1.4")
    assert not refused(guard, "127.0.0.1")
    assert not refused(guard, "10.0.0.1")


def test_zero_address_means_this_host_as_in_directus():
    guard = AddressGuard.parse("0.0.0.0", deny_internal=False)
    assert refused(guard, "0.1.2.3")
    assert refused(guard, "::")
    assert refused(guard, "127.0.0.1")
    assert not refused(guard, "10.0.0.1")


def test_a_bad_deny_list_is_a_configuration_error():
    from tessera.config import ConfigError

    with pytest.raises(ConfigError, match="IMPORT_IP_DENY_LIST"):
        load_settings(env_file=None, import_ip_deny_list="10.0.0.1,intranet")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/file",
        "http://localhost:{port}/file",
        "http://[::ffff:127.0.0.1]:{port}/file",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
async def test_the_default_refuses_loopback_names_and_metadata(url):
    with local_server() as server:
        server.routes["/file"] = Route(b"secret")
        with pytest.raises(OutboundRefused, match=r"internal address|IMPORT_IP_DENY_LIST"):
            await fetched(DEFAULT, url.format(port=server.port))
        assert server.seen == []


async def test_an_allowed_address_is_fetched_and_redirects_are_followed():
    with local_server() as server:
        server.routes["/file"] = Route(b"the content", headers={"content-type": "text/plain"})
        server.routes["/moved"] = Route(status=302, headers={"location": "/file"})
        async with OPEN.get(server.url("/moved")) as response:
            assert response.status_code == 200
            assert await response.aread() == b"the content"
            assert str(response.request.url) == server.url("/file")


async def test_every_redirect_is_checked_again():
    guard = AddressGuard.parse("169.254.169.254,127.0.0.2", deny_internal=False)
    outbound = Outbound(guard, timeout=5)
    with local_server() as server:
        server.routes["/meta"] = Route(
            status=301, headers={"location": "http://169.254.169.254/latest/meta-data/"}
        )
        server.routes["/local"] = Route(
            status=307, headers={"location": f"http://127.0.0.2:{server.port}/file"}
        )
        with pytest.raises(OutboundRefused, match=r"169\.254\.169\.254"):
            await fetched(outbound, server.url("/meta"))
        with pytest.raises(OutboundRefused, match=r"127\.0\.0\.2"):
            await fetched(outbound, server.url("/local"))
        assert [path for path, _ in server.seen] == ["/meta", "/local"]


async def test_redirects_are_capped():
    outbound = Outbound(AddressGuard.parse("", deny_internal=False), timeout=5, max_redirects=2)
    with local_server() as server:
        server.routes["/loop"] = Route(status=302, headers={"location": "/loop"})
        with pytest.raises(OutboundRefused, match="more than 2 redirects"):
            await fetched(outbound, server.url("/loop"))
        assert len(server.seen) == 3


async def test_a_name_is_resolved_once_and_the_connection_pinned(monkeypatch):
    lookups = []

    async def resolve(host, port, **_kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(anyio, "getaddrinfo", resolve)
    with local_server() as server:
        server.routes["/file"] = Route(b"pinned")
        url = f"http://files.example:{server.port}/file"
        assert await fetched(OPEN, url) == b"pinned"
        with pytest.raises(OutboundRefused, match=r"files\.example resolves to 127\.0\.0\.1"):
            await fetched(DEFAULT, url)
    assert lookups == ["files.example", "files.example"]
    assert server.seen == [("/file", f"files.example:{server.port}")]


async def test_a_name_with_one_denied_address_is_refused(monkeypatch):
    async def resolve(host, port, **_kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(anyio, "getaddrinfo", resolve)
    with pytest.raises(OutboundRefused, match=r"10\.0\.0\.5"):
        await fetched(DEFAULT, "http://mixed.example/file")


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "notaurl"])
async def test_only_http_urls_are_fetched(url):
    with pytest.raises(OutboundRefused, match="only http and https"):
        await fetched(OPEN, url)


async def test_an_unknown_name_is_refused_with_a_reason():
    with pytest.raises(OutboundRefused, match="could not be resolved"):
        await fetched(OPEN, "http://no-such-host.invalid/file")


async def test_a_silent_server_times_out():
    outbound = Outbound(AddressGuard.parse("", deny_internal=False), timeout=0.3)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        with pytest.raises(httpx.TimeoutException):
            await fetched(outbound, f"http://127.0.0.1:{listener.getsockname()[1]}/slow")
    finally:
        listener.close()
