"""The activity log: who did what, when and through which door, newest first; and one
entry with the revisions it recorded.

Everything is read through the items service as the caller, so a person sees exactly the
entries (and revisions) their permissions let REST's ``/activity`` show them. The filters
travel in the query string, so a filtered view is a link that can be shared.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote, urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.admin import content
from tessera.admin.activity_filters import ACTIONS, Choices, Filters
from tessera.admin.views import Visit, admin_page, readable
from tessera.errors import ForbiddenError
from tessera.services.items import ItemsService

PATH = "/admin/activity"
PAGE_SIZE = 25
#: What a revision shows for data or delta the caller's permissions keep back.
HIDDEN = "(not readable with your permissions)"
#: Every field the caller may read (``*`` expands to those), so a permission that keeps
#: some fields of the log back shows the rest; the revisions alias is not shown here.
EVERY_FIELD = ["*"]


@admin_page
def activity_list(visit: Visit) -> Response:
    items = visit.items()
    choices = Choices.of(visit, items)
    filters, errors = Filters.parse(visit, items, choices)
    context: dict[str, Any] = {
        "filters": filters,
        "errors": errors,
        "actions": ACTIONS,
        "collections": choices.collections,
        "origins": choices.origins,
        "entries": [],
    }
    if errors:
        return visit.render("activity.html", 400, section=PATH, **context)
    found = items.read_by_query(
        "directus_activity",
        {
            "fields": EVERY_FIELD,
            "filter": filters.to_filter(),
            # Ids grow with each entry written; a timestamp the caller may not read
            # could not sort.
            "sort": ["-id"],
            "limit": PAGE_SIZE,
            "page": filters.page,
            "meta": "filter_count",
        },
    )
    total = (found.meta or {}).get("filter_count", 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if filters.page > pages:
        errors["page"] = f"There is no page {filters.page}: the last is {pages}."
        return visit.render("activity.html", 400, section=PATH, **context)
    emails = _emails(visit, items, {row["user"] for row in found.data if row.get("user")})
    for row in found.data:
        row["email"] = emails.get(row.get("user"))
    return visit.render(
        "activity.html",
        section=PATH,
        **{
            **context,
            "entries": found.data,
            "total": total,
            "pages": pages,
            "previous": _page_link(filters, filters.page - 1) if filters.page > 1 else None,
            "next": _page_link(filters, filters.page + 1) if filters.page < pages else None,
        },
    )


@admin_page
def activity_entry(visit: Visit) -> Response:
    items = visit.items()
    key = visit.request.path_params["key"]
    entry = items.read_one("directus_activity", key, {"fields": EVERY_FIELD})
    entry.pop("revisions", None)
    user = entry.get("user")
    entry["email"] = _emails(visit, items, {user}).get(user) if user else None
    entry["link"] = _content_link(visit, entry)
    revisions = None
    if visit.caller.admin or "directus_revisions" in readable(visit):
        revisions = items.read_by_query(
            "directus_revisions",
            {
                "fields": EVERY_FIELD,
                "filter": {"activity": {"_eq": key}},
                "sort": ["id"],
            },
        ).data
        for revision in revisions:
            for name in ("data", "delta"):
                if revision.get(name) is not None:
                    revision[name] = json.dumps(revision[name], indent=2, ensure_ascii=False)
                elif name not in revision:
                    revision[name] = HIDDEN
    return visit.render(
        "activity_entry.html", section=PATH, entry=entry, revisions=revisions, back=PATH
    )


def _emails(visit: Visit, items: ItemsService, users: set[str]) -> dict[str, str]:
    """The emails of those ``users`` whose email the caller may read."""
    if not users or not (visit.caller.admin or "directus_users" in readable(visit)):
        return {}
    try:
        found = items.read_many("directus_users", sorted(users), {"fields": ["id", "email"]})
    except ForbiddenError:
        return {}
    return {row["id"]: row["email"] for row in found if row.get("email")}


def _content_link(visit: Visit, entry: dict[str, Any]) -> str | None:
    """The content page of the entry's item, when it is in a collection of the caller's
    own that they may read and the entry did not delete it."""
    collection, item = entry.get("collection"), entry.get("item")
    if not collection or not item or entry.get("action") == "delete":
        return None
    if collection.startswith("directus_") or collection not in readable(visit):
        return None
    return f"{content.PATH}/{quote(collection, safe='')}/{quote(item, safe='')}"


def _page_link(filters: Filters, page: int) -> str:
    return f"{PATH}?{urlencode({**filters.params(), 'page': page})}"


routes: list[BaseRoute] = [
    Route(PATH, activity_list, methods=["GET"]),
    Route(PATH + "/{key}", activity_entry, methods=["GET"]),
]
