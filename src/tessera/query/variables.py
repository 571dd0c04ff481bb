"""Dynamic variables in filter values: ``$NOW(-1 day)``, ``$CURRENT_USER.department``."""

from __future__ import annotations

import re
from typing import cast

from tessera.errors import InvalidQueryError
from tessera.query.model import Adjustment, DynamicVariable, TimeUnit, VariableName
from tessera.query.paths import parse_path

PREFIXES = ("$NOW", "$CURRENT_")

_NOW = re.compile(r"\$NOW(?:\((?P<adjustment>[^()]*)\))?")
_CURRENT = re.compile(r"\$(?P<name>CURRENT_(?:USER|ROLES|ROLE|POLICIES))(?:\.(?P<path>.+))?")
_ADJUSTMENT = re.compile(
    r"\s*(?P<sign>[+-]?)\s*(?P<amount>[0-9]{1,12}(?:\.[0-9]{1,12})?|\.[0-9]{1,12})"
    r"\s*(?P<unit>[A-Za-z]*)\s*"
)
# The unit spellings Directus takes (those of the `ms` package); no unit means days.
_UNITS: dict[str, TimeUnit] = {
    **dict.fromkeys(("years", "year", "yrs", "yr", "y"), "years"),
    **dict.fromkeys(("months", "month", "mth", "mo"), "months"),
    **dict.fromkeys(("weeks", "week", "w"), "weeks"),
    **dict.fromkeys(("days", "day", "d", ""), "days"),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), "hours"),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), "minutes"),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), "seconds"),
    **dict.fromkeys(("milliseconds", "millisecond", "msecs", "msec", "ms"), "milliseconds"),
}
_SECONDS = {
    "years": 365.25 * 86400,
    "months": 30.44 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
    "milliseconds": 0.001,
}
#: Further than this from now is no date a database stores.
_MAX_SHIFT_SECONDS = 10_000 * _SECONDS["years"]


def is_variable(text: str) -> bool:
    return text.startswith(PREFIXES)


def parse_variable(text: str, where: str) -> DynamicVariable:
    now = _NOW.fullmatch(text)
    if now:
        raw = now["adjustment"]
        return DynamicVariable("NOW", adjustment=None if raw is None else _adjustment(raw, where))
    current = _CURRENT.fullmatch(text)
    if current:
        path = parse_path(current["path"], where) if current["path"] else ()
        return DynamicVariable(cast(VariableName, current["name"]), path)
    raise InvalidQueryError(f'Unknown dynamic variable "{text}" at "{where}"')


def _adjustment(text: str, where: str) -> Adjustment:
    match = _ADJUSTMENT.fullmatch(text)
    unit = _UNITS.get(match["unit"].lower()) if match else None
    if match is None or unit is None:
        raise InvalidQueryError(
            f'Invalid $NOW adjustment "{text}" (try "-1 day" or "+2 hours") at "{where}"'
        )
    digits = match["amount"]
    amount: int | float = float(digits) if "." in digits else int(digits)
    if unit in ("years", "months") and not float(amount).is_integer():
        raise InvalidQueryError(f'"{text}" needs a whole number of {unit} at "{where}"')
    if amount * _SECONDS[unit] > _MAX_SHIFT_SECONDS:
        raise InvalidQueryError(f'$NOW adjustment "{text}" is too large at "{where}"')
    if match["sign"] == "-":
        amount = -amount
    return Adjustment(amount, unit)
