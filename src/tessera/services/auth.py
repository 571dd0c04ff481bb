"""Signing in and out, refreshing, and turning a token into the caller.

Sessions are rows of ``directus_sessions`` (the refresh token is the key), so any
instance serving the database can refresh or end them. A failed sign-in always
takes at least ``LOGIN_STALL_TIME`` and checks a password hash even when the email
is unknown, so neither timing nor the answer tells whether an account exists; a
suspended account is only named once its password was right.

Repeated failures are held back three ways. Per client IP and per email (known or
not), failed sign-ins within a sliding window answer REQUESTS_EXCEEDED (429) once
``RATE_LIMITER_LOGIN_POINTS`` / ``RATE_LIMITER_LOGIN_ACCOUNT_POINTS`` are spent; a
success clears the email's window, never the IP's, so one valid account cannot
launder guesses at others. And, as in Directus, an account whose failures in a row
reach the ``auth_login_attempts`` setting is suspended at its next attempt. These
counters are kept in this process's memory (see :mod:`tessera.services.rate_limit`).

Secrets are never compared in Python here: passwords go through argon2's verify, JWT
signatures through PyJWT (``hmac.compare_digest``). Static and refresh tokens are
looked up by value in the database, like Directus does; an index lookup is not
constant-time, which is accepted: the tokens are long and random, so the timing of
a miss tells an attacker nothing they can build a guess on.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.passwords import hash_password, verify_password
from tessera.access.resolve import CallerCache, resolve_accountability
from tessera.access.tokens import (
    issue_access_token,
    looks_like_access_token,
    read_access_token,
)
from tessera.config import Settings, ensure_secret, parse_duration
from tessera.db.engine import Database
from tessera.db.system_tables import directus_sessions, directus_settings, directus_users
from tessera.errors import (
    ForbiddenError,
    InvalidCredentialsError,
    InvalidPayloadError,
    InvalidTokenError,
    RequestsExceededError,
    UserSuspendedError,
)
from tessera.services.activity import Revision, record
from tessera.services.flows.auth_events import AuthEvents
from tessera.services.flows.events import EventFlows
from tessera.services.flows.pending import write_with_flows
from tessera.services.rate_limit import Clock, FailureRun, SlidingWindow

#: ``directus_settings.auth_login_attempts`` before the settings row exists (its default).
DEFAULT_LOGIN_ATTEMPTS = 25
TOKEN_REQUIRED = "The refresh token is required in either the payload or cookie"
#: The caller behind a token, built once: every request runs one of them, and SQLAlchemy
#: reuses a prebuilt statement's cache key (a statement built per call costs three times
#: as much as the lookup).
_CALLER = sa.select(directus_users.c.id, directus_users.c.status, directus_users.c.role)
_USER_BY_TOKEN = _CALLER.where(
    directus_users.c.token == sa.bindparam("key", type_=directus_users.c.token.type)
)
_USER_BY_ID = _CALLER.where(
    directus_users.c.id == sa.bindparam("key", type_=directus_users.c.id.type)
)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so that path costs what a real check costs."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Client:
    """Where a request came from, for sessions, activity, rate limits and IP-limited policies."""

    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class Tokens:
    #: A JWT; in session mode it carries the ``session`` claim and is the session cookie.
    access_token: str
    #: The session's key: the refresh token, or in session mode the session the JWT names.
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
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock = time.monotonic,
        *,
        events: EventFlows | None = None,
    ) -> None:
        self.db = db
        #: The ``auth.login`` and ``auth.jwt`` event flows (see :mod:`.flows.auth_events`).
        self.events = AuthEvents(events) if events is not None else None
        self.callers = CallerCache()
        self.settings = settings
        self.secret = ensure_secret(settings)
        self.access_ttl = parse_duration(settings.access_token_ttl)
        self.refresh_ttl = parse_duration(settings.refresh_token_ttl)
        self.session_ttl = parse_duration(settings.session_cookie_ttl)
        self.grace_period = parse_duration(settings.session_refresh_grace_period)
        #: Failed sign-ins per client IP (``ip``) and per email (``account``).
        self.windows: dict[str, SlidingWindow] = {}
        if settings.rate_limiter_login_enabled:
            self.windows = {
                "ip": SlidingWindow(
                    settings.rate_limiter_login_points, settings.rate_limiter_login_duration, clock
                ),
                "account": SlidingWindow(
                    settings.rate_limiter_login_account_points,
                    settings.rate_limiter_login_account_duration,
                    clock,
                ),
            }
        #: Each account's failures in a row, for ``auth_login_attempts``.
        self.failures = FailureRun()

    def login(
        self, email: str, password: str, client: Client = Client(), *, session: bool = False
    ) -> Tokens:
        """Sign in; with ``session`` the access token is a session JWT (``SESSION_COOKIE_TTL``)."""
        for name, value in (("email", email), ("password", password)):
            if not isinstance(value, str) or not value:
                raise InvalidPayloadError(f'"{name}" is required')
        account = email.strip().lower()
        keys = {"ip": client.ip, "account": account}
        self._hold_back(keys)
        started = time.monotonic()
        attempt = None
        if self.events is not None:
            attempt = self.events.login(email, password, _accountability(None, client))
            email, password = attempt.email, attempt.password
        try:
            user = self._check_password(email.strip().lower(), password, client)
        except (InvalidCredentialsError, UserSuspendedError) as error:
            for kind, window in self.windows.items():
                if (key := keys[kind]) is not None:
                    window.add(key)
            if attempt is not None:
                attempt.failed(error)
            self._stall(started)
            raise
        if "account" in self.windows:
            self.windows["account"].reset(account)
        with write_with_flows(self.db) as conn:
            tokens = self._open_session(conn, user, client, session, kind="login")
            conn.execute(
                sa.update(directus_users)
                .where(directus_users.c.id == user)
                .values(last_access=_now())
            )
            record(
                conn,
                _accountability(user, client),
                action="login",
                collection="directus_users",
                changes=[Revision(user)],
                tracking="activity",
            )
            _forget_expired_sessions(conn, user)
        if attempt is not None:
            attempt.succeeded(user)
        return tokens

    def refresh(
        self, refresh_token: str | None, client: Client = Client(), *, session: bool = False
    ) -> Tokens:
        """A new token for a live session.

        Without ``session`` the old refresh token stops working at once. With it (the
        session cookie), the old session lives on for ``SESSION_REFRESH_GRACE_PERIOD``
        and refreshing it again in that time gives the same new session, as in Directus:
        a browser's requests racing a refresh do not sign the user out.
        """
        if not isinstance(refresh_token, str) or not refresh_token:
            raise InvalidPayloadError(TOKEN_REQUIRED)
        sessions = directus_sessions
        with write_with_flows(self.db) as conn:
            row = conn.execute(
                sa.select(sessions.c.user, sessions.c.expires, sessions.c.next_token).where(
                    sessions.c.token == refresh_token, sessions.c.oauth_client.is_(None)
                )
            ).first()
            if row is None or row.user is None or _aware(row.expires) < _now():
                raise InvalidCredentialsError()
            status = conn.execute(
                sa.select(directus_users.c.status).where(directus_users.c.id == row.user)
            ).scalar()
            if status == "active":
                if session:
                    key = self._rotate_session(conn, refresh_token, row, client)
                else:
                    conn.execute(sa.delete(sessions).where(sessions.c.token == refresh_token))
                    key = None
                tokens = self._open_session(
                    conn, row.user, client, session, key=key, kind="refresh"
                )
                _forget_expired_sessions(conn, row.user)
                return tokens
            conn.execute(sa.delete(sessions).where(sessions.c.token == refresh_token))
        raise UserSuspendedError() if status == "suspended" else InvalidCredentialsError()

    def logout(self, refresh_token: str | None) -> None:
        """End the session; a token that ends nothing is fine (as in Directus)."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise InvalidPayloadError(TOKEN_REQUIRED)
        with self.db.write() as conn:
            conn.execute(
                sa.delete(directus_sessions).where(directus_sessions.c.token == refresh_token)
            )

    def session_key(self, token: str | None) -> str | None:
        """The session a session JWT names (None when ``token`` is not one of our JWTs).

        A JWT that is expired or not ours answers TOKEN_EXPIRED or INVALID_TOKEN.
        """
        if not token or not looks_like_access_token(token):
            return None
        session = read_access_token(self.secret, token).get("session")
        return session if isinstance(session, str) else None

    def authenticate(
        self,
        token: str | None,
        client: Client = Client(),
        *,
        resource: str | None = None,
        in_header: bool = True,
    ) -> Accountability:
        """The caller behind a token (None: an unauthenticated caller).

        An OAuth access token (a JWT with ``aud``) is taken only where ``resource`` is
        given — /mcp — only from the Authorization header (``in_header``), and only when
        its audience is exactly that resource; anywhere else it is FORBIDDEN, as behind
        Directus's ``mcp-oauth-guard``.
        """
        with self.db.read() as conn:
            claims = None
            if token and looks_like_access_token(token):
                claims = read_access_token(self.secret, token)
                if "aud" in claims:
                    return self._oauth_caller(conn, claims, client, resource, in_header)
            user, role = self._user_for(conn, token, claims) if token else (None, None)
            return self.callers.resolve(
                conn, user, role, ip=client.ip, user_agent=client.user_agent, origin=client.origin
            )

    def _oauth_caller(
        self,
        conn: Connection,
        claims: dict[str, Any],
        client: Client,
        resource: str | None,
        in_header: bool,
    ) -> Accountability:
        """An OAuth grant's caller: its live session (one lookup) names the client."""
        if resource is None:
            raise ForbiddenError("OAuth access tokens are only accepted by /mcp")
        if not in_header or claims["aud"] != resource or not isinstance(claims.get("scope"), str):
            # 401, so /mcp answers with the challenge (MCP authorization: invalid token).
            raise InvalidCredentialsError()
        sessions, users = directus_sessions, directus_users
        found = conn.execute(
            sa.select(sessions.c.expires, sessions.c.oauth_client, users.c.status, users.c.role)
            .join(users, users.c.id == sessions.c.user)
            .where(
                sessions.c.token == str(claims.get("session")),
                sessions.c.user == claims["id"],
                sessions.c.oauth_client.is_not(None),
            )
        ).first()
        if found is None or _aware(found.expires) < _now() or found.status != "active":
            raise InvalidCredentialsError()
        role = str(found.role) if found.role is not None else None
        who = self.callers.resolve(
            conn,
            claims["id"],
            role,
            ip=client.ip,
            user_agent=client.user_agent,
            origin=client.origin,
        )
        scopes = frozenset(claims["scope"].split())
        return replace(who, oauth_client=found.oauth_client, scopes=scopes)

    def _hold_back(self, keys: dict[str, str | None]) -> None:
        """REQUESTS_EXCEEDED when this IP or this email has failed too often lately."""
        refused = [
            (window.wait(key), window.limit)
            for kind, window in self.windows.items()
            if (key := keys[kind]) is not None
        ]
        wait, limit = max(refused, default=(0.0, 0))
        if wait > 0:
            raise RequestsExceededError(limit, wait)

    def _check_password(self, email: str, password: str, client: Client) -> str:
        """The user ``email`` and ``password`` sign in as; suspends at too many failures."""
        users = directus_users
        with self.db.read() as conn:
            user = conn.execute(
                sa.select(
                    users.c.id,
                    users.c.first_name,
                    users.c.last_name,
                    users.c.email,
                    users.c.password,
                    users.c.status,
                    users.c.role,
                    users.c.provider,
                ).where(sa.func.lower(users.c.email) == email)
            ).first()
            allowed = _login_attempts(conn)
        stored = user.password if user is not None else None
        matches = verify_password(stored or _dummy_hash(), password) and bool(stored)
        if user is None or user.provider != "default":
            raise InvalidCredentialsError()
        status = user.status
        if status == "active" and allowed is not None and self.failures.count(user.id) >= allowed:
            self._suspend(user, client)
            status = "suspended"
        if not matches:
            if status == "active":
                self.failures.add(user.id)
            raise InvalidCredentialsError()
        if status != "active":
            raise UserSuspendedError() if status == "suspended" else InvalidCredentialsError()
        self.failures.reset(user.id)
        return str(user.id)

    def _suspend(self, user: Any, client: Client) -> None:
        """Directus's answer to ``auth_login_attempts`` failures in a row.

        Directus suspends at the attempt after them but still signs that attempt in
        when its password is right, handing out tokens of a suspended user; here the
        attempt is refused like any attempt on a suspended account.
        """
        users = directus_users
        with self.db.write() as conn:
            changed = conn.execute(
                sa.update(users)
                .where(users.c.id == user.id, users.c.status == "active")
                .values(status="suspended")
            ).rowcount
            if changed:
                after = {**user._asdict(), "status": "suspended"}
                del after["password"]
                record(
                    conn,
                    _accountability(str(user.id), client),
                    action="update",
                    collection="directus_users",
                    changes=[Revision(user.id, data=after, delta={"status": "suspended"})],
                )
        self.failures.reset(user.id)

    def _user_for(
        self, conn: Connection, token: str, claims: dict[str, Any] | None = None
    ) -> tuple[str, str | None]:
        """The active user behind ``token`` (a JWT when its ``claims`` are given), and role."""
        if claims is not None:
            user = claims["id"]
            if "session" in claims and not _session_is_live(conn, claims["session"], user):
                raise InvalidCredentialsError()
            found = conn.execute(_USER_BY_ID, {"key": user}).first()
        else:
            found = conn.execute(_USER_BY_TOKEN, {"key": token}).first()
        if found is None:
            if claims is not None:
                raise InvalidTokenError()
            raise InvalidCredentialsError()
        if found.status != "active":
            raise InvalidCredentialsError()
        return str(found.id), (str(found.role) if found.role is not None else None)

    def _rotate_session(self, conn: Connection, old: str, row: Any, client: Client) -> str:
        """The session that follows ``old``, made once; ``old`` ends after the grace period."""
        sessions = directus_sessions
        expires = _now() + self.session_ttl
        following = row.next_token
        if following is None:
            new = secrets.token_urlsafe(48)
            claimed = conn.execute(
                sa.update(sessions)
                .where(sessions.c.token == old, sessions.c.next_token.is_(None))
                .values(next_token=new, expires=_now() + self.grace_period)
            ).rowcount
            if claimed:
                conn.execute(
                    sa.insert(sessions).values(
                        token=new,
                        user=row.user,
                        expires=expires,
                        ip=client.ip,
                        user_agent=client.user_agent,
                        origin=client.origin,
                    )
                )
                return new
            # A concurrent refresh of ``old`` made the following session first.
            following = conn.execute(
                sa.select(sessions.c.next_token).where(sessions.c.token == old)
            ).scalar()
        conn.execute(
            sa.update(sessions).where(sessions.c.token == following).values(expires=expires)
        )
        return str(following)

    def _open_session(
        self,
        conn: Connection,
        user: str,
        client: Client,
        session: bool,
        *,
        key: str | None = None,
        kind: str,
    ) -> Tokens:
        """Tokens for ``user``: a new session, unless ``key`` names one already made.

        A new session lasts ``REFRESH_TOKEN_TTL`` in every mode, as Directus's login
        makes it; a session-mode JWT lasts ``SESSION_COOKIE_TTL`` and names the session.
        """
        if key is None:
            key = secrets.token_urlsafe(48)
            conn.execute(
                sa.insert(directus_sessions).values(
                    token=key,
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
        custom = None
        if self.events is not None:
            custom = functools.partial(
                self.events.claims, conn, kind=kind, who=_accountability(None, client)
            )
        issued = issue_access_token(
            self.secret,
            user=user,
            role=row.role if row is not None else None,
            app_access=who.app,
            admin_access=who.admin,
            ttl=self.session_ttl if session else self.access_ttl,
            session=key if session else None,
            custom=custom,
        )
        return Tokens(issued.token, key, issued.expires)

    def _stall(self, started: float) -> None:
        remaining = self.settings.login_stall_time / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)


def _login_attempts(conn: Connection) -> int | None:
    """The ``auth_login_attempts`` setting: failures in a row allowed; None for no limit."""
    row = conn.execute(sa.select(directus_settings.c.auth_login_attempts).limit(1)).first()
    return DEFAULT_LOGIN_ATTEMPTS if row is None else row.auth_login_attempts


def _session_is_live(conn: Connection, key: Any, user: str) -> bool:
    """Whether the session a session JWT names still exists for its user (Directus checks)."""
    sessions = directus_sessions
    expires = conn.execute(
        sa.select(sessions.c.expires).where(
            sessions.c.token == str(key),
            sessions.c.user == user,
            sessions.c.share.is_(None),
            sessions.c.oauth_client.is_(None),
        )
    ).scalar()
    return expires is not None and _aware(expires) >= _now()


def _forget_expired_sessions(conn: Connection, user: str) -> None:
    """Drop ``user``'s ended sessions (each session-mode refresh leaves one behind)."""
    sessions = directus_sessions
    conn.execute(sa.delete(sessions).where(sessions.c.user == user, sessions.c.expires < _now()))


def _accountability(user: str | None, client: Client) -> Accountability:
    return Accountability(
        user=user, ip=client.ip, user_agent=client.user_agent, origin=client.origin
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
