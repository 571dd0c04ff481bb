"""OAuth clients: dynamic registration (RFC 7591), lookup, authentication at the token
endpoint, and removal (which ends everything the client holds)."""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.config import Settings
from tessera.db.system_tables import directus_oauth_clients, directus_sessions
from tessera.services.oauth.common import now, sha256
from tessera.services.oauth.errors import OAuthError, invalid_client
from tessera.services.oauth.redirects import check_redirect

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECTS = 10
MAX_NAME = 200
OPTIONAL_URIS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_name: str
    redirect_uris: list[str]
    grant_types: list[str]
    token_endpoint_auth_method: str
    registration_type: str
    client_secret_hash: str | None = None

    @property
    def refreshes(self) -> bool:
        """Only a client that registered the refresh_token grant gets refresh tokens."""
        return "refresh_token" in self.grant_types


def client_metadata(
    body: Mapping[str, Any], settings: Settings, *, cimd: bool = False
) -> dict[str, Any]:
    """The checked metadata of a registration or a metadata document (the row's values)."""
    name = body.get("client_name")
    if not isinstance(name, str) or not name.strip():
        raise _metadata("client_name is required")
    if len(name) > MAX_NAME:
        raise _metadata(f"client_name must be at most {MAX_NAME} characters")
    uris = body.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise OAuthError("invalid_redirect_uri", "redirect_uris must be a non-empty array")
    if len(uris) > MAX_REDIRECTS:
        raise OAuthError("invalid_redirect_uri", f"At most {MAX_REDIRECTS} redirect_uris")
    checked = [check_redirect(uri, settings) for uri in uris]
    grants = body.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grants, list)
        or not grants
        or not all(isinstance(g, str) for g in grants)
        or "authorization_code" not in grants
    ):
        raise _metadata("grant_types must be an array including authorization_code")
    unknown = [g for g in grants if g not in GRANT_TYPES]
    if unknown:
        raise _metadata(f"Unsupported grant_type: {unknown[0]}")
    if "response_types" in body and body["response_types"] != ["code"]:
        raise _metadata('response_types must be ["code"]')
    default_method = "none" if cimd else "client_secret_basic"
    method = body.get("token_endpoint_auth_method", default_method)
    allowed = ("none",) if cimd else AUTH_METHODS
    if method not in allowed:
        raise _metadata(f"token_endpoint_auth_method must be one of {', '.join(allowed)}")
    values: dict[str, Any] = {
        "client_name": name.strip(),
        "redirect_uris": checked,
        "grant_types": list(dict.fromkeys(grants)),
        "token_endpoint_auth_method": method,
    }
    for key in OPTIONAL_URIS:
        uri = body.get(key)
        if uri is None:
            continue
        if not isinstance(uri, str) or not uri.startswith("https://") or len(uri) > 255:
            raise _metadata(f"{key} must be an HTTPS URL")
        values[key] = uri
    return values


def register(conn: Connection, body: object, settings: Settings) -> dict[str, Any]:
    """A new DCR client; the answer of RFC 7591 §3.2.1 (the secret is shown only here)."""
    if not isinstance(body, dict):
        raise _metadata("The body must be a JSON object")
    values = client_metadata(body, settings)
    check_capacity(conn, settings)
    client_id = str(uuid.uuid4())
    issued = now()
    secret = None
    if values["token_endpoint_auth_method"] != "none":
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    conn.execute(
        sa.insert(directus_oauth_clients).values(
            client_id=client_id,
            registration_type="dcr",
            client_secret_hash=sha256(secret) if secret else None,
            date_created=issued,
            **values,
        )
    )
    answer: dict[str, Any] = {
        "client_id": client_id,
        "client_name": values["client_name"],
        "redirect_uris": values["redirect_uris"],
        "grant_types": values["grant_types"],
        "response_types": ["code"],
        "token_endpoint_auth_method": values["token_endpoint_auth_method"],
        "client_id_issued_at": int(issued.timestamp()),
    }
    answer |= {key: values[key] for key in OPTIONAL_URIS if key in values}
    if secret is not None:
        answer |= {"client_secret": secret, "client_secret_expires_at": 0}
    return answer


def check_capacity(conn: Connection, settings: Settings) -> None:
    cap = settings.mcp_oauth_max_clients
    if not cap:
        return
    count = conn.execute(sa.select(sa.func.count()).select_from(directus_oauth_clients)).scalar()
    if (count or 0) >= cap:
        raise OAuthError(
            "temporarily_unavailable", "The maximum number of registered clients is reached", 503
        )


def find(conn: Connection, client_id: str) -> OAuthClient | None:
    c = directus_oauth_clients
    row = conn.execute(sa.select(c).where(c.c.client_id == client_id)).first()
    if row is None:
        return None
    return OAuthClient(
        client_id=row.client_id,
        client_name=row.client_name,
        redirect_uris=list(row.redirect_uris or []),
        grant_types=list(row.grant_types or []),
        token_endpoint_auth_method=row.token_endpoint_auth_method,
        registration_type=row.registration_type,
        client_secret_hash=row.client_secret_hash,
    )


def authenticate(
    conn: Connection,
    form: Mapping[str, str],
    basic: tuple[str, str] | None,
    *,
    unknown_is_invalid: bool = True,
) -> OAuthClient:
    """The client a token or revocation request comes from, authenticated strictly by the
    method it registered: ``none`` sends no secret at all, ``client_secret_basic`` only the
    Authorization header, ``client_secret_post`` only ``client_secret`` in the body."""
    body_id = form.get("client_id")
    body_secret = form.get("client_secret")
    if basic is not None and body_id is not None and body_id != basic[0]:
        raise OAuthError("invalid_request", "client_id does not match the Authorization header")
    client_id = basic[0] if basic is not None else body_id
    if not client_id:
        raise OAuthError("invalid_request", "client_id is required")
    client = find(conn, client_id)
    if client is None:
        raise invalid_client()
    method = client.token_endpoint_auth_method
    if method == "none":
        if basic is not None or body_secret is not None:
            raise invalid_client()
        return client
    if method == "client_secret_basic":
        if basic is None or body_secret is not None:
            raise invalid_client()
        secret = basic[1]
    else:
        if basic is not None or body_secret is None:
            raise invalid_client()
        secret = body_secret
    stored = client.client_secret_hash or ""
    if not hmac.compare_digest(sha256(secret), stored):
        raise invalid_client()
    return client


def remove(conn: Connection, client_id: str) -> bool:
    """Delete a client: its consents, codes and grants go by cascade, its sessions here."""
    conn.execute(sa.delete(directus_sessions).where(directus_sessions.c.oauth_client == client_id))
    c = directus_oauth_clients
    return bool(conn.execute(sa.delete(c).where(c.c.client_id == client_id)).rowcount)


def _metadata(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)
