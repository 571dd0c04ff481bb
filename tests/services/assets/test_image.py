"""The Pillow pipeline: sizes per fit as sharp makes them (checked against Directus 12.4 on
a 400x300 JPEG), focal points, formats by their magic bytes, and refusals before decoding."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from asset_files import image_bytes
from tessera.errors import InvalidQueryError
from tessera.services.assets import IllegalAssetTransformationError
from tessera.services.assets.image import transform
from tessera.services.assets.operations import check_output, plan
from tessera.services.assets.params import requested_params, transformation

pytestmark = pytest.mark.database_free

SOURCE = image_bytes((400, 300))


def run(
    query: dict[str, str],
    data: bytes = SOURCE,
    focal: tuple[float, float] | None = None,
    **limits: int,
) -> Image.Image:
    wanted = transformation(requested_params(query, 5))

    def planner(size: tuple[int, int]) -> list[Any]:
        return plan(
            wanted.transforms,
            source=size,
            width=wanted.width,
            height=wanted.height,
            fit=wanted.fit,
            without_enlargement=wanted.without_enlargement,
            focal_point=focal
            if wanted.focal_point_x is None
            else (wanted.focal_point_x, wanted.focal_point_y),
            output_format=wanted.format,
            quality=wanted.quality,
        )

    output = transform(
        io.BytesIO(data),
        planner,
        source_format="jpeg",
        max_dimension=limits.get("max_dimension", 6000),
        max_output=limits.get("max_output", 6000),
    )
    return Image.open(io.BytesIO(output))


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ({"width": "100", "height": "100", "fit": "cover"}, (100, 100)),
        ({"width": "100", "height": "100"}, (100, 100)),
        ({"width": "100", "height": "100", "fit": "contain"}, (100, 100)),
        ({"width": "100", "height": "100", "fit": "inside"}, (100, 75)),
        ({"width": "100", "height": "100", "fit": "outside"}, (133, 100)),
        ({"width": "100", "height": "100", "fit": "fill"}, (100, 100)),
        ({"width": "133"}, (133, 100)),
        ({"height": "15"}, (20, 15)),
        ({"width": "800"}, (800, 600)),
    ],
)
def test_every_fit_makes_sharps_size(query, size):
    assert run(query).size == size


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ({"width": "800"}, (400, 300)),
        ({"width": "800", "height": "100"}, (400, 100)),
        ({"width": "800", "height": "100", "fit": "inside"}, (133, 100)),
        ({"width": "10", "height": "600"}, (10, 300)),
    ],
)
def test_without_enlargement_never_scales_up(query, size):
    assert run({**query, "withoutEnlargement": "true"}).size == size


def test_contain_pads_with_black_as_sharp_does():
    padded = run({"width": "100", "height": "100", "fit": "contain", "format": "png"})
    assert padded.getpixel((50, 2)) == (0, 0, 0)
    assert padded.getpixel((50, 50)) != (0, 0, 0)


def test_a_cover_crop_is_centred_on_the_focal_point():
    """The red square fills the source's top-left quarter; a 20x50 box cuts a strip of it."""
    box = {"width": "20", "height": "50", "format": "png"}
    centred = run(box)
    on_square = run(box, focal=(40, 30))
    assert centred.size == on_square.size == (20, 50)
    assert _red(on_square.getpixel((5, 5)))
    assert not _red(centred.getpixel((5, 5)))
    # The request's focal point wins over the file's.
    moved = run({**box, "focal_point_x": "350", "focal_point_y": "250"}, focal=(40, 30))
    assert not _red(moved.getpixel((5, 5)))


def test_a_focal_point_does_not_crop_other_fits():
    assert run({"width": "50", "height": "50", "fit": "inside"}, focal=(0, 0)).size == (50, 38)


def _red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


@pytest.mark.parametrize(
    ("fmt", "magic", "pillow"),
    [
        ("jpg", b"\xff\xd8\xff", "JPEG"),
        ("jpeg", b"\xff\xd8\xff", "JPEG"),
        ("png", b"\x89PNG\r\n\x1a\n", "PNG"),
        ("webp", b"RIFF", "WEBP"),
        ("avif", b"\x00\x00\x00", "AVIF"),
        ("tiff", b"II*\x00", "TIFF"),
        ("gif", b"GIF8", "GIF"),
    ],
)
def test_each_format_by_its_magic_bytes(fmt, magic, pillow):
    picture = run({"format": fmt, "width": "40"})
    assert picture.format == pillow
    picture.fp.seek(0)  # type: ignore[union-attr]
    data = picture.fp.read()  # type: ignore[union-attr]
    assert data.startswith(magic)
    if fmt == "avif":
        assert data[4:12] == b"ftypavif"
    if fmt == "webp":
        assert data[8:12] == b"WEBP"


def test_quality_changes_the_size():
    low = run({"quality": "5", "format": "jpg"}).fp
    high = run({"quality": "95", "format": "jpg"}).fp
    assert len(low.getvalue()) < len(high.getvalue())  # type: ignore[union-attr]


def test_transparent_png_to_jpeg_is_flattened():
    rgba = image_bytes((40, 30), "PNG", mode="RGBA")
    assert run({"format": "jpg"}, data=rgba).mode == "RGB"


def test_transforms_run_in_order():
    turned = run({"transforms": '[["rotate",90],["flop"],["greyscale"]]', "format": "png"})
    assert turned.size == (300, 400)
    assert turned.mode == "L"
    blurred = run({"transforms": '[["blur",3],["negate"],["sharpen"]]', "format": "png"})
    assert blurred.size == (400, 300)
    cut = run({"transforms": '[["extract",{"left":0,"top":0,"width":50,"height":40}]]'})
    assert cut.size == (50, 40)
    grown = run({"transforms": '[["extend",10]]'})
    assert grown.size == (420, 320)


def test_bad_operation_arguments_are_invalid_queries():
    with pytest.raises(InvalidQueryError, match="bad extract area"):
        run({"transforms": '[["extract",{"left":390,"top":0,"width":50,"height":40}]]'})
    with pytest.raises(InvalidQueryError, match="sigma"):
        run({"transforms": '[["blur",-1]]'})


def test_exif_orientation_is_applied_before_sizes_are_planned():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    turned = image_bytes((400, 300), exif=exif.tobytes())
    assert run({"width": "150"}, data=turned).size == (150, 200)


def test_the_input_limit_is_checked_from_the_header():
    with pytest.raises(IllegalAssetTransformationError) as refused:
        run({"width": "10"}, max_dimension=399)
    assert refused.value.extensions["invalidTransformations"] == ["width", "height"]


def test_the_output_limit_follows_every_step():
    with pytest.raises(IllegalAssetTransformationError):
        run({"width": "601"}, max_output=600)
    with pytest.raises(IllegalAssetTransformationError):
        check_output((400, 300), [("resize", {"width": 9000}), ("resize", {"width": 10})], 6000)
    check_output((400, 300), [("rotate", 90), ("extend", {"left": 100})], 500)
    with pytest.raises(IllegalAssetTransformationError):
        check_output((400, 300), [("rotate", 90), ("extend", {"top": 101})], 500)


@pytest.mark.parametrize("data", [b"", b"plain text", image_bytes((20, 10), "GIF", mode="P")])
def test_what_is_not_a_transformable_image_is_refused(data):
    with pytest.raises(IllegalAssetTransformationError):
        run({"width": "5"}, data=data)
