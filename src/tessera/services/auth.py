"""Signing in and out, refreshing, and turning a bearer token into the caller.

Sessions are rows of ``directus_sessions`` (the refresh token is the key), so any
instance serving the database can refresh or end them. A failed sign-in always
takes at least ``LOGIN_STALL_TIME`` and checks a password hash even when the email
is unknown, so neither timing nor the answer tells whether an account exists; a
suspended account is only named once its password was right.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.passwords import hash_password, verify_password
from tessera.access.resolve import resolve_accountability
from tessera.access.tokens import (
    issue_access_token,
    looks_like_access_token,
    read_access_token,
)
from tessera.config import Settings, ensure_secret, parse_duration
from tessera.db.engine import Database
from tessera.db.system_tables import directus_sessions, directus_users
from tessera.errors import (
    InvalidCredentialsError,
    InvalidPayloadError,
    InvalidTokenError,
    UserSuspendedError,
)
from tessera.services.activity import Revision, record


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so that path costs what a real check costs."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Client:
    """Where a request came from, for sessions, activity and IP-limited policies."""

    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    #: Milliseconds until the access token expires.
    expires: int

    def to_api(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires": self.expires,
        }


class AuthService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.secret = ensure_secret(settings)
        self.access_ttl = parse_duration(settings.access_token_ttl)
        self.refresh_ttl = parse_duration(settings.refresh_token_ttl)

    def login(self, email: str, password: str, client: Client = Client()) -> Tokens:
        for name, value in (("email", email), ("password", password)):
            if not isinstance(value, str) or not value:
                raise InvalidPayloadError(f'"{name}" is required')
        started = time.monotonic()
        users = directus_users
        with self.db.write() as conn:
            user = conn.execute(
                sa.select(users.c.id, users.c.password, users.c.status, users.c.provider).where(
                    sa.func.lower(users.c.email) == email.strip().lower()
                )
            ).first()
            stored = user.password if user is not None else None
            matches = verify_password(stored or _dummy_hash(), password) and bool(stored)
            if user is None or not matches or user.provider != "default":
                self._stall(started)
                raise InvalidCredentialsError()
            if user.status != "active":
                self._stall(started)
                if user.status == "suspended":
                    raise UserSuspendedError()
                raise InvalidCredentialsError()
            tokens = self._open_session(conn, user.id, client)
            conn.execute(sa.update(users).where(users.c.id == user.id).values(last_access=_now()))
            record(
                conn,
                Accountability(
                    user=user.id, ip=client.ip, user_agent=client.user_agent, origin=client.origin
                ),
                action="login",
                collection="directus_users",
                changes=[Revision(user.id)],
                tracking="activity",
            )
        return tokens

    def refresh(self, refresh_token: str, client: Client = Client()) -> Tokens:
        """A new pair for a live session; the old refresh token stops working."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise InvalidPayloadError('"refresh_token" is required')
        sessions = directus_sessions
        with self.db.write() as conn:
            session = conn.execute(
                sa.select(sessions.c.user, sessions.c.expires).where(
                    sessions.c.token == refresh_token
                )
            ).first()
            if session is None or session.user is None or _aware(session.expires) < _now():
                raise InvalidCredentialsError()
            status = conn.execute(
                sa.select(directus_users.c.status).where(directus_users.c.id == session.user)
            ).scalar()
            if status != "active":
                conn.execute(sa.delete(sessions).where(sessions.c.token == refresh_token))
                raise UserSuspendedError() if status == "suspended" else InvalidCredentialsError()
            conn.execute(sa.delete(sessions).where(sessions.c.token == refresh_token))
            return self._open_session(conn, session.user, client)

    def logout(self, refresh_token: str) -> None:
        """End the session; a token that ends nothing is fine (as in Directus)."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise InvalidPayloadError('"refresh_token" is required')
        with self.db.write() as conn:
            conn.execute(
                sa.delete(directus_sessions).where(directus_sessions.c.token == refresh_token)
            )

    def authenticate(self, token: str | None, client: Client = Client()) -> Accountability:
        """The caller behind a bearer token (None: an unauthenticated caller)."""
        with self.db.read() as conn:
            user = self._user_for(conn, token) if token else None
            return resolve_accountability(
                conn, user, ip=client.ip, user_agent=client.user_agent, origin=client.origin
            )

    def _user_for(self, conn: Connection, token: str) -> str:
        users = directus_users
        if looks_like_access_token(token):
            claims = read_access_token(self.secret, token)
            user = claims["id"]
            where = users.c.id == user
        else:
            where = users.c.token == token
        found = conn.execute(sa.select(users.c.id, users.c.status).where(where)).first()
        if found is None:
            if looks_like_access_token(token):
                raise InvalidTokenError()
            raise InvalidCredentialsError()
        if found.status != "active":
            raise InvalidCredentialsError()
        return str(found.id)

    def _open_session(self, conn: Connection, user: str, client: Client) -> Tokens:
        refresh_token = secrets.token_urlsafe(48)
        conn.execute(
            sa.insert(directus_sessions).values(
                token=refresh_token,
                user=user,
                expires=_now() + self.refresh_ttl,
                ip=client.ip,
                user_agent=client.user_agent,
                origin=client.origin,
            )
        )
        row = conn.execute(
            sa.select(directus_users.c.role).where(directus_users.c.id == user)
        ).first()
        who = resolve_accountability(conn, user, ip=client.ip)
        issued = issue_access_token(
            self.secret,
            user=user,
            role=row.role if row is not None else None,
            app_access=who.app,
            admin_access=who.admin,
            ttl=self.access_ttl,
        )
        return Tokens(issued.token, refresh_token, issued.expires)

    def _stall(self, started: float) -> None:
        remaining = self.settings.login_stall_time / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
