"""``/server/*``: ping, health and public information."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

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


routes = [
    Route("/server/ping", ping, methods=["GET"]),
    Route("/server/health", health_check, methods=["GET"]),
    Route("/server/info", info, methods=["GET"]),
]
