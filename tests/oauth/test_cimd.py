"""Client ID Metadata Documents: a URL as the client_id, fetched behind the SSRF guard."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from oauth_helpers import ADMIN_EMAIL, CALLBACK, MCP_URL, PASSWORD, field_value, pkce
from tessera.config import Settings
from tessera.db.system_tables import directus_oauth_clients, directus_settings
from tessera.services.oauth import cimd
from tessera.services.oauth.errors import OAuthError

pytestmark = pytest.mark.anyio
CLIENT_URL = "https://client.example.com/oauth/metadata.json"


def document(**fields):
    return {
        "client_id": CLIENT_URL,
        "client_name": "Metadata client",
        "redirect_uris": [CALLBACK],
        **fields,
    }


class FakeFetch:
    def __init__(self, doc, ttl=dt.timedelta(hours=1)):
        self.doc, self.ttl, self.calls = doc, ttl, []

    def __call__(self, url, etag):
        self.calls.append((url, etag))
        if isinstance(self.doc, Exception):
            raise self.doc
        return cimd.Fetched(self.doc, '"v1"', self.ttl)


def url_for(client_id=CLIENT_URL):
    return "/mcp-oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "code_challenge": pkce()[1],
            "code_challenge_method": "S256",
            "resource": MCP_URL,
            "state": "s",
        }
    )


async def test_a_metadata_document_client_is_fetched_and_authorized(app, browser, oauth_db):
    fetch = app.state.cimd_fetch = FakeFetch(document())
    landed = await browser.visit(url_for())
    assert "code" in parse_qs(urlsplit(landed).query)
    assert fetch.calls == [(CLIENT_URL, None)]
    with oauth_db.read() as conn:
        row = conn.execute(sa.select(directus_oauth_clients)).one()
    assert row.registration_type == "cimd"
    assert row.token_endpoint_auth_method == "none"
    assert row.metadata_etag == '"v1"'
    # Cached: the next authorization does not fetch again.
    await browser.visit(url_for())
    assert len(fetch.calls) == 1


async def test_a_stale_document_is_fetched_again_and_a_failure_blocks(app, browser):
    app.state.cimd_fetch = FakeFetch(document(), ttl=dt.timedelta(0))
    await browser.visit(url_for())
    app.state.cimd_fetch = FakeFetch(OSError("down"))
    page = await browser.http.get(url_for())
    assert page.status_code == 400
    assert "could not be fetched" in page.text


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (document(client_id="https://other.example.com/m.json"), "not its URL"),
        (document(client_secret="s"), "client secret"),
        (document(token_endpoint_auth_method="client_secret_basic"), "token_endpoint_auth"),
        (document(redirect_uris=["http://evil.example.com/cb"]), "HTTPS"),
    ],
)
async def test_bad_documents_are_refused(app, browser, doc, reason):
    app.state.cimd_fetch = FakeFetch(doc)
    await _sign_in(browser)
    page = await browser.http.get(url_for())
    assert page.status_code == 400
    assert reason in page.text


async def test_cimd_is_off_without_its_setting(app, browser, oauth_db):
    with oauth_db.write() as conn:
        conn.execute(sa.update(directus_settings).values(mcp_oauth_cimd_enabled=False))
    app.state.cimd_fetch = FakeFetch(document())
    await _sign_in(browser)
    page = await browser.http.get(url_for())
    assert page.status_code == 400
    assert "CIMD client registration is disabled" in page.text


@pytest.mark.parametrize(
    "url",
    [
        "https://client.example.com/",
        "https://client.example.com/a?x=1",
        "https://client.example.com/a/../b",
        "https://user@client.example.com/a",
        "https://127.0.0.1/a",
        "https://client.localhost/a",
        "https://CLIENT.example.com/a",
        "https://client.example.com:443/a",
    ],
)
def test_client_id_urls_must_be_canonical_and_public(url, settings: Settings):
    with pytest.raises(OAuthError):
        cimd.check_url(url, settings)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/client.json",
        "https://127.0.0.1/client.json",
        "http://169.254.169.254/latest/meta-data",
        "https://[::1]/client.json",
        "https://[::ffff:10.0.0.1]/client.json",
        "https://localhost/client.json",
    ],
)
def test_the_fetch_refuses_private_addresses(url, settings: Settings):
    with pytest.raises(OAuthError, match="cannot be fetched"):
        cimd.guarded_fetcher(settings)(url, None)


def test_cache_lifetimes_follow_the_headers():
    assert cimd.cache_ttl({"cache-control": "max-age=60"}) == dt.timedelta(minutes=5)
    assert cimd.cache_ttl({"cache-control": "public, max-age=7200"}) == dt.timedelta(hours=2)
    assert cimd.cache_ttl({"cache-control": "max-age=999999"}) == dt.timedelta(hours=24)
    assert cimd.cache_ttl({"cache-control": "no-store"}) == dt.timedelta(0)
    assert cimd.cache_ttl({}) == dt.timedelta(hours=1)


async def _sign_in(browser):
    page = await browser.http.get("/mcp-oauth/login")
    answer = await browser.http.post(
        "/mcp-oauth/login",
        data={
            "csrf": field_value(page.text, "csrf"),
            "redirect": "/mcp-oauth/apps",
            "email": ADMIN_EMAIL,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303


class _Documents(http.server.BaseHTTPRequestHandler):
    """Serves ``/client.json`` (ETag ``"v1"``, 304 when it matches) and ``/big.json``."""

    def do_GET(self) -> None:
        if self.path == "/big.json":
            body = json.dumps({"padding": "x" * 6000}).encode()
        else:
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            body = json.dumps({"client_id": self.server.client_id}).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", '"v1"')
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_real_fetch_caps_and_revalidates(settings: Settings):
    """Against a loopback server, with the guard told to allow internal addresses."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.client_id = f"{base}/client.json"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fetch = cimd.guarded_fetcher(
            settings.model_copy(
                update={"import_ip_deny_internal": False, "import_ip_deny_list": ""}
            )
        )
        fetched = fetch(f"{base}/client.json", None)
        assert fetched.document == {"client_id": f"{base}/client.json"}
        assert fetched.etag == '"v1"'
        assert fetched.ttl == dt.timedelta(minutes=10)
        assert fetch(f"{base}/client.json", '"v1"').document is None
        with pytest.raises(OAuthError, match="too large"):
            fetch(f"{base}/big.json", None)
        # The default guard refuses the same server.
        with pytest.raises(OAuthError, match="cannot be fetched"):
            cimd.guarded_fetcher(settings)(f"{base}/client.json", None)
    finally:
        server.shutdown()
