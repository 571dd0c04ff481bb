"""A request's query string as the raw mapping :func:`tessera.query.parse_query` reads.

Directus parses query strings with ``qs`` (``qs.parse(str, {depth: 10, arrayLimit: 500})``,
its QUERYSTRING_MAX_PARSE_DEPTH and QUERYSTRING_ARRAY_LIMIT defaults), so a client may write
a parameter as text (``fields=a,b``, ``filter={"a":{"_eq":1}}``) or in bracket syntax
(``fields[]=a``, ``filter[a][_eq]=1``, ``filter[_and][0][a][_eq]=1``, ``aggregate[sum]=x``).
This module is that parse with those options, rule for rule, so a query string means here
what it means to Directus:

- parameters split on ``&`` only; after the first 1000 the rest are dropped (parameterLimit);
- a part's key ends at its first ``]=`` if it has one, else at its first ``=``; a part
  without ``=`` has the value ``""``; a part with an empty key is dropped;
- ``+`` is a space; ``%5B``/``%5D`` are brackets before anything else; a key or value with
  a malformed or non-UTF-8 percent escape is kept undecoded (``decodeURIComponent`` fails);
- a key opens at most 10 bracket groups; the rest of the key stays one literal key
  (``a[1]…[10][11][12]`` ends in the key ``"[11][12]"``), never an error;
- ``[]`` appends, ``[n]`` is an array index when ``n`` is a whole number written plainly;
  arrays are compacted (``a[1]=x&a[5]=y`` is ``["x", "y"]``); an index of 500 or more, or an
  array growing past 500 items, gives an object keyed by the indices instead;
- a repeated key collects its values in a list (``fields=a&fields=b``); a key given both as
  a value and as an object keeps both in a list (``filter={…}&filter[a]=1``), as
  ``qs``'s strictMerge does.

Nothing here raises: like ``qs`` with these options, any query string gives a mapping, and
the parameters' own checks belong to ``parse_query``. The work is bounded by the parameter,
depth and array limits. One JavaScript artefact is not reproduced: keys named after
``Object.prototype`` members (``filter[constructor][_eq]=x``, ``fields[__proto__]``) are kept
rather than silently dropping the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request

#: Directus's QUERYSTRING_MAX_PARSE_DEPTH default: bracket groups read in one key.
MAX_DEPTH = 10
#: Directus's QUERYSTRING_ARRAY_LIMIT default: the largest array index and array size.
ARRAY_LIMIT = 500
#: ``qs``'s parameterLimit: parameters read from one query string.
PARAMETER_LIMIT = 1000

_BRACKET_ESCAPE = re.compile(r"%5[BbDd]")
_BRACKET = re.compile(r"[\[\]]")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: What ``String(parseInt(text, 10)) === text`` accepts, for up to 21 digits.
_INDEX = re.compile(r"0|[1-9][0-9]{0,20}")


class _Object(dict[str, Any]):
    """A JavaScript object as ``qs`` builds it.

    ``max_index`` is set on an object that stands for an array past ARRAY_LIMIT (``qs``'s
    overflow mark): values added to it later go to the next index, as they would in an array.
    It is -1 on any other object.
    """

    __slots__ = ("max_index",)

    def __init__(self, items: Iterable[tuple[str, Any]] = (), max_index: int = -1):
        super().__init__(items)
        self.max_index = max_index


class _Array:
    """A JavaScript array that may have holes (``a[3]=x`` sets only index 3 of four).

    Only the set slots are stored, so an index near ARRAY_LIMIT costs nothing until the
    final compaction drops the holes.
    """

    __slots__ = ("length", "slots")

    def __init__(self, slots: dict[int, Any] | None = None, length: int = 0):
        self.slots: dict[int, Any] = slots or {}
        self.length = length

    def items(self) -> list[tuple[int, Any]]:
        """The set slots in index order, as ``forEach`` visits them."""
        return sorted(self.slots.items())

    def append(self, value: Any) -> None:
        self.slots[self.length] = value
        self.length += 1


def request_query(request: Request) -> dict[str, Any]:
    """The request's query string, parsed as Directus parses it."""
    return parse_query_string(request.scope.get("query_string", b""))


def parse_query_string(query: str | bytes) -> dict[str, Any]:
    """A raw query string (without ``?``) as nested dicts, lists and texts.

    Bytes are read as UTF-8 (Node refuses raw non-ASCII bytes in a URL; reading them as the
    text they encode is kinder than that).
    """
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    query = _BRACKET_ESCAPE.sub(lambda escape: "[" if escape[0][2] in "Bb" else "]", query)
    pairs = []
    for part in query.split("&", PARAMETER_LIMIT)[:PARAMETER_LIMIT]:
        bracket_equals = part.find("]=")
        position = part.find("=") if bracket_equals < 0 else bracket_equals + 1
        if position < 0:
            pairs.append((_decode(part), ""))
        else:
            pairs.append((_decode(part[:position]), _decode(part[position + 1 :])))
    return _parse(pairs)


def parse_query_pairs(
    pairs: ImmutableMultiDict[str, str] | Iterable[tuple[str, str]],
) -> dict[str, Any]:
    """Decoded ``(key, value)`` pairs, such as ``request.query_params``, read as ``qs`` would.

    Prefer :func:`parse_query_string` where the raw string is at hand: pairs split by another
    parser may have cut ``a]=b=c`` differently, and dropped empty parts ``qs`` counts.
    """
    if isinstance(pairs, ImmutableMultiDict):
        pairs = pairs.multi_items()
    return _parse(list(pairs)[:PARAMETER_LIMIT])


def _decode(text: str) -> str:
    """``qs``'s decoder: ``+`` is a space, then ``decodeURIComponent`` or, if it fails, as is."""
    text = text.replace("+", " ")
    if "%" not in text or _STRAY_PERCENT.search(text):
        return text
    try:
        return _PERCENT_RUN.sub(
            lambda run: bytes.fromhex(run[0].replace("%", "")).decode("utf-8"), text
        )
    except UnicodeDecodeError:
        return text


def _parse(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Collect repeated keys, then build and merge one object per key (``qs``'s two passes)."""
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key:
            values[key] = _combine(values[key], value) if key in values else value
    result: Any = _Object()
    for key in sorted(values, key=_property_order):
        result = _merge(result, _build(_segments(key), values[key]))
    return {key: _plain(value) for key, value in result.items()}


def _property_order(key: str) -> tuple[int, int]:
    """JavaScript's order of an object's keys: array indices ascending, then the rest as added.

    It decides which of ``0=x`` and ``0[a]=y`` is merged into the other.
    """
    index = _array_index(key)
    return (0, index) if index is not None and index < 2**32 - 1 else (1, 0)


def _segments(key: str) -> list[str]:
    """``a[b][]`` as ``["a", "[b]", "[]"]``: the parent, then up to MAX_DEPTH bracket groups.

    Brackets nest (``a[b[c]]`` is ``["a", "[b[c]]"]``); what is left after MAX_DEPTH groups,
    or after an unclosed ``[``, becomes one more group holding it literally. Text after the
    last group that is not a bracket (``a[b]c``) is dropped.
    """
    first = key.find("[")
    parent = key if first < 0 else key[:first]
    segments = [parent] if parent else []
    start, groups = first, 0
    while start >= 0 and groups < MAX_DEPTH:
        level = 1
        for bracket in _BRACKET.finditer(key, start + 1):
            level += 1 if bracket[0] == "[" else -1
            if not level:
                break
        if level:
            segments.append(f"[{key[start:]}]")
            return segments
        segments.append(key[start : bracket.end()])
        groups += 1
        start = key.find("[", bracket.end())
    if start >= 0:
        segments.append(f"[{key[start:]}]")
    return segments


def _array_index(text: str) -> int | None:
    """``text`` as an array index if JavaScript writes that number back as ``text``."""
    if not _INDEX.fullmatch(text):
        return None
    index = int(text)
    return index if int(float(index)) == index else None


def _build(segments: list[str], leaf: Any) -> Any:
    """The object one key describes, built from the innermost segment out."""
    for segment in reversed(segments):
        if segment == "[]":
            if not _is_overflow(leaf):
                leaf = _capped(_concat(_Array(), leaf))
            continue
        bracketed = segment.startswith("[") and segment.endswith("]")
        name = segment[1:-1] if bracketed else segment
        index = _array_index(name) if bracketed else None
        if index is None:
            leaf = _Object([(name, leaf)])
        elif index < ARRAY_LIMIT:
            leaf = _Array({index: leaf}, index + 1)
        else:
            leaf = _Object([(name, leaf)], max_index=index)
    return leaf


def _is_overflow(value: Any) -> bool:
    return isinstance(value, _Object) and value.max_index >= 0


def _entries(array: _Array) -> list[tuple[str, Any]]:
    """JavaScript's ``Object.keys`` of an array: its set slots, keyed by index."""
    return [(str(index), item) for index, item in array.items()]


def _concat(first: Any, second: Any) -> _Array:
    """JavaScript's ``[].concat(first, second)``: arrays are spread, anything else appended."""
    result = _Array()
    for part in (first, second):
        if isinstance(part, _Array):
            result.slots.update((result.length + index, item) for index, item in part.items())
            result.length += part.length
        else:
            result.append(part)
    return result


def _capped(array: _Array) -> _Array | _Object:
    """The array, or past ARRAY_LIMIT items an object keyed by its indices."""
    if array.length <= ARRAY_LIMIT:
        return array
    return _Object(_entries(array), max_index=array.length - 1)


def _combine(collected: Any, value: str) -> Any:
    """``qs``'s ``combine``: a repeated key's values, appended."""
    if _is_overflow(collected):
        return _push(collected, value)
    return _capped(_concat(collected, value))


def _push(overflow: _Object, value: Any) -> _Object:
    """Put ``value`` at the next index of an object that stands for an array."""
    overflow.max_index += 1
    overflow[str(overflow.max_index)] = value
    return overflow


def _merge(target: Any, source: Any) -> Any:
    """``qs``'s ``utils.merge`` with its strictMerge default; ``target`` may be changed."""
    if isinstance(source, str):
        return _merge_text(target, source)
    if isinstance(target, str):
        if _is_overflow(source):
            shifted = _Object([("0", target)], max_index=source.max_index + 1)
            shifted.update((str(int(key) + 1), value) for key, value in source.items())
            return shifted
        return _capped(_concat(target, source))
    if isinstance(target, _Array) and isinstance(source, _Array):
        return _merge_arrays(target, source)
    merged = _Object(_entries(target)) if isinstance(target, _Array) else target
    if _is_overflow(source) and not _is_overflow(merged):
        merged.max_index = source.max_index
    for key, value in _entries(source) if isinstance(source, _Array) else source.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
        index = _array_index(key)
        if _is_overflow(merged) and index is not None and index > merged.max_index:
            merged.max_index = index
    return merged


def _merge_text(target: Any, text: str) -> Any:
    if not text:  # qs skips a falsy source
        return target
    if isinstance(target, _Array):
        if target.length >= ARRAY_LIMIT:
            return _Object([*_entries(target), (str(target.length), text)], target.length)
        target.append(text)
        return target
    if _is_overflow(target):
        return _push(target, text)
    return _Array({0: target, 1: text}, 2)


def _merge_arrays(target: _Array, source: _Array) -> _Array | _Object:
    """Items at the same index merge when both are objects; otherwise the new one is appended."""
    for index, item in source.items():
        if index not in target.slots:
            target.slots[index] = item
            target.length = max(target.length, index + 1)
        elif isinstance(target.slots[index], str) or isinstance(item, str):
            target.append(item)
        else:
            target.slots[index] = _merge(target.slots[index], item)
    return _capped(target)


def _plain(value: Any) -> Any:
    """Arrays as lists without their holes (``qs``'s compact), objects as dicts."""
    if isinstance(value, _Array):
        return [_plain(item) for _, item in value.items()]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
