"""Collections: a table (or a folder with no table) plus its ``directus_collections`` row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import (
    directus_activity,
    directus_collections,
    directus_fields,
    directus_permissions,
    directus_relations,
    directus_revisions,
)
from tessera.errors import InvalidPayloadError
from tessera.schema import ddl
from tessera.schema.names import check_name, is_taken
from tessera.schema.overview import SchemaOverview, split_csv
from tessera.services.fields import collection_or_forbidden, insert_meta, prepare_field
from tessera.services.relations import drop_relation
from tessera.services.schema_change import SchemaContext

META_COLUMNS = frozenset(directus_collections.c.keys()) - {"collection"}
DEFAULT_ID_FIELD = {
    "field": "id",
    "type": "integer",
    "meta": {"hidden": True, "interface": "numeric", "readonly": True},
    "schema": {"is_primary_key": True, "has_auto_increment": True},
}


def collection_meta_row(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise InvalidPayloadError('"meta" must be an object')
    return {key: value for key, value in meta.items() if key in META_COLUMNS}


class CollectionsService:
    def __init__(self, context: SchemaContext) -> None:
        self.context = context

    def read_all(self) -> list[dict[str, Any]]:
        overview = self.context.overview()
        return [overview.collections[name].to_api() for name in sorted(overview.collections)]

    def read_one(self, collection: str) -> dict[str, Any]:
        return collection_or_forbidden(self.context.overview(), collection).to_api()

    def create(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidPayloadError("A collection must be an object")
        name = check_name(payload.get("collection"), "collection")
        fields = payload.get("fields") or []
        if not isinstance(fields, list):
            raise InvalidPayloadError('"fields" must be an array')
        is_table = payload.get("schema") is not None
        with self.context.change() as (conn, overview):
            if is_taken(name, overview.collections) or sa.inspect(conn).has_table(name):
                raise InvalidPayloadError(f'Collection "{name}" already exists')
            prepared = []
            seen: set[str] = set()
            for field in fields:
                spec, meta = prepare_field(None, field)
                if is_taken(field["field"], seen):
                    raise InvalidPayloadError(f'Field "{field["field"]}" is listed twice')
                seen.add(field["field"])
                if spec is not None and not is_table:
                    raise InvalidPayloadError(
                        f'Collection "{name}" is a folder and can only hold alias fields'
                    )
                prepared.append((field["field"], spec, meta))
            if is_table:
                specs = [spec for _, spec, _ in prepared if spec is not None]
                primaries = [spec for spec in specs if spec.primary_key]
                if len(primaries) > 1:
                    raise InvalidPayloadError("A collection can have only one primary key")
                if not primaries:
                    if is_taken("id", seen):
                        raise InvalidPayloadError('Field "id" must be the primary key')
                    id_spec, id_meta = prepare_field(None, DEFAULT_ID_FIELD)
                    assert id_spec is not None
                    prepared.insert(0, ("id", id_spec, id_meta))
                    specs.insert(0, id_spec)
                ddl.create_table(conn, name, specs)
            collection_meta = payload.get("meta")
            if collection_meta is None and not is_table:
                collection_meta = {}  # a folder is nothing but its meta row
            self._check_group(overview, collection_meta)
            if collection_meta is not None:
                conn.execute(
                    sa.insert(directus_collections).values(
                        collection=name, **collection_meta_row(collection_meta)
                    )
                )
            sort = 0
            for field_name, _spec, meta in prepared:
                if meta is not None:
                    if "sort" not in meta and not meta.get("group"):
                        sort += 1
                        meta = {**meta, "sort": sort}
                    insert_meta(conn, name, field_name, meta)
            self.context.audit(conn, "create", "directus_collections", name, payload)
        return self.read_one(name)

    @staticmethod
    def _check_group(overview: SchemaOverview, meta: Any) -> None:
        group = (meta or {}).get("group") if isinstance(meta, dict) else None
        if group is not None and group not in overview.collections:
            raise InvalidPayloadError(f'Collection "{group}" doesn\'t exist')

    def update(self, collection: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidPayloadError("A collection must be an object")
        if payload.get("collection", collection) != collection:
            raise InvalidPayloadError("A collection can't be renamed")
        with self.context.change() as (conn, overview):
            info = collection_or_forbidden(overview, collection)
            if "meta" in payload and payload["meta"] is not None:
                row = collection_meta_row(payload["meta"])
                self._check_group(overview, row)
                if row.get("group") == collection:
                    raise InvalidPayloadError("A collection can't be its own group")
                for key in ("sort_field", "archive_field"):
                    if row.get(key) and row[key] not in info.fields:
                        raise InvalidPayloadError(
                            f'Field "{row[key]}" doesn\'t exist in collection "{collection}"'
                        )
                table = directus_collections
                if info.meta is None:
                    conn.execute(sa.insert(table).values(collection=collection, **row))
                elif row:
                    conn.execute(
                        sa.update(table).where(table.c.collection == collection).values(**row)
                    )
            self.context.audit(conn, "update", "directus_collections", collection, payload)
        return self.read_one(collection)

    def delete(self, collection: str) -> None:
        with self.context.change() as (conn, overview):
            info = collection_or_forbidden(overview, collection)
            if info.system:
                raise InvalidPayloadError("System collections can't be deleted")
            _delete_collection(conn, overview, collection, is_table=info.table is not None)
            self.context.audit(conn, "delete", "directus_collections", collection)


def _delete_collection(
    conn: Connection, overview: SchemaOverview, name: str, *, is_table: bool
) -> None:
    rel = directus_relations
    for relation in overview.relations:
        if relation.related_collection == name and relation.collection != name:
            drop_relation(conn, overview, relation)
        elif relation.collection == name:
            one_field = (relation.meta or {}).get("one_field")
            if relation.related_collection and one_field:
                fields = directus_fields
                conn.execute(
                    sa.delete(fields).where(
                        (fields.c.collection == relation.related_collection)
                        & (fields.c.field == one_field)
                    )
                )
    conn.execute(sa.delete(rel).where(rel.c.many_collection == name))
    for relation in overview.relations:
        allowed = split_csv((relation.meta or {}).get("one_allowed_collections")) or []
        if name in allowed:
            remaining = ",".join(c for c in allowed if c != name) or None
            conn.execute(
                sa.update(rel)
                .where(rel.c.id == relation.meta["id"])  # type: ignore[index]
                .values(one_allowed_collections=remaining)
            )
    col = directus_collections
    conn.execute(sa.update(col).where(col.c.group == name).values(group=None))
    conn.execute(sa.delete(directus_fields).where(directus_fields.c.collection == name))
    conn.execute(sa.delete(col).where(col.c.collection == name))
    conn.execute(sa.delete(directus_permissions).where(directus_permissions.c.collection == name))
    revisions = directus_revisions
    own = sa.select(revisions.c.id).where(revisions.c.collection == name)
    conn.execute(sa.update(revisions).where(revisions.c.parent.in_(own)).values(parent=None))
    conn.execute(sa.delete(revisions).where(revisions.c.collection == name))
    conn.execute(sa.delete(directus_activity).where(directus_activity.c.collection == name))
    if is_table:
        ddl.drop_table(conn, name)
