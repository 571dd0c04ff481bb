"""System collections carry the metadata Directus keeps in code: specials, aliases, relations."""

from __future__ import annotations

import pytest

from tessera.db.system_tables import metadata as system_tables
from tessera.schema.overview import SchemaCache
from tessera.schema.system_meta import SYSTEM_ALIASES, SYSTEM_RELATIONS, SYSTEM_SPECIALS
from tessera.services.fields import FieldsService
from tessera.services.schema_change import SchemaContext


@pytest.fixture
def overview(db):
    return SchemaCache(db).get()


def test_every_listed_system_field_is_a_real_column():
    for collection, fields in SYSTEM_SPECIALS.items():
        assert set(fields) <= set(system_tables.tables[collection].c.keys()), collection
    for many, field, related, *_ in SYSTEM_RELATIONS:
        assert field in system_tables.tables[many].c, (many, field)
        assert related in system_tables.tables, related


def test_user_secrets_are_hashed_and_concealed(overview):
    users = overview.collections["directus_users"].fields
    assert users["password"].type == "hash"
    assert users["password"].special == ["hash", "conceal"]
    assert users["token"].special == ["conceal"]
    assert users["tfa_secret"].special == ["conceal"]
    assert users["id"].special == ["uuid"]
    assert users["password"].meta["system"] is True


def test_specials_decide_the_type(overview):
    assert overview.collections["directus_policies"].fields["ip_access"].type == "csv"
    assert overview.collections["directus_permissions"].fields["fields"].type == "csv"
    assert overview.collections["directus_activity"].fields["timestamp"].type == "timestamp"
    stamps = overview.collections["directus_files"].fields
    assert stamps["created_on"].special == ["date-created"]
    assert stamps["uploaded_by"].special == ["user-created"]


def test_system_aliases_exist_without_columns(overview):
    for collection, aliases in SYSTEM_ALIASES.items():
        for field, special in aliases.items():
            info = overview.collections[collection].fields[field]
            assert info.type == "alias"
            assert info.schema is None
            assert info.special == [special]


def test_policies_reach_roles_and_users_through_directus_access(overview):
    access = [
        (r.field, r.related_collection, r.meta["one_field"], r.meta["junction_field"])
        for r in overview.relations
        if r.collection == "directus_access"
    ]
    assert sorted(access) == [
        ("policy", "directus_policies", "roles", "role"),
        ("policy", "directus_policies", "users", "user"),
        ("role", "directus_roles", "policies", "policy"),
        ("user", "directus_users", "policies", "policy"),
    ]
    flow = overview.relation("directus_operations", "flow")
    assert flow.meta["one_field"] == "operations"
    assert flow.meta["one_deselect_action"] == "delete"
    assert flow.schema is not None  # the database's foreign key is kept beside the meta


def test_a_metadata_row_adds_to_the_built_in_meta_but_keeps_its_flags(db):
    cache = SchemaCache(db)
    FieldsService(SchemaContext(db, cache)).update(
        "directus_users", "password", {"meta": {"note": "Min. 12 characters", "special": None}}
    )
    password = cache.get().collections["directus_users"].fields["password"]
    assert password.meta["note"] == "Min. 12 characters"
    assert password.special == ["hash", "conceal"]
    assert password.type == "hash"
