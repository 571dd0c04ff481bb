"""The errors of flow runs, and how a failed operation's error is kept on the data chain.

An operation that fails leaves its error as its value (``$last`` and its key), shaped as
Directus serialises its errors: ``{"name", "message", "extensions", "code", "status"}``,
a list of such entries for failed validations (one per failure, as the condition
operation reports them). Directus's own serialisation drops ``message`` (a JavaScript
quirk); this keeps it, since it is what a person reading a run log needs first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import FailedValidationError, TesseraError


class OperationTimeoutError(TesseraError):
    """An operation ran longer than ``FLOWS_OPERATION_TIMEOUT``."""

    code = "OUT_OF_TIME"
    status = 408

    def __init__(self, key: str, seconds: float) -> None:
        super().__init__(
            f'Operation "{key}" did not finish within {seconds:g}s (FLOWS_OPERATION_TIMEOUT).',
            operation=key,
            timeout=seconds,
        )


class FlowDepthError(TesseraError):
    """Flows that trigger flows went deeper than ``FLOWS_MAX_DEPTH``: most likely a cycle."""

    code = "UNPROCESSABLE_CONTENT"
    status = 422

    def __init__(self, chain: tuple[str, ...], limit: int) -> None:
        shown = " → ".join(f'"{name}"' for name in chain)
        super().__init__(
            f"Flows trigger each other more than {limit} deep (FLOWS_MAX_DEPTH), "
            f"most likely in a cycle: {shown}.",
            flows=list(chain),
            limit=limit,
        )


class OperationError(Exception):
    """A failure an operation reports under a name of its own (``JsonWebTokenError`` …)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class RejectedWith(Exception):
    """A failure whose value on the data chain is a value of its own (the request
    operation's answer, as Directus throws it)."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value


def thrown_error(code: str, status: int, message: str) -> TesseraError:
    """The throw-error operation's error: any code, any HTTP status."""
    kind = type("ThrownError", (TesseraError,), {"code": code, "status": status})
    return kind(message)


def run_error(error: BaseException | None, last: Any) -> TesseraError:
    """The error a rejected run answers with: its last operation's own, when that is one of
    Tessera's errors, else one carrying the message of the value it left (``$last``)."""
    if isinstance(error, TesseraError):
        return error
    value = error_value(error) if error is not None else last
    message = value.get("message") if isinstance(value, Mapping) else None
    return TesseraError(str(message or "An unexpected error occurred."))


def error_value(error: BaseException) -> Any:
    """The error as the operation's value on the data chain."""
    if isinstance(error, FailedValidationError):
        return [
            _directus(entry["message"], entry["extensions"], error.code, error.status)
            for entry in error.to_dicts()
        ]
    if isinstance(error, TesseraError):
        return _directus(error.message, error.extensions, error.code, error.status)
    if isinstance(error, OperationError):
        return {"name": error.name, "message": error.message}
    if isinstance(error, RejectedWith):
        return error.value
    return {"name": "Error", "message": str(error) or type(error).__name__}


def _directus(message: str, extensions: dict[str, Any], code: str, status: int) -> dict[str, Any]:
    rest = {key: value for key, value in extensions.items() if key != "code"}
    return {
        "name": "DirectusError",
        "message": message,
        "extensions": rest,
        "code": code,
        "status": status,
    }
