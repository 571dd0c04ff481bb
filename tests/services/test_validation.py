"""Payload validation: the errors a caller gets for a create or update.

Expected errors marked "Directus 12.4" were captured from the reference by setting the rule as
a field's ``meta.validation`` and POSTing the payload; the others say why we answer differently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tessera.errors import FailedValidationError
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.schema_change import SchemaContext
from tessera.services.validation import field_rules, validate


def failed(payload: dict[str, Any], *rules: Any, nested: tuple[str, ...] = ()) -> list[dict]:
    """The ``errors`` entries the payload earns under the rules."""
    with pytest.raises(FailedValidationError) as caught:
        validate(payload, rules, nested=nested)
    return caught.value.to_dicts()


def passes(payload: dict[str, Any], *rules: Any) -> bool:
    """Whether the payload meets the rules."""
    try:
        validate(payload, rules)
    except FailedValidationError:
        return False
    return True


def error(message: str, field: str, type_: str, path: tuple = (), **details: Any) -> dict:
    extensions = {"code": "FAILED_VALIDATION", "field": field, "path": list(path), "type": type_}
    return {"message": message, "extensions": {**extensions, **details}}


S = "Value is required."
R = "Value doesn't have the correct format."
JAN_1 = "2024-01-01T00:00:00.000Z"
# Directus 12.4, every one: (rule, payload, the message after the field's name, extensions).
DIRECTUS = [
    (
        {"n": {"_eq": 5}},
        {"n": 6},
        'Value has to be one of "5", "5".',
        {"type": "in", "valid": [5, "5"]},
    ),
    ({"s": {"_eq": "abc"}}, {"s": "abd"}, 'Value has to be "abc".', {"type": "eq", "valid": "abc"}),
    ({"b": {"_eq": True}}, {"b": False}, 'Value has to be "true".', {"type": "eq", "valid": True}),
    ({"s": {"_eq": "null"}}, {"s": "x"}, "Value has to be null.", {"type": "null"}),
    (
        {"s": {"_neq": "abc"}},
        {"s": "abc"},
        'Value can\'t be "abc".',
        {"type": "neq", "invalid": "abc"},
    ),
    (
        {"n": {"_neq": 5}},
        {"n": 5},
        'Value can\'t be one of "5", "5".',
        {"type": "nin", "invalid": [5, "5"]},
    ),
    (
        {"f": {"_eq": 1.5}},
        {"f": 2},
        'Value has to be one of "1.5", "1.5".',
        {"type": "in", "valid": [1.5, "1.5"]},
    ),
    (
        {"s": {"_in": ["a", "b"]}},
        {"s": "c"},
        'Value has to be one of "a", "b".',
        {"type": "in", "valid": ["a", "b"]},
    ),
    (
        {"s": {"_in": "a,b"}},
        {"s": "c"},
        'Value has to be one of "a", "b".',
        {"type": "in", "valid": ["a", "b"]},
    ),
    (
        {"s": {"_in": ["a", None]}},
        {"s": "c"},
        'Value has to be one of "a", "null".',
        {"type": "in", "valid": ["a", None]},
    ),
    ({"s": {"_in": ["a"]}}, {"s": "c"}, 'Value has to be "a".', {"type": "eq", "valid": "a"}),
    (
        {"n": {"_in": [1, 2]}},
        {"n": "1"},
        'Value has to be one of "1", "2".',
        {"type": "in", "valid": [1, 2]},
    ),
    ({"s": {"_nin": ["a"]}}, {"s": "a"}, 'Value can\'t be "a".', {"type": "neq", "invalid": "a"}),
    ({"n": {"_gt": 5}}, {"n": 5}, 'Value has to be greater than "5".', {"type": "gt", "valid": 5}),
    (
        {"n": {"_gte": 5}},
        {"n": 4},
        'Value has to be greater than or equal to "5".',
        {"type": "gte", "valid": 5},
    ),
    ({"n": {"_lt": 5}}, {"n": 5}, 'Value has to be less than "5".', {"type": "lt", "valid": 5}),
    (
        {"n": {"_lte": "5"}},
        {"n": 6},
        'Value has to be less than or equal to "5".',
        {"type": "lte", "valid": 5},
    ),
    (
        {"f": {"_gt": 1.5}},
        {"f": 1},
        'Value has to be greater than "1.5".',
        {"type": "gt", "valid": 1.5},
    ),
    (
        {"n": {"_gt": None}},
        {"n": -1},
        'Value has to be greater than "0".',
        {"type": "gt", "valid": 0},
    ),
    (
        {"n": {"_gt": 1, "_lt": 5}},
        {"n": 10},
        'Value has to be less than "5".',
        {"type": "lt", "valid": 5},
    ),
    ({"n": {"_gt": 5}}, {"n": "abc"}, S, {"type": "required"}),
    ({"n": {"_gt": 5}}, {"n": None}, S, {"type": "required"}),
    ({"n": {"_gt": 5}}, {"n": True}, S, {"type": "required"}),
    (
        {"n": {"_between": [1, 10]}},
        {"n": 11},
        'Value has to be less than or equal to "10".',
        {"type": "lte", "valid": 10},
    ),
    (
        {"n": {"_between": [1, 10]}},
        {"n": 0},
        'Value has to be greater than or equal to "1".',
        {"type": "gte", "valid": 1},
    ),
    ({"s": {"_null": True}}, {"s": "a"}, "Value has to be null.", {"type": "null"}),
    ({"s": {"_nnull": True}}, {"s": None}, "Value can't be null.", {"type": "nnull"}),
    ({"s": {"_empty": True}}, {"s": "a"}, "Value has to be empty.", {"type": "empty"}),
    ({"s": {"_nempty": True}}, {"s": ""}, "Value can't be empty.", {"type": "nempty"}),
    (
        {"s": {"_contains": "x"}},
        {"s": "abc"},
        'Value has to contain "x".',
        {"type": "contains", "substring": "x"},
    ),
    (
        {"s": {"_icontains": "X"}},
        {"s": "abc"},
        'Value has to contain "X".',
        {"type": "contains", "substring": "X"},
    ),
    (
        {"s": {"_ncontains": "b"}},
        {"s": "abc"},
        'Value can\'t contain "b".',
        {"type": "ncontains", "substring": "b"},
    ),
    ({"s": {"_contains": 5}}, {"s": "5"}, 'Value has to be "true".', {"type": "eq", "valid": True}),
    ({"s": {"_starts_with": "a"}}, {"s": ["abc"]}, S, {"type": "required"}),
    ({"s": {"_regex": "^[a-z]+$"}}, {"s": "ABC"}, R, {"type": "regex", "invalid": "ABC"}),
    ({"s": {"_regex": "/^[a-z]+$/"}}, {"s": "ABC"}, R, {"type": "regex", "invalid": "ABC"}),
    ({"s": {"_regex": "^[a-z]+$"}}, {"s": ""}, R, {"type": "regex", "invalid": ""}),
    ({"s": {"_regex": "^a$"}}, {"s": "a\n"}, R, {"type": "regex", "invalid": "a\n"}),
    ({"s": {"_regex": "^(?<a>x)$"}}, {"s": "y"}, R, {"type": "regex", "invalid": "y"}),
    ({"s": {"_regex": "^[a-z]+$"}}, {"s": 5}, S, {"type": "required"}),
    ({"s": {"_submitted": True}}, {}, S, {"type": "required"}),
    ({"d": {"_gt": "2024-01-01"}}, {"d": "not a date"}, S, {"type": "required"}),
    # Epoch milliseconds. Directus writes the date in the message as JavaScript's toString()
    # ("Mon Jan 01 2024 00:00:00 GMT+0000 (Coordinated Universal Time)"); we write ISO text.
    (
        {"d": {"_gt": "2024-01-01"}},
        {"d": 5},
        f'Value has to be greater than "{JAN_1}".',
        {"type": "gt", "valid": JAN_1},
    ),
    (
        {"d": {"_gt": "2024-01-01T10:00:00+02:00"}},
        {"d": "2024-01-01T07:00:00Z"},
        'Value has to be greater than "2024-01-01T08:00:00.000Z".',
        {"type": "gt", "valid": "2024-01-01T08:00:00.000Z"},
    ),
    (
        {"d": {"_between": ["2024-01-01", "2024-12-31"]}},
        {"d": "2025-01-01"},
        'Value has to be less than or equal to "2024-12-31T00:00:00.000Z".',
        {"type": "lte", "valid": "2024-12-31T00:00:00.000Z"},
    ),
]


@pytest.mark.parametrize(("rule", "payload", "sentence", "details"), DIRECTUS)
def test_a_failed_rule_gives_the_error_directus_gives(rule, payload, sentence, details):
    (field,) = payload or rule
    message = f'Validation failed for field "{field}". {sentence}'

    extensions = {"code": "FAILED_VALIDATION", "field": field, "path": [], **details}

    assert failed(payload, rule) == [{"message": message, "extensions": extensions}]


def test_failures_inside_an_object_value_say_where():
    # Directus 12.4
    assert failed({"j": {"color": "blue"}}, {"j": {"color": {"_eq": "red"}}}) == [
        error(
            'Validation failed for field "j" at "color". Value has to be "red".',
            "j",
            "eq",
            ("color",),
            valid="red",
        ),
    ]
    assert failed({"j": {"a": {"b": 2}}}, {"j": {"a": {"b": {"_eq": 1}}}}) == [
        error(
            'Validation failed for field "j" at "a.b". Value has to be one of "1", "1".',
            "j",
            "in",
            ("a", "b"),
            valid=[1, "1"],
        ),
    ]
    assert failed({"j": {}}, {"j": {"color": {"_submitted": True}}}) == [
        error(
            'Validation failed for field "j" at "color". Value is required.',
            "j",
            "required",
            ("color",),
        ),
    ]
    # A function of a field is a field of its own.
    assert failed({"d": "2023-05-01"}, {"year(d)": {"_eq": 2024}}) == [
        error(
            'Validation failed for field "year(d)". Value has to be one of "2024", "2024".',
            "year(d)",
            "in",
            valid=[2024, "2024"],
        ),
    ]


@pytest.mark.parametrize(
    ("rule", "payload"),
    [
        ({"n": {"_eq": 5}}, {"n": "5"}),
        ({"n": {"_eq": 5}}, {"n": 5.0}),
        ({"f": {"_eq": 1e-7}}, {"f": "1e-7"}),  # a number's text is JavaScript's
        ({"f": {"_eq": 0.000015}}, {"f": "0.000015"}),
        ({"s": {"_eq": "1e3"}}, {"s": 1000}),
        ({"n": {"_gt": 5}}, {"n": "1e1"}),
        ({"s": {"_eq": "5"}}, {"s": 5}),
        ({"n": {"_gt": 5}}, {"n": " 7 "}),
        ({"n": {"_in": []}}, {"n": 3}),
        ({"d": {"_gt": "2024-01-01"}}, {"d": "2024-01-01 00:00:01"}),
        ({"d": {"_gt": "2024-01-01"}}, {"d": "1704067200001"}),
        ({"year(d)": {"_eq": 2024}}, {"d": "2024-05-01T10:00:00"}),
        ({"j": {"_contains": "x"}}, {"j": ["abx", "def"]}),
        ({"s": {"_istarts_with": "A"}}, {"s": "abc"}),
        ({"s": {"_niends_with": "X"}}, {"s": "abc"}),
    ],
)
def test_values_directus_accepts_pass(rule, payload):
    """Directus 12.4 accepts each of these."""
    assert passes(payload, rule)


def test_a_rule_looks_only_at_keys_the_payload_holds():
    rules = [{"n": {"_gt": 5}}, {"s": {"_nnull": True}}, {"year(d)": {"_eq": 2024}}]

    validate({"title": "t"}, rules)
    assert failed({"s": None}, *rules) == [
        error('Validation failed for field "s". Value can\'t be null.', "s", "nnull")
    ]


def test_submitted_asks_for_the_key_and_null_is_submitted():
    rule = {"title": {"_submitted": True}}
    assert passes({"title": None}, rule)
    assert not passes({}, rule)


def test_and_reports_every_failure_in_order():
    rule = {"_and": [{"n": {"_gt": 5}}, {"s": {"_in": ["a", "b"]}}]}

    assert failed({"n": 1, "s": "c"}, rule) == [
        error(
            'Validation failed for field "n". Value has to be greater than "5".', "n", "gt", valid=5
        ),
        error(
            'Validation failed for field "s". Value has to be one of "a", "b".',
            "s",
            "in",
            valid=["a", "b"],
        ),
    ]


@pytest.mark.parametrize(
    "rule",
    [
        {"_or": [{"n": {"_eq": 1}}, {"n": {"_eq": 2}}]},
        {"n": {"_or": [{"_eq": 1}, {"_eq": 2}]}},
    ],
)
def test_or_passes_on_one_branch_and_reports_all_when_none_passes(rule):
    validate({"n": 2}, [rule])
    # Directus 12.4
    assert failed({"n": 3}, rule) == [
        error(
            'Validation failed for field "n". Value has to be one of "1", "1".',
            "n",
            "in",
            valid=[1, "1"],
        ),
        error(
            'Validation failed for field "n". Value has to be one of "2", "2".',
            "n",
            "in",
            valid=[2, "2"],
        ),
    ]


def test_between_reports_each_bound_it_breaks():
    # Directus 12.4: bounds in the wrong order break both.
    assert failed({"n": 5}, {"n": {"_between": [10, 1]}}) == [
        error(
            'Validation failed for field "n". Value has to be greater than or equal to "10".',
            "n",
            "gte",
            valid=10,
        ),
        error(
            'Validation failed for field "n". Value has to be less than or equal to "1".',
            "n",
            "lte",
            valid=1,
        ),
    ]


def test_nbetween_fails_only_inside_the_range():
    """Joi's ``less(a).greater(b)`` fails every value; the filter means outside [a, b]."""
    rule = {"n": {"_nbetween": [1, 10]}}

    validate({"n": 20}, [rule])
    validate({"n": 0}, [rule])
    assert failed({"n": 5}, rule) == [
        error(
            'Validation failed for field "n". Value can\'t be between "1" and "10".',
            "n",
            "nbetween",
            invalid=[1, 10],
        ),
    ]


def test_null_and_empty_false_mean_the_opposite():
    """Joi ignores the ``false`` (``_null: false`` still demands null); filters flip it."""
    validate({"s": "a"}, [{"s": {"_null": False}}])
    assert failed({"s": None}, {"s": {"_null": False}}) == [
        error('Validation failed for field "s". Value can\'t be null.', "s", "nnull")
    ]
    assert failed({"s": "a"}, {"s": {"_nempty": False}}) == [
        error('Validation failed for field "s". Value has to be empty.', "s", "empty")
    ]


def test_a_resolved_now_compares_as_a_date_and_shows_as_iso_text():
    now = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)

    assert failed({"d": "2026-03-02"}, {"d": {"_lte": now}}, {"d": {"_eq": now}}) == [
        error(
            'Validation failed for field "d". Value has to be less than or equal to '
            '"2026-03-01T12:30:00.000Z".',
            "d",
            "lte",
            valid="2026-03-01T12:30:00.000Z",
        ),
        error(
            'Validation failed for field "d". Value has to be "2026-03-01T12:30:00.000Z".',
            "d",
            "eq",
            valid="2026-03-01T12:30:00.000Z",
        ),
    ]


@pytest.mark.parametrize(
    ("rule", "payload", "expected"),
    [
        # Directus answers 500 ("Couldn't extract validation error type") for each of these.
        (
            {"s": {"_contains": "x"}},
            {"s": ""},
            error(
                'Validation failed for field "s". Value has to contain "x".',
                "s",
                "contains",
                substring="x",
            ),
        ),
        (
            {"j": {"_contains": "x"}},
            {"j": ["abc", "def"]},
            error(
                'Validation failed for field "j". Value has to contain "x".',
                "j",
                "contains",
                substring="x",
            ),
        ),
        (
            {"j": {"_ncontains": "x"}},
            {"j": ["abx", "def"]},
            error(
                'Validation failed for field "j". Value can\'t contain "x".',
                "j",
                "ncontains",
                substring="x",
            ),
        ),
        (
            {"s": {"_contains": "x"}},
            {"s": 5},
            error('Validation failed for field "s". Value is required.', "s", "required"),
        ),
        (
            {"s": {"_starts_with": "a"}},
            {"s": ""},
            error(
                'Validation failed for field "s". Value has to start with "a".',
                "s",
                "starts_with",
                substring="a",
            ),
        ),
    ],
)
def test_values_that_crash_directus_get_the_failure_they_earned(rule, payload, expected):
    assert failed(payload, rule) == [expected]


@pytest.mark.parametrize(
    ("op", "text", "value", "sentence"),
    [
        ("_starts_with", "a.b", "xyz", 'has to start with "a.b"'),
        ("_istarts_with", "A", "xbc", 'has to start with "A"'),
        ("_nstarts_with", "a", "abc", 'can\'t start with "a"'),
        ("_nistarts_with", "A", "abc", 'can\'t start with "A"'),
        ("_ends_with", "z", "abc", 'has to end with "z"'),
        ("_iends_with", "Z", "abc", 'has to end with "Z"'),
        ("_nends_with", "c", "abc", 'can\'t end with "c"'),
        ("_niends_with", "C", "abc", 'can\'t end with "C"'),
    ],
)
def test_starts_and_ends_failures_say_what_was_expected(op, text, value, sentence):
    """Directus stops at 'Validation failed for field "s".' and escapes the text (``a\\.b``)."""
    assert failed({"s": value}, {"s": {op: text}}) == [
        error(f'Validation failed for field "s". Value {sentence}.', "s", op[1:], substring=text)
    ]


def test_regex_flags_are_honoured():
    """Directus reads ``/…/i`` as a literal pattern that matches nothing."""
    validate({"s": "ABC"}, [{"s": {"_regex": "/^[a-z]+$/i"}}])
    assert failed({"s": "AB1"}, {"s": {"_regex": "/^[a-z]+$/i"}})[0]["extensions"]["type"] == (
        "regex"
    )


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"^\d+$", "123", "١٢٣"),  # JavaScript's \d is ASCII only
        (r"^\w+$", "abc_1", "é"),
        (r"\bcat\b", "écat", "cats"),  # é is no word character there
        (r"^(?<w>a)\k<w>$", "aa", "ab"),
        (r"^[\d-]+$", "1-2", "1 2"),
        (r"^a\$$", "a$", "a"),
    ],
)
def test_regex_reads_javascript_syntax(pattern, good, bad):
    """Each pattern accepts ``good`` and refuses ``bad`` in Node, as here."""
    rule = {"s": {"_regex": pattern}}

    validate({"s": good}, [rule])
    assert failed({"s": bad}, rule)[0]["extensions"]["invalid"] == bad


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"s": {"_regex": "["}}, 'The validation rule on "s": invalid regular expression'),
        ({"n": {"_gt": "abc"}}, "The validation rule on \"n\": 'abc' is neither a number"),
        ({"n": {"_between": [1]}}, 'The validation rule on "n": _between needs two values'),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_a_server_fault(rule, reason):
    """Directus answers 500 as well: the rule is wrong, not the payload."""
    field = next(iter(rule))
    with pytest.raises(ValueError, match=reason.replace("(", r"\(")):
        validate({field: "x"}, [rule])


def test_an_object_key_is_skipped_when_the_value_is_no_object():
    """A related item sent as its key can't be checked here (Directus fails it as required)."""
    rule = {"author": {"status": {"_eq": "active"}}}

    validate({"author": 5}, [rule])
    validate({"author": None}, [rule])


def test_failures_of_a_nested_write_lead_their_path_with_it():
    rules = [{"name": {"_nnull": True}}, {"meta": {"lang": {"_in": ["en", "fr"]}}}]

    assert failed({"name": None, "meta": {"lang": "de"}}, *rules, nested=("author",)) == [
        error(
            'Validation failed for field "name" at "author". Value can\'t be null.',
            "name",
            "nnull",
            ("author",),
        ),
        error(
            'Validation failed for field "meta" at "author.lang". Value has to be one of '
            '"en", "fr".',
            "meta",
            "in",
            ("author", "lang"),
            valid=["en", "fr"],
        ),
    ]


@pytest.mark.parametrize(
    ("function", "value", "result"),
    [
        ("year", "2024-12-31T23:30:00-02:00", 2025),
        ("month", "2024-03-05", 3),
        ("day", "2024-03-05", 5),
        ("weekday", "2024-03-03", 0),  # a Sunday
        ("week", "2024-12-29", 1),  # the week holding 1 January 2025
        ("week", "2023-01-07", 1),
        ("week", "2023-01-08", 2),
        ("hour", "2024-03-05T17:04:09Z", 17),
        ("minute", "2024-03-05T17:04:09Z", 4),
        ("second", "2024-03-05T17:04:09Z", 9),
        ("count", ["a", "b"], 2),
    ],
)
def test_functions_read_the_field_they_name(function, value, result):
    key = f"{function}(f)"

    validate({"f": value}, [{key: {"_eq": result}}])
    assert failed({"f": value}, {key: {"_neq": result}})[0]["extensions"]["field"] == key


@pytest.fixture
def articles(db):
    cache = SchemaCache(db)
    CollectionsService(SchemaContext(db, cache)).create(
        {
            "collection": "articles",
            "schema": {},
            "fields": [
                {
                    "field": "id",
                    "type": "integer",
                    "schema": {"is_primary_key": True, "has_auto_increment": True},
                },
                {
                    "field": "title",
                    "type": "string",
                    "schema": {"is_nullable": False},
                    "meta": {"validation": {"title": {"_nempty": True}}},
                },
                {
                    "field": "status",
                    "type": "string",
                    "schema": {"is_nullable": False, "default_value": "draft"},
                },
                {
                    "field": "key",
                    "type": "uuid",
                    "schema": {"is_nullable": False},
                    "meta": {"special": ["uuid"]},
                },
                {
                    "field": "rating",
                    "type": "integer",
                    "meta": {"validation": {"rating": {"_between": [1, 5]}}},
                },
            ],
        }
    )
    return cache.get().collections["articles"]


def test_create_requires_fields_without_null_or_default_in_directus_order(articles):
    rules = field_rules(articles, "create")

    # Directus 12.4, on a collection shaped the same.
    assert failed({"status": None, "rating": 9}, *rules) == [
        error('Validation failed for field "title". Value is required.', "title", "required"),
        error('Validation failed for field "status". Value can\'t be null.', "status", "nnull"),
        error(
            'Validation failed for field "rating". Value has to be less than or equal to "5".',
            "rating",
            "lte",
            valid=5,
        ),
    ]
    assert failed({"id": None, "title": "", "key": None}, *rules) == [
        error('Validation failed for field "id". Value can\'t be null.', "id", "nnull"),
        error('Validation failed for field "title". Value can\'t be empty.', "title", "nempty"),
    ]
    validate({"title": "Hello"}, rules)


def test_update_only_refuses_null(articles):
    rules = field_rules(articles, "update")

    validate({"rating": 3}, rules)
    assert failed({"title": None}, *rules) == [
        error('Validation failed for field "title". Value can\'t be null.', "title", "nnull")
    ]
