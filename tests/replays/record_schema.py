"""Record the reference Directus's data model and its ``schema`` tool's answers about it.

Run it by hand with the reference server up (see shared/reference/directus-ref):

    .venv/bin/python tests/replays/record_schema.py http://127.0.0.1:8055 TOKEN

It reads the user collections, their fields and relations over REST, calls the MCP
``schema`` tool without keys and with every user collection as keys, and writes both to
``directus-12.4-schema.json`` beside this file: ``test_schema_size.py`` builds the same
collections in Tessera and compares the sizes of the two servers' answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

OUT = Path(__file__).with_name("directus-12.4-schema.json")


def user_rows(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    rows = client.get(path, params={"limit": -1}).raise_for_status().json()["data"]
    return [row for row in rows if not row["collection"].startswith("directus_")]


def schema_tool(client: httpx.Client, arguments: dict[str, Any]) -> str:
    """The text content of one ``schema`` call, exactly as the server sent it."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "schema", "arguments": arguments},
    }
    headers = {"Accept": "application/json, text/event-stream"}
    answer = client.post("/mcp", json=body, headers=headers).raise_for_status().json()
    return str(answer["result"]["content"][0]["text"])


def main(base_url: str, token: str) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        collections = user_rows(client, "/collections")
        keys = [row["collection"] for row in collections]
        record = {
            "collections": collections,
            "fields": user_rows(client, "/fields"),
            "relations": user_rows(client, "/relations"),
            "schema_tool": [
                {"arguments": arguments, "text": schema_tool(client, arguments)}
                for arguments in ({}, {"keys": keys})
            ],
        }
    OUT.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
