"""Secrets kept out of run logs and ``log`` operations, as Directus keeps them out.

A value under one of :data:`REDACTED` (at any depth: ``…headers.authorization``) becomes
``--redacted--``; the value of an ``$env`` variable, wherever a string holds it, becomes
``--redacted:NAME--``. Beyond Directus's list, the ``session`` claim an ``auth.jwt`` flow
sees is redacted: it is the session's key, which signs its user in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: (parent key, key) pairs whose value is a secret.
REDACTED = frozenset(
    {
        ("headers", "authorization"),
        ("headers", "cookie"),
        ("query", "access_token"),
        *(
            ("payload", name)
            for name in (
                "password",
                "token",
                "tfa_secret",
                "external_identifier",
                "auth_data",
                "credentials",
                "ai_openai_api_key",
                "ai_anthropic_api_key",
                "ai_google_api_key",
                "ai_openai_compatible_api_key",
                "session",
            )
        ),
    }
)
TEXT = "--redacted--"


def redact(value: Any, env: Mapping[str, str]) -> Any:
    """A copy of ``value`` with its secrets replaced."""
    secrets = [(name, text) for name, text in env.items() if isinstance(text, str) and text]
    return _walk(value, None, secrets)


def _walk(value: Any, parent: str | None, secrets: list[tuple[str, str]]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: TEXT if (parent, key) in REDACTED else _walk(item, key, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_walk(item, parent, secrets) for item in value]
    if isinstance(value, str):
        for name, text in secrets:
            value = value.replace(text, f"--redacted:{name}--")
    return value
