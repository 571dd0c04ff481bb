"""Column defaults: the API value to DDL, and the database's reflected text back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tessera.errors import InvalidPayloadError
from tessera.schema.defaults import NOW, reflected_default, server_default

REFLECTED = [
    # PostgreSQL
    ("'abc'::character varying", "string", "abc"),
    ("'it''s'::character varying", "string", "it's"),
    ("'say \"hi\"'::text", "text", 'say "hi"'),
    ("''::character varying", "string", ""),
    ("'a::b'::character varying", "string", "a::b"),
    ("'42'::character varying", "string", "42"),
    ("'NULL'::character varying", "string", "NULL"),
    ("NULL::character varying", "string", None),
    ("(-1)", "integer", -1),
    ("'-1'::integer", "integer", -1),
    ("9000000000", "bigInteger", 9_000_000_000),
    ("'9000000000'::bigint", "bigInteger", 9_000_000_000),
    ("1.5", "float", 1.5),
    ("'1.50'::numeric", "decimal", 1.5),
    ("3.00", "decimal", 3),
    ("'1e3'::double precision", "float", 1000),
    ("nextval('posts_id_seq'::regclass)", "integer", None),
    ("now()", "timestamp", NOW),
    ("CURRENT_TIMESTAMP", "dateTime", NOW),
    ("CURRENT_TIMESTAMP(3)", "timestamp", NOW),
    ("LOCALTIMESTAMP", "dateTime", NOW),
    ("true", "boolean", True),
    ("false", "boolean", False),
    ("'2024-02-29'::date", "date", "2024-02-29"),
    ("'2024-01-01 10:00:00'::timestamp without time zone", "dateTime", "2024-01-01 10:00:00"),
    ("'12:30:00'::time without time zone", "time", "12:30:00"),
    ("'{\"a\": [1]}'::json", "json", {"a": [1]}),
    ("'[]'::jsonb", "json", []),
    ("gen_random_uuid()", "uuid", "gen_random_uuid()"),
    # SQLite
    ("'abc'", "string", "abc"),
    ("'it''s'", "string", "it's"),
    ("-1", "integer", -1),
    ("'0'", "boolean", False),
    ("'1'", "boolean", True),
    ("0", "boolean", False),
    ("1", "boolean", True),
    ("(CURRENT_TIMESTAMP)", "timestamp", NOW),
    ("'{\"a\": 1}'", "json", {"a": 1}),
    ("'not json'", "json", "not json"),
    ("'a,b'", "csv", "a,b"),
    ("NULL", "string", None),
    (None, "string", None),
    ("'maybe'", "boolean", "maybe"),
    ("'x'", "integer", "x"),
]


@pytest.mark.parametrize(("raw", "field_type", "expected"), REFLECTED)
def test_reflected_default(raw, field_type, expected):
    value = reflected_default(raw, field_type)

    assert value == expected
    assert type(value) is type(expected)


DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def rendered(value, field_type, dialect):
    default = server_default(value, field_type, postgres=dialect == "postgresql")
    if default is None:
        return None
    column = sa.Column("c", sa.Integer(), server_default=default)
    return str(sa.schema.CreateColumn(column).compile(dialect=DIALECTS[dialect]))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        (None, "string", None),
        ("it's", "string", "DEFAULT 'it''s'"),
        ("now()", "dateTime", "DEFAULT CURRENT_TIMESTAMP"),
        ("CURRENT_TIMESTAMP", "timestamp", "DEFAULT CURRENT_TIMESTAMP"),
        ("current_timestamp(3)", "timestamp", "DEFAULT CURRENT_TIMESTAMP"),
        (-1, "integer", "DEFAULT -1"),
        (" 2.5 ", "decimal", "DEFAULT 2.5"),
        ("1e3", "float", "DEFAULT 1e3"),
        ({"a": 1}, "json", """DEFAULT '{"a": 1}'"""),
        (["a", "b"], "csv", "DEFAULT 'a,b'"),
        (12, "string", "DEFAULT '12'"),
    ],
)
def test_server_default_renders(dialect, value, field_type, expected):
    text = rendered(value, field_type, dialect)

    if expected is None:
        assert text is None
    else:  # SQLite's compiler puts a negative or decimal number in parentheses
        assert text.replace("DEFAULT (", "DEFAULT ").removesuffix(")").endswith(expected)


@pytest.mark.parametrize("value", [True, "true", "1", 1, "t"])
def test_true_boolean_default(value):
    assert rendered(value, "boolean", "postgresql").endswith("DEFAULT true")
    assert rendered(value, "boolean", "sqlite").endswith("DEFAULT 1")


@pytest.mark.parametrize("value", [False, "false", "0", 0, "f"])
def test_false_boolean_default(value):
    assert rendered(value, "boolean", "postgresql").endswith("DEFAULT false")
    assert rendered(value, "boolean", "sqlite").endswith("DEFAULT 0")


@pytest.mark.parametrize(
    ("value", "field_type"),
    [
        ("maybe", "boolean"),
        ("abc", "integer"),
        (True, "integer"),
        ("1; DROP TABLE x", "integer"),
        ("1.5.5", "decimal"),
        ("", "float"),
    ],
)
def test_invalid_defaults_are_refused(value, field_type):
    with pytest.raises(InvalidPayloadError):
        server_default(value, field_type, postgres=True)


def test_gen_random_uuid_is_postgresql_only():
    assert rendered("gen_random_uuid()", "uuid", "postgresql").endswith("DEFAULT gen_random_uuid()")
    with pytest.raises(InvalidPayloadError):
        server_default("gen_random_uuid()", "uuid", postgres=False)
