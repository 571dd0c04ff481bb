"""A non-admin through MCP gets what REST gives them: the same data where REST answers, the
same error code where REST refuses. Both doors call the same services, so a difference
here is a permission check in the wrong layer."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

#: (REST method, path, body) and the same operation as ``items`` arguments.
CASES: list[tuple[str, str, Any, dict[str, Any]]] = [
    (
        "GET",
        "/items/articles?fields=id,title&sort=id",
        None,
        {
            "action": "read",
            "collection": "articles",
            "query": {"fields": ["id", "title"], "sort": ["id"]},
        },
    ),
    (
        "GET",
        "/items/articles?fields=body",
        None,
        {"action": "read", "collection": "articles", "query": {"fields": ["body"]}},
    ),
    (
        "GET",
        "/items/articles/2?fields=id,status",
        None,
        {
            "action": "read",
            "collection": "articles",
            "keys": [2],
            "query": {"fields": ["id", "status"]},
        },
    ),
    ("GET", "/items/authors", None, {"action": "read", "collection": "authors"}),
    ("GET", "/items/notes", None, {"action": "read", "collection": "notes"}),
    (
        "POST",
        "/items/articles",
        {"title": "Mine"},
        {"action": "create", "collection": "articles", "data": {"title": "Mine"}},
    ),
    (
        "PATCH",
        "/items/articles/1",
        {"title": "Changed"},
        {"action": "update", "collection": "articles", "keys": [1], "data": {"title": "Changed"}},
    ),
    (
        "DELETE",
        "/items/articles/1",
        None,
        {"action": "delete", "collection": "articles", "keys": [1]},
    ),
    (
        "PATCH",
        "/items/notes",
        {"motto": "Mine"},
        {"action": "update", "collection": "notes", "data": {"motto": "Mine"}},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "arguments"), CASES)
async def test_mcp_refuses_exactly_where_rest_refuses(
    http, connect, mode, reader_token, set_mcp, method, path, body, arguments
):
    set_mcp(allow_deletes=True)
    rest = await http.request(
        method, path, json=body, headers={"Authorization": f"Bearer {reader_token}"}
    )
    async with connect(reader_token, mode=mode) as client:
        result = await client.call_tool("items", arguments)
    answer = json.loads(result.content[0].text)
    if rest.status_code >= 400:
        assert result.is_error
        assert answer[0]["code"] == rest.json()["errors"][0]["extensions"]["code"]
    else:
        assert not result.is_error, answer
        data = rest.json()["data"]
        assert answer["raw"] == (
            data if isinstance(data, list) or arguments.get("keys") is None else [data]
        )
