"""Record the requests of ``test_directus_replay.py`` against a real Directus.

Run it by hand with the reference server up (see shared/reference/directus-ref):

    .venv/bin/python tests/replays/record_directus.py http://127.0.0.1:8055 TOKEN

It creates the ``replay_articles`` collection with the rows in :data:`ROWS`, sends every
request in :data:`REQUESTS`, writes what came back to ``directus-12.4.0.json`` beside this
file, and drops the collection again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

COLLECTION = "replay_articles"
FIELDS: list[dict[str, Any]] = [
    {
        "field": "status",
        "type": "string",
        "schema": {"is_nullable": False, "default_value": "draft"},
    },
    {"field": "title", "type": "string", "schema": {"is_nullable": False}},
    {"field": "body", "type": "text"},
    {"field": "rating", "type": "integer"},
    {"field": "published_on", "type": "date"},
]
ROWS: list[dict[str, Any]] = [
    {
        "status": "published",
        "title": "Hello",
        "body": "First",
        "rating": 5,
        "published_on": "2026-01-01",
    },
    {
        "status": "draft",
        "title": "Draft post",
        "body": "Not yet",
        "rating": 2,
        "published_on": None,
    },
    {
        "status": "published",
        "title": "MCP in practice",
        "body": "Tools",
        "rating": 4,
        "published_on": "2026-02-14",
    },
    {
        "status": "published",
        "title": "SQLite notes",
        "body": None,
        "rating": 3,
        "published_on": "2026-03-03",
    },
]
ITEMS = f"/items/{COLLECTION}"
#: (method, path and query string, JSON body, who asks: "admin", "nobody" or "bad token")
REQUESTS: list[tuple[str, str, Any, str]] = [
    ("GET", f"{ITEMS}?fields=id,title&sort=-rating&limit=2", None, "admin"),
    ("GET", f"{ITEMS}?filter[status][_eq]=draft&meta=*", None, "admin"),
    ("GET", f"{ITEMS}?aggregate[count]=*&groupBy[]=status", None, "admin"),
    ("GET", f"{ITEMS}?aggregate[sum]=rating&aggregate[avg]=rating", None, "admin"),
    ("GET", f"{ITEMS}/2?fields=title,published_on", None, "admin"),
    ("GET", f"{ITEMS}/999", None, "admin"),
    ("GET", f"{ITEMS}?limit=abc", None, "admin"),
    ("GET", f"{ITEMS}?filter[nope][_eq]=1", None, "admin"),
    ("GET", f"{ITEMS}?filter[title][_nope]=1", None, "admin"),
    ("POST", f"{ITEMS}?fields=id,title,status", {"title": "Posted"}, "admin"),
    ("POST", ITEMS, {"status": "draft"}, "admin"),
    ("PATCH", ITEMS, {"title": "x"}, "admin"),
    ("PATCH", f"{ITEMS}/3?fields=id,rating", {"rating": 1}, "admin"),
    ("DELETE", f"{ITEMS}/1", None, "admin"),
    ("GET", "/items/directus_users", None, "admin"),
    ("GET", ITEMS, None, "nobody"),
    ("GET", ITEMS, None, "bad token"),
    ("POST", "/auth/login", {"email": "nobody@example.com", "password": "wrong"}, "nobody"),
]


def main(base: str, token: str) -> None:
    admin = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        client.delete(f"/collections/{COLLECTION}", headers=admin)
        client.post(
            "/collections",
            headers=admin,
            json={
                "collection": COLLECTION,
                "schema": {},
                "fields": [
                    {
                        "field": "id",
                        "type": "integer",
                        "schema": {"is_primary_key": True, "has_auto_increment": True},
                    },
                    *FIELDS,
                ],
            },
        ).raise_for_status()
        client.post(ITEMS, headers=admin, json=ROWS).raise_for_status()
        recorded = []
        for method, path, body, who in REQUESTS:
            headers = {
                "admin": admin,
                "nobody": {},
                "bad token": {"Authorization": "Bearer not-a-token"},
            }[who]
            response = client.request(method, path, headers=headers, json=body)
            recorded.append(
                {
                    "method": method,
                    "path": path,
                    "body": body,
                    "who": who,
                    "status": response.status_code,
                    "response": response.json() if response.content else None,
                }
            )
        client.delete(f"/collections/{COLLECTION}", headers=admin)
    out = Path(__file__).with_name("directus-12.4.0.json")
    out.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"wrote {len(recorded)} exchanges to {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
