"""Where a transformed image is kept: beside its original, under a key naming both.

A variant of the file stored as ``<stem>.<ext>`` is ``<stem>__<hash>.<format>`` in the
same storage location (``<ext>`` when the format does not change), where ``<hash>`` is a
SHA-256 over the normalised parameters and the file's version (its size and modification
time). Everything made from a file therefore starts with :func:`variant_prefix`: whoever
replaces or deletes the file removes its variants by listing that prefix.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any

#: Content types of the formats a variant can have.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "tiff": "image/tiff",
    "tif": "image/tiff",
    "gif": "image/gif",
}


def variant_prefix(filename_disk: str) -> str:
    """The start of every variant key of the file stored as ``filename_disk``."""
    return posixpath.splitext(filename_disk)[0] + "__"


def variant_hash(normalised: dict[str, Any], version: str) -> str:
    """A stable digest of what was asked and of which version of the file."""
    text = json.dumps([normalised, version], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def variant_key(filename_disk: str, digest: str, output_format: str | None) -> str:
    """The key of one variant: the original's stem, the digest, the output's extension."""
    stem, ext = posixpath.splitext(filename_disk)
    suffix = f".{output_format}" if output_format else ext
    return f"{stem}__{digest}{suffix}"
