"""``operations`` (admins): create, read, update and delete the steps of flows.

Over the items service on ``directus_operations`` (see :mod:`.keyed`), with the checks
the flows service makes on save (a known type and its options, links that stay in the
flow without looping).
"""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from tessera.mcp.arguments import ANY_OBJECT, nullable
from tessera.mcp.registry import Tool
from tessera.mcp.tools import keyed

_CONFIG = {"extra": "forbid", "strict": True}
_STRING = {"type": "string"}


class OperationData(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: str
    name: str | None
    key: str
    type: str
    position_x: int | float
    position_y: int | float
    options: dict[str, Any]
    resolve: str | None
    reject: str | None
    flow: str
    date_created: str
    user_created: str


OPERATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _STRING,
        "name": nullable(_STRING),
        "key": _STRING,
        "type": _STRING,
        "position_x": {"type": "number"},
        "position_y": {"type": "number"},
        "options": ANY_OBJECT,
        "resolve": nullable(_STRING),
        "reject": nullable(_STRING),
        "flow": _STRING,
        "date_created": _STRING,
        "user_created": _STRING,
    },
    "additionalProperties": False,
}

TOOL = Tool(
    name="operations",
    title="Operations",
    description=(
        "Admins only. The steps of a flow. An operation has a `flow`, a `key` unique in it "
        "(later steps read its result as {{ key }}), a `type` with its `options` "
        "(condition: filter; transform: json; log: message; item-create/read/update/"
        "delete: collection, key, payload, query, permissions; sleep: milliseconds; "
        "throw-error: code, status, message; json-web-token: operation sign|verify|"
        "decode; notification: recipient, subject, message; mail: to, subject, body, "
        "type markdown|wysiwyg; trigger: flow, payload, "
        "iterationMode), and `resolve`/`reject`: the id of the next operation on success "
        "or failure. `position_x`/`position_y` place it on the app's grid. read: `query`. "
        "update: `key` and `data`. delete: `key`."
    ),
    input_schema=keyed.input_schema("operation", OPERATION_SCHEMA),
    arguments=keyed.arguments(OperationData),
    handler=keyed.handler("directus_operations"),
    raw_schema={
        "description": "An operation, a list of operations, or the deleted operation's id",
        "anyOf": [{"type": "array"}, {"type": "object"}, {"type": "string"}],
    },
    admin_only=True,
)
