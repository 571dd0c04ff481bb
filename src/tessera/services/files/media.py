"""How long a sound or a film lasts, read with mutagen from the stored copy.

Directus has the ``duration`` column but never fills it; Tessera fills it for the
containers mutagen reads (MP3, MP4/M4A, Ogg, Opus, FLAC, WAV, AIFF, ASF and more), in
milliseconds, the unit of every other duration in the API. A file mutagen cannot read
keeps no duration and is stored all the same.
"""

from __future__ import annotations

import logging
from typing import IO

import mutagen

log = logging.getLogger("tessera.files")

#: The types whose duration is looked for.
TIMED_PREFIXES = ("audio/", "video/")


def is_timed(mime_type: str) -> bool:
    return mime_type.startswith(TIMED_PREFIXES)


def read_duration(source: IO[bytes]) -> int | None:
    """The length of the media in ``source``, in milliseconds; None when unknown."""
    try:
        found = mutagen.File(source)
    except Exception as error:  # mutagen raises many kinds for bad input
        log.info("could not read media duration: %s", error)
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    if not isinstance(length, int | float) or length <= 0:
        return None
    return round(length * 1000)
