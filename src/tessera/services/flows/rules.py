"""What a saved flow must be, checked in the transaction that saves it, at every door.

Directus saves any flow and finds out at run time (or never) that it cannot work; this
refuses it with INVALID_PAYLOAD and writes nothing:

- a flow's ``status`` is ``active`` or ``inactive``, its ``trigger`` one of
  :data:`~.model.TRIGGERS`, its ``accountability`` ``all``, ``activity`` or null, and its
  ``options`` fit the trigger (a schedule's ``cron`` parses, see :mod:`.schedule`; an
  active event flow listens to scopes Tessera fires, see :mod:`.scopes` — an inactive one
  may keep others, so a flow a Directus database holds can be switched off as it is);
- an operation's ``type`` is one Tessera runs, its ``key`` does not start with ``$`` (the
  data chain's own keys do) and is unique in its flow, and its options pass its kind's
  check;
- the first operation, and every ``resolve`` and ``reject``, is an operation of the same
  flow, and following them never comes back: each operation has one way in.

The writer calls :meth:`FlowRules.changed` after each write and :meth:`FlowRules.finish`
once the whole call is written, so a flow and its operations written together (nested,
or a batch) are judged as they end up. Deleting operations first unlinks them from the
operations and flows that lead to them, and deleting a flow unlinks its operations from
each other, as Directus's FlowsService does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import directus_flows, directus_operations
from tessera.errors import InvalidPayloadError
from tessera.services.flows.active import as_names
from tessera.services.flows.model import ACCOUNTABILITY, TRIGGERS
from tessera.services.flows.operations import OPERATIONS
from tessera.services.flows.operations.base import check_one_of
from tessera.services.flows.schedule import check_cron
from tessera.services.flows.scopes import check_scopes

FLOWS, OPERATIONS_TABLE = "directus_flows", "directus_operations"
STATUSES = ("active", "inactive")
#: Options each trigger takes that have a fixed set of values.
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "event": {"type": ("filter", "action")},
    "webhook": {"method": ("GET", "POST")},
    "manual": {"location": ("both", "collection", "item")},
}
_FLAGS = ("async", "error_on_reject", "requireSelection", "requireConfirmation", "cacheEnabled")


class FlowRules:
    """The flow checks of one write call of the items service, in its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.flows: set[str] = set()
        self.saved_flows: set[str] = set()
        self.saved_operations: set[str] = set()

    def changed(self, collection: str, keys: Sequence[Any]) -> None:
        """Note the flows and operations a create or update wrote, to judge at the end."""
        keys = [str(key) for key in keys]
        if not keys:
            return
        ops = directus_operations
        if collection == FLOWS:
            self.saved_flows.update(keys)
            self.flows.update(keys)
        elif collection == OPERATIONS_TABLE:
            self.saved_operations.update(keys)
            touched = sa.select(ops.c.flow).where(
                ops.c.id.in_(keys) | ops.c.resolve.in_(keys) | ops.c.reject.in_(keys)
            )
            self.flows.update(str(flow) for flow in self.conn.execute(touched).scalars())
            leading = sa.select(directus_flows.c.id).where(directus_flows.c.operation.in_(keys))
            self.flows.update(str(flow) for flow in self.conn.execute(leading).scalars())

    def deleting(self, collection: str, keys: Sequence[Any]) -> None:
        """Unlink what is about to go, so no foreign key or first operation dangles."""
        ops = directus_operations
        keys = [str(key) for key in keys]
        if collection == FLOWS:
            self.conn.execute(
                ops.update().where(ops.c.flow.in_(keys)).values(resolve=None, reject=None)
            )
        elif collection == OPERATIONS_TABLE:
            for link in (ops.c.resolve, ops.c.reject):
                self.conn.execute(ops.update().where(link.in_(keys)).values({link.name: None}))
            flows = directus_flows
            self.conn.execute(
                flows.update().where(flows.c.operation.in_(keys)).values(operation=None)
            )

    def finish(self) -> None:
        """Judge every flow the call touched, as the call leaves it."""
        for flow_id in sorted(self.flows):
            row = self.conn.execute(
                sa.select(directus_flows).where(directus_flows.c.id == flow_id)
            ).first()
            if row is None:
                continue
            table = directus_operations
            operations = self.conn.execute(sa.select(table).where(table.c.flow == flow_id))
            found = {str(op["id"]): op for op in operations.mappings()}
            if flow_id in self.saved_flows:
                check_flow(row._mapping)
            for key, op in found.items():
                if key in self.saved_operations:
                    check_operation(op)
            check_links(row._mapping, found)


def check_flow(flow: Mapping[str, Any]) -> None:
    """A flow's own fields, and its options as its trigger reads them."""
    _one_of("status", flow["status"], STATUSES)
    if flow["trigger"] is not None:
        _one_of("trigger", flow["trigger"], TRIGGERS)
    if flow["accountability"] not in ACCOUNTABILITY:
        raise InvalidPayloadError('"accountability" has to be "all", "activity" or null')
    options = flow["options"]
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise InvalidPayloadError('"options" has to be an object')
    trigger = flow["trigger"]
    for name, allowed in _CHOICES.get(trigger or "", {}).items():
        check_one_of(options, name, allowed)
    for name in _FLAGS:
        if options.get(name) is not None and not isinstance(options[name], bool):
            raise InvalidPayloadError(f'"options.{name}" has to be true or false')
    if options.get("return") is not None and not isinstance(options["return"], str):
        raise InvalidPayloadError('"options.return" has to be "$last", "$all" or a key')
    if trigger == "schedule":
        check_cron(options.get("cron"))
    if trigger in ("event", "manual"):
        for name in ("scope", "collections"):
            value = options.get(name)
            if value is not None and not _texts(value):
                raise InvalidPayloadError(f'"options.{name}" has to be a list of names')
    if trigger == "event" and flow["status"] == "active":
        check_scopes(options.get("type"), as_names(options.get("scope")))


def check_operation(operation: Mapping[str, Any]) -> None:
    """An operation's type, key and options."""
    kind = OPERATIONS.get(operation["type"])
    if kind is None:
        known = ", ".join(sorted(OPERATIONS))
        raise InvalidPayloadError(
            f'"type" "{operation["type"]}" is no operation Tessera runs (it runs {known})'
        )
    key = operation["key"]
    if not isinstance(key, str) or not key.strip() or key.startswith("$"):
        raise InvalidPayloadError(
            f'"key" "{key}" has to be a name that does not start with "$" (the data chain\'s '
            "own keys do)"
        )
    options = operation["options"]
    if options is not None and not isinstance(options, Mapping):
        raise InvalidPayloadError('"options" has to be an object')
    kind.check(options or {})


def check_links(flow: Mapping[str, Any], operations: Mapping[str, Mapping[str, Any]]) -> None:
    """The first operation and the resolve/reject links stay in the flow and make a tree."""
    keys: dict[str, str] = {}
    for op_id, op in operations.items():
        if op["key"] in keys:
            raise InvalidPayloadError(
                f'Two operations of flow "{flow["name"]}" have the key "{op["key"]}"'
            )
        keys[op["key"]] = op_id
    ways_in: dict[str, int] = {}
    links = [("operation", flow["operation"])]
    for op in operations.values():
        links += [("resolve", op["resolve"]), ("reject", op["reject"])]
    for name, target in links:
        if target is None:
            continue
        if str(target) not in operations:
            raise InvalidPayloadError(
                f'"{name}" "{target}" is no operation of flow "{flow["name"]}"'
            )
        ways_in[str(target)] = ways_in.get(str(target), 0) + 1
        if ways_in[str(target)] > 1:
            key = operations[str(target)]["key"]
            raise InvalidPayloadError(
                f'Operation "{key}" is reached twice in flow "{flow["name"]}": '
                "each operation follows only one other"
            )
    _refuse_loops(flow, operations)


def _refuse_loops(flow: Mapping[str, Any], operations: Mapping[str, Mapping[str, Any]]) -> None:
    """With one way into each operation, a loop is a chain that comes back to its start."""
    for start in sorted(operations, key=lambda op_id: str(operations[op_id]["key"])):
        seen: set[str] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for link in ("resolve", "reject"):
                target = operations[current][link]
                if target is None:
                    continue
                if str(target) == start:
                    key = operations[start]["key"]
                    raise InvalidPayloadError(
                        f'Operation "{key}" of flow "{flow["name"]}" leads back to itself'
                    )
                stack.append(str(target))


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        listed = ", ".join(f'"{item}"' for item in allowed)
        raise InvalidPayloadError(f'"{name}" has to be one of {listed}, not "{value}"')


def _texts(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
