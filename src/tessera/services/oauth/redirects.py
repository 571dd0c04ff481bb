"""Which redirect URIs a client may register, and whether one given at authorize matches.

Directus's policy (``utils/redirect.ts``): at most 255 characters, absolute, no fragment,
no user info; a configured custom scheme (``cursor://cursor.mcp``: scheme and host, no
port); otherwise ``https``, or ``http`` on a loopback host. The optional HTTPS host
allowlist does not apply to loopback or custom-scheme redirects. At authorize a
registered URI must match exactly, except that a loopback one matches on any port
(RFC 8252 §7.3: native apps listen on whatever port is free).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from tessera.config import Settings
from tessera.services.oauth.errors import OAuthError

MAX_LENGTH = 255
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_redirect(uri: object, settings: Settings) -> str:
    """``uri`` when a client may register it; ``invalid_redirect_uri`` says why not."""
    if not isinstance(uri, str) or not uri:
        raise _invalid("redirect_uri must be a non-empty string")
    if len(uri) > MAX_LENGTH:
        raise _invalid(f"redirect_uri must be at most {MAX_LENGTH} characters")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise _invalid("redirect_uri must be an absolute URL") from None
    if not parts.scheme or not (parts.netloc or parts.path):
        raise _invalid("redirect_uri must be an absolute URL")
    if "#" in uri:
        raise _invalid("redirect_uri must not contain a fragment")
    if "@" in parts.netloc:
        raise _invalid("redirect_uri must not contain credentials")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if _custom_allowed(parts, settings):
            return uri
        raise _invalid(f"redirect_uri scheme {scheme}: is not allowed")
    if is_loopback(parts):
        return uri
    if scheme != "https":
        raise _invalid("redirect_uri must use HTTPS (except for localhost)")
    domains = settings.mcp_oauth_redirect_domains
    if domains and not host_allowed(parts.hostname or "", domains):
        raise _invalid("redirect_uri host is not in the allowed redirect domains")
    return uri


def matches(given: str, registered: Sequence[str]) -> bool:
    """Whether ``given`` is one of ``registered``: exactly, or a loopback one on another port."""
    if given in registered:
        return True
    try:
        parts = urlsplit(given)
        if not is_loopback(parts):
            return False
        for uri in registered:
            other = urlsplit(uri)
            if is_loopback(other) and _without_port(parts) == _without_port(other):
                return True
    except ValueError:
        return False
    return False


def is_loopback(parts: SplitResult) -> bool:
    return parts.scheme.lower() in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


def is_ip_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """``host`` equals a pattern, or is a subdomain of a ``*.example.com`` one."""
    host = host.lower()
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def _custom_allowed(parts: SplitResult, settings: Settings) -> bool:
    if parts.port is not None:
        return False
    authority = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}"
    return authority in settings.mcp_oauth_custom_redirects


def _without_port(parts: SplitResult) -> tuple[str, str | None, str, str]:
    return (parts.scheme.lower(), parts.hostname, parts.path, parts.query)


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_redirect_uri", description)
