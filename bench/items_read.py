"""How fast the items service reads a big collection, and how many SQL statements it sends.

    .venv/bin/python bench/items_read.py        # SQLite, then PostgreSQL; 1,000,000 articles
    .venv/bin/python bench/items_read.py --backend sqlite --rows 20000 --runs 20   # a quick look
    .venv/bin/python bench/items_read.py --indexes tuned    # the indexes the figures call for

It builds, through Tessera's schema services, ``authors`` (name, email; one per hundred
articles, at most 10,000), ``articles`` (title, status, rating, published_on, and the m2o
``author``; ``--rows`` of them) and ``comments`` (text, and the m2o ``article`` whose o2m
is ``articles.comments``: one to three comments on each of the first tenth of the
articles, at most 100,000 of them). Titles are three words out of 64, so ``lantern`` is
in about one title in twenty; 70 % of the articles are published, 20 % drafts (no date),
10 % archived; ratings run 1 to 5. The database generates the rows itself (one
INSERT … SELECT per table, from ``generate_series`` on PostgreSQL and a recursive CTE on
SQLite). Creating a relation indexes its foreign key, so ``comments.article`` is indexed.

``--indexes tessera`` (the default) ticks ``schema.is_indexed`` on the filtered field
``articles.status`` and the sorted field ``articles.published_on``, as a user would.
``--indexes tuned`` indexes the sort field only, and on PostgreSQL with plain DDL as
``DESC NULLS LAST``, the order Tessera sorts descending in (see :func:`add_indexes`).
PostgreSQL is then vacuumed and analysed, as autovacuum would soon do; on SQLite Tessera
analyses the table itself when it makes an index (``--analyze`` runs a full ``ANALYZE`` too).

Then, as an admin and as a role whose read permission on articles has a row rule
(``status != archived``), it times ``ItemsService.read_by_query``: a page of 100 filtered
on status and rating, sorted by ``-published_on``, with ``author.name`` and
``comments.text``; ``count(*)`` by status; ``avg(rating)`` by ``year(published_on)``; a
search for a common word and one for a word no item has; and ``meta=filter_count``.
Each query is warmed up, then run ``--runs`` times or until ``--budget`` seconds have
passed (at least 5 runs). The statement count is every statement the call sent except
SQLite's ``BEGIN``; the page is also read with limits 10, 100 and 1000 to show that its
count does not grow with the rows.

The SQLite file lives in a temporary directory, removed at the end. For PostgreSQL,
``--database-url`` (or ``TESSERA_BENCH_DATABASE_URL``; default
``postgresql://postgres@127.0.0.1/tessera_bench``) names a database that is dropped,
created, and dropped again at the end. ``--explain`` prints every statement with its plan
(EXPLAIN QUERY PLAN, or EXPLAIN ANALYZE). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.db import Database
from tessera.db.migrations import migrate
from tessera.db.system_tables import (
    directus_access,
    directus_permissions,
    directus_policies,
    directus_roles,
    directus_users,
)
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.fields import FieldsService
from tessera.services.items import ItemsService
from tessera.services.relations import RelationsService
from tessera.services.schema_change import SchemaContext

DEFAULT_URL = "postgresql://postgres@127.0.0.1/tessera_bench"
WORDS = (
    "amber",
    "anchor",
    "apple",
    "arrow",
    "aspen",
    "autumn",
    "badger",
    "barley",
    "beacon",
    "birch",
    "bramble",
    "breeze",
    "canyon",
    "cedar",
    "cinder",
    "clover",
    "comet",
    "copper",
    "coral",
    "cotton",
    "crystal",
    "dapple",
    "delta",
    "desert",
    "ember",
    "falcon",
    "fern",
    "fjord",
    "forest",
    "frost",
    "garnet",
    "glacier",
    "granite",
    "harbour",
    "hazel",
    "heron",
    "indigo",
    "island",
    "ivory",
    "jasper",
    "juniper",
    "kestrel",
    "lantern",
    "lark",
    "linen",
    "lotus",
    "maple",
    "marble",
    "meadow",
    "mirror",
    "nectar",
    "nutmeg",
    "oak",
    "opal",
    "orchard",
    "pebble",
    "pine",
    "quartz",
    "raven",
    "river",
    "saffron",
    "sage",
    "sparrow",
    "thistle",
)
SEARCH_WORD = "lantern"
NO_MATCH = "zeppelin"
PAGE = {
    "fields": ["*", "author.name", "comments.text"],
    "filter": {"_and": [{"status": {"_eq": "published"}}, {"rating": {"_gte": 3}}]},
    "sort": ["-published_on"],
}
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("page of 100, author.name, comments.text", {**PAGE, "limit": 100}),
    ("count(*) group by status", {"aggregate": {"count": ["*"]}, "groupBy": ["status"]}),
    (
        "avg(rating) group by year(published_on)",
        {"aggregate": {"avg": ["rating"]}, "groupBy": ["year(published_on)"]},
    ),
    (f'search "{SEARCH_WORD}", 100 rows', {"search": SEARCH_WORD, "limit": 100}),
    (f'search "{NO_MATCH}" (matches nothing)', {"search": NO_MATCH, "limit": 100}),
    (
        "meta=filter_count of the filtered query",
        {"filter": PAGE["filter"], "meta": "filter_count", "fields": ["id"], "limit": 1},
    ),
]
LIMITS = (10, 100, 1000)
READER_RULE = {"status": {"_neq": "archived"}}


# --- the database -----------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, url: str) -> Iterator[Database]:
    """An empty, migrated database, removed afterwards."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="tessera-bench-")
        db = Database(f"sqlite+pysqlite:///{folder}/bench.db")
        try:
            migrate(db)
            yield db
        finally:
            db.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        return
    target = make_url(url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    db = Database(target.render_as_string(hide_password=False))
    try:
        migrate(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        admin.dispose()


def build_schema(db: Database) -> None:
    """authors ← articles.author (m2o), articles.comments (o2m) ← comments.article."""
    context = SchemaContext(db, SchemaCache(db))
    collections, relations = CollectionsService(context), RelationsService(context)

    def create(name: str, *fields: tuple[str, str]) -> None:
        specs = [{"field": f, "type": t} for f, t in fields]
        collections.create({"collection": name, "schema": {}, "fields": specs})

    create("authors", ("name", "string"), ("email", "string"))
    create(
        "articles",
        ("title", "string"),
        ("status", "string"),
        ("rating", "integer"),
        ("published_on", "date"),
        ("author", "integer"),
    )
    create("comments", ("article", "integer"), ("text", "string"))
    relations.create(
        {
            "collection": "articles",
            "field": "author",
            "related_collection": "authors",
            "meta": {"one_field": "articles"},
        }
    )
    relations.create(
        {
            "collection": "comments",
            "field": "article",
            "related_collection": "articles",
            "meta": {"one_field": "comments"},
        }
    )


def add_indexes(db: Database, plan: str) -> str:
    """Index ``articles`` as ``plan`` says; return what was done, for the report.

    ``tessera``: ``schema.is_indexed`` on the filtered field ``status`` and the sorted
    field ``published_on``, as a user would tick them in Tessera. ``tuned``: the sort
    field only. Without statistics SQLite prefers an equality on an indexed column to an
    index that gives the order, so the status index (seven rows in ten match) makes it
    sort every matching row to return a page. On PostgreSQL ``is_indexed`` makes an
    ascending index, NULLS LAST, which cannot give Tessera's descending order (NULLS
    LAST too), so the tuned index is plain DDL in that order.
    """
    fields = FieldsService(SchemaContext(db, SchemaCache(db)))
    if plan == "tessera":
        for name in ("status", "published_on"):
            fields.update("articles", name, {"schema": {"is_indexed": True}})
        return "is_indexed on articles.status and articles.published_on"
    if db.is_sqlite:
        fields.update("articles", "published_on", {"schema": {"is_indexed": True}})
        return "is_indexed on articles.published_on only"
    with db.schema_change() as conn:
        conn.exec_driver_sql(
            "CREATE INDEX articles_published_on_desc ON articles (published_on DESC NULLS LAST)"
        )
    return "plain DDL: articles (published_on DESC NULLS LAST) only"


@dataclass(frozen=True)
class Sizes:
    articles: int
    authors: int
    commented: int


def sizes_for(rows: int) -> Sizes:
    return Sizes(rows, max(10, min(10_000, rows // 100)), min(100_000, rows // 10))


#: Odd 32-bit multipliers, one per generated column, so the columns vary independently.
MULTIPLIERS = {
    "status": 2654435761,
    "rating": 2246822519,
    "author": 3266489917,
    "comments": 668265263,
    "day": 374761393,
    "title1": 2869860233,
    "title2": 1274126177,
    "title3": 1935289751,
    "text1": 3624381581,
    "text2": 2093264821,
}


def _hash(n: str, column: str) -> str:
    """SQL for a well-spread number 0..65535 from row number ``n``: the high half of
    ``n * multiplier mod 2**32`` (Knuth's multiplicative hash)."""
    return f"CAST(CAST({n} AS BIGINT) * {MULTIPLIERS[column]} % 4294967296 / 65536 AS INTEGER)"


def _word(n: str, column: str) -> str:
    """SQL for a word of :data:`WORDS` (padded to 8 characters in one string literal)."""
    padded = "".join(w.ljust(8) for w in WORDS)
    return f"rtrim(substr('{padded}', ({_hash(n, column)} % {len(WORDS)}) * 8 + 1, 8))"


def load_rows(db: Database, sizes: Sizes) -> None:
    """Every row, generated by the database in three INSERT … SELECT statements."""
    postgres = db.is_postgres

    def numbers(limit: int) -> tuple[str, str]:
        """The WITH clause (SQLite) and the FROM item giving ``n`` = 1..limit."""
        if postgres:
            return "", f"generate_series(1, {limit}) AS seq(n)"
        return (
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
            f"WHERE n < {limit}) ",
            "seq",
        )

    days = f"{_hash('n', 'day')} % 5000"
    day = (
        f"DATE '2012-01-01' + ({days})::int"
        if postgres
        else f"date('2012-01-01', '+' || ({days}) || ' days')"
    )
    kind = f"{_hash('n', 'status')} % 10"  # 0-6 published, 7-8 draft, 9 archived
    title = " || ' ' || ".join(_word("n", f"title{i}") for i in (1, 2, 3))
    head, source = numbers(sizes.authors)
    statements = [
        f"INSERT INTO authors (id, name, email) {head}"
        f"SELECT n, 'Author ' || n, 'author' || n || '@example.com' FROM {source}"
    ]
    head, source = numbers(sizes.articles)
    statements.append(
        f"INSERT INTO articles (id, title, status, rating, published_on, author) {head}"
        f"SELECT n, {title}, "
        f"CASE WHEN {kind} < 7 THEN 'published' WHEN {kind} < 9 THEN 'draft' "
        f"ELSE 'archived' END, "
        f"1 + {_hash('n', 'rating')} % 5, "
        f"CASE WHEN {kind} IN (7, 8) THEN NULL ELSE {day} END, "
        f"1 + {_hash('n', 'author')} % {sizes.authors} FROM {source}"
    )
    head, source = numbers(sizes.commented)
    statements.append(
        f"INSERT INTO comments (article, text) {head}"
        f"SELECT n, {_word('n * 3 + k.j', 'text1')} || ' ' || {_word('n * 3 + k.j', 'text2')} "
        f"FROM {source} CROSS JOIN "
        f"(SELECT 1 AS j UNION ALL SELECT 2 UNION ALL SELECT 3) AS k "
        f"WHERE k.j <= 1 + {_hash('n', 'comments')} % 3 ORDER BY n, k.j"
    )
    if postgres:  # explicit keys leave the sequences behind
        statements.extend(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            for table in ("authors", "articles")
        )
    with db.write() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))  # text(), not the driver: psycopg reads % itself


def analyse(db: Database, *, sqlite: bool) -> str:
    """The planner statistics a running server would have; return what was done.

    PostgreSQL's autovacuum vacuums and analyses a table soon after a bulk load, so we do
    it now. On SQLite Tessera analyses a table when ``is_indexed`` makes an index on it
    (after the load, here); ``sqlite`` True runs a full ``ANALYZE`` on top.
    """
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # VACUUM refuses to run in a transaction
        return "VACUUM ANALYZE, as autovacuum would"
    if not sqlite:
        return "Tessera's own (ANALYZE of the table when an index is made)"
    with db.write() as conn:
        conn.exec_driver_sql("ANALYZE")
    return "ANALYZE"


def reader_caller(db: Database) -> Accountability:
    """A user whose role's policy reads articles that are not archived, and their relations."""
    role, user, policy = (str(uuid.uuid4()) for _ in range(3))
    with db.write() as conn:
        conn.execute(sa.insert(directus_roles).values(id=role, name="Reader"))
        conn.execute(
            sa.insert(directus_users).values(
                id=user, email="reader@example.com", role=role, status="active"
            )
        )
        conn.execute(
            sa.insert(directus_policies).values(id=policy, name="Readers", app_access=True)
        )
        conn.execute(
            sa.insert(directus_access).values(id=str(uuid.uuid4()), role=role, policy=policy)
        )
        conn.execute(
            sa.insert(directus_permissions),
            [
                {
                    "policy": policy,
                    "collection": "articles",
                    "action": "read",
                    "fields": "*",
                    "permissions": READER_RULE,
                },
                {
                    "policy": policy,
                    "collection": "authors",
                    "action": "read",
                    "fields": "id,name",
                    "permissions": None,
                },
                {
                    "policy": policy,
                    "collection": "comments",
                    "action": "read",
                    "fields": "*",
                    "permissions": None,
                },
            ],
        )
    return Accountability(user=user, role=role, roles=(role,), policies=(policy,), app=True)


# --- measuring --------------------------------------------------------------------------


class Statements:
    """Every statement sent on the engine while :meth:`watch` is open (not SQLite's BEGIN)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[tuple[str, Any]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.strip().upper() != "BEGIN":
            self.sent.append((statement, parameters))

    @contextmanager
    def watch(self) -> Iterator[list[tuple[str, Any]]]:
        self.sent = []
        sa.event.listen(self.db.engine, "before_cursor_execute", self._record)
        try:
            yield self.sent
        finally:
            sa.event.remove(self.db.engine, "before_cursor_execute", self._record)


@dataclass
class Figure:
    query: str
    caller: str
    runs: int
    mean_ms: float
    p50_ms: float
    p99_ms: float
    statements: int
    rows: int


@dataclass
class Result:
    backend: str
    sizes: Sizes
    indexes: str
    load_s: float
    index_s: float
    figures: list[Figure] = field(default_factory=list)
    #: caller → limit → statements sent for the relational page
    by_limit: dict[str, dict[int, int]] = field(default_factory=dict)
    #: caller → the relational page of 100 rows
    sample: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    label: str,
    caller: str,
    call: Callable[[], Any],
    statements: Statements,
    *,
    runs: int,
    budget: float,
    warmup: int,
    explain_to: Database | None = None,
) -> Figure:
    for _ in range(warmup):
        call()
    with statements.watch() as sent:
        page = call()
    count = len(sent)
    if explain_to is not None:
        print(f"\n== {explain_to.dialect_name}, {caller}: {label} ==")
        explain(explain_to, list(sent))
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while len(samples) < runs and (len(samples) < min(5, runs) or time.perf_counter() < deadline):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return Figure(
        label,
        caller,
        len(samples),
        statistics.fmean(samples),
        percentile(samples, 0.5),
        percentile(samples, 0.99),
        count,
        len(page.data),
    )


def explain(db: Database, sent: list[tuple[str, Any]]) -> None:
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    with db.read() as conn:
        for statement, parameters in sent:
            print("\n" + statement.strip())
            print(f"  parameters: {parameters}")
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("  " + " | ".join(str(v) for v in row))


def run_backend(backend: str, args: argparse.Namespace) -> Result:
    sizes = sizes_for(args.rows)
    with fresh_database(backend, args.database_url) as db:
        build_schema(db)
        start = time.perf_counter()
        load_rows(db, sizes)
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        indexes = add_indexes(db, args.indexes)
        stats = analyse(db, sqlite=args.analyze)
        index_s = time.perf_counter() - start
        result = Result(backend, sizes, f"{indexes}; statistics: {stats}", load_s, index_s)
        settings = load_settings(env_file=None, secret="x", db_filename="unused.db")
        callers = {
            "admin": Accountability(user=str(uuid.uuid4()), admin=True, app=True),
            "reader": reader_caller(db),
        }
        statements = Statements(db)
        for caller, accountability in callers.items():
            service = ItemsService(db, SchemaCache(db), settings, accountability)
            for label, query in QUERIES:
                result.figures.append(
                    measure(
                        label,
                        caller,
                        lambda s=service, q=query: s.read_by_query("articles", q),
                        statements,
                        runs=args.runs,
                        budget=args.budget,
                        warmup=args.warmup,
                        explain_to=db if args.explain else None,
                    )
                )
            counts = {}
            for limit in LIMITS:
                with statements.watch() as sent:
                    page = service.read_by_query("articles", {**PAGE, "limit": limit}).data
                counts[limit] = len(sent)
                if limit == 100:
                    result.sample[caller] = page
            result.by_limit[caller] = counts
    return result


# --- output -----------------------------------------------------------------------------


def print_result(result: Result) -> None:
    s = result.sizes
    print(
        f"\n{result.backend}: {s.articles:,} articles, {s.authors:,} authors, comments on the "
        f"first {s.commented:,} articles; loaded in {result.load_s:.1f} s, indexes and "
        f"statistics in {result.index_s:.1f} s\nindexes: {result.indexes}"
    )
    head = (
        f"{'query':<42} {'caller':<7} {'rows':>5} {'stmts':>5} {'runs':>4} "
        f"{'mean ms':>9} {'p50 ms':>9} {'p99 ms':>9}"
    )
    print(head)
    print("-" * len(head))
    for f in result.figures:
        print(
            f"{f.query:<42} {f.caller:<7} {f.rows:>5} {f.statements:>5} {f.runs:>4} "
            f"{f.mean_ms:>9.2f} {f.p50_ms:>9.2f} {f.p99_ms:>9.2f}"
        )
    print("statements for the relational page by limit:")
    for caller, counts in result.by_limit.items():
        line = ", ".join(f"limit {limit}: {n}" for limit, n in counts.items())
        print(f"  {caller:<7} {line}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="articles (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per query (default 100)")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds per query, at most (default 10)"
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE on SQLite (PostgreSQL is always analysed)",
    )
    parser.add_argument(
        "--indexes",
        choices=("tessera", "tuned"),
        default="tessera",
        help="tessera: is_indexed on status and published_on; tuned: see add_indexes()",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("TESSERA_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--explain", action="store_true", help="print every statement with its plan"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[Result]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, rows={args.rows:,}, runs={args.runs}")
    results = []
    for backend in backends:
        result = run_backend(backend, args)
        print_result(result)
        results.append(result)
    return results


if __name__ == "__main__":
    main()
