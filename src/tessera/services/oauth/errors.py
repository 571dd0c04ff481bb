"""RFC 6749 errors: ``{"error", "error_description"}`` with their HTTP status."""

from __future__ import annotations


class OAuthError(Exception):
    """A refusal the client can read; ``headers`` go on the response (``WWW-Authenticate``)."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def to_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client() -> OAuthError:
    """401 with the Basic challenge, as RFC 6749 §5.2 asks when the client used a header."""
    return OAuthError(
        "invalid_client",
        "Client authentication failed",
        401,
        {"WWW-Authenticate": 'Basic realm="tessera"'},
    )


def invalid_grant(description: str = "Authorization code is invalid or has expired") -> OAuthError:
    return OAuthError("invalid_grant", description)
