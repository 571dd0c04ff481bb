"""Cron expressions of schedule triggers, read by croniter as Directus's ``cron`` reads them.

Five fields (minute first), or six with seconds first; ``@daily`` and the other
shorthands too. An expression that never fires (``0 0 31 2 *``) is refused with the
others, where Directus accepts it and never runs the flow.
"""

from __future__ import annotations

import datetime as dt

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

from tessera.errors import InvalidPayloadError


def next_fire(expression: str, after: dt.datetime) -> dt.datetime:
    """When ``expression`` fires next after ``after``; INVALID_PAYLOAD when it is no cron
    expression, or one that never fires."""
    fields = expression.split()
    if not expression.strip().startswith("@") and len(fields) not in (5, 6):
        raise _refused(expression, "it needs 5 fields, or 6 with seconds first")
    try:
        found = croniter(expression, after, second_at_beginning=len(fields) == 6)
        return found.get_next(dt.datetime)
    except CroniterBadDateError:
        raise _refused(expression, "it never fires") from None
    except (CroniterBadCronError, CroniterError, ValueError, KeyError) as error:
        raise _refused(expression, str(error)) from None


def last_fire(expression: str, at: dt.datetime) -> dt.datetime:
    """When ``expression`` fired last at or before ``at``."""
    fields = expression.split()
    found = croniter(
        expression, at + dt.timedelta(microseconds=1), second_at_beginning=len(fields) == 6
    )
    return found.get_prev(dt.datetime)


def check_cron(expression: object) -> None:
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidPayloadError('A schedule needs "options.cron", a cron expression')
    next_fire(expression, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def _refused(expression: str, why: str) -> InvalidPayloadError:
    why = why.rstrip(".")
    return InvalidPayloadError(f'"options.cron" "{expression}" is no cron expression: {why}')
