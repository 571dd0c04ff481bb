"""``Range`` as Directus reads it, but for one-byte ranges, which RFC 9110 allows."""

from __future__ import annotations

import pytest

from tessera.services.assets import RangeNotSatisfiableError, byte_range

pytestmark = pytest.mark.database_free


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("items=0-5", None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 8504)),
        ("bytes=-100", (8405, 8504)),
        ("bytes=0-99999", (0, 8504)),
        ("bytes=-99999", (0, 8504)),
        ("bytes=0-0", (0, 0)),
        ("bytes=5-5", (5, 5)),
        ("bytes=0-1,5-6", (0, 1)),
    ],
)
def test_ranges(header, expected):
    assert byte_range(header, 8505) == expected


@pytest.mark.parametrize(
    ("header", "extension"),
    [
        ("bytes=9000-", {"start": 9000}),
        ("bytes=8505-", {"start": 8505}),
        ("bytes=10-5", {"start": 10, "end": 5}),
        ("bytes=-", {}),
        ("bytes=-0", {"end": 0}),
    ],
)
def test_unsatisfiable_ranges(header, extension):
    with pytest.raises(RangeNotSatisfiableError) as refused:
        byte_range(header, 8505)
    error = refused.value
    assert error.status == 416
    assert error.extensions == {"code": "RANGE_NOT_SATISFIABLE", "range": extension}
    raw = header.removeprefix("bytes=")
    assert error.message == (
        f"Range \"{raw}\" is invalid or the file's size doesn't match the requested range."
    )
