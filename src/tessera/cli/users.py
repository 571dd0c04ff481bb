"""``tessera users`` and ``tessera tokens``.

Thin layers over the items service, as :mod:`tessera.cli.service` describes: emails are
unique in any case, passwords follow ``auth_password_policy`` and are stored hashed, the
last active admin stays, and a token reads back as ``**********`` — the services' rules.
"""

from __future__ import annotations

from typing import Any

import click

from tessera.cli.service import JSON_OPTION, ServiceGroup, find, items_service, note, show
from tessera.services.users import new_static_token


@click.group(cls=ServiceGroup)
def users() -> None:
    """Create, list, suspend and delete users.

    \b
    Examples:
      tessera users create --email mcp@example.com --role "Content Editor"
      tessera users create --email ann@example.com --role Editors --password '...'
      tessera users set-status ann@example.com suspended
      tessera users list --json
    """


@users.command("create")
@click.option("--email", required=True, help="The user's email, unique in any case.")
@click.option("--role", required=True, help="The user's role (name or id).")
@click.option("--password", help="Lets the user sign in with a password.")
@click.option("--first-name", help="First name.")
@click.option("--last-name", help="Last name.")
def create_user(
    email: str, role: str, password: str | None, first_name: str | None, last_name: str | None
) -> None:
    """Create an active user; prints its id.

    Without --password the user cannot sign in with one; a static token from
    `tessera tokens generate` still lets a program (an AI assistant) act as them.
    """
    items = items_service()
    data: dict[str, Any] = {"email": email, "role": find(items, "role", role)}
    for name, value in (
        ("password", password),
        ("first_name", first_name),
        ("last_name", last_name),
    ):
        if value is not None:
            data[name] = value
    click.echo(items.create_one("directus_users", data))
    if password is None:
        note(
            f"{email} has no password, so cannot sign in with one; "
            "`tessera tokens generate` gives them a static token."
        )


@users.command("list")
@JSON_OPTION
def list_users(as_json: bool) -> None:
    """The users: id, email, name, status, role and whether they have a token."""
    found = items_service().read_by_query(
        "directus_users",
        {
            "fields": ["id", "email", "first_name", "last_name", "status", "role.name", "token"],
            "sort": ["email"],
            "limit": -1,
        },
    )
    rows = [
        {
            "id": user["id"],
            "email": user["email"],
            "name": " ".join(part for part in (user["first_name"], user["last_name"]) if part)
            or None,
            "status": user["status"],
            "role": (user["role"] or {}).get("name"),
            "token": user["token"],
        }
        for user in found.data
    ]
    show(rows, as_json)


@users.command("set-status")
@click.argument("user")
@click.argument("status")
def set_status(user: str, status: str) -> None:
    """Set USER's (email or id) STATUS: active, suspended, archived, draft, invited or
    unverified. Only active users sign in; the others lose their sessions."""
    items = items_service()
    items.update_one("directus_users", find(items, "user", user), {"status": status})
    note(f"{user} is {status} now.")


@users.command("delete")
@click.argument("user")
def delete_user(user: str) -> None:
    """Delete USER (email or id)."""
    items = items_service()
    items.delete_one("directus_users", find(items, "user", user))
    note(f"Deleted the user {user}.")


@click.group(cls=ServiceGroup)
def tokens() -> None:
    """Give a user a static token, or take it away.

    A static token signs requests in as its user (`Authorization: Bearer <token>`,
    or `?access_token=<token>`), REST and MCP alike, until it is revoked.

    \b
    Examples:
      tessera tokens generate --user mcp@example.com
      tessera tokens revoke --user mcp@example.com
    """


@tokens.command("generate")
@click.option("--user", required=True, help="The user (email or id).")
def generate_token(user: str) -> None:
    """Give USER a new random static token, printed this once: it cannot be read back.

    It replaces the token the user had, if any.
    """
    items = items_service()
    token = new_static_token()
    items.update_one("directus_users", find(items, "user", user), {"token": token})
    click.echo(token)
    note("Keep this token now: it is not shown again.")


@tokens.command("revoke")
@click.option("--user", required=True, help="The user (email or id).")
def revoke_token(user: str) -> None:
    """Take USER's static token away: requests carrying it are refused from now on."""
    items = items_service()
    items.update_one("directus_users", find(items, "user", user), {"token": None})
    note(f"{user} has no static token now.")
