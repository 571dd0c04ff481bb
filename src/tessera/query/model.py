"""Directus's query language as immutable values.

:func:`tessera.query.parse_query` builds these from what a caller sent; the compiler turns
them into SQL against the schema overview. Nothing here knows the schema: a path is only
names, and whether they exist, are relational, or may be read is the compiler's question.

Every value is hashable, so a parsed query can key a cache of compiled statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypeVar

FilterFunction: TypeAlias = Literal[
    "year", "month", "week", "day", "weekday", "hour", "minute", "second", "count"
]
#: ``json(field, path)`` reads inside a JSON column; filters use the ``_json`` operator instead.
FieldFunction: TypeAlias = FilterFunction | Literal["json"]

Operator: TypeAlias = Literal[
    "_eq",
    "_neq",
    "_ieq",
    "_nieq",
    "_lt",
    "_lte",
    "_gt",
    "_gte",
    "_in",
    "_nin",
    "_null",
    "_nnull",
    "_contains",
    "_ncontains",
    "_icontains",
    "_nicontains",
    "_starts_with",
    "_nstarts_with",
    "_istarts_with",
    "_nistarts_with",
    "_ends_with",
    "_nends_with",
    "_iends_with",
    "_niends_with",
    "_between",
    "_nbetween",
    "_empty",
    "_nempty",
    "_intersects",
    "_nintersects",
    "_intersects_bbox",
    "_nintersects_bbox",
    "_regex",
    "_submitted",
]

AggregateFunction: TypeAlias = Literal[
    "count", "countDistinct", "countAll", "sum", "sumDistinct", "avg", "avgDistinct", "min", "max"
]
MetaKey: TypeAlias = Literal["total_count", "filter_count"]
VariableName: TypeAlias = Literal[
    "NOW", "CURRENT_USER", "CURRENT_ROLE", "CURRENT_ROLES", "CURRENT_POLICIES"
]
TimeUnit: TypeAlias = Literal[
    "years", "months", "weeks", "days", "hours", "minutes", "seconds", "milliseconds"
]

#: Field names from the root collection; an m2a step keeps its scope, as in ``"item:headings"``.
Path: TypeAlias = tuple[str, ...]
#: Keys and array indexes inside a JSON value: ``a.b[0]`` is ``("a", "b", 0)``.
JsonPath: TypeAlias = tuple[str | int, ...]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping that keeps its insertion order."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._items: dict[K, V] = dict(items)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


@dataclass(frozen=True)
class Adjustment:
    """The shift in ``$NOW(-1 day)``: ``amount`` carries the sign."""

    amount: int | float
    unit: TimeUnit


@dataclass(frozen=True)
class DynamicVariable:
    """``$NOW`` or ``$CURRENT_*``, resolved for the caller just before SQL is built.

    ``path`` follows relations from the user, role or policies (``$CURRENT_USER.department``);
    only ``$NOW`` takes an ``adjustment``.
    """

    name: VariableName
    path: Path = ()
    adjustment: Adjustment | None = None


@dataclass(frozen=True)
class Geometry:
    """A GeoJSON geometry for the ``_intersects`` family, as compact JSON text."""

    geojson: str


Scalar: TypeAlias = str | int | float | bool | None
Operand: TypeAlias = Scalar | DynamicVariable
FilterValue: TypeAlias = Operand | tuple[Operand, ...] | Geometry


@dataclass(frozen=True)
class Condition:
    """``operator`` applied to the field at ``path`` (through ``function`` when given).

    With ``json_path`` (from ``_json``) the operand is the value at that path inside the
    JSON field. Values are what the caller sent, unconverted: a string ``"5"`` compared with
    an integer field is the compiler's to coerce, since only it knows the field's type.
    Lists (``_in``, ``_between`` …) are tuples; ``_null``/``_empty`` and friends hold a bool.
    """

    path: Path
    function: FilterFunction | None
    operator: Operator
    value: FilterValue
    json_path: JsonPath = ()


@dataclass(frozen=True)
class Relational:
    """``_some``/``_none`` over the related items at ``path``; ``filter`` is relative to them."""

    path: Path
    quantifier: Literal["some", "none"]
    filter: Filter


@dataclass(frozen=True)
class And:
    """All of ``filters``; empty means no condition at all."""

    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    """At least one of ``filters`` (never empty)."""

    filters: tuple[Filter, ...]


Filter: TypeAlias = And | Or | Condition | Relational


@dataclass(frozen=True)
class FieldRef:
    """A field as ``fields``, ``groupBy`` and ``alias`` name it.

    ``*`` is a path step of its own (``("*", "*")`` for ``*.*``). ``function`` applies to
    the last step; ``json_path`` is set only with ``json``.
    """

    path: Path
    function: FieldFunction | None = None
    json_path: JsonPath = ()


@dataclass(frozen=True)
class SortKey:
    path: Path
    function: FieldFunction | None
    descending: bool
    json_path: JsonPath = ()


ALL_FIELDS = (FieldRef(("*",)),)


@dataclass(frozen=True, kw_only=True)
class Query:
    """One read: a top-level query, or a nested level's settings under ``deep``.

    ``limit`` is ``None`` for no limit. ``offset`` already accounts for ``page``. In a
    ``deep`` level ``fields`` is always the default: the parent's ``fields`` select there.
    """

    fields: tuple[FieldRef, ...] = ALL_FIELDS
    filter: Filter | None = None
    search: str | None = None
    sort: tuple[SortKey, ...] = ()
    limit: int | None
    offset: int = 0
    page: int | None = None
    aggregate: FrozenMap[AggregateFunction, tuple[str, ...]] = field(default_factory=FrozenMap)
    group_by: tuple[FieldRef, ...] = ()
    deep: FrozenMap[str, Query] = field(default_factory=FrozenMap)
    alias: FrozenMap[str, FieldRef] = field(default_factory=FrozenMap)
    meta: frozenset[MetaKey] = frozenset()
    backlink: bool = True
