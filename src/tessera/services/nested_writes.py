"""Relational values inside a payload, written through the same pipeline as the item.

Directus's shapes (``PayloadService.processM2O`` / ``processA2O`` / ``processO2M``):

- a many-to-one field takes a key, ``null``, an object without a key (a new related
  item) or with one (the related item is updated when other fields come with it). The
  ``item`` field of a many-to-any junction does the same in the collection its sibling
  field names, which must be one of the relation's allowed collections;
- a one-to-many field takes the full list of children — keys of existing items, new
  items, items with their key to update — and de-selects every other child it has, or
  the detailed ``{create, update, delete}``. De-selecting follows the relation's
  ``one_deselect_action``: ``nullify`` clears the child's foreign key, ``delete``
  deletes the child. Many-to-many and many-to-any fields are one-to-many fields of
  their junction, so ``tags: [{tags_id: {name: "new"}}]`` creates a junction row that
  creates a tag.

Every nested item is created, updated or deleted by the :class:`~tessera.services.
item_writes.Writer` of the call, so it meets its own collection's permissions, presets,
validation, specials, activity and revisions.

Where Directus fails with a server error or writes something odd, this answers
INVALID_PAYLOAD: a list as a many-to-one value (Directus creates an item from it),
``null`` or a list inside a one-to-many list, a detailed ``update`` without the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.schema.overview import CollectionInfo, RelationInfo, SchemaOverview
from tessera.services.keys import parse_key

if TYPE_CHECKING:
    from tessera.services.item_writes import Writer

Path = tuple[str, ...]
_ALTERATIONS = ("create", "update", "delete")


def relational_fields(overview: SchemaOverview, collection: str) -> frozenset[str]:
    """The collection's fields that take part in a relation (Directus leaves them out of
    revision snapshots)."""
    info = overview.collections.get(collection)
    fields = info.fields if info is not None else {}
    found = set()
    for relation in overview.relations:
        one_field = (relation.meta or {}).get("one_field")
        if relation.collection == collection and relation.field in fields:
            found.add(relation.field)
        elif relation.related_collection == collection and one_field in fields:
            found.add(one_field)
    return frozenset(found)


# --- many-to-one and many-to-any ----------------------------------------------------------


def many_to_one(
    writer: Writer, info: CollectionInfo, payload: dict[str, Any], nested: Path
) -> dict[str, Any]:
    """The payload with each nested related object written and replaced by its key."""
    for relation in writer.overview.relations:
        if relation.collection != info.collection or relation.field not in payload:
            continue
        value = payload[relation.field]
        name = f"{info.collection}.{relation.field}"
        if isinstance(value, list):
            raise InvalidPayloadError(f'"{name}" takes a primary key, an object or null')
        if not isinstance(value, Mapping):
            continue
        target = relation.related_collection or _any_target(relation, payload, name)
        key = _write_related(writer, target, value, (*nested, relation.field))
        payload[relation.field] = key if relation.related_collection else str(key)
    return payload


def _any_target(relation: RelationInfo, payload: Mapping[str, Any], name: str) -> str:
    """The collection a many-to-any item goes to: the sibling field's value, if allowed."""
    meta = relation.meta or {}
    sibling = meta.get("one_collection_field")
    target = payload.get(sibling) if sibling else None
    if not target:
        raise InvalidPayloadError(
            f'Can\'t update nested record "{name}" without field '
            f'"{relation.collection}.{sibling}" being set'
        )
    if target not in (meta.get("one_allowed_collections") or []):
        raise InvalidPayloadError(f'"{name}" can\'t be linked to collection "{target}"')
    return str(target)


def _write_related(writer: Writer, collection: str, value: Mapping[str, Any], path: Path) -> Any:
    """Update the related item when the object holds an existing key, else create it."""
    info = writer.info(collection)
    primary = info.primary or "id"
    key = parse_key(info, value[primary]) if primary in value else None
    if key is None or not writer.exists(info, key):
        return writer.create(collection, value, path)
    rest = {name: item for name, item in value.items() if name != primary}
    if rest:
        writer.update(collection, [key], rest, path)
    return key


# --- one-to-many (and many-to-many, many-to-any through their junctions) ------------------


def one_to_many(
    writer: Writer, info: CollectionInfo, payload: Mapping[str, Any], parent: Any, nested: Path
) -> None:
    """Write the children the payload's one-to-many fields give the item ``parent``."""
    for relation in writer.overview.relations:
        one_field = (relation.meta or {}).get("one_field")
        if relation.related_collection != info.collection or not isinstance(one_field, str):
            continue
        if one_field not in payload:
            continue
        child = writer.info(relation.collection)
        value = payload[one_field]
        path = (*nested, one_field)
        if _replaces(value):
            _replace(writer, relation, child, value or [], parent, path)
        else:
            _alter(writer, relation, child, _alterations(value), parent, path)


def _replaces(value: Any) -> bool:
    """A list, or what JavaScript calls falsy (no children at all), as Directus reads it."""
    if isinstance(value, list) or value is None or value is False or value == "":
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _replace(
    writer: Writer,
    relation: RelationInfo,
    child: CollectionInfo,
    elements: list[Any],
    parent: Any,
    path: Path,
) -> None:
    """The children are exactly ``elements``: write them, de-select the others."""
    primary = child.primary or "id"
    foreign = relation.field
    kept: list[Any] = []
    records: list[dict[str, Any]] = []
    for index, element in enumerate(elements):
        if isinstance(element, Mapping):
            record = dict(element)
            raw = record.get(primary)
            existing = _linked(writer, child, foreign, raw) if raw else None
        elif isinstance(element, str | int) and not isinstance(element, bool):
            existing = _linked(writer, child, foreign, element)
            if existing is None:
                raise ForbiddenError()
            if _same(existing[1], parent):
                kept.append(existing[0])
                continue
            record = {primary: element}
        else:
            where = f"{'.'.join(path)}[{index}]"
            raise InvalidPayloadError(f'"{where}" has to be a primary key or an object')
        if existing is None or not _same(existing[1], parent):
            record[foreign] = parent
        records.append(record)
    kept.extend(writer.upsert(child.collection, record, path) for record in records)
    table = child.sql_table
    others = sa.select(table.c[primary]).where(table.c[foreign] == parent)
    if kept:
        others = others.where(table.c[primary].not_in(kept))
    _deselect(writer, relation, child, list(writer.conn.execute(others).scalars()), path)


def _alterations(value: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The detailed ``{create, update, delete}`` shape, checked as Directus's Joi schema does."""

    def invalid(message: str) -> InvalidPayloadError:
        return InvalidPayloadError(f"Invalid one-to-many update structure: {message}")

    if not isinstance(value, Mapping):
        raise invalid('"value" must be of type object')
    found: dict[str, list[Any]] = {}
    for name in _ALTERATIONS:
        if name not in value:
            found[name] = []
            continue
        items = value[name]
        if not isinstance(items, list):
            raise invalid(f'"{name}" must be an array')
        for index, item in enumerate(items):
            if name == "delete":
                if isinstance(item, bool) or not isinstance(item, str | int | float):
                    raise invalid(f'"delete[{index}]" does not match any of the allowed types')
            elif not isinstance(item, Mapping):
                raise invalid(f'"{name}[{index}]" must be of type object')
        found[name] = items
    for name in value:
        if name not in _ALTERATIONS:
            raise invalid(f'"{name}" is not allowed')
    return found["create"], found["update"], found["delete"]


def _alter(
    writer: Writer,
    relation: RelationInfo,
    child: CollectionInfo,
    alterations: tuple[list[Any], list[Any], list[Any]],
    parent: Any,
    path: Path,
) -> None:
    create, update, delete = alterations
    primary = child.primary or "id"
    foreign = relation.field
    table = child.sql_table
    sort = (relation.meta or {}).get("sort_field")
    highest = None
    if create and sort:
        highest = writer.conn.execute(
            sa.select(sa.func.max(table.c[sort])).where(
                table.c[foreign] == parent, table.c[sort].is_not(None)
            )
        ).scalar()
    for index, item in enumerate(create):
        record = dict(item)
        if sort and sort not in record:
            record[sort] = highest + index + 1 if highest else index + 1
        record[foreign] = parent
        writer.create(child.collection, record, path)
    for index, item in enumerate(update):
        record = dict(item)
        if record.get(primary) is None:
            raise InvalidPayloadError(
                f'Invalid one-to-many update structure: "update[{index}]" needs its "{primary}"'
            )
        key = record.pop(primary)
        existing = _linked(writer, child, foreign, key)
        if existing is None or not _same(existing[1], parent):
            record[foreign] = parent
        writer.update(child.collection, [key], record, path)
    keys = [key for key in (parse_key(child, raw) for raw in delete) if key is not None]
    if keys:
        chosen = sa.select(table.c[primary]).where(
            table.c[foreign] == parent, table.c[primary].in_(keys)
        )
        _deselect(writer, relation, child, list(writer.conn.execute(chosen).scalars()), path)


def _deselect(
    writer: Writer, relation: RelationInfo, child: CollectionInfo, keys: list[Any], path: Path
) -> None:
    """Children taken away from their parent: deleted, or their foreign key cleared."""
    if not keys:
        return
    if (relation.meta or {}).get("one_deselect_action") == "delete":
        writer.delete(child.collection, keys)
    else:
        writer.update(child.collection, keys, {relation.field: None}, path)


def _linked(
    writer: Writer, child: CollectionInfo, foreign: str, raw: Any
) -> tuple[Any, Any] | None:
    """An existing child's key and the parent it points at; None when there is no such child."""
    key = parse_key(child, raw)
    if key is None:
        return None
    table = child.sql_table
    column = table.c[child.primary or "id"]
    row = writer.conn.execute(sa.select(column, table.c[foreign]).where(column == key)).first()
    return None if row is None else (row[0], row[1])


def _same(reference: Any, parent: Any) -> bool:
    """Directus's loose ``==``: a key may come back as text where it was sent as a number."""
    return reference is not None and str(reference) == str(parent)
