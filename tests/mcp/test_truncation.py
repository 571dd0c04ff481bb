"""A read that stops at its limit says so, and says how to read on."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def read(client: Any, query: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(
        "items", {"action": "read", "collection": "articles", "query": query}
    )
    assert not result.is_error
    payload = json.loads(result.content[0].text)
    assert result.structured_content == payload
    return payload


async def test_a_full_page_is_marked_and_the_next_query_reads_the_rest(connect, mode):
    async with connect(mode=mode) as client:
        first = await read(client, {"fields": ["id"], "limit": 3})
        assert first == {
            "raw": [{"id": 1}, {"id": 2}, {"id": 3}],
            "truncated": True,
            "next": {"offset": 3, "limit": 3},
        }
        rest = await read(client, {"fields": ["id"], **first["next"]})
        assert rest["raw"] == [{"id": 4}]
        assert "truncated" not in rest  # all there is: no marker
        paged = await read(client, {"fields": ["id"], "limit": 2, "page": 1})
        assert paged["next"] == {"page": 2, "limit": 2}
        assert (await read(client, {"fields": ["id"], **paged["next"]}))["raw"] == [
            {"id": 3},
            {"id": 4},
        ]


async def test_exactly_the_limit_and_aggregates_are_not_marked(connect, mode):
    async with connect(mode=mode) as client:
        exact = await read(client, {"fields": ["id"], "limit": 4})
        assert "truncated" not in exact
        counted = await read(client, {"aggregate": {"count": ["*"]}, "limit": 1})
        assert counted == {"raw": [{"count": 4}]}
