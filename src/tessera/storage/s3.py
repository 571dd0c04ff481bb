"""The S3 driver: objects in a bucket of Amazon S3 or any S3-compatible server.

Built on aiobotocore (botocore's request signing and models over aiohttp), so bodies
stream in the event loop both ways. A write of up to one part is a single PUT; a larger
one is a multipart upload sent part by part as the chunks arrive, holding at most one part
in memory, and aborted when the source fails or the write is cancelled, so the bucket
keeps neither an object nor a pending upload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
from aiobotocore.session import AioSession, get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from tessera.storage.driver import READ_CHUNK, Stat, StorageDriver, Written, check_range
from tessera.storage.errors import ObjectNotFound, RangeNotSatisfiable, StorageError
from tessera.storage.keys import check_key, check_prefix

log = logging.getLogger("tessera.storage.s3")

MIB = 1024 * 1024
#: S3 refuses parts below 5 MiB (but the last), and an upload of more than 10,000 parts.
MIN_PART_SIZE = 5 * MIB
PART_SIZE = 8 * MIB

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


class S3Options(BaseModel):
    """A location's ``STORAGE_<LOCATION>_*`` variables for the ``s3`` driver (Directus's names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str
    key: str | None = None
    secret: str | None = None
    region: str = "us-east-1"
    endpoint: str | None = None
    force_path_style: bool | None = None
    root: str = ""
    acl: str | None = None
    server_side_encryption: str | None = None

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        """Directus accepts a bare host (``s3.eu-west-1.amazonaws.com``): https is meant."""
        if not value:
            return None
        return value if "://" in value else f"https://{value}"

    @field_validator("root")
    @classmethod
    def _root(cls, value: str) -> str:
        value = value.strip("/")
        return check_key(value) if value else ""

    @model_validator(mode="after")
    def _credentials(self) -> S3Options:
        if (self.key is None) != (self.secret is None):
            raise ValueError("KEY and SECRET go together: set both, or neither for AWS's defaults")
        return self


@functools.cache
def _session() -> AioSession:
    """One botocore session per process, so S3's service model is loaded once."""
    return get_session()


class S3Driver(StorageDriver):
    """Objects under ``root/`` in one bucket; the client connects on first use."""

    def __init__(self, options: S3Options, *, part_size: int = PART_SIZE) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"an S3 part must be at least {MIN_PART_SIZE} bytes")
        self.options = options
        self.part_size = part_size
        self._prefix = f"{options.root}/" if options.root else ""
        self._client: Any = None
        self._exits = AsyncExitStack()
        self._opening = anyio.Lock()

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    self._client = await self._exits.enter_async_context(self._connect())
        return self._client

    def _connect(self) -> Any:
        options = self.options
        style = {True: "path", False: "virtual", None: "auto"}[options.force_path_style]
        config = Config(
            s3={"addressing_style": style},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=120,
            # botocore sends CRC checksums on every upload by default, which several
            # S3-compatible servers reject; send them only where S3 demands one.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return _session().create_client(
            "s3",
            region_name=options.region,
            endpoint_url=options.endpoint,
            aws_access_key_id=options.key,
            aws_secret_access_key=options.secret,
            config=config,
        )

    async def close(self) -> None:
        await self._exits.aclose()
        self._client = None

    def _object(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _extra(self) -> dict[str, str]:
        """Parameters every new object gets: the location's ACL and server-side encryption."""
        extra = {}
        if self.options.acl:
            extra["ACL"] = self.options.acl
        if self.options.server_side_encryption:
            extra["ServerSideEncryption"] = self.options.server_side_encryption
        return extra

    async def write(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str | None = None
    ) -> Written:
        s3 = await self._s3()
        params = {"Bucket": self.options.bucket, "Key": self._object(key)}
        created = {**params, **self._extra()}
        if content_type:
            created["ContentType"] = content_type
        upload = _MultipartUpload(s3, key, params, created)
        digest = hashlib.sha256()
        size = 0
        # Chunks waiting to fill a part, joined only then: one copy of the data at a time.
        pending: list[bytes] = []
        pending_size = 0
        try:
            async for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= self.part_size:
                    rest = b"".join(pending)
                    pending.clear()
                    while len(rest) >= self.part_size:
                        part, rest = rest[: self.part_size], rest[self.part_size :]
                        await upload.send(part)
                        del part
                    pending, pending_size = ([rest], len(rest)) if rest else ([], 0)
            last = b"".join(pending)
            pending.clear()
            if upload.id is None:
                with _s3_errors(key):
                    await s3.put_object(**created, Body=last)
            else:
                await upload.complete(last)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await upload.abort()
            raise
        return Written(size=size, sha256=digest.hexdigest())

    async def read(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        check_range(offset, length)
        request = {"Bucket": self.options.bucket, "Key": self._object(key)}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            request["Range"] = f"bytes={offset}-{end}"
        s3 = await self._s3()
        with _s3_errors(key, offset):
            answer = await s3.get_object(**request)
        async with answer["Body"] as body:
            while True:
                with _s3_errors(key):
                    chunk = await body.read(READ_CHUNK)
                if not chunk:
                    break
                yield chunk

    async def stat(self, key: str) -> Stat:
        s3 = await self._s3()
        with _s3_errors(key):
            head = await s3.head_object(Bucket=self.options.bucket, Key=self._object(key))
        return Stat(size=head["ContentLength"], modified=head["LastModified"].astimezone(dt.UTC))

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        with _s3_errors(key):
            await s3.delete_object(Bucket=self.options.bucket, Key=self._object(key))

    async def copy(self, source: str, target: str) -> None:
        """A server-side copy (S3 copies up to 5 GiB in one request)."""
        bucket = self.options.bucket
        s3 = await self._s3()
        with _s3_errors(source):
            await s3.copy_object(
                Bucket=bucket,
                Key=self._object(target),
                CopySource={"Bucket": bucket, "Key": self._object(source)},
                **self._extra(),
            )

    async def move(self, source: str, target: str) -> None:
        """S3 cannot rename: a copy, then the source deleted."""
        await self.copy(source, target)
        await self.delete(source)

    async def list(self, prefix: str = "") -> AsyncIterator[str]:
        check_prefix(prefix)
        s3 = await self._s3()
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.options.bucket, Prefix=self._prefix + prefix
        )
        with _s3_errors(prefix):
            async for page in pages:
                for found in page.get("Contents", ()):
                    yield found["Key"][len(self._prefix) :]


class _MultipartUpload:
    """One object's multipart upload, begun when its first part is ready to go."""

    def __init__(self, s3: Any, key: str, params: dict[str, str], created: dict[str, str]) -> None:
        self.s3 = s3
        self.key = key
        self.params = params
        self.created = created
        self.id: str | None = None
        self.parts: list[dict[str, Any]] = []

    async def send(self, body: bytes) -> None:
        with _s3_errors(self.key):
            if self.id is None:
                # Shielded: cancelled mid-request, the upload could exist without our knowing.
                with anyio.CancelScope(shield=True):
                    started = await self.s3.create_multipart_upload(**self.created)
                self.id = started["UploadId"]
            number = len(self.parts) + 1
            sent = await self.s3.upload_part(
                **self.params, UploadId=self.id, PartNumber=number, Body=body
            )
        self.parts.append({"ETag": sent["ETag"], "PartNumber": number})

    async def complete(self, last: bytes) -> None:
        """Send the last part (unless empty) and join the parts into the object."""
        if last:
            await self.send(last)
        with _s3_errors(self.key):
            await self.s3.complete_multipart_upload(
                **self.params, UploadId=self.id, MultipartUpload={"Parts": self.parts}
            )

    async def abort(self) -> None:
        """Drop the parts sent so far; nothing to do when the upload never began."""
        if self.id is None:
            return
        try:
            await self.s3.abort_multipart_upload(**self.params, UploadId=self.id)
        except (ClientError, BotoCoreError) as exc:
            # The bucket's lifecycle rule for incomplete uploads is then the only cleanup.
            log.warning("could not abort the upload of %s: %s", self.params["Key"], exc)


@contextlib.contextmanager
def _s3_errors(key: str, offset: int = 0) -> Iterator[None]:
    """Say what went wrong in the storage errors' terms instead of botocore's."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _NOT_FOUND:
            raise ObjectNotFound(key) from None
        if code == "InvalidRange":
            raise RangeNotSatisfiable(key, offset) from None
        message = error.get("Message") or code
        raise StorageError(f"S3 refused the request for {key!r}: {message} ({code})") from exc
    except BotoCoreError as exc:
        raise StorageError(f"the S3 request for {key!r} failed: {exc}") from exc
