"""/auth/login, /auth/refresh and /auth/logout, and how a request names its token."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from asgi_client import serving
from tessera.app import create_app
from tessera.errors import InvalidPayloadError
from tessera.rest.caller import bearer_token
from tessera.services.bootstrap import bootstrap

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def client(db, settings):
    settings = settings.model_copy(
        update={
            "admin_password": PASSWORD,
            "login_stall_time": 0,
            "secret": "a-test-secret-long-enough-for-hs256-keys",
        }
    )
    bootstrap(db, settings)
    async with serving(create_app(settings, db)) as test_client:
        yield test_client


async def login(client, **extra):
    return await client.post(
        "/auth/login", json={"email": "admin@example.com", "password": PASSWORD, **extra}
    )


async def test_login_answers_a_token_pair_in_the_directus_envelope(client):
    response = await login(client)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"access_token", "refresh_token", "expires"}
    assert data["expires"] == 900_000


async def test_wrong_credentials_are_401_invalid_credentials(client):
    response = await client.post(
        "/auth/login", json={"email": "admin@example.com", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {"message": "Invalid user credentials.", "extensions": {"code": "INVALID_CREDENTIALS"}}
        ]
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"email": "admin@example.com"}, '"password" is required'),
        (
            {"email": "a@b.c", "password": "x", "mode": "token"},
            '"mode" must be one of json, cookie',
        ),
    ],
)
async def test_bad_bodies_are_invalid_payload(client, body, reason):
    response = await client.post("/auth/login", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INVALID_PAYLOAD",
        "reason": reason,
    }
    not_json = await client.post("/auth/login", content=b"{nope")
    assert not_json.status_code == 400


async def test_refresh_then_logout(client):
    first = (await login(client)).json()["data"]
    refreshed = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    second = refreshed.json()["data"]
    assert second["refresh_token"] != first["refresh_token"]

    stale = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stale.status_code == 401
    assert stale.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"

    out = await client.post("/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert out.status_code == 204
    gone = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert gone.status_code == 401


async def test_cookie_mode_keeps_the_refresh_token_in_an_http_only_cookie(client):
    response = await login(client, mode="cookie")
    assert response.status_code == 200
    assert "refresh_token" not in response.json()["data"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("directus_refresh_token=")
    assert "HttpOnly" in cookie

    refreshed = await client.post("/auth/refresh", json={"mode": "cookie"})
    assert refreshed.status_code == 200
    stolen = client.cookies["directus_refresh_token"]
    out = await client.post("/auth/logout", json={})
    assert out.status_code == 204
    assert "directus_refresh_token" not in client.cookies  # the cookie is cleared
    again = await client.post("/auth/refresh", json={"refresh_token": stolen})
    assert again.status_code == 401  # and the session it named is over


def request_with(headers: dict[str, str], query: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "query_string": query.encode()})


def test_a_token_comes_from_the_header_or_the_query_but_not_both():
    assert bearer_token(request_with({"Authorization": "Bearer abc"})) == "abc"
    assert bearer_token(request_with({}, "access_token=xyz")) == "xyz"
    assert bearer_token(request_with({"Authorization": "Basic abc"})) is None
    assert bearer_token(request_with({})) is None
    with pytest.raises(InvalidPayloadError, match="more than one method"):
        bearer_token(request_with({"Authorization": "Bearer abc"}, "access_token=xyz"))
