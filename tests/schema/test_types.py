"""Vendor column types → Directus field types, and the column each field type creates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tessera.schema.types import (
    COLUMN_TYPES,
    column_type,
    data_type_name,
    effective_type,
    field_type_for,
)

VENDOR_TYPES = [
    # PostgreSQL, as reflected
    ("character varying", {}, "string"),
    ("character", {}, "string"),
    ("bpchar", {}, "string"),
    ("interval", {}, "string"),
    ("text", {}, "text"),
    ("citext", {}, "text"),
    ("integer", {}, "integer"),
    ("smallint", {}, "integer"),
    ("serial", {}, "integer"),
    ("bigint", {}, "bigInteger"),
    ("bigserial", {}, "bigInteger"),
    ("int8", {}, "bigInteger"),
    ("numeric", {"precision": 10, "scale": 2}, "decimal"),
    ("numeric", {}, "integer"),
    ("real", {}, "float"),
    ("double precision", {}, "float"),
    ("money", {}, "float"),
    ("boolean", {}, "boolean"),
    ("date", {}, "date"),
    ("time without time zone", {}, "time"),
    ("time with time zone", {}, "time"),
    ("timestamp without time zone", {}, "dateTime"),
    ("timestamp with time zone", {}, "timestamp"),
    ("json", {}, "json"),
    ("jsonb", {}, "json"),
    ("uuid", {}, "uuid"),
    ("bytea", {}, "binary"),
    ("tsvector", {}, "unknown"),
    ("point", {}, "unknown"),
    # SQLite and others, as declared
    ("VARCHAR", {"length": 255}, "string"),
    ("varchar", {}, "string"),
    ("nvarchar", {}, "string"),
    ("char", {"length": 36}, "uuid"),
    ("char", {"length": 2}, "string"),
    ("INTEGER", {}, "integer"),
    ("int", {}, "integer"),
    ("tinyint", {}, "integer"),
    ("mediumint", {}, "integer"),
    ("year", {}, "integer"),
    ("decimal", {}, "decimal"),
    ("float", {}, "float"),
    ("double", {}, "float"),
    ("bool", {}, "boolean"),
    ("bit", {}, "boolean"),
    ("datetime", {}, "dateTime"),
    ("datetime2", {}, "dateTime"),
    ("timestamp", {}, "timestamp"),
    ("timestamptz", {}, "timestamp"),
    ("datetimeoffset", {}, "timestamp"),
    ("time", {}, "time"),
    ("clob", {}, "text"),
    ("longtext", {}, "text"),
    ("blob", {}, "binary"),
    ("varbinary", {}, "binary"),
    ("uniqueidentifier", {}, "uuid"),
    ("number", {}, "integer"),
    ("geometry", {}, "unknown"),
]


@pytest.mark.parametrize(("vendor", "details", "expected"), VENDOR_TYPES)
def test_vendor_type_maps_to_directus_type(vendor, details, expected):
    assert field_type_for(vendor, **details) == expected


@pytest.mark.parametrize(
    ("column", "special", "expected"),
    [
        ("text", ["cast-json"], "json"),
        ("string", ["hash"], "hash"),
        ("text", ["cast-csv"], "csv"),
        ("string", ["uuid"], "uuid"),
        ("string", ["file"], "uuid"),
        ("string", ["cast-timestamp"], "timestamp"),
        ("string", ["cast-datetime"], "dateTime"),
        ("integer", ["m2o"], "integer"),
        ("string", [], "string"),
        (None, ["o2m"], "alias"),
        (None, ["m2m"], "alias"),
        (None, ["no-data"], "alias"),
        (None, [], "alias"),
        ("integer", ["alias"], "integer"),  # a column is never an alias, whatever meta says
    ],
)
def test_special_flags_override_the_column_type(column, special, expected):
    assert effective_type(column, special) == expected


DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("field_type", sorted(COLUMN_TYPES))
def test_the_column_created_reads_back_as_its_type(dialect, field_type):
    """Without special flags, every type except hash and csv comes back as itself."""
    created = column_type(field_type, max_length=20, precision=8, scale=2)
    reflected_as = {"hash": "string", "csv": "text"}.get(field_type, field_type)
    details = {}
    if field_type == "decimal":
        details = {"precision": 8, "scale": 2}
    if field_type in ("string", "hash"):
        details = {"length": 20 if field_type == "string" else 255}
    if field_type == "uuid" and dialect == "sqlite":
        details = {"length": 36}

    name = data_type_name(created, DIALECTS[dialect])

    assert field_type_for(name, **details) == reflected_as


def test_column_type_lengths_and_numeric_defaults():
    assert column_type("string").length == 255
    assert column_type("string", max_length=12).length == 12
    assert column_type("hash", max_length=12).length == 255
    decimal = column_type("decimal")
    assert (decimal.precision, decimal.scale) == (10, 5)
    decimal = column_type("decimal", precision=6, scale=0)
    assert (decimal.precision, decimal.scale) == (6, 0)


@pytest.mark.parametrize("field_type", ["alias", "unknown", "geometry", "nonsense"])
def test_types_without_a_column_are_refused(field_type):
    with pytest.raises(ValueError, match=field_type):
        column_type(field_type)


def test_data_type_name_drops_arguments():
    assert data_type_name(sa.String(40), DIALECTS["postgresql"]) == "varchar"
    assert data_type_name(sa.Numeric(10, 2), DIALECTS["sqlite"]) == "numeric"
    assert data_type_name(sa.types.NullType(), DIALECTS["sqlite"]) == "unknown"
