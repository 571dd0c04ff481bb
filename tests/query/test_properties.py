"""Properties over generated input: the parser answers with a Query or INVALID_QUERY, nothing else.

Two kinds of input are generated: arbitrary JSON-like values, and values built from the query
grammar (real operators, field expressions, variables) so that many of them parse and the
checks behind the first one are reached too.
"""

from __future__ import annotations

import json
from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.errors import InvalidQueryError
from tessera.query import Query, parse_query
from tessera.query.model import Operator

PARAMETERS = [
    "fields",
    "filter",
    "search",
    "sort",
    "limit",
    "offset",
    "page",
    "aggregate",
    "groupBy",
    "deep",
    "alias",
    "meta",
    "backlink",
]
FIELDS = ["title", "author.name", "item:headings", "year(date)", "count(c)", "*", "a..b", "x y"]
VARIABLES = ["$NOW", "$NOW(-1 day)", "$NOW(+2 fortnights)", "$CURRENT_USER.role", "$CURRENT_ROLES"]
POINT = {"type": "Point", "coordinates": [1.5, 2]}
VOCABULARY = [
    *get_args(Operator), "_and", "_or", "_some", "_none", "_json", "_filter", "_limit", "_sort",
    "_page", "_fields", *FIELDS, *VARIABLES, "-date", "count", "sum", "countAll", "total_count",
    "1,2", "true", "false", "-1", "0", "10", "1.5", "", "type", "Point", "coordinates",
]  # fmt: skip

keys = st.sampled_from(VOCABULARY + PARAMETERS) | st.text(max_size=8)


def json_like(floats: st.SearchStrategy[float]) -> st.SearchStrategy[object]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | floats
        | st.text(max_size=10)
        | st.sampled_from(VOCABULARY)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=25,
    )


anything = json_like(st.floats())
# NaN and infinities have no JSON text, so only finite numbers can make the round trip.
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
anything_with_json_text = json_like(finite_floats)

operands = (
    st.integers(-(2**64), 2**64)
    | finite_floats
    | st.booleans()
    | st.none()
    | st.text(max_size=6)
    | st.sampled_from(VARIABLES)
)
operator_objects = st.dictionaries(
    st.sampled_from(get_args(Operator)),
    operands | st.lists(operands, max_size=3) | st.just(POINT),
    min_size=1,
    max_size=2,
)
# Mostly names that exist in the grammar, some that do not.
field_keys = st.sampled_from(["title", "tags", "author.name", "item:headings", "count(c)", "a..b"])


def _nest(inner: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    groups = st.lists(inner, min_size=1, max_size=3)
    json_conditions = st.dictionaries(
        st.sampled_from(["a", "a.b[0]"]), operator_objects, max_size=2
    )
    return (
        st.fixed_dictionaries({"_and": groups})
        | st.fixed_dictionaries({"_or": groups})
        | st.dictionaries(field_keys, inner, min_size=1, max_size=2)
        | st.dictionaries(field_keys, st.fixed_dictionaries({"_some": inner}), max_size=1)
        | st.fixed_dictionaries({"m": st.fixed_dictionaries({"_json": json_conditions})})
    )


filters = st.recursive(
    st.dictionaries(field_keys, operator_objects | operands, min_size=1, max_size=2),
    _nest,
    max_leaves=12,
)
name_lists = st.lists(st.sampled_from([*FIELDS, "-title", "json(meta, a)"]), max_size=3)
numbers = st.integers(-3, 10**6) | st.sampled_from(["5", "-1", "0", "1.5", "x", ""])
deep = st.dictionaries(
    st.sampled_from(["tags", "_limit", "item:headings"]),
    st.fixed_dictionaries(
        {}, optional={"_filter": filters, "_limit": numbers, "_page": numbers, "_sort": name_lists}
    ),
    max_size=2,
)

grammar_parameters = {
    "fields": name_lists | name_lists.map(",".join),
    "filter": filters | filters.map(json.dumps),
    "search": st.text(max_size=5),
    "sort": name_lists | name_lists.map(",".join),
    "limit": numbers,
    "offset": numbers,
    "page": numbers,
    "aggregate": st.dictionaries(st.sampled_from(["count", "sum", "countAll"]), name_lists),
    "groupBy": name_lists,
    "deep": deep | deep.map(json.dumps),
    "alias": st.dictionaries(st.sampled_from(["a", "b.c"]), st.sampled_from(FIELDS)),
    "meta": st.sampled_from(["*", "total_count", "nope", ""]),
    "backlink": st.sampled_from([True, "false", "nope"]),
}
# One or two parameters at a time: a query with many is refused for its first bad one.
grammar_queries = st.lists(
    st.one_of([st.fixed_dictionaries({k: v}) for k, v in grammar_parameters.items()]),
    min_size=1,
    max_size=2,
).map(lambda parts: {k: v for part in parts for k, v in part.items()})
arbitrary_queries = st.dictionaries(
    st.sampled_from(PARAMETERS) | st.text(max_size=6),
    anything | anything.map(json.dumps),
    max_size=7,
)


def parse(raw, limit_max=None):
    return parse_query(raw, limit_default=100, limit_max=limit_max, max_filter_depth=6)


def outcome(raw) -> Query | str:
    try:
        return parse(raw)
    except InvalidQueryError as error:
        return error.extensions["reason"]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(arbitrary_queries | grammar_queries, st.sampled_from([None, 1, 500]))
def test_any_input_parses_or_is_an_invalid_query(raw, limit_max):
    try:
        query = parse(raw, limit_max=limit_max)
    except InvalidQueryError:
        return
    assert isinstance(query, Query)
    assert hash(query) == hash(parse(raw, limit_max=limit_max))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(["filter", "deep", "alias", "aggregate"]),
    st.dictionaries(keys, anything_with_json_text, max_size=4) | filters | deep,
)
def test_an_object_as_json_text_means_what_the_object_means(name, value):
    """The REST form of a JSON parameter and the MCP form agree, in success and in failure."""
    assert outcome({name: json.dumps(value)}) == outcome({name: value})
