"""What ``$NOW`` and ``$CURRENT_*`` stand for when a filter is compiled.

:class:`Variables` holds the caller's user, role, roles and policies. A sub-path such as
``$CURRENT_USER.department`` or ``$CURRENT_ROLES.name`` needs the database:
:func:`load_variables` reads every sub-path a filter uses (following m2o and o2m
relations through the schema overview, with no permission checks, as Directus does) and
returns a :class:`Variables` that carries their values; :func:`compile_filter` refuses a
sub-path that was not loaded rather than guess.

A variable that follows a to-many step, or starts from ``$CURRENT_ROLES`` or
``$CURRENT_POLICIES``, stands for a list, which only ``_in`` and ``_nin`` accept.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.errors import ForbiddenError
from tessera.query.model import (
    Adjustment,
    And,
    Condition,
    DynamicVariable,
    Filter,
    Or,
    Relational,
)
from tessera.schema.overview import SchemaOverview

#: Where each variable's sub-path starts.
ROOT_COLLECTIONS = {
    "CURRENT_USER": "directus_users",
    "CURRENT_ROLE": "directus_roles",
    "CURRENT_ROLES": "directus_roles",
    "CURRENT_POLICIES": "directus_policies",
}


@dataclass(frozen=True)
class Variables:
    """The caller as dynamic variables see it.

    ``roles`` is the role and its ancestors (``$CURRENT_ROLES``); ``policies`` every
    policy that applies to the caller. ``paths`` holds sub-path values, from
    :func:`load_variables`.
    """

    user: str | None = None
    role: str | None = None
    roles: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    paths: Mapping[DynamicVariable, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, accountability: Accountability | None, policies: tuple[str, ...] = ()) -> Variables:
        if accountability is None:
            return cls(policies=policies)
        roles = accountability.roles or ((accountability.role,) if accountability.role else ())
        return cls(accountability.user, accountability.role, roles, policies)

    def value(self, variable: DynamicVariable) -> Any:
        """A ``$CURRENT_*`` value: a key, None, or a list (see the module's notes)."""
        if variable.path:
            if variable not in self.paths:
                raise LookupError(
                    f"${variable.name}.{'.'.join(variable.path)} was not loaded: "
                    "call load_variables() before compile_filter()"
                )
            return self.paths[variable]
        return {
            "CURRENT_USER": self.user,
            "CURRENT_ROLE": self.role,
            "CURRENT_ROLES": list(self.roles),
            "CURRENT_POLICIES": list(self.policies),
        }[variable.name]

    def root_keys(self, variable: DynamicVariable) -> list[str]:
        value = self.value(DynamicVariable(variable.name))
        if isinstance(value, list):
            return value
        return [] if value is None else [value]


def now_value(variable: DynamicVariable, now: dt.datetime) -> dt.datetime:
    """``$NOW`` shifted by its adjustment; months and years move by the calendar."""
    adjustment = variable.adjustment
    return now if adjustment is None else shift(now, adjustment)


def shift(moment: dt.datetime, adjustment: Adjustment) -> dt.datetime:
    if adjustment.unit in ("years", "months"):
        months = int(adjustment.amount) * (12 if adjustment.unit == "years" else 1)
        total = moment.year * 12 + moment.month - 1 + months
        year, month = divmod(total, 12)
        year = min(max(year, dt.MINYEAR), dt.MAXYEAR)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    seconds = {
        "weeks": 7 * 86400,
        "days": 86400,
        "hours": 3600,
        "minutes": 60,
        "seconds": 1,
        "milliseconds": 0.001,
    }[adjustment.unit]
    try:
        return moment + dt.timedelta(seconds=adjustment.amount * seconds)
    except OverflowError:  # past year 9999 (or before year 1): the furthest date there is
        furthest = dt.datetime.max if adjustment.amount > 0 else dt.datetime.min
        return furthest.replace(tzinfo=moment.tzinfo)


def load_variables(
    conn: Connection, overview: SchemaOverview, variables: Variables, *filters: Filter | None
) -> Variables:
    """``variables`` with the value of every ``$CURRENT_*`` sub-path ``filters`` use."""
    paths = dict(variables.paths)
    for variable in {v for f in filters if f is not None for v in _variables(f)}:
        if variable.path and variable not in paths:
            keys = variables.root_keys(variable)
            values, many = _follow(
                conn, overview, ROOT_COLLECTIONS[variable.name], keys, variable.path
            )
            if many or variable.name in ("CURRENT_ROLES", "CURRENT_POLICIES"):
                paths[variable] = values
            else:
                paths[variable] = values[0] if values else None
    return Variables(variables.user, variables.role, variables.roles, variables.policies, paths)


def _variables(node: Filter) -> Iterator[DynamicVariable]:
    if isinstance(node, And | Or):
        for child in node.filters:
            yield from _variables(child)
    elif isinstance(node, Relational):
        yield from _variables(node.filter)
    elif isinstance(node, Condition):
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        yield from (v for v in values if isinstance(v, DynamicVariable))


def _follow(
    conn: Connection,
    overview: SchemaOverview,
    collection: str,
    keys: list[Any],
    path: tuple[str, ...],
) -> tuple[list[Any], bool]:
    """The values at ``path`` from the items ``keys``, and whether a to-many step was taken."""
    info = overview.collections.get(collection)
    step, rest = path[0], path[1:]
    found = info.fields.get(step) if info is not None and info.table is not None else None
    if info is None or found is None or ":" in step:
        raise ForbiddenError()
    table = info.sql_table
    primary = table.c[info.primary or "id"]
    if found.schema is not None:
        rows = conn.execute(sa.select(table.c[step]).where(primary.in_(keys)))
        values = [row[0] for row in rows]
        if not rest:
            return values, False
        relation = overview.relation(collection, step)
        if relation is None or relation.related_collection is None:
            raise ForbiddenError()
        targets = [value for value in values if value is not None]
        return _follow(conn, overview, relation.related_collection, targets, rest)
    relation = next(
        (
            r
            for r in overview.relations
            if r.related_collection == collection and (r.meta or {}).get("one_field") == step
        ),
        None,
    )
    if relation is None:
        raise ForbiddenError()
    many = overview.collections[relation.collection]
    many_table = many.sql_table
    rows = conn.execute(
        sa.select(many_table.c[many.primary or "id"]).where(many_table.c[relation.field].in_(keys))
    )
    children = [row[0] for row in rows]
    if not rest:
        return children, True
    values, _ = _follow(conn, overview, relation.collection, children, rest)
    return values, True
