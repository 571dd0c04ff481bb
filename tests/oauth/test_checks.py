"""Every refusal of the authorization server, each with its RFC 6749 error and status,
and nothing half-written behind it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import sqlalchemy as sa

from oauth_helpers import (
    BASE_URL,
    CALLBACK,
    MCP_URL,
    authorize_url,
    exchange,
    field_value,
    get_code,
    pkce,
    register,
)
from tessera.db.system_tables import directus_oauth_codes, directus_oauth_tokens

pytestmark = pytest.mark.anyio
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


@pytest.fixture
async def tokens(http, browser):
    """A public client's first grant: its registration and token response."""
    client = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    answer = await exchange(http, client["client_id"], got["code"], verifier)
    assert answer.status_code == 200, answer.text
    return client, answer.json()


async def test_metadata_documents(http):
    resource = await http.get("/.well-known/oauth-protected-resource/mcp")
    assert resource.json() == {
        "resource": MCP_URL,
        "authorization_servers": [BASE_URL],
        "scopes_supported": ["mcp:access", "mcp:read"],
        "bearer_methods_supported": ["header"],
    }
    assert resource.headers["access-control-allow-origin"] == "*"
    assert (await http.get("/.well-known/oauth-protected-resource")).json() == resource.json()
    server = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert server["issuer"] == BASE_URL  # no trailing slash
    assert server["registration_endpoint"] == f"{BASE_URL}/mcp-oauth/register"
    assert server["client_id_metadata_document_supported"] is True
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["authorization_response_iss_parameter_supported"] is True
    same = await http.get("/.well-known/oauth-authorization-server/mcp")
    assert same.json() == server


async def test_the_401_points_at_the_metadata(http):
    answer = await http.post("/mcp", json=LIST)
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert f'resource_metadata="{BASE_URL}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert 'scope="mcp:access"' in challenge


async def test_routes_are_absent_without_the_environment_switch(app, http):
    app.state.settings.mcp_oauth_enabled = False
    for path in ("/.well-known/oauth-authorization-server", "/mcp-oauth/authorize"):
        assert (await http.get(path)).status_code == 404
    assert (await http.post("/mcp-oauth/token")).status_code == 404


async def test_the_project_setting_disables_oauth(oauth_db, http):
    from tessera.db.system_tables import directus_settings

    with oauth_db.write() as conn:
        conn.execute(sa.update(directus_settings).values(mcp_oauth_enabled=False))
    answer = await http.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 403
    assert answer.json()["error"] == "mcp_oauth_disabled"
    token = await http.post("/mcp-oauth/token", data={"grant_type": "authorization_code"})
    assert token.json()["error"] == "mcp_oauth_disabled"


async def test_registration_checks(http, oauth_db):
    cases = [
        ({"redirect_uris": [CALLBACK]}, "invalid_client_metadata"),
        ({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri"),
        (
            {"client_name": "x", "redirect_uris": ["https://a.example/cb#frag"]},
            "invalid_redirect_uri",
        ),
        ({"client_name": "x", "redirect_uris": ["myapp://cb"]}, "invalid_redirect_uri"),
        ({"client_name": "x", "redirect_uris": []}, "invalid_redirect_uri"),
        (
            {"client_name": "x", "redirect_uris": [CALLBACK], "grant_types": ["implicit"]},
            "invalid_client_metadata",
        ),
        (
            {"client_name": "x", "redirect_uris": [CALLBACK], "response_types": ["token"]},
            "invalid_client_metadata",
        ),
        (
            {"client_name": "x", "redirect_uris": [CALLBACK], "logo_uri": "http://a.example/l"},
            "invalid_client_metadata",
        ),
    ]
    for body, error in cases:
        answer = await http.post("/mcp-oauth/register", json=body)
        assert answer.status_code == 400, body
        assert answer.json()["error"] == error, body
        assert answer.headers["cache-control"] == "no-store"
    from tessera.db.system_tables import directus_oauth_clients

    with oauth_db.read() as conn:
        assert conn.execute(sa.select(directus_oauth_clients)).first() is None


async def test_redirects_real_clients_use_are_accepted(http):
    client = await register(
        http,
        redirect_uris=[
            "https://chatgpt.com/connector/oauth/abc123",
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "http://localhost/callback",
            "http://[::1]:9000/cb",
        ],
    )
    assert len(client["redirect_uris"]) == 4


async def test_a_confidential_client_authenticates_by_its_method(http, browser):
    client = await register(http, token_endpoint_auth_method="client_secret_basic")
    assert client["client_secret_expires_at"] == 0
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    # Without its secret, it is not authenticated (401 with the Basic challenge).
    bare = await exchange(http, client["client_id"], got["code"], verifier)
    assert bare.status_code == 401
    assert bare.json()["error"] == "invalid_client"
    assert "Basic" in bare.headers["www-authenticate"]
    # The secret in the body is the wrong method for client_secret_basic.
    posted = await exchange(
        http, client["client_id"], got["code"], verifier, client_secret=client["client_secret"]
    )
    assert posted.status_code == 401
    answer = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "refresh_token" in answer.json()


async def test_the_redirect_carries_code_state_and_issuer(http, browser):
    client = await register(http)
    _, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    assert set(got) == {"code", "state", "iss"}
    assert got["state"] == "xyz"
    assert got["iss"] == BASE_URL


async def test_a_wrong_verifier_is_refused_and_the_code_stays_unused(http, browser, oauth_db):
    client = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    wrong = await exchange(http, client["client_id"], got["code"], pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    with oauth_db.read() as conn:
        assert conn.execute(sa.select(directus_oauth_codes.c.used_at)).scalar() is None
    right = await exchange(http, client["client_id"], got["code"], verifier)
    assert right.status_code == 200


async def test_a_replayed_code_is_refused_and_its_grant_revoked(http, browser):
    client = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    first = await exchange(http, client["client_id"], got["code"], verifier)
    access = first.json()["access_token"]
    replay = await exchange(http, client["client_id"], got["code"], verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    after = await http.post("/mcp", json=LIST, headers={"Authorization": f"Bearer {access}"})
    assert after.status_code == 401


async def test_an_expired_code_is_refused(http, browser, oauth_db):
    client = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with oauth_db.write() as conn:
        conn.execute(sa.update(directus_oauth_codes).values(expires_at=past))
    answer = await exchange(http, client["client_id"], got["code"], verifier)
    assert answer.json()["error"] == "invalid_grant"


async def test_the_code_is_bound_to_client_redirect_and_resource(http, browser):
    client = await register(http)
    other = await register(http)
    verifier, challenge = pkce()
    got = await get_code(browser, client["client_id"], challenge)
    stolen = await exchange(http, other["client_id"], got["code"], verifier)
    assert stolen.json()["error"] == "invalid_grant"
    moved = await exchange(
        http, client["client_id"], got["code"], verifier, redirect_uri="http://127.0.0.1:1/x"
    )
    assert moved.json()["error"] == "invalid_grant"
    foreign = await exchange(
        http, client["client_id"], got["code"], verifier, resource="https://other.example/mcp"
    )
    assert foreign.json()["error"] == "invalid_target"
    ok = await exchange(http, client["client_id"], got["code"], verifier)
    assert ok.status_code == 200


async def test_authorize_refusals(http, browser):
    client = await register(http)
    _, challenge = pkce()
    await browser.visit(authorize_url(client["client_id"], challenge))  # signs in first
    # Unknown client or unregistered redirect: shown here, never sent anywhere.
    for url in (
        authorize_url("nope", challenge),
        authorize_url(client["client_id"], challenge, redirect_uri="https://evil.example/cb"),
    ):
        page = await browser.http.get(url)
        assert page.status_code == 400
        assert "location" not in page.headers
    # Everything else goes back to the client with the error, state and issuer.
    cases = {
        "unsupported_response_type": {"response_type": "token"},
        "invalid_request": {"code_challenge_method": "plain"},
        "invalid_scope": {"scope": "admin"},
        "invalid_target": {"resource": "https://other.example/mcp"},
    }
    for error, extra in cases.items():
        page = await browser.http.get(authorize_url(client["client_id"], challenge, **extra))
        assert page.status_code == 302, extra
        query = parse_qs(urlsplit(page.headers["location"]).query)
        assert query["error"] == [error], extra
        assert query["state"] == ["xyz"]
        assert query["iss"] == [BASE_URL]
    missing = await browser.http.get(authorize_url(client["client_id"], None))
    assert parse_qs(urlsplit(missing.headers["location"]).query)["error"] == ["invalid_request"]


async def test_a_loopback_redirect_matches_on_any_port(http, browser):
    client = await register(http)
    _, challenge = pkce()
    landed = await browser.visit(
        authorize_url(client["client_id"], challenge, redirect_uri="http://127.0.0.1:5999/callback")
    )
    assert landed.startswith("http://127.0.0.1:5999/callback?code=")


async def test_deny_sends_access_denied(http, browser):
    client = await register(http)
    _, challenge = pkce()
    browser.approve = False
    landed = await browser.visit(authorize_url(client["client_id"], challenge))
    assert parse_qs(urlsplit(landed).query)["error"] == ["access_denied"]


async def test_consent_without_the_csrf_token_is_refused(http, browser):
    first, second = await register(http), await register(http)
    await browser.visit(authorize_url(first["client_id"], pkce()[1]))  # signs in
    page = await browser.http.get(authorize_url(second["client_id"], pkce()[1]))
    assert page.status_code == 200
    html = page.text
    signed = field_value(html, "signed_params")
    refused = await browser.http.post(
        "/mcp-oauth/authorize/decision", data={"signed_params": signed, "approved": "true"}
    )
    assert refused.status_code == 403
    assert "location" not in refused.headers
    # Nor from another site, even with the token.
    csrf = field_value(html, "csrf")
    cross = await browser.http.post(
        "/mcp-oauth/authorize/decision",
        data={"signed_params": signed, "approved": "true", "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403


async def test_oauth_tokens_only_on_mcp_only_in_the_header_only_for_this_audience(
    http, tokens, oauth_settings
):
    _, answer = tokens
    access = answer["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert (await http.post("/mcp", json=LIST, headers=bearer)).status_code == 200
    # Any other route: refused, whatever the token's user may do there.
    for path in ("/items/articles", "/users/me", "/mcp-oauth/clients"):
        elsewhere = await http.get(path, headers=bearer)
        assert elsewhere.status_code == 403, path
    # Not from the query string.
    query = await http.post(f"/mcp?access_token={access}", json=LIST)
    assert query.status_code == 401
    assert "invalid_token" in query.headers["www-authenticate"]
    # A token minted for another resource (same key, another audience) is refused.
    claims = jwt.decode(access, options={"verify_signature": False})
    claims["aud"] = "https://other.example/mcp"
    forged = jwt.encode(claims, oauth_settings.secret, algorithm="HS256")
    other = await http.post("/mcp", json=LIST, headers={"Authorization": f"Bearer {forged}"})
    assert other.status_code == 401


async def test_refresh_needs_the_refresh_grant_and_its_own_client(http, browser, tokens):
    _client, answer = tokens
    other = await register(http)
    stolen = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": answer["refresh_token"],
            "client_id": other["client_id"],
        },
    )
    assert stolen.json()["error"] == "invalid_grant"
    plain = await register(http, grant_types=["authorization_code"])
    verifier, challenge = pkce()
    got = await get_code(browser, plain["client_id"], challenge)
    issued = (await exchange(http, plain["client_id"], got["code"], verifier)).json()
    assert "refresh_token" not in issued


async def test_token_endpoint_input_errors(http, tokens):
    client, _ = tokens
    cases = [
        ({"client_id": client["client_id"]}, "invalid_request"),
        ({"grant_type": "password", "client_id": client["client_id"]}, "unsupported_grant_type"),
    ]
    for form, error in cases:
        answer = await http.post("/mcp-oauth/token", data=form)
        assert answer.status_code == 400
        assert answer.json()["error"] == error
    doubled = await http.post(
        "/mcp-oauth/token",
        content="grant_type=refresh_token&grant_type=authorization_code",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert doubled.json() == {
        "error": "invalid_request",
        "error_description": "Duplicate parameter: grant_type",
    }
    as_json = await http.post("/mcp-oauth/token", json={"grant_type": "refresh_token"})
    assert as_json.json()["error"] == "invalid_request"
    unknown = await http.post(
        "/mcp-oauth/token", data={"grant_type": "authorization_code", "client_id": "nope"}
    )
    assert unknown.status_code == 401


async def test_the_client_cap(app, http):
    app.state.settings.mcp_oauth_max_clients = 1
    await register(http)
    answer = await http.post(
        "/mcp-oauth/register", json={"client_name": "x", "redirect_uris": [CALLBACK]}
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"


async def test_rate_limits_answer_429_with_retry_after(app, http):
    app.state.settings.rate_limiter_mcp_oauth_registration_points = 2
    body = {"client_name": "x", "redirect_uris": [CALLBACK]}
    codes = [(await http.post("/mcp-oauth/register", json=body)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    limited = await http.post("/mcp-oauth/register", json=body)
    assert limited.json()["error"] == "rate_limit_exceeded"
    assert int(limited.headers["retry-after"]) >= 1
    app.state.settings.rate_limiter_mcp_oauth_points = 1
    del app.state.oauth_limits
    first = await http.post("/mcp-oauth/token", data={"grant_type": "x"})
    second = await http.post("/mcp-oauth/token", data={"grant_type": "x"})
    assert first.status_code == 400
    assert second.status_code == 429


async def test_an_expired_grant_cannot_refresh(http, tokens, oauth_db):
    client, answer = tokens
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with oauth_db.write() as conn:
        conn.execute(sa.update(directus_oauth_tokens).values(expires_at=past))
    refreshed = await http.post(
        "/mcp-oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": answer["refresh_token"],
            "client_id": client["client_id"],
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"
