"""Client ID Metadata Documents: a ``client_id`` that is the HTTPS URL of the client's
metadata, fetched behind an SSRF guard and cached as its headers say.

The fetch goes through :mod:`tessera.services.outbound`: the host resolved once, every
address checked against the import deny list (private, loopback, link-local and metadata
addresses refused), the connection pinned to the checked address. No redirects, no proxy,
3 s in all, at most 5,120 bytes, JSON only; ``If-None-Match`` revalidates.
A document that cannot be fetched again when stale stops the client (stale metadata
is never used), as in Directus.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import anyio.from_thread
import httpx
import sqlalchemy as sa

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_oauth_clients
from tessera.services.oauth.clients import check_capacity, client_metadata
from tessera.services.oauth.common import aware, now
from tessera.services.oauth.errors import OAuthError
from tessera.services.oauth.redirects import host_allowed, is_ip_host
from tessera.services.outbound import AddressGuard, Outbound, OutboundRefused

MAX_BYTES = 5120
TIMEOUT = 3.0
DEFAULT_TTL = dt.timedelta(hours=1)
MIN_TTL = dt.timedelta(minutes=5)
MAX_TTL = dt.timedelta(hours=24)
_JSON = re.compile(r"^application/([\w.+-]+\+)?json$")


@dataclass(frozen=True)
class Fetched:
    """A document fetched (``document`` None: 304, the stored one is still good)."""

    document: dict[str, Any] | None
    etag: str | None
    ttl: dt.timedelta


Fetcher = Callable[[str, str | None], Fetched]


def is_cimd_url(client_id: str, settings: Settings) -> bool:
    return client_id.startswith("https://") or (
        settings.mcp_oauth_cimd_allow_http and client_id.startswith("http://")
    )


def check_url(client_id: str, settings: Settings) -> None:
    """The URL rules: canonical, a path, no query, fragment, credentials, IP or blocked TLD."""
    bad = OAuthError("invalid_client", "Invalid client_id metadata document URL")
    if len(client_id) > 255:
        raise bad
    try:
        parts = urlsplit(client_id)
        port = parts.port
    except ValueError:
        raise bad from None
    host = parts.hostname or ""
    canonical = urlunsplit(
        (parts.scheme.lower(), _netloc(host, port, parts.scheme), parts.path, "", "")
    )
    if (
        canonical != client_id
        or parts.path in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or any(seg in (".", "..") for seg in parts.path.split("/"))
        or is_ip_host(host)
        or "." not in host
        or host.rsplit(".", 1)[1] in settings.mcp_oauth_cimd_tlds
    ):
        raise bad
    allowed = settings.mcp_oauth_cimd_domains
    if allowed and not host_allowed(host, allowed):
        raise bad


def resolve_client(db: Database, client_id: str, settings: Settings, fetch: Fetcher) -> None:
    """Make sure the row for a CIMD ``client_id`` is present and fresh, fetching if not.

    The fetch happens between two short transactions, never inside one: a slow document
    host must not hold the database's write lock.
    """
    check_url(client_id, settings)
    c = directus_oauth_clients
    with db.read() as conn:
        row = conn.execute(
            sa.select(c.c.registration_type, c.c.metadata_expires_at, c.c.metadata_etag).where(
                c.c.client_id == client_id
            )
        ).first()
        if row is not None and row.registration_type != "cimd":
            raise OAuthError("invalid_client", "Invalid client_id")
        if row is not None and row.metadata_expires_at and aware(row.metadata_expires_at) > now():
            return
        if row is None:
            check_capacity(conn, settings)
    try:
        fetched = fetch(client_id, row.metadata_etag if row is not None else None)
    except OAuthError:
        raise
    except Exception:
        raise _refused("The client metadata document could not be fetched") from None
    fetched_at = now()
    values: dict[str, Any] = {
        "metadata_fetched_at": fetched_at,
        "metadata_expires_at": fetched_at + fetched.ttl,
        "metadata_etag": fetched.etag,
    }
    if fetched.document is None:
        if row is None:
            raise _refused("The client metadata document could not be fetched")
    else:
        values |= _checked(fetched.document, client_id, settings)
    with db.write() as conn:
        if conn.execute(sa.update(c).where(c.c.client_id == client_id).values(**values)).rowcount:
            return
        if "client_name" not in values:  # a 304 for a row removed meanwhile
            raise _refused("The client metadata document could not be fetched")
        conn.execute(sa.insert(c).values(client_id=client_id, registration_type="cimd", **values))


def _checked(document: dict[str, Any], client_id: str, settings: Settings) -> dict[str, Any]:
    """The row's values from a fetched document, or ``invalid_client`` saying what is wrong."""
    if document.get("client_id") != client_id:
        raise _refused("The metadata document's client_id is not its URL")
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise _refused("A metadata document must not carry a client secret")
    try:
        return client_metadata(document, settings, cimd=True)
    except OAuthError as exc:
        raise _refused(exc.description) from None


def guarded_fetcher(settings: Settings) -> Fetcher:
    """The real fetch, through :class:`~tessera.services.outbound.Outbound` (the SSRF guard
    of ``IMPORT_IP_DENY_LIST``/``IMPORT_IP_DENY_INTERNAL``, no redirects), within 3 s."""
    outbound = Outbound(AddressGuard.from_settings(settings), TIMEOUT, max_redirects=0)

    def fetch(url: str, etag: str | None) -> Fetched:
        try:
            return anyio.from_thread.run(_fetch, outbound, url, etag)
        except anyio.NoEventLoopError:  # called outside the server's worker threads
            return anyio.run(_fetch, outbound, url, etag)

    return fetch


async def _fetch(outbound: Outbound, url: str, etag: str | None) -> Fetched:
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        with anyio.fail_after(TIMEOUT):
            async with outbound.get(url, headers) as response:
                if response.status_code == 304 and etag:
                    return Fetched(None, etag, cache_ttl(response.headers))
                if response.status_code != 200:
                    raise _refused("The client metadata document was not found")
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not _JSON.match(kind):
                    raise _refused("The client metadata document is not JSON")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise _refused("The client metadata document is too large")
                fetched_etag = response.headers.get("etag")
                ttl = cache_ttl(response.headers)
    except OutboundRefused as exc:
        raise _refused(f"The client metadata document cannot be fetched: {exc}") from None
    except (httpx.HTTPError, TimeoutError):
        raise _refused("The client metadata document could not be fetched") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise _refused("The client metadata document is not JSON") from None
    if not isinstance(document, dict):
        raise _refused("The client metadata document is not an object")
    return Fetched(document, fetched_etag, ttl)


def _refused(description: str) -> OAuthError:
    return OAuthError("invalid_client", description)


def cache_ttl(headers: httpx.Headers | dict[str, str]) -> dt.timedelta:
    """How long a document is good: ``max-age`` (5 min to 24 h) or ``Expires``; none for
    ``no-store`` or a bare ``no-cache``; an hour when the headers say nothing."""
    control = (headers.get("cache-control") or "").lower()
    directives = {part.strip().split("=")[0]: part.strip() for part in control.split(",")}
    if "no-store" in directives or "no-cache" in directives:
        return dt.timedelta(0)
    if "max-age" in directives:
        try:
            seconds = int(directives["max-age"].split("=", 1)[1])
        except (IndexError, ValueError):
            return DEFAULT_TTL
        return min(max(dt.timedelta(seconds=seconds), MIN_TTL), MAX_TTL)
    expires = headers.get("expires")
    if expires:
        try:
            moment = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return dt.timedelta(0)
        return min(max(aware(moment) - now(), dt.timedelta(0)), MAX_TTL)
    return DEFAULT_TTL


def _netloc(host: str, port: int | None, scheme: str) -> str:
    default = 443 if scheme.lower() == "https" else 80
    return host if port is None or port == default else f"{host}:{port}"
