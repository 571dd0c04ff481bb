"""Running a plan on an image with Pillow: blocking work, meant for a worker thread.

The image's header is read first and its size checked against
``ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION`` before a single pixel is decoded, so a small file
claiming to be 100,000 pixels wide (a decompression bomb) costs nothing but its header.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from PIL import Image, ImageColor, ImageFilter, ImageOps, UnidentifiedImageError

from tessera.errors import InvalidQueryError
from tessera.services.assets.errors import IllegalAssetTransformationError
from tessera.services.assets.operations import (
    FORMAT_METHODS,
    Operation,
    Size,
    check_output,
    js_round,
    projected,
    resize_arguments,
)

#: Pillow's names of the formats Tessera reads for a transformation (Directus's list).
READABLE = frozenset({"JPEG", "PNG", "WEBP", "TIFF", "AVIF"})
#: Output formats by the names requests use, to Pillow's name and sharp's default quality.
WRITERS: dict[str, tuple[str, int | None]] = {
    "jpg": ("JPEG", 80),
    "jpeg": ("JPEG", 80),
    "png": ("PNG", None),
    "webp": ("WEBP", 80),
    "avif": ("AVIF", 50),
    "tiff": ("TIFF", None),
    "tif": ("TIFF", None),
    "gif": ("GIF", None),
}
#: EXIF orientations that turn the image a quarter, swapping width and height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})

Planner = Callable[[Size], list[Operation]]


def transform(
    source: IO[bytes],
    planner: Planner,
    *,
    source_format: str | None,
    max_dimension: int,
    max_output: int,
) -> bytes:
    """The encoded result of the plan ``planner`` makes for the image's upright size.

    ``source_format`` is the format to write when the plan names none (the file's own).
    ILLEGAL_ASSET_TRANSFORMATION when the file is no image Tessera reads, is larger than
    ``max_dimension`` either way, or the plan passes ``max_output``.
    """
    with _opened(source) as image:
        width, height = image.size
        if width > max_dimension or height > max_dimension:
            raise IllegalAssetTransformationError(
                ["width", "height"],
                f"the image is {width}x{height} pixels; images over {max_dimension} pixels "
                "wide or high are not transformed",
            )
        turned = image.getexif().get(0x0112) in _QUARTER_TURNS
        upright = (height, width) if turned else (width, height)
        steps = planner(upright)
        check_output(upright, steps, max_output)
        _draft(image, steps, upright, turned)
        try:
            picture = ImageOps.exif_transpose(image)
            picture = _workable(picture)
            fmt, options = source_format or "jpeg", {}
            for method, *args in steps:
                if method == "toFormat" or method in FORMAT_METHODS:
                    fmt, options = _format_step(method, args, fmt, options)
                else:
                    picture = _STEPS[method](picture, args)
            return _encode(picture, fmt, options)
        except (OSError, SyntaxError) as exc:
            raise _unreadable(exc) from exc


class _opened:
    """``Image.open`` with Pillow's own bomb check made an error, and unreadable files ours."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source

    def __enter__(self) -> Image.Image:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(self.source)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise IllegalAssetTransformationError(["width", "height"], str(exc)) from exc
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise _unreadable(exc) from exc
        if image.format not in READABLE:
            image.close()
            raise IllegalAssetTransformationError(
                [], f"{image.format or 'this'} images are not transformed"
            )
        self.image = image
        return image

    def __exit__(self, *_exc: object) -> None:
        self.image.close()


def _unreadable(exc: BaseException) -> IllegalAssetTransformationError:
    return IllegalAssetTransformationError([], f"the file is not an image that can be read ({exc})")


def _draft(image: Image.Image, steps: Sequence[Operation], upright: Size, turned: bool) -> None:
    """Let JPEG decode at 1/2, 1/4 or 1/8 scale when the plan starts by shrinking.

    The decoder then does most of a large downscale for free; the resize that follows
    still makes the exact size, from at least that many pixels.
    """
    if image.format != "JPEG":
        return
    first = next((s for s in steps if s[0] != "toFormat" and s[0] not in FORMAT_METHODS), None)
    if first is None or first[0] != "resize":
        return
    target = projected(upright, "resize", first[1:])
    if target[0] >= upright[0] or target[1] >= upright[1]:
        return
    # Covering a box may need more of one side than the projected size shows.
    want = max(target[0] / upright[0], target[1] / upright[1])
    box = (js_round(upright[0] * want), js_round(upright[1] * want))
    image.draft("RGB", (box[1], box[0]) if turned else box)


def _workable(image: Image.Image) -> Image.Image:
    """The first frame in a mode every step handles: L, LA, RGB or RGBA."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    alpha = "A" in image.mode or "transparency" in image.info
    return image.convert("RGBA" if alpha else "RGB")


def _format_step(
    method: str, args: list[Any], fmt: str, options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    if method == "toFormat":
        fmt = str(args[0]) if args and args[0] else fmt
        given = args[1] if len(args) > 1 and isinstance(args[1], Mapping) else {}
    else:
        fmt = FORMAT_METHODS[method]
        given = args[0] if args and isinstance(args[0], Mapping) else {}
    if fmt not in WRITERS:
        raise InvalidQueryError(f'Tessera cannot write the "{fmt}" format')
    quality = given.get("quality")
    if quality is not None and not (
        isinstance(quality, int) and not isinstance(quality, bool) and 1 <= quality <= 100
    ):
        raise InvalidQueryError(
            f"Expected integer between 1 and 100 for quality but received {quality}"
        )
    return fmt, {"quality": quality} if quality is not None else {}


def _encode(image: Image.Image, fmt: str, options: Mapping[str, Any]) -> bytes:
    name, default_quality = WRITERS[fmt]
    save: dict[str, Any] = {}
    if name in ("JPEG", "WEBP", "AVIF"):
        save["quality"] = options.get("quality") or default_quality
    if name == "JPEG":
        # JPEG has no alpha: flatten onto black, as sharp does.
        image = _flattened(image, (0, 0, 0)) if "A" in image.mode else image
        save["optimize"] = False
    if name == "TIFF":
        save["compression"] = "tiff_deflate"
    out = io.BytesIO()
    image.save(out, name, **save)
    return out.getvalue()


def _flattened(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    grey = image.mode == "LA"
    base = Image.new("L" if grey else "RGB", image.size, colour[0] if grey else colour)
    base.paste(image, mask=image.getchannel("A"))
    return base


# --- the steps ---------------------------------------------------------------------------


def _resize(image: Image.Image, args: list[Any]) -> Image.Image:
    width, height, fit, keep = resize_arguments(args)
    if width is None and height is None:
        return image
    target = _fitted(image.size, width, height, fit, keep)
    box = (width or target[0], height or target[1])
    if fit == "cover" and width and height and not keep:
        return ImageOps.fit(image, box, Image.Resampling.LANCZOS)
    if fit == "cover" and width and height:
        scale = min(max(width / image.width, height / image.height), 1)
        size = (js_round(image.width * scale), js_round(image.height * scale))
        scaled = _scaled_image(image, size)
        return ImageOps.fit(scaled, (min(box[0], scaled.width), min(box[1], scaled.height)))
    scaled = _scaled_image(image, target)
    if fit == "contain" and width and height and scaled.size != box:
        fill = (0, 0, 0, 0) if "A" in scaled.mode else (0,) * len(scaled.getbands())
        canvas = Image.new(scaled.mode, box, fill if len(fill) > 1 else fill[0])
        canvas.paste(scaled, ((box[0] - scaled.width) // 2, (box[1] - scaled.height) // 2))
        return canvas
    return scaled


def _fitted(size: Size, width: int | None, height: int | None, fit: str, keep: bool) -> Size:
    """The size of the scaled image, before ``contain`` pads it or ``cover`` crops it."""
    if width is None or height is None:
        scale = width / size[0] if width is not None else height / size[1]  # type: ignore[operator]
    elif fit == "fill":
        return (min(width, size[0]), min(height, size[1])) if keep else (width, height)
    elif fit in ("contain", "inside"):
        scale = min(width / size[0], height / size[1])
    else:
        scale = max(width / size[0], height / size[1])
    if keep:
        scale = min(scale, 1)
    return (max(1, js_round(size[0] * scale)), max(1, js_round(size[1] * scale)))


def _scaled_image(image: Image.Image, size: Size) -> Image.Image:
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _extract(image: Image.Image, args: list[Any]) -> Image.Image:
    region = args[0] if args and isinstance(args[0], Mapping) else {}
    try:
        left, top = int(region["left"]), int(region["top"])
        width, height = int(region["width"]), int(region["height"])
    except (KeyError, TypeError, ValueError):
        raise InvalidQueryError(
            "Expected an object of integers left, top, width and height for extract"
        ) from None
    inside = left + width <= image.width and top + height <= image.height
    if left < 0 or top < 0 or width < 1 or height < 1 or not inside:
        raise InvalidQueryError("extract_area: bad extract area")
    return image.crop((left, top, left + width, top + height))


def _extend(image: Image.Image, args: list[Any]) -> Image.Image:
    pad = args[0] if args else 0
    if isinstance(pad, Mapping):
        edges = [int(pad.get(side) or 0) for side in ("left", "top", "right", "bottom")]
    elif isinstance(pad, int) and not isinstance(pad, bool):
        edges = [pad] * 4
    else:
        raise InvalidQueryError(f"Expected positive integer for extend but received {pad}")
    if min(edges) < 0:
        raise InvalidQueryError("Expected positive integer for extend")
    return ImageOps.expand(image, tuple(edges), fill=0)  # type: ignore[arg-type]


def _rotate(image: Image.Image, args: list[Any]) -> Image.Image:
    if not args:
        return image  # no angle: the EXIF orientation, already applied
    angle = args[0]
    if not isinstance(angle, int | float) or isinstance(angle, bool):
        raise InvalidQueryError(f"Expected number for angle but received {angle}")
    # sharp turns clockwise, Pillow counter-clockwise.
    return image.rotate(-angle, Image.Resampling.BICUBIC, expand=True)


def _blur(image: Image.Image, args: list[Any]) -> Image.Image:
    sigma = args[0] if args else None
    if sigma is None or sigma is True:
        return image.filter(ImageFilter.BoxBlur(1))
    if not isinstance(sigma, int | float) or isinstance(sigma, bool) or not 0.3 <= sigma <= 1000:
        raise InvalidQueryError(
            f"Expected number between 0.3 and 1000 for sigma but received {sigma}"
        )
    return image.filter(ImageFilter.GaussianBlur(sigma))


def _median(image: Image.Image, args: list[Any]) -> Image.Image:
    size = args[0] if args else 3
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
        raise InvalidQueryError(f"Expected positive integer for median but received {size}")
    return image.filter(ImageFilter.MedianFilter(size | 1))


def _negate(image: Image.Image, _args: list[Any]) -> Image.Image:
    if "A" not in image.mode:
        return ImageOps.invert(image)
    *colours, alpha = image.split()
    inverted = [ImageOps.invert(band) for band in colours]
    return Image.merge(image.mode, [*inverted, alpha])


def _greyscale(image: Image.Image, _args: list[Any]) -> Image.Image:
    return image.convert("LA" if "A" in image.mode else "L")


def _flatten(image: Image.Image, args: list[Any]) -> Image.Image:
    if "A" not in image.mode:
        return image
    given = args[0] if args and isinstance(args[0], Mapping) else {}
    background = given.get("background", "#000000")
    try:
        colour = _rgb(background)
    except ValueError:
        raise InvalidQueryError(f"Unable to parse color from {background}") from None
    return _flattened(image, colour)


def _rgb(value: Any) -> tuple[int, int, int]:
    """A CSS colour (``#fff``, ``red``) or sharp's ``{r, g, b}`` as an RGB triple."""
    if isinstance(value, Mapping):
        return (int(value.get("r", 0)), int(value.get("g", 0)), int(value.get("b", 0)))
    found = ImageColor.getrgb(str(value))
    return (found[0], found[1], found[2])


_STEPS: dict[str, Callable[[Image.Image, list[Any]], Image.Image]] = {
    "resize": _resize,
    "extract": _extract,
    "extend": _extend,
    "rotate": _rotate,
    "flip": lambda image, _a: ImageOps.flip(image),
    "flop": lambda image, _a: ImageOps.mirror(image),
    "sharpen": lambda image, _a: image.filter(ImageFilter.UnsharpMask(2, 150, 3)),
    "median": _median,
    "blur": _blur,
    "flatten": _flatten,
    "negate": _negate,
    "normalise": lambda image, _a: _per_colour(image, ImageOps.autocontrast),
    "normalize": lambda image, _a: _per_colour(image, ImageOps.autocontrast),
    "greyscale": _greyscale,
    "grayscale": _greyscale,
    "removeAlpha": lambda image, _a: (
        image.convert("L" if image.mode == "LA" else "RGB") if "A" in image.mode else image
    ),
    "ensureAlpha": lambda image, _a: (
        image if "A" in image.mode else image.convert("LA" if image.mode == "L" else "RGBA")
    ),
}


def _per_colour(image: Image.Image, step: Callable[[Image.Image], Image.Image]) -> Image.Image:
    if "A" not in image.mode:
        return step(image)
    *colours, alpha = image.split()
    merged = Image.merge("L" if len(colours) == 1 else "RGB", colours)
    result = step(merged)
    return Image.merge(image.mode, [*result.split(), alpha])
