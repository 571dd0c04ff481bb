"""``assets`` and ``file-content`` through the SDK client: a model sees an image (scaled
when large) or hears a sound, and reads a document's text, for files the caller may
read — and is told plainly when a file is of the other kind."""

from __future__ import annotations

import base64
import io
import json
import wave
from typing import Any

import pytest
from mcp_types import AudioContent, ImageContent
from PIL import Image

pytestmark = pytest.mark.anyio


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def pdf(text: str) -> bytes:
    """A one-page PDF whose page says ``text`` in Helvetica."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return bytes(out)


async def upload(client: Any, filename: str, content: bytes) -> str:
    encoded = base64.b64encode(content).decode()
    result = await client.call_tool("upload-file", {"filename": filename, "content": encoded})
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)["raw"]["id"]


async def error_of(client: Any, name: str, arguments: dict[str, Any]) -> dict[str, str]:
    result = await client.call_tool(name, arguments)
    assert result.is_error
    return json.loads(result.content[0].text)[0]


async def test_images_are_seen_scaled_when_large(connect, mode):
    async with connect(mode=mode) as client:
        large = await upload(client, "wide.png", png(2000, 1000))
        small = await upload(client, "small.png", png(30, 20))
        seen_large = await client.call_tool("assets", {"id": large})
        seen_small = await client.call_tool("assets", {"id": small})
    for seen, size in ((seen_large, (800, 400)), (seen_small, (30, 20))):
        (block,) = seen.content
        assert isinstance(block, ImageContent)
        assert block.mime_type == "image/png"
        assert Image.open(io.BytesIO(base64.b64decode(block.data))).size == size
        assert seen.structured_content is None


async def test_sounds_are_heard_and_documents_refused(connect, mode):
    async with connect(mode=mode) as client:
        sound = await upload(client, "beep.wav", wav())
        note = await upload(client, "note.txt", b"just words")
        heard = await client.call_tool("assets", {"id": sound})
        refused = await error_of(client, "assets", {"id": note})
    (block,) = heard.content
    assert isinstance(block, AudioContent)
    assert block.mime_type.startswith("audio/")
    assert base64.b64decode(block.data) == wav()
    assert refused["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert refused["error"] == 'Unsupported media type "text/plain" in asset tool.'


@pytest.mark.parametrize(
    ("filename", "content", "text"),
    [
        ("notes.md", b"# Title\n\nSome *words*.", "# Title\n\nSome *words*."),
        ("rows.csv", b"a,b\n1,2\n", "a,b\n1,2\n"),
        ("data.json", b'{"k": [1, 2]}', '{"k": [1, 2]}'),
        (
            "page.html",
            b"<html><head><style>p{}</style></head><body><h1>Hi</h1><p>There &amp; back"
            b"<script>x()</script></p></body></html>",
            "Hi\nThere & back",
        ),
        ("letter.pdf", pdf("Hello from a PDF"), "Hello from a PDF"),
    ],
)
async def test_documents_are_read_as_text(connect, filename, content, text):
    async with connect() as client:
        key = await upload(client, filename, content)
        result = await client.call_tool("file-content", {"id": key})
    answer = result.structured_content["raw"]
    assert answer["content"] == text
    assert answer["filename"] == filename
    assert answer["truncated"] is False
    assert "original_length" not in answer


async def test_long_text_is_cut_and_says_so(connect, mode):
    async with connect(mode=mode) as client:
        key = await upload(client, "long.txt", b"0123456789" * 10)
        result = await client.call_tool("file-content", {"id": key, "max_length": 15})
        image = await upload(client, "pic.png", png(4, 4))
        refused = await error_of(client, "file-content", {"id": image})
        too_long = await error_of(client, "file-content", {"id": key, "max_length": 100_001})
    answer = result.structured_content["raw"]
    assert answer["content"] == "012345678901234"
    assert answer["truncated"] is True
    assert answer["original_length"] == 100
    assert refused["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "assets tool" in refused["error"]
    assert too_long["code"] == "INVALID_PAYLOAD"


async def test_a_file_the_caller_may_not_read_is_forbidden(connect, reader_token):
    async with connect() as admin:
        key = await upload(admin, "secret.txt", b"classified")
    async with connect(reader_token) as reader:
        names = [tool.name for tool in (await reader.list_tools()).tools]
    assert "assets" not in names
    assert "file-content" not in names
    async with connect(reader_token) as reader:
        refused = await error_of(reader, "file-content", {"id": key})
    assert refused["code"] == "FORBIDDEN"
