"""Every route of the admin app, and its static files (a stylesheet and two small scripts)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tessera.admin import (
    activity,
    content,
    home,
    mcp_settings,
    oauth_clients,
    permissions,
    policies,
    records,
    roles,
    session,
    users,
)
from tessera.admin.views import HOME, LOGIN


def _local(target: str | None) -> str:
    """Only the admin app's and the OAuth pages' own paths are places to go after sign-in."""
    if target and target.startswith(("/admin", "/mcp-oauth/")) and not target.startswith("//"):
        return target
    return HOME


async def login_page(request: Request) -> Response:
    return await session.login_form(request, LOGIN, _local)


async def login(request: Request) -> Response:
    return await session.login(request, LOGIN, _local)


async def logout(request: Request) -> Response:
    return await session.logout(request, LOGIN)


routes: list[BaseRoute] = [
    Route(LOGIN, login_page, methods=["GET"]),
    Route(LOGIN, login, methods=["POST"]),
    Route("/admin/logout", logout, methods=["POST"]),
    Route(HOME, home.home, methods=["GET"]),
    *content.routes,
    *mcp_settings.routes,
    *records.routes,
    *users.routes,
    *roles.routes,
    *policies.routes,
    *permissions.routes,
    *oauth_clients.routes,
    *activity.routes,
    Mount("/admin/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]
