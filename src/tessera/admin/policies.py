"""Policies: the list (what each grants at a glance, and whom it applies to), a form to
create or edit one — name, description, admin access, app access, the IP allow-list —
and deleting. A policy's permissions have pages of their own (:mod:`.permissions`).

The IP allow-list is typed one entry per line and stored as Directus stores it; the items
service checks each entry and its refusal is shown next to the list.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.access_reads import by_keys, every, label, may
from tessera.admin.views import Visit, admin_page, field_errors
from tessera.errors import ForbiddenError, TesseraError

POLICIES = "/admin/policies"


def ip_lines(value: Any) -> str:
    """The stored allow-list (a list, or comma-separated text) as one entry per line."""
    if not value:
        return ""
    entries = value.split(",") if isinstance(value, str) else value
    return "\n".join(str(entry).strip() for entry in entries)


def _holders(visit: Visit, keys: list[Any]) -> dict[Any, dict[str, list[Any]]]:
    """For each policy, the roles and the users it is attached to (as far as the caller
    may read the attachments)."""
    if not keys:
        return {}
    rows = every(
        visit,
        "directus_access",
        {"filter": {"policy": {"_in": keys}}, "fields": ["policy", "role", "user"]},
    )
    found: dict[Any, dict[str, list[Any]]] = {key: {"roles": [], "users": []} for key in keys}
    for row in rows:
        held = found[row["policy"]]
        if row["role"] is not None:
            held["roles"].append(row["role"])
        if row["user"] is not None:
            held["users"].append(row["user"])
    return found


@admin_page
def list_policies(visit: Visit) -> Response:
    policies = every(visit, "directus_policies", {"fields": ["*"]})
    holders = _holders(visit, [policy["id"] for policy in policies])
    roles = by_keys(
        visit,
        "directus_roles",
        [role for held in holders.values() for role in held["roles"]],
        ["id", "name"],
    )
    rows = [
        {
            "id": policy["id"],
            "name": label(policy["name"]),
            "description": label(policy.get("description")),
            "admin": policy.get("admin_access"),
            "app": policy.get("app_access"),
            "ip": ip_lines(policy.get("ip_access")).splitlines(),
            "roles": [roles[key]["name"] for key in holders[policy["id"]]["roles"] if key in roles],
            "users": len(holders[policy["id"]]["users"]),
            "permissions": len(policy["permissions"]) if "permissions" in policy else None,
        }
        for policy in policies
    ]
    rows.sort(key=lambda row: row["name"].casefold())
    return visit.render(
        "policies.html",
        section=POLICIES,
        policies=rows,
        may_create=may(visit, "directus_policies", "create"),
    )


def _form_values(visit: Visit, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form as a payload; a name or description shown translated keeps its stored key."""
    stored = stored or {}
    values: dict[str, Any] = {
        "name": visit.form.get("name", "").strip(),
        "description": visit.form.get("description", "").strip() or None,
        "admin_access": "admin_access" in visit.form,
        "app_access": "app_access" in visit.form,
    }
    for name in ("name", "description"):
        if stored.get(name) and values[name] == label(stored[name]):
            values[name] = stored[name]
    entries = [line.strip() for line in visit.form.get("ip_access", "").splitlines()]
    values["ip_access"] = [entry for entry in entries if entry] or None
    return values


def _errors(exc: TesseraError) -> dict[str, str]:
    """The service's refusal next to the field it is about."""
    reason = str(exc.extensions.get("reason", ""))
    if reason.startswith("IP Access"):
        return {"ip_access": reason + "."}
    if reason.startswith("Cannot remove the last admin"):
        return {"admin_access": "This is the last policy giving an active user admin access."}
    return field_errors(exc)


def _form_page(
    visit: Visit,
    policy: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    key = policy.get("id")
    context: dict[str, Any] = {}
    if key is not None:
        held = _holders(visit, [key])[key]
        context = {
            "roles": list(by_keys(visit, "directus_roles", held["roles"], ["id", "name"]).values()),
            "users": len(held["users"]),
            "may_update": may(visit, "directus_policies", "update"),
            "may_delete": may(visit, "directus_policies", "delete"),
        }
    return visit.render(
        "policies_form.html",
        status,
        section=POLICIES,
        policy={
            **policy,
            "name": label(policy.get("name")),
            "description": label(policy.get("description")),
            "ip_access": ip_lines(policy.get("ip_access")),
        },
        errors=errors or {},
        **context,
    )


@admin_page
def new_policy(visit: Visit) -> Response:
    if visit.request.method == "GET":
        return _form_page(visit, {"app_access": True})
    values = _form_values(visit)
    if not values["name"]:
        return _form_page(visit, values, {"name": "Give the policy a name."}, 400)
    try:
        key = visit.items().create_one("directus_policies", values)
    except ForbiddenError:
        raise
    except TesseraError as exc:
        return _form_page(visit, values, _errors(exc), exc.status)
    return visit.done(f"{POLICIES}/{key}", "created")


def _policy(visit: Visit) -> dict[str, Any]:
    key = visit.request.path_params["key"]
    return visit.items().read_one("directus_policies", key, {"fields": ["*"]})


@admin_page
def edit_policy(visit: Visit) -> Response:
    policy = _policy(visit)
    if visit.request.method == "GET":
        return _form_page(visit, policy)
    values = _form_values(visit, policy)
    if not values["name"]:
        return _form_page(visit, {**policy, **values}, {"name": "Give the policy a name."}, 400)
    try:
        visit.items().update_one("directus_policies", policy["id"], values)
    except ForbiddenError:
        raise
    except TesseraError as exc:
        return _form_page(visit, {**policy, **values}, _errors(exc), exc.status)
    return visit.done(f"{POLICIES}/{policy['id']}", "saved")


@admin_page
def delete_policy(visit: Visit) -> Response:
    policy = _policy(visit)
    try:
        visit.items().delete_one("directus_policies", policy["id"])
    except ForbiddenError:
        raise
    except TesseraError as exc:
        reason = exc.extensions.get("reason", exc.message)
        return _form_page(visit, policy, {"delete": f"Not deleted: {reason}."}, exc.status)
    return visit.done(POLICIES, "deleted")


routes: list[BaseRoute] = [
    Route(POLICIES, list_policies, methods=["GET"]),
    Route(f"{POLICIES}/new", new_policy, methods=["GET", "POST"]),
    Route(POLICIES + "/{key}", edit_policy, methods=["GET", "POST"]),
    Route(POLICIES + "/{key}/delete", delete_policy, methods=["POST"]),
]
