"""The User Directory: list and search users, create and edit them, suspend them, and give
one a static token — shown once, never again — or take it away. "Create an MCP user" does
the seed's path in one form: a user with a role and a token, and the client configurations
with that token filled in.

Everything goes through the items service as the signed-in caller: a non-admin sees the
users their policies let them read and changes only what they may change; the users
service's rules (unique emails, the password policy, the last admin) answer next to the
field they are about.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.client_configs import client_configs
from tessera.admin.home import mcp_url
from tessera.admin.views import (
    Visit,
    admin_page,
    field_errors,
    paging,
    readable_fields,
    search_and_page,
)
from tessera.errors import TesseraError
from tessera.services.server import mcp_switched_on
from tessera.services.users import USER_STATUSES, new_static_token

PATH = "/admin/users"
USERS = "directus_users"
PAGE_SIZE = 25
#: What a user's form edits, in its order.
EDITABLE = ("first_name", "last_name", "email", "role", "status", "password")
LIST_FIELDS = ["id", "email", "first_name", "last_name", "status", "token", "role.id", "role.name"]


def _role_options(visit: Visit) -> list[tuple[str, str]]:
    """The roles the caller may read, as (id, name) for a select (none when they may read none)."""
    try:
        found = visit.items().read_by_query(
            "directus_roles", {"fields": ["id", "name"], "sort": ["name"], "limit": -1}
        )
    except TesseraError:
        return []
    return [(role["id"], role["name"]) for role in found.data]


def _payload(visit: Visit, *, creating: bool) -> dict[str, Any]:
    """The form's values as a users payload; an empty password leaves the password as it is."""
    form = visit.form
    data: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in form:
            continue
        value = form[name].strip() if name != "password" else form[name]
        if name == "password" and not value:
            continue
        data[name] = value or None
    if creating:
        data.setdefault("status", "active")
    return data


@admin_page
def directory(visit: Visit) -> Response:
    search, page = search_and_page(visit)
    query: dict[str, Any] = {
        "fields": readable_fields(visit, USERS, LIST_FIELDS),
        "sort": ["email"],
        "limit": PAGE_SIZE,
        "page": page,
        "meta": ["filter_count"],
    }
    if search:
        query["search"] = search
    found = visit.items().read_by_query(USERS, query)
    total = (found.meta or {}).get("filter_count", len(found.data))
    return visit.render(
        "users.html",
        section=PATH,
        users=found.data,
        **paging(PATH, search, page, total, PAGE_SIZE),
    )


def _form(
    visit: Visit,
    user: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    return visit.render(
        "user_form.html",
        status,
        section=PATH,
        user=user,
        values=values,
        errors=errors,
        role_options=_role_options(visit),
        status_options=[(status, status.capitalize()) for status in USER_STATUSES],
        **extra,
    )


@admin_page
def new_user(visit: Visit) -> Response:
    return _form(visit, None, {"status": "active"}, {})


@admin_page
def create_user(visit: Visit) -> Response:
    data = _payload(visit, creating=True)
    try:
        key = visit.items().create_one(USERS, data)
    except TesseraError as exc:
        return _form(visit, None, data, field_errors(exc), exc.status)
    return visit.done(f"{PATH}/{key}", "created")


def _user(visit: Visit, key: str) -> dict[str, Any]:
    return visit.items().read_one(
        USERS,
        key,
        {
            "fields": [
                "id",
                "email",
                "first_name",
                "last_name",
                "status",
                "token",
                "role",
                "last_access",
            ]
        },
    )


@admin_page
def show_user(visit: Visit) -> Response:
    user = _user(visit, visit.request.path_params["key"])
    return _form(visit, user, user, {})


@admin_page
def update_user(visit: Visit) -> Response:
    key = visit.request.path_params["key"]
    user = _user(visit, key)
    data = _payload(visit, creating=False)
    try:
        visit.items().update_one(USERS, key, data)
    except TesseraError as exc:
        return _form(visit, user, {**user, **data}, field_errors(exc), exc.status)
    return visit.done(f"{PATH}/{key}", "saved")


@admin_page
def set_status(visit: Visit) -> Response:
    """Suspend or reactivate: one button, the status the form names."""
    key = visit.request.path_params["key"]
    status = visit.form.get("status", "")
    visit.items().update_one(USERS, key, {"status": status})
    return visit.done(f"{PATH}/{key}", "saved")


@admin_page
def generate_token(visit: Visit) -> Response:
    """A new static token for the user, replacing theirs; this answer is the only time it
    is shown (the page is not a redirect, so the token is in no URL or history entry)."""
    key = visit.request.path_params["key"]
    token = new_static_token()
    visit.items().update_one(USERS, key, {"token": token})
    user = _user(visit, key)
    return _form(visit, user, user, {}, **_token_context(visit, token))


@admin_page
def revoke_token(visit: Visit) -> Response:
    key = visit.request.path_params["key"]
    visit.items().update_one(USERS, key, {"token": None})
    return visit.done(f"{PATH}/{key}", "revoked")


def _token_context(visit: Visit, token: str) -> dict[str, Any]:
    state = visit.state
    url = mcp_url(visit.request)
    return {
        "token": token,
        "url": url,
        "mcp_on": mcp_switched_on(state.db, state.settings),
        "configs": client_configs(url, token),
    }


@admin_page
def new_mcp_user(visit: Visit) -> Response:
    return visit.render(
        "mcp_user.html",
        section=PATH,
        values={"email": "", "first_name": "MCP assistant"},
        errors={},
        role_options=_role_options(visit),
    )


@admin_page
def create_mcp_user(visit: Visit) -> Response:
    """A user with no password (it cannot sign in to pages) and a static token."""
    form = visit.form
    token = new_static_token()
    data = {
        "email": form.get("email", "").strip() or None,
        "first_name": form.get("first_name", "").strip() or None,
        "role": form.get("role") or None,
        "status": "active",
        "token": token,
    }
    errors: dict[str, str] = {}
    if data["role"] is None:
        errors["role"] = "Choose the role whose permissions the assistant gets."
    if data["email"] is None:
        errors["email"] = "Give the user an email address (it names them in the activity log)."
    if not errors:
        try:
            key = visit.items().create_one(USERS, data)
        except TesseraError as exc:
            errors = field_errors(exc)
    if errors:
        return visit.render(
            "mcp_user.html",
            400,
            section=PATH,
            values=data,
            errors=errors,
            role_options=_role_options(visit),
        )
    user = _user(visit, key)
    return _form(visit, user, user, {}, created_mcp_user=True, **_token_context(visit, token))


routes: list[BaseRoute] = [
    Route(PATH, directory, methods=["GET"]),
    Route(f"{PATH}/new", new_user, methods=["GET"]),
    Route(f"{PATH}/new", create_user, methods=["POST"]),
    Route(f"{PATH}/mcp-user", new_mcp_user, methods=["GET"]),
    Route(f"{PATH}/mcp-user", create_mcp_user, methods=["POST"]),
    Route(f"{PATH}/{{key}}", show_user, methods=["GET"]),
    Route(f"{PATH}/{{key}}", update_user, methods=["POST"]),
    Route(f"{PATH}/{{key}}/status", set_status, methods=["POST"]),
    Route(f"{PATH}/{{key}}/token", generate_token, methods=["POST"]),
    Route(f"{PATH}/{{key}}/token/revoke", revoke_token, methods=["POST"]),
]
