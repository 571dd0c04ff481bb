"""The condition operation: filter rules against the data chain, every key required."""

from __future__ import annotations

import datetime as dt

import pytest

from callers import grant, make_caller


@pytest.mark.parametrize(
    ("rule", "trigger"),
    [
        ({"$trigger": {"n": {"_gt": 3}}}, {"n": 5}),
        ({"$trigger": {"tags": {"_contains": "b"}}}, {"tags": ["a", "b"]}),
        ({"_or": [{"$trigger": {"n": {"_eq": 1}}}, {"$trigger": {"n": {"_eq": 5}}}]}, {"n": 5}),
        ({"$trigger": {"a": {"b": {"_in": ["x", "y"]}}}}, {"a": {"b": "y"}}),
        ({"$trigger": {"n": {"_null": True}}}, {"n": None}),
        ({}, None),
    ],
)
def test_a_chain_that_passes_resolves_with_null(run_op, rule, trigger):
    assert run_op("condition", {"filter": rule}, trigger) == ("resolve", None)


@pytest.mark.parametrize(
    ("rule", "trigger", "failure"),
    [
        ({"$trigger": {"n": {"_gt": 3}}}, {"n": 1}, {"path": ["n"], "type": "gt", "valid": 3}),
        ({"$trigger": {"n": {"_gt": 3}}}, {}, {"path": ["n"], "type": "required"}),
        ({"$trigger": {"a": {"b": {"_eq": 1}}}}, {}, {"path": ["a"], "type": "required"}),
        ({"$trigger": {"a": {"b": {"_eq": 1}}}}, {"a": 3}, {"path": ["a"], "type": "required"}),
        ({"$trigger": {"n": {"_null": True}}}, None, {"path": [], "type": "required"}),
    ],
)
def test_a_chain_that_fails_rejects_with_each_failed_rule(run_op, rule, trigger, failure):
    status, value = run_op("condition", {"filter": rule}, trigger)
    assert status == "reject"
    assert [entry["extensions"] for entry in value] == [{"field": "$trigger", **failure}]
    assert {entry["code"] for entry in value} == {"FAILED_VALIDATION"}


def test_dynamic_variables_stand_for_the_runs_caller(run_op, blog_db):
    member = make_caller(blog_db, [grant("articles", "read")])
    rule = {"$trigger": {"user": {"_eq": "$CURRENT_USER"}, "role": {"_eq": "$CURRENT_ROLE"}}}
    mine = {"user": member.user, "role": member.role}
    assert run_op("condition", {"filter": rule}, mine, member)[0] == "resolve"
    assert run_op("condition", {"filter": rule}, {**mine, "user": "x"}, member)[0] == "reject"
    email = {"$trigger": {"email": {"_eq": "$CURRENT_USER.email"}}}
    with blog_db.read() as conn:
        address = conn.exec_driver_sql(
            f"SELECT email FROM directus_users WHERE id = '{member.user}'"
        ).scalar()
    assert run_op("condition", {"filter": email}, {"email": address}, member)[0] == "resolve"


def test_now_compares_with_dates(run_op):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    rule = {"$trigger": {"due": {"_gt": "$NOW(+1 day)"}}}
    assert run_op("condition", {"filter": rule}, {"due": future})[0] == "resolve"
    assert run_op("condition", {"filter": rule}, {"due": "2001-01-01"})[0] == "reject"


def test_a_filter_from_a_template_is_read_as_json(run_op):
    options = {"filter": '{"$trigger": {"n": {"_eq": 2}}}'}
    assert run_op("condition", options, {"n": 2})[0] == "resolve"
