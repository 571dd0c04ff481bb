"""Query strings read as Directus reads them (``qs`` with depth 10 and arrayLimit 500).

The expected mappings are what ``qs`` 6.16 (the version Directus 12.4 ships) returns for the
same string with Directus's options. The forms under "Directus's query parameters" were each
sent to a running Directus 12.4 (``/items/articles``, ``/roles``), which accepted them.
"""

from __future__ import annotations

import time

import pytest
from starlette.datastructures import QueryParams
from starlette.requests import Request

from tessera.query import (
    And,
    Condition,
    FieldRef,
    FrozenMap,
    SortKey,
    parse_query,
)
from tessera.rest.query_params import (
    ARRAY_LIMIT,
    MAX_DEPTH,
    PARAMETER_LIMIT,
    parse_query_pairs,
    parse_query_string,
    request_query,
)

# --- Directus's query parameters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fields=id,title", {"fields": "id,title"}),
        ("fields[]=id&fields[]=title", {"fields": ["id", "title"]}),
        ("fields[]=id,title", {"fields": ["id,title"]}),
        ("fields=id&fields=title", {"fields": ["id", "title"]}),
        ("fields[0]=id&fields[1]=title", {"fields": ["id", "title"]}),
        ("filter[id][_in]=1,2&fields[]=id", {"filter": {"id": {"_in": "1,2"}}, "fields": ["id"]}),
        ("filter[id]=3", {"filter": {"id": "3"}}),
        (
            "filter[_and][0][id][_gt]=1&filter[_and][1][status][_eq]=draft",
            {"filter": {"_and": [{"id": {"_gt": "1"}}, {"status": {"_eq": "draft"}}]}},
        ),
        ('filter={"id":{"_eq":3}}', {"filter": '{"id":{"_eq":3}}'}),
        ("filter[rating][_null]=true", {"filter": {"rating": {"_null": "true"}}}),
        ("filter[rating][_between]=3,4", {"filter": {"rating": {"_between": "3,4"}}}),
        (
            "filter[rating][_in]=3&filter[rating][_in]=5",
            {"filter": {"rating": {"_in": ["3", "5"]}}},
        ),
        (
            "filter[rating][_in][]=3&filter[rating][_in][]=5",
            {"filter": {"rating": {"_in": ["3", "5"]}}},
        ),
        ("filter[title][_eq]=SQLite+notes", {"filter": {"title": {"_eq": "SQLite notes"}}}),
        ("filter[title][_eq]=SQLite%20notes", {"filter": {"title": {"_eq": "SQLite notes"}}}),
        ("filter%5Btitle%5D%5B_eq%5D=x", {"filter": {"title": {"_eq": "x"}}}),
        ("sort[]=-id", {"sort": ["-id"]}),
        ("sort=-rating,id", {"sort": "-rating,id"}),
        ("aggregate[count]=*", {"aggregate": {"count": "*"}}),
        ("aggregate[sum]=rating,id", {"aggregate": {"sum": "rating,id"}}),
        (
            "aggregate[count]=*&groupBy[]=status",
            {"aggregate": {"count": "*"}, "groupBy": ["status"]},
        ),
        ("alias[n]=title&fields=n,id", {"alias": {"n": "title"}, "fields": "n,id"}),
        (
            "deep[users][_filter][email][_eq]=x&deep[users][_limit]=0",
            {"deep": {"users": {"_filter": {"email": {"_eq": "x"}}, "_limit": "0"}}},
        ),
        (
            "deep[translations][_filter][languages_code][_eq]=en",
            {"deep": {"translations": {"_filter": {"languages_code": {"_eq": "en"}}}}},
        ),
        ('deep={"users":{"_limit":0}}', {"deep": '{"users":{"_limit":0}}'}),
        ("meta=*", {"meta": "*"}),
        ("meta=total_count", {"meta": "total_count"}),
        ("limit=1&page=2", {"limit": "1", "page": "2"}),
        ("search=hello", {"search": "hello"}),
        ("backlink=false", {"backlink": "false"}),
    ],
)
def test_directus_query_forms(query, expected):
    assert parse_query_string(query) == expected


def test_unknown_parameters_pass_through_untouched():
    assert parse_query_string("access_token=abc&export=csv&_=17&fields=id") == {
        "access_token": "abc",
        "export": "csv",
        "_": "17",
        "fields": "id",
    }


# --- splitting and decoding --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("a=1&&b=2", {"a": "1", "b": "2"}),
        ("=x&y", {"y": ""}),
        ("meta", {"meta": ""}),
        ("limit=", {"limit": ""}),
        ("a&a", {"a": ["", ""]}),
        # The key ends at the first "]=" when there is one, else at the first "=".
        ("a=x=y", {"a": "x=y"}),
        ("a[b]=x=y", {"a": {"b": "x=y"}}),
        ("a=b]=c", {"a=b]": "c"}),
    ],
)
def test_parts_and_empty_values(query, expected):
    assert parse_query_string(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a+b=c+d", {"a b": "c d"}),
        ("a%20b=c%2Bd", {"a b": "c+d"}),
        ("a=%26%3D", {"a": "&="}),
        ("a=%C3%A9", {"a": "é"}),
        ("filter%5btitle%5d%5b_eq%5d=x", {"filter": {"title": {"_eq": "x"}}}),
        # decodeURIComponent fails on these, and qs keeps the text as it came.
        ("a=100%", {"a": "100%"}),
        ("a=%E0%A4%A", {"a": "%E0%A4%A"}),
        ("a=%C0%80", {"a": "%C0%80"}),
        ("a=%ED%A0%80", {"a": "%ED%A0%80"}),
        ("a=%41%C3+x", {"a": "%41%C3 x"}),
    ],
)
def test_plus_and_percent_decoding(query, expected):
    assert parse_query_string(query) == expected


def test_bytes_are_read_as_utf8():
    assert parse_query_string("filter[title][_eq]=é".encode()) == {
        "filter": {"title": {"_eq": "é"}}
    }


def test_parameters_past_the_limit_are_dropped_as_qs_drops_them():
    padding = "&".join(f"x{i}=1" for i in range(PARAMETER_LIMIT - 1))
    raw = parse_query_string(f"{padding}&limit=1&fields=id")
    assert raw["limit"] == "1"
    assert "fields" not in raw


def test_empty_parts_count_towards_the_parameter_limit():
    assert parse_query_string("&" * PARAMETER_LIMIT + "a=1") == {}


# --- brackets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("[a]=1", {"a": "1"}),
        ("[]=1", {"0": "1"}),
        ("a[b[c]]=1", {"a": {"b[c]": "1"}}),
        ("a[b[c=1", {"a": {"[b[c": "1"}}),
        ("a[[b]=1", {"a": {"[[b]": "1"}}),
        ("a[b]c=1", {"a": {"b": "1"}}),
        ("a[]]=1", {"a": ["1"]}),
        ("a[]=", {"a": [""]}),
        ("a[][5]=x", {"a": ["x"]}),
    ],
)
def test_odd_brackets_are_read_as_qs_reads_them(query, expected):
    assert parse_query_string(query) == expected


def test_ten_bracket_groups_are_read_and_the_rest_stays_one_key():
    assert MAX_DEPTH == 10
    assert parse_query_string("a[b][c][d][e][f][g][h][i][j][k]=x") == {
        "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": "x"}}}}}}}}}}
    }
    assert parse_query_string("a[b][c][d][e][f][g][h][i][j][k][l][m]=x") == {
        "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"[l][m]": "x"}}}}}}}}}}}
    }


def test_a_filter_past_the_depth_names_a_field_directus_reports_missing():
    # Directus answers this one with FORBIDDEN: no field "[id][_eq]" in the collection.
    nested = parse_query_string("filter[_and][0][_and][0][_and][0][_and][0][_and][0][id][_eq]=1")
    level = nested["filter"]
    for _ in range(5):
        (level,) = level["_and"]
    assert level == {"[id][_eq]": "1"}


# --- arrays ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a[1]=x&a[5]=y", {"a": ["x", "y"]}),
        ("a[5]=y&a[1]=x", {"a": ["x", "y"]}),
        ("fields[]=a&fields=b", {"fields": ["a", "b"]}),
        ("fields[0]=a&fields[]=b", {"fields": ["a", "b"]}),
        ("a[]=&a[]=", {"a": ["", ""]}),
        ("a[b]=&a[b]=", {"a": {"b": ["", ""]}}),
        # Only a number written plainly is an index.
        ("a[01]=x", {"a": {"01": "x"}}),
        ("a[-1]=x", {"a": {"-1": "x"}}),
        ("a[1e3]=x", {"a": {"1e3": "x"}}),
        ("a[ 1]=x", {"a": {" 1": "x"}}),
    ],
)
def test_indices_and_repeated_keys(query, expected):
    assert parse_query_string(query) == expected


def test_items_at_one_index_merge_into_one_filter():
    assert parse_query_string("f[_and][0][x]=1&f[_and][0][y]=2") == {
        "f": {"_and": [{"x": "1", "y": "2"}]}
    }
    assert parse_query_string("f[_and][][x]=1&f[_and][][y]=2") == {
        "f": {"_and": [{"x": "1", "y": "2"}]}
    }
    assert parse_query_string("f[_and][0][x]=1&f[_and][1][y]=2") == {
        "f": {"_and": [{"x": "1"}, {"y": "2"}]}
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"a[{ARRAY_LIMIT - 1}]=x", {"a": ["x"]}),
        (f"a[{ARRAY_LIMIT}]=x", {"a": {"500": "x"}}),
        (f"a[0]=x&a[{ARRAY_LIMIT}]=y", {"a": {"0": "x", "500": "y"}}),
        # Values added later go to the index after the highest, as in an array.
        ("a=x&a[600]=y", {"a": {"0": "x", "601": "y"}}),
        ("a[600]=y&a=x", {"a": {"600": "y", "601": "x"}}),
        ("a[600]=y&a[]=z", {"a": {"0": "z", "600": "y"}}),
        # Directus reads an _in written this way as a list of the object's values.
        (
            "filter[id][_in][0]=3&filter[id][_in][600]=5",
            {"filter": {"id": {"_in": {"0": "3", "600": "5"}}}},
        ),
    ],
)
def test_an_index_past_the_array_limit_gives_an_object(query, expected):
    assert ARRAY_LIMIT == 500
    assert parse_query_string(query) == expected


def test_an_array_growing_past_the_limit_becomes_an_object():
    at_limit = "&".join(f"fields[]=f{i}" for i in range(ARRAY_LIMIT))
    assert parse_query_string(at_limit) == {"fields": [f"f{i}" for i in range(ARRAY_LIMIT)]}
    past = "&".join(f"fields={i}" for i in range(ARRAY_LIMIT + 2))
    assert parse_query_string(past) == {"fields": {str(i): str(i) for i in range(ARRAY_LIMIT + 2)}}


# --- a key given twice over --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('filter={"a":1}&filter[b][_eq]=2', {"filter": ['{"a":1}', {"b": {"_eq": "2"}}]}),
        ("a[b]=1&a[b][c]=2", {"a": {"b": ["1", {"c": "2"}]}}),
        ("a[b][c]=1&a[b]=x", {"a": {"b": [{"c": "1"}, "x"]}}),
        # An empty value merged into an object adds nothing.
        ("a[b][c]=1&a[b]=", {"a": {"b": {"c": "1"}}}),
        # JavaScript lists numeric keys first, so "0" is merged before "0[a]".
        ("0[a]=y&0=x", {"0": ["x", {"a": "y"}]}),
    ],
)
def test_a_value_and_an_object_under_one_key_are_both_kept(query, expected):
    assert parse_query_string(query) == expected


def test_names_javascript_objects_inherit_are_kept_unlike_qs():
    # qs drops the whole parameter; a field may well be called "constructor".
    assert parse_query_string("filter[constructor][_eq]=x") == {
        "filter": {"constructor": {"_eq": "x"}}
    }


# --- bounds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "&".join(
            "a" + "".join(f"[{499 - (i + j) % 3}]" for j in range(9)) + f"[{i}]=x"
            for i in range(PARAMETER_LIMIT)
        ),
        "&".join(f"a[{i}][{i}][{i}]=1" for i in range(ARRAY_LIMIT - 1, -1, -1)) * 2,
        "&".join(["fields=a"] * PARAMETER_LIMIT),
        "a" + "[" * 100_000 + "=1",
        "a" + "[x]" * 100_000 + "=1",
        "&" * 1_000_000,
    ],
    ids=["indices", "nested", "repeats", "open-brackets", "groups", "ampersands"],
)
def test_bombs_are_parsed_in_bounded_time(query):
    started = time.perf_counter()
    parse_query_string(query)
    assert time.perf_counter() - started < 2


# --- other inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "fields[]=id&fields[]=title&filter[_and][0][id][_gt]=1&filter[_and][1][a][_eq]=b+c",
        "aggregate[sum]=price,qty&groupBy[]=author&deep[x][_limit]=5&meta=*",
        'filter={"a":{"_eq":1}}&limit=&access_token=abc',
    ],
)
def test_starlette_query_params_give_the_same_mapping(query):
    assert parse_query_pairs(QueryParams(query)) == parse_query_string(query)
    assert parse_query_pairs(QueryParams(query).multi_items()) == parse_query_string(query)


def test_pairs_past_the_parameter_limit_are_dropped():
    pairs = [(f"x{i}", "1") for i in range(PARAMETER_LIMIT)] + [("limit", "1")]
    assert "limit" not in parse_query_pairs(pairs)


def test_a_request_is_read_from_its_raw_query_string():
    request = Request({"type": "http", "query_string": b"filter%5Bid%5D%5B_eq%5D=1&fields[]=id"})
    assert request_query(request) == {"filter": {"id": {"_eq": "1"}}, "fields": ["id"]}


# --- through parse_query -----------------------------------------------------------------


def parsed(query: str):
    return parse_query(parse_query_string(query), limit_default=100, limit_max=None)


def test_bracket_filters_parse_into_conditions_on_text_values():
    query = parsed(
        "filter[_and][0][id][_in]=1,2&filter[_and][1][rating][_null]=true"
        "&filter[_and][2][status][_eq]=draft&fields[]=id&fields[]=title"
    )
    assert query.filter == And(
        (
            Condition(("id",), None, "_in", ("1", "2")),
            Condition(("rating",), None, "_null", True),
            Condition(("status",), None, "_eq", "draft"),
        )
    )
    assert query.fields == (FieldRef(("id",)), FieldRef(("title",)))


def test_repeated_and_bracketed_in_lists_parse_alike():
    expected = Condition(("rating",), None, "_in", ("3", "5"))
    assert parsed("filter[rating][_in]=3&filter[rating][_in]=5").filter == expected
    assert parsed("filter[rating][_in][]=3&filter[rating][_in][]=5").filter == expected
    assert parsed("filter[rating][_in]=3,5").filter == expected


def test_json_and_bracket_filters_parse_alike():
    assert parsed('filter={"id":{"_eq":"3"}}').filter == parsed("filter[id][_eq]=3").filter


def test_aggregate_group_sort_and_pages():
    query = parsed(
        "aggregate[sum]=price,qty&aggregate[count]=*&groupBy[]=author&sort[]=-id&limit=10&page=3"
    )
    assert query.aggregate == FrozenMap({"sum": ("price", "qty"), "count": ("*",)})
    assert query.group_by == (FieldRef(("author",)),)
    assert query.sort == (SortKey(("id",), None, True),)
    assert (query.limit, query.offset, query.page) == (10, 20, 3)


def test_deep_alias_meta_search_and_backlink():
    query = parsed(
        "deep[translations][_filter][languages_code][_eq]=en&deep[translations][_limit]=5"
        "&alias[n]=name&meta=total_count&search=+hello+&backlink=false&access_token=abc"
    )
    translations = query.deep["translations"]
    assert translations.filter == Condition(("languages_code",), None, "_eq", "en")
    assert translations.limit == 5
    assert query.alias == FrozenMap({"n": FieldRef(("name",))})
    assert query.meta == frozenset({"total_count"})
    assert query.search == "hello"
    assert query.backlink is False


def test_json_deep_and_meta_star():
    query = parsed('deep={"x":{"_limit":5}}&meta=*')
    assert query.deep["x"].limit == 5
    assert query.meta == frozenset({"total_count", "filter_count"})
