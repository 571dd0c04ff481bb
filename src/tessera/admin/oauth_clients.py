"""Registered OAuth clients, for admins: the list, one client with who approved it, and
revocation. The pages exist only when the environment turns MCP and its OAuth on, as the
OAuth routes do; the rules (admins only, what revoking ends) are the service's, shared
with ``/mcp-oauth/clients`` and the CLI.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.views import Visit, admin_page
from tessera.errors import ForbiddenError, RouteNotFoundError
from tessera.services.oauth import apps

PATH = "/admin/oauth-clients"
CONNECTED_APPS = "/mcp-oauth/apps"


def client_path(client_id: str) -> str:
    """A client's page; a metadata-document client's id is a URL, so it is quoted whole."""
    return f"{PATH}/{quote(client_id, safe='')}"


def _require_oauth(visit: Visit) -> None:
    settings = visit.state.settings
    if not (settings.mcp_enabled and settings.mcp_oauth_enabled):
        path = visit.request.url.path
        raise RouteNotFoundError(f"Route {path} doesn't exist.", path=path)


def _unknown(visit: Visit, client_id: str) -> Response:
    return visit.render(
        "refused.html",
        404,
        section=PATH,
        title="No such client",
        message=f"No OAuth client {client_id} is registered; it may have been revoked.",
    )


@admin_page
def list_clients(visit: Visit) -> Response:
    _require_oauth(visit)
    with visit.state.db.read() as conn:
        found = apps.list_clients(conn, visit.caller)
    for client in found:
        client["path"] = client_path(client["client_id"])
    return visit.render(
        "oauth_clients.html", section=PATH, clients=found, connected_apps=CONNECTED_APPS
    )


@admin_page
def show_client(visit: Visit) -> Response:
    _require_oauth(visit)
    client_id = visit.request.path_params["client_id"]
    try:
        with visit.state.db.read() as conn:
            client = apps.get_client(conn, client_id, visit.caller)
            grants = apps.client_grants(conn, client_id, visit.caller)
    except ForbiddenError:
        if not visit.caller.admin:
            raise
        return _unknown(visit, client_id)
    for grant in grants:
        if grant["email"]:
            filters = {"user": grant["email"], "origin": "mcp"}
            grant["activity"] = "/admin/activity?" + urlencode(filters)
    return visit.render(
        "oauth_client.html",
        section=PATH,
        client=client,
        grants=grants,
        calls="/admin/activity?" + urlencode({"origin": f"oauth:{client_id}"}),
    )


@admin_page
def revoke_client(visit: Visit) -> Response:
    _require_oauth(visit)
    client_id = visit.form.get("client_id", "")
    try:
        with visit.state.db.write() as conn:
            apps.revoke_client(conn, client_id, visit.caller)
    except ForbiddenError:
        if not visit.caller.admin:
            raise
        return _unknown(visit, client_id)
    return visit.done(PATH, "client-revoked")


routes: list[BaseRoute] = [
    Route(PATH, list_clients, methods=["GET"]),
    Route(PATH + "/revoke", revoke_client, methods=["POST"]),
    Route(PATH + "/{client_id:path}", show_client, methods=["GET"]),
]
