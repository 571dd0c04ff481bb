"""``files`` and ``upload-file`` through the SDK client: an assistant stores a file it holds,
reads and changes its record, imports one from a URL (through the SSRF guard), and deletes
them with their content — with the caller's permissions, all or nothing."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image
from starlette.applications import Starlette

from flow_helpers import runs, save_flow
from http_servers import Route, local_server
from tessera.app import create_app
from tessera.config import Settings
from tessera.db import Database
from tessera.db.system_tables import directus_files
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

pytestmark = pytest.mark.anyio


def png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def call(client: Any, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    result = await client.call_tool(name, arguments)
    return result.is_error, json.loads(result.content[0].text)


def blobs(settings: Settings) -> list[str]:
    root = Path(settings.storage_options["local_root"])
    return sorted(path.name for path in root.rglob("*") if path.is_file())


async def test_an_uploaded_file_is_read_changed_and_deleted(connect, mode, set_mcp, mcp_settings):
    set_mcp(allow_deletes=True)
    upload = {"filename": "dot.png", "content": png(10, 5), "data": {"title": "Red dot"}}
    async with connect(mode=mode) as client:
        failed, stored = await call(client, "upload-file", upload)
        key = stored["raw"]["id"]
        _, read = await call(
            client,
            "files",
            {"action": "read", "keys": [key], "query": {"fields": ["title", "type"]}},
        )
        _, changed = await call(
            client,
            "files",
            {"action": "update", "keys": [key], "data": {"title": "Dot", "tags": ["red"]}},
        )
        on_disk = blobs(mcp_settings)
        _, deleted = await call(client, "files", {"action": "delete", "keys": [key]})
        _, left = await call(client, "files", {"action": "read"})
    assert not failed
    assert stored["raw"]["type"] == "image/png"
    assert (stored["raw"]["width"], stored["raw"]["height"]) == (10, 5)
    assert stored["raw"]["filename_download"] == "dot.png"
    assert read == {
        "raw": [{"title": "Red dot", "type": "image/png"}],
        "url": f"http://127.0.0.1:8055/admin/files/{key}",
    }
    assert changed["raw"][0]["title"] == "Dot"
    assert changed["raw"][0]["tags"] == ["red"]
    assert on_disk == [f"{key}.png"]
    assert deleted == {"raw": [key]}
    assert left["raw"] == []
    assert blobs(mcp_settings) == []


async def test_what_cannot_be_stored_leaves_nothing(
    connect, app: Starlette, mcp_db: Database, mcp_settings
):
    only_images = mcp_settings.model_copy(update={"files_mime_type_allow_list": "image/*"})
    app.state.settings = only_images
    async with connect() as client:
        garbled = await call(client, "upload-file", {"filename": "a.txt", "content": "not base64!"})
        refused = await call(
            client,
            "upload-file",
            {"filename": "a.txt", "content": base64.b64encode(b"plain words").decode()},
        )
    assert garbled[0]
    assert garbled[1][0]["code"] == "INVALID_PAYLOAD"
    assert refused[0]
    assert refused[1][0]["code"] in {"INVALID_PAYLOAD", "UNSUPPORTED_MEDIA_TYPE"}
    with mcp_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(directus_files)).scalar() == 0
    assert blobs(mcp_settings) == []


async def test_an_import_goes_through_the_ssrf_guard(connect, mode):
    with local_server() as server:
        server.routes["/notes.txt"] = Route(b"hello", headers={"Content-Type": "text/plain"})
        async with connect(mode=mode) as client:
            failed, why = await call(
                client,
                "files",
                {"action": "import", "data": [{"url": server.url("/notes.txt")}]},
            )
    assert failed
    assert "127.0.0.1" in why[0]["error"] or "not allowed" in why[0]["error"].lower()
    assert server.seen == []  # refused before any request left


async def test_an_import_stores_the_fetched_file(
    mcp_db: Database, mcp_settings: Settings, connect_to
):
    open_to_loopback = mcp_settings.model_copy(
        update={"import_ip_deny_internal": False, "import_ip_deny_list": ""}
    )
    app = create_app(open_to_loopback, mcp_db)
    with local_server() as server:
        server.routes["/notes.txt"] = Route(b"hello", headers={"Content-Type": "text/plain"})
        async with connect_to(app)() as client:
            failed, ids = await call(
                client,
                "files",
                {
                    "action": "import",
                    "data": [{"url": server.url("/notes.txt"), "file": {"title": "Notes"}}],
                },
            )
            _, read = await call(client, "files", {"action": "read", "keys": ids["raw"]})
    assert not failed
    assert read["raw"][0]["title"] == "Notes"
    assert read["raw"][0]["filename_download"] == "notes.txt"
    assert read["raw"][0]["filesize"] == 5


async def test_without_permission_there_are_no_file_tools(connect, mode, reader_token):
    async with connect(reader_token, mode=mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        refused = await call(client, "upload-file", {"filename": "a.png", "content": png(1, 1)})
    assert "files" not in names
    assert "upload-file" not in names
    assert refused[0]
    assert refused[1][0]["code"] == "FORBIDDEN"


async def test_an_upload_through_mcp_fires_files_upload(connect, app, mcp_db, mcp_settings):
    items = ItemsService(mcp_db, SchemaCache(mcp_db), mcp_settings, None)
    watcher = save_flow(
        items,
        {"key": "note", "type": "log", "options": {"message": "uploaded"}},
        trigger="event",
        options={"type": "action", "scope": ["files.upload"]},
    )
    async with connect() as client:
        failed, stored = await call(
            client, "upload-file", {"filename": "a.png", "content": png(2, 2)}
        )
    assert not failed
    app.state.flows.background.wait(10)
    [run] = runs(mcp_db, watcher)
    trigger = run["revision"]["data"]["$trigger"]
    assert trigger["event"] == "files.upload"
    assert trigger["key"] == stored["raw"]["id"]
