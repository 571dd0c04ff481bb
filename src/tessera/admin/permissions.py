"""A policy's permissions: a grid of collections and actions saying what the policy grants
on each (nothing, everything, or something narrower), and a form per collection and
action for the fields, the row filter, the validation and the presets — the last three as
Directus filter JSON, checked against the schema as they are typed (``permissions.js``
posts them to :func:`check`) and again on save, which writes nothing while one is wrong.

As in Directus's app, each action shows the parts that apply to it: a row filter for all
but create, fields for create, read and update, validation and presets for create and
update.
"""

from __future__ import annotations

import json
from typing import Any, cast

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tessera.access.permissions import ACTIONS, Action
from tessera.admin.access_reads import every, label, may, readable_collections
from tessera.admin.rule_check import EMPTY, KINDS, Kind, RuleError, read_rule
from tessera.admin.views import Visit, admin_page, field_errors
from tessera.errors import ForbiddenError, TesseraError
from tessera.schema.overview import CollectionInfo

#: The parts of a permission each action uses.
PARTS: dict[str, tuple[str, ...]] = {
    "create": ("fields", "validation", "presets"),
    "read": ("permissions", "fields"),
    "update": ("permissions", "fields", "validation", "presets"),
    "delete": ("permissions",),
    "share": ("permissions",),
}
LABELS = {
    "permissions": "Which items (row filter)",
    "validation": "Validation",
    "presets": "Presets (default values)",
}
HINTS = {
    "permissions": 'Only the items this filter selects, e.g. {"author": {"_eq": "$CURRENT_USER"}}.',
    "validation": 'Values written must pass this filter, e.g. {"title": {"_nempty": true}}.',
    "presets": 'Values set when none are given, e.g. {"status": "draft"}.',
}


def _path(policy: Any, collection: str | None = None, action: str | None = None) -> str:
    path = f"/admin/policies/{policy}/permissions"
    return path if collection is None else f"{path}/{collection}/{action}"


def _policy(visit: Visit) -> dict[str, Any]:
    key = visit.request.path_params["key"]
    return visit.items().read_one(
        "directus_policies", key, {"fields": ["id", "name", "admin_access"]}
    )


def _rows(visit: Visit, policy: Any, **where: Any) -> list[dict[str, Any]]:
    conditions = {"policy": {"_eq": policy}, **{k: {"_eq": v} for k, v in where.items()}}
    return every(visit, "directus_permissions", {"filter": conditions, "sort": ["id"]})


def level(row: dict[str, Any]) -> str:
    """``full`` for every field of every item with no validation or presets, else ``custom``."""
    fields = row.get("fields")
    every_field = fields == "*" or fields == ["*"]
    narrowed = any(row.get(kind) for kind in KINDS)
    return "full" if every_field and not narrowed else "custom"


@admin_page
def grid(visit: Visit) -> Response:
    policy = _policy(visit)
    found: dict[tuple[str, str], str] = {}
    for row in _rows(visit, policy["id"]):
        key = (row["collection"], row["action"])
        found[key] = "custom" if key in found else level(row)
    collections = readable_collections(visit)
    sections = [
        ("Collections", [name for name in collections if not name.startswith("directus_")]),
        ("System collections", [name for name in collections if name.startswith("directus_")]),
    ]
    return visit.render(
        "permissions.html",
        section="/admin/policies",
        policy={**policy, "name": label(policy["name"])},
        sections=[(title, names) for title, names in sections if names],
        actions=ACTIONS,
        found=found,
        may_change=may(visit, "directus_permissions", "create")
        or may(visit, "directus_permissions", "update"),
    )


def _collection(visit: Visit, name: str) -> CollectionInfo:
    """The collection, when it exists and the caller may know it does."""
    info = visit.state.schema.get().collections.get(name)
    if info is None or info.table is None or name not in readable_collections(visit):
        raise ForbiddenError()
    return info


def _target(visit: Visit) -> tuple[dict[str, Any], CollectionInfo, Action]:
    policy = _policy(visit)
    info = _collection(visit, visit.request.path_params["collection"])
    action = visit.request.path_params["action"]
    if action not in ACTIONS:
        raise ForbiddenError()
    return policy, info, action


def _shown(row: dict[str, Any] | None) -> dict[str, Any]:
    """A stored permission as the form shows it: field names, and JSON text."""
    if row is None:
        return {"fields": ["*"], **dict.fromkeys(KINDS, "")}
    fields = row.get("fields") or []
    shown: dict[str, Any] = {"fields": fields.split(",") if isinstance(fields, str) else fields}
    for kind in KINDS:
        value = row.get(kind)
        shown[kind] = "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
    return shown


def _form_page(
    visit: Visit,
    policy: dict[str, Any],
    info: CollectionInfo,
    action: str,
    rows: list[dict[str, Any]],
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    parts = PARTS[action]
    row = rows[0] if rows else None
    return visit.render(
        "permissions_form.html",
        status,
        section="/admin/policies",
        policy={**policy, "name": label(policy["name"])},
        collection=info.collection,
        action=action,
        field_names=list(info.fields),
        show_fields="fields" in parts,
        areas=[(kind, LABELS[kind], HINTS[kind], EMPTY[kind]) for kind in KINDS if kind in parts],
        values=values,
        row=row,
        others=len(rows) - 1,
        errors=errors or {},
        back=_path(policy["id"]),
        may_change=may(visit, "directus_permissions", "update" if row else "create"),
        may_delete=row is not None and may(visit, "directus_permissions", "delete"),
    )


@admin_page
def edit(visit: Visit) -> Response:
    policy, info, action = _target(visit)
    rows = _rows(visit, policy["id"], collection=info.collection, action=action)
    row = rows[0] if rows else None
    if visit.request.method == "GET":
        return _form_page(visit, policy, info, action, rows, _shown(row))
    typed: dict[str, Any] = {kind: visit.form.get(kind, "") for kind in KINDS}
    typed["fields"] = visit.values("fields")
    payload, errors = _payload(visit, info, action, typed)
    if errors:
        return _form_page(visit, policy, info, action, rows, typed, errors, 400)
    items = visit.items()
    try:
        if row is None:
            items.create_one(
                "directus_permissions",
                {
                    "policy": policy["id"],
                    "collection": info.collection,
                    "action": action,
                    **payload,
                },
            )
        else:
            items.update_one("directus_permissions", row["id"], payload)
    except ForbiddenError:
        raise
    except TesseraError as exc:
        reason = str(exc.extensions.get("reason", ""))
        named = next((kind for kind in KINDS if reason.startswith(f'"{kind}"')), None)
        found: dict[str, str] = {named: reason + "."} if named else field_errors(exc)
        return _form_page(visit, policy, info, action, rows, typed, found, exc.status)
    return visit.done(_path(policy["id"]), "saved")


def _payload(
    visit: Visit, info: CollectionInfo, action: str, typed: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The row to write and, by form field, what is wrong with what was typed."""
    parts = PARTS[action]
    errors: dict[str, str] = {}
    payload: dict[str, Any] = dict.fromkeys(KINDS)
    if "fields" in parts:
        chosen = typed["fields"]
        if "*" in chosen:
            payload["fields"] = "*"
        elif chosen:
            unknown = [name for name in chosen if name not in info.fields]
            if unknown:
                errors["fields"] = f'No field "{unknown[0]}" in the collection.'
            payload["fields"] = ",".join(chosen)
        else:
            errors["fields"] = "Choose the fields, or all fields."
    else:
        payload["fields"] = "*"
    overview = visit.state.schema.get()
    for kind in KINDS:
        if kind not in parts:
            continue
        try:
            payload[kind] = read_rule(visit.state.db, overview, info.collection, kind, typed[kind])
        except RuleError as exc:
            errors[kind] = str(exc)
    return payload, errors


@admin_page
def remove(visit: Visit) -> Response:
    policy, info, action = _target(visit)
    rows = _rows(visit, policy["id"], collection=info.collection, action=action)
    if rows:
        visit.items().delete_many("directus_permissions", [row["id"] for row in rows])
    return visit.done(_path(policy["id"]), "deleted")


@admin_page
def check(visit: Visit) -> Response:
    """The live check: ``{"ok", "message"}`` for one text area's JSON."""
    if not may(visit, "directus_permissions", "create") and not may(
        visit, "directus_permissions", "update"
    ):
        raise ForbiddenError()
    kind = visit.form.get("kind", "")
    if kind not in KINDS:
        return JSONResponse({"ok": False, "message": f'Unknown kind "{kind}".'}, 400)
    text = visit.form.get("value", "")
    collection = visit.form.get("collection", "")
    checked = cast(Kind, kind)
    try:
        _collection(visit, collection)
        read_rule(visit.state.db, visit.state.schema.get(), collection, checked, text)
    except ForbiddenError:
        return JSONResponse({"ok": False, "message": f'No collection named "{collection}".'})
    except RuleError as exc:
        return JSONResponse({"ok": False, "message": str(exc)})
    return JSONResponse({"ok": True, "message": "OK" if text.strip() else EMPTY[checked]})


routes: list[BaseRoute] = [
    Route("/admin/permissions/check", check, methods=["POST"]),
    Route(_path("{key}"), grid, methods=["GET"]),
    Route(_path("{key}", "{collection}", "{action}"), edit, methods=["GET", "POST"]),
    Route(_path("{key}", "{collection}", "{action}") + "/delete", remove, methods=["POST"]),
]
