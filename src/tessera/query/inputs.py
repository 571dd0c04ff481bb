"""Reading raw parameter values: JSON text, objects, lists of names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidQueryError


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def decode_json(text: str, where: str) -> Any:
    """JSON text as Python values; NaN and Infinity are not JSON, so they are refused too."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        raise InvalidQueryError(f'Invalid JSON at "{where}"') from None
    except RecursionError:
        raise InvalidQueryError(f'The JSON at "{where}" is nested too deeply') from None


def object_param(raw: object, where: str) -> Mapping[str, Any]:
    """An object given natively or as JSON text (the REST form)."""
    if isinstance(raw, str):
        if not raw:
            raise InvalidQueryError(f'"{where}" can\'t be empty')
        raw = decode_json(raw, where)
    if not isinstance(raw, Mapping):
        raise InvalidQueryError(f'"{where}" must be an object')
    for key in raw:
        if not isinstance(key, str):
            raise InvalidQueryError(f'"{where}" can only have text keys')
    return raw


def split_top_level(text: str, where: str) -> list[str]:
    """Split on the commas that are not inside ``json(field, path)`` parentheses."""
    parts: list[str] = []
    start = depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth > 1:
                raise InvalidQueryError(f'Functions can\'t be nested at "{where}"')
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise InvalidQueryError(f'Unbalanced parenthesis at "{where}"')
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth:
        raise InvalidQueryError(f'Missing closing parenthesis at "{where}"')
    parts.append(text[start:])
    return parts


def name_list(raw: object, where: str) -> list[tuple[str, str]]:
    """Entries of a list parameter (``a,b`` text or a list of texts) with their locations.

    Texts inside a list are split on commas too (``fields[]=a,b``). An empty list gives no
    entries; the caller decides whether that is allowed.
    """
    if raw == "":
        raise InvalidQueryError(f'"{where}" can\'t be empty')
    if isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise InvalidQueryError(f'"{where}" must be a text or a list of texts')
    entries: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidQueryError(f'"{where}[{index}]" must be a text')
        for part in split_top_level(item, f"{where}[{index}]"):
            location = f"{where}[{len(entries)}]"
            part = part.strip()
            if not part:
                raise InvalidQueryError(f'"{location}" can\'t be empty')
            entries.append((part, location))
    return entries
