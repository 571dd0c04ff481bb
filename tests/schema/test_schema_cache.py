"""The schema cache: rebuilt when any process changes the schema, and only then."""

from __future__ import annotations

import threading
import time

import pytest

from tessera.db import Database
from tessera.errors import InvalidPayloadError, TesseraError
from tessera.schema.overview import SchemaCache, bump_version, read_version
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.schema_change import SchemaContext


@pytest.fixture
def context(db):
    return SchemaContext(db, SchemaCache(db))


@pytest.fixture
def second(db):
    """Another process on the same database: its own engine and its own cache."""
    other = Database(db.engine.url.render_as_string(hide_password=False))
    yield SchemaContext(other, SchemaCache(other))
    other.dispose()


def test_get_does_not_rebuild_when_nothing_changed(context):
    first = context.cache.get()

    assert context.cache.get() is first
    with context.db.read() as conn:
        assert context.cache.get(conn) is first


def test_clear_forces_a_rebuild(context):
    first = context.cache.get()
    context.cache.clear()

    rebuilt = context.cache.get()
    assert rebuilt is not first
    assert rebuilt.version == first.version


def test_a_change_through_the_services_is_seen_at_once(context):
    first = context.cache.get()

    CollectionsService(context).create({"collection": "posts", "schema": {}})

    current = context.cache.get()
    assert current is not first
    assert current.version[0] == first.version[0] + 1
    assert "posts" in current.collections


def test_another_process_sees_the_change_on_its_next_get(context, second):
    CollectionsService(context).create({"collection": "posts", "schema": {}, "meta": {}})
    seen = second.cache.get()
    assert seen.collections["posts"].meta["note"] is None

    # Metadata only: no DDL, so on SQLite only the version counter tells.
    CollectionsService(context).update("posts", {"meta": {"note": "changed"}})

    current = second.cache.get()
    assert current is not seen
    assert current.collections["posts"].meta["note"] == "changed"
    assert CollectionsService(second).read_one("posts")["meta"]["note"] == "changed"
    FieldsService(context).create("posts", {"field": "title", "type": "string"})
    assert "title" in second.cache.get().collections["posts"].fields


def test_a_failed_change_does_not_move_the_version(context, second):
    CollectionsService(context).create({"collection": "posts", "schema": {}})
    seen = second.cache.get()

    with pytest.raises(InvalidPayloadError):
        CollectionsService(context).create({"collection": "posts", "schema": {}})

    assert second.cache.get() is seen
    with context.db.read() as conn:
        assert read_version(conn) == seen.version


def test_reads_inside_a_transaction_see_its_own_changes(context, second):
    collections, fields = CollectionsService(context), FieldsService(context)
    before = second.cache.get()

    with context.transaction():
        collections.create({"collection": "posts", "schema": {}})
        fields.create("posts", {"field": "title", "type": "string"})
        assert [f["field"] for f in fields.read_all("posts")] == ["id", "title"]

    after = second.cache.get()
    assert {"id", "title"} == set(after.collections["posts"].fields)
    assert after.version[0] == before.version[0] + 1


def test_a_transaction_commits_all_or_nothing(context, second):
    collections = CollectionsService(context)
    before = second.cache.get()

    def create_posts_tags_and_posts_again():
        with context.transaction():
            collections.create({"collection": "posts", "schema": {}})
            collections.create({"collection": "tags", "schema": {}})
            collections.create({"collection": "posts", "schema": {}})

    with pytest.raises(InvalidPayloadError):
        create_posts_tags_and_posts_again()

    assert second.cache.get() is before
    assert not {"posts", "tags"} & {c["collection"] for c in CollectionsService(second).read_all()}


def test_concurrent_changes_queue_and_see_each_other(context, second):
    """The second change waits for the first and is checked against what it committed."""
    inside, release = threading.Event(), threading.Event()
    errors: list[TesseraError] = []

    def first_change():
        with context.transaction():
            CollectionsService(context).create({"collection": "posts", "schema": {}})
            inside.set()
            release.wait(10)

    def same_change_elsewhere():
        try:
            CollectionsService(second).create({"collection": "posts", "schema": {}})
        except TesseraError as error:
            errors.append(error)

    holder = threading.Thread(target=first_change)
    holder.start()
    assert inside.wait(10)
    racer = threading.Thread(target=same_change_elsewhere)
    racer.start()
    time.sleep(0.3)  # the racer is now waiting on the first transaction
    release.set()
    holder.join(10)
    racer.join(10)

    assert [error.code for error in errors] == ["INVALID_PAYLOAD"]
    assert "posts" in second.cache.get().collections


def test_a_change_starts_from_the_cache_only_when_nobody_changed_the_schema_since(context, second):
    CollectionsService(context).create({"collection": "posts", "schema": {}})
    cached = context.cache.get()
    with context.db.write() as conn:
        bump_version(conn)
        assert context.cache.load_after_bump(conn) is cached  # nothing in between: reused

    FieldsService(second).create("posts", {"field": "title", "type": "string"})
    assert "title" not in cached.collections["posts"].fields
    # The cache is stale now; the change must see the other process's field.
    with pytest.raises(InvalidPayloadError, match="already exists"):
        FieldsService(context).create("posts", {"field": "title", "type": "text"})
    FieldsService(context).create("posts", {"field": "body", "type": "text"})
    assert set(context.cache.get().collections["posts"].fields) == {"id", "title", "body"}
