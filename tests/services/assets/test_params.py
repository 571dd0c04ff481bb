"""Parameters as Directus checks them: its reasons, word for word (from a running 12.4)."""

from __future__ import annotations

import pytest

from tessera.errors import InvalidQueryError
from tessera.services.assets.params import requested_params, resolve_format, transformation
from tessera.services.assets.presets import apply_policy

pytestmark = pytest.mark.database_free


def reason_of(query: dict[str, str]) -> str:
    with pytest.raises(InvalidQueryError) as refused:
        transformation(requested_params(query, 5))
    return refused.value.extensions["reason"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            {"width": "abc"},
            "Expected positive integer between 1 and 100000000 for width "
            "but received NaN of type number",
        ),
        (
            {"width": "-5"},
            "Expected positive integer between 1 and 100000000 for width "
            "but received -5 of type number",
        ),
        (
            {"height": "1.5"},
            "Expected positive integer between 1 and 100000000 for height "
            "but received 1.5 of type number",
        ),
        (
            {"fit": "bogus", "width": "10"},
            "Expected valid fit for fit but received bogus of type string",
        ),
        (
            {"quality": "500"},
            "Expected integer between 1 and 100 for quality but received 500 of type number",
        ),
        (
            {"width": "100", "quality": "0"},
            "Expected integer between 1 and 100 for quality but received 0 of type number",
        ),
        (
            {"format": "bogus"},
            "Expected one of: heic, heif, avif, jpeg, jpg, jpe, tile, dz, png, raw, tiff, tif, "
            "webp, gif, jp2, jpx, j2k, j2c, jxl for format but received bogus of type string",
        ),
        (
            {"transforms": "notjson"},
            '"transforms" Parameter needs to be a JSON array of allowed transformations',
        ),
        (
            {"transforms": "{}"},
            '"transforms" Parameter needs to be a JSON array of allowed transformations',
        ),
        (
            {"transforms": '[["nope"]]'},
            '"transforms" Parameter does not allow "nope" as a transformation',
        ),
        (
            {"transforms": "[5]"},
            '"transforms" Parameter does not allow "undefined" as a transformation',
        ),
        (
            {"transforms": '[["blur",2],["blur",2],["blur",2],["blur",2],["blur",2],["blur",2]]'},
            '"transforms" Parameter is only allowed 5 transformations',
        ),
        (
            {"transforms": '[["clahe",{"width":3,"height":3}]]'},
            '"transforms" method "clahe" is not supported by Tessera',
        ),
        ({"format": "jxl"}, 'Tessera cannot write the "jxl" format'),
    ],
)
def test_bad_parameters_give_directus_reasons(query, reason):
    assert reason_of(query) == reason


def test_a_fit_without_a_size_is_not_checked_as_in_directus():
    assert transformation({"fit": "bogus"}).is_empty


def test_parameters_are_read_as_javascript_reads_them():
    parsed = transformation(
        requested_params(
            {
                "width": "200",
                "height": "100.0",
                "quality": "70",
                "withoutEnlargement": "true",
                "focal_point_x": "12.5",
                "focal_point_y": "0",
                "download": "",
                "access_token": "x",
            },
            5,
        )
    )
    assert (parsed.width, parsed.height, parsed.quality) == (200, 100, 70)
    assert parsed.without_enlargement is True
    assert (parsed.focal_point_x, parsed.focal_point_y) == (12.5, 0)
    assert transformation({"withoutEnlargement": "false"}).without_enlargement is False
    assert transformation({"width": ""}).width is None


@pytest.mark.parametrize(
    ("accept", "source", "chosen"),
    [
        ("image/avif,image/webp,*/*", "image/jpeg", "avif"),
        ("image/webp,*/*", "image/jpeg", "webp"),
        ("*/*", "image/jpeg", "jpeg"),
        ("*/*", "image/png", "png"),
        (None, "image/webp", "png"),
        ("text/html", "image/tiff", "png"),
    ],
)
def test_format_auto(accept, source, chosen):
    assert resolve_format("auto", accept, source) == chosen


def test_system_presets_are_directus_six():
    for size, fit in ((64, "cover"), (300, "contain"), (800, "cover")):
        key = f"system-{ {64: 'small', 300: 'medium', 800: 'large'}[size] }-{fit}"
        merged = apply_policy({"key": key}, "none", None)
        assert merged["format"] == "auto"
        assert merged["transforms"][0][1]["width"] == size


def test_an_empty_transforms_passes_any_policy():
    assert apply_policy({"transforms": []}, "none", None) == {"transforms": []}
