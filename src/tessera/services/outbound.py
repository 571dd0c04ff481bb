"""Requests Tessera makes to addresses its users give it, guarded against SSRF.

A URL from a user (a file import, a flow's request) must not reach what only the server
can reach: its own ports, the private network, a cloud's metadata service. So:

- the host name is resolved **once**, every address it resolves to is checked against the
  :class:`AddressGuard`, and the connection goes to that checked address (the request keeps
  the name in its ``Host`` header and TLS's SNI, and the certificate is verified against
  the name) — a second lookup, which an attacker's DNS could answer differently, never
  happens;
- redirects are followed here, one hop at a time, each hop resolved and checked the same
  way, at most ``max_redirects`` of them;
- proxies from the environment are ignored (a proxy would make the check meaningless);
- only ``http`` and ``https`` are fetched.

What the guard refuses (``IMPORT_IP_DENY_LIST``, Directus's variable and default, plus
Tessera's ``IMPORT_IP_DENY_INTERNAL``):

- every entry of the deny list: an address, a CIDR block or a ``first-last`` range;
  ``0.0.0.0`` stands, as in Directus, for ``0.0.0.0/8``, ``::`` and the server's own
  addresses (loopback, and what its host name resolves to);
- with ``IMPORT_IP_DENY_INTERNAL`` (on by default) every address that is not globally
  reachable — loopback, private (RFC 1918, unique-local IPv6), link-local (which holds
  169.254.169.254), carrier-grade NAT (100.64.0.0/10, holding Alibaba's 100.100.100.200),
  multicast, reserved and documentation ranges — and the cloud metadata addresses that
  are public (Azure's 168.63.129.16). IPv4 addresses inside IPv6 (``::ffff:a.b.c.d``,
  ``64:ff9b::a.b.c.d``) are judged as the IPv4 address they carry.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import anyio
import httpx

from tessera.config import Settings, parse_duration

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Metadata services on addresses that are otherwise global.
PUBLIC_METADATA = (ipaddress.ip_network("168.63.129.16/32"),)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class OutboundRefused(Exception):
    """The URL may not be fetched; the message says why (for logs and error reasons)."""


@dataclass(frozen=True)
class AddressGuard:
    """Which addresses outbound requests may not connect to."""

    denied: tuple[IPNetwork | tuple[IPAddress, IPAddress], ...] = ()
    deny_internal: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressGuard:
        return cls.parse(
            settings.import_ip_deny_list, deny_internal=settings.import_ip_deny_internal
        )

    @classmethod
    def parse(cls, deny_list: str | Iterable[str], *, deny_internal: bool = True) -> AddressGuard:
        """The guard of an ``IMPORT_IP_DENY_LIST`` value; ValueError names a bad entry."""
        entries = deny_list.split(",") if isinstance(deny_list, str) else list(deny_list)
        denied: list[IPNetwork | tuple[IPAddress, IPAddress]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            if entry == "0.0.0.0":
                denied += [ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128")]
                denied += [ipaddress.ip_network(address) for address in own_addresses()]
            elif "-" in entry:
                first, last = (ipaddress.ip_address(part.strip()) for part in entry.split("-", 1))
                denied.append((first, last))
            else:
                denied.append(ipaddress.ip_network(entry, strict=False))
        return cls(tuple(denied), deny_internal)

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` is refused, or None when it may be connected to."""
        judged = _embedded_ipv4(address) or address
        for candidate in {address, judged}:
            for entry in self.denied:
                if isinstance(entry, tuple):
                    first, last = entry
                    inside = candidate.version == first.version and first <= candidate <= last
                else:
                    inside = candidate.version == entry.version and candidate in entry
                if inside:
                    return f"{address} is in IMPORT_IP_DENY_LIST"
        if self.deny_internal and (
            not judged.is_global
            or judged.is_multicast
            or any(judged in net for net in PUBLIC_METADATA)
        ):
            return f"{address} is an internal address (IMPORT_IP_DENY_INTERNAL)"
        return None


def own_addresses() -> set[IPAddress]:
    """The server's own addresses, as far as it can tell: loopback and its host name's."""
    found: set[IPAddress] = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    with contextlib.suppress(OSError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None):
            found.add(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
    return found


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class Outbound:
    """How outbound requests go: the guard, a time limit per step, the redirects allowed."""

    guard: AddressGuard
    timeout: float = 30.0
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbound:
        return cls(
            AddressGuard.from_settings(settings),
            parse_duration(settings.import_timeout).total_seconds(),
            settings.import_max_redirects,
        )

    @contextlib.asynccontextmanager
    async def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The response to GET ``url`` after its redirects, its body not read yet.

        Raises :class:`OutboundRefused` for a URL or address the guard refuses and
        ``httpx.HTTPError`` when the request fails. ``response.url`` is the last hop's URL.
        """
        async with self.request("GET", url, headers) as response:
            yield response

    @contextlib.asynccontextmanager
    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """As :meth:`get`, for any method and a body. A 303 — and a 301 or 302 after
        anything but GET or HEAD — goes on as a GET without the body, as browsers and
        axios do; a 307 or 308 repeats the request as it was."""
        current, method = url, method.upper()
        for _hop in range(self.max_redirects + 1):
            async with self._send(current, headers, method, content) as response:
                location = response.headers.get("location")
                if response.status_code not in _REDIRECTS or not location:
                    yield response
                    return
                current = urljoin(current, location)
                status = response.status_code
                if status == 303 or (status in (301, 302) and method not in ("GET", "HEAD")):
                    method, content = "GET", None
        raise OutboundRefused(f"more than {self.max_redirects} redirects")

    @contextlib.asynccontextmanager
    async def _send(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> AsyncIterator[httpx.Response]:
        target = httpx.URL(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise OutboundRefused(f"only http and https URLs can be fetched, not {url!r}")
        address = await self.resolve(target.host, target.port or _default_port(target))
        pinned = target.copy_with(host=str(address))
        request_headers = {**(headers or {}), "host": _host_header(target)}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        transport = httpx.AsyncHTTPTransport(retries=0)
        async with httpx.AsyncClient(
            transport=transport, trust_env=False, timeout=self.timeout
        ) as client:
            request = client.build_request(
                method, pinned, headers=request_headers, content=content, extensions=extensions
            )
            response = await client.send(request, stream=True)
            # What the caller sees is the URL it asked for, not the pinned address.
            response.request.url = target
            try:
                yield response
            finally:
                await response.aclose()

    async def resolve(self, host: str, port: int) -> IPAddress:
        """The one address a request to ``host`` connects to; every address it has is checked."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as error:
                raise OutboundRefused(f"{host!r} could not be resolved: {error}") from None
            addresses = list(
                dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in found)
            )
            if not addresses:
                raise OutboundRefused(f"{host!r} resolves to no address")
        for address in addresses:
            reason = self.guard.refusal(address)
            if reason is not None:
                raise OutboundRefused(f"{host} resolves to {reason}" if literal is None else reason)
        return addresses[0]


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _host_header(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"
