"""What every operation gets: its rendered options and a :class:`Context` of the run.

An operation kind is a function ``run(options, context)`` returning the value the data
chain keeps under the operation's key (and ``$last``); raising takes the reject path.
``check`` looks at the options as saved, before any template is rendered, and refuses
what can never work; a value that is a template is left for the run to judge.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.resolve import resolve_accountability, role_accountability
from tessera.errors import InvalidPayloadError
from tessera.services.flows.model import Flow

if TYPE_CHECKING:
    from tessera.services.flows.runner import FlowRunner
    from tessera.services.items import ItemsService

#: The ``permissions`` option of operations that touch items: whose rights they use.
PERMISSION_MODES = ("$trigger", "$public", "$full")


class Cancelled(Exception):
    """The run gave up on this operation (it timed out); it stops where it can."""


class Cancellation:
    """Whether the run gave up on an operation; giving up on one gives up on the flows it
    triggered too (their operations' cancellations are its children)."""

    def __init__(self, parent: Cancellation | None = None) -> None:
        self._event = threading.Event()
        self._children: list[Cancellation] = []
        self._lock = threading.Lock()
        if parent is not None:
            parent._adopt(self)

    def cancel(self) -> None:
        self._event.set()
        with self._lock:
            children = list(self._children)
        for child in children:
            child.cancel()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; whether it was cancelled meanwhile."""
        return self._event.wait(seconds)

    def _adopt(self, child: Cancellation) -> None:
        with self._lock:
            self._children.append(child)
        if self.is_set():
            child.cancel()


@dataclass(frozen=True)
class Context:
    """One operation's view of its run."""

    runner: FlowRunner
    flow: Flow
    #: Who started the run; None for Tessera's own runs (schedules), which have full access.
    accountability: Accountability | None
    #: The data chain as it stands before this operation.
    data: Mapping[str, Any]
    #: The names of the flows from the first one triggered down to this one.
    chain: tuple[str, ...]
    cancelled: Cancellation
    #: The write transaction the run is part of (a filter hook's), or None.
    conn: Connection | None = None
    #: Whether the operation has FLOWS_OPERATION_TIMEOUT of its own; not when the run is
    #: part of an operation's (a ``trigger`` operation's), whose time bounds it.
    timed: bool = True

    def sleep(self, seconds: float) -> None:
        """Wait, unless the run gives up on the operation first."""
        if self.cancelled.wait(max(seconds, 0)):
            raise Cancelled()

    def items(self, permissions: Any, *, emit: bool = False) -> ItemsService:
        """The items service with the rights the ``permissions`` option names, in the run's
        transaction if it has one; its writes fire events when ``emit`` (``emitEvents``)."""
        chain = self.chain if emit else None
        return self.runner.items(self.acting_as(permissions), conn=self.conn, chain=chain)

    def acting_as(self, permissions: Any, *, full: Accountability | None = None) -> Any:
        """The accountability ``permissions`` stands for: the trigger's (``$trigger``, the
        default), the public's, full access, or a role's (its id)."""
        if permissions in (None, "", "$trigger"):
            return self.accountability
        if permissions == "$full":
            return full if full is not None else Accountability(admin=True, app=True)
        ip = self.accountability.ip if self.accountability else None
        with self.runner.db.read() as conn:
            if permissions == "$public":
                return resolve_accountability(conn, None, ip=ip)
            found = role_accountability(conn, str(permissions), ip=ip)
        if found is None:
            raise InvalidPayloadError(
                f'"permissions" is "{permissions}", which is no role, nor one of '
                + ", ".join(PERMISSION_MODES)
            )
        return found


Run = Callable[[dict[str, Any], Context], Any]
Check = Callable[[Mapping[str, Any]], None]


def no_check(_options: Mapping[str, Any]) -> None:
    """Options that any value of may run."""


@dataclass(frozen=True)
class OperationKind:
    type: str
    run: Run
    check: Check = no_check


# --- Directus's option helpers ------------------------------------------------------------


def as_object(option: Any, name: str) -> Any:
    """``optionToObject``: a JSON string is parsed, anything else taken as it is."""
    if not isinstance(option, str):
        return option
    try:
        return json.loads(option)
    except ValueError:
        raise InvalidPayloadError(f'"{name}" has to be JSON') from None


def as_text(option: Any) -> str:
    """``optionToString``: objects as JSON, anything else as text (nothing as "")."""
    if option is None:
        return ""
    if isinstance(option, Mapping | list):
        return json.dumps(option, separators=(",", ":"), ensure_ascii=False)
    if isinstance(option, bool):
        return "true" if option else "false"
    return str(option)


def as_list(value: Any) -> list[Any]:
    """``toArray``: a comma-separated string is split, a single value listed."""
    if isinstance(value, str):
        return value.split(",")
    return list(value) if isinstance(value, list | tuple) else [value]


def is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def check_one_of(options: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    """Refuse an option that is set, not a template, and none of ``allowed``."""
    value = options.get(name)
    if value is None or is_template(value) or value in allowed:
        return
    listed = ", ".join(f'"{item}"' for item in allowed)
    raise InvalidPayloadError(f'"options.{name}" has to be one of {listed}, not "{value}"')


def check_required(options: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if options.get(name) in (None, ""):
            raise InvalidPayloadError(f'"options.{name}" is required')


def check_permissions(options: Mapping[str, Any]) -> None:
    """``permissions`` is a mode, a role's id, or a template; never another type."""
    value = options.get("permissions")
    if value is not None and not isinstance(value, str):
        raise InvalidPayloadError(
            '"options.permissions" has to be "$trigger", "$public", "$full" or a role\'s id'
        )


def option_keys(key: Any) -> list[Any] | None:
    """The ``key`` option as a list of keys; None when it names none."""
    if key is None or key == "":
        return None
    keys = as_list(key)
    for item in keys:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InvalidPayloadError('"key" has to hold strings or numbers')
    return keys


def option_query(query: Any) -> dict[str, Any] | None:
    """The ``query`` option as an object; None when it is empty."""
    parsed = as_object(query, "query") if query else None
    if parsed is not None and not isinstance(parsed, Mapping):
        raise InvalidPayloadError('"query" has to be an object')
    return dict(parsed) if parsed else None


def check_items(options: Mapping[str, Any]) -> None:
    """What the item operations share: a collection, and a valid ``permissions``."""
    check_required(options, "collection")
    check_permissions(options)
