"""Values read and written in Directus's shapes, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.schema.overview import SchemaCache
from tessera.schema.values import value_type
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext

FIELDS = [
    {"field": "day", "type": "date"},
    {"field": "clock", "type": "time"},
    {"field": "at", "type": "dateTime"},
    {"field": "stamp", "type": "timestamp"},
    {"field": "price", "type": "decimal", "schema": {"numeric_precision": 10, "numeric_scale": 2}},
    {"field": "flag", "type": "boolean"},
    {"field": "doc", "type": "json"},
    {"field": "tags", "type": "csv"},
    {"field": "big", "type": "bigInteger"},
    {"field": "count", "type": "integer"},
    {"field": "ratio", "type": "float"},
    {"field": "ref", "type": "uuid"},
    {"field": "name", "type": "string"},
]
WRITTEN = {
    "day": "2026-11-25",
    "clock": "09:30:15",
    "at": "2026-11-25T09:30:15",
    "stamp": "2026-11-25T11:30:15.123+02:00",
    "price": "12.5",
    "flag": True,
    "doc": {"a": [1, 2], "b": None},
    "tags": ["x", "y"],
    "big": 9007199254740993,
    "count": 7,
    "ratio": 1.5,
    "ref": "0d6d1a52-2f4c-4a49-9d57-8d3f7b2a7c11",
    "name": "plain",
}
READ = {
    **WRITTEN,
    "id": 1,
    "stamp": "2026-11-25T09:30:15.123Z",
    "price": "12.50",
    "big": "9007199254740993",
}


@pytest.fixture
def table(db):
    context = SchemaContext(db, SchemaCache(db))
    CollectionsService(context).create({"collection": "vals", "schema": {}, "fields": FIELDS})
    return context.cache.get().collections["vals"].sql_table


def read_all(db, table, *where):
    with db.read() as conn:
        rows = conn.execute(sa.select(table).where(*where).order_by(table.c.id))
        return [dict(row._mapping) for row in rows]


def test_every_type_round_trips_in_directus_shapes(db, table):
    with db.write() as conn:
        conn.execute(sa.insert(table).values(**WRITTEN))
    assert read_all(db, table) == [READ]


def test_json_keeps_strings_that_look_like_other_json(db, table):
    with db.write() as conn:
        conn.execute(sa.insert(table), [{"doc": "123"}, {"doc": [1, "two"]}, {"doc": None}])
    assert [row["doc"] for row in read_all(db, table)] == ["123", [1, "two"], None]


def test_small_integers_stay_numbers_and_empty_csv_is_an_empty_list(db, table):
    with db.write() as conn:
        conn.execute(sa.insert(table).values(big=42, tags=[], flag=False, price=3))
    row = read_all(db, table)[0]
    assert row["big"] == 42
    assert row["tags"] == []
    assert row["flag"] is False
    assert row["price"] == "3.00"


def test_comparisons_follow_time_not_text(db, table):
    stamps = ["2026-01-02T00:00:00Z", "2025-12-31T23:00:00-02:00", "2026-01-01T00:30:00+01:00"]
    with db.write() as conn:
        conn.execute(sa.insert(table), [{"stamp": s} for s in stamps])
    later = read_all(db, table, table.c.stamp > "2026-01-01T00:00:00Z")
    assert sorted(row["stamp"] for row in later) == [
        "2026-01-01T01:00:00.000Z",
        "2026-01-02T00:00:00.000Z",
    ]
    with db.read() as conn:
        ordered = conn.execute(sa.select(table.c.stamp).order_by(table.c.stamp)).scalars().all()
    assert ordered == [
        "2025-12-31T23:30:00.000Z",
        "2026-01-01T01:00:00.000Z",
        "2026-01-02T00:00:00.000Z",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("day", "not a date"), ("flag", "maybe"), ("price", "NaN"), ("count", 1.5), ("at", "x")],
)
def test_nonsense_is_refused_when_written(db, table, field, value):
    with pytest.raises(sa.exc.StatementError), db.write() as conn:
        conn.execute(sa.insert(table).values({field: value}))
    assert read_all(db, table) == []


@pytest.mark.sqlite_only
def test_rows_written_by_directus_or_by_hand_on_sqlite_read_in_the_same_shapes(db, table):
    with db.write() as conn:
        # Directus 12 on SQLite: dates as epoch milliseconds, booleans as 1.
        conn.exec_driver_sql(
            "INSERT INTO vals (day, at, stamp, flag, price) "
            "VALUES (1795564800000, 1795599015000, 1795599015123, 1, 12.5)"
        )
        # SQLite's own CURRENT_TIMESTAMP format, and text nobody can parse.
        conn.exec_driver_sql(
            "INSERT INTO vals (stamp, at, day) VALUES (CURRENT_TIMESTAMP, 'soon', 'someday')"
        )
    directus, by_hand = read_all(db, table)
    assert directus["day"] == "2026-11-25"
    assert directus["at"] == "2026-11-25T09:30:15"
    assert directus["stamp"] == "2026-11-25T09:30:15.123Z"
    assert directus["flag"] is True
    assert directus["price"] == "12.50"
    assert by_hand["stamp"].endswith("Z")
    assert (by_hand["at"], by_hand["day"]) == ("soon", "someday")


def test_json_in_a_text_column_reads_as_json_on_both_databases(db):
    """Directus's ``cast-json`` fields (a file's ``tags``) keep JSON in a text column."""
    plain = sa.Table("cast_json", sa.MetaData(), sa.Column("tags", sa.Text()))
    typed = sa.Table(
        "cast_json", sa.MetaData(), sa.Column("tags", value_type("json", data_type="text"))
    )
    with db.write() as conn:
        plain.create(conn)
        conn.execute(sa.insert(typed), [{"tags": ["red", "dot"]}, {"tags": None}])
        stored = conn.execute(sa.select(plain.c.tags)).scalars().all()
        read = conn.execute(sa.select(typed.c.tags)).scalars().all()
    assert stored == ['["red", "dot"]', None]
    assert read == [["red", "dot"], None]
