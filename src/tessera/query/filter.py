"""The ``filter`` parameter as a tree of :class:`And`, :class:`Or`, conditions and relations.

Depth is counted the way the SQL grows: every ``_and``/``_or`` and every relation followed
(a step in a field path, ``_some``/``_none``) is one level; the root object is level 1.
The walk refuses a level past the limit before descending into it, so no input, however
deeply nested, reaches Python's recursion limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal, cast, get_args

from tessera.errors import InvalidQueryError
from tessera.query.geometry import parse_geometry
from tessera.query.inputs import object_param
from tessera.query.model import (
    And,
    Condition,
    Filter,
    FilterFunction,
    FilterValue,
    Operand,
    Operator,
    Or,
    Path,
    Relational,
)
from tessera.query.paths import FILTER_FUNCTIONS, parse_field, parse_json_path
from tessera.query.variables import is_variable, parse_variable

OPERATORS: frozenset[str] = frozenset(get_args(Operator))
LOGICAL = ("_and", "_or")
QUANTIFIERS: dict[str, Literal["some", "none"]] = {"_some": "some", "_none": "none"}

_EQUALITY = frozenset({"_eq", "_neq"})
#: Directus reads these texts as null in a filter (a query string can't send JSON null).
_NULL_TEXTS = frozenset({"null", "NULL"})
_ORDERING = frozenset({"_lt", "_lte", "_gt", "_gte"})
#: Operators that match text against text: the compiler gives them one meaning on both databases.
TEXT_MATCH: frozenset[str] = frozenset(
    op for op in OPERATORS if re.fullmatch(r"_n?i?(contains|starts_with|ends_with)", op)
)
_TEXT = TEXT_MATCH | {"_ieq", "_nieq"}
_LIST = frozenset({"_in", "_nin"})
_PAIR = frozenset({"_between", "_nbetween"})
_PRESENCE = frozenset({"_null", "_nnull", "_empty", "_nempty"})
_GEOMETRY = frozenset({"_intersects", "_nintersects", "_intersects_bbox", "_nintersects_bbox"})
#: What can be asked of a value inside a JSON field.
_JSON_OPERATORS = _EQUALITY | _ORDERING | _TEXT | _LIST | _PAIR | _PRESENCE
#: The range of a 64-bit integer column, the widest a database here holds.
_INTEGER_RANGE = range(-(2**63), 2**63)


def parse_filter(raw: object, where: str, max_depth: int) -> Filter | None:
    """The filter, or None when it asks nothing (``{}``, ``{"_and": []}``)."""
    node = _object(object_param(raw, where), (), None, where, 1, max_depth)
    return None if node == And(()) else node


def _object(
    obj: Mapping[Any, Any],
    prefix: Path,
    function: FilterFunction | None,
    where: str,
    level: int,
    limit: int,
) -> Filter:
    """One filter object; ``prefix`` is the field it sits under, if any."""
    _check_depth(prefix, level, where, limit)
    parts: list[Filter] = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise InvalidQueryError(f'"{where}" can only have text keys')
        at = f"{where}.{key}"
        if key in LOGICAL:
            parts.append(_logical(key, value, prefix, function, at, level, limit))
        elif key in QUANTIFIERS or key == "_json":
            if not prefix or function:
                raise InvalidQueryError(f'"{key}" must follow a field at "{where}"')
            inner = _require_object(value, at)
            if key == "_json":
                parts.append(_json(inner, prefix, at, level, limit))
            else:
                relative = _object(inner, (), None, at, level + len(prefix), limit)
                parts.append(Relational(prefix, QUANTIFIERS[key], relative))
        elif key.startswith("_"):
            if key not in OPERATORS:
                raise InvalidQueryError(f'Unknown filter operator "{key}" at "{where}"')
            if not prefix:
                raise InvalidQueryError(f'Filter operator "{key}" must follow a field at "{where}"')
            parts.append(
                Condition(prefix, function, cast(Operator, key), parse_value(key, value, at))
            )
        elif function:
            raise InvalidQueryError(f'A function\'s result has no field "{key}" at "{where}"')
        else:
            ref = parse_field(key, at, functions=FILTER_FUNCTIONS)
            parts.append(
                _field(
                    prefix + ref.path,
                    cast("FilterFunction | None", ref.function),
                    value,
                    at,
                    level,
                    limit,
                )
            )
    return _all(parts)


def _field(
    path: Path,
    function: FilterFunction | None,
    value: object,
    where: str,
    level: int,
    limit: int,
) -> Filter:
    if isinstance(value, Mapping):
        return _object(value, path, function, where, level, limit)
    _check_depth(path, level, where, limit)
    # {"field": value} is short for {"field": {"_eq": value}}.
    return Condition(path, function, "_eq", parse_value("_eq", value, where))


def _logical(
    key: str,
    value: object,
    prefix: Path,
    function: FilterFunction | None,
    where: str,
    level: int,
    limit: int,
) -> Filter:
    children = [
        _object(
            _require_object(item, f"{where}[{i}]"),
            prefix,
            function,
            f"{where}[{i}]",
            level + 1,
            limit,
        )
        for i, item in enumerate(_filter_list(key, value, where))
    ]
    return _all(children) if key == "_and" else _any(children)


def _json(obj: Mapping[Any, Any], prefix: Path, where: str, level: int, limit: int) -> Filter:
    """``{"_json": {"a.b": {"_eq": 1}}}``: conditions on values inside a JSON field."""
    _check_depth(prefix, level, where, limit)
    parts: list[Filter] = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise InvalidQueryError(f'"{where}" can only have text keys')
        at = f"{where}.{key}"
        if key in LOGICAL:
            children = [
                _json(_require_object(item, f"{at}[{i}]"), prefix, f"{at}[{i}]", level + 1, limit)
                for i, item in enumerate(_filter_list(key, value, at))
            ]
            parts.append(_all(children) if key == "_and" else _any(children))
            continue
        json_path = parse_json_path(key, at)
        for operator, operand in _require_object(value, at).items():
            if not isinstance(operator, str) or not operator.startswith("_"):
                raise InvalidQueryError(
                    f'Write the whole JSON path in one key, as "a.b", at "{at}"'
                )
            if operator not in _JSON_OPERATORS:
                raise InvalidQueryError(
                    f'Filter operator "{operator}" can\'t be used in "_json" at "{at}"'
                )
            condition_value = parse_value(operator, operand, f"{at}.{operator}")
            parts.append(
                Condition(prefix, None, cast(Operator, operator), condition_value, json_path)
            )
    return _all(parts)


def parse_value(operator: str, raw: object, where: str) -> FilterValue:
    """Check ``raw`` has the shape ``operator`` needs; lists become tuples."""
    if operator in _EQUALITY:
        return _operand(raw, where, operator, nullable=True, boolean=True)
    if operator in _ORDERING:
        return _operand(raw, where, operator)
    if operator in _TEXT:
        if not isinstance(raw, str):
            raise InvalidQueryError(f'"{operator}" takes a text at "{where}"')
        return _text(raw, where, operator)
    if operator in _LIST:
        return _list(raw, where, operator, boolean=True)
    if operator in _PAIR:
        pair = _list(raw, where, operator, boolean=False)
        if len(pair) != 2:
            raise InvalidQueryError(f'"{operator}" takes exactly two values at "{where}"')
        return pair
    if operator in _PRESENCE or operator == "_submitted":
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
        raise InvalidQueryError(f'"{operator}" takes true or false at "{where}"')
    if operator in _GEOMETRY:
        return parse_geometry(raw, where)
    if not isinstance(raw, str) or not raw:
        raise InvalidQueryError(f'"{operator}" takes a regular expression at "{where}"')
    return raw


def _operand(
    raw: object, where: str, operator: str, *, nullable: bool = False, boolean: bool = False
) -> Operand:
    if raw is None:
        if nullable:
            return None
        raise InvalidQueryError(f'"{operator}" can\'t compare with null (use "_null") at "{where}"')
    if isinstance(raw, bool):
        if boolean:
            return raw
        raise InvalidQueryError(f'"{operator}" can\'t compare with true or false at "{where}"')
    if isinstance(raw, int):
        if raw not in _INTEGER_RANGE:
            raise InvalidQueryError(f'The number for "{operator}" is out of range at "{where}"')
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidQueryError(f'The number for "{operator}" is not valid at "{where}"')
        return raw
    if isinstance(raw, str):
        if nullable and raw in _NULL_TEXTS:
            return None
        return _text(raw, where, operator)
    raise InvalidQueryError(f'"{operator}" takes a text or a number at "{where}"')


def _text(raw: str, where: str, operator: str) -> Operand:
    if not raw:
        raise InvalidQueryError(
            f'"{operator}" can\'t look for an empty text (use "_empty" or "_nempty") at "{where}"'
        )
    return parse_variable(raw, where) if is_variable(raw) else raw


def _list(raw: object, where: str, operator: str, *, boolean: bool) -> tuple[Operand, ...]:
    """A list, or comma-separated text as the REST form sends it."""
    if isinstance(raw, Mapping):  # qs turns a long or sparse list into an object
        raw = list(raw.values())
    if isinstance(raw, str):
        values = tuple(_text(item, where, operator) for item in raw.split(","))
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        values = (_operand(raw, where, operator),)
    elif isinstance(raw, list | tuple):
        values = tuple(
            _operand(item, f"{where}[{i}]", operator, boolean=boolean) for i, item in enumerate(raw)
        )
    else:
        raise InvalidQueryError(f'"{operator}" takes a list of values at "{where}"')
    if not values:
        raise InvalidQueryError(f'"{operator}" takes a list of values at "{where}"')
    return values


def _filter_list(key: str, value: object, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidQueryError(f'"{key}" takes a list of filters at "{where}"')
    if key == "_or" and not value:
        raise InvalidQueryError(f'"_or" needs at least one filter at "{where}"')
    return list(value)


def _require_object(value: object, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise InvalidQueryError(f'"{where}" must be an object')
    return value


def _check_depth(path: Path, level: int, where: str, limit: int) -> None:
    if level + max(len(path) - 1, 0) > limit:
        raise InvalidQueryError(
            f'The filter is nested deeper than the limit of {limit} at "{where}"'
        )


def _all(parts: list[Filter]) -> Filter:
    """``And`` of ``parts`` with nested ``And`` spliced in: one level per group of siblings."""
    flat = tuple(
        child for part in parts for child in (part.filters if isinstance(part, And) else (part,))
    )
    return flat[0] if len(flat) == 1 else And(flat)


def _any(parts: list[Filter]) -> Filter:
    flat = tuple(
        child for part in parts for child in (part.filters if isinstance(part, Or) else (part,))
    )
    return flat[0] if len(flat) == 1 else Or(flat)
