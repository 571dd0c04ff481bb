"""/auth/login, /auth/refresh and /auth/logout, and how a request names its token."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from tessera.app import create_app
from tessera.errors import InvalidCredentialsError, InvalidPayloadError
from tessera.rest.caller import bearer_token, caller
from tessera.services.bootstrap import bootstrap

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery staple"


@pytest.fixture
def serve(db, settings):
    """Serve the bootstrapped database with some settings changed; yields (app, client)."""

    @contextlib.asynccontextmanager
    async def serving(base_url: str = "http://tessera.test", **changes):
        changed = settings.model_copy(
            update={
                "admin_password": PASSWORD,
                "login_stall_time": 0,
                "secret": "a-test-secret-long-enough-for-hs256-keys",
                **changes,
            }
        )
        bootstrap(db, changed)
        app = create_app(changed, db)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                yield app, client

    return serving


@pytest.fixture
async def client(serve):
    async with serve() as (_app, test_client):
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
            '"mode" must be one of [cookie, json, session]',
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
    # With no mode and no token in the body the cookie is meant (Directus): the new refresh
    # token goes back into the cookie, never into a body that scripts can read.
    implied = await client.post("/auth/refresh", json={})
    assert implied.status_code == 200
    assert set(implied.json()["data"]) == {"access_token", "expires"}
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


def cookie_header(response: httpx.Response) -> str:
    (header,) = response.headers.get_list("set-cookie")
    return header


def request_from(app: Starlette, cookie: str, headers: dict[str, str] | None = None) -> Request:
    raw = [(b"cookie", cookie.encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request(
        {"type": "http", "headers": raw, "query_string": b"", "app": app, "client": ("::1", 9)}
    )


async def test_session_mode_puts_a_session_jwt_in_a_cookie_that_signs_requests_in(serve):
    async with serve() as (app, client):
        response = await login(client, mode="session")
        assert response.status_code == 200
        assert response.json() == {"data": {"expires": 86_400_000}}
        header = cookie_header(response)
        assert header.startswith("directus_session_token=ey")
        for attribute in ("HttpOnly", "Max-Age=86400", "Path=/", "SameSite=lax"):
            assert attribute in header
        assert "Secure" not in header  # plain http, SESSION_COOKIE_SECURE unset

        first = client.cookies["directus_session_token"]
        who = caller(request_from(app, f"directus_session_token={first}"))
        assert who.admin is True
        # An explicit token wins over the cookie: the cookie is not a second method.
        explicit = request_from(
            app, "directus_session_token=garbage", {"Authorization": f"Bearer {first}"}
        )
        assert caller(explicit).user == who.user

        refreshed = await client.post("/auth/refresh", json={"mode": "session"})
        assert refreshed.status_code == 200
        assert refreshed.json() == {"data": {"expires": 86_400_000}}
        second = client.cookies["directus_session_token"]
        assert second != first

        out = await client.post("/auth/logout", json={"mode": "session"})
        assert out.status_code == 204
        assert "directus_session_token" not in client.cookies
        with pytest.raises(InvalidCredentialsError):
            caller(request_from(app, f"directus_session_token={second}"))


async def test_session_cookies_follow_the_settings_and_https(serve):
    changes = {
        "session_cookie_name": "sid",
        "session_cookie_ttl": "2h",
        "session_cookie_same_site": "strict",
        "session_cookie_domain": "example.com",
    }
    async with serve(**changes) as (_app, client):
        header = cookie_header(await login(client, mode="session"))
        assert header.startswith("sid=")
        for attribute in ("Max-Age=7200", "SameSite=strict", "Domain=example.com"):
            assert attribute in header
        assert "Secure" not in header
    async with serve(base_url="https://tessera.test") as (_app, client):
        assert "Secure" in cookie_header(await login(client, mode="session"))
        assert "Secure" in cookie_header(await login(client, mode="cookie"))


async def test_refresh_and_logout_without_a_token_say_where_one_goes(client):
    expected = {
        "code": "INVALID_PAYLOAD",
        "reason": "The refresh token is required in either the payload or cookie",
    }
    for path in ("/auth/refresh", "/auth/logout"):
        for body in ({}, {"mode": "json"}, {"mode": "session"}):
            response = await client.post(path, json=body)
            assert response.status_code == 400
            assert response.json()["errors"][0]["extensions"] == expected
        empty = await client.post(path)
        assert empty.status_code == 400


async def test_too_many_failed_logins_answer_429_with_retry_after(serve):
    async with serve(rate_limiter_login_account_points=2) as (_app, client):
        for _ in range(2):
            failed = await login(client, password="wrong")
            assert failed.status_code == 401
        before = dt.datetime.now(dt.UTC)
        held = await login(client)
        assert held.status_code == 429
        assert held.headers["retry-after"] == "60"
        (error,) = held.json()["errors"]
        # As Directus 12.4 answers it (checked against a running one).
        assert re.fullmatch(r"Too many requests, retry after (60|59)s\.", error["message"])
        assert set(error["extensions"]) == {"code", "limit", "reset"}
        assert error["extensions"]["code"] == "REQUESTS_EXCEEDED"
        assert error["extensions"]["limit"] == 2
        reset = dt.datetime.fromisoformat(error["extensions"]["reset"])
        assert dt.timedelta(seconds=59) < reset - before <= dt.timedelta(seconds=61)
        assert error["extensions"]["reset"].endswith("Z")


async def test_a_session_cookie_that_no_longer_works_is_dropped(serve):
    async with serve() as (_app, client):
        await login(client, mode="session")
        session = client.cookies["directus_session_token"]
        await client.post("/auth/logout", json={"mode": "session"})
        client.cookies.set("directus_session_token", session)
        response = await client.get("/users/me")
        assert response.status_code == 401
        dropped = response.headers["set-cookie"]
        assert dropped.startswith('directus_session_token=""')
        assert "Max-Age=0" in dropped
        client.cookies.clear()
        plain = await client.get("/users/me", headers={"Authorization": "Bearer nope"})
        assert plain.status_code == 401
        assert "set-cookie" not in plain.headers  # no cookie sent, none to drop
