"""What the OAuth tests share: the app's addresses, a scripted browser, and the SDK's
OAuth client wired to it (imported by tests/oauth; fixtures are in its conftest)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

BASE_URL = "http://127.0.0.1:8055"
MCP_URL = f"{BASE_URL}/mcp"
ADMIN_EMAIL = "admin@example.com"
READER_EMAIL = "reader@example.com"
PASSWORD = "correct horse battery staple"
ADMIN_TOKEN = "oauth-admin-static-token"
CALLBACK = "http://127.0.0.1:33418/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def field_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field on the page"
    return unescape(found.group(1))


@dataclass
class Browser:
    """A person at a browser: a cookie jar, following redirects within the app."""

    http: httpx.AsyncClient
    email: str = ADMIN_EMAIL
    read_only: bool = False
    approve: bool = True
    #: Every page seen, by kind (login, consent, ...), for assertions.
    pages: list[str] = field(default_factory=list)
    landed: str | None = None

    async def visit(self, url: str) -> str:
        """Go to ``url`` and act until the app sends the browser off to the client; the
        client's redirect URL is returned."""
        response = await self.http.get(url)
        for _ in range(10):
            if response.status_code in (302, 303):
                location = response.headers["location"]
                if not location.startswith(("/", BASE_URL)):
                    self.landed = location
                    return location
                response = await self.http.get(location)
                continue
            html = response.text
            if 'action="/mcp-oauth/login"' in html:
                self.pages.append("login")
                response = await self.http.post(
                    "/mcp-oauth/login",
                    data={
                        "csrf": field_value(html, "csrf"),
                        "redirect": field_value(html, "redirect"),
                        "email": self.email,
                        "password": PASSWORD,
                    },
                )
                continue
            if 'action="/mcp-oauth/authorize/decision"' in html:
                self.pages.append("consent")
                data = {
                    "csrf": field_value(html, "csrf"),
                    "signed_params": field_value(html, "signed_params"),
                    "approved": "true" if self.approve else "false",
                }
                if self.read_only:
                    data["read_only"] = "true"
                response = await self.http.post("/mcp-oauth/authorize/decision", data=data)
                continue
            raise AssertionError(f"unexpected page {response.status_code}: {html[:500]}")
        raise AssertionError("too many steps")


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class SdkClient:
    """The SDK's OAuth client, its storage, and the browser it sends the user to."""

    provider: OAuthClientProvider
    storage: MemoryStorage
    browser: Browser


def make_provider(browser: Browser, storage: MemoryStorage, **metadata: Any) -> OAuthClientProvider:
    redirected: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        redirected["to"] = await browser.visit(url)

    async def callback_handler() -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(redirected["to"]).query)
        if "error" in query:
            raise AssertionError(f"authorization refused: {query}")
        return AuthorizationCodeResult(
            code=query["code"][0], state=query["state"][0], iss=query.get("iss", [None])[0]
        )

    fields = {
        "client_name": "SDK test client",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **metadata,
    }
    return OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=OAuthClientMetadata.model_validate(fields),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )


async def register(http, **fields):
    body = {
        "client_name": "Test client",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
        **fields,
    }
    answer = await http.post("/mcp-oauth/register", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def authorize_url(client_id, challenge, **extra):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
        "resource": MCP_URL,
        "scope": "mcp:access",
        **extra,
    }
    return "/mcp-oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


async def get_code(browser: Browser, client_id: str, challenge: str, **extra) -> dict:
    landed = await browser.visit(authorize_url(client_id, challenge, **extra))
    return {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}


async def exchange(http, client_id, code, verifier, **extra):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": client_id,
        "resource": MCP_URL,
        **extra,
    }
    return await http.post("/mcp-oauth/token", data={k: v for k, v in form.items() if v})
