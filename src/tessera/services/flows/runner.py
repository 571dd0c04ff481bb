"""Running a flow: its operations one after another along resolve and reject.

The data chain starts as ``{$trigger, $last: $trigger, $accountability, $env}``. Each
operation has its options rendered against the chain (:mod:`.templates`), runs, and
leaves its value under its key and as ``$last``; success follows ``resolve``, failure
(the error becomes the value, see :mod:`.errors`) follows ``reject``; an operation type
nobody knows ends the run with status ``unknown``. The run's status is its last
operation's. Afterwards the run is recorded as the flow's ``accountability`` says: an
activity row (action ``run``), and with ``all`` a revision holding the steps and the
chain with secrets redacted.

Every operation runs on a thread of its own and may take ``FLOWS_OPERATION_TIMEOUT``;
past that the run takes the reject path with OUT_OF_TIME and cancels the operation where
it can stop (a sleep, the flows it triggered). Python cannot stop a thread from outside,
so a database write already under way still finishes in its own transaction. The
operations of a flow run by a ``trigger`` operation are bounded by that operation's time
alone, so the one that took too long is always the one that reports OUT_OF_TIME.

A run inside a write transaction (a filter hook, see :mod:`.events`) is different: its
item operations join that transaction, so they run one after another on the caller's
thread, without the timeout (an abandoned operation would go on using the connection),
and its log waits for the transaction to end (see :mod:`.pending`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.config import Settings, parse_duration
from tessera.db.engine import Database, dumps_json
from tessera.errors import InvalidPayloadError, TesseraError
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.activity import Revision, record
from tessera.services.flows.errors import (
    FlowDepthError,
    OperationError,
    OperationTimeoutError,
    RejectedWith,
    error_value,
)
from tessera.services.flows.model import Flow, Operation, load_flow
from tessera.services.flows.operations import OPERATIONS, Context, OperationKind
from tessera.services.flows.operations.base import Cancellation, Cancelled
from tessera.services.flows.pending import pending_of
from tessera.services.flows.redact import redact
from tessera.services.flows.templates import get, render
from tessera.services.items import ItemsService

if TYPE_CHECKING:
    from tessera.services.flows.events import EventFlows

log = logging.getLogger("tessera.flows")

Clock = Callable[[], dt.datetime]


@dataclass
class RunResult:
    """What a run did: its data chain, its steps, its status, and the last error."""

    flow: Flow
    data: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: The last operation's status: ``resolve``, ``reject`` or ``unknown`` (also: no operation).
    status: str = "unknown"
    #: The error of the last operation when it rejected.
    error: BaseException | None = None

    def returned(self, default: str | None = None) -> Any:
        """The value the flow's ``return`` option names (``$all``: the whole chain)."""
        path = self.flow.options.get("return") or default
        if not path:
            return None
        if path == "$all":
            return self.data
        return get(self.data, str(path))


class FlowRunner:
    """Runs flows for one process; holds no state between runs."""

    def __init__(
        self,
        db: Database,
        schema: SchemaCache,
        settings: Settings,
        *,
        cache: AccessCache | None = None,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.schema = schema
        self.settings = settings
        self.cache = cache or AccessCache()
        self.clock = clock
        source = os.environ if env is None else env
        self.env = {name: source[name] for name in settings.flows_env if name in source}
        self.timeout = parse_duration(settings.flows_operation_timeout).total_seconds()
        self.max_depth = settings.flows_max_depth
        #: The event triggers, once :class:`~.events.EventFlows` is set up over this runner.
        self.events: EventFlows | None = None

    def now(self) -> dt.datetime:
        return self.clock() if self.clock is not None else dt.datetime.now(dt.UTC)

    def items(
        self,
        accountability: Accountability | None,
        *,
        conn: Connection | None = None,
        chain: tuple[str, ...] | None = None,
    ) -> ItemsService:
        """The items service as ``accountability``, inside the write transaction ``conn``
        when given; its writes fire events when ``chain`` (the flows making them) is given."""
        events = None
        if chain is not None and self.events is not None:
            events = self.events.emitter(chain)
        return ItemsService(
            self.db,
            self.schema,
            self.settings,
            accountability,
            now=self.clock() if self.clock else None,
            cache=self.cache,
            events=events,
            transaction=conn,
        )

    def load(self, flow_id: str) -> Flow | None:
        with self.db.read() as conn:
            return load_flow(conn, flow_id)

    # --- running ------------------------------------------------------------------------

    def run(
        self,
        flow: Flow,
        trigger: Any,
        accountability: Accountability | None,
        *,
        chain: tuple[str, ...] = (),
        cancelled: Cancellation | None = None,
        conn: Connection | None = None,
    ) -> RunResult:
        """Run ``flow`` with ``$trigger`` = ``trigger`` as ``accountability``; inside the write
        transaction ``conn`` when given."""
        chain = (*chain, flow.name)
        timed = cancelled is None
        cancelled = cancelled or Cancellation()
        data: dict[str, Any] = {
            "$trigger": trigger,
            "$last": trigger,
            "$accountability": accountability_data(accountability),
            "$env": dict(self.env),
        }
        result = RunResult(flow, data)
        operation = flow.operation
        while operation is not None and not cancelled.is_set():
            context = Context(
                self,
                flow,
                accountability,
                data,
                chain,
                Cancellation(parent=cancelled),
                conn,
                timed,
            )
            status, value, options, error = self._execute(operation, context)
            data[operation.key] = value
            data["$last"] = value
            result.steps.append(
                {
                    "operation": operation.id,
                    "key": operation.key,
                    "status": status,
                    "options": options,
                }
            )
            result.status, result.error = status, error
            if status == "resolve":
                operation = operation.resolve
            elif status == "reject":
                operation = operation.reject
            else:
                operation = None
        pending = pending_of(conn) if conn is not None else None
        if pending is not None:
            pending.logs.append(lambda: self._record(result, accountability))
        else:
            self._record(result, accountability)
        return result

    def run_triggered(self, flow_id: str, payload: Any, context: Context) -> Any:
        """The trigger operation's run of another flow; what that flow returns."""
        flow = self.load(flow_id)
        if flow is None or flow.status != "active" or flow.trigger != "operation":
            raise InvalidPayloadError(
                f'"flow" is "{flow_id}", which is no active flow triggered by another flow'
            )
        if len(context.chain) >= self.max_depth:
            raise FlowDepthError((*context.chain, flow.name), self.max_depth)
        result = self.run(
            flow,
            payload,
            context.accountability,
            chain=context.chain,
            cancelled=context.cancelled,
            conn=context.conn,
        )
        if isinstance(result.error, FlowDepthError):
            raise result.error
        return result.returned()

    def _execute(
        self, operation: Operation, context: Context
    ) -> tuple[str, Any, Any, BaseException | None]:
        """Run one operation: (status, value, rendered options, error)."""
        kind = OPERATIONS.get(operation.type)
        if kind is None:
            log.warning('Flow "%s": no operation type "%s"', context.flow.id, operation.type)
            return "unknown", None, None, None
        options: Any = operation.options
        try:
            source = redact(context.data, self.env) if operation.type == "log" else context.data
            options = render(operation.options, source)
            value = self._call(kind, options, context, operation.key)
            return "resolve", json.loads(dumps_json(value)), options, None
        except Exception as error:
            if not isinstance(error, TesseraError | OperationError | RejectedWith | Cancelled):
                log.warning(
                    'Flow "%s", operation "%s" failed',
                    context.flow.id,
                    operation.key,
                    exc_info=error,
                )
            return "reject", error_value(error), options, error

    def _call(
        self, kind: OperationKind, options: dict[str, Any], context: Context, key: str
    ) -> Any:
        """The operation's value, or its error; OUT_OF_TIME when it takes too long."""
        if context.conn is not None:
            return kind.run(options, context)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = kind.run(options, context)
            except BaseException as error:
                outcome["error"] = error
            finally:
                done.set()

        name = f"flow {context.flow.id} {key}"
        threading.Thread(target=work, name=name, daemon=True).start()
        if not done.wait(self.timeout if context.timed else None):
            context.cancelled.cancel()
            raise OperationTimeoutError(key, self.timeout)
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    def _record(self, result: RunResult, accountability: Accountability | None) -> None:
        tracking = result.flow.accountability
        if tracking not in ("all", "activity"):
            return
        revision = {
            "steps": [redact(step, self.env) for step in result.steps],
            "data": redact(result.data, self.env),
        }
        with self.db.write() as conn:
            record(
                conn,
                accountability,
                action="run",
                collection="directus_flows",
                changes=[Revision(result.flow.id, data=json.loads(dumps_json(revision)))],
                tracking=tracking,
            )


def accountability_data(who: Accountability | None) -> dict[str, Any] | None:
    """``$accountability`` as Directus shows it to a flow."""
    if who is None:
        return None
    return {
        "role": who.role,
        "user": who.user,
        "roles": list(who.roles),
        "admin": who.admin,
        "app": who.app,
        "ip": who.ip,
        "userAgent": who.user_agent,
        "origin": who.origin,
    }
