"""Which names may be given to collections and fields."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tessera.errors import InvalidPayloadError

MAX_NAME_LENGTH = 64
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(value: object, what: str) -> str:
    """Return ``value`` if it can name a ``what`` (collection or field), else INVALID_PAYLOAD.

    Stricter than Directus, which accepts spaces and punctuation that then need
    quoting everywhere: a name is an SQL identifier of at most 64 characters.
    """
    if not isinstance(value, str) or not value:
        raise InvalidPayloadError(f'"{what}" is required')
    if what == "collection":
        for prefix in ("directus_", "tessera_"):
            if value.startswith(prefix):
                raise InvalidPayloadError(f'"{what}" can\'t start with "{prefix}"')
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidPayloadError(f'"{what}" can\'t be longer than {MAX_NAME_LENGTH} characters')
    if not _IDENTIFIER.match(value):
        raise InvalidPayloadError(
            f'"{what}" must start with a letter or underscore and contain only letters, '
            "digits and underscores"
        )
    return value


def is_taken(name: str, existing: Iterable[str]) -> bool:
    """Whether ``name`` is one of ``existing`` up to letter case.

    SQLite's identifiers ignore case, so ``Title`` beside ``title`` fails there; refusing
    it on PostgreSQL too keeps every schema portable between the two.
    """
    return name.casefold() in {other.casefold() for other in existing}
