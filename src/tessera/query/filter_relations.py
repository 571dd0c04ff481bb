"""How a filter reaches related items: the scopes of a statement and the links between them.

A :class:`Scope` is one collection's rows, the root table or a subquery's alias. A
:class:`Link` is one relational step from it — many-to-one, one-to-many (which is also a
many-to-many's first step, to its junction), or a many-to-any's scoped ``item:headings``
— found in the schema overview, or FORBIDDEN when the schema has no such thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.schema.overview import CollectionInfo, FieldInfo, SchemaOverview


@dataclass(frozen=True)
class Scope:
    """One collection's rows in the statement; ``prefix`` is the path that led here."""

    info: CollectionInfo
    table: sa.FromClause
    prefix: tuple[str, ...]

    def column(self, name: str) -> sa.ColumnElement[Any]:
        return self.table.c[name]

    @property
    def primary(self) -> sa.ColumnElement[Any]:
        return self.table.c[self.info.primary or "id"]


@dataclass(frozen=True)
class Link:
    """How the rows of one collection reach related rows through one field."""

    kind: Literal["m2o", "o2m", "a2o"]
    field: str
    target: CollectionInfo
    #: o2m: the many side's field holding this collection's key; a2o: the field naming
    #: the collection.
    other: str | None = None


def forbidden(scope: Scope, name: str, admin: bool) -> ForbiddenError:
    """FORBIDDEN, naming the field only for an admin, as Directus does."""
    if not admin:
        return ForbiddenError()
    where = ".".join(scope.prefix) or "root"
    reason = (
        f'You don\'t have permission to access field "{name}" in collection '
        f'"{scope.info.collection}" or it does not exist. Queried in {where}.'
    )
    return ForbiddenError(reason, reason=reason)


def field_of(scope: Scope, name: str, admin: bool) -> FieldInfo:
    info = scope.info.fields.get(name)
    if info is None:
        raise forbidden(scope, name, admin)
    return info


def describe(scope: Scope, path: tuple[str, ...], function: str | None = None) -> str:
    """The part of the filter a message names: ``author.year(born)``."""
    steps = list(scope.prefix + path)
    if function:
        steps[-1] = f"{function}({steps[-1]})"
    return ".".join(steps)


def find_link(overview: SchemaOverview, scope: Scope, step: str, admin: bool) -> Link:
    name, colon, target_name = step.partition(":")
    info = field_of(scope, name, admin)
    collection = scope.info.collection
    relation = overview.relation(collection, name) if info.schema is not None else None
    if colon:
        meta = (relation.meta or {}) if relation else {}
        allowed = meta.get("one_allowed_collections") or []
        target = overview.collections.get(target_name)
        if not meta.get("one_collection_field") or target_name not in allowed or not target:
            raise forbidden(scope, step, admin)
        return Link("a2o", name, target, meta["one_collection_field"])
    if relation is not None:
        meta = relation.meta or {}
        if relation.related_collection is None:
            if meta.get("one_allowed_collections"):
                raise InvalidQueryError(
                    f'"{describe(scope, (name,))}" is a many-to-any field: name the '
                    f'collection, as in "{name}:{meta["one_allowed_collections"][0]}"'
                )
            raise forbidden(scope, name, admin)
        target = overview.collections.get(relation.related_collection)
        if target is None or target.table is None:
            raise forbidden(scope, name, admin)
        return Link("m2o", name, target)
    if info.is_alias:
        for candidate in overview.relations:
            if (
                candidate.related_collection == collection
                and (candidate.meta or {}).get("one_field") == name
            ):
                many = overview.collections.get(candidate.collection)
                if many is None or many.table is None:
                    raise forbidden(scope, name, admin)
                return Link("o2m", name, many, candidate.field)
    raise forbidden(scope, name, admin)


def member(
    scope: Scope, link: Link, related: Scope, where: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """Some row of ``related`` reached through ``link`` matches ``where``.

    An uncorrelated ``IN (SELECT ...)``: the database can read the related rows once.
    """
    if link.kind == "m2o":
        keys = sa.select(related.primary).where(where)
        return scope.column(link.field).in_(keys)
    assert link.other is not None
    if link.kind == "o2m":
        holder = related.column(link.other)
        keys = sa.select(holder).where(holder.is_not(None), where)
        return scope.primary.in_(keys)
    keys = sa.select(sa.cast(related.primary, sa.String)).where(where)
    return sa.and_(
        scope.column(link.other) == sa.literal(link.target.collection, sa.String()),
        scope.column(link.field).in_(keys),
    )


def related_count(
    scope: Scope, link: Link, related: Scope, where: sa.ColumnElement[bool] | None = None
) -> sa.ColumnElement[int]:
    """How many rows of ``related`` (matching ``where``) point at the current row of ``scope``.

    For o2m links only.
    """
    assert link.other is not None
    counted = sa.select(sa.func.count()).where(related.column(link.other) == scope.primary)
    if where is not None:
        counted = counted.where(where)
    return counted.scalar_subquery()
