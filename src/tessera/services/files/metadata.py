"""What an image tells about itself: its size, and the EXIF, IPTC and XMP it carries.

Directus reads these with sharp and stores them as its ``exifr``-era layout did: sections
``ifd0``, ``ifd1``, ``exif``, ``gps``, ``interop``, ``iptc`` and ``xmp`` in ``metadata``,
cut to ``FILE_METADATA_ALLOW_LIST`` (``section.Tag`` names, or ``*``), string values
trimmed. IPTC's caption and keywords become the file's description and tags, its
headline the title when the uploader gave none. A width and height swap when the EXIF
orientation turns the picture a quarter. Tessera reads them with Pillow; ICC profiles are
not decoded. An image Pillow cannot read (corrupt, truncated) yields nothing: the file is
kept, without dimensions, as in Directus.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import IO, Any

from PIL import ExifTags, Image, IptcImagePlugin

log = logging.getLogger("tessera.files")

#: The types Directus reads metadata from.
IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/avif"}
)
#: IPTC application records Directus names (record 2, by dataset number).
IPTC_NAMES = {
    120: "caption",
    110: "credit",
    25: "keywords",
    55: "dateCreated",
    80: "byline",
    85: "bylineTitle",
    122: "captionWriter",
    105: "headline",
    116: "copyright",
    15: "category",
}
_POINTERS = {0x8769, 0x8825, 0xA005}
_XMP_FIELDS = ("title", "description", "rights", "creator", "subject")


@dataclass
class ImageFacts:
    """What was read from a file's content: columns of ``directus_files`` and the
    ``metadata`` (an image's; a sound or film gives its ``duration`` only)."""

    width: int | None = None
    height: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    title: str | None = None
    tags: list[str] | None = None
    #: Milliseconds (see :mod:`tessera.services.files.media`).
    duration: int | None = None


def read_image(source: IO[bytes], allow_list: str) -> ImageFacts | None:
    """The facts of the image in ``source``; None when Pillow cannot read it."""
    try:
        with Image.open(source) as image:
            return _facts(image, allow_list)
    except Exception as error:  # Pillow raises many kinds for bad input
        log.info("could not read image metadata: %s", error)
        return None


def _facts(image: Image.Image, allow_list: str) -> ImageFacts:
    exif = image.getexif()
    width, height = image.size
    if (exif.get(0x0112) or 0) >= 5:
        width, height = height, width
    sections: dict[str, dict[str, Any]] = {}
    _add(sections, "ifd0", {k: v for k, v in exif.items() if k not in _POINTERS}, ExifTags.TAGS)
    for name, ifd, names in (
        ("ifd1", ExifTags.IFD.IFD1, ExifTags.TAGS),
        ("exif", ExifTags.IFD.Exif, ExifTags.TAGS),
        ("gps", ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS),
        ("interop", ExifTags.IFD.Interop, ExifTags.TAGS),
    ):
        try:
            _add(sections, name, exif.get_ifd(ifd), names)
        except Exception:  # a broken IFD spoils only its own section
            continue
    iptc = _iptc(image)
    if iptc:
        sections["iptc"] = iptc
    xmp = _xmp(image)
    if xmp:
        sections["xmp"] = xmp
    facts = ImageFacts(width, height, _allowed(sections, allow_list))
    if isinstance(iptc.get("caption"), str):
        facts.description = iptc["caption"]
    if isinstance(iptc.get("headline"), str):
        facts.title = iptc["headline"]
    if "keywords" in iptc:
        keywords = iptc["keywords"]
        facts.tags = keywords if isinstance(keywords, list) else [keywords]
    return facts


def _add(sections: dict[str, Any], name: str, tags: Any, names: dict[int, str]) -> None:
    values = {}
    for tag, raw in dict(tags).items():
        value = _json(raw)
        if value is not None:
            values[names.get(tag, str(tag))] = value
    if values:
        sections[name] = values


def _json(value: Any) -> Any:
    """An EXIF value as JSON holds it: rationals as numbers, bytes as text when they are."""
    if isinstance(value, Fraction) or type(value).__name__ == "IFDRational":
        try:
            return float(value)
        except ZeroDivisionError:
            return None
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if text.isascii() and all(32 <= byte < 127 for byte in text):
            return text.decode("ascii").strip()
        return None
    if isinstance(value, str):
        return value.replace("\0", "").strip()
    if isinstance(value, tuple | list):
        items = [_json(item) for item in value]
        return None if any(item is None for item in items) else items
    if isinstance(value, int | float | bool):
        return value
    return None


def _iptc(image: Image.Image) -> dict[str, Any]:
    try:
        found = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:
        return {}
    named: dict[str, Any] = {}
    for (record, dataset), raw in found.items():
        name = IPTC_NAMES.get(dataset) if record == 2 else None
        if name is None:
            continue
        values = [_text(item) for item in (raw if isinstance(raw, list) else [raw])]
        named[name] = values[0] if len(values) == 1 else values
    return named


def _xmp(image: Image.Image) -> dict[str, Any]:
    raw = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    found: dict[str, Any] = {}
    for name in _XMP_FIELDS:
        match = re.search(rf"<dc:{name}>(.*?)</dc:{name}>", text, re.S | re.I)
        if not match:
            continue
        value = match.group(1).strip()
        items = re.findall(r"<rdf:li[^>]*>(.*?)</rdf:li>", value, re.S | re.I)
        if value.lower().startswith("<rdf:bag>") or value.lower().startswith("<rdf:seq>"):
            found[name] = [item.strip() for item in items]
        elif items:
            found[name] = re.sub(r"<[^>]*>", "", items[0]).strip()
        else:
            found[name] = re.sub(r"<[^>]*>", "", value).strip()
    return found


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else str(value)


def _allowed(sections: dict[str, dict[str, Any]], allow_list: str) -> dict[str, Any]:
    wanted = [entry.strip() for entry in allow_list.split(",") if entry.strip()]
    if "*" in wanted:
        return sections
    kept: dict[str, Any] = {}
    for entry in wanted:
        section, _, tag = entry.partition(".")
        if section not in sections:
            continue
        if not tag:
            kept[section] = sections[section]
        elif tag in sections[section]:
            kept.setdefault(section, {})[tag] = sections[section][tag]
    return kept
