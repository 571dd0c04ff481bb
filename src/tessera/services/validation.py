"""Payload validation on create and update: Directus's ``validatePayload``.

Rules are filter objects, ANDed: the not-null and ``_submitted`` rules the schema implies
(:func:`field_rules`), each field's ``meta.validation`` and the permissions' ``validation``,
with dynamic variables already resolved. :func:`validate` checks a payload (presets merged
in) against them and raises one :class:`FailedValidationError` carrying every failure.

As in Directus (a Joi schema per rule, ``requireAll`` off):

- a rule looks only at keys the payload holds; ``_submitted`` alone asks for presence;
- ``_and`` reports every failure; ``_or`` passes when one branch does, else reports all;
- ``_eq``/``_neq`` take a number and its text as the same value (``5`` and ``"5"``);
  ``_in``/``_nin`` compare strictly, and an empty list passes everything;
- ``_gt``/``_gte``/``_lt``/``_lte``/``_between`` compare numbers when the operand reads as
  one, else dates; a value of the wrong kind fails as ``required``, as do non-text values
  under the text operators (``_contains`` also searches the strings of a list);
- a nested key is evaluated inside an object value (a JSON field, a nested item) and the
  failure's ``path`` leads there; ``year(date)``-style functions read the field they name;
- operators Joi does not know (``_ieq``, ``_nicontains``, ``_json``, ``_some``, geometry) pass.

Where Directus answers 500 (``_contains`` on a non-text value, a list with no match, an
empty text under a text operator, a function of an absent field) this answers with the
failure the value earned; a nested key on a value that is no object (a related item's key)
passes, where Directus fails it as ``required``. Where Directus is wrong, this does what
the filter language means:
``_nbetween`` fails only inside the range (Joi fails every value), ``_null: false`` means
``_nnull`` (Joi ignores the ``false``), ``_regex`` honours ``/…/flags`` (Joi reads
``"/^a/i"`` as a literal pattern), and ``starts_with`` failures name the text as given
(Joi shows it regex-escaped). Dates in failures are ISO 8601 text, in messages too.

A rule that cannot be evaluated (an operand neither number nor date, a broken regular
expression) raises ValueError: the fault is the configuration's, not the caller's.
JavaScript patterns are translated where Python reads them differently (``\\d``, ``\\w``,
``\\b`` and ``$``, named groups). Python's ``re`` has no time limit, so a pattern with
nested quantifiers can be slow on a crafted value, as it is in Directus's engine:
patterns are configuration only administrators write.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias, TypeGuard

from tessera.errors import FailedValidationError
from tessera.schema.introspect import Column
from tessera.schema.overview import CollectionInfo, FieldInfo
from tessera.services.payload import Action

Failure: TypeAlias = dict[str, Any]
#: Failures with the keys leading to the value: the field, then keys inside it.
Found: TypeAlias = list[tuple[tuple[str, ...], Failure]]
Number: TypeAlias = int | float | Decimal

#: Specials that fill a field in, so leaving it out or null is never the caller's fault.
GENERATE_SPECIALS = frozenset(
    {
        "uuid",
        "date-created",
        "date-updated",
        "role-created",
        "role-updated",
        "user-created",
        "user-updated",
    }
)
_ABSENT = object()


def field_rules(collection: CollectionInfo, action: Action) -> list[dict[str, Any]]:
    """The rules a collection's schema sets, field by field in Directus's order.

    A field that may not be null gets ``_nnull`` and, on create when the column has no
    default, ``_submitted`` first; then comes the field's ``meta.validation`` as stored
    (dynamic variables unresolved), so the failures list in the order Directus lists them.
    """
    rules: list[dict[str, Any]] = []
    for info in collection.fields.values():
        column = info.schema
        if column is not None and not _nullable(info, column):
            has_default = column.default_value is not None or column.has_auto_increment
            if action == "create" and not has_default:
                rules.append({info.field: {"_submitted": True}})
            rules.append({info.field: {"_nnull": True}})
        validation = (info.meta or {}).get("validation")
        if validation:
            rules.append(validation)
    return rules


def _nullable(info: FieldInfo, column: Column) -> bool:
    if column.is_nullable or column.is_generated:
        return True
    return not GENERATE_SPECIALS.isdisjoint(info.special)


def validate(
    payload: Mapping[str, Any],
    rules: Iterable[Mapping[str, Any] | None],
    *,
    nested: Sequence[str] = (),
    require_all: bool = False,
) -> None:
    """Raise :class:`FailedValidationError` with every failure of ``payload`` under ``rules``.

    ``nested`` is the path of relational fields that led to this payload in a nested
    write; failures start their ``path`` with it. ``None`` rules are skipped.
    ``require_all`` is Directus's option of that name (the flows' condition operation uses
    it): every key a rule names must be there, and a nested rule needs an object to look in;
    what is missing fails as ``required``.
    """
    failures = [
        {"field": trail[0], "path": [*nested, *trail[1:]], **failure}
        for rule in rules
        for trail, failure in _check(rule or {}, payload, (), require_all)
    ]
    if failures:
        raise FailedValidationError(failures)


def _check(
    rule: Mapping[str, Any], payload: Mapping[str, Any], trail: tuple[str, ...], every: bool
) -> Found:
    """Failures of a filter level; several keys are ANDed, as Directus's parser makes them.
    ``every``: each key named is required (``require_all``)."""
    found: Found = []
    for key, value in rule.items():
        if key == "_and":
            for branch in value:
                found += _check(branch, payload, trail, every)
        elif key == "_or":
            found += _any(value, payload, trail, every)
        elif not key.startswith("_"):
            found += _check_field(key, value, payload, trail, every)
    return found


def _any(
    branches: Sequence[Mapping[str, Any]],
    payload: Mapping[str, Any],
    trail: tuple[str, ...],
    every: bool,
) -> Found:
    found: Found = []
    for branch in branches:
        failed = _check(branch, payload, trail, every)
        if not failed:
            return []
        found += failed
    return found


def _check_field(
    key: str, rule: Any, payload: Mapping[str, Any], trail: tuple[str, ...], every: bool
) -> Found:
    here = (*trail, key)
    value = _lookup(payload, key)
    if not isinstance(rule, Mapping):
        rule = {"_eq": rule}
    nests = any(not op.startswith("_") for op in rule)
    if every and (value is _ABSENT or (nests and not isinstance(value, Mapping))):
        return [(here, {"type": "required"})]
    found: Found = []
    for op, operand in rule.items():
        if op in ("_and", "_or"):
            found += _check({op: [{key: branch} for branch in operand]}, payload, trail, every)
        elif not op.startswith("_"):
            if isinstance(value, Mapping):
                found += _check({op: operand}, value, here, every)
        elif op == "_submitted":
            if value is _ABSENT:
                found.append((here, {"type": "required"}))
        elif value is not _ABSENT:
            try:
                failures = _apply(op, _coerce(op, operand), value)
            except ValueError as error:
                raise ValueError(f'The validation rule on "{".".join(here)}": {error}') from error
            found += [(here, failure) for failure in failures]
    return found


_FUNCTION = re.compile(r"(year|month|week|day|weekday|hour|minute|second|count)\((.+)\)")


def _lookup(payload: Mapping[str, Any], key: str) -> Any:
    """The payload's value for ``key``, a function of a field (``year(date)``) included."""
    if key in payload:
        return payload[key]
    function = _FUNCTION.fullmatch(key)
    if function is None or function[2] not in payload:
        return _ABSENT
    return _function(function[1], payload[function[2]])


def _function(name: str, value: Any) -> int | None:
    """What date-fns returns in Directus, or None where it returns NaN."""
    if name == "count":
        return len(value) if isinstance(value, list) else None
    moment = _iso_date(value) if isinstance(value, str) else None
    if moment is None:
        return None
    moment = moment.astimezone(dt.UTC)
    if name == "weekday":
        return (moment.weekday() + 1) % 7
    if name == "week":  # date-fns getWeek: weeks start on Sunday, week 1 holds 1 January
        start = moment.date() - dt.timedelta(days=(moment.weekday() + 1) % 7)
        first_day = dt.date((start + dt.timedelta(days=6)).year, 1, 1)
        first = first_day - dt.timedelta(days=(first_day.weekday() + 1) % 7)
        return (start - first).days // 7 + 1
    return int(getattr(moment, name))


def _coerce(op: str, operand: Any) -> Any:
    """What Directus's ``parseFilter`` makes of an operand: lists split, words to values."""
    if op in ("_in", "_nin", "_between", "_nbetween"):
        if isinstance(operand, str):
            operand = operand.split(",")
        elif isinstance(operand, Mapping):
            operand = list(operand.values())
        elif not isinstance(operand, list | tuple):
            operand = [operand]
        return [_word(item) for item in operand]
    return _word(operand)


def _word(value: Any) -> Any:
    words: dict[str, Any] = {"true": True, "false": False, "null": None, "NULL": None}
    return words.get(value, value) if isinstance(value, str) else value


def _apply(op: str, operand: Any, value: Any) -> list[Failure]:
    """The failures of one operator on a value the payload holds."""
    if op in ("_eq", "_neq"):
        alike = _unique([operand] if (text := _number_text(operand)) is None else [operand, text])
        return _membership(op == "_eq", alike, value)
    if op in ("_in", "_nin"):
        listed = _unique(operand)
        return _membership(op == "_in", listed, value) if listed else []
    if op in ("_null", "_nnull", "_empty", "_nempty"):
        target = None if op in ("_null", "_nnull") else ""
        wanted = op in ("_null", "_empty")
        return _membership(not wanted if operand is False else wanted, [target], value)
    if op in _ORDER:
        low = _limit(operand)
        if (actual := _comparable(value, low)) is None:
            return [{"type": "required"}]
        return [] if _ORDER[op](actual, low) else [{"type": op[1:], "valid": _jsonable(low)}]
    if op in ("_between", "_nbetween"):
        return _range(op, operand, value)
    if op in _TEXT or op == "_regex":
        if operand is None or (op != "_regex" and not isinstance(operand, str)):
            return _membership(True, [True], value)  # what Joi makes of such an operand
        return _text(op, operand, value)
    return []


def _membership(inside: bool, listed: list[Any], value: Any) -> list[Failure]:
    """An equality test, failed the way Joi's ``valid``/``invalid`` report it."""
    if any(_same(value, item) for item in listed) is inside:
        return []
    listed = [_jsonable(item) for item in listed]
    if len(listed) > 1:
        return [{"type": "in", "valid": listed} if inside else {"type": "nin", "invalid": listed}]
    (item,) = listed
    if item is None:
        return [{"type": "null" if inside else "nnull"}]
    if item == "":
        return [{"type": "empty" if inside else "nempty"}]
    return [{"type": "eq", "valid": item} if inside else {"type": "neq", "invalid": item}]


def _same(a: Any, b: Any) -> bool:
    """JavaScript's ``===`` (deep for objects): ``true`` is not ``1``, ``"5"`` is not ``5``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _unique(items: Iterable[Any]) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if not any(_same(item, seen) for seen in kept):
            kept.append(item)
    return kept


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "_gt": operator.gt,
    "_gte": operator.ge,
    "_lt": operator.lt,
    "_lte": operator.le,
}


def _limit(operand: Any) -> Number | dt.datetime:
    """The operand of an ordering test: a number when JavaScript's ``Number()`` reads one."""
    if not isinstance(operand, dt.datetime | dt.date):
        number = _js_number(operand)
        if number is not None:
            return number
    moment = _as_date(operand)
    if moment is None:
        raise ValueError(f"{operand!r} is neither a number nor a date")
    return moment


def _comparable(value: Any, like: Any) -> Any:
    """The value as a number or a date, to compare with ``like``; None when it is neither."""
    return _as_date(value) if isinstance(like, dt.datetime) else _as_number(value)


def _range(op: str, operand: list[Any], value: Any) -> list[Failure]:
    if len(operand) != 2:
        raise ValueError(f"{op} needs two values, not {len(operand)}")
    low, high = _limit(operand[0]), _limit(operand[1])
    if isinstance(low, dt.datetime) is not isinstance(high, dt.datetime):
        first, second = _as_date(operand[0]), _as_date(operand[1])
        if first is None or second is None:
            raise ValueError(f"{op} needs two numbers or two dates")
        low, high = first, second
    if (actual := _comparable(value, low)) is None:
        return [{"type": "required"}]
    bounds = [_jsonable(low), _jsonable(high)]
    if op == "_nbetween":
        return [{"type": "nbetween", "invalid": bounds}] if low <= actual <= high else []
    failures = []
    if actual < low:
        failures.append({"type": "gte", "valid": bounds[0]})
    if actual > high:
        failures.append({"type": "lte", "valid": bounds[1]})
    return failures


_TEXT: dict[str, Callable[[str, str], bool]] = {
    "_contains": lambda value, part: part in value,
    "_icontains": lambda value, part: part.lower() in value.lower(),
    "_ncontains": lambda value, part: part not in value,
    "_starts_with": str.startswith,
    "_nstarts_with": lambda value, part: not value.startswith(part),
    "_istarts_with": lambda value, part: value.lower().startswith(part.lower()),
    "_nistarts_with": lambda value, part: not value.lower().startswith(part.lower()),
    "_ends_with": str.endswith,
    "_nends_with": lambda value, part: not value.endswith(part),
    "_iends_with": lambda value, part: value.lower().endswith(part.lower()),
    "_niends_with": lambda value, part: not value.lower().endswith(part.lower()),
}
_CONTAINS = ("_contains", "_icontains", "_ncontains")


def _text(op: str, operand: Any, value: Any) -> list[Failure]:
    if op == "_regex":
        if not isinstance(value, str):
            return [{"type": "required"}]
        matched = js_pattern(_js_text(operand)).search(value)
        return [] if matched else [{"type": "regex", "invalid": value}]
    test = _TEXT[op]
    if isinstance(value, str):
        passed = test(value, operand)
    elif op in _CONTAINS and isinstance(value, list):
        # A list passes _contains when one of its strings does, _ncontains when all of them do.
        check = all if op == "_ncontains" else any
        passed = check(test(item, operand) for item in value if isinstance(item, str))
    else:
        return [{"type": "required"}]
    kind = "contains" if op == "_icontains" else op[1:]  # as Directus reports it
    return [] if passed else [{"type": kind, "substring": operand}]


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+")


def _is_number(value: Any) -> TypeGuard[Number]:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _as_number(value: Any) -> Number | None:
    """A payload value as Joi's ``number()`` converts it: numbers, and numbers as text."""
    if _is_number(value):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(text := value.strip()):
        # Past 300 digits a float (as in JavaScript): int() refuses thousands of digits.
        return int(text) if _WHOLE.fullmatch(text) and len(text) < 300 else float(text)
    return None


def _js_number(value: Any) -> Number | None:
    """JavaScript's ``Number(value)`` for an operand, None for NaN."""
    if value is None or isinstance(value, bool):
        return int(bool(value))
    if isinstance(value, str) and not value.strip():
        return 0
    return _as_number(value)


def _number_text(value: Any) -> Any:
    """The other half of ``_eq``'s pair: a number's text, or the number a text reads as."""
    if _is_number(value):
        return _js_text(value)
    if value is None or value == "" or isinstance(value, bool):
        return None
    return _js_number(value)


def _js_text(value: Any) -> str:
    """``String(value)`` for the scalars an operand holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and 1e-6 <= abs(value) < 1e21:
            return format(Decimal(text), "f")
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)
    return str(value)


_TIMESTAMP = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _as_date(value: Any) -> dt.datetime | None:
    """A value as Joi's ``date()`` converts it: dates, ISO 8601 text, epoch milliseconds."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value.strip()):
        value = float(value)
    if _is_number(value):
        try:
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=float(value))
        except (OverflowError, ValueError):  # past year 9999, or NaN
            return None
    return _iso_date(value) if isinstance(value, str) else None


def _iso_date(text: str) -> dt.datetime | None:
    """ISO 8601 text as a moment; without an offset it is UTC (Directus runs in UTC)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _jsonable(value: Any) -> Any:
    """A value as Directus's JSON shows it: whole numbers bare, dates as ``toISOString()``."""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


_JS_LITERAL = re.compile(r"/(.*)/([dgimsuvy]*)", re.DOTALL)
_JS_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_"}


@functools.lru_cache(maxsize=256)
def js_pattern(source: str) -> re.Pattern[str]:
    """A JavaScript regular expression, ``/body/flags`` or a bare body, compiled for Python."""
    literal = _JS_LITERAL.fullmatch(source)
    body, flags = (literal[1], literal[2]) if literal else (source, "")
    options = re.NOFLAG
    for flag, option in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if flag in flags:
            options |= option
    try:
        return re.compile(_python_syntax(body, multiline="m" in flags), options)
    except re.error as error:
        raise ValueError(f"invalid regular expression {source!r}: {error}") from error


def _python_syntax(body: str, *, multiline: bool) -> str:
    """JavaScript's meaning in Python's syntax: ASCII classes, ``$`` at the very end, names."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(body):
        char, rest = body[i], body[i + 1 : i + 2]
        if char == "\\" and rest:
            i += 2
            if rest.lower() in _JS_CLASSES and not (in_class and rest.isupper()):
                chars = _JS_CLASSES[rest.lower()]
                out.append(chars if in_class else f"[{'^' if rest.isupper() else ''}{chars}]")
            elif rest in "bB" and not in_class:
                out.append(f"(?a:\\{rest})")
            elif rest == "k" and body.startswith("<", i) and ">" in body[i:]:
                end = body.index(">", i)
                out.append(f"(?P={body[i + 1 : end]})")
                i = end + 1
            else:
                out.append(char + rest)
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$" and not multiline:
            char = r"\Z"
        elif body.startswith("(?<", i) and body[i + 3 : i + 4] not in ("=", "!"):
            char, i = "(?P<", i + 2
        out.append(char)
        i += 1
    return "".join(out)
