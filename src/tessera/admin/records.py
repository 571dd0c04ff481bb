"""One file's page and one flow's page, read-only — where the ``files`` and ``flows`` MCP
tools' ``url`` links lead (``/admin/files/<id>``, ``/admin/settings/flows/<id>``).

A file shows its record, a preview when it is an image (through ``/assets``, which the
session cookie signs in) and a download link; a flow shows its trigger and its operations
in the order they run. Both are read through the items service as the caller.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.views import Visit, admin_page, readable_fields

FILE_FIELDS = [
    "id",
    "title",
    "filename_download",
    "type",
    "filesize",
    "width",
    "height",
    "duration",
    "folder",
    "storage",
    "uploaded_by",
    "uploaded_on",
    "modified_on",
    "description",
    "tags",
]
FLOW_FIELDS = ["id", "name", "description", "status", "trigger", "accountability", "options"]
OPERATION_FIELDS = ["id", "name", "key", "type", "options", "resolve", "reject"]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, default=str)
    return str(value)


@admin_page
def file_page(visit: Visit) -> Response:
    fields = readable_fields(visit, "directus_files", FILE_FIELDS)
    found = visit.items().read_one(
        "directus_files", visit.request.path_params["key"], {"fields": fields}
    )
    key = found.get("id") or visit.request.path_params["key"]
    return visit.render(
        "file.html",
        title=found.get("title") or found.get("filename_download") or key,
        key=key,
        image=str(found.get("type") or "").startswith("image/"),
        values=[(name, _text(found.get(name))) for name in fields],
    )


@admin_page
def flow_page(visit: Visit) -> Response:
    items = visit.items()
    key = visit.request.path_params["key"]
    flow = items.read_one("directus_flows", key, {"fields": [*FLOW_FIELDS, "operation"]})
    operations = items.read_by_query(
        "directus_operations",
        {"fields": OPERATION_FIELDS, "filter": {"flow": {"_eq": key}}, "limit": -1},
    ).data
    return visit.render(
        "flow.html",
        flow=flow,
        options=_text(flow.get("options")),
        steps=[
            {**step, "options": _text(step.get("options"))}
            for step in _in_order(flow.get("operation"), operations)
        ],
    )


def _in_order(first: Any, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operations from the flow's first one along resolve, then reject paths (each once),
    then any not reached from it."""
    by_id = {step["id"]: step for step in operations}
    ordered: list[dict[str, Any]] = []
    waiting = [first]
    while waiting:
        current = waiting.pop(0)
        step = by_id.pop(current, None) if current is not None else None
        if step is None:
            continue
        ordered.append(step)
        waiting.extend([step.get("resolve"), step.get("reject")])
    return ordered + list(by_id.values())


routes: list[BaseRoute] = [
    Route("/admin/files/{key}", file_page, methods=["GET"]),
    Route("/admin/settings/flows/{key}", flow_page, methods=["GET"]),
]
