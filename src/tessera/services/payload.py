"""What the ``special`` flags do to an item on its way in and out.

On the way in (create and update): a missing UUID key is generated, ``date-*``,
``user-*`` and ``role-*`` fields are stamped by the action they name (the stamp
overwrites whatever the caller sent, as in Directus), and ``hash`` fields are
stored as argon2 hashes. On the way out: ``conceal`` fields show ``**********``
when they hold anything. Casting (json, csv, booleans, dates) is not here: the
column types of :mod:`tessera.schema.values` do it for every read and write.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from tessera.access.accountability import Accountability
from tessera.access.passwords import hash_password
from tessera.schema.overview import CollectionInfo
from tessera.schema.values import CONCEALED

Action = Literal["create", "update"]

#: Stamps: special flag → (the action that writes it, what it writes).
_STAMPS: dict[str, tuple[Action, str]] = {
    "date-created": ("create", "now"),
    "date-updated": ("update", "now"),
    "user-created": ("create", "user"),
    "user-updated": ("update", "user"),
    "role-created": ("create", "role"),
    "role-updated": ("update", "role"),
}


def prepare_write(
    collection: CollectionInfo,
    payload: Mapping[str, Any],
    action: Action,
    accountability: Accountability | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The payload as it should be stored: stamped, keyed and hashed."""
    out = dict(payload)
    moment = now or dt.datetime.now(dt.UTC)
    who = accountability or Accountability()
    for name, info in collection.fields.items():
        special = info.special
        if not special or info.schema is None:
            continue
        if action == "create" and "uuid" in special and not out.get(name):
            out[name] = str(uuid.uuid4())
        for flag in special:
            stamp = _STAMPS.get(flag)
            if stamp is None or stamp[0] != action:
                continue
            source = stamp[1]
            out[name] = moment if source == "now" else who.user if source == "user" else who.role
        if "hash" in special and isinstance(out.get(name), str) and out[name]:
            out[name] = hash_password(out[name])
    return out


def conceal(collection: CollectionInfo, item: dict[str, Any]) -> dict[str, Any]:
    """The item as a caller may see it: concealed fields masked when they hold a value."""
    for name, info in collection.fields.items():
        if "conceal" in info.special and item.get(name) not in (None, ""):
            item[name] = CONCEALED
    return item
