"""Transformation parameters: read from the query, checked, and normalised.

Directus hands its parameters to sharp, and sharp's checks give its error messages
("Expected positive integer between 1 and 100000000 for width but received NaN of type
number"); the same sentences come from here, as INVALID_QUERY. A query value is a string,
read as JavaScript's ``Number()`` reads it, so ``width=abc`` is ``NaN`` as there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tessera.errors import InvalidQueryError
from tessera.services.assets.operations import METHODS, SUPPORTED_METHODS

#: The query parameters of a transformation (others, such as ``download``, are not).
QUERY_KEYS = (
    "key",
    "transforms",
    "width",
    "height",
    "format",
    "fit",
    "quality",
    "withoutEnlargement",
    "focal_point_x",
    "focal_point_y",
)
FITS = ("cover", "contain", "fill", "inside", "outside")
#: Every output format sharp names, for its error message; Tessera writes the first group.
WRITABLE_FORMATS = ("jpeg", "jpg", "png", "webp", "avif", "tiff", "tif", "gif")
SHARP_FORMATS = (
    "heic, heif, avif, jpeg, jpg, jpe, tile, dz, png, raw, tiff, tif, webp, gif, jp2, jpx, j2k, "
    "j2c, jxl"
)
MAX_DIMENSION = 100_000_000
_TRANSFORMS_REASON = '"transforms" Parameter needs to be a JSON array of allowed transformations'


def requested_params(query: Mapping[str, str], max_operations: int) -> dict[str, Any]:
    """The transformation parameters of a query, ``transforms`` parsed and checked."""
    picked: dict[str, Any] = {key: query[key] for key in QUERY_KEYS if key in query}
    if "transforms" in picked:
        try:
            transforms = json.loads(picked["transforms"])
        except ValueError:
            raise InvalidQueryError(_TRANSFORMS_REASON) from None
        if not isinstance(transforms, list):
            raise InvalidQueryError(_TRANSFORMS_REASON)
        if len(transforms) > max_operations:
            raise InvalidQueryError(
                f'"transforms" Parameter is only allowed {max_operations} transformations'
            )
        for step in transforms:
            check_step(step)
        picked["transforms"] = transforms
    return picked


def check_step(step: Any) -> None:
    """One ``transforms`` entry: ``[method, ...arguments]`` with a method sharp allows.

    Methods on Directus's list that Tessera's Pillow pipeline has no counterpart for are
    refused with a reason of their own rather than ignored.
    """
    name = step[0] if isinstance(step, list) and step else None
    if name not in METHODS:
        shown = name if isinstance(name, str) else "undefined"
        raise InvalidQueryError(
            f'"transforms" Parameter does not allow "{shown}" as a transformation'
        )
    if name not in SUPPORTED_METHODS:
        raise InvalidQueryError(f'"transforms" method "{name}" is not supported by Tessera')


@dataclass(frozen=True)
class Transformation:
    """What to make of an image, checked; None where the request leaves it open."""

    width: int | None = None
    height: int | None = None
    fit: str | None = None
    quality: int | None = None
    #: ``auto`` until the Accept header has decided (see :func:`resolve_format`).
    format: str | None = None
    without_enlargement: bool = False
    focal_point_x: float | None = None
    focal_point_y: float | None = None
    transforms: tuple[tuple[Any, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing that changes the image: the original is served."""
        return not (self.transforms or self.format or self.quality or self.width or self.height)


def transformation(params: Mapping[str, Any]) -> Transformation:
    """The parameters after presets, checked as sharp checks them."""
    width = _dimension(params, "width")
    height = _dimension(params, "height")
    fit = params.get("fit") or None
    if fit is not None and (width or height) and fit not in FITS:
        raise InvalidQueryError(f"Expected valid fit for fit but received {_js(fit)}")
    quality = None
    if params.get("quality"):
        quality = _number(params["quality"])
        if not (isinstance(quality, int) and 1 <= quality <= 100):
            raise InvalidQueryError(
                f"Expected integer between 1 and 100 for quality but received {_js(quality)}"
            )
    fmt = params.get("format") or None
    if fmt is not None and fmt != "auto" and fmt not in WRITABLE_FORMATS:
        if isinstance(fmt, str) and fmt in SHARP_FORMATS.split(", "):
            raise InvalidQueryError(f'Tessera cannot write the "{fmt}" format')
        raise InvalidQueryError(
            f"Expected one of: {SHARP_FORMATS} for format but received {_js(fmt)}"
        )
    steps = params.get("transforms") or []
    for step in steps:
        check_step(step)
    return Transformation(
        width=width,
        height=height,
        fit=fit if fit in FITS else None,
        quality=quality,
        format=fmt,
        without_enlargement=_flag(params.get("withoutEnlargement")),
        focal_point_x=_focal(params, "focal_point_x"),
        focal_point_y=_focal(params, "focal_point_y"),
        transforms=tuple(tuple(step) for step in steps),
    )


def resolve_format(fmt: str | None, accept: str | None, source_type: str | None) -> str | None:
    """The output format: ``auto`` picks AVIF or WebP by ``Accept``, as Directus does.

    Without either in ``Accept``, ``auto`` keeps JPEG and PNG and turns AVIF, WebP and TIFF
    into PNG, which every browser shows.
    """
    if fmt != "auto":
        return fmt
    accept = accept or ""
    if "image/avif" in accept:
        return "avif"
    if "image/webp" in accept:
        return "webp"
    subtype = (source_type or "").partition("/")[2]
    if subtype in ("avif", "webp", "tiff"):
        return "png"
    return subtype or "jpg"


def _dimension(params: Mapping[str, Any], name: str) -> int | None:
    if not params.get(name):
        return None
    value = _number(params[name])
    if not (isinstance(value, int) and 1 <= value <= MAX_DIMENSION):
        raise InvalidQueryError(
            f"Expected positive integer between 1 and {MAX_DIMENSION} for {name} "
            f"but received {_js(value)}"
        )
    return value


def _focal(params: Mapping[str, Any], name: str) -> float | None:
    if not params.get(name):
        return None
    value = _number(params[name])
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidQueryError(f"Expected a number for {name} but received {_js(value)}")
    return value


def _number(value: Any) -> int | float:
    """``value`` as JavaScript's ``Number()`` reads it: whole numbers as int, else float."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text) if text else 0.0
        except ValueError:
            number = math.nan
        if text.lower() in ("inf", "+inf", "-inf", "infinity", "-infinity", "nan"):
            number = {"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf}.get(
                text, math.nan
            )
    if math.isfinite(number) and number == int(number):
        return int(number)
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _js(value: Any) -> str:
    """A value as sharp's messages show it: ``NaN of type number``, ``bogus of type string``."""
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} of type boolean"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN of type number"
        if math.isinf(value):
            return f"{'-' if value < 0 else ''}Infinity of type number"
        return f"{value!r} of type number"
    if isinstance(value, int):
        return f"{value} of type number"
    if isinstance(value, str):
        return f"{value} of type string"
    return f"{json.dumps(value)} of type object"
