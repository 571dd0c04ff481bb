"""parse_query: every parameter in its REST (text) and MCP (native) forms, defaults and errors."""

from __future__ import annotations

import json

import pytest

from tessera.errors import InvalidQueryError
from tessera.query import (
    Condition,
    FieldRef,
    FrozenMap,
    Query,
    SortKey,
    parse_query,
)
from tessera.query.model import AggregateFunction
from tessera.query.parse import AGGREGATE_FUNCTIONS, MAX_NUMBER


def parse(raw, *, limit_default=100, limit_max=None, **depths):
    return parse_query(raw, limit_default=limit_default, limit_max=limit_max, **depths)


def refusal(raw, **options) -> str:
    with pytest.raises(InvalidQueryError) as info:
        parse(raw, **options)
    return info.value.extensions["reason"]


def test_an_empty_query_reads_every_field_up_to_the_default_limit():
    assert parse({}) == Query(
        fields=(FieldRef(("*",)),),
        filter=None,
        search=None,
        sort=(),
        limit=100,
        offset=0,
        page=None,
        aggregate=FrozenMap(),
        group_by=(),
        deep=FrozenMap(),
        alias=FrozenMap(),
        meta=frozenset(),
        backlink=True,
    )


def test_null_parameters_take_their_defaults():
    keys = ["fields", "filter", "search", "sort", "limit", "offset", "page", "aggregate"]
    keys += ["groupBy", "deep", "alias", "meta", "backlink"]
    assert parse(dict.fromkeys(keys)) == parse({})


def test_keys_it_does_not_know_are_ignored_as_directus_does():
    assert parse({"access_token": "secret", "export": "csv", "_": "17"}) == parse({})


def test_content_versions_are_refused_rather_than_silently_ignored():
    assert refusal({"version": "draft"}) == '"version": content versions are not supported'


@pytest.mark.parametrize("raw", [None, [], "limit=1", 5])
def test_the_query_itself_must_be_an_object(raw):
    assert refusal(raw) == "The query must be an object"


def test_the_error_is_invalid_query_with_directus_message_shape():
    with pytest.raises(InvalidQueryError) as info:
        parse({"limit": "abc"})
    assert info.value.to_dict() == {
        "message": 'Invalid query. "limit" must be a number.',
        "extensions": {"code": "INVALID_QUERY", "reason": '"limit" must be a number'},
    }


# --- limit -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["10", 10, 10.0, "+10", "010"])
def test_limit_as_text_or_number(raw):
    assert parse({"limit": raw}).limit == 10


def test_limit_zero_reads_nothing():
    assert parse({"limit": 0}).limit == 0


def test_limit_minus_one_is_no_limit_without_a_cap():
    assert parse({"limit": "-1"}).limit is None


def test_limit_minus_one_is_the_cap_when_one_is_set():
    assert parse({"limit": -1}, limit_max=500).limit == 500


def test_the_default_limit_never_exceeds_the_cap():
    assert parse({}, limit_default=100, limit_max=50).limit == 50
    assert parse({}, limit_default=20, limit_max=50).limit == 20


def test_a_limit_over_the_cap_is_refused_as_directus_does():
    assert refusal({"limit": 51}, limit_max=50) == '"limit" must be at most 50'
    assert parse({"limit": 50}, limit_max=50).limit == 50


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abc", '"limit" must be a number'),
        ("0x10", '"limit" must be a number'),
        (" 10", '"limit" must be a number'),
        (True, '"limit" must be a number'),
        ([10], '"limit" must be a number'),
        ({"a": 1}, '"limit" must be a number'),
        (float("inf"), '"limit" must be a number'),
        (float("nan"), '"limit" must be a number'),
        ("1.5", '"limit" must be an integer'),
        ("1e3", '"limit" must be an integer'),
        (1.5, '"limit" must be an integer'),
        (-2, '"limit" must be -1 or more'),
        ("-2", '"limit" must be -1 or more'),
        (MAX_NUMBER + 1, f'"limit" must be at most {MAX_NUMBER}'),
        ("9" * 5000, f'"limit" must be at most {MAX_NUMBER}'),
        (1e300, f'"limit" must be at most {MAX_NUMBER}'),
    ],
)
def test_bad_limits(raw, reason):
    assert refusal({"limit": raw}) == reason


# --- offset and page -------------------------------------------------------------------


def test_offset_as_text_or_number():
    assert parse({"offset": "5"}).offset == parse({"offset": 5}).offset == 5


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(-1, '"offset" must be 0 or more'), ("x", '"offset" must be a number')],
)
def test_bad_offsets(raw, reason):
    assert refusal({"offset": raw}) == reason


@pytest.mark.parametrize(("page", "offset"), [(1, 0), (2, 10), ("3", 20), (10, 90)])
def test_page_turns_into_an_offset_of_whole_pages(page, offset):
    query = parse({"limit": 10, "page": page})
    assert (query.offset, query.page, query.limit) == (offset, int(page), 10)


def test_page_without_limit_uses_the_default_page_size():
    assert parse({"page": 2}, limit_default=25).offset == 25


def test_page_with_limit_minus_one_uses_the_cap():
    assert parse({"page": 3, "limit": -1}, limit_max=40).offset == 80


def test_first_page_of_an_unlimited_read_starts_at_zero():
    assert parse({"page": 1, "limit": -1}).offset == 0


def test_a_later_page_of_an_unlimited_read_is_refused():
    # Directus quietly returns every row for any page here.
    assert refusal({"page": 2, "limit": -1}) == '"page" beyond 1 needs a "limit" other than -1'


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (0, '"page" must be 1 or more'),  # Directus takes 0 and reads from a negative offset
        (-1, '"page" must be 1 or more'),
        ("1.5", '"page" must be an integer'),
        ("abc", '"page" must be a number'),
        (MAX_NUMBER, '"page" is too large'),
    ],
)
def test_bad_pages(raw, reason):
    assert refusal({"page": raw, "limit": 10}) == reason


def test_page_and_offset_together_are_refused():
    # Directus lets page win; the two disagree, so one of them is a mistake.
    assert refusal({"page": 2, "offset": 3}) == '"offset" and "page" can\'t be used together'


# --- fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["title,author.name", ["title", "author.name"], ["title,author.name"], " title , author.name "],
)
def test_fields_as_text_or_list(raw):
    assert parse({"fields": raw}).fields == (FieldRef(("title",)), FieldRef(("author", "name")))


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("*", FieldRef(("*",))),
        ("*.*", FieldRef(("*", "*"))),
        ("author.*", FieldRef(("author", "*"))),
        ("sections.item:headings.title", FieldRef(("sections", "item:headings", "title"))),
        ("year(date_created)", FieldRef(("date_created",), "year")),
        ("author.year(birth)", FieldRef(("author", "birth"), "year")),
        ("year(author.birth)", FieldRef(("author", "birth"), "year")),
        ("count(comments)", FieldRef(("comments",), "count")),
        ("json(meta, a.b[0])", FieldRef(("meta",), "json", ("a", "b", 0))),
        ("json(meta,[2].x)", FieldRef(("meta",), "json", (2, "x"))),
        ("author.json(meta, colour)", FieldRef(("author", "meta"), "json", ("colour",))),
    ],
)
def test_field_expressions(text, ref):
    assert parse({"fields": text}).fields == (ref,)


@pytest.mark.parametrize(
    "function", ["year", "month", "week", "day", "weekday", "hour", "minute", "second", "count"]
)
def test_every_function_in_fields(function):
    assert parse({"fields": f"{function}(x)"}).fields == (FieldRef(("x",), function),)


def test_json_paths_with_commas_stay_one_field():
    fields = parse({"fields": "id,json(meta, a.b),title"}).fields
    assert [ref.path for ref in fields] == [("id",), ("meta",), ("title",)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([], '"fields" can\'t be empty'),
        ("id,,title", '"fields[1]" can\'t be empty'),
        (["id", " "], '"fields[1]" can\'t be empty'),
        (5, '"fields" must be a text or a list of texts'),
        ({"a": 1}, '"fields" must be a text or a list of texts'),
        (["id", 5], '"fields[1]" must be a text'),
        ("year(date", 'Missing closing parenthesis at "fields[0]"'),
        ("year(date))", 'Unbalanced parenthesis at "fields[0]"'),
        ("year(month(date))", 'Functions can\'t be nested at "fields[0]"'),
        ("foo(id)", 'Unknown function "foo" at "fields[0]"'),
        ("year(date).x", 'Invalid function call "year(date).x" at "fields[0]"'),
        ("count(*)", 'Invalid field "*" at "fields[0]"'),
        ("a..b", 'Invalid field "a..b" at "fields[0]"'),
        ("a b", 'Invalid field "a b" at "fields[0]"'),
        ("item:", 'Invalid field "item:" at "fields[0]"'),
        ("json(meta)", 'json() takes a field and a path, as in json(data, a.b), at "fields[0]"'),
        ("json(meta, a..b)", 'Invalid JSON path "a..b" at "fields[0]"'),
        ("json(meta, a[-1])", 'Invalid JSON path "a[-1]" at "fields[0]"'),
        ("json(meta, a.*)", 'Invalid JSON path "a.*" at "fields[0]"'),
        (
            "json(meta, " + ".".join("k" * 11) + ")",
            f'JSON path "{".".join("k" * 11)}" is deeper than 10 steps at "fields[0]"',
        ),
    ],
)
def test_bad_fields(raw, reason):
    assert refusal({"fields": raw}) == reason


def test_field_paths_are_capped_at_the_relational_depth():
    assert parse({"fields": ".".join(["a"] * 10)}).fields[0].path == ("a",) * 10
    assert refusal({"fields": "x," + ".".join(["a"] * 11)}) == (
        '"fields[1]" goes deeper than 10 relations'
    )
    assert refusal({"fields": "*.*.*"}, max_relational_depth=2) == (
        '"fields[0]" goes deeper than 2 relations'
    )


# --- sort and groupBy ------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["-date,title", ["-date", "title"], ["-date,title"]])
def test_sort_as_text_or_list(raw):
    assert parse({"sort": raw}).sort == (
        SortKey(("date",), None, True),
        SortKey(("title",), None, False),
    )


def test_sort_through_relations_and_functions():
    assert parse({"sort": "author.name,-year(date),json(meta, rank)"}).sort == (
        SortKey(("author", "name"), None, False),
        SortKey(("date",), "year", True),
        SortKey(("meta",), "json", False, ("rank",)),
    )


def test_an_empty_sort_list_is_no_sort():
    assert parse({"sort": []}).sort == ()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-", '"sort[0]" needs a field after "-"'),
        ("*", 'Invalid field "*" at "sort[0]"'),
        ("title,", '"sort[1]" can\'t be empty'),
        (3, '"sort" must be a text or a list of texts'),
    ],
)
def test_bad_sorts(raw, reason):
    assert refusal({"sort": raw}) == reason


@pytest.mark.parametrize("raw", ["year(date),author", ["year(date)", "author"]])
def test_group_by_as_text_or_list(raw):
    assert parse({"groupBy": raw}).group_by == (FieldRef(("date",), "year"), FieldRef(("author",)))


def test_group_by_refuses_wildcards():
    assert refusal({"groupBy": "*"}) == 'Invalid field "*" at "groupBy[0]"'


# --- search, meta, backlink ------------------------------------------------------------


@pytest.mark.parametrize(("raw", "search"), [(" hello ", "hello"), ("", None), ("   ", None)])
def test_search_is_trimmed_and_empty_means_none(raw, search):
    assert parse({"search": raw}).search == search


def test_search_must_be_text():
    assert refusal({"search": 5}) == '"search" must be a text'


@pytest.mark.parametrize(
    ("raw", "meta"),
    [
        ("*", {"total_count", "filter_count"}),
        (["*"], {"total_count", "filter_count"}),
        ("total_count,filter_count", {"total_count", "filter_count"}),
        (["filter_count"], {"filter_count"}),
        ("total_count", {"total_count"}),
        ([], set()),
    ],
)
def test_meta(raw, meta):
    assert parse({"meta": raw}).meta == meta


def test_meta_names_the_bad_entry():
    assert refusal({"meta": "total_count,foo"}) == (
        '"meta[1]" must be total_count, filter_count or *'
    )


@pytest.mark.parametrize(("raw", "backlink"), [("false", False), (False, False), ("true", True)])
def test_backlink(raw, backlink):
    assert parse({"backlink": raw}).backlink is backlink


@pytest.mark.parametrize("raw", ["no", 0, "False"])
def test_bad_backlinks(raw):
    assert refusal({"backlink": raw}) == '"backlink" must be true or false'


# --- aggregate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"count": "*", "sum": "price,qty"},
        {"count": ["*"], "sum": ["price", "qty"]},
        '{"count": "*", "sum": ["price", "qty"]}',
    ],
)
def test_aggregate_forms(raw):
    assert parse({"aggregate": raw}).aggregate == {"count": ("*",), "sum": ("price", "qty")}


@pytest.mark.parametrize("function", sorted(AGGREGATE_FUNCTIONS - {"countAll"}))
def test_every_aggregate_function_takes_a_field(function: AggregateFunction):
    assert parse({"aggregate": {function: "rating"}}).aggregate == {function: ("rating",)}


def test_count_all_counts_items():
    assert parse({"aggregate": {"countAll": "*"}}).aggregate == {"countAll": ("*",)}


def test_an_empty_aggregate_is_none():
    assert parse({"aggregate": {}}).aggregate == FrozenMap()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"foo": "id"}, 'Unknown aggregate function "foo" at "aggregate.foo"'),
        ({"sum": "*"}, 'Only "count" takes "*" at "aggregate.sum[0]"'),
        ({"countAll": "id"}, '"countAll" counts items and takes "*" at "aggregate.countAll[0]"'),
        ({"sum": []}, '"aggregate.sum" can\'t be empty'),
        ({"sum": ""}, '"aggregate.sum" can\'t be empty'),
        (
            {"sum": "author.age"},
            'Aggregates take the collection\'s own fields at "aggregate.sum[0]"',
        ),
        ({"sum": "year(date)"}, 'Invalid field name "year(date)" at "aggregate.sum[0]"'),
        ({"count": 5}, '"aggregate.count" must be a text or a list of texts'),
        ("notjson", 'Invalid JSON at "aggregate"'),
        ("[1]", '"aggregate" must be an object'),
        ([1], '"aggregate" must be an object'),
    ],
)
def test_bad_aggregates(raw, reason):
    assert refusal({"aggregate": raw}) == reason


# --- alias -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"published_year": "year(date)", "other": "author"},
        '{"published_year": "year(date)", "other": "author"}',
    ],
)
def test_alias_forms(raw):
    assert parse({"alias": raw}).alias == {
        "published_year": FieldRef(("date",), "year"),
        "other": FieldRef(("author",)),
    }


def test_alias_of_a_json_value():
    assert parse({"alias": {"c": "json(meta, a.b)"}}).alias == {
        "c": FieldRef(("meta",), "json", ("a", "b"))
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"a.b": "title"}, 'Invalid field name "a.b" at "alias.a.b"'),
        ({"a:b": "title"}, 'Invalid alias name "a:b" at "alias.a:b"'),
        ({"name": "author.name"}, '"alias.name" can\'t point into a relation'),
        ({"name": 5}, '"alias.name" must name a field'),
        ({"name": ""}, '"alias.name" must name a field'),
        ({"name": "*"}, 'Invalid field "*" at "alias.name"'),
        ("{", 'Invalid JSON at "alias"'),
    ],
)
def test_bad_aliases(raw, reason):
    assert refusal({"alias": raw}) == reason


# --- deep ------------------------------------------------------------------------------


def test_deep_gives_each_relation_its_own_query():
    deep = parse(
        {
            "deep": {
                "translations": {
                    "_filter": {"languages_code": {"_eq": "en"}},
                    "_sort": "-id",
                    "_limit": 1,
                },
                "comments": {"_page": "2", "_limit": "5", "_search": "x"},
            }
        }
    ).deep
    assert deep == {
        "translations": Query(
            filter=Condition(("languages_code",), None, "_eq", "en"),
            sort=(SortKey(("id",), None, True),),
            limit=1,
        ),
        "comments": Query(search="x", limit=5, offset=5, page=2),
    }


def test_deep_levels_nest_and_take_the_default_limit():
    deep = parse(
        {
            "deep": '{"tags": {"tags_id": '
            '{"_offset": 3, "_groupBy": "name", "_aggregate": {"count": "*"}}}}'
        },
        limit_default=30,
    ).deep
    assert deep["tags"] == Query(
        limit=30,
        deep=FrozenMap(
            {
                "tags_id": Query(
                    limit=30,
                    offset=3,
                    group_by=(FieldRef(("name",)),),
                    aggregate=FrozenMap({"count": ("*",)}),
                )
            }
        ),
    )


def test_deep_limits_follow_the_same_cap():
    deep = parse({"deep": {"a": {"_limit": -1}, "b": {}}}, limit_max=40).deep
    assert (deep["a"].limit, deep["b"].limit) == (40, 40)


def test_deep_on_a_many_to_any_collection():
    assert "item:headings" in parse({"deep": {"item:headings": {"_limit": 2}}}).deep


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"a": {"_fields": ["id"]}}, '"_fields" can\'t be used in "deep" at "deep.a"'),
        ({"a": {"_deep": {}}}, '"_deep" can\'t be used in "deep" at "deep.a"'),
        ({"a": {"_meta": "*"}}, '"_meta" can\'t be used in "deep" at "deep.a"'),
        ({"a": {"_alias": {}}}, '"_alias" can\'t be used in "deep" at "deep.a"'),
        ({"a": {"_limt": 1}}, '"_limt" can\'t be used in "deep" at "deep.a"'),
        ({"_limit": 1}, '"deep" names relational fields first, not "_limit"'),
        ({"a": 5}, '"deep.a" must be an object'),
        ({"a": {"b": []}}, '"deep.a.b" must be an object'),
        ({"a.b": {}}, 'Invalid field name "a.b" at "deep.a.b"'),
        ({"a": {"_limit": "abc"}}, '"deep.a._limit" must be a number'),
        ({"a": {"_page": 0}}, '"deep.a._page" must be 1 or more'),
        ({"a": {"_sort": "-"}}, '"deep.a._sort[0]" needs a field after "-"'),
        (
            {"a": {"_filter": {"b": {"_equals": 1}}}},
            'Unknown filter operator "_equals" at "deep.a._filter.b"',
        ),
        ({"a": {"_filter": "oops"}}, 'Invalid JSON at "deep.a._filter"'),
        ("oops", 'Invalid JSON at "deep"'),
        ("[]", '"deep" must be an object'),
    ],
)
def test_bad_deep(raw, reason):
    assert refusal({"deep": raw}) == reason


def test_deep_nesting_is_capped_at_the_relational_depth():
    nested: dict = {}
    for _ in range(3):
        nested = {"r": nested}
    assert parse({"deep": nested}, max_relational_depth=3).deep["r"].deep["r"].deep["r"]
    assert refusal({"deep": {"r": nested}}, max_relational_depth=3) == (
        '"deep" goes deeper than 3 relations at "deep.r.r.r.r"'
    )


# --- both forms ------------------------------------------------------------------------


def test_rest_text_and_mcp_json_give_the_same_query():
    rest = {
        "fields": "id,title,author.name,year(date)",
        "filter": '{"status": {"_eq": "published"}, "rating": {"_in": [4, 5]}}',
        "search": "mcp",
        "sort": "-date,title",
        "limit": "20",
        "page": "2",
        "aggregate": '{"count": "*"}',
        "groupBy": "status",
        "deep": '{"comments": {"_limit": "3", "_filter": {"approved": {"_eq": true}}}}',
        "alias": '{"when": "year(date)"}',
        "meta": "total_count,filter_count",
        "backlink": "false",
    }
    mcp = {
        "fields": ["id", "title", "author.name", "year(date)"],
        "filter": {"status": {"_eq": "published"}, "rating": {"_in": [4, 5]}},
        "search": "mcp",
        "sort": ["-date", "title"],
        "limit": 20,
        "page": 2,
        "aggregate": {"count": ["*"]},
        "groupBy": ["status"],
        "deep": {"comments": {"_limit": 3, "_filter": {"approved": {"_eq": True}}}},
        "alias": {"when": "year(date)"},
        "meta": ["total_count", "filter_count"],
        "backlink": False,
    }
    assert parse(rest) == parse(mcp)
    assert parse(mcp).offset == 20


def test_bracket_decoded_rest_values_match_the_json_forms():
    """``filter[rating][_in]=4,5&filter[draft][_null]=false`` as a query-string decoder gives it."""
    decoded = {"filter": {"rating": {"_in": "4,5"}, "draft": {"_null": "false"}}}
    json_text = {"filter": json.dumps({"rating": {"_in": ["4", "5"]}, "draft": {"_null": False}})}
    assert parse(decoded) == parse(json_text)


def test_a_parsed_query_is_hashable():
    raw = {
        "filter": {
            "a": {"_in": [1, 2]},
            "b": {"_intersects": {"type": "Point", "coordinates": [1, 2]}},
        },
        "deep": {"c": {"_limit": 1}},
        "aggregate": {"count": "*"},
        "alias": {"x": "y"},
    }
    assert hash(parse(raw)) == hash(parse(raw))
    assert len({parse(raw), parse(raw)}) == 1


def test_empty_query_string_values_mean_the_defaults_as_in_directus():
    """``fields=`` and friends are ignored; ``limit=`` alone is a limit of 0."""
    empty = dict.fromkeys(
        ("fields", "sort", "filter", "page", "meta", "groupBy", "aggregate", "deep"), ""
    )
    query = parse({**empty, "alias": "", "offset": "", "backlink": ""})
    assert query == parse({})
    assert parse({"limit": ""}).limit == 0
