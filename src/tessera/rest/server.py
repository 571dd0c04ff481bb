"""``/server/*``: ping, health, public information and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tessera.rest.caller import caller
from tessera.services.openapi import openapi_document
from tessera.services.server import health, public_info


def ping(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("pong")


def health_check(request: Request) -> JSONResponse:
    report = health(request.app.state.db, request.app.state.settings)
    return JSONResponse(
        report,
        status_code=503 if report["status"] == "error" else 200,
        media_type="application/health+json",
        headers={"Cache-Control": "no-cache"},
    )


def info(request: Request) -> JSONResponse:
    return JSONResponse({"data": public_info(request.app.state.db)})


def openapi_spec(request: Request) -> JSONResponse:
    """The caller's OpenAPI document; its server is PUBLIC_URL, or this request's origin."""
    state = request.app.state
    public_url = state.settings.public_url
    server_url = (str(request.base_url) if public_url == "/" else public_url).rstrip("/")
    return JSONResponse(openapi_document(state.db, state.schema, caller(request), server_url))


routes = [
    Route("/server/ping", ping, methods=["GET"]),
    Route("/server/health", health_check, methods=["GET"]),
    Route("/server/info", info, methods=["GET"]),
    Route("/server/specs/oas", openapi_spec, methods=["GET"]),
]
