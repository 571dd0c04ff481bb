"""Directus's query language: the model (:mod:`.model`) and its parser (:func:`parse_query`)."""

from tessera.query.model import (
    Adjustment,
    And,
    Condition,
    DynamicVariable,
    FieldRef,
    Filter,
    FrozenMap,
    Geometry,
    Or,
    Query,
    Relational,
    SortKey,
)
from tessera.query.parse import parse_query

__all__ = [
    "Adjustment",
    "And",
    "Condition",
    "DynamicVariable",
    "FieldRef",
    "Filter",
    "FrozenMap",
    "Geometry",
    "Or",
    "Query",
    "Relational",
    "SortKey",
    "parse_query",
]
