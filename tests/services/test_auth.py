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
    directus_revisions,
    directus_roles,
    directus_sessions,
    directus_settings,
    directus_users,
)
from tessera.errors import (
    InvalidCredentialsError,
    InvalidPayloadError,
    InvalidTokenError,
    RequestsExceededError,
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


class Clock:
    """Time the test moves: rate-limit windows are checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def service(db, clock=None, **overrides):
    settings = load_settings(
        env_file=None, **{"secret": SECRET, "login_stall_time": 0, **overrides}
    )
    return AuthService(db, settings, clock or Clock())


def status_of(db, user):
    with db.read() as conn:
        return conn.execute(
            sa.select(directus_users.c.status).where(directus_users.c.id == user)
        ).scalar()


def set_status(db, user, status):
    with db.write() as conn:
        conn.execute(
            sa.update(directus_users).where(directus_users.c.id == user).values(status=status)
        )


def session_count(db):
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(directus_sessions)).scalar()


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
    assert session_count(db) == 0  # the suspended user's session is gone, not just refused

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


def test_an_email_that_keeps_failing_is_held_back_until_its_window_passes(db, people):
    clock = Clock()
    auth = service(db, clock, rate_limiter_login_account_points=3)
    for email in ("ada@example.com", "nobody@example.com"):
        for _ in range(3):
            with pytest.raises(InvalidCredentialsError):
                auth.login(email, "wrong", Client(ip=f"198.51.100.{clock.now:.0f}"))
            clock.now += 10
        # Even the right password waits; a stranger's email is held back alike.
        with pytest.raises(RequestsExceededError) as held:
            auth.login(email, "pw-1", Client(ip="192.0.2.1"))
        assert held.value.extensions["limit"] == 3
        assert held.value.retry_after == 30  # the first failure leaves the window at 60 s
        assert held.value.status == 429
        clock.now += 30
    assert auth.login("ada@example.com", "pw-1").access_token


def test_a_success_clears_the_emails_count(db, people):
    auth = service(db, rate_limiter_login_account_points=3)
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            auth.login("ada@example.com", "wrong")
    auth.login("ada@example.com", "pw-1")
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            auth.login("ada@example.com", "wrong")
    assert auth.login("ada@example.com", "pw-1").access_token


def test_an_ip_that_keeps_failing_is_held_back_whoever_it_signs_in_as(db, people):
    auth = service(db, rate_limiter_login_points=3, rate_limiter_login_account_points=100)
    here, elsewhere = Client(ip="203.0.113.9"), Client(ip="198.51.100.7")
    with pytest.raises(InvalidCredentialsError):
        auth.login("nobody@example.com", "x", here)
    auth.login("ada@example.com", "pw-1", here)  # a success does not clear an IP's count
    for email in ("someone@example.com", "sus@example.com"):
        with pytest.raises((InvalidCredentialsError, UserSuspendedError)):
            auth.login(email, "guess", here)
    with pytest.raises(RequestsExceededError):
        auth.login("ada@example.com", "pw-1", here)
    assert auth.login("ada@example.com", "pw-1", elsewhere).access_token


def test_the_login_limits_can_be_turned_off(db, people):
    auth = service(
        db,
        rate_limiter_login_enabled=False,
        rate_limiter_login_points=1,
        rate_limiter_login_account_points=1,
    )
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            auth.login("ada@example.com", "x", CLIENT)
    assert auth.login("ada@example.com", "pw-1", CLIENT).access_token


def test_an_account_is_suspended_at_the_attempt_after_auth_login_attempts_failures(db, people):
    with db.write() as conn:
        conn.execute(sa.insert(directus_settings).values(id=1, auth_login_attempts=2))
    auth = service(db, rate_limiter_login_enabled=False)
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            auth.login("ada@example.com", "wrong", CLIENT)
    assert status_of(db, people["ada"]) == "active"

    # Directus suspends here yet signs this attempt in (tokens of a suspended user); we refuse.
    with pytest.raises(UserSuspendedError):
        auth.login("ada@example.com", "pw-1", CLIENT)
    assert status_of(db, people["ada"]) == "suspended"
    assert session_count(db) == 0
    with db.read() as conn:
        activity = conn.execute(sa.select(directus_activity)).one()
        revision = conn.execute(sa.select(directus_revisions)).one()
    assert (activity.action, activity.user, activity.item, activity.ip) == (
        "update",
        people["ada"],
        people["ada"],
        "203.0.113.9",
    )
    assert revision.delta == {"status": "suspended"}
    assert revision.data["status"] == "suspended"
    assert "password" not in revision.data

    set_status(db, people["ada"], "active")  # an admin lets the user back in: a fresh count
    with pytest.raises(InvalidCredentialsError):
        auth.login("ada@example.com", "wrong", CLIENT)
    assert auth.login("ada@example.com", "pw-1", CLIENT).access_token


def test_failures_in_a_row_count_only_until_a_success(db, people):
    with db.write() as conn:
        conn.execute(sa.insert(directus_settings).values(id=1, auth_login_attempts=2))
    auth = service(db, rate_limiter_login_enabled=False)
    for _ in range(3):
        with pytest.raises(InvalidCredentialsError):
            auth.login("ada@example.com", "wrong")
        auth.login("ada@example.com", "pw-1")
    assert status_of(db, people["ada"]) == "active"


def test_no_auth_login_attempts_means_no_suspension(db, people):
    with db.write() as conn:
        conn.execute(sa.insert(directus_settings).values(id=1, auth_login_attempts=None))
    auth = service(db, rate_limiter_login_enabled=False)
    for _ in range(100):  # failures in a row, without paying for 100 password checks
        auth.failures.add(people["ada"])
    with pytest.raises(InvalidCredentialsError):
        auth.login("ada@example.com", "wrong")
    assert auth.login("ada@example.com", "pw-1").access_token
    assert status_of(db, people["ada"]) == "active"


def test_a_session_token_names_its_session_and_dies_with_it(db, people):
    auth = service(db)
    tokens = auth.login("ada@example.com", "pw-1", CLIENT, session=True)

    claims = jwt.decode(tokens.access_token, SECRET, algorithms=["HS256"], issuer="directus")
    assert claims["session"] == tokens.refresh_token
    assert claims["exp"] - claims["iat"] == 86_400  # SESSION_COOKIE_TTL, 1d
    assert tokens.expires == 86_400_000
    assert auth.session_key(tokens.access_token) == tokens.refresh_token
    assert auth.authenticate(tokens.access_token).user == people["ada"]

    auth.logout(tokens.refresh_token)
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate(tokens.access_token)


def test_only_a_session_jwt_names_a_session(db, people):
    auth = service(db)
    assert auth.session_key(auth.login("ada@example.com", "pw-1").access_token) is None
    assert auth.session_key("ada-static-token") is None
    assert auth.session_key(None) is None
    forged = issue_access_token(
        "another-secret-just-as-long-as-the-real-one",
        user=people["ada"],
        role=None,
        app_access=True,
        admin_access=True,
        ttl=dt.timedelta(minutes=5),
        session="a-session",
    ).token
    with pytest.raises(InvalidTokenError):
        auth.session_key(forged)


def test_a_session_refresh_keeps_the_old_session_for_the_grace_period(db, people):
    auth = service(db)
    first = auth.login("ada@example.com", "pw-1", CLIENT, session=True)
    second = auth.refresh(first.refresh_token, CLIENT, session=True)
    assert second.refresh_token != first.refresh_token
    assert auth.session_key(second.access_token) == second.refresh_token
    assert second.expires == 86_400_000

    # A request or a refresh racing the first refresh still works, and lands on the same session.
    assert auth.authenticate(first.access_token).user == people["ada"]
    again = auth.refresh(first.refresh_token, CLIENT, session=True)
    assert again.refresh_token == second.refresh_token
    assert session_count(db) == 2


def test_after_the_grace_period_the_old_session_is_over(db, people):
    auth = service(db, session_refresh_grace_period="0")
    first = auth.login("ada@example.com", "pw-1", CLIENT, session=True)
    second = auth.refresh(first.refresh_token, CLIENT, session=True)
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate(first.access_token)
    with pytest.raises(InvalidCredentialsError):
        auth.refresh(first.refresh_token, session=True)
    assert auth.authenticate(second.access_token).user == people["ada"]

    auth.refresh(second.refresh_token, CLIENT, session=True)
    with db.read() as conn:  # ended sessions are cleared as the user's sessions change
        left = set(conn.execute(sa.select(directus_sessions.c.token)).scalars())
    assert first.refresh_token not in left


def test_a_missing_refresh_token_is_named_as_directus_names_it(db, people):
    auth = service(db)
    for call in (auth.refresh, auth.logout):
        with pytest.raises(InvalidPayloadError, match="required in either the payload or cookie"):
            call(None)
