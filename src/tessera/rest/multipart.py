"""A streaming reader of ``multipart/form-data`` bodies, one part at a time.

Starlette's ``request.form()`` reads the whole body before it answers (spooling files to
disk). Uploads need each file's bytes as they arrive, so that they stream to storage while
the body is still coming in, and the form fields before a file to be known when it starts
(Directus's rule: fields sent before a file apply to that file). This reader feeds the
request's chunks to python-multipart's push parser and hands out parts in order: a field's
value whole (capped), a file's content as an async stream. Memory stays at about one
request chunk, whatever the size of the files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, parse_options_header

from tessera.errors import InvalidPayloadError

#: The longest form field value accepted (files have no such limit here).
MAX_FIELD_SIZE = 1024 * 1024


@dataclass
class Part:
    """One part: a field (``filename`` None) or a file."""

    name: str
    filename: str | None
    content_type: str | None
    reader: MultipartReader

    async def chunks(self) -> AsyncIterator[bytes]:
        """The part's content, as it arrives."""
        async for chunk in self.reader.part_data():
            yield chunk

    async def text(self) -> str:
        """A field's whole value, as UTF-8 text."""
        data = bytearray()
        async for chunk in self.reader.part_data():
            data += chunk
            if len(data) > MAX_FIELD_SIZE:
                raise InvalidPayloadError(f'Field "{self.name}" is longer than {MAX_FIELD_SIZE}')
        return data.decode("utf-8", "replace")


class MultipartReader:
    """The parts of one request body, in order; each must be consumed (or skipped) before
    the next is asked for, which :meth:`next_part` does by itself."""

    def __init__(self, body: AsyncIterator[bytes], content_type: str) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidPayloadError("The body must be multipart/form-data with a boundary")
        self._body = body
        self._events: deque[tuple[str, object]] = deque()
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._in_part = False
        self._done = False
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
                "on_end": self._finished,
            },
        )

    async def next_part(self) -> Part | None:
        """The next part, or None after the last one."""
        if self._in_part:
            async for _ in self.part_data():
                pass
        while True:
            event, value = await self._next_event()
            if event == "done":
                return None
            if event == "headers":
                assert isinstance(value, dict)
                self._in_part = True
                return self._part(value)

    async def part_data(self) -> AsyncIterator[bytes]:
        """The rest of the current part's content."""
        while self._in_part:
            event, value = await self._next_event()
            if event == "data":
                assert isinstance(value, bytes)
                yield value
            elif event == "end":
                self._in_part = False
            elif event == "done":
                raise InvalidPayloadError("The multipart body ends inside a part")

    async def _next_event(self) -> tuple[str, object]:
        while not self._events:
            if self._done:
                return "done", None
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._parser.finalize()
                self._done = True
                if not self._events:
                    return "done", None
                break
            try:
                self._parser.write(chunk)
            except Exception as error:  # python-multipart's parse errors
                raise InvalidPayloadError(f"The multipart body is malformed: {error}") from None
        return self._events.popleft()

    def _part(self, headers: dict[bytes, bytes]) -> Part:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        content_type = headers.get(b"content-type")
        return Part(
            name=name,
            filename=None if filename is None else filename.decode("utf-8", "replace"),
            content_type=None if content_type is None else content_type.decode("latin-1"),
            reader=self,
        )

    # --- parser callbacks ---------------------------------------------------------------

    def _begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        self._events.append(("headers", self._headers))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    def _end(self) -> None:
        self._events.append(("end", None))

    def _finished(self) -> None:
        self._events.append(("done", None))
