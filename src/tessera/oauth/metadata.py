"""RFC 9728 protected-resource and RFC 8414 authorization-server metadata.

Both are served at the root well-known path and with ``/mcp`` inserted (clients try
the path-inserted one first). The issuer is PUBLIC_URL without a trailing slash:
clients compare it byte for byte with the URL they built.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.oauth.gate import (
    disabled,
    error_json,
    issuer_of,
    json_answer,
    require_routes,
    resource_of,
    switches,
)
from tessera.services.oauth.common import SCOPES


async def protected_resource(request: Request) -> Response:
    require_routes(request)
    if not (await run_in_threadpool(switches, request)).enabled:
        return error_json(disabled())
    return json_answer(
        {
            "resource": resource_of(request),
            "authorization_servers": [issuer_of(request)],
            "scopes_supported": list(SCOPES),
            "bearer_methods_supported": ["header"],
        }
    )


async def authorization_server(request: Request) -> Response:
    require_routes(request)
    on = await run_in_threadpool(switches, request)
    if not on.enabled:
        return error_json(disabled())
    base = issuer_of(request)
    methods = ["none", "client_secret_basic", "client_secret_post"]
    document = {
        "issuer": base,
        "authorization_endpoint": f"{base}/mcp-oauth/authorize",
        "token_endpoint": f"{base}/mcp-oauth/token",
        "revocation_endpoint": f"{base}/mcp-oauth/revoke",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(SCOPES),
        "response_modes_supported": ["query"],
        "authorization_response_iss_parameter_supported": True,
    }
    if on.dcr:
        document["registration_endpoint"] = f"{base}/mcp-oauth/register"
    if on.cimd:
        document["client_id_metadata_document_supported"] = True
    return json_answer(document)


routes = [
    Route("/.well-known/oauth-protected-resource", protected_resource, methods=["GET"]),
    Route("/.well-known/oauth-protected-resource/mcp", protected_resource, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", authorization_server, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server/mcp", authorization_server, methods=["GET"]),
]
