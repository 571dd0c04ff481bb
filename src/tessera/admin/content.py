"""Content, read-only: the collections the caller may read, a collection's items (paged,
searchable) and one item's values — the pages the MCP tools' ``url`` links lead to
(``/admin/content/<collection>`` and ``/admin/content/<collection>/<key>``).

Reads go through the items service as the caller, asking only for the fields their
permissions let them read; editing content stays with the REST API and MCP for now.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin.views import (
    Visit,
    admin_page,
    paging,
    readable,
    readable_fields,
    search_and_page,
)
from tessera.errors import ForbiddenError
from tessera.schema.overview import CollectionInfo

PATH = "/admin/content"
PAGE_SIZE = 25
#: How many fields a collection's table shows (its primary key first).
COLUMNS = 6
#: A table cell's text is cut at this many characters.
CELL_LENGTH = 80


def shown(value: Any, limit: int | None = CELL_LENGTH) -> str:
    """A value as text for a page: JSON for structures, cut at ``limit`` characters."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = value if isinstance(value, str) else json.dumps(value, default=str, indent=None)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _full(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, indent=2)
    return shown(value, None)


def _collection(visit: Visit) -> CollectionInfo:
    """The path's collection, when it is a user collection with a table the caller may read."""
    name = visit.request.path_params["collection"]
    info = visit.state.schema.get().collections.get(name)
    if info is None or info.system or info.table is None or name not in readable(visit):
        raise ForbiddenError()
    return info


def _fields(visit: Visit, info: CollectionInfo) -> list[str]:
    """The collection's stored fields the caller may read, primary key first."""
    stored = [name for name, field in info.fields.items() if not field.is_alias]
    stored.sort(key=lambda name: name != info.primary)
    return readable_fields(visit, info.collection, stored)


@admin_page
def collections(visit: Visit) -> Response:
    overview = visit.state.schema.get()
    names = sorted(
        name
        for name, info in overview.collections.items()
        if not info.system and info.table is not None and name in readable(visit)
    )
    return visit.render("content.html", section=PATH, collections=names)


@admin_page
def items(visit: Visit) -> Response:
    info = _collection(visit)
    fields = _fields(visit, info)
    if (info.meta or {}).get("singleton"):
        item = visit.items().read_singleton(info.collection, {"fields": fields})
        return _item_page(visit, info, fields, item)
    search, page = search_and_page(visit)
    columns = fields[:COLUMNS]
    query: dict[str, Any] = {
        "fields": columns,
        "limit": PAGE_SIZE,
        "page": page,
        "meta": ["filter_count"],
    }
    if info.primary in columns:
        query["sort"] = [info.primary]
    if search:
        query["search"] = search
    found = visit.items().read_by_query(info.collection, query)
    total = (found.meta or {}).get("filter_count", len(found.data))
    return visit.render(
        "content_items.html",
        section=PATH,
        collection=info.collection,
        primary=info.primary if info.primary in columns else None,
        columns=columns,
        rows=[
            (row.get(info.primary), [shown(row.get(name)) for name in columns])
            for row in found.data
        ],
        **paging(f"{PATH}/{info.collection}", search, page, total, PAGE_SIZE),
    )


@admin_page
def item(visit: Visit) -> Response:
    info = _collection(visit)
    fields = _fields(visit, info)
    found = visit.items().read_one(
        info.collection, visit.request.path_params["key"], {"fields": fields}
    )
    return _item_page(visit, info, fields, found)


def _item_page(
    visit: Visit, info: CollectionInfo, fields: list[str], found: dict[str, Any]
) -> Response:
    values = [(name, _full(found.get(name))) for name in fields]
    return visit.render(
        "content_item.html",
        section=PATH,
        collection=info.collection,
        key=found.get(info.primary) if info.primary else None,
        values=values,
    )


routes: list[BaseRoute] = [
    Route(PATH, collections, methods=["GET"]),
    Route(f"{PATH}/{{collection}}", items, methods=["GET"]),
    Route(f"{PATH}/{{collection}}/{{key}}", item, methods=["GET"]),
]
