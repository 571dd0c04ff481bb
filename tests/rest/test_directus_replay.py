"""Requests recorded from Directus 12.4.0, replayed against Tessera: same status, same body.

``tests/replays/record_directus.py`` recorded them against the reference server; this test
builds the same collection and rows and expects every answer to match — data, meta,
error codes and messages.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from asgi_client import serving
from replays.record_directus import COLLECTION, FIELDS, ROWS
from tessera.app import create_app
from tessera.db.system_tables import directus_users
from tessera.schema.overview import SchemaCache
from tessera.services.bootstrap import bootstrap
from tessera.services.collections import CollectionsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

pytestmark = pytest.mark.anyio
TOKEN = "replay-admin-token"
#: Where Tessera words an error its own way on purpose: status and codes must still match.
#: An unknown operator is refused while the filter is parsed, naming where it is; Directus
#: reports it later, against the field's type.
WORDED_DIFFERENTLY = {"/items/replay_articles?filter[title][_nope]=1"}
RECORDED: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "replays" / "directus-12.4.0.json").read_text()
)


@pytest.fixture
async def client(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    bootstrap(db, settings)
    CollectionsService(SchemaContext(db, SchemaCache(db))).create(
        {"collection": COLLECTION, "schema": {}, "fields": FIELDS}
    )
    ItemsService(db, SchemaCache(db), settings).create_many(COLLECTION, ROWS)
    with db.write() as conn:
        conn.execute(sa.update(directus_users).values(token=TOKEN))
    async with serving(create_app(settings, db)) as test_client:
        yield test_client


async def test_every_recorded_exchange_gets_the_same_answer(client):
    headers = {
        "admin": {"Authorization": f"Bearer {TOKEN}"},
        "nobody": {},
        "bad token": {"Authorization": "Bearer not-a-token"},
    }
    differences = []
    for exchange in RECORDED:
        response = await client.request(
            exchange["method"],
            exchange["path"],
            headers=headers[exchange["who"]],
            json=exchange["body"],
        )
        got = {
            "status": response.status_code,
            "response": response.json() if response.content else None,
        }
        wanted = {"status": exchange["status"], "response": exchange["response"]}
        if exchange["path"] in WORDED_DIFFERENTLY:
            got, wanted = _codes(got), _codes(wanted)
        if got != wanted:
            differences.append((exchange["method"], exchange["path"], got, wanted))
    assert differences == []


def _codes(answer: dict[str, Any]) -> tuple[int, list[str]]:
    errors = (answer["response"] or {}).get("errors", [])
    return answer["status"], [error["extensions"]["code"] for error in errors]
