"""Relations: a foreign key (when both sides are tables) plus its ``directus_relations`` row.

One relation row per key-holding field, as in Directus: m2o is one row; o2m is
the same row with ``one_field`` naming the alias on the other side; m2m is two rows
on a junction collection pointing at each other through ``junction_field``; m2a
is a junction row with no ``one_collection`` and a list of allowed collections.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import directus_fields, directus_relations
from tessera.errors import ForbiddenError, InvalidPayloadError
from tessera.schema import ddl
from tessera.schema.names import check_name
from tessera.schema.overview import RelationInfo, SchemaOverview
from tessera.services.schema_change import SchemaContext

META_COLUMNS = frozenset(directus_relations.c.keys()) - {"id", "many_collection", "many_field"}
ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")
#: Key types that can reference each other.
_FAMILIES = ({"integer", "bigInteger"}, {"uuid"}, {"string"})


def _exists(overview: SchemaOverview, collection: str) -> None:
    """A relation joins tables; a folder has none (Directus does not list folders here either)."""
    info = overview.collections.get(collection)
    if info is None or info.is_folder:
        raise InvalidPayloadError(f'Collection "{collection}" doesn\'t exist')


def _meta_row(meta: dict[str, Any]) -> dict[str, Any]:
    row = {key: value for key, value in meta.items() if key in META_COLUMNS}
    allowed = row.get("one_allowed_collections")
    if isinstance(allowed, list):
        row["one_allowed_collections"] = ",".join(allowed) or None
    return row


def _action(schema: dict[str, Any], key: str, default: str) -> str:
    value = schema.get(key) or default
    if not isinstance(value, str) or value.upper() not in ACTIONS:
        raise InvalidPayloadError(f'"schema.{key}" must be one of {", ".join(ACTIONS)}')
    return value.upper()


class RelationsService:
    def __init__(self, context: SchemaContext) -> None:
        self.context = context

    def read_all(self, collection: str | None = None) -> list[dict[str, Any]]:
        overview = self.context.overview("directus_relations")
        if collection is not None and collection not in overview.collections:
            raise ForbiddenError()
        return [
            r.to_api()
            for r in overview.relations
            if collection is None or r.collection == collection
        ]

    def read_one(self, collection: str, field: str) -> dict[str, Any]:
        relation = self.context.overview("directus_relations").relation(collection, field)
        if relation is None:
            raise ForbiddenError()
        return relation.to_api()

    def create(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidPayloadError("A relation must be an object")
        collection, field = payload.get("collection"), payload.get("field")
        if not isinstance(collection, str) or not isinstance(field, str):
            raise InvalidPayloadError('"collection" and "field" are required')
        related = payload.get("related_collection")
        meta = payload.get("meta", {})
        schema = payload.get("schema", {})
        if meta is not None and not isinstance(meta, dict):
            raise InvalidPayloadError('"meta" must be an object or null')
        if schema is not None and not isinstance(schema, dict):
            raise InvalidPayloadError('"schema" must be an object or null')
        with self.context.change() as (conn, overview):
            _exists(overview, collection)
            info = overview.collections[collection]
            column = info.fields.get(field)
            if column is None or column.schema is None:
                raise InvalidPayloadError(
                    f'Field "{field}" doesn\'t exist in collection "{collection}"'
                )
            existing = overview.relation(collection, field)
            if existing is not None:
                raise InvalidPayloadError(
                    f'Field "{field}" in collection "{collection}" already has an associated '
                    "relationship"
                )
            meta = dict(meta or {})
            if related is not None:
                _exists(overview, related)
                self._link(conn, overview, collection, field, related, schema)
            else:
                self._check_any(overview, collection, meta)
            if payload.get("meta", {}) is not None:
                conn.execute(
                    sa.insert(directus_relations).values(
                        many_collection=collection,
                        many_field=field,
                        **{**_meta_row(meta), "one_collection": related},
                    )
                )
            if related is not None and meta.get("one_field"):
                self._ensure_alias(conn, overview, collection, related, meta)
            self.context.audit(
                conn, "create", "directus_relations", f"{collection}.{field}", payload
            )
        return self.read_one(collection, field)

    @staticmethod
    def _link(
        conn: Connection,
        overview: SchemaOverview,
        collection: str,
        field: str,
        related: str,
        schema: dict[str, Any] | None,
    ) -> None:
        if schema is None:
            return
        target = overview.collections[related]
        source = overview.collections[collection]
        pk = target.fields[target.primary]  # type: ignore[index]
        column = source.fields[field]
        if not any(pk.type in family and column.type in family for family in _FAMILIES):
            raise InvalidPayloadError(
                f'Field "{field}" ({column.type}) can\'t reference "{related}.{pk.field}" '
                f"({pk.type})"
            )
        ddl.add_foreign_key(
            conn,
            collection,
            field,
            related,
            pk.field,
            on_delete=_action(schema, "on_delete", "SET NULL"),
            on_update=_action(schema, "on_update", "NO ACTION"),
        )

    @staticmethod
    def _check_any(overview: SchemaOverview, collection: str, meta: dict[str, Any]) -> None:
        allowed = meta.get("one_allowed_collections")
        if not allowed:
            raise InvalidPayloadError(
                '"related_collection" is required, or "meta.one_allowed_collections" for a '
                "many-to-any relation"
            )
        if not isinstance(allowed, list):
            raise InvalidPayloadError('"meta.one_allowed_collections" must be an array')
        for name in allowed:
            _exists(overview, name)
        holder = meta.get("one_collection_field")
        if not holder or holder not in overview.collections[collection].fields:
            raise InvalidPayloadError(
                f'"meta.one_collection_field" must name a field of collection "{collection}"'
            )

    @staticmethod
    def _ensure_alias(
        conn: Connection,
        overview: SchemaOverview,
        collection: str,
        related: str,
        meta: dict[str, Any],
    ) -> None:
        """Create the alias field on the "one" side when the caller did not.

        Through a junction, the other half of the junction decides the kind: no related
        collection makes it many-to-any, ``directus_files`` makes it files.
        """
        one_field = check_name(meta["one_field"], "meta.one_field")
        existing = overview.collections[related].fields.get(one_field)
        if existing is not None:
            if not existing.is_alias:
                raise InvalidPayloadError(
                    f'Field "{one_field}" of collection "{related}" is not an alias field'
                )
            return
        special, interface = "o2m", "list-o2m"
        if meta.get("junction_field"):
            special, interface = "m2m", "list-m2m"
            other = overview.relation(collection, meta["junction_field"])
            if other is not None and other.related_collection is None:
                special, interface = "m2a", "list-m2a"
            elif other is not None and other.related_collection == "directus_files":
                special, interface = "files", "files"
        conn.execute(
            sa.insert(directus_fields).values(
                collection=related, field=one_field, special=special, interface=interface
            )
        )

    def update(self, collection: str, field: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidPayloadError("A relation must be an object")
        with self.context.change() as (conn, overview):
            relation = overview.relation(collection, field)
            if relation is None:
                raise ForbiddenError()
            schema = payload.get("schema")
            if isinstance(schema, dict) and relation.schema is not None:
                current = relation.schema
                on_delete = _action(schema, "on_delete", current.on_delete)
                on_update = _action(schema, "on_update", current.on_update)
                if (on_delete, on_update) != (current.on_delete, current.on_update):
                    ddl.drop_foreign_key(conn, collection, field)
                    ddl.add_foreign_key(
                        conn,
                        collection,
                        field,
                        current.foreign_key_table,
                        current.foreign_key_column,
                        on_delete=on_delete,
                        on_update=on_update,
                    )
            meta = payload.get("meta")
            if isinstance(meta, dict):
                row = _meta_row(meta)
                row.pop("one_collection", None)
                table = directus_relations
                if relation.meta is None:
                    conn.execute(
                        sa.insert(table).values(
                            many_collection=collection,
                            many_field=field,
                            one_collection=relation.related_collection,
                            **row,
                        )
                    )
                elif row:
                    conn.execute(
                        sa.update(table).where(table.c.id == relation.meta["id"]).values(**row)
                    )
                if relation.related_collection and "one_field" in row:
                    old = (relation.meta or {}).get("one_field")
                    if old and old != row["one_field"]:
                        _drop_alias(conn, relation.related_collection, old)
                    if row["one_field"]:
                        self._ensure_alias(
                            conn, overview, collection, relation.related_collection, row
                        )
            self.context.audit(
                conn, "update", "directus_relations", f"{collection}.{field}", payload
            )
        return self.read_one(collection, field)

    def delete(self, collection: str, field: str) -> None:
        with self.context.change() as (conn, overview):
            relation = overview.relation(collection, field)
            if relation is None:
                raise ForbiddenError()
            drop_relation(conn, overview, relation)
            self.context.audit(conn, "delete", "directus_relations", f"{collection}.{field}")


def drop_relation(conn: Connection, overview: SchemaOverview, relation: RelationInfo) -> None:
    """Drop the foreign key, the relation row and the alias field on the other side."""
    if relation.schema is not None:
        ddl.drop_foreign_key(conn, relation.collection, relation.field)
    meta = relation.meta or {}
    if meta.get("one_field") and relation.related_collection:
        _drop_alias(conn, relation.related_collection, meta["one_field"])
    if meta.get("id") is not None:
        rel = directus_relations
        conn.execute(sa.delete(rel).where(rel.c.id == meta["id"]))


def _drop_alias(conn: Connection, collection: str, field: str) -> None:
    """Remove the alias field a relation showed on its "one" side."""
    fields = directus_fields
    conn.execute(
        sa.delete(fields).where((fields.c.collection == collection) & (fields.c.field == field))
    )
