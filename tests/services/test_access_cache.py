"""Parsed permissions are reused across requests until access changes."""

from __future__ import annotations

import sqlalchemy as sa

from callers import grant, make_caller
from tessera.config import load_settings
from tessera.db.counters import ACCESS, bump_counter
from tessera.db.system_tables import directus_permissions
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.items import ItemsService


def test_a_shared_cache_loads_permissions_once_and_reloads_after_a_change(blog_db):
    caller = make_caller(
        blog_db, [grant("articles", "read", fields="id", rule={"status": {"_eq": "draft"}})]
    )
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    cache, schema = AccessCache(), SchemaCache(blog_db)
    loads = []

    def watch(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT") and "directus_permissions" in statement:
            loads.append(statement)

    sa.event.listen(blog_db.engine, "before_cursor_execute", watch)
    try:
        for _ in range(3):
            items = ItemsService(blog_db, schema, settings, caller, cache=cache)
            assert [a["id"] for a in items.read_by_query("articles").data] == [2]
        assert len(loads) == 1
        with blog_db.write() as conn:
            conn.execute(
                sa.update(directus_permissions)
                .where(directus_permissions.c.collection == "articles")
                .values(permissions={"status": {"_eq": "published"}})
            )
            bump_counter(conn, ACCESS)
        items = ItemsService(blog_db, schema, settings, caller, cache=cache)
        assert [a["id"] for a in items.read_by_query("articles").data] == [1, 3]
        assert len(loads) == 2
    finally:
        sa.event.remove(blog_db.engine, "before_cursor_execute", watch)
