"""Titles, types and image metadata: the pure functions behind uploads."""

import io

import pytest
from PIL import Image

from file_uploads import jpeg, png
from tessera.services.files.metadata import read_image
from tessera.services.files.mime import extension_of, is_allowed, sniff
from tessera.services.files.titles import format_title

pytestmark = pytest.mark.database_free

DEFAULT_ALLOW = (
    "ifd0.Make,ifd0.Model,exif.FNumber,exif.ExposureTime,exif.FocalLength,exif.ISOSpeedRatings"
)


@pytest.mark.parametrize(
    ("name", "title"),
    [  # each as Directus 12.4 titled the same upload
        ("my-holiday_photo 2024", "My Holiday Photo 2024"),
        ("helloWorld", "Hello World"),
        ("the_api_of_things", "The API of Things"),
        ("IMG_0001", "Img 0001"),
        ("some.file.name", "Some.file.name"),
        ("an-html-url and json id", "An HTML URL and JSON ID"),
        ("ÉTÉ été", "Été Été"),
        ("x__y--z", "X  Y  Z"),
        ("iPhone photo", "I Phone Photo"),
        ("MY FILE", "My File"),
        ("snowWhiteAndTheSevenDwarfs", "Snow White and the Seven Dwarfs"),
        ("", ""),
    ],
)
def test_titles_are_directus_s(name, title):
    assert format_title(name) == title


def test_types_are_sniffed_and_unknown_binaries_are_octet_streams():
    assert sniff(png()) == "image/png"
    assert sniff(jpeg(), "text/plain", "a.txt") == "image/jpeg"
    assert sniff(b"%PDF-1.4\n...") == "application/pdf"
    assert sniff(b"plain words", "text/plain") == "text/plain"
    assert sniff(b"a,b\n1,2\n", None, "table.csv") == "text/csv"
    assert sniff(b"<script>", "image/png", "x.png") == "application/octet-stream"
    assert sniff(b"", None, "empty.txt") == "text/plain"
    assert extension_of("application/octet-stream") == ".bin"
    assert extension_of("image/jpeg") == ".jpg"


def test_allow_lists_are_globs_per_part():
    assert is_allowed("image/png", "*/*")
    assert is_allowed("image/png", "image/*")
    assert is_allowed("application/pdf", "image/*, application/pdf")
    assert not is_allowed("text/plain", "image/*,application/pdf")
    assert not is_allowed("image/png", "image")
    assert is_allowed("IMAGE/PNG", "image/*")


def test_exif_is_kept_as_the_allow_list_says():
    data = jpeg(t010f="Canon", t0110="EOS 5D", t0131="  GIMP  ")
    facts = read_image(io.BytesIO(data), DEFAULT_ALLOW)
    assert (facts.width, facts.height) == (40, 30)
    assert facts.metadata == {"ifd0": {"Make": "Canon", "Model": "EOS 5D"}}
    everything = read_image(io.BytesIO(data), "*")
    assert everything.metadata["ifd0"]["Software"] == "GIMP"
    assert read_image(io.BytesIO(data), "ifd0").metadata["ifd0"]["Software"] == "GIMP"


def test_a_rotated_photo_swaps_width_and_height():
    facts = read_image(io.BytesIO(jpeg((40, 30), t0112=6)), DEFAULT_ALLOW)
    assert (facts.width, facts.height) == (30, 40)


def test_iptc_gives_description_title_and_tags():
    from PIL import IptcImagePlugin  # noqa: F401 - registers the IPTC reader

    picture = Image.new("RGB", (4, 4))
    out = io.BytesIO()
    iptc = b"".join(
        b"\x1c\x02" + bytes([dataset]) + len(value).to_bytes(2, "big") + value
        for dataset, value in [
            (120, b"A caption"),
            (105, b"The headline"),
            (25, b"sea"),
            (25, b"sun"),
        ]
    )
    resource = b"8BIM\x04\x04\x00\x00" + len(iptc).to_bytes(4, "big") + iptc
    picture.save(out, "JPEG")
    data = out.getvalue()
    segment = b"Photoshop 3.0\x00" + resource
    app13 = b"\xff\xed" + (len(segment) + 2).to_bytes(2, "big") + segment
    with_iptc = data[:2] + app13 + data[2:]

    facts = read_image(io.BytesIO(with_iptc), "iptc")
    assert facts.description == "A caption"
    assert facts.title == "The headline"
    assert facts.tags == ["sea", "sun"]
    assert facts.metadata["iptc"]["keywords"] == ["sea", "sun"]


def test_an_unreadable_image_gives_nothing():
    assert read_image(io.BytesIO(png()[:40]), DEFAULT_ALLOW) is None
    assert read_image(io.BytesIO(b"not an image"), DEFAULT_ALLOW) is None
