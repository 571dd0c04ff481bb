"""The caller's permissions, loaded and parsed once per set of policies, until access changes.

Every non-admin request needs its policies' permission rows, merged and with their row
rules parsed. :class:`AccessCache` keeps that per (policies, app access) and per action,
tagged with the :data:`~tessera.db.counters.ACCESS` counter it was built at; a change to
permissions, policies, access or roles bumps the counter (in the writing transaction),
and the next request in any process rebuilds. A request costs one primary-key lookup.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.permissions import Action, Permissions, load_permissions
from tessera.db.counters import ACCESS, read_counter
from tessera.query.access import FULL, ReadAccess
from tessera.services.grants import access_for, is_full

#: The collections whose changes alter what callers may do.
ACCESS_COLLECTIONS = frozenset(
    {"directus_permissions", "directus_policies", "directus_access", "directus_roles"}
)

#: (policies, app access, the ACCESS counter the entry was read at)
_Key = tuple[tuple[str, ...], bool, int]


class AccessCache:
    """One process's parsed permissions; share one instance across requests."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._version = -1
        self._permissions: dict[_Key, Permissions] = {}
        self._access: dict[tuple[_Key, Action], ReadAccess] = {}
        self._lock = threading.Lock()

    def permissions(self, conn: Connection, who: Accountability) -> Permissions:
        return self._permissions_at(conn, who, self._key(conn, who))

    def access(self, conn: Connection, who: Accountability | None, action: Action) -> ReadAccess:
        """What ``action`` may reach for ``who`` (everything for admins and internal calls)."""
        if is_full(who):
            return FULL
        assert who is not None
        key = self._key(conn, who)
        found = self._access.get((key, action))
        if found is None:
            found = access_for(who, self._permissions_at(conn, who, key), action)
            with self._lock:
                self._access[(key, action)] = found
        return found

    def _key(self, conn: Connection, who: Accountability) -> _Key:
        """The entry's key; entries of older counters are dropped on the way."""
        version = read_counter(conn, ACCESS)
        with self._lock:
            if version != self._version or len(self._permissions) >= self.size:
                self._permissions.clear()
                self._access.clear()
                self._version = version
        return (who.policies, who.app, version)

    def _permissions_at(self, conn: Connection, who: Accountability, key: _Key) -> Permissions:
        found = self._permissions.get(key)
        if found is None:
            found = load_permissions(conn, who)
            with self._lock:
                self._permissions[key] = found
        return found
