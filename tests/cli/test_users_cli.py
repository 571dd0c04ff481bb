"""``tessera users`` and ``tessera tokens``."""

from __future__ import annotations

import json

import pytest

from db_helpers import all_rows
from tessera.errors import InvalidCredentialsError
from tessera.services.auth import AuthService


def users(tessera) -> dict[str, dict]:
    return {row["email"]: row for row in json.loads(tessera.ok("users", "list", "--json"))}


@pytest.fixture
def staff(tessera):
    tessera.ok("roles", "create", "Staff")
    return tessera


def test_create_with_a_password_signs_in_and_without_says_it_cannot(staff):
    auth = AuthService(staff.db, staff.settings)
    ann = staff.ok(
        "users",
        "create",
        "--email",
        "ann@example.com",
        "--role",
        "Staff",
        "--password",
        "correct horse",
        "--first-name",
        "Ann",
        "--last-name",
        "Lee",
    )
    assert (
        auth.authenticate(auth.login("ann@example.com", "correct horse").access_token).user == ann
    )

    result = staff("users", "create", "--email", "bob@example.com", "--role", "Staff")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("bob@example.com has no password, so cannot sign in")
    bob = result.stdout.strip()
    assert users(staff)["bob@example.com"] == {
        "id": bob,
        "email": "bob@example.com",
        "name": None,
        "status": "active",
        "role": "Staff",
        "token": None,
    }
    assert users(staff)["ann@example.com"]["name"] == "Ann Lee"
    plain = staff.ok("users", "list").splitlines()
    assert plain[0].split() == ["id", "email", "name", "status", "role", "token"]
    assert plain[3].split() == [bob, "bob@example.com", "-", "active", "Staff", "-"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--email", "ADMIN@example.com", "--role", "Staff"],
            'Error: Value "[admin@example.com]" for field "email" in collection "directus_users" '
            "has to be unique. (RECORD_NOT_UNIQUE)",
        ),
        (["--email", "cy@example.com", "--role", "Nobody"], 'Error: No role named "Nobody".'),
        (
            ["--email", "not an email", "--role", "Staff"],
            'Error: Validation failed for field "email". Value has to be a valid email address. '
            "(FAILED_VALIDATION)",
        ),
    ],
)
def test_create_refuses_in_one_line(staff, args, line):
    assert staff.fails("users", "create", *args) == line
    assert set(users(staff)) == {"admin@example.com"}


def test_the_password_policy_applies(staff):
    staff.ok("settings", "set", "auth_password_policy", "/^.{12,}$/")
    line = staff.fails(
        "users", "create", "--email", "cy@example.com", "--role", "Staff", "--password", "short"
    )
    assert line.endswith("(FAILED_VALIDATION)")
    assert "short" not in line


def test_set_status_and_delete(staff):
    staff.ok("users", "create", "--email", "ann@example.com", "--role", "Staff")
    token = staff.ok("tokens", "generate", "--user", "ann@example.com")
    auth = AuthService(staff.db, staff.settings)

    staff.ok("users", "set-status", "Ann@Example.com", "suspended")
    assert users(staff)["ann@example.com"]["status"] == "suspended"
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate(token)
    staff.ok("users", "set-status", "ann@example.com", "active")
    assert auth.authenticate(token).user is not None
    assert staff.fails("users", "set-status", "ann@example.com", "asleep").startswith(
        'Error: Validation failed for field "status".'
    )

    staff.ok("users", "delete", "ann@example.com")
    assert set(users(staff)) == {"admin@example.com"}
    assert staff.fails("users", "delete", "ann@example.com") == (
        'Error: No user with the email "ann@example.com".'
    )
    assert staff.fails("users", "delete", "admin@example.com") == (
        "Error: Can't process content. Cannot remove the last admin user from the system. "
        "(UNPROCESSABLE_CONTENT)"
    )
    assert staff.fails("users", "set-status", "admin@example.com", "archived").endswith(
        "(UNPROCESSABLE_CONTENT)"
    )


def test_a_token_is_shown_once_and_never_read_back(staff):
    staff.ok("users", "create", "--email", "mcp@example.com", "--role", "Staff")
    auth = AuthService(staff.db, staff.settings)

    result = staff("tokens", "generate", "--user", "mcp@example.com")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert token not in result.stderr
    assert auth.authenticate(token).user == users(staff)["mcp@example.com"]["id"]
    assert users(staff)["mcp@example.com"]["token"] == "**********"
    assert token not in staff.ok("users", "list")
    stored = [
        row
        for table, rows in all_rows(staff.db).items()
        if table != "directus_users"
        for row in rows
    ]
    assert not [row for row in stored if token in repr(row)]

    newer = staff.ok("tokens", "generate", "--user", "mcp@example.com")
    assert newer != token
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate(token)
    staff.ok("tokens", "revoke", "--user", "mcp@example.com")
    with pytest.raises(InvalidCredentialsError):
        auth.authenticate(newer)
    assert users(staff)["mcp@example.com"]["token"] is None
    assert staff.fails("tokens", "generate", "--user", "nobody@example.com") == (
        'Error: No user with the email "nobody@example.com".'
    )
