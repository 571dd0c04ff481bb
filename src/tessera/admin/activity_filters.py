"""The activity page's filters: read from the query string, checked (a bad value is said
next to its field, not silently ignored), and turned into a Directus filter.

The origin is what the activity row records: ``mcp`` for every change through /mcp,
``cli`` for the command line, a browser's ``Origin`` for REST. A change an assistant
makes through an OAuth client is recorded with origin ``mcp`` and the user it acts for;
what names the client is the row each of its MCP calls leaves on the client itself
(``run`` on ``directus_oauth_clients``), so "OAuth client X" selects those rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tessera.admin.views import Visit
from tessera.errors import ForbiddenError
from tessera.services.items import ItemsService
from tessera.services.oauth import apps
from tessera.services.oauth.audit import CLIENTS

#: The actions Tessera records (Directus's names).
ACTIONS = ("create", "update", "delete", "login", "logout", "run")
#: The doors every activity log may name, whether or not they have been used yet.
KNOWN_ORIGINS = (("mcp", "MCP (mcp)"), ("cli", "Command line (cli)"))
CLIENT_PREFIX = "oauth:"
#: At most this many other origins (REST callers' sites) are offered in the list.
MORE_ORIGINS = 20
#: At most this many collections are offered (an admin has every collection's activity).
MAX_COLLECTIONS = 500


@dataclass
class Choices:
    """What the filters offer: the collections and origins the caller's readable
    activity names (so the lists reveal nothing else), and for admins each OAuth client."""

    collections: list[str]
    origins: list[tuple[str, str]]

    @classmethod
    def of(cls, visit: Visit, items: ItemsService) -> Choices:
        collections = sorted(_recorded(items, "collection", MAX_COLLECTIONS))
        origins = list(KNOWN_ORIGINS)
        known = {value for value, _ in KNOWN_ORIGINS}
        others = _recorded(items, "origin", MORE_ORIGINS + len(known))
        origins += [(value, value) for value in others if value not in known][:MORE_ORIGINS]
        for client in _clients(visit):
            label = f"OAuth client: {client['client_name']}"
            origins.append((CLIENT_PREFIX + client["client_id"], label))
        return cls(collections, origins)


@dataclass
class Filters:
    user: str = ""
    collection: str = ""
    action: str = ""
    origin: str = ""
    page: int = 1
    #: ``user`` resolved to a user's id.
    user_id: str | None = None

    @classmethod
    def parse(
        cls, visit: Visit, items: ItemsService, choices: Choices
    ) -> tuple[Filters, dict[str, str]]:
        """The filters the query string gives, and a message for each bad one."""
        params = visit.request.query_params
        filters = cls(
            user=params.get("user", "").strip(),
            collection=params.get("collection", "").strip(),
            action=params.get("action", "").strip(),
            origin=params.get("origin", "").strip(),
        )
        errors: dict[str, str] = {}
        if filters.user:
            filters.user_id = _user_id(items, filters.user)
            if filters.user_id is None:
                errors["user"] = f"No user you can see has the email or id {filters.user!r}."
        if filters.collection and filters.collection not in choices.collections:
            errors["collection"] = (
                f"No activity you may read is about a collection named {filters.collection!r}."
            )
        if filters.action and filters.action not in ACTIONS:
            errors["action"] = f"{filters.action!r} is not an action; choose one from the list."
        # Only admins may list the clients; for anyone else a client filter stands, and
        # the items service shows what of it they may read.
        offered = {value for value, _ in choices.origins}
        if visit.caller.admin and filters.client_given and filters.origin not in offered:
            errors["origin"] = f"There is no OAuth client {filters.client!r}."
        page = params.get("page", "1").strip() or "1"
        if page.isdigit() and int(page) >= 1:
            filters.page = int(page)
        else:
            errors["page"] = f"The page must be a whole number from 1, not {page!r}."
        return filters, errors

    @property
    def client_given(self) -> bool:
        return self.origin.startswith(CLIENT_PREFIX)

    @property
    def client(self) -> str:
        return self.origin.removeprefix(CLIENT_PREFIX)

    def params(self) -> dict[str, str]:
        """The filters that are set, as query-string parameters (for page links)."""
        given = {
            "user": self.user,
            "collection": self.collection,
            "action": self.action,
            "origin": self.origin,
        }
        return {name: value for name, value in given.items() if value}

    def to_filter(self) -> dict[str, Any] | None:
        """The Directus filter these select, None for every entry."""
        rules: list[dict[str, Any]] = []
        if self.user_id:
            rules.append({"user": {"_eq": self.user_id}})
        if self.collection:
            rules.append({"collection": {"_eq": self.collection}})
        if self.action:
            rules.append({"action": {"_eq": self.action}})
        if self.client_given:
            rules.append({"collection": {"_eq": CLIENTS}})
            rules.append({"item": {"_eq": self.client}})
        elif self.origin:
            rules.append({"origin": {"_eq": self.origin}})
        return {"_and": rules} if rules else None


def _recorded(items: ItemsService, name: str, limit: int) -> list[str]:
    """The values of ``name`` in the activity the caller may read, most frequent first."""
    try:
        counted = items.read_by_query(
            "directus_activity",
            {
                "aggregate": {"count": ["*"]},
                "groupBy": [name],
                "sort": ["-count"],
                "limit": limit,
            },
        ).data
    except ForbiddenError:
        return []
    return [str(row[name]) for row in counted if row.get(name)]


def _user_id(items: ItemsService, given: str) -> str | None:
    """The id of the user ``given`` names (an email, or an id), when the caller may see
    them; an id is taken as it is, since the activity rows show ids of unreadable users."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        pass
    try:
        found = items.read_by_query(
            "directus_users",
            {"fields": ["id"], "filter": {"email": {"_eq": given.lower()}}, "limit": 1},
        ).data
    except ForbiddenError:
        return None
    return found[0]["id"] if found else None


def _clients(visit: Visit) -> list[dict[str, Any]]:
    """The registered OAuth clients, for an admin while the environment has OAuth on."""
    settings = visit.state.settings
    if not (visit.caller.admin and settings.mcp_enabled and settings.mcp_oauth_enabled):
        return []
    with visit.state.db.read() as conn:
        return apps.list_clients(conn, visit.caller)
