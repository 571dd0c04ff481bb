"""The one exception that answers a request with a JSON-RPC error instead of a result.

Prompts, resources, the client exchange and request state all fail this way (a tool's
failure is a result with ``isError``, not this); the protocol layer turns it into the
response's ``error`` object.
"""

from __future__ import annotations

from typing import Any


class RpcError(Exception):
    """A JSON-RPC error answer: ``code``, ``message`` and, when there is some, ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error
