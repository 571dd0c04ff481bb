"""The assets service end to end: access, the cache of variants, limits, on both drivers."""

from __future__ import annotations

import datetime as dt
import io
import threading

import anyio
import pytest
import sqlalchemy as sa
from PIL import Image

from asset_files import image_bytes
from callers import grant, make_caller
from tessera.db.system_tables import directus_files
from tessera.errors import ForbiddenError, InvalidQueryError, ServiceUnavailableError
from tessera.services.assets import SLOTS, IllegalAssetTransformationError, variant_prefix
from tessera.services.assets import image as image_module

pytestmark = pytest.mark.anyio


async def body(asset) -> bytes:
    return b"".join([chunk async for chunk in asset.read()])


async def test_the_original_streams_as_stored(assets):
    data = image_bytes()
    file_id = await assets.store(data)
    asset = await assets.service().get(file_id, {})
    assert asset.key == f"{file_id}.jpg"
    assert asset.variant is None
    assert asset.content_type == "image/jpeg"
    assert (asset.size, await body(asset)) == (len(data), data)


async def test_a_variant_is_made_once_then_read_from_storage(assets):
    file_id = await assets.store()
    service = assets.service()
    query = {"width": "120", "format": "webp"}
    started = SLOTS.started
    first = await service.get(file_id, query)
    assert SLOTS.started == started + 1
    assert first.key.startswith(variant_prefix(f"{file_id}.jpg"))
    assert first.key.endswith(".webp")
    assert first.content_type == "image/webp"
    assert await assets.variants() == [first.key]

    again = await service.get(file_id, dict(query))
    assert SLOTS.started == started + 1, "the second request transformed again"
    assert again.key == first.key
    assert await body(again) == await body(first)
    assert Image.open(io.BytesIO(await body(again))).size == (120, 90)


async def test_different_parameters_and_a_new_version_are_different_variants(assets):
    file_id = await assets.store()
    service = assets.service()
    one = await service.get(file_id, {"width": "100"})
    two = await service.get(file_id, {"width": "101"})
    assert one.key != two.key
    with assets.db.write() as conn:
        later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        conn.execute(
            sa.update(directus_files)
            .where(directus_files.c.id == file_id)
            .values(modified_on=later)
        )
    three = await service.get(file_id, {"width": "100"})
    assert three.key not in (one.key, two.key)
    assert three.key.startswith(variant_prefix(f"{file_id}.jpg"))
    assert len(await assets.variants()) == 3


async def test_format_auto_follows_accept(assets):
    file_id = await assets.store()
    service = assets.service()
    avif = await service.get(file_id, {"format": "auto", "width": "40"}, "image/avif,image/webp")
    webp = await service.get(file_id, {"format": "auto", "width": "40"}, "image/webp,*/*")
    plain = await service.get(file_id, {"format": "auto", "width": "40"}, "*/*")
    assert [a.content_type for a in (avif, webp, plain)] == [
        "image/avif",
        "image/webp",
        "image/jpeg",
    ]
    assert avif.by_accept
    assert webp.by_accept
    assert (await body(avif))[4:12] == b"ftypavif"


async def test_a_reader_without_permission_is_refused_and_nothing_is_made(assets):
    file_id = await assets.store()
    nobody = make_caller(assets.db, [grant("directus_users", "read")])
    with pytest.raises(ForbiddenError):
        await assets.service(nobody).get(file_id, {"width": "50"})
    assert await assets.variants() == []


async def test_row_rules_decide_which_files_a_reader_sees(assets):
    mine = await assets.store(title="mine")
    theirs = await assets.store(title="theirs")
    reader = make_caller(
        assets.db, [grant("directus_files", "read", rule={"title": {"_eq": "mine"}})]
    )
    service = assets.service(reader)
    assert (await service.get(mine, {})).file["title"] == "mine"
    with pytest.raises(ForbiddenError):
        await service.get(theirs, {})


async def test_project_logo_is_public(assets):
    logo = await assets.store()
    assets.project_settings(project_logo=logo)
    nobody = make_caller(assets.db, [])
    assert (await assets.service(nobody).get(logo, {})).size > 0


@pytest.mark.parametrize("file_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
async def test_unknown_files_are_forbidden(assets, file_id):
    with pytest.raises(ForbiddenError):
        await assets.service().get(file_id, {})


async def test_a_row_without_its_blob_is_forbidden(assets):
    file_id = await assets.store()
    await assets.backend.driver.delete(f"{file_id}.jpg")
    with pytest.raises(ForbiddenError):
        await assets.service().get(file_id, {})


async def test_transforming_a_non_image_is_refused(assets):
    """Directus serves the text as it is: asked for an image, it is an error here."""
    file_id = await assets.store(b"hello\n", type="text/plain", ext="txt")
    with pytest.raises(IllegalAssetTransformationError) as refused:
        await assets.service().get(file_id, {"width": "10"})
    assert refused.value.extensions["invalidTransformations"] == ["width"]
    assert "text/plain" in refused.value.extensions["reason"]
    assert (await assets.service().get(file_id, {})).size == 6


async def test_a_corrupt_image_is_a_clear_error_not_a_500(assets):
    """Directus answers 500 "Input buffer contains unsupported image format"."""
    file_id = await assets.store(b"not a png at all", type="image/png", ext="png")
    with pytest.raises(IllegalAssetTransformationError, match="Illegal") as refused:
        await assets.service().get(file_id, {"width": "10"})
    assert "not an image" in refused.value.extensions["reason"]
    assert await assets.variants() == []


async def test_gif_is_served_untransformed_as_in_directus(assets):
    gif = image_bytes((20, 10), "GIF", mode="P")
    file_id = await assets.store(gif, type="image/gif", ext="gif")
    asset = await assets.service().get(file_id, {"width": "5"})
    assert asset.variant is None
    assert await body(asset) == gif


@pytest.mark.parametrize(
    ("claimed", "said"), [(100_000, "decompression bomb"), (7_000, "7000x7000 pixels")]
)
async def test_a_pixel_bomb_is_refused_from_its_header(assets, claimed, said):
    """A PNG whose header claims huge dimensions: refused before a pixel is decoded.

    Past Pillow's own threshold its check speaks; below it (7000 px a side, over the
    6000 px limit) Tessera's does.
    """
    bomb = crafted_png(claimed, claimed)
    file_id = await assets.store(bomb, type="image/png", ext="png", width=None, height=None)
    with pytest.raises(IllegalAssetTransformationError) as refused:
        await assets.service().get(file_id, {"width": "10"})
    assert refused.value.extensions["invalidTransformations"] == ["width", "height"]
    assert said in refused.value.extensions["reason"]


async def test_an_image_over_the_input_limit_is_refused(assets):
    file_id = await assets.store(image_bytes((300, 200)))
    service = assets.service(assets_transform_image_max_dimension=250)
    with pytest.raises(IllegalAssetTransformationError, match="Illegal asset transformation"):
        await service.get(file_id, {"width": "10"})
    # The row's dimensions may be missing or wrong: the header decides too.
    liar = await assets.store(image_bytes((300, 200)), width=10, height=10)
    with pytest.raises(IllegalAssetTransformationError, match="Illegal"):
        await service.get(liar, {"width": "10"})


async def test_an_output_over_the_limit_is_refused(assets):
    file_id = await assets.store()
    with pytest.raises(IllegalAssetTransformationError):
        await assets.service().get(file_id, {"width": "7000"})
    enlarging = {"transforms": '[["resize",{"width":7000}],["resize",{"width":100}]]'}
    with pytest.raises(IllegalAssetTransformationError):
        await assets.service().get(file_id, enlarging)


async def test_too_many_operations_are_refused(assets):
    file_id = await assets.store()
    three = '[["flip"],["flop"],["blur",1]]'
    with pytest.raises(InvalidQueryError, match="only allowed 2 transformations"):
        await assets.service(assets_transform_max_operations=2).get(file_id, {"transforms": three})


async def test_past_the_concurrency_limit_the_answer_is_503(assets, monkeypatch):
    file_id = await assets.store()
    service = assets.service(assets_transform_max_concurrent=1)
    inside, leave = threading.Event(), threading.Event()
    real = image_module.transform

    def slow(*args, **kwargs):
        inside.set()
        leave.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr("tessera.services.assets.service.transform", slow)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(service.get, file_id, {"width": "30"})
        await anyio.to_thread.run_sync(inside.wait, 10)
        with pytest.raises(ServiceUnavailableError, match="Server too busy"):
            await service.get(file_id, {"width": "31"})
        leave.set()
    assert SLOTS.running == 0


async def test_a_transformation_past_its_timeout_is_503(assets, monkeypatch):
    file_id = await assets.store()
    leave = threading.Event()

    def stuck(*args, **kwargs):
        leave.wait(10)
        raise AssertionError("abandoned")

    monkeypatch.setattr("tessera.services.assets.service.transform", stuck)
    service = assets.service(assets_transform_timeout="100ms")
    with pytest.raises(ServiceUnavailableError, match="timed out"):
        await service.get(file_id, {"width": "30"})
    assert SLOTS.running == 1, "the abandoned thread still holds its slot"
    leave.set()
    for _ in range(100):
        if SLOTS.running == 0:
            break
        await anyio.sleep(0.01)
    assert SLOTS.running == 0
    assert await assets.variants() == []


# --- presets and the project's policy ---------------------------------------------------


async def test_a_project_preset_applies_and_the_request_overrides_it(assets):
    file_id = await assets.store()
    preset = {"key": "thumb", "width": 80, "height": 80, "fit": "cover", "format": "png"}
    assets.project_settings(storage_asset_presets=[preset])
    thumb = await assets.service().get(file_id, {"key": "thumb"})
    assert (thumb.content_type, size_of(await body(thumb))) == ("image/png", (80, 80))
    wider = await assets.service().get(file_id, {"key": "thumb", "width": "40"})
    assert size_of(await body(wider)) == (40, 80)


@pytest.mark.parametrize(
    ("policy", "query", "refusal"),
    [
        ("all", {"key": "nope"}, 'Key "nope" isn\'t configured'),
        ("presets", {"width": "10"}, "Only configured presets can be used in asset generation"),
        ("presets", {"key": "thumb", "width": "10"}, "Only configured presets"),
        ("none", {"key": "thumb"}, "Dynamic asset generation has been disabled for this project"),
        ("none", {"width": "10"}, "Dynamic asset generation has been disabled"),
    ],
)
async def test_the_transform_policy_refuses(assets, policy, query, refusal):
    file_id = await assets.store()
    assets.project_settings(
        storage_asset_transform=policy, storage_asset_presets=[{"key": "thumb", "width": 20}]
    )
    with pytest.raises(InvalidQueryError) as refused:
        await assets.service().get(file_id, query)
    assert refusal in refused.value.extensions["reason"]


@pytest.mark.parametrize(
    ("policy", "key", "size"),
    [
        ("all", "thumb", (20, 15)),
        ("presets", "thumb", (20, 15)),
        ("none", "system-small-cover", (64, 64)),
    ],
)
async def test_the_transform_policy_allows(assets, policy, key, size):
    file_id = await assets.store()
    assets.project_settings(
        storage_asset_transform=policy, storage_asset_presets=[{"key": "thumb", "width": 20}]
    )
    asset = await assets.service().get(file_id, {"key": key})
    assert size_of(await body(asset)) == size
    # Whatever the policy, no parameter at all is the original.
    assert (await assets.service().get(file_id, {})).variant is None


def size_of(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def crafted_png(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming ``width`` x ``height``, and almost no data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
