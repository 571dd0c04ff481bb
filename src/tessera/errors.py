"""Errors that cross the service boundary, shaped like Directus's.

Every door (REST, MCP, CLI, flows) turns a :class:`TesseraError` into its own
envelope using ``code``, ``status``, ``message`` and ``extensions``; none of them
invents codes of its own.
"""

from __future__ import annotations

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
