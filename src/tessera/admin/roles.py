"""Roles: the list (nested under their parents, with their policies and how many users
each has), a form to create or edit one, attaching and detaching policies, deleting, and
the two preset roles of Directus's MCP guide.

A role holds its policies through ``directus_access`` rows (the role's ``policies`` field
is a one-to-many to them, as in Directus): attaching and detaching are updates of the role
that create or delete one of those rows, so activity records them on both.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.access_reads import by_keys, every, label, may
from tessera.admin.views import Visit, admin_page, field_errors
from tessera.errors import ForbiddenError, InvalidPayloadError, TesseraError
from tessera.services.access_presets import PRESET_NAMES, PRESETS, preset_rows

ROLES = "/admin/roles"
#: What each preset button says it grants (the rows come from :mod:`access_presets`).
PRESET_SUMMARIES = {
    "content-editor": (
        "Create, read and update (never delete) the items of every collection that exists "
        "now; upload, read and update files; read folders; read the schema (collections, "
        "fields, relations), which an assistant's schema tool needs."
    ),
    "developer": (
        "Everything Content Editor may, with deletes too, and folders created, changed and deleted."
    ),
}


def _roles(visit: Visit) -> list[dict[str, Any]]:
    return every(visit, "directus_roles", {"fields": ["*"], "sort": ["name"]})


def nested(roles: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The roles with their depth, each followed by its children (a role whose parent the
    caller cannot see is shown at the top)."""
    known = {role["id"] for role in roles}
    children: dict[Any, list[dict[str, Any]]] = {}
    for role in roles:
        parent = role.get("parent") if role.get("parent") in known else None
        children.setdefault(parent, []).append(role)
    ordered: list[tuple[int, dict[str, Any]]] = []

    def walk(parent: Any, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append((depth, child))
            walk(child["id"], depth + 1)

    walk(None, 0)
    return ordered


def _attachments(visit: Visit, roles: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Each role's attached policies as ``{access, policy, name, admin, app}``, in the
    order they were attached; empty when the caller may not read them."""
    keys = [role["id"] for role in roles]
    if not keys:
        return {}
    rows = every(
        visit,
        "directus_access",
        {"filter": {"role": {"_in": keys}}, "fields": ["id", "role", "policy"], "sort": ["sort"]},
    )
    policies = by_keys(
        visit,
        "directus_policies",
        [row["policy"] for row in rows],
        ["id", "name", "admin_access", "app_access"],
    )
    found: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        policy = policies.get(row["policy"])
        if policy is not None:
            found.setdefault(row["role"], []).append(
                {
                    "access": row["id"],
                    "policy": policy["id"],
                    "name": label(policy["name"]),
                    **policy,
                }
            )
    return found


@admin_page
def list_roles(visit: Visit) -> Response:
    return _list_page(visit)


def _list_page(
    visit: Visit, status: int = 200, preset_errors: dict[str, str] | None = None
) -> Response:
    roles = _roles(visit)
    attached = _attachments(visit, roles)
    names = {role["id"]: role["name"] for role in roles}
    rows = [
        {
            "depth": depth,
            "id": role["id"],
            "name": role["name"],
            "description": label(role.get("description")),
            "parent": names.get(role.get("parent")),
            "policies": attached.get(role["id"], []),
            "users": len(role["users"]) if "users" in role else None,
        }
        for depth, role in nested(roles)
    ]
    return visit.render(
        "roles.html",
        status,
        section=ROLES,
        roles=rows,
        preset_errors=preset_errors or {},
        may_create=may(visit, "directus_roles", "create"),
        presets=[(key, PRESET_NAMES[key], PRESET_SUMMARIES[key]) for key in PRESETS],
    )


def _form_values(visit: Visit) -> dict[str, Any]:
    return {
        "name": visit.form.get("name", "").strip(),
        "description": visit.form.get("description", "").strip() or None,
        "parent": visit.form.get("parent") or None,
    }


def _errors(exc: TesseraError) -> dict[str, str]:
    """The service's refusal next to the field it is about (a nesting one is the parent's)."""
    if isinstance(exc, InvalidPayloadError) and exc.message.startswith("Invalid payload. A role"):
        return {"parent": exc.extensions["reason"] + "."}
    return field_errors(exc)


def _parents(roles: list[dict[str, Any]], key: Any, current: Any) -> list[tuple[Any, str]]:
    """The roles that may be ``key``'s parent: not itself, nor one of its descendants; and
    its parent now even when the caller may not read it, so that saving keeps it."""
    below = {key}
    grown = key is not None
    while grown:
        added = {role["id"] for role in roles if role.get("parent") in below} - below
        below |= added
        grown = bool(added)
    found = [(role["id"], role["name"]) for role in roles if role["id"] not in below]
    if current is not None and all(parent != current for parent, _ in found):
        found.append((current, "The current parent (a role you may not see)"))
    return found


def _form_page(
    visit: Visit,
    role: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    key = role.get("id")
    roles = _roles(visit)
    context: dict[str, Any] = {}
    if key is not None:
        attached = _attachments(visit, [role]).get(key, [])
        held = {item["policy"] for item in attached}
        policies = every(visit, "directus_policies", {"fields": ["id", "name"], "sort": ["name"]})
        context = {
            "attached": attached,
            "attachable": [
                (policy["id"], label(policy["name"]))
                for policy in policies
                if policy["id"] not in held
            ],
            "users": len(role["users"]) if "users" in role else None,
            "may_update": may(visit, "directus_roles", "update"),
            "may_delete": may(visit, "directus_roles", "delete"),
        }
    return visit.render(
        "roles_form.html",
        status,
        section=ROLES,
        role=role,
        parents=_parents(roles, key, role.get("parent")),
        errors=errors or {},
        **context,
    )


@admin_page
def new_role(visit: Visit) -> Response:
    if visit.request.method == "GET":
        return _form_page(visit, {"name": "", "description": None, "parent": None})
    values = _form_values(visit)
    if not values["name"]:
        return _form_page(visit, values, {"name": "Give the role a name."}, 400)
    try:
        key = visit.items().create_one("directus_roles", values)
    except ForbiddenError:
        raise
    except TesseraError as exc:
        return _form_page(visit, values, _errors(exc), exc.status)
    return visit.done(f"{ROLES}/{key}", "created")


def _role(visit: Visit) -> dict[str, Any]:
    key = visit.request.path_params["key"]
    return visit.items().read_one("directus_roles", key, {"fields": ["*"]})


@admin_page
def edit_role(visit: Visit) -> Response:
    role = _role(visit)
    if visit.request.method == "GET":
        return _form_page(visit, role)
    values = _form_values(visit)
    if not values["name"]:
        return _form_page(visit, {**role, **values}, {"name": "Give the role a name."}, 400)
    try:
        visit.items().update_one("directus_roles", role["id"], values)
    except ForbiddenError:
        raise
    except TesseraError as exc:
        return _form_page(visit, {**role, **values}, _errors(exc), exc.status)
    return visit.done(f"{ROLES}/{role['id']}", "saved")


@admin_page
def delete_role(visit: Visit) -> Response:
    role = _role(visit)
    visit.items().delete_one("directus_roles", role["id"])
    return visit.done(ROLES, "deleted")


@admin_page
def attach_policy(visit: Visit) -> Response:
    role = _role(visit)
    policy = visit.form.get("policy", "")
    if not policy:
        return _form_page(visit, role, {"policy": "Choose a policy to attach."}, 400)
    held = {item["policy"] for item in _attachments(visit, [role]).get(role["id"], [])}
    if policy not in held:
        change = {"policies": {"create": [{"policy": policy}]}}
        try:
            visit.items().update_one("directus_roles", role["id"], change)
        except ForbiddenError:
            raise
        except TesseraError as exc:
            return _form_page(visit, role, {"policy": exc.message}, exc.status)
    return visit.done(f"{ROLES}/{role['id']}", "attached")


@admin_page
def detach_policy(visit: Visit) -> Response:
    role = _role(visit)
    access = visit.request.path_params["access"]
    visit.items().update_one("directus_roles", role["id"], {"policies": {"delete": [access]}})
    return visit.done(f"{ROLES}/{role['id']}", "detached")


@admin_page
def create_preset(visit: Visit) -> Response:
    """A role named after the preset, holding a new policy of the same name with app access
    and the preset's permissions: one write, so a refusal leaves nothing behind."""
    preset = visit.form.get("preset", "")
    if preset not in PRESETS:
        raise InvalidPayloadError("No such preset")
    name = PRESET_NAMES[preset]
    taken = [
        kind
        for kind, collection in (("role", "directus_roles"), ("policy", "directus_policies"))
        if every(visit, collection, {"filter": {"name": {"_eq": name}}, "fields": ["id"]})
    ]
    if taken:
        message = (
            f'A {" and a ".join(taken)} named "{name}" exist{"s" if len(taken) == 1 else ""} '
            "already: rename or delete it first, or attach its policy to a role yourself."
        )
        return _list_page(visit, 409, {preset: message})
    policy = {
        "name": name,
        "description": PRESET_SUMMARIES[preset],
        "app_access": True,
        "admin_access": False,
        "permissions": preset_rows(visit.state.schema.get(), preset),
    }
    key = visit.items().create_one(
        "directus_roles", {"name": name, "policies": [{"policy": policy}]}
    )
    return visit.done(f"{ROLES}/{key}", "created")


routes: list[BaseRoute] = [
    Route(ROLES, list_roles, methods=["GET"]),
    Route(f"{ROLES}/new", new_role, methods=["GET", "POST"]),
    Route(f"{ROLES}/preset", create_preset, methods=["POST"]),
    Route(ROLES + "/{key}", edit_role, methods=["GET", "POST"]),
    Route(ROLES + "/{key}/delete", delete_role, methods=["POST"]),
    Route(ROLES + "/{key}/policies", attach_policy, methods=["POST"]),
    Route(ROLES + "/{key}/policies/{access}/delete", detach_policy, methods=["POST"]),
]
