"""``flows`` (admins): create, read, update and delete automation flows.

Over the items service on ``directus_flows`` (see :mod:`.keyed`); a flow is checked on
save as every door checks it (trigger kind and options, a schedule's cron, its
operations' links), so a bad flow is refused with the same error as through REST.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import TypedDict

from tessera.mcp.arguments import ANY_OBJECT, nullable
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.mcp.tools import keyed
from tessera.mcp.tools.operations import OPERATION_SCHEMA, OperationData

_CONFIG = {"extra": "forbid", "strict": True}
_STRING = {"type": "string"}


class FlowData(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: str
    name: str
    icon: str | None
    color: str | None
    description: str | None
    status: Literal["active", "inactive"]
    trigger: Literal["event", "schedule", "operation", "webhook", "manual"]
    options: dict[str, Any] | None
    operation: str | None
    operations: list[OperationData]
    date_created: str
    user_created: str
    accountability: Literal["all", "activity"] | None
    folder: str | None


FLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _STRING,
        "name": _STRING,
        "icon": nullable(_STRING),
        "color": nullable(_STRING),
        "description": nullable(_STRING),
        "status": {"type": "string", "enum": ["active", "inactive"]},
        "trigger": {
            "type": "string",
            "enum": ["event", "schedule", "operation", "webhook", "manual"],
        },
        "options": nullable(ANY_OBJECT),
        "operation": nullable(_STRING),
        "operations": {"type": "array", "items": OPERATION_SCHEMA},
        "date_created": _STRING,
        "user_created": _STRING,
        "accountability": {"type": "string", "enum": ["all", "activity"]},
        "folder": nullable(_STRING),
    },
    "additionalProperties": False,
}


def url_path(_ctx: ToolContext, _args: Any, item: Any) -> tuple[object, ...] | None:
    return ("settings", "flows", item["id"]) if isinstance(item, dict) and "id" in item else None


TOOL = Tool(
    name="flows",
    title="Flows",
    description=(
        "Admins only. Automations: a flow is a trigger and a chain of operations. "
        "`trigger`: manual (run from the app or trigger-flow; options.collections), "
        "webhook (GET/POST /flows/trigger/<id>; options.method, async, return), event "
        "(options.type filter|action, scope such as items.create, collections), schedule "
        "(options.cron, five or six fields) or operation (run by another flow's trigger "
        "step). `operation` is the first operation's id; `accountability` all, activity "
        "or null says what a run logs. Create the flow, then its operations (operations "
        "tool), then set `operation`. read: `query`. update: `key` and `data`. delete: `key`."
    ),
    input_schema=keyed.input_schema("flow", FLOW_SCHEMA),
    arguments=keyed.arguments(FlowData),
    handler=keyed.handler("directus_flows"),
    raw_schema={
        "description": "A flow, a list of flows, or the deleted flow's id",
        "anyOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}],
    },
    admin_only=True,
    url_path=url_path,
)
