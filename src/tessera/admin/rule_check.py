"""Reading a permission's JSON text areas — the row filter, the validation and the presets —
and checking them against the schema, for the live check as it is typed and again on save.

The items service refuses a filter that does not parse; this also refuses one naming a
field the collection does not have, which the service would store and every request
would then fail on. A row filter is compiled to SQL the way a request would compile it,
so its relations, operators and variables are checked too. A validation is checked by
its field names only: it is applied to payloads, not SQL, and takes operators
(``_submitted``, ``_regex``) and keys inside JSON values that a query does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from tessera.db import Database
from tessera.errors import ForbiddenError, InvalidQueryError
from tessera.query.compile_filter import compile_filter
from tessera.query.filter import parse_filter
from tessera.query.filter_variables import Variables, load_variables
from tessera.query.model import And, Condition, Filter, Or, Relational
from tessera.schema.overview import CollectionInfo, SchemaOverview
from tessera.services.grants import RULE_DEPTH

Kind = Literal["permissions", "validation", "presets"]
KINDS: tuple[Kind, ...] = ("permissions", "validation", "presets")
#: What an empty text area means, by kind.
EMPTY = {
    "permissions": "Empty: every item.",
    "validation": "Empty: any values.",
    "presets": "Empty: no default values.",
}


class RuleError(ValueError):
    """What is wrong with a text area's content, in words for the person who typed it."""


def read_rule(
    db: Database, overview: SchemaOverview, collection: str, kind: Kind, text: str
) -> Any:
    """The value to store for ``text`` (None when it is empty); RuleError when it is wrong."""
    if not text.strip():
        return None
    info = overview.collections.get(collection)
    if info is None or info.table is None:
        raise RuleError(f'No collection named "{collection}".')
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleError(f"Not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise RuleError("Nested too deeply.") from None
    if not isinstance(value, dict):
        raise RuleError("Write a JSON object: { … }.")
    if kind == "presets":
        for name in value:
            _known(info, name)
        return value
    try:
        node = parse_filter(value, kind, RULE_DEPTH)
    except InvalidQueryError as exc:
        raise RuleError(_reason(exc)) from None
    if node is not None:
        for name in _first_steps(node):
            _known(info, name)
        if kind == "permissions":
            _compiles(db, overview, collection, node)
    return value


def _known(info: CollectionInfo, name: str) -> None:
    if name not in info.fields:
        raise RuleError(f'No field "{name}" in the collection "{info.collection}".')


def _first_steps(node: Filter) -> Iterator[str]:
    """The field of the collection each condition starts from."""
    if isinstance(node, And | Or):
        for part in node.filters:
            yield from _first_steps(part)
    elif isinstance(node, Condition | Relational):
        yield node.path[0]


def _compiles(db: Database, overview: SchemaOverview, collection: str, node: Filter) -> None:
    """RuleError unless ``node`` compiles as a row rule of ``collection`` (with the values
    of a caller who has no user or role: only names and types matter here)."""
    try:
        with db.read() as conn:
            variables = load_variables(conn, overview, Variables(), node)
            compile_filter(
                node, collection, overview, dialect=conn.dialect, variables=variables, admin=True
            )
    except (ForbiddenError, InvalidQueryError) as exc:
        raise RuleError(_reason(exc)) from None


#: The compiler's FORBIDDEN for a name it does not find (worded for a caller who may not
#: learn whether it exists; here the person is writing the schema's permissions).
_MISSING = re.compile(
    r'field "(?P<field>[^"]+)" in collection "(?P<collection>[^"]+)" or it does not exist\. '
    r"Queried in (?P<where>.+)\.$"
)


def _reason(exc: ForbiddenError | InvalidQueryError) -> str:
    reason = str(exc.extensions.get("reason", ""))
    missing = _MISSING.search(reason)
    if missing:
        where = missing["where"]
        after = "" if where == "root" else f" (after {where})"
        return f'No field "{missing["field"]}" in the collection "{missing["collection"]}"{after}.'
    if isinstance(exc, ForbiddenError):
        return "A path this filter follows does not exist (a variable's, such as $CURRENT_USER.…)."
    return reason.rstrip(".") + "."
