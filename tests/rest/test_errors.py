import logging

import pytest
from starlette.routing import Route

from asgi_client import serving
from tessera.app import create_app
from tessera.errors import FailedValidationError, ForbiddenError

pytestmark = pytest.mark.anyio


def failing_app(db, settings, exc):
    def fail(_request):
        raise exc

    app = create_app(settings, db)
    app.router.routes.append(Route("/fail", fail))
    return app


async def test_unknown_route_is_route_not_found(client):
    response = await client.get("/nowhere/1")

    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "message": "Route /nowhere/1 doesn't exist.",
                "extensions": {"code": "ROUTE_NOT_FOUND", "path": "/nowhere/1"},
            }
        ]
    }


async def test_wrong_method_is_method_not_allowed_with_allow_header(client):
    response = await client.post("/server/ping")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {
        "errors": [
            {
                "message": 'Invalid method "POST" used. Should be one of "GET", "HEAD".',
                "extensions": {
                    "code": "METHOD_NOT_ALLOWED",
                    "allowed": ["GET", "HEAD"],
                    "current": "POST",
                },
            }
        ]
    }


async def test_a_tessera_error_becomes_the_envelope_with_its_status(db, settings):
    async with serving(failing_app(db, settings, ForbiddenError())) as client:
        response = await client.get("/fail")

    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "message": "You don't have permission to access this.",
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    }


async def test_any_other_error_is_a_generic_500_logged_with_its_traceback(db, settings, caplog):
    app = failing_app(db, settings, RuntimeError("secret detail"))
    with caplog.at_level(logging.ERROR, logger="tessera.rest"):
        async with serving(app) as client:
            response = await client.get("/fail")

    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {
                "message": "An unexpected error occurred.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ]
    }
    assert "secret detail" not in response.text
    (record,) = [r for r in caplog.records if r.name == "tessera.rest"]
    assert record.exc_info is not None
    assert "GET /fail" in record.getMessage()


async def test_a_failed_validation_lists_every_failure_as_its_own_error(db, settings):
    failures = [
        {"field": "title", "path": [], "type": "required"},
        {"field": "rating", "path": [], "type": "lte", "valid": 5},
    ]
    async with serving(failing_app(db, settings, FailedValidationError(failures))) as client:
        response = await client.get("/fail")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": 'Validation failed for field "title". Value is required.',
                "extensions": {
                    "code": "FAILED_VALIDATION",
                    "field": "title",
                    "path": [],
                    "type": "required",
                },
            },
            {
                "message": (
                    'Validation failed for field "rating". '
                    'Value has to be less than or equal to "5".'
                ),
                "extensions": {
                    "code": "FAILED_VALIDATION",
                    "field": "rating",
                    "path": [],
                    "type": "lte",
                    "valid": 5,
                },
            },
        ]
    }
