"""What only the S3 driver does: its root prefix, object settings, options and S3's errors."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from tessera.storage import StorageError
from tessera.storage.s3 import MIN_PART_SIZE, S3Driver, S3Options

pytestmark = [pytest.mark.anyio, pytest.mark.database_free]

MIB = 1024 * 1024


async def stream(data: bytes, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def test_keys_live_under_the_root_and_list_without_it(s3) -> None:
    driver = S3Driver(s3.options(root="/tenant/files/"))
    await s3.admin.put_object(Bucket=s3.bucket, Key="elsewhere.txt", Body=b"not ours")
    await s3.admin.put_object(Bucket=s3.bucket, Key="tenant/filesystem.txt", Body=b"not ours")
    try:
        await driver.write("a/b.txt", stream(b"ours"))

        assert await s3.keys() == ["elsewhere.txt", "tenant/files/a/b.txt", "tenant/filesystem.txt"]
        assert [key async for key in driver.list()] == ["a/b.txt"]
        assert not await driver.exists("elsewhere.txt")
    finally:
        await driver.close()


@pytest.mark.parametrize("size", [MIB, 6 * MIB])
async def test_new_objects_get_the_type_acl_and_encryption(s3, size: int) -> None:
    """A single PUT and a multipart upload alike."""
    options = s3.options(acl="public-read", server_side_encryption="AES256")
    driver = S3Driver(options, part_size=MIN_PART_SIZE)
    try:
        await driver.write("photo.jpg", stream(os.urandom(size)), content_type="image/jpeg")
        await driver.copy("photo.jpg", "copy.jpg")

        for key in ("photo.jpg", "copy.jpg"):
            head = await s3.admin.head_object(Bucket=s3.bucket, Key=key)
            assert head["ContentType"] == "image/jpeg"
            assert head["ServerSideEncryption"] == "AES256"
            acl = await s3.admin.get_object_acl(Bucket=s3.bucket, Key=key)
            readers = [
                g["Grantee"].get("URI", "") for g in acl["Grants"] if g["Permission"] == "READ"
            ]
            assert any(uri.endswith("/global/AllUsers") for uri in readers)
    finally:
        await driver.close()


async def test_a_missing_bucket_is_a_storage_error_naming_it(s3) -> None:
    driver = S3Driver(s3.options(bucket="no-such-bucket"))
    try:
        with pytest.raises(StorageError, match="bucket"):
            await driver.write("a.txt", stream(b"a"))
        with pytest.raises(StorageError, match="bucket"):
            [key async for key in driver.list()]
    finally:
        await driver.close()


async def test_a_driver_closed_and_used_again_reconnects(s3) -> None:
    driver = S3Driver(s3.options())
    await driver.write("a.txt", stream(b"a"))
    await driver.close()
    try:
        assert await driver.exists("a.txt")
    finally:
        await driver.close()


def test_options_as_directus_takes_them() -> None:
    options = S3Options(bucket=" files ", endpoint="s3.eu-west-1.amazonaws.com", root="/a/b/")

    assert options.bucket == "files"
    assert options.endpoint == "https://s3.eu-west-1.amazonaws.com"
    assert options.root == "a/b"
    assert options.region == "us-east-1"
    assert S3Options(bucket="b", endpoint="http://127.0.0.1:9000").endpoint.startswith("http://")


@pytest.mark.parametrize(
    "values",
    [
        {"bucket": ""},
        {"bucket": "b", "key": "only-a-key"},
        {"bucket": "b", "secret": "only-a-secret"},
        {"bucket": "b", "root": "../other-tenant"},
    ],
)
def test_options_that_cannot_work_are_refused(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        S3Options(**values)


def test_a_part_below_s3s_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="part"):
        S3Driver(S3Options(bucket="b"), part_size=MIN_PART_SIZE - 1)
