"""The caller's permissions as the query layer applies them to one action.

:mod:`tessera.access.permissions` says what each policy granted;
:func:`access_for` turns that into a :class:`~tessera.query.access.ReadAccess` whose row
rules are parsed filters — for reads, and for the item checks of updates and deletes,
which select the items through that action's rules exactly as a read would.
"""

from __future__ import annotations

from tessera.access.accountability import Accountability
from tessera.access.permissions import Action, Permissions
from tessera.query.access import FULL, Case, CollectionAccess, ReadAccess
from tessera.query.filter import parse_filter
from tessera.query.model import Filter

#: Row rules are written by admins; they may nest as deeply as Directus lets them.
RULE_DEPTH = 64


def is_full(accountability: Accountability | None) -> bool:
    """Tessera's own calls and admins are not limited by permissions."""
    return accountability is None or accountability.admin


def access_for(
    accountability: Accountability | None, permissions: Permissions | None, action: Action
) -> ReadAccess:
    """What ``action`` may reach, collection by collection."""
    if is_full(accountability) or permissions is None:
        return FULL
    collections: dict[str, CollectionAccess] = {}
    for collection in permissions.collections(action):
        granted = permissions.get(collection, action)
        assert granted is not None
        cases = tuple(
            Case(_rule(rule, collection, action), fields) for rule, fields in granted.cases()
        )
        collections[collection] = CollectionAccess(cases)
    return ReadAccess(collections)


def rules_of(access: ReadAccess) -> list[Filter]:
    """Every row rule in ``access``, for loading the variables they use."""
    if access.full:
        return []
    return [
        case.rule
        for grant in access.collections.values()
        for case in grant.cases
        if case.rule is not None
    ]


def _rule(raw: object, collection: str, action: str) -> Filter | None:
    if not raw:
        return None
    return parse_filter(raw, f"permissions.{collection}.{action}", RULE_DEPTH)
