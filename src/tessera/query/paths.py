"""Field expressions: ``author.name``, ``*.*``, ``year(date)``, ``json(meta, a.b[0])``.

A step is a field name, optionally scoped to one collection of a many-to-any relation
(``item:headings``). Names are not checked against the schema here, only against the
characters the syntax itself uses, so a database Directus created keeps its field names.
"""

from __future__ import annotations

import re
from typing import cast, get_args

from tessera.errors import InvalidQueryError
from tessera.query.model import FieldFunction, FieldRef, FilterFunction, JsonPath, Path

FILTER_FUNCTIONS: frozenset[str] = frozenset(get_args(FilterFunction))
FIELD_FUNCTIONS: frozenset[str] = FILTER_FUNCTIONS | {"json"}
#: Directus's MAX_JSON_QUERY_DEPTH default.
MAX_JSON_PATH_DEPTH = 10

_NAME = re.compile(r"[^\s\x00-\x1f.,:()\[\]*]+")
_JSON_STEP = re.compile(r"\.(\w+)|\[([0-9]{1,9})\]")


def _is_step(text: str, star: bool) -> bool:
    if star and text == "*":
        return True
    name, colon, scope = text.partition(":")
    return bool(_NAME.fullmatch(name) and (not colon or _NAME.fullmatch(scope)))


def parse_step(text: str, where: str) -> str:
    """One field name, as ``deep``, ``alias`` and ``aggregate`` take them."""
    if not _is_step(text, star=False):
        raise InvalidQueryError(f'Invalid field name "{text}" at "{where}"')
    return text


def parse_path(text: str, where: str, *, star: bool = False) -> Path:
    steps = tuple(text.split("."))
    if not all(_is_step(step, star) for step in steps):
        raise InvalidQueryError(f'Invalid field "{text}" at "{where}"')
    return steps


def parse_json_path(text: str, where: str) -> JsonPath:
    """``a.b[0]`` or ``[0].a`` as keys and indexes."""
    steps: list[str | int] = []
    rest = text if text.startswith("[") else f".{text}"
    position = 0
    while position < len(rest):
        match = _JSON_STEP.match(rest, position)
        if not match:
            raise InvalidQueryError(f'Invalid JSON path "{text}" at "{where}"')
        key, index = match.groups()
        steps.append(key if key is not None else int(index))
        position = match.end()
    if len(steps) > MAX_JSON_PATH_DEPTH:
        raise InvalidQueryError(
            f'JSON path "{text}" is deeper than {MAX_JSON_PATH_DEPTH} steps at "{where}"'
        )
    return tuple(steps)


def parse_field(
    text: str, where: str, *, star: bool = False, functions: frozenset[str] = FIELD_FUNCTIONS
) -> FieldRef:
    """A path, or a function of the path's last field: ``a.year(b)`` and ``year(a.b)`` alike."""
    if "(" not in text and ")" not in text:
        return FieldRef(parse_path(text, where, star=star))
    opening = text.find("(")
    if opening == -1 or not text.endswith(")") or text.count("(") != 1 or text.count(")") != 1:
        raise InvalidQueryError(f'Invalid function call "{text}" at "{where}"')
    head, argument = text[:opening], text[opening + 1 : -1].strip()
    prefix_text, _, name = head.rpartition(".")
    if name not in functions:
        if name == "json":
            raise InvalidQueryError(f'Use the "_json" operator, not json(), at "{where}"')
        raise InvalidQueryError(f'Unknown function "{name}" at "{where}"')
    prefix = parse_path(prefix_text, where) if prefix_text else ()
    function = cast(FieldFunction, name)
    if function != "json":
        return FieldRef(prefix + parse_path(argument, where), function)
    field_text, comma, json_text = argument.partition(",")
    if not comma:
        raise InvalidQueryError(
            f'json() takes a field and a path, as in json(data, a.b), at "{where}"'
        )
    return FieldRef(
        prefix + parse_path(field_text.strip(), where),
        function,
        parse_json_path(json_text.strip(), where),
    )
