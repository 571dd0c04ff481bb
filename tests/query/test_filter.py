"""The filter parameter: tree shape, every operator's accepted and refused values, variables."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from tessera.errors import InvalidQueryError
from tessera.query import (
    Adjustment,
    And,
    Condition,
    DynamicVariable,
    Geometry,
    Or,
    Relational,
    parse_query,
)
from tessera.query.model import Operator

POINT = {"type": "Point", "coordinates": [4.35, 50.85]}


def parse_filter(raw, **options):
    return parse_query({"filter": raw}, limit_default=100, limit_max=None, **options).filter


def refusal(raw, **options) -> str:
    with pytest.raises(InvalidQueryError) as info:
        parse_filter(raw, **options)
    return info.value.extensions["reason"]


def only(operator, value, path=("f",)):
    return Condition(path, None, operator, value)


# --- shape -----------------------------------------------------------------------------


def test_a_field_rule_is_one_condition():
    assert parse_filter({"title": {"_eq": "Hello"}}) == only("_eq", "Hello", ("title",))


def test_a_bare_value_means_eq():
    assert parse_filter({"id": 1}) == parse_filter({"id": {"_eq": 1}})
    assert parse_filter({"id": None}) == only("_eq", None, ("id",))


def test_the_json_text_form_equals_the_object_form():
    raw = {"_or": [{"a": {"_in": [1, 2]}}, {"b": {"c": {"_null": True}}}]}
    assert parse_filter(json.dumps(raw)) == parse_filter(raw)


@pytest.mark.parametrize("raw", [{}, "{}", {"_and": []}, '{"_and": [{}]}'])
def test_a_filter_that_asks_nothing_is_no_filter(raw):
    assert parse_filter(raw) is None


def test_several_keys_are_all_required_in_order():
    assert parse_filter({"a": {"_eq": 1, "_neq": 2}, "b": 3}) == And(
        (only("_eq", 1, ("a",)), only("_neq", 2, ("a",)), only("_eq", 3, ("b",)))
    )


def test_and_or_nest():
    assert parse_filter({"_or": [{"a": 1}, {"_and": [{"b": 2}, {"c": 3}]}]}) == Or(
        (
            only("_eq", 1, ("a",)),
            And((only("_eq", 2, ("b",)), only("_eq", 3, ("c",)))),
        )
    )


def test_nested_groups_of_the_same_kind_are_one_group():
    assert parse_filter({"a": 1, "_and": [{"b": 2}, {"_and": [{"c": 3}, {}]}]}) == And(
        (only("_eq", 1, ("a",)), only("_eq", 2, ("b",)), only("_eq", 3, ("c",)))
    )
    assert parse_filter({"_or": [{"_or": [{"a": 1}, {"b": 2}]}, {"c": 3}]}) == Or(
        (only("_eq", 1, ("a",)), only("_eq", 2, ("b",)), only("_eq", 3, ("c",)))
    )


def test_a_group_of_one_is_its_member():
    assert parse_filter({"_and": [{"_or": [{"a": 1}]}]}) == only("_eq", 1, ("a",))


def test_an_empty_object_inside_or_matches_everything_as_in_directus():
    assert parse_filter({"_or": [{"a": 1}, {}]}) == Or((only("_eq", 1, ("a",)), And(())))


def test_and_or_under_a_field_apply_to_that_field():
    assert parse_filter({"title": {"_or": [{"_eq": "a"}, {"_starts_with": "b"}]}}) == Or(
        (only("_eq", "a", ("title",)), only("_starts_with", "b", ("title",)))
    )


def test_relations_nest_into_one_path():
    expected = only("_eq", "Ada", ("author", "name"))
    assert parse_filter({"author": {"name": {"_eq": "Ada"}}}) == expected
    assert parse_filter({"author.name": {"_eq": "Ada"}}) == expected  # Directus refuses this one


def test_some_and_none_start_a_relative_filter():
    assert parse_filter({"comments": {"_some": {"approved": True}}}) == Relational(
        ("comments",), "some", only("_eq", True, ("approved",))
    )
    assert parse_filter({"a": {"tags": {"_none": {"name": {"_in": "x,y"}}}}}) == Relational(
        ("a", "tags"), "none", only("_in", ("x", "y"), ("name",))
    )


def test_many_to_any_collection_scope_is_one_step():
    assert parse_filter({"item:headings": {"title": {"_eq": "x"}}}) == only(
        "_eq", "x", ("item:headings", "title")
    )


@pytest.mark.parametrize(
    "key", ["year(date)", "month(date)", "week(date)", "day(date)", "weekday(date)"]
)
def test_date_functions_in_keys(key):
    function = key.split("(")[0]
    assert parse_filter({key: {"_eq": 3}}) == Condition(("date",), function, "_eq", 3)


@pytest.mark.parametrize("function", ["hour", "minute", "second", "count"])
def test_other_functions_in_keys(function):
    assert parse_filter({f"{function}(x)": {"_gt": 1}}) == Condition(("x",), function, "_gt", 1)


def test_a_function_inside_a_relation_may_be_written_three_ways():
    expected = Condition(("author", "birth"), "year", "_lt", 1990)
    assert parse_filter({"author": {"year(birth)": {"_lt": 1990}}}) == expected
    assert parse_filter({"author.year(birth)": {"_lt": 1990}}) == expected
    assert parse_filter({"year(author.birth)": {"_lt": 1990}}) == expected


def test_a_function_key_takes_logical_groups_of_operators():
    assert parse_filter({"year(d)": {"_or": [{"_eq": 2020}, {"_eq": 2022}]}}) == Or(
        (Condition(("d",), "year", "_eq", 2020), Condition(("d",), "year", "_eq", 2022))
    )


# --- every operator --------------------------------------------------------------------

ACCEPTED = [
    ("_eq", "x", "x"),
    ("_eq", 1, 1),
    ("_eq", 1.5, 1.5),
    ("_eq", True, True),
    ("_eq", None, None),
    ("_eq", -(2**63), -(2**63)),
    ("_neq", "x", "x"),
    ("_neq", None, None),
    ("_ieq", "Hello", "Hello"),
    ("_nieq", "Hello", "Hello"),
    ("_lt", 5, 5),
    ("_lte", "2020-01-01", "2020-01-01"),
    ("_gt", 2.5, 2.5),
    ("_gte", "$NOW", DynamicVariable("NOW")),
    ("_in", [1, 2], (1, 2)),
    ("_in", "1,2", ("1", "2")),
    ("_in", ["a"], ("a",)),
    ("_in", "a", ("a",)),
    ("_in", [True, False], (True, False)),
    ("_in", 1, (1,)),  # Directus wraps a single value
    ("_in", {"0": 1, "600": 2}, (1, 2)),  # qs gives a long list as an object
    ("_eq", "null", None),  # the query string's way to say null
    ("_neq", "NULL", None),
    ("_nin", [1.5, "b"], (1.5, "b")),
    ("_null", True, True),
    ("_null", "true", True),
    ("_null", "false", False),
    ("_nnull", False, False),
    ("_nnull", "true", True),
    ("_empty", True, True),
    ("_nempty", "false", False),
    ("_contains", "ab", "ab"),
    ("_ncontains", "ab", "ab"),
    ("_icontains", "Ab", "Ab"),
    ("_nicontains", "Ab", "Ab"),
    ("_starts_with", "a", "a"),
    ("_nstarts_with", "a", "a"),
    ("_istarts_with", "a", "a"),
    ("_nistarts_with", "a", "a"),
    ("_ends_with", "z", "z"),
    ("_nends_with", "z", "z"),
    ("_iends_with", "z", "z"),
    ("_niends_with", "z", "z"),
    ("_between", [1, 5], (1, 5)),
    ("_between", "1,5", ("1", "5")),
    (
        "_between",
        ["$NOW(-7 days)", "$NOW"],
        (
            DynamicVariable("NOW", adjustment=Adjustment(-7, "days")),
            DynamicVariable("NOW"),
        ),
    ),
    ("_nbetween", ["a", "m"], ("a", "m")),
    ("_intersects", POINT, Geometry('{"type":"Point","coordinates":[4.35,50.85]}')),
    ("_nintersects", json.dumps(POINT), Geometry('{"type":"Point","coordinates":[4.35,50.85]}')),
    (
        "_intersects_bbox",
        {"type": "Feature", "geometry": POINT, "properties": {}},
        Geometry('{"type":"Point","coordinates":[4.35,50.85]}'),
    ),
    (
        "_nintersects_bbox",
        {
            "type": "Polygon",
            "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]],
            "bbox": [0, 0, 1, 1],
        },
        Geometry('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}'),
    ),
    ("_regex", "^a.*z$", "^a.*z$"),
    ("_submitted", True, True),
]


@pytest.mark.parametrize(("operator", "raw", "value"), ACCEPTED)
def test_accepted_values(operator, raw, value):
    assert parse_filter({"f": {operator: raw}}) == only(operator, value)


def test_every_operator_has_an_accepted_value_above():
    assert {operator for operator, _, _ in ACCEPTED} == set(get_args(Operator))


REFUSED = [
    ("_eq", [1], '"_eq" takes a text or a number at "filter.f._eq"'),
    ("_eq", {"a": 1}, '"_eq" takes a text or a number at "filter.f._eq"'),
    (
        "_eq",
        "",
        '"_eq" can\'t look for an empty text (use "_empty" or "_nempty") at "filter.f._eq"',
    ),
    ("_eq", 2**63, 'The number for "_eq" is out of range at "filter.f._eq"'),
    ("_eq", float("nan"), 'The number for "_eq" is not valid at "filter.f._eq"'),
    ("_neq", float("inf"), 'The number for "_neq" is not valid at "filter.f._neq"'),
    ("_ieq", 5, '"_ieq" takes a text at "filter.f._ieq"'),
    ("_lt", None, '"_lt" can\'t compare with null (use "_null") at "filter.f._lt"'),
    ("_lte", True, '"_lte" can\'t compare with true or false at "filter.f._lte"'),
    ("_gt", [1], '"_gt" takes a text or a number at "filter.f._gt"'),
    (
        "_gte",
        "",
        '"_gte" can\'t look for an empty text (use "_empty" or "_nempty") at "filter.f._gte"',
    ),
    ("_in", [], '"_in" takes a list of values at "filter.f._in"'),
    ("_in", {}, '"_in" takes a list of values at "filter.f._in"'),
    ("_in", [[1]], '"_in" takes a text or a number at "filter.f._in[0]"'),
    ("_in", [1, {}], '"_in" takes a text or a number at "filter.f._in[1]"'),
    ("_in", [None], '"_in" can\'t compare with null (use "_null") at "filter.f._in[0]"'),
    (
        "_in",
        "",
        '"_in" can\'t look for an empty text (use "_empty" or "_nempty") at "filter.f._in"',
    ),
    (
        "_nin",
        "a,,b",
        '"_nin" can\'t look for an empty text (use "_empty" or "_nempty") at "filter.f._nin"',
    ),
    ("_null", "yes", '"_null" takes true or false at "filter.f._null"'),
    ("_null", None, '"_null" takes true or false at "filter.f._null"'),
    ("_null", "", '"_null" takes true or false at "filter.f._null"'),
    ("_nnull", 1, '"_nnull" takes true or false at "filter.f._nnull"'),
    ("_empty", "True", '"_empty" takes true or false at "filter.f._empty"'),
    ("_nempty", [True], '"_nempty" takes true or false at "filter.f._nempty"'),
    ("_contains", 1, '"_contains" takes a text at "filter.f._contains"'),
    ("_ncontains", None, '"_ncontains" takes a text at "filter.f._ncontains"'),
    (
        "_icontains",
        "",
        '"_icontains" can\'t look for an empty text (use "_empty" or "_nempty") '
        'at "filter.f._icontains"',
    ),
    ("_starts_with", ["a"], '"_starts_with" takes a text at "filter.f._starts_with"'),
    ("_niends_with", True, '"_niends_with" takes a text at "filter.f._niends_with"'),
    ("_between", [1], '"_between" takes exactly two values at "filter.f._between"'),
    ("_between", "1", '"_between" takes exactly two values at "filter.f._between"'),
    ("_between", [1, 2, 3], '"_between" takes exactly two values at "filter.f._between"'),
    (
        "_between",
        [None, 2],
        '"_between" can\'t compare with null (use "_null") at "filter.f._between[0]"',
    ),
    (
        "_nbetween",
        [True, False],
        '"_nbetween" can\'t compare with true or false at "filter.f._nbetween[0]"',
    ),
    ("_nbetween", 5, '"_nbetween" takes exactly two values at "filter.f._nbetween"'),
    ("_intersects", 5, '"filter.f._intersects" must be a GeoJSON geometry'),
    ("_intersects", "oops", 'Invalid JSON at "filter.f._intersects"'),
    ("_intersects", {"type": "Point"}, '"filter.f._intersects" has malformed GeoJSON coordinates'),
    (
        "_nintersects",
        {"type": "Circle", "coordinates": [1, 2]},
        '"filter.f._nintersects" has no GeoJSON geometry type',
    ),
    (
        "_intersects",
        {"type": "Point", "coordinates": [1]},
        '"filter.f._intersects" has a GeoJSON position that is not 2 or 3 numbers',
    ),
    (
        "_intersects",
        {"type": "Point", "coordinates": ["1", "2"]},
        '"filter.f._intersects" has a GeoJSON position that is not 2 or 3 numbers',
    ),
    (
        "_intersects",
        {"type": "Point", "coordinates": [True, 2]},
        '"filter.f._intersects" has a GeoJSON position that is not 2 or 3 numbers',
    ),
    (
        "_intersects",
        {"type": "Polygon", "coordinates": [[0, 0], [1, 1]]},
        '"filter.f._intersects" has malformed GeoJSON coordinates',
    ),
    (
        "_intersects",
        {"type": "GeometryCollection", "geometries": []},
        '"filter.f._intersects" needs a list of geometries',
    ),
    (
        "_intersects",
        {
            "type": "GeometryCollection",
            "geometries": [{"type": "GeometryCollection", "geometries": [POINT]}],
        },
        '"filter.f._intersects" has no GeoJSON geometry type',
    ),
    (
        "_intersects",
        {"type": "Feature", "geometry": None},
        '"filter.f._intersects" must be a GeoJSON geometry',
    ),
    ("_regex", "", '"_regex" takes a regular expression at "filter.f._regex"'),
    ("_regex", 5, '"_regex" takes a regular expression at "filter.f._regex"'),
    ("_submitted", "x", '"_submitted" takes true or false at "filter.f._submitted"'),
]


@pytest.mark.parametrize(("operator", "raw", "reason"), REFUSED)
def test_refused_values(operator, raw, reason):
    assert refusal({"f": {operator: raw}}) == reason


def test_a_geometry_collection_is_accepted():
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1.5, 2]]}
    value = parse_filter(
        {"f": {"_intersects": {"type": "GeometryCollection", "geometries": [POINT, line]}}}
    ).value
    assert json.loads(value.geojson) == {"type": "GeometryCollection", "geometries": [POINT, line]}


# --- refused shapes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"title": {"_equals": "x"}}, 'Unknown filter operator "_equals" at "filter.title"'),
        (
            {"_and": [{"author": {"name": {"_like": "x"}}}]},
            'Unknown filter operator "_like" at "filter._and[0].author.name"',
        ),
        ({"_eq": 1}, 'Filter operator "_eq" must follow a field at "filter"'),
        ({"_some": {"a": 1}}, '"_some" must follow a field at "filter"'),
        ({"_json": {"a": {"_eq": 1}}}, '"_json" must follow a field at "filter"'),
        ({"year(d)": {"_none": {}}}, '"_none" must follow a field at "filter.year(d)"'),
        ({"tags": {"_some": [1]}}, '"filter.tags._some" must be an object'),
        ({"_and": {"a": 1}}, '"_and" takes a list of filters at "filter._and"'),
        ({"_or": []}, '"_or" needs at least one filter at "filter._or"'),
        ({"_or": [1]}, '"filter._or[0]" must be an object'),
        ({"foo(date)": {"_eq": 1}}, 'Unknown function "foo" at "filter.foo(date)"'),
        (
            {"json(meta, a)": {"_eq": 1}},
            'Use the "_json" operator, not json(), at "filter.json(meta, a)"',
        ),
        (
            {"year(d)": {"x": {"_eq": 1}}},
            'A function\'s result has no field "x" at "filter.year(d)"',
        ),
        ({"": {"_eq": 1}}, 'Invalid field "" at "filter."'),
        ({"a b": 1}, 'Invalid field "a b" at "filter.a b"'),
        ({"id": [1, 2]}, '"_eq" takes a text or a number at "filter.id"'),
        ("oops", 'Invalid JSON at "filter"'),
        ('{"a": NaN}', 'Invalid JSON at "filter"'),
        ("[1]", '"filter" must be an object'),
        ("1", '"filter" must be an object'),
        ("null", '"filter" must be an object'),
        ([{"id": 1}], '"filter" must be an object'),
        ({1: {"_eq": 1}}, '"filter" can only have text keys'),
        ({"a": {1: 2}}, '"filter.a" can only have text keys'),
    ],
)
def test_refused_filters(raw, reason):
    assert refusal(raw) == reason


# --- _json -----------------------------------------------------------------------------


def test_json_conditions_look_inside_a_json_field():
    assert parse_filter(
        {"meta": {"_json": {"colour": {"_eq": "red"}, "size.w[0]": {"_gt": 3}}}}
    ) == And(
        (
            Condition(("meta",), None, "_eq", "red", ("colour",)),
            Condition(("meta",), None, "_gt", 3, ("size", "w", 0)),
        )
    )


def test_json_conditions_group_with_and_or():
    assert parse_filter(
        {"meta": {"_json": {"_or": [{"a": {"_null": True}}, {"b": {"_in": [1, 2]}}]}}}
    ) == Or(
        (
            Condition(("meta",), None, "_null", True, ("a",)),
            Condition(("meta",), None, "_in", (1, 2), ("b",)),
        )
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            {"a": {"b": {"_eq": 1}}},
            'Write the whole JSON path in one key, as "a.b", at "filter.m._json.a"',
        ),
        (
            {"a": {"_some": {}}},
            'Filter operator "_some" can\'t be used in "_json" at "filter.m._json.a"',
        ),
        (
            {"a": {"_regex": "x"}},
            'Filter operator "_regex" can\'t be used in "_json" at "filter.m._json.a"',
        ),
        (
            {"a": {"_json": {}}},
            'Filter operator "_json" can\'t be used in "_json" at "filter.m._json.a"',
        ),
        ({"a..b": {"_eq": 1}}, 'Invalid JSON path "a..b" at "filter.m._json.a..b"'),
        ({"": {"_eq": 1}}, 'Invalid JSON path "" at "filter.m._json."'),
        ({"a": 1}, '"filter.m._json.a" must be an object'),
        ({"a": {"_in": []}}, '"_in" takes a list of values at "filter.m._json.a._in"'),
        ({"_or": []}, '"_or" needs at least one filter at "filter.m._json._or"'),
        ([], '"filter.m._json" must be an object'),
    ],
)
def test_refused_json_filters(raw, reason):
    assert refusal({"m": {"_json": raw}}) == reason


# --- depth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"_and": [{"_or": [{"a": 1}]}]},
        {"a": {"b": {"c": {"_eq": 1}}}},
        {"a.b.c": 1},
        {"a": {"_some": {"b": {"_none": {"c": 1}}}}},
        {"_or": [{"a": {"b": 1}}]},
        {"m": {"_json": {"_and": [{"_or": [{"x": {"_eq": 1}}]}]}}},
    ],
)
def test_three_levels_fit_a_limit_of_three(raw):
    assert parse_filter(raw, max_filter_depth=3) is not None


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"_and": [{"_or": [{"_and": [{"a": 1}]}]}]}, "filter._and[0]._or[0]._and[0]"),
        ({"a": {"b": {"c": {"d": {"_eq": 1}}}}}, "filter.a.b.c.d"),
        ({"a.b.c.d": 1}, "filter.a.b.c.d"),
        ({"a": {"_some": {"b": {"_none": {"c": {"d": 1}}}}}}, "filter.a._some.b._none.c.d"),
        ({"_or": [{"a": {"b": {"c": 1}}}]}, "filter._or[0].a.b.c"),
        (
            {"m": {"_json": {"_and": [{"_or": [{"_and": [{"x": {"_eq": 1}}]}]}]}}},
            "filter.m._json._and[0]._or[0]._and[0]",
        ),
    ],
)
def test_four_levels_exceed_a_limit_of_three(raw, where):
    assert refusal(raw, max_filter_depth=3) == (
        f'The filter is nested deeper than the limit of 3 at "{where}"'
    )


def test_a_deep_level_filter_has_the_same_depth_limit():
    raw = {"deep": {"tags": {"_filter": {"a": {"b": {"_eq": 1}}}}}}
    with pytest.raises(InvalidQueryError) as info:
        parse_query(raw, limit_default=10, limit_max=None, max_filter_depth=1)
    assert info.value.extensions["reason"] == (
        'The filter is nested deeper than the limit of 1 at "deep.tags._filter.a.b"'
    )


def test_the_default_depth_takes_a_realistic_filter():
    raw = {"_and": [{"_or": [{"author": {"company": {"country": {"code": {"_eq": "BE"}}}}}]}]}
    assert parse_filter(raw) is not None


@pytest.mark.parametrize("key", ["_and", "a"])
def test_absurdly_deep_objects_are_refused_without_recursing(key):
    raw: object = {"a": 1}
    for _ in range(100_000):
        raw = {key: [raw]} if key == "_and" else {key: raw}
    assert refusal(raw).startswith("The filter is nested deeper than the limit of 16 at")


def test_absurdly_deep_json_text_is_refused():
    assert refusal('{"a":' * 100_000 + "1" + "}" * 100_000) == (
        'The JSON at "filter" is nested too deeply'
    )
    assert refusal('{"a":' * 100 + "1" + "}" * 100).startswith("The filter is nested deeper")


# --- dynamic variables -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("$NOW", DynamicVariable("NOW")),
        ("$NOW(-1 day)", DynamicVariable("NOW", adjustment=Adjustment(-1, "days"))),
        ("$NOW(+2 hours)", DynamicVariable("NOW", adjustment=Adjustment(2, "hours"))),
        ("$NOW(1.5h)", DynamicVariable("NOW", adjustment=Adjustment(1.5, "hours"))),
        ("$NOW(-3)", DynamicVariable("NOW", adjustment=Adjustment(-3, "days"))),
        ("$NOW( - 1 YEAR )", DynamicVariable("NOW", adjustment=Adjustment(-1, "years"))),
        ("$NOW(+6 mo)", DynamicVariable("NOW", adjustment=Adjustment(6, "months"))),
        ("$NOW(2w)", DynamicVariable("NOW", adjustment=Adjustment(2, "weeks"))),
        ("$NOW(-30 min)", DynamicVariable("NOW", adjustment=Adjustment(-30, "minutes"))),
        ("$NOW(-30m)", DynamicVariable("NOW", adjustment=Adjustment(-30, "minutes"))),
        ("$NOW(+10 secs)", DynamicVariable("NOW", adjustment=Adjustment(10, "seconds"))),
        ("$NOW(500ms)", DynamicVariable("NOW", adjustment=Adjustment(500, "milliseconds"))),
        ("$CURRENT_USER", DynamicVariable("CURRENT_USER")),
        ("$CURRENT_USER.department.name", DynamicVariable("CURRENT_USER", ("department", "name"))),
        ("$CURRENT_ROLE", DynamicVariable("CURRENT_ROLE")),
        ("$CURRENT_ROLE.name", DynamicVariable("CURRENT_ROLE", ("name",))),
        ("$CURRENT_ROLES", DynamicVariable("CURRENT_ROLES")),
        ("$CURRENT_POLICIES", DynamicVariable("CURRENT_POLICIES")),
        ("$CURRENT_POLICIES.name", DynamicVariable("CURRENT_POLICIES", ("name",))),
    ],
)
def test_dynamic_variables(text, variable):
    assert parse_filter({"f": {"_eq": text}}) == only("_eq", variable)


def test_dynamic_variables_in_lists_and_comma_separated_text():
    roles = DynamicVariable("CURRENT_ROLES")
    assert parse_filter({"role": {"_in": "$CURRENT_ROLES"}}).value == (roles,)
    assert parse_filter({"role": {"_in": ["$CURRENT_ROLE", "x"]}}).value == (
        DynamicVariable("CURRENT_ROLE"),
        "x",
    )


def test_a_dollar_that_is_no_variable_stays_text():
    assert parse_filter({"price": {"_eq": "$100"}}) == only("_eq", "$100", ("price",))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "$NOW(-1 fortnight)",
            'Invalid $NOW adjustment "-1 fortnight" (try "-1 day" or "+2 hours")',
        ),
        ("$NOW(garbage)", 'Invalid $NOW adjustment "garbage" (try "-1 day" or "+2 hours")'),
        ("$NOW()", 'Invalid $NOW adjustment "" (try "-1 day" or "+2 hours")'),
        ("$NOW(--1 day)", 'Invalid $NOW adjustment "--1 day" (try "-1 day" or "+2 hours")'),
        ("$NOW(-1.5 months)", '"-1.5 months" needs a whole number of months'),
        ("$NOW(+20000 years)", '$NOW adjustment "+20000 years" is too large'),
        (
            "$NOW(" + "9" * 40 + " ms)",
            f'Invalid $NOW adjustment "{"9" * 40} ms" (try "-1 day" or "+2 hours")',
        ),
        ("$NOWX", 'Unknown dynamic variable "$NOWX"'),
        ("$NOW(-1 day)x", 'Unknown dynamic variable "$NOW(-1 day)x"'),
        ("$CURRENT_USERS", 'Unknown dynamic variable "$CURRENT_USERS"'),
        ("$CURRENT_THING", 'Unknown dynamic variable "$CURRENT_THING"'),
        ("$CURRENT_USER.", 'Unknown dynamic variable "$CURRENT_USER."'),
        ("$CURRENT_USER.a..b", 'Invalid field "a..b"'),
    ],
)
def test_bad_dynamic_variables(text, reason):
    assert refusal({"f": {"_eq": text}}) == f'{reason} at "filter.f._eq"'
