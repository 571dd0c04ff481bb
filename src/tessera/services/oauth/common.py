"""Small helpers the OAuth modules share: hashes, time, scopes, the resource's URLs."""

from __future__ import annotations

import datetime as dt
import hashlib

from tessera.config import Settings

#: Full access, as in Directus; and Tessera's read-only grant.
SCOPE_ACCESS = "mcp:access"
SCOPE_READ = "mcp:read"
SCOPES = (SCOPE_ACCESS, SCOPE_READ)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def issuer(settings: Settings, fallback: str) -> str:
    """PUBLIC_URL without its trailing slash, or ``fallback`` (the request's origin) when
    PUBLIC_URL is relative. Clients compare the issuer byte for byte."""
    public = settings.public_url
    if public.startswith(("http://", "https://")):
        return public.rstrip("/")
    return fallback.rstrip("/")


def resource(settings: Settings, fallback: str) -> str:
    """The one protected resource: ``<issuer>/mcp``."""
    return issuer(settings, fallback) + "/mcp"


def parse_scope(value: str | None) -> list[str]:
    return [part for part in (value or "").split(" ") if part]
