"""Both storage drivers behind one fixture, each over a real store.

The local driver writes into a temporary folder. The S3 driver talks to moto's S3 server,
started once per run as a separate process on a free loopback port: a real HTTP server
speaking the S3 protocol (signatures, multipart uploads, ranges), so nothing of ours or
botocore's is stubbed. Every S3 test gets a bucket of its own.

``Backend.stored()`` looks past the driver at what the store really holds, partial files
and pending multipart uploads included, so a test can tell that a failed write left nothing.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session

from tessera.storage import LocalDriver, StorageDriver
from tessera.storage.s3 import MIN_PART_SIZE, S3Driver, S3Options

MIB = 1024 * 1024
_buckets = itertools.count()
#: One botocore session for the run: S3's service model is then read once, not per test.
_session = get_session()


@dataclass
class Backend:
    name: str
    driver: StorageDriver
    #: Everything the store holds under the driver's root, sorted: file keys, partial files,
    #: and ``upload:<key>`` for each multipart upload not completed nor aborted.
    stored: Callable[[], Awaitable[list[str]]]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a moto S3 server running beside the tests until they end."""
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield _wait_for_address(server, log)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_address(server: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(rb"Running on (http://127\.0\.0\.1:\d+)", log.read_bytes())
        if found:
            return found.group(1).decode()
        if server.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"moto's S3 server did not start:\n{log.read_text(errors='replace')}")


@dataclass
class S3Store:
    """A fresh bucket on the moto server, and a plain client to look into it."""

    endpoint: str
    bucket: str
    admin: Any

    def options(self, **more: Any) -> S3Options:
        """Options for a driver on this bucket, as STORAGE_<NAME>_* would give them."""
        given = {"bucket": self.bucket, "endpoint": self.endpoint, "key": "test", "secret": "test"}
        return S3Options(**{**given, "force_path_style": True, **more})

    async def keys(self) -> list[str]:
        found = []
        async for page in self.admin.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            found += [item["Key"] for item in page.get("Contents", ())]
        return sorted(found)

    async def pending_uploads(self) -> list[str]:
        uploads = await self.admin.list_multipart_uploads(Bucket=self.bucket)
        return sorted(item["Key"] for item in uploads.get("Uploads", ()))


@asynccontextmanager
async def _s3_store(endpoint: str) -> AsyncIterator[S3Store]:
    async with _session.create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ) as admin:
        bucket = f"tessera-test-{next(_buckets)}"
        await admin.create_bucket(Bucket=bucket)
        yield S3Store(endpoint, bucket, admin)


@pytest.fixture
async def s3(s3_endpoint: str) -> AsyncIterator[S3Store]:
    async with _s3_store(s3_endpoint) as store:
        yield store


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "local":
        root = tmp_path / "uploads"
        yield Backend("local", LocalDriver(root), lambda: _files_under(root))
        return
    async with _s3_store(request.getfixturevalue("s3_endpoint")) as store:
        # A root, so every key the tests see has gone through the driver's prefixing.
        driver = S3Driver(store.options(root="project/files"), part_size=MIN_PART_SIZE)

        async def stored() -> list[str]:
            found = await store.keys() + [f"upload:{k}" for k in await store.pending_uploads()]
            return sorted(key.replace("project/files/", "", 1) for key in found)

        try:
            yield Backend("s3", driver, stored)
        finally:
            await driver.close()


async def _files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
