"""Plain reads reuse their root SELECT, and still follow pages, schema and permission changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from callers import grant, make_caller
from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.db.counters import ACCESS, bump_counter
from tessera.db.system_tables import directus_permissions
from tessera.schema.overview import SchemaCache
from tessera.services.access_cache import AccessCache
from tessera.services.fields import FieldsService
from tessera.services.items import ItemsService
from tessera.services.schema_change import SchemaContext

ADMIN = Accountability(user="a", admin=True, app=True)


@pytest.fixture
def schema(blog_db):
    return SchemaCache(blog_db)


def service(db, schema, who, cache=None):
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(db, schema, settings, who, cache=cache or AccessCache())


@pytest.fixture
def statements(blog_db):
    """The statements run on ``articles`` at the root (what reads them first)."""
    seen: list[sa.Select] = []

    def record(_conn, clause, *_args):
        if not isinstance(clause, sa.Select):
            return
        if "articles" in {getattr(table, "name", None) for table in clause.get_final_froms()}:
            seen.append(clause)

    event.listen(blog_db.engine, "before_execute", record)
    yield seen
    event.remove(blog_db.engine, "before_execute", record)


def ids(items, **query):
    return [item["id"] for item in items.read_by_query("articles", query).data]


def test_pages_of_one_shape_run_one_statement_with_their_own_bounds(blog_db, schema, statements):
    items = service(blog_db, schema, ADMIN)
    assert ids(items, fields=["id"], limit=2, page=2) == [3, 4]
    assert ids(items, fields=["id"], limit=1, offset=1) == [2]
    assert ids(items, fields=["id"], limit=3, offset=2) == [3, 4]
    assert statements[0] is statements[1] is statements[2]
    assert ids(items, fields=["id"], limit=-1, offset=3) == [4]
    assert ids(items, fields=["id"], limit=-1, offset=1) == [2, 3, 4]
    assert statements[3] is statements[4] is not statements[0]


def test_a_new_field_shows_in_the_next_read_of_the_same_shape(blog_db, schema):
    items = service(blog_db, schema, ADMIN)
    assert "subtitle" not in items.read_by_query("articles", {"limit": 1}).data[0]
    FieldsService(SchemaContext(blog_db, schema)).create(
        "articles", {"field": "subtitle", "type": "string"}
    )
    assert items.read_by_query("articles", {"limit": 1}).data[0]["subtitle"] is None


def test_narrowed_fields_show_in_the_next_read_of_the_same_shape(blog_db, schema):
    caller = make_caller(blog_db, [grant("articles", "read", fields="id,title")])
    items = service(blog_db, schema, caller)
    assert items.read_by_query("articles", {"limit": 1}).data == [{"id": 1, "title": "Hello world"}]
    with blog_db.write() as conn:
        conn.execute(
            sa.update(directus_permissions)
            .where(directus_permissions.c.collection == "articles")
            .values(fields="id")
        )
        bump_counter(conn, ACCESS)
    assert items.read_by_query("articles", {"limit": 1}).data == [{"id": 1}]


def test_callers_with_and_without_a_row_rule_each_see_their_own(blog_db, schema):
    cache = AccessCache()
    everyone = make_caller(blog_db, [grant("articles", "read", fields="id")])
    rated = make_caller(
        blog_db, [grant("articles", "read", fields="id", rule={"rating": {"_gt": 4}})]
    )
    assert ids(service(blog_db, schema, everyone, cache), limit=10) == [1, 2, 3, 4]
    assert ids(service(blog_db, schema, rated, cache), limit=10) == [1]
    assert ids(service(blog_db, schema, everyone, cache), limit=10) == [1, 2, 3, 4]
