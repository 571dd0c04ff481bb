"""``auth.login`` and ``auth.jwt`` event flows, fired by the auth service at sign-in and
refresh: filters change or refuse what is checked and signed, actions see every attempt."""

from __future__ import annotations

import uuid

import jwt
import pytest
import sqlalchemy as sa

from flow_helpers import runs, save_flow
from tessera.access.passwords import hash_password
from tessera.config import load_settings
from tessera.db.system_tables import directus_activity, directus_sessions, directus_users
from tessera.errors import InvalidCredentialsError, InvalidPayloadError, TesseraError
from tessera.services.auth import AuthService, Client
from tessera.services.flows.service import FlowsService

SECRET = "a-test-secret-long-enough-for-hs256-keys"
CLIENT = Client(ip="203.0.113.9", user_agent="pytest", origin="https://app.example")
PUBLIC_CALLER = {
    "role": None,
    "user": None,
    "roles": [],
    "admin": False,
    "app": False,
    "ip": "203.0.113.9",
    "userAgent": "pytest",
    "origin": "https://app.example",
}


@pytest.fixture
def ada(blog_db) -> str:
    user = str(uuid.uuid4())
    with blog_db.write() as conn:
        conn.execute(
            sa.insert(directus_users).values(
                id=user, email="ada@example.com", password=hash_password("pw-1"), status="active"
            )
        )
    return user


@pytest.fixture
def flows(runner):
    service = FlowsService(runner)
    yield service
    service.background.wait(10)


@pytest.fixture
def auth(blog_db, flows) -> AuthService:
    settings = load_settings(
        env_file=None, secret=SECRET, db_filename="unused.db", login_stall_time=0
    )
    return AuthService(blog_db, settings, events=flows.events)


def event_flow(items, *operations, kind, scope, **options):
    options = {"type": kind, "scope": [scope], **options}
    return save_flow(items, *operations, trigger="event", options=options, name=f"{scope} flow")


def trigger_of(run):
    return run["revision"]["data"]["$trigger"]


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def session_count(db):
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(directus_sessions)).scalar()


def logins(db):
    with db.read() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(directus_activity)
            .where(directus_activity.c.action == "login")
        ).scalar()


NOTE = {"key": "note", "type": "log", "options": {"message": "{{ $trigger.status }}"}}


# --- auth.login -------------------------------------------------------------------------


def test_a_login_filter_changes_what_is_checked(items, auth, blog_db, ada):
    """A flow lets people sign in with the name before the @."""
    flow = event_flow(
        items,
        {
            "key": "domain",
            "type": "transform",
            "options": {
                "json": {
                    "email": "{{ $trigger.payload.email }}@example.com",
                    "password": "{{ $trigger.payload.password }}",
                }
            },
        },
        kind="filter",
        scope="auth.login",
        **{"return": "$last"},
    )
    tokens = auth.login("ada", "pw-1", CLIENT)
    assert claims_of(tokens.access_token)["id"] == ada
    [run] = runs(blog_db, flow)
    assert trigger_of(run) == {
        "payload": {"email": "ada", "password": "--redacted--"},
        "event": "auth.login",
        "status": "pending",
        "provider": "default",
    }
    assert run["revision"]["data"]["$accountability"] == PUBLIC_CALLER
    assert (run["user"], run["ip"], run["user_agent"]) == (None, "203.0.113.9", "pytest")


def test_a_login_filter_names_the_user_the_email_belongs_to(items, auth, blog_db, ada):
    flow = event_flow(items, NOTE, kind="filter", scope="auth.login")
    auth.login("Ada@Example.com", "pw-1", CLIENT)
    [run] = runs(blog_db, flow)
    assert trigger_of(run)["user"] == ada
    assert trigger_of(run)["payload"]["email"] == "Ada@Example.com"


def test_a_rejecting_login_filter_refuses_the_sign_in(items, auth, blog_db, ada):
    refuse = {"code": "CLOSED", "status": 403, "message": "Sign-in is closed tonight"}
    flow = event_flow(
        items,
        {"key": "no", "type": "throw-error", "options": refuse},
        kind="filter",
        scope="auth.login",
    )
    with pytest.raises(TesseraError) as refused:
        auth.login("ada@example.com", "pw-1", CLIENT)
    assert (refused.value.code, refused.value.status, refused.value.message) == (
        "CLOSED",
        403,
        "Sign-in is closed tonight",
    )
    assert (session_count(blog_db), logins(blog_db)) == (0, 0)
    [run] = runs(blog_db, flow)
    assert run["revision"]["data"]["$last"]["code"] == "CLOSED"


def test_a_login_filter_that_loses_the_password_is_a_clear_error(items, auth, blog_db, ada):
    event_flow(
        items,
        {"key": "only", "type": "transform", "options": {"json": {"email": "x@example.com"}}},
        kind="filter",
        scope="auth.login",
        **{"return": "$last"},
    )
    with pytest.raises(InvalidPayloadError, match='"password" is required'):
        auth.login("ada@example.com", "pw-1", CLIENT)
    assert session_count(blog_db) == 0


def test_login_actions_see_success_and_failure(items, auth, flows, blog_db, ada):
    flow = event_flow(items, NOTE, kind="action", scope="auth.login")
    auth.login("ada@example.com", "pw-1", CLIENT)
    for email in ("ada@example.com", "nobody@example.com"):
        with pytest.raises(InvalidCredentialsError):
            auth.login(email, "wrong", CLIENT)
    flows.background.wait(10)
    success, wrong, unknown = sorted(
        (trigger_of(run) for run in runs(blog_db, flow)),
        key=lambda trigger: (trigger["status"] != "success", "user" not in trigger),
    )
    assert success == {
        "event": "auth.login",
        "payload": {"email": "ada@example.com", "password": "--redacted--"},
        "status": "success",
        "user": ada,
        "provider": "default",
    }
    invalid = {
        "name": "DirectusError",
        "message": "Invalid user credentials.",
        "extensions": {},
        "code": "INVALID_CREDENTIALS",
        "status": 401,
    }
    assert wrong == {**success, "status": "fail", "error": invalid}
    assert unknown == {
        "event": "auth.login",
        "payload": {"email": "nobody@example.com", "password": "--redacted--"},
        "status": "fail",
        "provider": "default",
        "error": invalid,
    }
    assert {run["ip"] for run in runs(blog_db, flow)} == {"203.0.113.9"}


# --- auth.jwt ---------------------------------------------------------------------------


def custom_claims(items, **options):
    """A flow that adds a ``tenant`` claim, tries to make the token an admin's and someone
    else's, and drops the rest."""
    return event_flow(
        items,
        {
            "key": "claims",
            "type": "transform",
            "options": {
                "json": {
                    "tenant": "blue",
                    "admin_access": True,
                    "id": "someone-else",
                    "seen": "{{ $trigger.type }}",
                }
            },
        },
        kind="filter",
        scope="auth.jwt",
        **{"return": "$last"},
        **options,
    )


def test_a_jwt_filter_adds_claims_but_cannot_change_whose_token_it_is(items, auth, blog_db, ada):
    flow = custom_claims(items)
    tokens = auth.login("ada@example.com", "pw-1", CLIENT, session=True)
    claims = claims_of(tokens.access_token)
    assert {name: claims[name] for name in ("tenant", "seen", "id", "session", "iss")} == {
        "tenant": "blue",
        "seen": "login",
        "id": ada,
        "session": tokens.refresh_token,
        "iss": "directus",
    }
    who = auth.authenticate(tokens.access_token)
    assert (who.user, who.admin) == (ada, False)  # the claim grants nothing
    [run] = runs(blog_db, flow)
    assert trigger_of(run) == {
        "payload": {
            "id": ada,
            "role": None,
            "app_access": False,
            "admin_access": False,
            "session": "--redacted--",  # the session's key signs a user in
        },
        "event": "auth.jwt",
        "status": "pending",
        "user": ada,
        "provider": "default",
        "type": "login",
    }


def test_a_jwt_filter_runs_at_refresh(items, auth, blog_db, ada):
    tokens = auth.login("ada@example.com", "pw-1", CLIENT)
    flow = custom_claims(items)
    refreshed = auth.refresh(tokens.refresh_token, CLIENT)
    assert claims_of(refreshed.access_token)["seen"] == "refresh"
    [run] = runs(blog_db, flow)
    assert trigger_of(run)["type"] == "refresh"


def test_a_rejecting_jwt_filter_leaves_no_session_behind(items, auth, blog_db, ada):
    tokens = auth.login("ada@example.com", "pw-1", CLIENT)
    refuse = {"code": "NO_TOKENS", "status": 403, "message": "No tokens today"}
    flow = event_flow(
        items,
        {"key": "no", "type": "throw-error", "options": refuse},
        kind="filter",
        scope="auth.jwt",
    )
    for attempt in (
        lambda: auth.login("ada@example.com", "pw-1", CLIENT),
        lambda: auth.refresh(tokens.refresh_token, CLIENT),
    ):
        with pytest.raises(TesseraError, match="No tokens today"):
            attempt()
    assert session_count(blog_db) == 1
    with blog_db.read() as conn:
        kept = conn.execute(sa.select(directus_sessions.c.token)).scalar()
    assert kept == tokens.refresh_token  # the refresh was undone, not half-done
    assert logins(blog_db) == 1
    assert [trigger_of(run)["type"] for run in runs(blog_db, flow)] == ["login", "refresh"]


def test_a_jwt_filter_that_returns_no_claims_is_a_clear_error(items, auth, blog_db, ada):
    event_flow(
        items,
        {"key": "text", "type": "transform", "options": {"json": '"claims"'}},
        kind="filter",
        scope="auth.jwt",
        **{"return": "$last"},
    )
    with pytest.raises(InvalidPayloadError, match="return the token's claims as an object"):
        auth.login("ada@example.com", "pw-1", CLIENT)
    assert session_count(blog_db) == 0
