"""Collection and field names: SQL identifiers, never a system prefix for a collection."""

from __future__ import annotations

import pytest

from tessera.errors import InvalidPayloadError
from tessera.schema.names import MAX_NAME_LENGTH, check_name, is_taken


@pytest.mark.parametrize("name", ["posts", "Posts", "_private", "a1", "x" * MAX_NAME_LENGTH])
@pytest.mark.parametrize("what", ["collection", "field"])
def test_good_names(name, what):
    assert check_name(name, what) == name


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        12,
        "1st",
        "has space",
        "a-b",
        "a/b",
        "a.b",
        'q"uote',
        "é",
        "x" * (MAX_NAME_LENGTH + 1),
    ],
)
@pytest.mark.parametrize("what", ["collection", "field"])
def test_bad_names(name, what):
    with pytest.raises(InvalidPayloadError):
        check_name(name, what)


def test_a_name_is_taken_whatever_its_letter_case():
    assert is_taken("Title", ["id", "title"])
    assert is_taken("title", {"TITLE": 1})
    assert not is_taken("titles", ["title"])


@pytest.mark.parametrize("name", ["directus_things", "tessera_things"])
def test_system_prefixes_are_reserved_for_collections_only(name):
    with pytest.raises(InvalidPayloadError, match="can't start with"):
        check_name(name, "collection")
    assert check_name(name, "field") == name
