"""The event scopes an event flow may listen to: those Tessera fires, by hook type.

Each is fired from a service, so every door (REST, MCP, flows, the CLI) fires it:

- ``items.create``, ``items.update``, ``items.delete`` (filter and action), per collection
  of the flow's ``collections`` (see :mod:`.active`); the names they expand to
  (``articles.items.create``, ``users.update``) may also be listed directly;
- ``files.upload`` (action): a file's bytes were stored (:mod:`tessera.services.files`);
- ``auth.login`` (filter and action) and ``auth.jwt`` (filter): signing in
  (:mod:`tessera.services.flows.auth_events`);
- ``server.start`` and ``server.stop`` (action): the application's lifespan;
- ``email.send`` (filter): a message about to go out (:mod:`tessera.services.mail`).

Directus names more (``items.promote``, ``items.sort``, ``response``, ``request.error``,
``database.error``, ``auth.create``, ``auth.update``, ``authenticate``, ``extensions.*``);
Tessera has nothing that fires them, the README says why for each. Directus saves a flow
listening to any name and never runs it; Tessera refuses it on save, saying which names
it fires.
"""

from __future__ import annotations

import re

from tessera.db.system_tables import SYSTEM_TABLE_NAMES
from tessera.errors import InvalidPayloadError
from tessera.services.flows.active import ITEM_SCOPES, SYSTEM_PREFIX

#: The scopes each hook type may listen to.
SCOPES: dict[str, tuple[str, ...]] = {
    "filter": (*ITEM_SCOPES, "auth.login", "auth.jwt", "email.send"),
    "action": (*ITEM_SCOPES, "files.upload", "auth.login", "server.start", "server.stop"),
}
_USER_ITEM_EVENT = re.compile(r"^.+\.items\.(create|update|delete)$")
_SYSTEM_NAMES = frozenset(
    name[len(SYSTEM_PREFIX) :] for name in SYSTEM_TABLE_NAMES if name.startswith(SYSTEM_PREFIX)
)


def check_scopes(kind: str, scopes: list[str]) -> None:
    """Refuse a scope Tessera never fires for a ``kind`` (filter or action) flow."""
    allowed = SCOPES.get(kind)
    if allowed is None:
        return
    for scope in scopes:
        if scope in allowed or _item_event(scope):
            continue
        listed = ", ".join(allowed)
        raise InvalidPayloadError(
            f'"options.scope" "{scope}" is no {kind} event Tessera fires (it fires {listed}, '
            "and the per-collection names items events expand to)"
        )


def _item_event(name: str) -> bool:
    """Whether ``name`` is what an items scope expands to: ``<collection>.items.<action>``
    or ``<system collection without directus_>.<action>``."""
    if _USER_ITEM_EVENT.match(name):
        return True
    stem, _, action = name.rpartition(".")
    return stem in _SYSTEM_NAMES and action in ("create", "update", "delete")
