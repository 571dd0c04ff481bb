"""Fields: a column (or an alias) plus its ``directus_fields`` row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.db.system_tables import directus_collections, directus_fields, directus_relations
from tessera.db.system_tables import metadata as system_metadata
from tessera.errors import ContainsNullValuesError, ForbiddenError, InvalidPayloadError
from tessera.schema import ddl
from tessera.schema.names import check_name, is_taken
from tessera.schema.overview import CollectionInfo, FieldInfo, SchemaOverview
from tessera.schema.types import ALIAS_SPECIALS, FIELD_TYPES
from tessera.services.schema_change import SchemaContext

META_COLUMNS = frozenset(directus_fields.c.keys()) - {"id", "collection", "field"}
#: Types whose column alone does not say what they are; a ``special`` flag remembers it.
IMPLIED_SPECIAL = {"hash": "hash", "csv": "cast-csv"}
_SCHEMA_KEYS = frozenset(
    {
        "name",
        "table",
        "data_type",
        "default_value",
        "max_length",
        "numeric_precision",
        "numeric_scale",
        "is_nullable",
        "is_unique",
        "is_indexed",
        "is_primary_key",
        "is_generated",
        "generation_expression",
        "has_auto_increment",
        "foreign_key_table",
        "foreign_key_column",
        "comment",
        "schema",
    }
)


def collection_or_forbidden(overview: SchemaOverview, name: str) -> CollectionInfo:
    """Directus answers FORBIDDEN for what does not exist, so existence does not leak."""
    info = overview.collections.get(name)
    if info is None:
        raise ForbiddenError()
    return info


def field_or_forbidden(overview: SchemaOverview, collection: str, field: str) -> FieldInfo:
    info = collection_or_forbidden(overview, collection).fields.get(field)
    if info is None:
        raise ForbiddenError()
    return info


def meta_row(meta: dict[str, Any]) -> dict[str, Any]:
    """A ``directus_fields`` row from an API ``meta`` object (unknown keys dropped)."""
    row = {key: value for key, value in meta.items() if key in META_COLUMNS}
    if isinstance(row.get("special"), list):
        row["special"] = ",".join(row["special"]) or None
    return row


def spec_from_payload(payload: dict[str, Any], field_type: str) -> ddl.ColumnSpec:
    schema = payload.get("schema") or {}
    if not isinstance(schema, dict):
        raise InvalidPayloadError('"schema" must be an object')
    unknown = set(schema) - _SCHEMA_KEYS
    if unknown:
        raise InvalidPayloadError(f'"schema" has unknown keys: {", ".join(sorted(unknown))}')
    for key in ("max_length", "numeric_precision", "numeric_scale"):
        value = schema.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise InvalidPayloadError(f'"schema.{key}" must be a whole number')
    auto = bool(schema.get("has_auto_increment"))
    if auto and field_type not in ("integer", "bigInteger"):
        raise InvalidPayloadError("Only integer fields can auto-increment")
    primary = bool(schema.get("is_primary_key")) or auto
    return ddl.ColumnSpec(
        name=payload["field"],
        type=field_type,
        max_length=schema.get("max_length"),
        precision=schema.get("numeric_precision"),
        scale=schema.get("numeric_scale"),
        nullable=schema.get("is_nullable", True) is not False,
        default=schema.get("default_value"),
        unique=bool(schema.get("is_unique")),
        indexed=bool(schema.get("is_indexed")),
        primary_key=primary,
        auto_increment=auto,
        comment=schema.get("comment"),
    )


def prepare_field(
    collection: CollectionInfo | None,
    payload: Any,
) -> tuple[ddl.ColumnSpec | None, dict[str, Any] | None]:
    """Check a field payload; return its column spec (None for an alias) and meta row."""
    if not isinstance(payload, dict):
        raise InvalidPayloadError("A field must be an object")
    name = check_name(payload.get("field"), "field")
    if collection is not None and is_taken(name, collection.fields):
        raise InvalidPayloadError(
            f'Field "{name}" already exists in collection "{collection.collection}"'
        )
    meta = payload.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise InvalidPayloadError('"meta" must be an object or null')
    special = list((meta or {}).get("special") or [])
    field_type = payload.get("type")
    if field_type is None and any(flag in ALIAS_SPECIALS for flag in special):
        field_type = "alias"
    if field_type not in FIELD_TYPES:
        raise InvalidPayloadError(f'"type" must be one of [{", ".join(sorted(FIELD_TYPES))}]')
    if field_type == "alias":
        if not any(flag in ALIAS_SPECIALS for flag in special):
            special.append("alias")
        return None, meta_row({**(meta or {}), "special": special})
    if collection is not None and collection.is_folder:
        raise InvalidPayloadError(
            f'Collection "{collection.collection}" is a folder and can only hold alias fields'
        )
    implied = IMPLIED_SPECIAL.get(field_type)
    if implied and implied not in special:
        special.append(implied)
        meta = {**(meta or {}), "special": special}
    return spec_from_payload(payload, field_type), meta_row(meta) if meta is not None else None


def insert_meta(conn: Connection, collection: str, field: str, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(directus_fields).values(collection=collection, field=field, **row))


class FieldsService:
    def __init__(self, context: SchemaContext) -> None:
        self.context = context

    def read_all(self, collection: str | None = None) -> list[dict[str, Any]]:
        overview = self.context.overview("directus_fields")
        if collection is not None:
            infos = [collection_or_forbidden(overview, collection)]
        else:
            infos = list(overview.collections.values())
        return [f.to_api() for info in infos for f in info.fields.values()]

    def read_one(self, collection: str, field: str) -> dict[str, Any]:
        overview = self.context.overview("directus_fields")
        return field_or_forbidden(overview, collection, field).to_api()

    def create(self, collection: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.context.change() as (conn, overview):
            info = collection_or_forbidden(overview, collection)
            spec, meta = prepare_field(info, payload)
            if spec is not None:
                if spec.primary_key:
                    raise InvalidPayloadError("A collection has one primary key, set at creation")
                if not spec.nullable and spec.default is None and _has_rows(conn, collection):
                    raise InvalidPayloadError(
                        f'Field "{spec.name}" can\'t be required without a default value '
                        f'while "{collection}" has items'
                    )
                ddl.add_column(conn, collection, spec)
            if meta is not None:
                insert_meta(conn, collection, payload["field"], meta)
            self.context.audit(
                conn, "create", "directus_fields", f"{collection}.{payload['field']}", payload
            )
        return self.read_one(collection, payload["field"])

    def update(self, collection: str, field: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidPayloadError("A field must be an object")
        with self.context.change() as (conn, overview):
            info = field_or_forbidden(overview, collection, field)
            if payload.get("field", field) != field:
                raise InvalidPayloadError("A field can't be renamed")
            new_type = payload.get("type") or info.type
            if new_type != info.type and (
                "alias" in (new_type, info.type) or new_type not in FIELD_TYPES
            ):
                raise InvalidPayloadError(
                    f'Field "{field}" can\'t change type from {info.type} to {new_type}'
                )
            if info.schema is not None and ("schema" in payload or new_type != info.type):
                _refuse_system_column(info, "changed")
                self._alter(conn, collection, info, payload.get("schema") or {}, new_type)
            if "meta" in payload:
                self._write_meta(conn, info, payload["meta"], new_type)
            elif new_type != info.type and new_type in IMPLIED_SPECIAL:
                self._write_meta(conn, info, {}, new_type)
            self.context.audit(conn, "update", "directus_fields", f"{collection}.{field}", payload)
        return self.read_one(collection, field)

    def _alter(
        self,
        conn: Connection,
        collection: str,
        info: FieldInfo,
        schema: dict[str, Any],
        new_type: str,
    ) -> None:
        assert info.schema is not None
        if not isinstance(schema, dict):
            raise InvalidPayloadError('"schema" must be an object')
        for key in ("is_primary_key", "has_auto_increment"):
            if key in schema and bool(schema[key]) != getattr(info.schema, key):
                raise InvalidPayloadError(f'"schema.{key}" can\'t be changed')
        spec_from_payload({"field": info.field, "schema": schema}, new_type)  # validates
        old = ddl.ColumnSpec.from_column(info.schema, info.schema.field_type)
        new = old.updated(schema, new_type if new_type != info.type else None)
        if old.nullable and not new.nullable:
            table = sa.table(collection, sa.column(info.field))
            nulls = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c[info.field].is_(None))
            ).scalar()
            if nulls:
                raise ContainsNullValuesError(
                    f'Field "{info.field}" in collection "{collection}" contains null values.',
                    collection=collection,
                    field=info.field,
                )
        if new != old:
            ddl.alter_column(conn, collection, old, new)

    def _write_meta(self, conn: Connection, info: FieldInfo, meta: Any, field_type: str) -> None:
        if meta is not None and not isinstance(meta, dict):
            raise InvalidPayloadError('"meta" must be an object or null')
        row = meta_row(meta or {})
        implied = IMPLIED_SPECIAL.get(field_type)
        if implied:
            special = (row.get("special") or "").split(",") if row.get("special") else []
            if implied not in special:
                row["special"] = ",".join([*special, implied])
        table = directus_fields
        where = (table.c.collection == info.collection) & (table.c.field == info.field)
        if info.meta is None or "id" not in info.meta:  # none, or only built-in system meta
            insert_meta(conn, info.collection, info.field, row)
        elif row:
            conn.execute(sa.update(table).where(where).values(**row))

    def delete(self, collection: str, field: str) -> None:
        with self.context.change() as (conn, overview):
            info = field_or_forbidden(overview, collection, field)
            if info.schema is not None and info.schema.is_primary_key:
                raise InvalidPayloadError(
                    f'Field "{field}" is the primary key and can\'t be deleted'
                )
            _refuse_system_column(info, "deleted")
            drop_field(conn, overview, info)
            self.context.audit(conn, "delete", "directus_fields", f"{collection}.{field}")


def _refuse_system_column(info: FieldInfo, what: str) -> None:
    """Tessera's own columns on system collections are fixed; fields added to them are not."""
    table = system_metadata.tables.get(info.collection)
    if table is not None and info.field in table.c:
        raise InvalidPayloadError(f'System field "{info.collection}.{info.field}" can\'t be {what}')


def drop_field(conn: Connection, overview: SchemaOverview, info: FieldInfo) -> None:
    """Drop a field and undo every reference to it in the metadata."""
    collection, field = info.collection, info.field
    for relation in overview.relations_using(collection, field):
        meta = relation.meta or {}
        if relation.collection == collection and field in (
            relation.field,
            meta.get("one_collection_field"),
        ):
            raise InvalidPayloadError(
                f'Field "{field}" is used by the relation on "{relation.collection}.'
                f'{relation.field}"; delete the relation first'
            )
    rel = directus_relations
    conn.execute(
        sa.update(rel)
        .where((rel.c.one_collection == collection) & (rel.c.one_field == field))
        .values(one_field=None)
    )
    conn.execute(
        sa.update(rel)
        .where((rel.c.many_collection == collection) & (rel.c.sort_field == field))
        .values(sort_field=None)
    )
    col = directus_collections
    for key in ("sort_field", "archive_field"):
        conn.execute(
            sa.update(col)
            .where((col.c.collection == collection) & (col.c[key] == field))
            .values({key: None})
        )
    fields = directus_fields
    in_collection = fields.c.collection == collection
    conn.execute(
        sa.update(fields).where(in_collection & (fields.c.group == field)).values(group=None)
    )
    conn.execute(sa.delete(fields).where(in_collection & (fields.c.field == field)))
    if info.schema is not None:
        ddl.drop_column(conn, collection, field)


def _has_rows(conn: Connection, table: str) -> bool:
    return (
        conn.execute(sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)).first()
        is not None
    )
