"""What every OAuth route checks first: the switches, then the per-IP rate limit."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from tessera.admin.render import origin_of
from tessera.config import Settings
from tessera.errors import RouteNotFoundError
from tessera.services.oauth.common import issuer, resource
from tessera.services.oauth.errors import OAuthError
from tessera.services.oauth.switches import Switches, read_switches
from tessera.services.rate_limit import SlidingWindow

CORS = {"Access-Control-Allow-Origin": "*"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def disabled() -> OAuthError:
    return OAuthError("mcp_oauth_disabled", "MCP OAuth is disabled in project settings.", 403)


@dataclass
class Limits:
    """Requests per client IP: ``general`` for authorize, token and revoke; ``registration``."""

    general: SlidingWindow | None
    registration: SlidingWindow | None


def require_routes(request: Request) -> Settings:
    """The settings; a 404 when the environment keeps OAuth off."""
    settings: Settings = request.app.state.settings
    if not (settings.mcp_enabled and settings.mcp_oauth_enabled):
        path = request.url.path
        raise RouteNotFoundError(f"Route {path} doesn't exist.", path=path)
    return settings


def switches(request: Request) -> Switches:
    return read_switches(request.app.state.db, request.app.state.settings)


def limit(request: Request, pool: str) -> None:
    """Count this request against its IP; 429 ``rate_limit_exceeded`` past the limit."""
    limits = _limits(request)
    window = getattr(limits, pool)
    ip = request.client.host if request.client else None
    if window is None or ip is None:
        return
    wait = window.wait(ip)
    if wait > 0:
        raise OAuthError(
            "rate_limit_exceeded",
            "Too many requests",
            429,
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    window.add(ip)


def issuer_of(request: Request) -> str:
    return issuer(request.app.state.settings, origin_of(request))


def resource_of(request: Request) -> str:
    return resource(request.app.state.settings, origin_of(request))


def error_json(error: OAuthError, extra: Mapping[str, str] | None = None) -> JSONResponse:
    headers = {**CORS, **(extra or {}), **error.headers}
    return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)


def json_answer(
    content: Any, status: int = 200, extra: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers={**CORS, **(extra or {})})


def _limits(request: Request) -> Limits:
    state = request.app.state
    limits = getattr(state, "oauth_limits", None)
    if limits is None:
        settings: Settings = state.settings
        general = registration = None
        if settings.rate_limiter_mcp_oauth_enabled:
            general = SlidingWindow(
                settings.rate_limiter_mcp_oauth_points, settings.rate_limiter_mcp_oauth_duration
            )
        if settings.rate_limiter_mcp_oauth_registration_enabled:
            registration = SlidingWindow(
                settings.rate_limiter_mcp_oauth_registration_points,
                settings.rate_limiter_mcp_oauth_registration_duration,
            )
        limits = state.oauth_limits = Limits(general, registration)
    return limits
