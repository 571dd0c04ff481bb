"""The root SELECTs of plain reads, built once per shape of query instead of on every read.

Building a SELECT with SQLAlchemy and computing its cache key costs more than running it:
on SQLite, of a ~250 µs read of ten items, ~60 µs build the statement and ~75 µs compute
the key that finds its compiled form (a statement object SQLAlchemy has seen keeps its
key). A read with no filter and no search, on a collection the caller reads without row
or field rules (admins: every collection), sorted by the collection's own fields, has SQL
that depends only on the schema, the caller's grants and the query's other settings —
never on the caller's variables or the time — and takes its limit and offset as bound
parameters. Such a statement is kept here, with the selection it reads; an entry counts
only for the very schema overview and grants it was built from, which their own caches
replace when a change counter moves.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa

from tessera.query.access import ReadAccess
from tessera.query.model import Query
from tessera.query.selection import Level
from tessera.schema.overview import SchemaOverview

#: The root level's selection, its SELECT, and what each of its columns holds.
Root = tuple[Level, sa.Select[Any], list[str]]


def plain(query: Query, access: ReadAccess, collection: str) -> bool:
    """Whether the root SELECT of ``query`` on ``collection`` may be kept (module docstring)."""
    if query.filter is not None or query.search:
        return False
    if any(len(key.path) != 1 for key in query.sort):
        return False
    if access.full:
        return True
    grant = access.collections.get(collection)
    return grant is not None and all(case.rule is None for case in grant.cases)


class RootStatements:
    """Kept statements, shared by every thread; dropped all at once when ``size`` is reached."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._kept: dict[tuple[int, int, Hashable], tuple[SchemaOverview, ReadAccess, Root]] = {}
        self._lock = threading.Lock()

    def get(self, overview: SchemaOverview, access: ReadAccess, key: Hashable) -> Root | None:
        found = self._kept.get((id(overview), id(access), key))
        if found is None or found[0] is not overview or found[1] is not access:
            return None
        return found[2]

    def put(self, overview: SchemaOverview, access: ReadAccess, key: Hashable, value: Root) -> None:
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[(id(overview), id(access), key)] = (overview, access, value)
