"""bench/items_read.py still runs: a tiny collection on the test backend, no timings checked.

What is checked is what the benchmark claims beside its timings: the relational page
costs the same number of statements whatever its limit, and it has the right shape.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parents[2] / "bench" / "items_read.py"
PG_URL = os.environ.get("TESSERA_TEST_DATABASE_URL", "")


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_items_read", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> list:
    bench = load_bench()
    argv = ["--rows", "2000", "--runs", "2", "--warmup", "1", "--budget", "0"]
    if PG_URL:
        name = f"tessera_bench_smoke_{os.getpid()}"
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        argv += ["--backend", "postgresql", "--database-url", url]
    else:
        argv += ["--backend", "sqlite"]
    return bench.main(argv)


def test_the_page_costs_the_same_statements_whatever_its_limit(results):
    (result,) = results
    assert set(result.by_limit) == {"admin", "reader"}
    for caller, counts in result.by_limit.items():
        assert sorted(counts) == [10, 100, 1000]
        assert len(set(counts.values())) == 1, (caller, counts)


def test_the_page_has_the_right_shape(results):
    (result,) = results
    for caller, page in result.sample.items():
        assert len(page) == 100, caller
        assert list(page[0]) == [
            "id",
            "title",
            "status",
            "rating",
            "published_on",
            "author",
            "comments",
        ]
        for item in page:
            assert item["status"] == "published"
            assert item["rating"] >= 3
            assert set(item["author"]) == {"name"}
            assert item["author"]["name"].startswith("Author ")
            assert all(set(comment) == {"text"} for comment in item["comments"])
        dates = [item["published_on"] for item in page]
        assert dates == sorted(dates, reverse=True)
    with_comments = [item for item in result.sample["admin"] if item["comments"]]
    assert with_comments, "some of the newest articles have comments"


def test_every_query_answers(results):
    (result,) = results
    figures = {(f.caller, f.query): f for f in result.figures}
    assert len(figures) == 2 * 6
    for (caller, query), figure in figures.items():
        assert figure.statements >= 2, (caller, query)
        assert figure.runs >= 2
    assert figures[("admin", "count(*) group by status")].rows == 3
    assert figures[("reader", "count(*) group by status")].rows == 2  # archived is hidden
    assert figures[("admin", 'search "zeppelin" (matches nothing)')].rows == 0
