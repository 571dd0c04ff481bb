"""Random filters over random rows: the database's answer equals the same filter evaluated
in Python, on whichever backend the suite runs against.

The rows live in ``parents`` (text, integer, boolean, date) with an o2m ``kids`` (integer,
text). Filters are raw JSON, so the parser is exercised too; the Python evaluation reads
the parsed model and spells out the documented semantics: negations never match NULL,
``i`` operators fold A-Z only, sibling conditions on ``kids`` hold on the same kid.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.query import And, Condition, Or, Relational, parse_query
from tessera.query.compile_filter import compile_filter
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

ALPHABET = "aAbB%_*?[é\\É"
texts = st.text(alphabet=ALPHABET, max_size=3)
needles = st.text(alphabet=ALPHABET, min_size=1, max_size=2)
small = st.integers(-3, 3)
days = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))

kid_rows = st.lists(
    st.fixed_dictionaries({"k": st.none() | small, "name": st.none() | texts}), max_size=3
)
parent_rows = st.lists(
    st.fixed_dictionaries(
        {
            "s": st.none() | texts,
            "i": st.none() | small,
            "bo": st.none() | st.booleans(),
            "da": st.none() | days,
            "doc": st.none()
            | st.dictionaries(st.just("a"), st.none() | small | texts | st.booleans(), max_size=1),
            "kids": kid_rows,
        }
    ),
    max_size=6,
)

TEXT_OPS = [
    "_contains",
    "_ncontains",
    "_icontains",
    "_nicontains",
    "_starts_with",
    "_nstarts_with",
    "_istarts_with",
    "_nistarts_with",
    "_ends_with",
    "_nends_with",
    "_iends_with",
    "_niends_with",
    "_eq",
    "_neq",
    "_ieq",
    "_nieq",
]
ORDER_OPS = ["_eq", "_neq", "_lt", "_lte", "_gt", "_gte"]
PRESENCE = ["_null", "_nnull"]


def _number(value: int) -> st.SearchStrategy[Any]:
    return st.sampled_from([value, str(value)])


text_condition = st.one_of(
    st.tuples(st.sampled_from(TEXT_OPS), needles),
    st.tuples(st.sampled_from(["_in", "_nin"]), st.lists(needles, min_size=1, max_size=3)),
    st.tuples(st.sampled_from([*PRESENCE, "_empty", "_nempty"]), st.booleans()),
).map(lambda pair: {pair[0]: pair[1]})
number_condition = st.one_of(
    st.tuples(st.sampled_from(ORDER_OPS), small.flatmap(_number)),
    st.tuples(st.sampled_from(["_in", "_nin"]), st.lists(small, min_size=1, max_size=3)),
    st.tuples(st.sampled_from(["_between", "_nbetween"]), st.lists(small, min_size=2, max_size=2)),
    st.tuples(st.sampled_from(PRESENCE), st.booleans()),
).map(lambda pair: {pair[0]: pair[1]})
boolean_condition = st.one_of(
    st.tuples(st.sampled_from(["_eq", "_neq"]), st.sampled_from([True, False, "true", "0"])),
    st.tuples(st.sampled_from(PRESENCE), st.booleans()),
).map(lambda pair: {pair[0]: pair[1]})
date_condition = st.one_of(
    st.tuples(st.sampled_from(ORDER_OPS), days.map(dt.date.isoformat)),
    st.tuples(
        st.sampled_from(["_between", "_nbetween"]),
        st.lists(days.map(dt.date.isoformat), min_size=2, max_size=2),
    ),
    st.tuples(st.sampled_from(PRESENCE), st.booleans()),
).map(lambda pair: {pair[0]: pair[1]})
date_part_condition = st.tuples(
    st.sampled_from(["year", "month", "day", "week", "weekday"]),
    st.sampled_from(ORDER_OPS),
    st.integers(0, 60) | st.integers(2023, 2027),
).map(lambda t: {f"{t[0]}(da)": {t[1]: t[2]}})

json_operand = small | needles | st.booleans()
json_condition = st.one_of(
    st.tuples(st.sampled_from(["_eq", "_neq"]), st.none() | json_operand),
    st.tuples(st.sampled_from(["_lt", "_gte"]), small.flatmap(_number)),
    st.tuples(st.sampled_from(["_in", "_nin"]), st.lists(json_operand, min_size=1, max_size=3)),
    st.tuples(st.sampled_from(["_contains", "_nicontains", "_ieq"]), needles),
    st.tuples(st.sampled_from([*PRESENCE, "_empty", "_nempty"]), st.booleans()),
).map(lambda pair: {"doc": {"_json": {"a": {pair[0]: pair[1]}}}})

kid_condition = st.one_of(
    number_condition.map(lambda c: {"k": c}),
    text_condition.map(lambda c: {"name": c}),
)
parent_leaf = st.one_of(
    text_condition.map(lambda c: {"s": c}),
    number_condition.map(lambda c: {"i": c}),
    boolean_condition.map(lambda c: {"bo": c}),
    date_condition.map(lambda c: {"da": c}),
    date_part_condition,
    json_condition,
    st.lists(kid_condition, min_size=1, max_size=2).map(
        lambda cs: {"kids": {key: value for c in cs for key, value in c.items()}}
    ),
    st.tuples(st.sampled_from(["_some", "_none"]), kid_condition).map(
        lambda t: {"kids": {t[0]: t[1]}}
    ),
    number_condition.map(lambda c: {"count(kids)": c}),
    st.tuples(st.sampled_from(PRESENCE), st.booleans()).map(lambda t: {"kids": {t[0]: t[1]}}),
)
filters = st.recursive(
    parent_leaf,
    lambda inner: st.tuples(
        st.sampled_from(["_and", "_or"]), st.lists(inner, min_size=1, max_size=3)
    ).map(lambda t: {t[0]: t[1]}),
    max_leaves=6,
)


# --- the same filter, evaluated in Python ---------------------------------------------

_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def evaluate(node, row: dict[str, Any]) -> bool:
    if isinstance(node, And | Or):
        results = []
        grouped: dict[str, list] = {}
        for child in node.filters:
            if isinstance(child, Condition | Relational) and len(child.path) > 1:
                grouped.setdefault(child.path[0], []).append(child)
            else:
                results.append(evaluate(child, row))
        for step, children in grouped.items():
            rests = [_strip(child) for child in children]
            inner = rests[0] if len(rests) == 1 else type(node)(tuple(rests))
            results.append(any(evaluate(inner, kid) for kid in row[step]))
        return all(results) if isinstance(node, And) else any(results)
    if isinstance(node, Relational):
        some = any(evaluate(node.filter, kid) for kid in row[node.path[0]])
        return some if node.quantifier == "some" else not some
    if len(node.path) > 1:
        return any(evaluate(_strip(node), kid) for kid in row[node.path[0]])
    name = node.path[0]
    if node.json_path:
        doc = row["doc"]
        return _json(node.operator, doc.get("a") if isinstance(doc, dict) else None, node.value)
    if name == "kids" and node.function is None:
        has = bool(row["kids"])
        return has == ((node.operator == "_nnull") == node.value)
    value = row[name]
    if node.function == "count":
        value = len(row["kids"])
    elif node.function:
        value = None if value is None else _date_part(node.function, value)
    return _operator(node.operator, value, node.value, name, node.function)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "text" if isinstance(value, str) else "number"


def _json(operator: str, value: Any, operand: Any) -> bool:
    """Inside JSON a value is compared only with operands of its own kind."""
    if operator in ("_null", "_nnull", "_empty", "_nempty") or operand is None:
        missing = value is None or (operator in ("_empty", "_nempty") and value == "")
        wanted = operator in ("_null", "_empty", "_eq")
        return missing == (wanted == (operand is None or operand))
    if value is None:
        return False
    if operator in ("_lt", "_gte"):
        if _kind(value) != "number":
            return False
        return value < int(operand) if operator == "_lt" else value >= int(operand)
    if isinstance(operand, tuple):
        same = [item for item in operand if _kind(item) == _kind(value)]
        if operator == "_in":
            return value in same
        return bool(same) and value not in same
    if operator in ("_contains", "_nicontains", "_ieq"):
        if _kind(value) != "text":
            return False
        if operator == "_contains":
            return operand in value
        if operator == "_ieq":
            return value.translate(_FOLD) == operand.translate(_FOLD)
        return operand.translate(_FOLD) not in value.translate(_FOLD)
    if _kind(value) != _kind(operand):
        return False
    return value == operand if operator == "_eq" else value != operand


def _strip(node):
    if isinstance(node, Condition):
        return Condition(node.path[1:], node.function, node.operator, node.value)
    return Relational(node.path[1:], node.quantifier, node.filter)


def _date_part(function: str, day: dt.date) -> int:
    if function == "week":
        return day.isocalendar()[1]
    if function == "weekday":
        return day.isoweekday() % 7
    return getattr(day, function)


def _coerce(raw: Any, name: str, function: str | None) -> Any:
    if function or name in ("i", "k"):
        return int(raw)
    if name == "bo":
        return raw in (True, "true", "1")
    if name == "da":
        return dt.date.fromisoformat(raw)
    return raw


def _operator(operator: str, value: Any, operand: Any, name: str, function: str | None) -> bool:
    if operator in ("_null", "_nnull"):
        return (value is None) == ((operator == "_null") == operand)
    if operator in ("_empty", "_nempty"):
        empty = value is None or value == ""
        return empty == ((operator == "_empty") == operand)
    if value is None:
        return False
    if isinstance(operand, tuple):
        items = [_coerce(item, name, function) for item in operand]
        if operator == "_in":
            return value in items
        if operator == "_nin":
            return value not in items
        low, high = items
        inside = low <= value <= high
        return inside if operator == "_between" else not inside
    negated = operator.startswith("_n")
    positive = operator[2:] if negated else operator[1:]
    target = _coerce(operand, name, function)
    if positive.startswith("i"):
        value, target, positive = value.translate(_FOLD), target.translate(_FOLD), positive[1:]
    result = {
        "eq": lambda: value == target,
        "lt": lambda: value < target,
        "lte": lambda: value <= target,
        "gt": lambda: value > target,
        "gte": lambda: value >= target,
        "contains": lambda: target in value,
        "starts_with": lambda: value.startswith(target),
        "ends_with": lambda: value.endswith(target),
    }[positive]()
    return not result if negated else result


# --- the comparison -------------------------------------------------------------------


@pytest.fixture
def parents(db):
    context = SchemaContext(db, SchemaCache(db))
    collections = CollectionsService(context)
    collections.create(
        {
            "collection": "parents",
            "schema": {},
            "fields": [
                {"field": "s", "type": "string"},
                {"field": "i", "type": "integer"},
                {"field": "bo", "type": "boolean"},
                {"field": "da", "type": "date"},
                {"field": "doc", "type": "json"},
            ],
        }
    )
    collections.create(
        {
            "collection": "kids",
            "schema": {},
            "fields": [
                {"field": "parent", "type": "integer"},
                {"field": "k", "type": "integer"},
                {"field": "name", "type": "string"},
            ],
        }
    )
    RelationsService(context).create(
        {
            "collection": "kids",
            "field": "parent",
            "related_collection": "parents",
            "meta": {"one_field": "kids"},
        }
    )
    return SchemaCache(db).get()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=parent_rows, raw=filters)
def test_database_agrees_with_python(db, parents, rows, raw):
    parent_table = parents.collections["parents"].sql_table
    kid_table = parents.collections["kids"].sql_table
    for row_id, row in enumerate(rows, start=1):
        row["id"] = row_id
    with db.write() as conn:
        conn.execute(sa.delete(kid_table))
        conn.execute(sa.delete(parent_table))
        if rows:
            conn.execute(
                sa.insert(parent_table),
                [{key: row[key] for key in ("id", "s", "i", "bo", "da", "doc")} for row in rows],
            )
        kids = [{"parent": row["id"], **kid} for row in rows for kid in row["kids"]]
        if kids:
            conn.execute(sa.insert(kid_table), kids)
    query = parse_query({"filter": raw}, limit_default=100, limit_max=None)
    node = query.filter or And(())
    condition = compile_filter(node, "parents", parents, dialect=db.engine.dialect)
    with db.read() as conn:
        found = {r.id for r in conn.execute(sa.select(parent_table.c.id).where(condition))}
    assert found == {row["id"] for row in rows if evaluate(node, row)}
