"""Four callers against every kind of read and write: nobody sees or changes more than granted.

- admin: everything;
- editor: Ann's articles only (``author.email = $CURRENT_USER.email``) to read, update and
  delete; creates articles and comments; reads comments with more than two likes, and
  authors' names;
- reader: every article, but only its id, title and status;
- public: published articles' id and title.

Each cell is what the caller gets: the answer, or FORBIDDEN. A refused write leaves the
database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from callers import grant, make_caller, public_caller
from db_helpers import all_rows
from tessera.access.accountability import Accountability
from tessera.config import load_settings
from tessera.errors import ForbiddenError
from tessera.schema.overview import SchemaCache
from tessera.services.items import ItemsService

ANN = {"author": {"email": {"_eq": "$CURRENT_USER.email"}}}
NO = ForbiddenError


def ids(page: Any) -> list[Any]:
    return [item["id"] for item in page.data]


def _callers(db: Any) -> dict[str, Accountability]:
    return {
        "admin": Accountability(admin=True, app=True),
        "editor": make_caller(
            db,
            [
                grant("articles", "read", rule=ANN),
                grant("articles", "update", rule=ANN, fields="title,status,rating"),
                grant("articles", "delete", rule=ANN),
                grant("articles", "create", fields="title,status,author,comments"),
                grant("comments", "read", rule={"likes": {"_gt": 2}}),
                grant("comments", "create", fields="text,article"),
                grant("authors", "read", fields="id,name"),
            ],
            email="ann@example.com",
        ),
        "reader": make_caller(db, [grant("articles", "read", fields="id,title,status")]),
        "public": public_caller(
            db,
            [grant("articles", "read", fields="id,title", rule={"status": {"_eq": "published"}})],
        ),
    }


Operation = Callable[[ItemsService], Any]

READS: dict[str, Operation] = {
    "list": lambda s: ids(s.read_by_query("articles", {"fields": ["id"]})),
    "a field": lambda s: [
        a["rating"] for a in s.read_by_query("articles", {"fields": ["rating"]}).data
    ],
    "nested": lambda s: (
        s.read_by_query(
            "articles", {"fields": ["id", "comments.id"], "filter": {"id": {"_eq": 1}}}
        ).data
    ),
    "aggregate": lambda s: s.read_by_query("articles", {"aggregate": {"count": ["*"]}}).data,
    "search": lambda s: ids(s.read_by_query("articles", {"search": "draft", "fields": ["id"]})),
    "sort": lambda s: ids(s.read_by_query("articles", {"sort": ["-rating"], "fields": ["id"]})),
    "filter": lambda s: ids(s.read_by_query("articles", {"filter": {"rating": {"_gte": 4}}})),
}

READ_MATRIX: dict[str, dict[str, Any]] = {
    "admin": {
        "list": [1, 2, 3, 4],
        "a field": [5, 2, 4, None],
        "nested": [{"id": 1, "comments": [{"id": 1}, {"id": 2}, {"id": 3}]}],
        "aggregate": [{"count": 4}],
        "search": [2],
        "sort": [1, 3, 2, 4],
        "filter": [1, 3],
    },
    "editor": {
        "list": [1, 3],
        "a field": [5, 4],
        "nested": [{"id": 1, "comments": [{"id": 1}, {"id": 3}]}],
        "aggregate": [{"count": 2}],
        "search": [],
        "sort": [1, 3],
        "filter": [1, 3],
    },
    "reader": {
        "list": [1, 2, 3, 4],
        "a field": NO,
        "nested": NO,
        "aggregate": [{"count": 4}],
        "search": [2],
        "sort": NO,
        "filter": NO,
    },
    "public": {
        "list": [1, 3],
        "a field": NO,
        "nested": NO,
        "aggregate": [{"count": 2}],
        "search": [],
        "sort": NO,
        "filter": NO,
    },
}

WRITES: dict[str, Operation] = {
    "create": lambda s: s.create_one("articles", {"title": "New", "status": "draft"}),
    "nested create": lambda s: s.create_one(
        "articles", {"title": "New", "comments": [{"text": "hi"}]}
    ),
    "update own": lambda s: s.update_one("articles", 1, {"title": "Changed"}),
    "update another's": lambda s: s.update_one("articles", 2, {"title": "Changed"}),
    "update a field not granted": lambda s: s.update_one("articles", 1, {"body": "x"}),
    "delete own": lambda s: s.delete_one("articles", 3),
    "delete another's": lambda s: s.delete_one("articles", 2),
}

OK = "written"
WRITE_MATRIX: dict[str, dict[str, Any]] = {
    "admin": dict.fromkeys(WRITES, OK),
    "editor": {
        "create": OK,
        "nested create": OK,
        "update own": OK,
        "update another's": NO,
        "update a field not granted": NO,
        "delete own": OK,
        "delete another's": NO,
    },
    "reader": dict.fromkeys(WRITES, NO),
    "public": dict.fromkeys(WRITES, NO),
}


def _service(db: Any, caller: Accountability) -> ItemsService:
    settings = load_settings(env_file=None, secret="s", db_filename="unused.db")
    return ItemsService(db, SchemaCache(db), settings, caller)


@pytest.mark.parametrize("caller", list(READ_MATRIX))
def test_reads(blog_db, caller):
    service = _service(blog_db, _callers(blog_db)[caller])
    got = {}
    for name, operation in READS.items():
        try:
            got[name] = operation(service)
        except ForbiddenError:
            got[name] = NO
    assert got == READ_MATRIX[caller]


@pytest.mark.parametrize("caller", list(WRITE_MATRIX))
@pytest.mark.parametrize("write", list(WRITES))
def test_writes(blog_db, caller, write):
    service = _service(blog_db, _callers(blog_db)[caller])
    before = all_rows(blog_db), _user_rows(blog_db)
    expected = WRITE_MATRIX[caller][write]
    if expected is NO:
        with pytest.raises(ForbiddenError):
            WRITES[write](service)
        assert (all_rows(blog_db), _user_rows(blog_db)) == before
    else:
        WRITES[write](service)
        assert _user_rows(blog_db) != before[1]


def _user_rows(db: Any) -> Any:
    """Every row of the blog's own tables, as an admin reads them."""
    service = _service(db, Accountability(admin=True))
    return {
        name: service.read_by_query(name, {"limit": -1, "fields": ["*"]}).data
        for name in ("articles", "comments", "authors")
    }
