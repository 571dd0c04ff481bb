"""Errors that cross the service boundary, shaped like Directus's.

Every door (REST, MCP, CLI, flows) turns a :class:`TesseraError` into its own
envelope using ``code``, ``status``, ``message`` and ``extensions``; none of them
invents codes of its own.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, ClassVar


class TesseraError(Exception):
    """A failure a caller can act on, with Directus's ``extensions.code``."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}

    def to_dict(self) -> dict[str, Any]:
        """The error as one entry of Directus's ``errors`` array."""
        return {"message": self.message, "extensions": self.extensions}


class ForbiddenError(TesseraError):
    code = "FORBIDDEN"
    status = 403

    def __init__(self, message: str = "You don't have permission to access this.", **ext: Any):
        super().__init__(message, **ext)


class InvalidPayloadError(TesseraError):
    """The request body is wrong; ``reason`` says how (Directus puts it in extensions)."""

    code = "INVALID_PAYLOAD"
    status = 400

    def __init__(self, reason: str, **ext: Any) -> None:
        super().__init__(f"Invalid payload. {reason}.", reason=reason, **ext)


class InvalidQueryError(TesseraError):
    code = "INVALID_QUERY"
    status = 400

    def __init__(self, reason: str, **ext: Any) -> None:
        super().__init__(f"Invalid query. {reason}.", reason=reason, **ext)


class RecordNotUniqueError(TesseraError):
    code = "RECORD_NOT_UNIQUE"
    status = 400


class ContainsNullValuesError(TesseraError):
    code = "CONTAINS_NULL_VALUES"
    status = 400


class NotNullViolationError(TesseraError):
    code = "NOT_NULL_VIOLATION"
    status = 400


class InvalidForeignKeyError(TesseraError):
    code = "INVALID_FOREIGN_KEY"
    status = 400


class ValueTooLongError(TesseraError):
    code = "VALUE_TOO_LONG"
    status = 400


class ValueOutOfRangeError(TesseraError):
    code = "VALUE_OUT_OF_RANGE"
    status = 400


class RouteNotFoundError(TesseraError):
    code = "ROUTE_NOT_FOUND"
    status = 404


class ServiceUnavailableError(TesseraError):
    code = "SERVICE_UNAVAILABLE"
    status = 503


class ExternalServiceError(ServiceUnavailableError):
    """Another service failed us: ``Service "<service>" is unavailable. <reason>.``"""

    def __init__(self, service: str, reason: str, **ext: Any) -> None:
        super().__init__(
            f'Service "{service}" is unavailable. {reason}.', service=service, reason=reason, **ext
        )


class ContentTooLargeError(TesseraError):
    code = "CONTENT_TOO_LARGE"
    status = 413

    def __init__(self, message: str = "Uploaded content is too large.", **ext: Any) -> None:
        super().__init__(message, **ext)


class UnsupportedMediaTypeError(TesseraError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class InvalidCredentialsError(TesseraError):
    code = "INVALID_CREDENTIALS"
    status = 401

    def __init__(self, message: str = "Invalid user credentials.", **ext: Any) -> None:
        super().__init__(message, **ext)


class TokenExpiredError(TesseraError):
    code = "TOKEN_EXPIRED"
    status = 401

    def __init__(self, message: str = "Token expired.", **ext: Any) -> None:
        super().__init__(message, **ext)


class InvalidTokenError(TesseraError):
    code = "INVALID_TOKEN"
    status = 403

    def __init__(self, message: str = "Invalid token.", **ext: Any) -> None:
        super().__init__(message, **ext)


class UserSuspendedError(TesseraError):
    code = "USER_SUSPENDED"
    status = 401

    def __init__(self, message: str = "User suspended.", **ext: Any) -> None:
        super().__init__(message, **ext)


class RequestsExceededError(TesseraError):
    """Too many requests: ``limit`` is the limit hit, ``wait`` the seconds until it lets one by.

    ``retry_after`` is those seconds rounded up, for a ``Retry-After`` header; the message
    writes the wait as Directus does (``ms``'s short form: ``850ms``, ``42s``, ``5m``).
    """

    code = "REQUESTS_EXCEEDED"
    status = 429

    def __init__(self, limit: int, wait: float, **ext: Any) -> None:
        self.retry_after = max(1, math.ceil(wait))
        reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)
        millis = round(wait * 1000)
        shown = f"{millis}ms"
        for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
            if millis >= size:
                shown = f"{math.floor(millis / size + 0.5)}{unit}"
                break
        super().__init__(
            f"Too many requests, retry after {shown}.",
            limit=limit,
            reset=reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            **ext,
        )


class FailedValidationError(TesseraError):
    """Values that broke validation rules; every failure is its own entry of ``errors``.

    A failure is Directus's extensions without ``code``: ``field``, ``path`` (the nested
    writes and JSON keys leading to the value) and ``type`` (the operator without its
    underscore, or ``required``), with ``valid``, ``invalid`` or ``substring`` where the type
    has one. ``message`` and ``extensions`` are the first failure's, for a door that shows a
    single error; :meth:`to_dicts` gives them all.
    """

    code = "FAILED_VALIDATION"
    status = 400

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        self.failures = failures
        super().__init__(_validation_message(failures[0]), **failures[0])

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every failure as one entry of Directus's ``errors`` array."""
        return [
            {"message": _validation_message(failure), "extensions": {"code": self.code, **failure}}
            for failure in self.failures
        ]


#: Directus's sentences by failure type; it has none for the starts/ends family and
#: ``nbetween`` (its message stops after the field name), so those are ours.
_VALIDATION_REASONS = {
    "eq": 'Value has to be "{valid}".',
    "neq": 'Value can\'t be "{invalid}".',
    "lt": 'Value has to be less than "{valid}".',
    "lte": 'Value has to be less than or equal to "{valid}".',
    "gt": 'Value has to be greater than "{valid}".',
    "gte": 'Value has to be greater than or equal to "{valid}".',
    "contains": 'Value has to contain "{substring}".',
    "icontains": 'Value has to contain "{substring}".',
    "ncontains": 'Value can\'t contain "{substring}".',
    "starts_with": 'Value has to start with "{substring}".',
    "istarts_with": 'Value has to start with "{substring}".',
    "nstarts_with": 'Value can\'t start with "{substring}".',
    "nistarts_with": 'Value can\'t start with "{substring}".',
    "ends_with": 'Value has to end with "{substring}".',
    "iends_with": 'Value has to end with "{substring}".',
    "nends_with": 'Value can\'t end with "{substring}".',
    "niends_with": 'Value can\'t end with "{substring}".',
    "null": "Value has to be null.",
    "nnull": "Value can't be null.",
    "empty": "Value has to be empty.",
    "nempty": "Value can't be empty.",
    "required": "Value is required.",
    "regex": "Value doesn't have the correct format.",
    "email": "Value has to be a valid email address.",
}


def _validation_message(failure: dict[str, Any]) -> str:
    path = failure.get("path") or []
    at = f' at "{".".join(str(step) for step in path)}"' if path else ""
    kind = failure["type"]
    if kind in ("in", "nin"):
        values = failure["valid" if kind == "in" else "invalid"]
        listed = ", ".join(f'"{_shown(value)}"' for value in values)
        verb = "has to be" if kind == "in" else "can't be"
        reason = f"Value {verb} one of {listed}."
    elif kind == "nbetween":
        low, high = failure["invalid"]
        reason = f'Value can\'t be between "{_shown(low)}" and "{_shown(high)}".'
    else:
        shown = {key: _shown(value) for key, value in failure.items()}
        reason = _VALIDATION_REASONS.get(kind, "").format(**shown)
    return f'Validation failed for field "{failure["field"]}"{at}.' + (reason and f" {reason}")


def _shown(value: Any) -> str:
    """A value as JavaScript writes it into a template string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
