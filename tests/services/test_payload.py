"""The special flags on the way in and out, on a user collection and on directus_users."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tessera.access.accountability import Accountability
from tessera.access.passwords import verify_password
from tessera.schema.overview import SchemaCache
from tessera.services.collections import CollectionsService
from tessera.services.payload import CONCEALED, conceal, prepare_write
from tessera.services.schema_change import SchemaContext

CALLER = Accountability(
    user="0d6d1a52-2f4c-4a49-9d57-8d3f7b2a7c11", role="a1b2c3d4-0000-4000-8000-000000000001"
)
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def overview(db):
    cache = SchemaCache(db)
    CollectionsService(SchemaContext(db, cache)).create(
        {
            "collection": "notes",
            "schema": {},
            "fields": [
                {
                    "field": "id",
                    "type": "uuid",
                    "schema": {"is_primary_key": True},
                    "meta": {"special": ["uuid"]},
                },
                {"field": "created", "type": "timestamp", "meta": {"special": ["date-created"]}},
                {"field": "updated", "type": "timestamp", "meta": {"special": ["date-updated"]}},
                {"field": "author", "type": "uuid", "meta": {"special": ["user-created"]}},
                {"field": "editor", "type": "uuid", "meta": {"special": ["user-updated"]}},
                {"field": "team", "type": "uuid", "meta": {"special": ["role-created"]}},
                {"field": "pin", "type": "hash"},
                {"field": "body", "type": "text"},
            ],
        }
    )
    return cache.get()


def test_create_keys_stamps_and_hashes(overview):
    notes = overview.collections["notes"]
    stored = prepare_write(
        notes, {"body": "hi", "pin": "1234", "author": "someone"}, "create", CALLER, NOW
    )
    uuid.UUID(stored["id"])
    assert stored["created"] == NOW
    assert stored["author"] == CALLER.user  # the stamp wins over what was sent
    assert stored["team"] == CALLER.role
    assert "updated" not in stored
    assert "editor" not in stored
    assert stored["pin"] != "1234"
    assert verify_password(stored["pin"], "1234")
    assert stored["body"] == "hi"


def test_a_given_key_is_kept_and_update_stamps_only_update_fields(overview):
    notes = overview.collections["notes"]
    key = str(uuid.uuid4())
    assert prepare_write(notes, {"id": key}, "create", None, NOW)["id"] == key
    stored = prepare_write(notes, {"body": "edited"}, "update", CALLER, NOW)
    assert stored == {"body": "edited", "updated": NOW, "editor": CALLER.user}


def test_internal_calls_stamp_no_user(overview):
    stored = prepare_write(overview.collections["notes"], {}, "create", None, NOW)
    assert stored["author"] is None
    assert stored["team"] is None


def test_empty_hash_values_are_left_alone(overview):
    notes = overview.collections["notes"]
    assert prepare_write(notes, {"pin": ""}, "update", None, NOW)["pin"] == ""
    assert prepare_write(notes, {"pin": None}, "update", None, NOW)["pin"] is None


def test_users_passwords_are_hashed_and_secrets_concealed(overview):
    users = overview.collections["directus_users"]
    stored = prepare_write(
        users, {"email": "a@example.com", "password": "s3cret!"}, "create", None, NOW
    )
    assert verify_password(stored["password"], "s3cret!")
    uuid.UUID(stored["id"])
    shown = conceal(
        users,
        {
            "password": stored["password"],
            "token": "abc",
            "tfa_secret": None,
            "email": "a@example.com",
        },
    )
    assert shown == {
        "password": CONCEALED,
        "token": CONCEALED,
        "tfa_secret": None,
        "email": "a@example.com",
    }
