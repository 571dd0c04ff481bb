"""What a read returns: ``fields``, ``alias`` and ``deep`` resolved into a tree of levels.

Each :class:`Level` is one collection's items and what to show of them: plain values
(a column, or a function of one such as ``year(date)``) and :class:`Nested` relations,
each with its own levels. The tree is checked against the schema and the caller's read
grants as it is built, the way Directus does it:

- ``*`` is every field the caller may read at that level, in the table's order; ``*.*``
  adds one relational level, skipping collections the caller may not read (an m2o then
  shows its key, a to-many field is left out);
- a field named outright must exist and be readable, or the read is FORBIDDEN;
- an m2o or many-to-any ``item`` field with no sub-fields shows its stored key; a to-many
  field shows the keys of its related items (junction rows for a many-to-many);
- ``backlink: false`` keeps ``*.*`` from walking back along the relation it came through;
- a many-to-any step names its collection (``item:headings.title``); an unscoped
  ``item.title`` applies to every collection the relation allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.query.access import ReadAccess
from tessera.query.filter_relations import Link, Scope, find_link, forbidden
from tessera.query.filter_sql import FUNCTIONS_FOR_TYPE
from tessera.query.model import FieldFunction, FieldRef, JsonPath, Query
from tessera.schema.overview import CollectionInfo, SchemaOverview

_NON_WORD = re.compile(r"\W")


@dataclass(frozen=True)
class Value:
    """One output value: the column ``field``, or ``function`` of it, shown as ``key``."""

    key: str
    field: str
    function: FieldFunction | None = None
    json_path: JsonPath = ()


@dataclass
class Nested:
    """Related items shown under ``key``, through ``link``, read with ``query``'s settings.

    ``levels`` has one entry per related collection (several for a many-to-any ``item``).
    ``keys_only`` is a to-many field named without sub-fields: a list of related keys.
    """

    key: str
    link: Link
    query: Query
    levels: dict[str, Level]
    keys_only: bool = False


@dataclass
class Level:
    info: CollectionInfo
    outputs: list[Value | Nested] = field(default_factory=list)

    @property
    def nested(self) -> list[Nested]:
        return [out for out in self.outputs if isinstance(out, Nested)]

    @cached_property
    def concealed(self) -> frozenset[str]:
        """The fields whose values read as ``**********``."""
        return frozenset(
            name for name, info in self.info.fields.items() if "conceal" in info.special
        )


def output_key(ref: FieldRef) -> str:
    """Where a function's result appears: ``date_year``, ``comments_count``, ``meta_a_b_json``."""
    name = ref.path[-1]
    if ref.function is None:
        return name
    if ref.function == "json":
        steps = "_".join(_NON_WORD.sub("_", str(step)) for step in ref.json_path)
        return f"{name}_{steps}_json"
    return f"{name}_{ref.function}"


@dataclass
class _Builder:
    overview: SchemaOverview
    access: ReadAccess
    admin: bool
    limit_default: int | None
    backlink: bool = True

    def level(
        self,
        info: CollectionInfo,
        refs: Sequence[FieldRef],
        query: Query,
        came_through: tuple[str, str] | None,
        aliases: dict[str, FieldRef],
    ) -> Level:
        """``info``'s outputs for ``refs``; ``aliases`` only at the root, as Directus has them."""
        grant = self.access.of(info.collection)
        scope = Scope(info, info.sql_table, ())
        plain: dict[str, Value] = {}
        below: dict[str, tuple[str, list[FieldRef]]] = {}
        keys_only: dict[str, str] = {}
        order: list[str] = []

        def place(key: str) -> None:
            if key not in order:
                order.append(key)

        for ref in refs:
            head = ref.path[0]
            if head == "*":
                for name in info.fields:
                    if not grant.readable(name) or not self._shown(scope, name):
                        continue
                    if self._skips_back(scope, name, came_through):
                        continue
                    place(name)
                    if len(ref.path) > 1 and self._expandable(scope, name):
                        below.setdefault(name, (name, []))[1].append(
                            FieldRef((name, *ref.path[1:]), ref.function, ref.json_path)
                        )
                        continue
                    if self._is_to_many(scope, name):
                        keys_only[name] = name
                    else:
                        plain.setdefault(name, Value(name, name))
                if len(ref.path) == 1:
                    for key in aliases:
                        place(key)
                continue
            name = head.partition(":")[0]
            if name in aliases:
                if len(ref.path) == 1 and ref.function is None:
                    place(name)
                    continue
                real = aliases[name].path[0]
            else:
                real = name
            if real not in info.fields or not grant.readable(real):
                raise forbidden(scope, real, self.admin)
            if len(ref.path) > 1:
                place(name)
                below.setdefault(name, (real, []))[1].append(ref)
            elif ref.function is not None:
                key = output_key(ref)
                place(key)
                plain.setdefault(key, self._function(scope, ref, key))
            elif self._is_to_many(scope, real):
                place(name)
                keys_only[name] = real
            elif info.fields[real].is_alias:
                raise InvalidQueryError(f'"{real}" holds no value to read')
            else:
                place(name)
                plain.setdefault(name, Value(name, real))
        level = Level(info)
        for key in order:
            if key in below:
                real, sub = below[key]
                level.outputs.append(self._nested(scope, key, real, sub, query, came_through))
            elif key in keys_only:
                level.outputs.append(self._keys(scope, key, keys_only[key], query))
            elif key in plain:
                level.outputs.append(plain[key])
            else:
                level.outputs.append(self._alias_value(scope, key, aliases[key], query))
        return level

    def _alias_value(self, scope: Scope, key: str, ref: FieldRef, query: Query) -> Value | Nested:
        """``alias: {key: field}`` shown at the root under ``key``."""
        name = ref.path[0]
        if name not in scope.info.fields or not self.access.of(scope.info.collection).readable(
            name
        ):
            raise forbidden(scope, name, self.admin)
        if ref.function is not None:
            return self._function(scope, ref, key)
        if self._is_to_many(scope, name):
            return self._keys(scope, key, name, query)
        if scope.info.fields[name].is_alias:
            raise InvalidQueryError(f'"{name}" holds no value to read')
        return Value(key, name)

    def _function(self, scope: Scope, ref: FieldRef, key: str) -> Value:
        name = ref.path[0]
        info = scope.info.fields[name]
        assert ref.function is not None
        if ref.function == "count":
            if info.type != "json" and not self._is_to_many(scope, name):
                raise InvalidQueryError(
                    f'count() takes a one-to-many, many-to-many or JSON field, not "{name}"'
                )
        elif ref.function == "json":
            if info.type != "json" or "conceal" in info.special:
                raise InvalidQueryError(f'json() takes a JSON field, not "{name}"')
        elif ref.function not in FUNCTIONS_FOR_TYPE.get(info.type, ()):
            raise InvalidQueryError(
                f'{ref.function}() does not take a field of type "{info.type}" ("{name}")'
            )
        return Value(key, name, ref.function, ref.json_path)

    # --- relations ---------------------------------------------------------------------

    def _link(self, scope: Scope, name: str) -> Link | None:
        """How ``name`` relates to other items; for a many-to-any ``item`` field the link's
        ``target`` is meaningless (see :meth:`_a2o_targets`) and ``other`` names the field
        holding the collection."""
        relation = self.overview.relation(scope.info.collection, name)
        if relation is not None:
            meta = relation.meta or {}
            if relation.related_collection is None:
                if meta.get("one_collection_field") and meta.get("one_allowed_collections"):
                    return Link("a2o", name, scope.info, meta["one_collection_field"])
                return None
            target = self.overview.collections.get(relation.related_collection)
            if target is None or target.table is None:
                return None
            return Link("m2o", name, target)
        if not scope.info.fields[name].is_alias:
            return None
        try:
            return find_link(self.overview, scope, name, self.admin)
        except (ForbiddenError, InvalidQueryError):
            return None

    def _is_to_many(self, scope: Scope, name: str) -> bool:
        if not scope.info.fields[name].is_alias:
            return False
        link = self._link(scope, name)
        return link is not None and link.kind == "o2m"

    def _shown(self, scope: Scope, name: str) -> bool:
        """``*`` shows every column, and the to-many aliases whose items the caller may read."""
        if not scope.info.fields[name].is_alias:
            return True
        link = self._link(scope, name)
        return (
            link is not None and link.kind == "o2m" and self.access.may_read(link.target.collection)
        )

    def _expandable(self, scope: Scope, name: str) -> bool:
        """Whether ``*.*`` goes into ``name``: a relation to something the caller may read."""
        link = self._link(scope, name)
        if link is None:
            return False
        targets = self._a2o_targets(scope, name) if link.kind == "a2o" else [link.target]
        return any(self.access.may_read(t.collection) for t in targets)

    def _skips_back(self, scope: Scope, name: str, came_through: tuple[str, str] | None) -> bool:
        """With ``backlink: false``, wildcards leave out the relation back to the parent."""
        return (
            not self.backlink
            and came_through is not None
            and self._is_backlink(scope, name, came_through)
        )

    def _is_backlink(self, scope: Scope, name: str, came_through: tuple[str, str]) -> bool:
        """``came_through`` is (collection, field) of the relation that led to this level."""
        parent_collection, parent_field = came_through
        relation = self.overview.relation(scope.info.collection, name)
        if relation is not None:  # this m2o points back along the parent's o2m
            return (
                relation.related_collection == parent_collection
                and (relation.meta or {}).get("one_field") == parent_field
            )
        back = self.overview.relation(parent_collection, parent_field)
        return (
            back is not None
            and back.related_collection == scope.info.collection
            and (back.meta or {}).get("one_field") == name
        )

    def _a2o_targets(self, scope: Scope, name: str) -> list[CollectionInfo]:
        relation = self.overview.relation(scope.info.collection, name)
        allowed = ((relation.meta or {}).get("one_allowed_collections") or []) if relation else []
        found = [self.overview.collections.get(c) for c in allowed]
        return [info for info in found if info is not None and info.table is not None]

    def _keys(self, scope: Scope, key: str, name: str, query: Query) -> Nested:
        """A to-many field named without sub-fields: its related items' keys."""
        link = find_link(self.overview, scope, name, self.admin)
        self.access.of(link.target.collection)
        primary = link.target.primary or "id"
        level = Level(link.target, [Value(primary, primary)])
        return Nested(
            key, link, self._deep(query, key), {link.target.collection: level}, keys_only=True
        )

    def _nested(
        self,
        scope: Scope,
        key: str,
        name: str,
        refs: list[FieldRef],
        query: Query,
        came_through: tuple[str, str] | None,
    ) -> Nested:
        """``key`` shows the items related through ``name``; ``refs`` still start with it."""
        nested_query = self._deep(query, key)
        link = self._link(scope, name)
        if link is None:
            raise InvalidQueryError(f'"{name}" is not a relational field')
        came = (scope.info.collection, name)
        if link.kind != "a2o":
            if any(":" in ref.path[0] for ref in refs):
                raise InvalidQueryError(f'"{name}" is not a many-to-any field')
            self.access.of(link.target.collection)
            sub = [FieldRef(ref.path[1:], ref.function, ref.json_path) for ref in refs]
            level = self.level(link.target, sub, nested_query, came, {})
            return Nested(key, link, nested_query, {link.target.collection: level})
        targets = {info.collection: info for info in self._a2o_targets(scope, name)}
        per_target: dict[str, list[FieldRef]] = {}
        for ref in refs:
            _, colon, scoped = ref.path[0].partition(":")
            rest = FieldRef(ref.path[1:], ref.function, ref.json_path)
            if colon:
                if scoped not in targets:
                    raise forbidden(scope, ref.path[0], self.admin)
                self.access.of(scoped)
                per_target.setdefault(scoped, []).append(rest)
            else:
                for collection in targets:
                    if self.access.may_read(collection):
                        per_target.setdefault(collection, []).append(rest)
        levels = {
            collection: self.level(targets[collection], sub, nested_query, came, {})
            for collection, sub in per_target.items()
        }
        return Nested(key, link, nested_query, levels)

    def _deep(self, query: Query, key: str) -> Query:
        found = query.deep.get(key)
        return found if found is not None else Query(limit=self.limit_default)


def select_fields(
    query: Query,
    info: CollectionInfo,
    overview: SchemaOverview,
    access: ReadAccess,
    *,
    admin: bool,
    limit_default: int | None,
) -> Level:
    """The tree of what ``query`` reads from ``info``'s items, checked against ``access``."""
    builder = _Builder(overview, access, admin, limit_default, query.backlink)
    return builder.level(info, query.fields, query, None, dict(query.alias))
