"""Starting flows from outside: webhooks and manual triggers (``/flows/trigger/:id``); and
the process's event triggers (:mod:`.events`) and schedule ticker (:mod:`.ticker`).

Flows and operations themselves are read and written through the items service on
``directus_flows`` and ``directus_operations``, with the caller's permissions (admin-only
unless a policy grants them) and the checks of :mod:`.rules` — so every door has them.
Nothing is cached: each trigger reads its flow, so every instance sees a change at once.

As in Directus, a flow that does not exist, is not active, or is not triggered that way
is FORBIDDEN, never "not found". A webhook flow answers to the method it names (GET by
default); a manual flow to POST, for an authenticated caller, on one of its collections,
with keys (unless ``requireSelection`` is off) the caller may read. With ``async`` the
answer is empty and the run goes on in the background; otherwise the answer is the value
``return`` names (``$last`` by default; always ``$last`` for manual flows), and with
``error_on_reject`` a run that ends rejected answers with its error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tessera.access.accountability import Accountability
from tessera.errors import ForbiddenError
from tessera.services.flows.active import ActiveFlows
from tessera.services.flows.background import BackgroundRuns
from tessera.services.flows.errors import run_error
from tessera.services.flows.events import EventFlows
from tessera.services.flows.model import Flow
from tessera.services.flows.runner import FlowRunner
from tessera.services.flows.ticker import Ticker


@dataclass(frozen=True)
class TriggerRequest:
    """What Directus hands a webhook or manual flow as ``$trigger``."""

    path: str
    method: str
    query: Mapping[str, Any]
    body: Any
    headers: Mapping[str, str]

    def data(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "query": dict(self.query),
            "body": self.body,
            "method": self.method,
            "headers": dict(self.headers),
        }


class FlowsService:
    """Starts flows for one process: waits for a run, or hands it to the background."""

    def __init__(self, runner: FlowRunner, background: BackgroundRuns | None = None) -> None:
        self.runner = runner
        self.background = background or BackgroundRuns()
        active = ActiveFlows()
        #: What items services fire their events through (``events.emitter()``).
        self.events = EventFlows(runner, self.background, active)
        self.ticker = Ticker(runner, self.background, active, clock=runner.clock)

    def trigger(
        self, flow_id: str, request: TriggerRequest, accountability: Accountability | None
    ) -> Any:
        """Run the webhook or manual flow ``flow_id``; its answer (None: nothing to send)."""
        flow = self.runner.load(flow_id)
        if flow is None or flow.status != "active":
            raise ForbiddenError()
        if flow.trigger == "webhook" and request.method == _method(flow):
            return self._start(flow, request, accountability, "$last")
        if flow.trigger == "manual" and request.method == "POST":
            self._check_manual(flow, request.body, accountability)
            return self._start(flow, request, accountability, "$last", manual=True)
        raise ForbiddenError()

    def _start(
        self,
        flow: Flow,
        request: TriggerRequest,
        accountability: Accountability | None,
        default: str,
        *,
        manual: bool = False,
    ) -> Any:
        data = request.data()
        if flow.options.get("async"):
            self.background.start(lambda: self.runner.run(flow, data, accountability))
            return None
        result = self.runner.run(flow, data, accountability)
        if flow.options.get("error_on_reject") and result.status == "reject":
            raise run_error(result.error, result.data["$last"])
        if manual:
            return result.data["$last"]
        return result.returned(default)

    def _check_manual(self, flow: Flow, body: Any, who: Accountability | None) -> None:
        """Directus's conditions on a manual trigger; each refusal is FORBIDDEN."""
        body = body if isinstance(body, Mapping) else {}
        collection, keys = body.get("collection"), body.get("keys")
        allowed = flow.options.get("collections") or []
        if not isinstance(collection, str) or collection not in allowed:
            raise ForbiddenError()
        required = flow.options.get("requireSelection")
        if required is not False and (not isinstance(keys, list) or not keys):
            raise ForbiddenError()
        if who is None or (who.user is None and who.role is None):
            raise ForbiddenError()
        if who.admin:
            return
        items = self.runner.items(who)
        with items.reading(collection, "read"):
            pass
        if isinstance(keys, list) and keys:
            primary = items.schema.get().collections[collection].primary or "id"
            found = items.read_many(collection, keys, {"fields": [primary]})
            readable = {str(item.get(primary)) for item in found}
            if any(str(key) not in readable for key in keys):
                raise ForbiddenError()


def _method(flow: Flow) -> str:
    return str(flow.options.get("method") or "GET").upper()
