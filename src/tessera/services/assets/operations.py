"""Operations in sharp's vocabulary, which ``transforms`` and presets speak, and the plan
Directus makes of the other parameters.

An operation is a tuple ``(method, *arguments)`` as sharp takes it: ``("resize", {"width":
800, "fit": "inside"})``, ``("rotate", 90)``, ``("toFormat", "webp", {"quality": 80})``.
Before an image is decoded, :func:`check_output` follows its size through the steps and
refuses any step larger than ``ASSETS_TRANSFORM_IMAGE_MAX_OUTPUT_DIMENSION``: a step that
enlarges and a later one that shrinks still hold the large image in memory between them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tessera.services.assets.errors import IllegalAssetTransformationError

Operation = tuple[Any, ...]

#: sharp's methods that Directus lets ``transforms`` call.
METHODS = frozenset(
    {
        "toFormat", "jpeg", "png", "tiff", "webp", "avif",
        "resize", "extend", "extract", "trim",
        "rotate", "flip", "flop", "sharpen", "median", "blur", "flatten", "gamma", "negate",
        "normalise", "normalize", "clahe", "convolve", "threshold", "linear", "recomb",
        "modulate", "tint", "greyscale", "grayscale", "toColorspace", "toColourspace",
        "removeAlpha", "ensureAlpha", "extractChannel", "bandbool",
    }
)  # fmt: skip
#: Those Tessera runs with Pillow (see :mod:`tessera.services.assets.image`).
SUPPORTED_METHODS = frozenset(
    {
        "toFormat", "jpeg", "png", "tiff", "webp", "avif",
        "resize", "extend", "extract",
        "rotate", "flip", "flop", "sharpen", "median", "blur", "flatten", "negate",
        "normalise", "normalize", "greyscale", "grayscale", "removeAlpha", "ensureAlpha",
    }
)  # fmt: skip
#: The methods that choose the output format, and the format each means.
FORMAT_METHODS = {"jpeg": "jpeg", "png": "png", "tiff": "tiff", "webp": "webp", "avif": "avif"}

Size = tuple[int, int]


def plan(
    transforms: Sequence[Operation],
    *,
    source: Size,
    width: int | None,
    height: int | None,
    fit: str | None,
    without_enlargement: bool,
    focal_point: tuple[float, float] | None,
    output_format: str | None,
    quality: int | None,
) -> list[Operation]:
    """The operations for an image of ``source`` size, as Directus's ``resolvePreset`` makes them.

    The ``transforms`` come first, then the format, then the resize. With a width and a
    height, ``cover`` and a focal point (the request's, else the file's), the image is
    scaled to cover the box and the box cut out around the focal point.
    """
    steps = [tuple(step) for step in transforms]
    if output_format or quality:
        steps.append(("toFormat", output_format, {"quality": quality}))
    if not (width or height):
        return steps
    if without_enlargement:
        width = min(width, source[0]) if width else None
        height = min(height, source[1]) if height else None
    resize = {"width": width, "height": height, "fit": fit}
    resize["withoutEnlargement"] = without_enlargement
    if (fit in (None, "cover")) and width and height and focal_point is not None:
        scaled, region = _focal_crop(source, (width, height), focal_point)
        steps.append(("resize", {**resize, "width": scaled[0], "height": scaled[1]}))
        steps.append(("extract", region))
    else:
        steps.append(("resize", resize))
    return steps


def _focal_crop(
    source: Size, target: Size, focal: tuple[float, float]
) -> tuple[Size, dict[str, int]]:
    """Scale to cover ``target``, then the ``target`` box centred on the focal point."""
    factor = min(source[0] / target[0], source[1] / target[1])
    scaled = (js_round(source[0] / factor), js_round(source[1] / factor))
    if source[1] / target[1] < source[0] / target[0]:
        scaled = (scaled[0], target[1])
    else:
        scaled = (target[0], scaled[1])
    left = _clamp(js_round(focal[0] / factor - target[0] / 2), 0, scaled[0] - target[0])
    top = _clamp(js_round(focal[1] / factor - target[1] / 2), 0, scaled[1] - target[1])
    return scaled, {"left": left, "top": top, "width": target[0], "height": target[1]}


def js_round(value: float) -> int:
    """Half up, as JavaScript's ``Math.round`` (Python's ``round`` goes to even)."""
    return math.floor(value + 0.5)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def output_format(steps: Sequence[Operation]) -> str | None:
    """The format the last format step asks for; None keeps the source's."""
    found = None
    for step in steps:
        if step[0] == "toFormat" and len(step) > 1 and step[1]:
            found = str(step[1])
        elif step[0] in FORMAT_METHODS:
            found = FORMAT_METHODS[step[0]]
    return found


def check_output(source: Size, steps: Sequence[Operation], limit: int) -> None:
    """ILLEGAL_ASSET_TRANSFORMATION when any step would make an image over ``limit`` px."""
    size = source
    for step in steps:
        size = projected(size, step[0], step[1:])
        if size[0] > limit or size[1] > limit:
            raise IllegalAssetTransformationError(
                ["width", "height"],
                f"the transformation would make an image of {size[0]}x{size[1]} pixels; "
                f"at most {limit} pixels wide and high are allowed",
            )


def projected(size: Size, method: str, args: Sequence[Any]) -> Size:
    """The size an image of ``size`` has after one step."""
    if method == "resize":
        return resized(size, *resize_arguments(args))
    if method == "extract":
        region = args[0] if args and isinstance(args[0], Mapping) else {}
        w, h = _dimension(region.get("width")), _dimension(region.get("height"))
        return (w, h) if w and h else size
    if method == "extend":
        pad = args[0] if args else 0
        if _is_number(pad):
            return (size[0] + 2 * int(pad), size[1] + 2 * int(pad))
        if isinstance(pad, Mapping):
            sides = ("left", "right", "top", "bottom")
            edge = {side: _dimension(pad.get(side)) or 0 for side in sides}
            return (size[0] + edge["left"] + edge["right"], size[1] + edge["top"] + edge["bottom"])
        return size
    if method == "rotate" and args and _is_number(args[0]) and args[0] % 180 == 90:
        return (size[1], size[0])
    return size


def resize_arguments(args: Sequence[Any]) -> tuple[int | None, int | None, str, bool]:
    """``resize({width, height, fit, withoutEnlargement})`` or ``resize(width, height, {...})``."""
    if args and isinstance(args[0], Mapping):
        options: Mapping[str, Any] = args[0]
        width, height = options.get("width"), options.get("height")
    else:
        width = args[0] if args else None
        height = args[1] if len(args) > 1 else None
        options = args[2] if len(args) > 2 and isinstance(args[2], Mapping) else {}
    fit = options.get("fit") if isinstance(options.get("fit"), str) else "cover"
    return _dimension(width), _dimension(height), fit, options.get("withoutEnlargement") is True


def resized(size: Size, width: int | None, height: int | None, fit: str, keep: bool) -> Size:
    """The size sharp's resize makes: ``keep`` is withoutEnlargement (never scale up)."""
    if width is None and height is None:
        return size
    if width is None or height is None:
        scale = width / size[0] if width is not None else height / size[1]  # type: ignore[operator]
        return _scaled(size, min(scale, 1) if keep else scale)
    if fit in ("inside", "outside"):
        pick = min if fit == "inside" else max
        scale = pick(width / size[0], height / size[1])
        return _scaled(size, min(scale, 1) if keep else scale)
    if keep and fit == "cover":
        scale = min(max(width / size[0], height / size[1]), 1)
        return (min(width, js_round(size[0] * scale)), min(height, js_round(size[1] * scale)))
    return (width, height)


def _scaled(size: Size, scale: float) -> Size:
    return (max(1, js_round(size[0] * scale)), max(1, js_round(size[1] * scale)))


def _dimension(value: Any) -> int | None:
    if _is_number(value) and value == int(value) and value > 0:
        return int(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
