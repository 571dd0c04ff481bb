"""The driver contract, run against the local driver and the S3 driver alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import pytest

from tessera.storage import InvalidKey, ObjectNotFound, RangeNotSatisfiable, StorageDriver

pytestmark = [pytest.mark.anyio, pytest.mark.database_free]

MIB = 1024 * 1024


async def stream(data: bytes, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def content(driver: StorageDriver, key: str, offset: int = 0, length: int | None = None):
    return b"".join([chunk async for chunk in driver.read(key, offset, length)])


class SourceFailed(Exception):
    pass


async def failing(data: bytes, after: int) -> AsyncIterator[bytes]:
    """The upload's own stream breaking off: ``after`` bytes, then an error."""
    async for chunk in stream(data[:after]):
        yield chunk
    raise SourceFailed("the client went away")


async def test_a_multi_megabyte_stream_round_trips(backend) -> None:
    data = os.urandom(12 * MIB + 12345)  # three S3 parts of 5 MiB, the last one short

    written = await backend.driver.write("big.bin", stream(data, chunk=100_000))

    assert written.size == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert await content(backend.driver, "big.bin") == data
    assert await backend.stored() == ["big.bin"]


@pytest.mark.parametrize("size", [0, 1, 5 * MIB, 10 * MIB])
async def test_sizes_at_the_edges(backend, size: int) -> None:
    data = os.urandom(size)

    written = await backend.driver.write("edge.bin", stream(data))

    assert written.size == size
    assert await content(backend.driver, "edge.bin") == data
    assert (await backend.driver.stat("edge.bin")).size == size


async def test_reads_stream_in_bounded_chunks(backend) -> None:
    await backend.driver.write("big.bin", stream(os.urandom(3 * MIB)))

    sizes = [len(chunk) async for chunk in backend.driver.read("big.bin")]

    assert sum(sizes) == 3 * MIB
    assert max(sizes) <= 256 * 1024


async def test_neither_a_write_nor_a_read_holds_the_file_in_memory(backend) -> None:
    total = 32 * MIB

    async def fresh_chunks() -> AsyncIterator[bytes]:
        for _ in range(total // MIB):
            yield os.urandom(MIB)

    tracemalloc.start()
    try:
        await backend.driver.write("big.bin", fresh_chunks())
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = 0
        async for chunk in backend.driver.read("big.bin"):
            read += len(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert read == total
    # S3 holds one 5 MiB part (and its copy being sent); the local driver one chunk.
    assert write_peak < 14 * MIB
    assert read_peak < 4 * MIB


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, 1, slice(0, 1)),
        (10, 20, slice(10, 30)),
        (1000, None, slice(1000, None)),
        (0, None, slice(0, None)),
        (99_999, None, slice(99_999, None)),
        (99_990, 1000, slice(99_990, None)),  # a length past the end stops at the end
        (0, 100_000, slice(0, None)),
        (70_000, 300_000, slice(70_000, None)),
    ],
)
async def test_ranged_reads(backend, offset: int, length: int | None, expected: slice) -> None:
    data = os.urandom(100_000)
    await backend.driver.write("file.bin", stream(data))

    assert await content(backend.driver, "file.bin", offset, length) == data[expected]


async def test_a_range_across_many_chunks(backend) -> None:
    data = os.urandom(2 * MIB)
    await backend.driver.write("file.bin", stream(data))

    got = await content(backend.driver, "file.bin", 300_000, MIB)

    assert got == data[300_000 : 300_000 + MIB]


@pytest.mark.parametrize(("offset", "length"), [(100, None), (100, 5), (5000, 1)])
async def test_a_range_starting_past_the_end_is_not_satisfiable(
    backend, offset: int, length: int | None
) -> None:
    await backend.driver.write("file.bin", stream(b"x" * 100))

    with pytest.raises(RangeNotSatisfiable):
        await content(backend.driver, "file.bin", offset, length)


@pytest.mark.parametrize(("offset", "length"), [(-1, None), (0, 0), (5, -2)])
async def test_a_malformed_range_is_refused(backend, offset: int, length: int | None) -> None:
    await backend.driver.write("file.bin", stream(b"x" * 100))

    with pytest.raises(ValueError, match=r"offset|length"):
        await content(backend.driver, "file.bin", offset, length)


async def test_reading_a_missing_file(backend) -> None:
    with pytest.raises(ObjectNotFound) as raised:
        await content(backend.driver, "missing.bin")
    assert raised.value.key == "missing.bin"
    with pytest.raises(ObjectNotFound):
        await content(backend.driver, "missing.bin", 10, 10)


async def test_stat(backend) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    await backend.driver.write("folder/file.txt", stream(b"hello"))

    found = await backend.driver.stat("folder/file.txt")

    assert found.size == 5
    assert found.modified.tzinfo is not None
    assert before <= found.modified <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    with pytest.raises(ObjectNotFound):
        await backend.driver.stat("folder/other.txt")
    with pytest.raises(ObjectNotFound):
        await backend.driver.stat("folder")  # a folder (or a prefix) is no file


async def test_exists(backend) -> None:
    await backend.driver.write("a/b.txt", stream(b"b"))

    assert await backend.driver.exists("a/b.txt")
    assert not await backend.driver.exists("a/c.txt")
    assert not await backend.driver.exists("a")


async def test_delete(backend) -> None:
    await backend.driver.write("keep.txt", stream(b"keep"))
    await backend.driver.write("a/gone.txt", stream(b"gone"))

    await backend.driver.delete("a/gone.txt")
    await backend.driver.delete("a/gone.txt")  # already gone: nothing to do
    await backend.driver.delete("never-there.txt")

    assert not await backend.driver.exists("a/gone.txt")
    assert await backend.stored() == ["keep.txt"]


async def test_list_by_prefix(backend) -> None:
    keys = ["a/1.txt", "a/2.txt", "a/deep/3.txt", "ab.txt", "abc__w200.jpg", "b/1.txt", "z.txt"]
    for key in keys:
        await backend.driver.write(key, stream(key.encode()))

    async def listed(prefix: str = "") -> list[str]:
        return sorted([key async for key in backend.driver.list(prefix)])

    assert await listed() == keys
    assert await listed("a/") == ["a/1.txt", "a/2.txt", "a/deep/3.txt"]
    assert await listed("a/d") == ["a/deep/3.txt"]
    assert await listed("a") == ["a/1.txt", "a/2.txt", "a/deep/3.txt", "ab.txt", "abc__w200.jpg"]
    assert await listed("abc__") == ["abc__w200.jpg"]
    assert await listed("b/1.txt") == ["b/1.txt"]
    assert await listed("nothing") == []
    assert await listed("nothing/") == []


async def test_copy(backend) -> None:
    await backend.driver.write("source.txt", stream(b"source"))
    await backend.driver.write("target.txt", stream(b"old"))

    await backend.driver.copy("source.txt", "target.txt")
    await backend.driver.copy("source.txt", "new/folder/copy.txt")

    assert await content(backend.driver, "source.txt") == b"source"
    assert await content(backend.driver, "target.txt") == b"source"
    assert await content(backend.driver, "new/folder/copy.txt") == b"source"
    with pytest.raises(ObjectNotFound):
        await backend.driver.copy("missing.txt", "elsewhere.txt")
    assert not await backend.driver.exists("elsewhere.txt")


async def test_move(backend) -> None:
    await backend.driver.write("source.txt", stream(b"source"))
    await backend.driver.write("target.txt", stream(b"old"))

    await backend.driver.move("source.txt", "target.txt")

    assert await content(backend.driver, "target.txt") == b"source"
    assert not await backend.driver.exists("source.txt")
    await backend.driver.move("target.txt", "moved/here.txt")
    assert await backend.stored() == ["moved/here.txt"]
    with pytest.raises(ObjectNotFound):
        await backend.driver.move("source.txt", "elsewhere.txt")


async def test_an_overwrite_replaces_the_content(backend) -> None:
    await backend.driver.write("file.bin", stream(os.urandom(6 * MIB)))
    await backend.driver.write("file.bin", stream(b"short now"))

    assert await content(backend.driver, "file.bin") == b"short now"
    assert (await backend.driver.stat("file.bin")).size == 9


UNSAFE_KEYS = [
    "../outside.txt",
    "a/../../outside.txt",
    "a/..",
    "..",
    "/etc/passwd",
    "",
    "a//b.txt",
    "a/./b.txt",
    "./a.txt",
    "folder/",
    "a\\..\\b.txt",
    "nul\0.txt",
]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
async def test_a_key_outside_the_location_is_refused(backend, key: str) -> None:
    await backend.driver.write("inside.txt", stream(b"inside"))

    with pytest.raises(InvalidKey):
        await backend.driver.write(key, stream(b"escaped"))
    with pytest.raises(InvalidKey):
        await content(backend.driver, key)
    with pytest.raises(InvalidKey):
        await backend.driver.stat(key)
    with pytest.raises(InvalidKey):
        await backend.driver.exists(key)
    with pytest.raises(InvalidKey):
        await backend.driver.delete(key)
    with pytest.raises(InvalidKey):
        await backend.driver.copy("inside.txt", key)
    with pytest.raises(InvalidKey):
        await backend.driver.move(key, "inside.txt")

    assert await backend.stored() == ["inside.txt"]


@pytest.mark.parametrize("prefix", ["../", "/", "/etc", "a/../..", "a//", "..\\"])
async def test_a_prefix_outside_the_location_is_refused(backend, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        [key async for key in backend.driver.list(prefix)]


@pytest.mark.parametrize("size", [3 * MIB, 12 * MIB])
async def test_a_source_failing_mid_stream_leaves_nothing(backend, size: int) -> None:
    """Below one part S3 never began an upload; above it, parts were sent and must go."""
    data = os.urandom(size + MIB)

    with pytest.raises(SourceFailed):
        await backend.driver.write("upload.bin", failing(data, after=size))

    assert await backend.stored() == []
    assert not await backend.driver.exists("upload.bin")


async def test_a_failed_overwrite_keeps_the_old_file(backend) -> None:
    old = os.urandom(MIB)
    await backend.driver.write("file.bin", stream(old))

    with pytest.raises(SourceFailed):
        await backend.driver.write("file.bin", failing(os.urandom(12 * MIB), after=11 * MIB))

    assert await content(backend.driver, "file.bin") == old
    assert await backend.stored() == ["file.bin"]


async def test_a_cancelled_write_leaves_nothing(backend) -> None:
    stalled = anyio.Event()

    async def stalls_after_parts() -> AsyncIterator[bytes]:
        async for chunk in stream(os.urandom(11 * MIB)):
            yield chunk
        stalled.set()
        await anyio.sleep_forever()
        yield b"never"

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(backend.driver.write, "upload.bin", stalls_after_parts())
        await stalled.wait()
        tasks.cancel_scope.cancel()

    assert await backend.stored() == []
