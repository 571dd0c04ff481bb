"""A raw query, as REST query-string values or an MCP tool's JSON object, to a :class:`Query`.

Both shapes are read by the same code: every parameter may be text (``limit=10``,
``fields=a,b``, ``filter={...}`` as JSON) or the native value (``10``, a list, an object).
A parameter that is absent or null takes its default. Keys this module does not know are
ignored, as Directus ignores them: a query string also carries ``access_token`` and the like.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast, get_args

from tessera.errors import InvalidQueryError
from tessera.query.filter import parse_filter
from tessera.query.inputs import name_list, object_param
from tessera.query.model import (
    ALL_FIELDS,
    AggregateFunction,
    FieldRef,
    FrozenMap,
    MetaKey,
    Query,
    SortKey,
)
from tessera.query.paths import parse_field, parse_step

DEFAULT_MAX_FILTER_DEPTH = 16
#: Directus's MAX_RELATIONAL_DEPTH default.
DEFAULT_MAX_RELATIONAL_DEPTH = 10
#: The largest integer every JSON client reads exactly.
MAX_NUMBER = 2**53 - 1

AGGREGATE_FUNCTIONS: frozenset[str] = frozenset(get_args(AggregateFunction))
META_KEYS: tuple[MetaKey, ...] = get_args(MetaKey)
#: What a ``deep`` level may set, each with a leading underscore (``_filter``).
DEEP_PARAMETERS = frozenset(
    {"filter", "sort", "limit", "offset", "page", "search", "aggregate", "groupBy"}
)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class _Limits:
    default: int
    maximum: int | None
    filter_depth: int
    relational_depth: int


def parse_query(
    raw: Mapping[str, Any],
    *,
    limit_default: int,
    limit_max: int | None,
    max_filter_depth: int = DEFAULT_MAX_FILTER_DEPTH,
    max_relational_depth: int = DEFAULT_MAX_RELATIONAL_DEPTH,
) -> Query:
    """Parse and check a query; every problem is an :class:`InvalidQueryError` naming its part.

    ``limit_default`` and ``limit_max`` are QUERY_LIMIT_DEFAULT and QUERY_LIMIT_MAX (None for
    no cap). ``max_filter_depth`` bounds how far a filter nests (see
    :mod:`tessera.query.filter`); ``max_relational_depth`` bounds field paths in ``fields``,
    ``sort``, ``groupBy`` and the nesting of ``deep``.
    """
    if not isinstance(raw, Mapping):
        raise InvalidQueryError("The query must be an object")
    if raw.get("version") is not None:
        raise InvalidQueryError('"version": content versions are not supported')
    limits = _Limits(limit_default, limit_max, max_filter_depth, max_relational_depth)
    return _build(_given(raw), str, limits)


#: An empty text means the default, as a query string with ``fields=`` means in Directus;
#: ``limit=`` alone means 0 there.
_EMPTY_MEANS = {"limit": "0"}


def _given(params: Mapping[Any, Any]) -> dict[str, Any]:
    """The parameters that were set: null, and empty text except ``search``, are unset."""
    given = {}
    for key, value in params.items():
        if value == "" and key != "search":
            value = _EMPTY_MEANS.get(key)
        if value is not None:
            given[key] = value
    return given


def _build(given: Mapping[str, Any], name: Callable[[str], str], limits: _Limits) -> Query:
    """A top-level query, or a ``deep`` level (whose ``given`` holds only DEEP_PARAMETERS)."""
    limit = _limit(given.get("limit"), name("limit"), limits)
    offset, page = _position(given.get("offset"), given.get("page"), name, limit)
    return Query(
        fields=_fields(given["fields"], limits) if "fields" in given else ALL_FIELDS,
        filter=(
            parse_filter(given["filter"], name("filter"), limits.filter_depth)
            if "filter" in given
            else None
        ),
        search=_search(given["search"], name("search")) if "search" in given else None,
        sort=_sort(given["sort"], name("sort"), limits) if "sort" in given else (),
        limit=limit,
        offset=offset,
        page=page,
        aggregate=(
            _aggregate(given["aggregate"], name("aggregate"))
            if "aggregate" in given
            else FrozenMap()
        ),
        group_by=(
            _field_list(given["groupBy"], name("groupBy"), limits) if "groupBy" in given else ()
        ),
        deep=_deep(given["deep"], limits) if "deep" in given else FrozenMap(),
        alias=_alias(given["alias"]) if "alias" in given else FrozenMap(),
        meta=_meta(given["meta"]) if "meta" in given else frozenset(),
        backlink=_boolean(given["backlink"], "backlink") if "backlink" in given else True,
    )


def _limit(raw: object, where: str, limits: _Limits) -> int | None:
    """Directus's rules: ``-1`` is no limit, or QUERY_LIMIT_MAX when one is set."""
    if raw is None:
        return limits.default if limits.maximum is None else min(limits.default, limits.maximum)
    limit = _integer(raw, where, minimum=-1)
    if limit == -1:
        return limits.maximum
    if limits.maximum is not None and limit > limits.maximum:
        raise InvalidQueryError(f'"{where}" must be at most {limits.maximum}')
    return limit


def _position(
    raw_offset: object, raw_page: object, name: Callable[[str], str], limit: int | None
) -> tuple[int, int | None]:
    """The offset, and the page it came from when ``page`` was given."""
    if raw_page is None:
        return (0 if raw_offset is None else _integer(raw_offset, name("offset"), minimum=0)), None
    page = _integer(raw_page, name("page"), minimum=1)
    if raw_offset is not None:
        raise InvalidQueryError(f'"{name("offset")}" and "{name("page")}" can\'t be used together')
    if limit is None:
        if page > 1:
            raise InvalidQueryError(f'"{name("page")}" beyond 1 needs a "limit" other than -1')
        return 0, page
    offset = (page - 1) * limit
    if offset > MAX_NUMBER:
        raise InvalidQueryError(f'"{name("page")}" is too large')
    return offset, page


def _integer(raw: object, where: str, *, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidQueryError(f'"{where}" must be a number')
    if isinstance(raw, str):
        if _INTEGER.fullmatch(raw):
            digits = raw.lstrip("+-").lstrip("0")
            value = MAX_NUMBER + 1 if len(digits) > 16 else int(raw)
        elif _DECIMAL.fullmatch(raw):
            raise InvalidQueryError(f'"{where}" must be an integer')
        else:
            raise InvalidQueryError(f'"{where}" must be a number')
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidQueryError(f'"{where}" must be a number')
        if not raw.is_integer():
            raise InvalidQueryError(f'"{where}" must be an integer')
        value = int(raw)
    else:
        value = raw
    if value < minimum:
        raise InvalidQueryError(f'"{where}" must be {minimum} or more')
    if value > MAX_NUMBER:
        raise InvalidQueryError(f'"{where}" must be at most {MAX_NUMBER}')
    return value


def _field(text: str, where: str, limits: _Limits, *, star: bool = False) -> FieldRef:
    ref = parse_field(text, where, star=star)
    if len(ref.path) > limits.relational_depth:
        raise InvalidQueryError(f'"{where}" goes deeper than {limits.relational_depth} relations')
    return ref


def _fields(raw: object, limits: _Limits) -> tuple[FieldRef, ...]:
    entries = name_list(raw, "fields")
    if not entries:
        raise InvalidQueryError('"fields" can\'t be empty')
    return tuple(_field(text, where, limits, star=True) for text, where in entries)


def _field_list(raw: object, where: str, limits: _Limits) -> tuple[FieldRef, ...]:
    return tuple(_field(text, at, limits) for text, at in name_list(raw, where))


def _sort(raw: object, where: str, limits: _Limits) -> tuple[SortKey, ...]:
    keys = []
    for text, at in name_list(raw, where):
        descending = text.startswith("-")
        if text == "-":
            raise InvalidQueryError(f'"{at}" needs a field after "-"')
        ref = _field(text[1:] if descending else text, at, limits)
        keys.append(SortKey(ref.path, ref.function, descending, ref.json_path))
    return tuple(keys)


def _search(raw: object, where: str) -> str | None:
    if not isinstance(raw, str):
        raise InvalidQueryError(f'"{where}" must be a text')
    return raw.strip() or None


def _aggregate(raw: object, where: str) -> FrozenMap[AggregateFunction, tuple[str, ...]]:
    """``{count: ["*"], sum: ["price"]}``; ``*`` is for counting rows only."""
    aggregate: dict[AggregateFunction, tuple[str, ...]] = {}
    for function, value in object_param(raw, where).items():
        at = f"{where}.{function}"
        if function not in AGGREGATE_FUNCTIONS:
            raise InvalidQueryError(f'Unknown aggregate function "{function}" at "{at}"')
        entries = name_list(value, at)
        if not entries:
            raise InvalidQueryError(f'"{at}" can\'t be empty')
        for text, field_at in entries:
            if text == "*":
                if function not in ("count", "countAll"):
                    raise InvalidQueryError(f'Only "count" takes "*" at "{field_at}"')
            elif function == "countAll":
                raise InvalidQueryError(f'"countAll" counts items and takes "*" at "{field_at}"')
            elif "." in text:
                raise InvalidQueryError(
                    f'Aggregates take the collection\'s own fields at "{field_at}"'
                )
            else:
                parse_step(text, field_at)
        aggregate[cast(AggregateFunction, function)] = tuple(text for text, _ in entries)
    return FrozenMap(aggregate)


def _alias(raw: object) -> FrozenMap[str, FieldRef]:
    """``{"new_name": "field"}`` or ``{"new_name": "year(date)"}``; never a relational path."""
    alias: dict[str, FieldRef] = {}
    for key, value in object_param(raw, "alias").items():
        at = f"alias.{key}"
        if ":" in key:
            raise InvalidQueryError(f'Invalid alias name "{key}" at "{at}"')
        parse_step(key, at)
        if not isinstance(value, str) or not value.strip():
            raise InvalidQueryError(f'"{at}" must name a field')
        ref = parse_field(value.strip(), at)
        if len(ref.path) != 1:
            raise InvalidQueryError(f'"{at}" can\'t point into a relation')
        alias[key] = ref
    return FrozenMap(alias)


def _meta(raw: object) -> frozenset[MetaKey]:
    keys: set[MetaKey] = set()
    for text, at in name_list(raw, "meta"):
        if text == "*":
            keys.update(META_KEYS)
        elif text in META_KEYS:
            keys.add(text)
        else:
            raise InvalidQueryError(f'"{at}" must be total_count, filter_count or *')
    return frozenset(keys)


def _boolean(raw: object, where: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    raise InvalidQueryError(f'"{where}" must be true or false')


def _deep(raw: object, limits: _Limits) -> FrozenMap[str, Query]:
    """``{rel: {_limit: 5, _filter: {...}, nested_rel: {...}}}``: a :class:`Query` per relation."""
    levels = object_param(raw, "deep")
    for key in levels:
        if key.startswith("_"):
            raise InvalidQueryError(f'"deep" names relational fields first, not "{key}"')
    return _deep_children(levels, "deep", limits, level=1)


def _deep_children(
    children: Mapping[str, Any], where: str, limits: _Limits, level: int
) -> FrozenMap[str, Query]:
    queries: dict[str, Query] = {}
    for key, value in children.items():
        at = f"{where}.{key}"
        parse_step(key, at)
        if not isinstance(value, Mapping):
            raise InvalidQueryError(f'"{at}" must be an object')
        if level > limits.relational_depth:
            raise InvalidQueryError(
                f'"deep" goes deeper than {limits.relational_depth} relations at "{at}"'
            )
        queries[key] = _deep_level(value, at, limits, level)
    return FrozenMap(queries)


def _deep_level(level_params: Mapping[Any, Any], where: str, limits: _Limits, level: int) -> Query:
    params: dict[str, Any] = {}
    children: dict[str, Any] = {}
    for key, value in level_params.items():
        if not isinstance(key, str):
            raise InvalidQueryError(f'"{where}" can only have text keys')
        if not key.startswith("_"):
            children[key] = value
        elif key[1:] in DEEP_PARAMETERS:
            params[key[1:]] = value
        else:
            raise InvalidQueryError(f'"{key}" can\'t be used in "deep" at "{where}"')
    nested = _build(_given(params), lambda name: f"{where}._{name}", limits)
    return replace(nested, deep=_deep_children(children, where, limits, level + 1))
