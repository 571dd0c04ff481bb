"""The activity log and revisions, on their own and as the schema services write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_activity, directus_revisions
from tessera.errors import InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.activity import Revision, record
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.schema_change import SchemaContext

ADMIN = Accountability(
    user="6c0d2bd5-8d3c-4a55-9f7e-3f0f0c3a6b11",
    admin=True,
    ip="203.0.113.9",
    user_agent="pytest",
    origin="https://example.com",
)


def activity(db):
    with db.read() as conn:
        rows = conn.execute(sa.select(directus_activity).order_by(directus_activity.c.id))
        return [dict(r._mapping) for r in rows]


def revisions(db):
    with db.read() as conn:
        rows = conn.execute(sa.select(directus_revisions).order_by(directus_revisions.c.id))
        return [dict(r._mapping) for r in rows]


@pytest.mark.parametrize(
    ("tracking", "activities", "revision_count"),
    [("all", 2, 2), ("activity", 2, 0), (None, 0, 0)],
)
def test_tracking_decides_what_is_kept(db, tracking, activities, revision_count):
    changes = [Revision(1, {"id": 1, "a": 1}, {"a": 1}), Revision(2, {"id": 2}, {})]
    with db.write() as conn:
        ids = record(
            conn, ADMIN, action="create", collection="notes", changes=changes, tracking=tracking
        )
    assert len(ids) == activities
    assert len(activity(db)) == activities
    assert len(revisions(db)) == revision_count


def test_activity_names_the_caller_and_revisions_point_at_their_activity(db):
    with db.write() as conn:
        ids = record(
            conn,
            ADMIN,
            action="update",
            collection="notes",
            changes=[Revision("a", {"n": 1}, {"n": 1}), Revision("b", {"n": 2}, {"n": 2})],
        )
    rows = activity(db)
    assert [r["item"] for r in rows] == ["a", "b"]
    first = rows[0]
    assert (first["action"], first["collection"], first["user"]) == ("update", "notes", ADMIN.user)
    assert (first["ip"], first["user_agent"], first["origin"]) == (
        "203.0.113.9",
        "pytest",
        "https://example.com",
    )
    assert first["timestamp"] is not None
    assert [(r["activity"], r["item"], r["data"]) for r in revisions(db)] == [
        (ids[0], "a", {"n": 1}),
        (ids[1], "b", {"n": 2}),
    ]


def test_deletes_have_activity_and_no_revision(db):
    with db.write() as conn:
        record(conn, None, action="delete", collection="notes", changes=[Revision(7)])
    assert [(r["action"], r["item"], r["user"]) for r in activity(db)] == [("delete", "7", None)]
    assert revisions(db) == []


def test_revision_data_keeps_dates_and_decimals_as_the_api_shows_them(db):
    data = {"when": dt.datetime(2026, 11, 25, 9, 30), "price": Decimal("12.50")}
    with db.write() as conn:
        record(conn, None, action="create", collection="notes", changes=[Revision(1, data, data)])
    assert revisions(db)[0]["data"] == {"when": "2026-11-25T09:30:00", "price": "12.50"}


def test_schema_changes_are_logged_with_the_caller(db):
    context = SchemaContext(db, SchemaCache(db), ADMIN)
    CollectionsService(context).create({"collection": "notes", "schema": {}})
    FieldsService(context).create("notes", {"field": "body", "type": "text"})
    FieldsService(context).delete("notes", "body")
    CollectionsService(context).delete("notes")

    logged = [(r["action"], r["collection"], r["item"], r["user"]) for r in activity(db)]
    assert logged == [
        ("create", "directus_collections", "notes", ADMIN.user),
        ("create", "directus_fields", "notes.body", ADMIN.user),
        ("delete", "directus_fields", "notes.body", ADMIN.user),
        ("delete", "directus_collections", "notes", ADMIN.user),
    ]
    created = revisions(db)[1]
    assert created["delta"] == {"field": "body", "type": "text"}


def test_a_refused_schema_change_logs_nothing(db):
    context = SchemaContext(db, SchemaCache(db), ADMIN)
    with pytest.raises(InvalidPayloadError):
        CollectionsService(context).create({"collection": "directus_nope", "schema": {}})
    with pytest.raises(InvalidPayloadError):
        FieldsService(context).create("directus_users", {"field": "x", "type": "nope"})
    assert activity(db) == []
