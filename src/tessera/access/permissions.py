"""The caller's permission rows, merged per collection and action as Directus merges them.

For one collection and action, the rows of all the caller's policies combine:
field lists are unioned (``*`` in any row means every field); row rules are ORed
(a row with no rule grants every item and swallows the rest); validations are
ANDed; presets are deep-merged in policy order, later policies winning. Callers
with app access also get Directus's "app minimal" rows: their own user, activity
and notifications, the settings, their roles, and the schema collections.

Enforcement — which rows and fields a read returns, what a write may touch — is
the services' job; this module only says what was granted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.db.system_tables import directus_permissions

Action = Literal["create", "read", "update", "delete", "share"]
ACTIONS: tuple[Action, ...] = ("create", "read", "update", "delete", "share")
ALL_FIELDS = "*"


@dataclass(frozen=True)
class Permission:
    """One ``directus_permissions`` row (``policy`` is None for the built-in app rows)."""

    collection: str
    action: Action
    rule: Mapping[str, Any] | None = None
    validation: Mapping[str, Any] | None = None
    presets: Mapping[str, Any] | None = None
    fields: frozenset[str] = frozenset({ALL_FIELDS})
    policy: str | None = None

    @property
    def all_items(self) -> bool:
        return not self.rule


@dataclass(frozen=True)
class PermissionSet:
    """Everything granted for one collection and action, in policy order."""

    collection: str
    action: Action
    rows: tuple[Permission, ...]

    @property
    def fields(self) -> frozenset[str] | None:
        """The fields granted by any row; None means every field."""
        granted: set[str] = set()
        for row in self.rows:
            if ALL_FIELDS in row.fields:
                return None
            granted |= row.fields
        return frozenset(granted)

    @property
    def rules(self) -> tuple[Mapping[str, Any], ...] | None:
        """The row rules to OR together; None when some row grants every item."""
        if any(row.all_items for row in self.rows):
            return None
        return tuple(row.rule for row in self.rows if row.rule)

    @property
    def validations(self) -> tuple[Mapping[str, Any], ...]:
        """The validation filters a payload must pass, all of them."""
        return tuple(row.validation for row in self.rows if row.validation)

    @property
    def presets(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for row in self.rows:
            if row.presets:
                merged = _deep_merge(merged, row.presets)
        return merged

    def cases(self) -> list[tuple[Mapping[str, Any] | None, frozenset[str] | None]]:
        """(rule, fields) per distinct rule, fields unioned, for field-level reads.

        A field granted only under some rules reads as null on rows that only the
        other rules let through — Directus's CASE WHEN … THEN col ELSE NULL END.
        """
        grouped: dict[str, tuple[Mapping[str, Any] | None, set[str] | None]] = {}
        for row in self.rows:
            key = _canonical(row.rule or {})
            rule, fields = grouped.get(key, (row.rule or None, set()))
            if fields is None or ALL_FIELDS in row.fields:
                grouped[key] = (rule, None)
            else:
                grouped[key] = (rule, fields | row.fields)
        return [
            (rule, None if fields is None else frozenset(fields))
            for rule, fields in grouped.values()
        ]


def _deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _mine(field: str) -> dict[str, Any]:
    return {field: {"_eq": "$CURRENT_USER"}}


#: Directus's built-in rows for callers with app access (the schema collections are
#: narrowed further by the schema services to what the caller may read).
APP_MINIMAL: tuple[Permission, ...] = (
    Permission("directus_collections", "read"),
    Permission("directus_fields", "read"),
    Permission("directus_relations", "read"),
    Permission("directus_activity", "read", rule=_mine("user")),
    Permission("directus_roles", "read", rule={"id": {"_in": "$CURRENT_ROLES"}}),
    Permission("directus_settings", "read"),
    Permission("directus_notifications", "read", rule=_mine("recipient")),
    Permission(
        "directus_notifications", "update", rule=_mine("recipient"), fields=frozenset({"status"})
    ),
    Permission(
        "directus_users",
        "read",
        rule=_mine("id"),
        fields=frozenset(
            {
                "id",
                "first_name",
                "last_name",
                "last_page",
                "email",
                "password",
                "location",
                "title",
                "description",
                "tags",
                "avatar",
                "language",
                "appearance",
                "theme_light",
                "theme_dark",
                "tfa_secret",
                "status",
                "role",
            }
        ),
    ),
)


class Permissions:
    """The caller's permissions, looked up by collection and action."""

    def __init__(self, rows: Iterable[Permission]) -> None:
        grouped: dict[tuple[str, str], list[Permission]] = {}
        for row in rows:
            grouped.setdefault((row.collection, row.action), []).append(row)
        self._sets = {
            key: PermissionSet(key[0], key[1], tuple(found))  # type: ignore[arg-type]
            for key, found in grouped.items()
        }

    def get(self, collection: str, action: Action) -> PermissionSet | None:
        """What is granted, or None when nothing is (the caller gets FORBIDDEN)."""
        return self._sets.get((collection, action))

    def collections(self, action: Action) -> set[str]:
        return {collection for collection, act in self._sets if act == action}


def load_permissions(conn: Connection, accountability: Accountability) -> Permissions:
    """Every row of the caller's policies, in policy order, plus the app rows when due."""
    table = directus_permissions
    order = {policy: index for index, policy in enumerate(accountability.policies)}
    rows: list[Permission] = []
    if accountability.policies:
        found = conn.execute(
            sa.select(table).where(table.c.policy.in_(accountability.policies))
        ).all()
        for row in sorted(found, key=lambda r: (order[r.policy], r.id)):
            if row.action not in ACTIONS:
                continue
            rows.append(
                Permission(
                    collection=row.collection,
                    action=row.action,
                    rule=row.permissions or None,
                    validation=row.validation or None,
                    presets=row.presets or None,
                    fields=_fields(row.fields),
                    policy=row.policy,
                )
            )
    if accountability.app:
        rows.extend(APP_MINIMAL)
    return Permissions(rows)


def _fields(value: str | None) -> frozenset[str]:
    """A row's field list: ``*``, or names; empty grants the action on no field."""
    if value is None:
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())
