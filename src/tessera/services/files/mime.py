"""A file's MIME type, sniffed from its first bytes, and ``FILES_MIME_TYPE_ALLOW_LIST``.

Directus believes the type the client declares; Tessera looks at the content (puremagic's
signatures, pure Python) so that a script cannot pass as ``image/png``. When the content
has no signature (plain text, CSV, most source code) the declared type — or else the one
the file name's extension suggests — is kept if it is a textual type; anything else
unrecognised is ``application/octet-stream``.
"""

from __future__ import annotations

import fnmatch
import mimetypes

import puremagic

#: Bytes read before the content's type is decided.
SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
_TEXTUAL = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/yaml",
        "application/x-yaml",
        "application/sql",
        "application/x-sh",
        "image/svg+xml",
    }
)


def sniff(head: bytes, declared: str | None = None, filename: str | None = None) -> str:
    """The MIME type of content starting with ``head``."""
    if head:
        try:
            found = puremagic.from_string(head, mime=True)
        except (puremagic.PureError, ValueError):
            found = ""
        if found:
            return found.lower()
    for candidate in (_plain(declared), _plain(mimetypes.guess_type(filename or "")[0])):
        if candidate and is_textual(candidate):
            return candidate
    return OCTET_STREAM


def is_textual(mime_type: str) -> bool:
    return (
        mime_type.startswith("text/")
        or mime_type in _TEXTUAL
        or mime_type.endswith(("+json", "+xml"))
    )


def is_allowed(mime_type: str, allow_list: str) -> bool:
    """Whether ``mime_type`` matches a pattern of the comma-separated ``allow_list``.

    Patterns are globs as Directus's minimatch reads them: ``*/*``, ``image/*``,
    ``application/pdf``; ``*`` stops at ``/``.
    """
    patterns = [pattern.strip().lower() for pattern in allow_list.split(",") if pattern.strip()]
    return any(_matches(mime_type.lower(), pattern) for pattern in patterns)


def _matches(mime_type: str, pattern: str) -> bool:
    wanted, got = pattern.split("/"), mime_type.split("/")
    return len(wanted) == len(got) and all(
        fnmatch.fnmatchcase(part, glob) for part, glob in zip(got, wanted, strict=True)
    )


def extension_of(mime_type: str) -> str:
    """The usual extension of ``mime_type`` with its dot (``.bin`` for unknown content)."""
    if mime_type == OCTET_STREAM:
        return ".bin"
    return mimetypes.guess_extension(mime_type, strict=False) or ""


def _plain(mime_type: str | None) -> str | None:
    """A Content-Type header's type without parameters (``text/csv; charset=utf-8``)."""
    if not mime_type:
        return None
    return mime_type.split(";", 1)[0].strip().lower() or None
