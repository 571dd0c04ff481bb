"""``trigger-flow``: run an active manual flow on items of a collection, as the app's
flow buttons do, with the connected user's rights.

The flow's rules are those of ``POST /flows/trigger/:id`` (:mod:`tessera.services.flows.
service`): the collection must be one of the flow's, the keys are required unless the
flow says otherwise, and a non-admin must be able to read the collection and every key.
Before that, as in Directus, each field the flow's confirmation dialog marks required
must be in ``data``. The answer is what the flow returns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter

from tessera.db.system_tables import directus_flows
from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.mcp.arguments import ANY_OBJECT, KEYS, Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.services.flows.service import TriggerRequest


class TriggerArgs(Strict):
    id: int | float | str
    collection: str
    keys: list[int | float | str] | None = None
    headers: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    data: dict[str, Any] | None = None


def available(ctx: ToolContext) -> bool:
    """Listed only when some active manual flow runs on a collection the caller may read."""
    flows = directus_flows
    with ctx.db.read() as conn:
        options = (
            conn.execute(
                sa.select(flows.c.options).where(
                    flows.c.status == "active", flows.c.trigger == "manual"
                )
            )
            .scalars()
            .all()
        )
        if ctx.is_admin:
            return bool(options)
        readable = ctx.access_cache.permissions(conn, ctx.accountability).collections("read")
    return any(
        name in readable
        for option in options
        if isinstance(option, dict)
        for name in option.get("collections") or []
    )


def run(ctx: ToolContext, args: TriggerArgs) -> Any:
    flows = ctx.flows
    if flows is None:
        raise ForbiddenError()
    flow_id = str(args.id)
    flow = flows.runner.load(flow_id)
    if flow is None or flow.status != "active" or flow.trigger != "manual":
        raise ForbiddenError()
    data = args.data or {}
    for field in flow.options.get("fields") or []:
        name = field.get("field") if isinstance(field, dict) else None
        required = isinstance(field, dict) and (field.get("meta") or {}).get("required")
        if name and required and name not in data:
            raise InvalidPayloadError(f'Required field "{name}" is missing')
    body: dict[str, Any] = {"collection": args.collection}
    if args.keys is not None:
        body["keys"] = args.keys
    request = TriggerRequest(
        path=f"/trigger/{flow_id}",
        method="POST",
        query=args.query or {},
        body={**body, **data},
        headers={str(k): str(v) for k, v in (args.headers or {}).items()},
    )
    return flows.trigger(flow_id, request, ctx.accountability)


TOOL = Tool(
    name="trigger-flow",
    title="Trigger flow",
    description=(
        "Run an active manual flow (flows with trigger `manual`) on items: `id` of the "
        "flow, the `collection` it runs on (one of its options.collections) and the item "
        "`keys` (required unless the flow says otherwise); `data` carries the values its "
        "confirmation dialog asks for. Runs with your permissions: you must be able to "
        "read those items. Answers what the flow returns. A flow may change or delete "
        "data, or call other services."
    ),
    input_schema=object_schema(
        {
            "id": {
                "description": "The flow's id",
                "anyOf": [{"type": "number"}, {"type": "string"}],
            },
            "collection": {"description": "The collection the flow runs on", "type": "string"},
            "keys": {"description": "The items' primary keys", **KEYS},
            "headers": {"description": "Headers the flow sees in $trigger", **ANY_OBJECT},
            "query": {"description": "Query values the flow sees in $trigger", **ANY_OBJECT},
            "data": {"description": "Values for the flow's confirmation fields", **ANY_OBJECT},
        },
        required=("id", "collection"),
    ),
    arguments=TypeAdapter(TriggerArgs),
    handler=run,
    raw_schema={"description": "What the flow returns"},
    read_only=False,
    destructive=True,
    open_world=True,
    available=available,
)
