"""Signing in, refreshing, signing out, and bearer tokens, on both databases."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import jwt
import pytest
import sqlalchemy as sa

from tessera.access.passwords import hash_password
from tessera.access.tokens import issue_access_token
from tessera.config import load_settings
from tessera.db.system_tables import (
    directus_access,
    directus_activity,
    directus_policies,
    directus_roles,
    directus_sessions,
    directus_users,
)
from tessera.errors import (
    InvalidCredentialsError,
    InvalidPayloadError,
    InvalidTokenError,
    TokenExpiredError,
    UserSuspendedError,
)
from tessera.services.auth import AuthService, Client

SECRET = "a-test-secret-long-enough-for-hs256-keys"
CLIENT = Client(ip="203.0.113.9", user_agent="pytest", origin="https://app.example")


@pytest.fixture
def people(db):
    ids = {name: str(uuid.uuid4()) for name in ("role", "policy", "ada", "sus")}
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=ids["role"], name="Editors"))
        conn.execute(
            sa.insert(directus_policies).values(
                id=ids["policy"], name="Editors", app_access=True, admin_access=False
            )
        )
        conn.execute(
            sa.insert(directus_access).values(
                id=str(uuid.uuid4()), role=ids["role"], policy=ids["policy"]
            )
        )
        conn.execute(
            sa.insert(directus_users),
            [
                {
                    "id": ids["ada"],
                    "email": "Ada@Example.com",
                    "password": hash_password("pw-1"),
                    "status": "active",
                    "role": ids["role"],
                    "token": "ada-static-token",
                },
                {
                    "id": ids["sus"],
                    "email": "sus@example.com",
                    "password": hash_password("pw-2"),
                    "status": "suspended",
                    "role": None,
                    "token": "sus-static-token",
                },
            ],
        )
    return ids


def service(db, **overrides):
    settings = load_settings(
        env_file=None, **{"secret": SECRET, "login_stall_time": 0, **overrides}
    )
    return AuthService(db, settings)


def test_login_gives_a_token_pair_opens_a_session_and_is_logged(db, people):
    tokens = service(db).login("ada@example.COM", "pw-1", CLIENT)

    claims = jwt.decode(tokens.access_token, SECRET, algorithms=["HS256"], issuer="directus")
    assert claims["id"] == people["ada"]
    assert claims["role"] == people["role"]
    assert (claims["app_access"], claims["admin_access"]) == (True, False)
    assert tokens.expires == 15 * 60 * 1000
    with db.read() as conn:
        session = conn.execute(sa.select(directus_sessions)).one()
        activity = conn.execute(sa.select(directus_activity)).one()
        last_access = conn.execute(
            sa.select(directus_users.c.last_access).where(directus_users.c.id == people["ada"])
        ).scalar()
    assert session.token == tokens.refresh_token
    assert (session.user, session.ip, session.user_agent) == (
        people["ada"],
        "203.0.113.9",
        "pytest",
    )
    expires = session.expires if session.expires.tzinfo else session.expires.replace(tzinfo=dt.UTC)
    assert (
        dt.timedelta(days=6, hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    )
    assert (activity.action, activity.collection, activity.item) == (
        "login",
        "directus_users",
        people["ada"],
    )
    assert last_access is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.com", "wrong"), ("nobody@example.com", "pw-1"), ("", "x"), ("a@b.c", "")],
)
def test_bad_credentials_are_refused_alike(db, people, email, password):
    expected = InvalidPayloadError if not (email and password) else InvalidCredentialsError
    with pytest.raises(expected):
        service(db).login(email, password)
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(directus_sessions)).scalar() == 0


def test_a_failed_login_takes_at_least_the_stall_time(db, people):
    started = time.monotonic()
    with pytest.raises(InvalidCredentialsError):
        service(db, login_stall_time=300).login("nobody@example.com", "x")
    assert time.monotonic() - started >= 0.3


def test_a_suspended_user_is_told_so_only_with_the_right_password(db, people):
    with pytest.raises(UserSuspendedError):
        service(db).login("sus@example.com", "pw-2")
    with pytest.raises(InvalidCredentialsError):
        service(db).login("sus@example.com", "wrong")


def test_refresh_rotates_and_logout_ends_the_session(db, people):
    auth = service(db)
    first = auth.login("ada@example.com", "pw-1")
    second = auth.refresh(first.refresh_token, CLIENT)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(InvalidCredentialsError):
        auth.refresh(first.refresh_token)

    auth.logout(second.refresh_token)
    with pytest.raises(InvalidCredentialsError):
        auth.refresh(second.refresh_token)
    auth.logout(second.refresh_token)  # ending an ended session is not an error


def test_refresh_refuses_an_expired_session_and_a_user_suspended_since(db, people):
    auth = service(db)
    tokens = auth.login("ada@example.com", "pw-1")
    with db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id == people["ada"])
            .values(status="suspended")
        )
    with pytest.raises(UserSuspendedError):
        auth.refresh(tokens.refresh_token)

    with db.write() as conn:
        conn.execute(
            sa.update(directus_users)
            .where(directus_users.c.id == people["ada"])
            .values(status="active")
        )
    tokens = auth.login("ada@example.com", "pw-1")
    with db.write() as conn:
        conn.execute(
            sa.update(directus_sessions).values(
                expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    with pytest.raises(InvalidCredentialsError):
        auth.refresh(tokens.refresh_token)


def test_static_and_access_tokens_both_resolve_the_caller(db, people):
    auth = service(db)
    by_static = auth.authenticate("ada-static-token", CLIENT)
    by_jwt = auth.authenticate(auth.login("ada@example.com", "pw-1").access_token, CLIENT)
    for who in (by_static, by_jwt):
        assert who.user == people["ada"]
        assert who.role == people["role"]
        assert who.policies == (people["policy"],)
        assert who.app is True
        assert who.ip == "203.0.113.9"
    assert auth.authenticate(None).user is None


def test_bad_tokens_get_directus_errors(db, people):
    auth = service(db)
    expired = issue_access_token(
        SECRET,
        user=people["ada"],
        role=None,
        app_access=False,
        admin_access=False,
        ttl=dt.timedelta(minutes=5),
        now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    ).token
    forged = issue_access_token(
        "another-secret-just-as-long-as-the-real-one",
        user=people["ada"],
        role=None,
        app_access=True,
        admin_access=True,
        ttl=dt.timedelta(minutes=5),
    ).token
    stranger = issue_access_token(
        SECRET,
        user=str(uuid.uuid4()),
        role=None,
        app_access=False,
        admin_access=False,
        ttl=dt.timedelta(minutes=5),
    ).token
    with pytest.raises(TokenExpiredError):
        auth.authenticate(expired)
    with pytest.raises(InvalidTokenError):
        auth.authenticate(forged)
    with pytest.raises(InvalidTokenError):
        auth.authenticate(stranger)
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate("no-such-static-token")
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate("sus-static-token")
