"""Writing items: create, update, delete and upsert, each call one transaction.

A :class:`Writer` carries one call of the items service — its connection, the caller's
permissions, the count of mutations so far — through every collection the call touches.
Directus's pipeline, level by level (nested levels run the same pipeline, see
:mod:`tessera.services.nested_writes`):

- **create**: the caller's create permission and field list, presets merged under the
  payload, validation; nested many-to-one (and many-to-any) items written first and
  replaced by their keys; alias and unknown keys dropped; ``special`` flags applied;
  INSERT; nested one-to-many items written with the new key; activity and revision.
- **update**: the keys must all be selectable through the caller's *update* row rules,
  with every payload field permitted on them, else FORBIDDEN; then as create, with one
  UPDATE for all the keys and the one-to-many part once per key.
- **delete**: the keys must be selectable through the *delete* row rules; DELETE (the
  database's foreign keys cascade or set null); activity, no revision.

Internal calls (accountability None) skip permissions, validation and tracking, as in
Directus. Anything that fails rolls the whole call back, nested writes included.

Each item written fires Directus's events when the service has an emitter: the filter
hooks first thing (their payload replaces the item's), the action hooks once the call
committed (see :mod:`tessera.services.flows.events`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.permissions import Action, PermissionSet
from tessera.db.counters import ACCESS, FLOWS, bump_counter
from tessera.db.errors import translate_db_error
from tessera.db.system_tables import directus_revisions
from tessera.errors import ForbiddenError, InvalidPayloadError, RouteNotFoundError
from tessera.query.access import FULL
from tessera.query.filter_relations import Scope
from tessera.query.filter_variables import Variables, load_variables, now_value
from tessera.query.model import Condition, FieldRef, Query
from tessera.query.read import Reader
from tessera.query.variables import is_variable, parse_variable
from tessera.schema.overview import CollectionInfo, SchemaOverview
from tessera.services import nested_writes
from tessera.services.access_cache import ACCESS_COLLECTIONS
from tessera.services.activity import Revision, Tracking, record
from tessera.services.flows import pending as flows_pending
from tessera.services.flows.rules import FLOWS as FLOWS_TABLE
from tessera.services.flows.rules import OPERATIONS_TABLE, FlowRules
from tessera.services.keys import parse_key
from tessera.services.payload import Action as WriteAction
from tessera.services.payload import conceal, prepare_write
from tessera.services.users import SystemRules
from tessera.services.validation import field_rules, validate

if TYPE_CHECKING:
    from tessera.services.items import ItemsService


#: Keys per ``IN (...)`` of an UPDATE or DELETE.
CHUNK = 1000
#: Field types whose values may be objects or lists.
_STRUCTURED = frozenset({"json", "csv"})


@contextlib.contextmanager
def writing(service: ItemsService) -> Iterator[Writer]:
    """A :class:`Writer` for one call of ``service``, in one write transaction (or in the
    one the service joins). Once it ended, the logs of flows that ran inside it are
    written, and once it committed, the action hooks fire."""
    if service.transaction is not None:
        writer = Writer(service, service.transaction)
        yield writer
        writer.finish()
        return
    with flows_pending.write_with_flows(service.db) as conn:
        writer = Writer(service, conn)
        yield writer
        writer.finish()


class Writer:
    """One write call: every level it reaches runs in ``conn`` with the caller's rights."""

    def __init__(self, service: ItemsService, conn: Connection) -> None:
        self.service = service
        self.conn = conn
        self.who = service.accountability
        self.overview: SchemaOverview = service.schema.get(conn)
        self.permissions = service.permissions(conn)
        self.now = service.now or dt.datetime.now(dt.UTC)
        self.limit = service.settings.max_batch_mutation
        self.mutations = 0
        self._frames: list[list[int]] = []
        self._variables: Variables | None = None
        #: Directus's rules for users, roles, policies and access (see services/users.py).
        self.rules = SystemRules(conn, self.who)
        #: What a saved flow must be (see services/flows/rules.py).
        self.flows = FlowRules(conn)
        self.events = service.events
        self.pending = flows_pending.pending_of(conn)

    def finish(self) -> None:
        """The checks that judge the call as a whole, before it commits."""
        self.rules.finish()
        self.flows.finish()

    # --- the pipelines ------------------------------------------------------------------

    def info(self, collection: str) -> CollectionInfo:
        """A collection with a table; FORBIDDEN for anything else, as for reads."""
        info = self.overview.collections.get(collection)
        if info is None or info.table is None:
            raise ForbiddenError()
        return info

    def refuse_singleton(self, collection: str) -> None:
        """A singleton has one item, written with :meth:`upsert_singleton` (REST: 404)."""
        if (self.info(collection).meta or {}).get("singleton"):
            raise RouteNotFoundError(f"Route /{collection} doesn't exist.", path=f"/{collection}")

    def create(self, collection: str, data: Any, nested: tuple[str, ...] = ()) -> Any:
        """Create one item (and what it nests); its primary key."""
        info = self.info(collection)
        payload = _object(data, collection)
        payload = self.filtered(collection, "create", payload, {"collection": collection})
        payload = _object(payload, collection)
        self.track(1)
        payload = self.checked(info, payload, "create", nested)
        self.rules.creating(collection, payload)
        written, mark = dict(payload), self._mark()
        with self._nesting() as children:
            payload = nested_writes.many_to_one(self, info, payload, nested)
            row = prepare_write(info, self.columns(info, payload), "create", self.who, self.now)
            key = self.insert(info, row)
            nested_writes.one_to_many(self, info, payload, key, nested)
        revised = self.revised(info, row, relational=False)
        revisions = self.changed(info, "create", [Revision(key, revised, revised)])
        self._adopt(revisions, children)
        self.announce(
            collection,
            "create",
            lambda: {"payload": written, "key": key, "collection": collection},
            mark,
        )
        return key

    def create_many(self, collection: str, data: Any) -> list[Any]:
        return [self.create(collection, item) for item in _list(data)]

    def update_batch(self, collection: str, data: Any) -> list[Any]:
        """Update each item by the key it holds, with its own values; the keys."""
        primary = self.info(collection).primary or "id"
        keys = []
        for item in _list(data):
            if not isinstance(item, Mapping) or not item.get(primary):
                raise InvalidPayloadError("Item in update misses primary key")
            rest = {name: value for name, value in item.items() if name != primary}
            keys.extend(self.update(collection, [item[primary]], rest))
        return keys

    def update(
        self, collection: str, keys: Sequence[Any], data: Any, nested: tuple[str, ...] = ()
    ) -> list[Any]:
        """Write the same ``data`` to every item of ``keys``; the keys."""
        info = self.info(collection)
        payload = _object(data, collection)
        keys = self.keys(info, keys)
        if not keys:
            return []
        meta = {"keys": keys, "collection": collection}
        payload = _object(self.filtered(collection, "update", payload, meta), collection)
        self.track(len(keys))
        self.check_items(info, "update", keys, list(payload))
        payload = self.checked(info, payload, "update", nested)
        self.rules.updating(collection, keys, payload)
        primary = info.primary or "id"
        written, mark = dict(payload), self._mark()
        with self._nesting() as children:
            payload = nested_writes.many_to_one(self, info, payload, nested)
            row = self.columns(info, payload)
            row.pop(primary, None)
            row = prepare_write(info, row, "update", self.who, self.now)
            if row:
                table = info.sql_table
                self.cast(info, row)
                for chunk in _chunks(keys):
                    self.execute(table.update().where(table.c[primary].in_(chunk)).values(row), row)
            for key in keys:
                nested_writes.one_to_many(self, info, payload, key, nested)
        delta = self.revised(info, row, relational=True)
        snapshots = self.snapshots(info, keys) if delta else {}
        changes = [Revision(key, snapshots.get(key), delta) for key in keys]
        revisions = self.changed(info, "update", changes, keep_revisions=bool(delta))
        self._adopt(revisions, children)
        self.announce(
            collection,
            "update",
            lambda: {"payload": written, "keys": keys, "collection": collection},
            mark,
        )
        return keys

    def delete(self, collection: str, keys: Sequence[Any]) -> list[Any]:
        """Delete the items of ``keys``; the keys."""
        info = self.info(collection)
        keys = self.keys(info, keys)
        if not keys:
            return []
        chosen = self.filtered(collection, "delete", keys, {"collection": collection})
        if chosen is not keys:
            keys = self.keys(info, chosen)
            if not keys:
                return []
        self.track(len(keys))
        self.check_items(info, "delete", keys)
        self.rules.deleting(collection, keys)
        self.flows.deleting(collection, keys)
        table = info.sql_table
        for chunk in _chunks(keys):
            self.execute(table.delete().where(table.c[info.primary or "id"].in_(chunk)))
        self.changed(info, "delete", [Revision(key) for key in keys])
        self.announce(
            collection,
            "delete",
            lambda: {"payload": keys, "keys": keys, "collection": collection},
        )
        return keys

    def upsert(self, collection: str, data: Any, nested: tuple[str, ...] = ()) -> Any:
        """Update the item when ``data`` holds the key of one that exists, else create it."""
        info = self.info(collection)
        payload = _object(data, collection)
        primary = info.primary or "id"
        key = parse_key(info, payload[primary]) if payload.get(primary) else None
        if key is not None and self.exists(info, key):
            rest = {name: value for name, value in payload.items() if name != primary}
            return self.update(collection, [key], rest, nested)[0]
        return self.create(collection, payload, nested)

    def upsert_singleton(self, collection: str, data: Any) -> Any:
        info = self.info(collection)
        table = info.sql_table
        key = self.conn.execute(sa.select(table.c[info.primary or "id"]).limit(1)).scalar()
        if key is not None:
            return self.update(collection, [key], data)[0]
        return self.create(collection, data)

    def keys_by_query(self, collection: str, query: Query) -> list[Any]:
        """The keys of the items ``query`` selects among those the caller may read."""
        reader, info = self.service.reader(self.conn, collection, "read", query.filter)
        primary = info.primary or "id"
        found = reader.items(info, dataclasses.replace(query, fields=(FieldRef((primary,)),)))
        return [item[primary] for item in found]

    # --- steps --------------------------------------------------------------------------

    def track(self, count: int) -> None:
        """Count mutations against ``MAX_BATCH_MUTATION``, nested ones included."""
        self.mutations += count
        if self.limit is not None and self.mutations > self.limit:
            raise InvalidPayloadError(f"Exceeded max batch mutation limit of {self.limit}")

    def keys(self, info: CollectionInfo, keys: Sequence[Any]) -> list[Any]:
        """The keys as the key's type; one that cannot be a key is FORBIDDEN."""
        if isinstance(keys, str | bytes) or not isinstance(keys, Sequence):
            raise InvalidPayloadError('"keys" has to be an array')
        parsed = [parse_key(info, key) for key in keys]
        if any(key is None for key in parsed):
            raise ForbiddenError()
        return parsed

    def checked(
        self,
        info: CollectionInfo,
        payload: dict[str, Any],
        action: WriteAction,
        nested: tuple[str, ...],
    ) -> dict[str, Any]:
        """Directus's ``processPayload``: permission, field list, presets, validation."""
        if self.who is None:
            return payload
        granted = self.granted(info, action)
        rules: list[Any] = [*field_rules(info, action)]
        if granted is not None:
            allowed = granted.fields
            refused = [name for name in payload if allowed is not None and name not in allowed]
            if refused:
                raise _fields_forbidden(info.collection, refused)
            payload = {**self.resolved(granted.presets), **payload}
            rules.extend(granted.validations)
        validate(payload, [self.resolved(rule) for rule in rules], nested=nested)
        return payload

    def granted(self, info: CollectionInfo, action: Action) -> PermissionSet | None:
        """The caller's permission for ``action``; None when unlimited; FORBIDDEN when none."""
        if self.permissions is None:
            return None
        granted = self.permissions.get(info.collection, action)
        if granted is None:
            reason = (
                f'You don\'t have permission to access collection "{info.collection}" '
                "or it does not exist."
            )
            raise ForbiddenError(reason, reason=reason)
        return granted

    def check_items(
        self, info: CollectionInfo, action: Action, keys: list[Any], fields: Sequence[str] = ()
    ) -> None:
        """Directus's ``validateAccess``: every key selectable through ``action``'s row rules,
        with every field of ``fields`` permitted on each of them."""
        if self.permissions is None:
            return
        self.granted(info, action)
        reader, _ = self.service.reader(self.conn, info.collection, action)
        grant = reader.access.of(info.collection)
        refused = [name for name in fields if not grant.readable(name)]
        if refused:
            raise _fields_forbidden(info.collection, refused)
        compiler = reader.compiler()
        scope = Scope(info, info.sql_table, ())
        conditions = [rule for rule in [compiler.rows(scope)] if rule is not None]
        for name in fields:
            rule = grant.field_rule(name)
            if rule is not None:
                conditions.append(compiler.trusted(rule, scope))
        wanted = set(keys)
        found: set[Any] = set()
        for chunk in _chunks(list(wanted)):
            statement = sa.select(scope.primary).where(scope.primary.in_(chunk), *conditions)
            found.update(self.conn.execute(statement).scalars())
        if len(found) < len(wanted):
            reason = (
                f'You don\'t have permission to perform "{action}" for collection '
                f'"{info.collection}" or it does not exist.'
            )
            raise ForbiddenError(reason, reason=reason)

    def columns(self, info: CollectionInfo, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The payload's values for real columns: alias fields and unknown keys dropped."""
        return {
            name: value
            for name, value in payload.items()
            if name in info.fields and not info.fields[name].is_alias
        }

    def cast(self, info: CollectionInfo, row: Mapping[str, Any]) -> None:
        """INVALID_PAYLOAD naming the field whose value its column cannot hold."""
        dialect = self.conn.dialect
        for name, value in row.items():
            field = info.fields[name]
            if isinstance(value, Mapping | list) and field.type not in _STRUCTURED:
                raise InvalidPayloadError(f'Value for field "{name}" has to be a {field.type}')
            column_type = info.sql_table.c[name].type
            if not isinstance(column_type, sa.TypeDecorator) or value is None:
                continue
            try:
                column_type.process_bind_param(value, dialect)
            except (ValueError, TypeError, ArithmeticError) as error:
                raise InvalidPayloadError(f'Invalid value for field "{name}": {error}') from None

    def insert(self, info: CollectionInfo, row: dict[str, Any]) -> Any:
        """INSERT the row; the new item's key (a given one checked against the key's type)."""
        primary = info.primary or "id"
        if row.get(primary):
            key = parse_key(info, row[primary])
            if key is None:
                raise ForbiddenError()
            row[primary] = key
        self.cast(info, row)
        table = info.sql_table
        key = self.execute(table.insert().values(row).returning(table.c[primary]), row).scalar_one()
        column = info.fields[primary].schema
        if primary in row and column is not None and column.has_auto_increment:
            self._reset_sequence(info)
        return key

    def execute(
        self, statement: sa.Executable, values: Mapping[str, Any] | None = None
    ) -> sa.CursorResult[Any]:
        """Run a statement, with constraint violations as the Directus errors they are.

        ``values`` are what it writes, so an error can name the value at fault.
        """
        try:
            return self.conn.execute(statement)
        except sa.exc.DBAPIError as error:
            translated = translate_db_error(error, values)
            if translated is None:
                raise
            raise translated from error

    def exists(self, info: CollectionInfo, key: Any) -> bool:
        table = info.sql_table
        column = table.c[info.primary or "id"]
        return self.conn.execute(sa.select(column).where(column == key)).first() is not None

    def snapshots(self, info: CollectionInfo, keys: list[Any]) -> dict[Any, dict[str, Any]]:
        """The items after an update, without relational fields, for their revisions."""
        skipped = nested_writes.relational_fields(self.overview, info.collection)
        names = [n for n, f in info.fields.items() if not f.is_alias and n not in skipped]
        primary = info.primary or "id"
        reader = Reader(self.conn, self.overview, FULL, now=self.now, admin=True)
        query = Query(
            fields=tuple(FieldRef((name,)) for name in names) or (FieldRef(("*",)),),
            filter=Condition((primary,), None, "_in", tuple(keys)),
            limit=None,
        )
        return {item[primary]: item for item in reader.items(info, query)}

    def revised(
        self, info: CollectionInfo, row: Mapping[str, Any], *, relational: bool
    ) -> dict[str, Any] | None:
        """Written values as a revision keeps them: concealed ones masked, and relational
        fields left out unless ``relational`` (an update's delta keeps them, as in Directus)."""
        skipped = (
            () if relational else nested_writes.relational_fields(self.overview, info.collection)
        )
        kept = {name: value for name, value in row.items() if name not in skipped}
        return conceal(info, kept) or None

    def changed(
        self,
        info: CollectionInfo,
        action: Literal["create", "update", "delete"],
        changes: list[Revision],
        *,
        keep_revisions: bool = True,
    ) -> list[int]:
        """What follows a change: activity (and revisions) as the collection's
        ``accountability`` says, and for roles, policies, access or permissions a bump that
        tells every process its cached permissions are stale. The new revisions' ids.
        """
        if info.collection in ACCESS_COLLECTIONS:
            bump_counter(self.conn, ACCESS)
        if info.collection in (FLOWS_TABLE, OPERATIONS_TABLE):
            bump_counter(self.conn, FLOWS)
        if action != "delete":
            self.flows.changed(info.collection, [change.item for change in changes])
        meta = info.meta
        tracking: Tracking = meta.get("accountability") if meta is not None else "all"
        if self.who is None or tracking is None:
            return []
        if not keep_revisions:
            tracking = "activity"
        activities = record(
            self.conn,
            self.who,
            action=action,
            collection=info.collection,
            changes=changes,
            tracking=tracking,
        )
        if tracking != "all" or action == "delete" or not activities:
            return []
        table = directus_revisions
        statement = sa.select(table.c.id).where(table.c.activity.in_(activities))
        return list(self.conn.execute(statement.order_by(table.c.id)).scalars())

    def resolved(self, value: Any) -> Any:
        """A rule or preset with its dynamic variables replaced by their values."""
        if isinstance(value, Mapping):
            return {key: self.resolved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolved(item) for item in value]
        if not isinstance(value, str) or not is_variable(value):
            return value
        variable = parse_variable(value, "permissions")
        if variable.name == "NOW":
            return now_value(variable, self.now)
        variables = self._variables or Variables.of(self.who, self.who.policies if self.who else ())
        if variable.path and variable not in variables.paths:
            probe = Condition(("_",), None, "_in", (variable,))
            variables = load_variables(self.conn, self.overview, variables, probe)
        self._variables = variables
        return variables.value(variable)

    # --- events -------------------------------------------------------------------------

    def filtered(self, collection: str, action: str, payload: Any, meta: dict[str, Any]) -> Any:
        """The payload as the event's filter hooks leave it."""
        if self.events is None:
            return payload
        flows = self.events.flows
        return flows.filter(
            self.conn, self.who, self.events.chain, collection, action, payload, meta
        )

    def announce(
        self,
        collection: str,
        action: str,
        meta: Callable[[], dict[str, Any]],
        at: int | None = None,
    ) -> None:
        """Have the event's action hooks fire after the commit, at position ``at`` among the
        call's events (an item's own comes before those of the items it nests)."""
        if self.events is None or self.pending is None:
            return
        flows = self.events.flows
        fire = flows.announce(self.conn, self.who, self.events.chain, collection, action, meta)
        if fire is not None:
            actions = self.pending.actions
            actions.insert(len(actions) if at is None else at, fire)

    def _mark(self) -> int:
        return len(self.pending.actions) if self.pending is not None else 0

    # --- revisions of nested writes ---------------------------------------------------------

    @contextlib.contextmanager
    def _nesting(self) -> Iterator[list[int]]:
        """Collect the revisions that nested writes make while this level runs."""
        children: list[int] = []
        self._frames.append(children)
        try:
            yield children
        finally:
            self._frames.pop()

    def _adopt(self, revisions: list[int], children: list[int]) -> None:
        """Make this level's (first) revision the parent of its nested writes' revisions, and
        report its own to the level that nests it: Directus links each level to the next."""
        if revisions and children:
            table = directus_revisions
            self.conn.execute(
                table.update().where(table.c.id.in_(children)).values(parent=revisions[0])
            )
        if self._frames:
            self._frames[-1].extend(revisions)

    def _reset_sequence(self, info: CollectionInfo) -> None:
        """After an explicit key, move PostgreSQL's sequence past the largest key."""
        if self.conn.dialect.name != "postgresql":
            return
        table = info.sql_table
        column = table.c[info.primary or "id"]
        quoted = self.conn.dialect.identifier_preparer.quote(info.collection)
        highest = sa.func.greatest(sa.select(sa.func.max(column)).scalar_subquery(), 1)
        sequence = sa.func.pg_get_serial_sequence(quoted, column.name)
        self.conn.execute(sa.select(sa.func.setval(sequence, highest)))


def _object(data: Any, collection: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidPayloadError(f'An item of "{collection}" has to be an object')
    return dict(data)


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list | tuple):
        raise InvalidPayloadError("Input should be an array of items")
    return list(data)


def _fields_forbidden(collection: str, fields: list[str]) -> ForbiddenError:
    named = ", ".join(f'"{name}"' for name in fields)
    if len(fields) == 1:
        reason = (
            f"You don't have permission to access field {named} in collection "
            f'"{collection}" or it does not exist.'
        )
    else:
        reason = (
            f"You don't have permission to access fields {named} in collection "
            f'"{collection}" or they do not exist.'
        )
    return ForbiddenError(reason, reason=reason)


def _chunks(keys: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]
