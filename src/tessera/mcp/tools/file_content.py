"""``file-content``: the text of a file — plain text, Markdown, CSV, JSON, XML, HTML, PDF.

The file is read as the assets route reads it (read permission on ``directus_files``
decides), so an assistant can work with a document's words without a second tool or an
HTTP client. HTML is reduced to its visible text; a PDF's pages are extracted with pypdf.
The answer is at most ``max_length`` characters (50,000 unless asked otherwise), with
``truncated`` saying whether there was more and ``original_length`` how much. Images and
audio are the ``assets`` tool's; anything else is UNSUPPORTED_MEDIA_TYPE.
"""

from __future__ import annotations

import codecs
import io
from html.parser import HTMLParser
from typing import Any

import anyio.from_thread
from pydantic import Field, TypeAdapter
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from tessera.errors import ContentTooLargeError, InvalidPayloadError, UnsupportedMediaTypeError
from tessera.mcp.arguments import Strict, object_schema
from tessera.mcp.context import ToolContext
from tessera.mcp.registry import Tool
from tessera.mcp.tools.files import readable

DEFAULT_LENGTH = 50_000
MAX_LENGTH = 100_000
#: The most of a file read to find its text: a longer text is cut; a longer PDF refused.
MAX_READ_BYTES = 20 * 1024 * 1024
#: Types read as text beside ``text/*``.
TEXTUAL = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/javascript",
        "application/x-yaml",
        "application/yaml",
        "application/sql",
        "application/csv",
    }
)
_SKIPPED_HTML = frozenset({"script", "style", "head", "template", "noscript"})


class ContentArgs(Strict):
    id: str
    max_length: int = Field(DEFAULT_LENGTH, ge=1, le=MAX_LENGTH)


def run(ctx: ToolContext, args: ContentArgs) -> dict[str, Any]:
    asset = anyio.from_thread.run(lambda: ctx.assets().get(args.id, {}))
    kind = (asset.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if kind.startswith(("image/", "audio/")):
        raise UnsupportedMediaTypeError(
            f'Unsupported media type "{kind}": use the assets tool for images and audio files'
        )
    if kind != "application/pdf" and not (kind.startswith("text/") or kind in TEXTUAL):
        raise UnsupportedMediaTypeError(f'Unsupported media type "{kind}": no text to read')
    raw, complete = anyio.from_thread.run(_read, asset)
    if kind == "application/pdf":
        if not complete:
            raise ContentTooLargeError("The PDF is too large to read its text")
        text = _pdf_text(raw)
    else:
        text = raw.decode(_charset(asset.file), errors="replace")
        if kind == "text/html":
            text = _html_text(text)
    answer: dict[str, Any] = {
        "content": text[: args.max_length],
        "filename": asset.file.get("filename_download"),
        "type": kind,
        "truncated": len(text) > args.max_length or not complete,
    }
    if answer["truncated"]:
        answer["original_length"] = len(text)
    return answer


async def _read(asset: Any) -> tuple[bytes, bool]:
    """Up to MAX_READ_BYTES of the file, and whether that is all of it."""
    kept = bytearray()
    async for chunk in asset.read():
        kept += chunk
        if len(kept) > MAX_READ_BYTES:
            return bytes(kept[:MAX_READ_BYTES]), False
    return bytes(kept), True


def _charset(file: dict[str, Any]) -> str:
    """The file's recorded charset when Python knows it, else UTF-8."""
    charset = str(file.get("charset") or "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def _pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InvalidPayloadError(f"The PDF cannot be read: {exc}") from None


class _Visible(HTMLParser):
    """The text a browser would show, one block per line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIPPED_HTML:
            self.hidden += 1
        elif tag in {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_HTML and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


TOOL = Tool(
    name="file-content",
    title="File content",
    description=(
        "The text of a file by `id`: plain text, Markdown, CSV, JSON, XML, HTML (as its "
        "visible text) or PDF. At most `max_length` characters (default 50000, up to "
        "100000); `truncated` says whether there is more. Images and audio: use assets."
    ),
    input_schema=object_schema(
        {
            "id": {"description": "The file's id", "type": "string"},
            "max_length": {
                "description": "The most characters to return",
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LENGTH,
            },
        },
        required=("id",),
    ),
    arguments=TypeAdapter(ContentArgs),
    handler=run,
    raw_schema={
        "type": "object",
        "properties": {
            "content": {"type": "string"},
            "filename": {"type": ["string", "null"]},
            "type": {"type": "string"},
            "truncated": {"type": "boolean"},
            "original_length": {"type": "integer"},
        },
        "required": ["content", "type", "truncated"],
    },
    read_only=True,
    available=readable,
)
