"""GeoJSON operands of the ``_intersects`` family, checked before a database sees them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidQueryError
from tessera.query.inputs import decode_json
from tessera.query.model import Geometry

#: How many list levels wrap the positions of each geometry type.
_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def parse_geometry(raw: object, where: str) -> Geometry:
    """A geometry, a Feature (its geometry is used) or either as JSON text."""
    if isinstance(raw, str):
        raw = decode_json(raw, where)
    if isinstance(raw, Mapping) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    return Geometry(
        json.dumps(_geometry(raw, where, collection_allowed=True), separators=(",", ":"))
    )


def _geometry(raw: object, where: str, *, collection_allowed: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidQueryError(f'"{where}" must be a GeoJSON geometry')
    kind = raw.get("type")
    if kind == "GeometryCollection" and collection_allowed:
        members = raw.get("geometries")
        if not isinstance(members, list) or not members:
            raise InvalidQueryError(f'"{where}" needs a list of geometries')
        return {
            "type": kind,
            "geometries": [_geometry(m, where, collection_allowed=False) for m in members],
        }
    if not isinstance(kind, str) or kind not in _NESTING:
        raise InvalidQueryError(f'"{where}" has no GeoJSON geometry type')
    return {
        "type": kind,
        "coordinates": _coordinates(raw.get("coordinates"), _NESTING[kind], where),
    }


def _coordinates(raw: object, nesting: int, where: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise InvalidQueryError(f'"{where}" has malformed GeoJSON coordinates')
    if nesting:
        return [_coordinates(item, nesting - 1, where) for item in raw]
    if not 2 <= len(raw) <= 3 or not all(_is_number(n) for n in raw):
        raise InvalidQueryError(f'"{where}" has a GeoJSON position that is not 2 or 3 numbers')
    return list(raw)


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53
