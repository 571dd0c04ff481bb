"""``{{ path }}`` templates in operation options, rendered against the data chain.

As in Directus, options are walked recursively and only strings are rendered:

- a string that is exactly one ``{{ path }}`` becomes the value at that path, with its
  type: an object stays an object, a number a number;
- otherwise each ``{{ path }}`` is replaced by the value's text; objects and lists are
  written as JSON, ``null`` as ``null``, booleans as ``true``/``false``.

Paths are lodash's: ``$trigger.body.title``, ``op1[0].id``, ``$last["a key"]``.

Where Directus is wrong this does what a template means: a path that leads nowhere
renders as the empty string inside text and as ``null`` on its own (Directus writes the
word ``undefined`` into both), and a ``{{`` that is never closed is left as written
(Directus fails the operation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"^\{\{\s*([^}\s]+)\s*\}\}$")
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_STEP = re.compile(r"""\[\s*(?:"([^"]*)"|'([^']*)'|([^\]]*?))\s*\]|([^.\[\]]+)""")
_MISSING = object()


def render(value: Any, data: Mapping[str, Any]) -> Any:
    """``value`` with every template in it rendered against ``data``."""
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole is not None:
            found = lookup(data, whole[1])
            return None if found is _MISSING else found
        return _TAG.sub(lambda tag: _text(lookup(data, tag[1].strip())), value)
    if isinstance(value, list):
        return [render(item, data) for item in value]
    if isinstance(value, Mapping):
        return {key: render(item, data) for key, item in value.items()}
    return value


def lookup(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``; :data:`_MISSING` when the path leads nowhere."""
    current = data
    steps = split_path(path)
    if not steps:
        return _MISSING
    for step in steps:
        if isinstance(current, Mapping) and step in current:
            current = current[step]
        elif isinstance(current, list) and step.lstrip("-").isdigit():
            index = int(step)
            if not 0 <= index < len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def get(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or None."""
    found = lookup(data, path)
    return None if found is _MISSING else found


def split_path(path: str) -> list[str]:
    """``a.b[0]["c d"]`` as its keys ``a``, ``b``, ``0``, ``c d``; empty when malformed."""
    steps: list[str] = []
    position = 0
    for match in _STEP.finditer(path):
        between = path[position : match.start()]
        if between.strip(" .") or (position and not between and match[4] is not None):
            return []
        position = match.end()
        quoted, single, bare, plain = match.groups()
        step = next(part for part in (quoted, single, bare, plain) if part is not None)
        steps.append(step.strip())
    if path[position:].strip(" ."):
        return []
    return steps


def _text(value: Any) -> str:
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
