"""What the roles, policies and permissions pages share: reads that show a caller only what
their policies let them read, and what they may change.

A page asks for ``*`` (the items service leaves out the fields the caller may not read)
and reads each related collection in a query of its own, which finds nothing rather than
refusing the whole page when the caller may not read that collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tessera.access.permissions import Action
from tessera.admin.views import Visit, readable
from tessera.errors import ForbiddenError
from tessera.services.users import collection_access

#: How the seed names its system roles and policies (Directus's translation keys).
_TRANSLATED = {
    "$t:public_label": "Public",
    "$t:public_description": "Controls what API calls without a token may do.",
    "$t:admin_description": "Initial administrative role with unrestricted App/API access.",
}


def label(text: str | None) -> str:
    """A name or description as a person should read it."""
    return _TRANSLATED.get(text or "", text or "")


def may(visit: Visit, collection: str, action: Action) -> bool:
    """Whether the caller may ``action`` some items of ``collection`` (to offer the form)."""
    if visit.caller.admin:
        return True
    cached = getattr(visit, "_access", None)
    if cached is None:
        cached = collection_access(visit.items())
        visit._access = cached  # type: ignore[attr-defined]
    granted = cached.get(collection, {}).get(action, {"access": "none"})
    return granted["access"] != "none"


def readable_collections(visit: Visit) -> list[str]:
    """The collections with a table that the caller may know of (every one, for an admin)."""
    overview = visit.state.schema.get()
    return sorted(
        name
        for name, info in overview.collections.items()
        if info.table is not None and (visit.caller.admin or name in readable(visit))
    )


def every(visit: Visit, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of ``collection`` the query selects and the caller may read (none when
    they may read none)."""
    try:
        return visit.items().read_by_query(collection, {"limit": -1, **query}).data
    except ForbiddenError:
        return []


def by_keys(
    visit: Visit, collection: str, keys: Iterable[Any], fields: list[str]
) -> dict[Any, dict[str, Any]]:
    """The readable items of ``collection`` among ``keys``, by key."""
    wanted = sorted({key for key in keys if key is not None}, key=str)
    if not wanted:
        return {}
    rows = every(visit, collection, {"filter": {"id": {"_in": wanted}}, "fields": fields})
    return {row["id"]: row for row in rows}
