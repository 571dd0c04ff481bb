"""Users and access: the rules Directus keeps on its system collections, and the caller's view.

The items service writes ``directus_users``, ``directus_roles``, ``directus_policies``,
``directus_access`` and ``directus_permissions`` like any collection; :class:`SystemRules`
adds what Directus's UsersService, RolesService, PoliciesService and AccessService add, so
that every door (REST, MCP, CLI) keeps them:

- a user's email is a valid address, unique compared case-insensitively
  (RECORD_NOT_UNIQUE); a password matches ``directus_settings.auth_password_policy``
  (FAILED_VALIDATION); ``tfa_secret`` is never written by a caller, ``provider`` and
  ``external_identifier`` only by admins (INVALID_PAYLOAD);
- a user's ``status`` is one of :data:`USER_STATUSES` and a static ``token`` is unique —
  Directus leaves both to its app and its database; a user who stops being active loses
  their sessions;
- a role is not its own ancestor; a deleted role's users are suspended and left without
  a role, and its child roles without a parent;
- a policy's ``ip_access`` holds addresses, ranges and CIDR blocks only;
- a folder is not its own ancestor, and a deleted folder's files and subfolders move up to
  its parent (:mod:`tessera.services.files.folders`);
- the call may not leave the system without an active admin (UNPROCESSABLE_CONTENT).

Where Directus is wrong this does what it means: a password or token that breaks a rule is
not echoed back in the error, and a call is refused for removing the last admin only when
there was one before it (Directus refuses any such write on a database that has none).

No change here needs the ACCESS counter: the access cache keys on the caller's policies,
which follow the user's role as read on every request, so a user whose role changes gets
the new role's permissions on their next request; changes to roles, policies, access and
permissions bump it in the writer.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Connection

from tessera.access.accountability import Accountability
from tessera.access.permissions import ACTIONS, Action, PermissionSet
from tessera.access.resolve import role_chain
from tessera.db.system_tables import (
    directus_access,
    directus_policies,
    directus_roles,
    directus_sessions,
    directus_settings,
    directus_users,
)
from tessera.errors import (
    FailedValidationError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidPayloadError,
    InvalidQueryError,
    RecordNotUniqueError,
    TesseraError,
)
from tessera.query.filter import parse_filter
from tessera.query.filter_variables import Variables, load_variables, now_value
from tessera.query.model import Condition
from tessera.query.variables import is_variable, parse_variable
from tessera.services.files import folders
from tessera.services.grants import RULE_DEPTH, is_full
from tessera.services.validation import js_pattern

if TYPE_CHECKING:
    from tessera.schema.overview import SchemaOverview
    from tessera.services.items import ItemsService

#: The statuses a user may have; only ``active`` signs in.
USER_STATUSES = ("draft", "invited", "unverified", "active", "suspended", "archived")
#: Random bytes in a generated static token (written as URL-safe base64, 43 characters).
TOKEN_BYTES = 32
#: The actions in the order Directus lists them in ``/permissions/me`` for non-admins.
_LISTED_ACTIONS: tuple[Action, ...] = ("read", "create", "update", "delete", "share")


class UnprocessableContentError(TesseraError):
    code = "UNPROCESSABLE_CONTENT"
    status = 422

    def __init__(self, reason: str, **ext: Any) -> None:
        super().__init__(f"Can't process content. {reason}.", reason=reason, **ext)


class SystemRules:
    """The rules of one write call of the items service, which runs them in its transaction.

    The writer calls :meth:`creating`, :meth:`updating` and :meth:`deleting` at every level
    once the caller's permissions are checked (Directus raises these after its permission
    checks too) and before the SQL; :meth:`finish` runs once every level has been written,
    so that a call which replaces one admin by another through nested writes passes.
    """

    def __init__(self, conn: Connection, who: Accountability | None) -> None:
        self.conn = conn
        self.who = who
        #: Whether active admins existed before the first write that may remove some.
        self._had_admins: bool | None = None

    def creating(self, collection: str, payload: Mapping[str, Any]) -> None:
        if collection == "directus_users":
            self._check_user(payload, [])
        elif collection == "directus_policies":
            _check_ip_access(payload)
        elif collection == "directus_permissions":
            check_permission_row(payload)
        elif collection == folders.FOLDERS:
            folders.check_new_folder(payload)

    def updating(self, collection: str, keys: Sequence[Any], payload: Mapping[str, Any]) -> None:
        if collection == "directus_users":
            self._check_user(payload, keys)
            status = payload.get("status", "active")
            if "role" in payload or status != "active":
                self._admins_at_risk()
            if status != "active":
                self._end_sessions(keys)
        elif collection == "directus_roles" and "parent" in payload:
            _check_nesting(self.conn, keys, payload["parent"])
            self._admins_at_risk()
        elif collection == "directus_policies":
            _check_ip_access(payload)
            if "admin_access" in payload:
                self._admins_at_risk()
        elif collection == "directus_access":
            self._admins_at_risk()
        elif collection == "directus_permissions":
            check_permission_row(payload)
        elif collection == folders.FOLDERS and "parent" in payload:
            folders.check_parent(self.conn, keys, payload["parent"])

    def deleting(self, collection: str, keys: Sequence[Any]) -> None:
        if collection in ("directus_users", "directus_policies", "directus_access"):
            self._admins_at_risk()
        elif collection == "directus_roles":
            self._admins_at_risk()
            users, roles = directus_users, directus_roles
            members = sa.select(users.c.id).where(users.c.role.in_(keys))
            self._end_sessions(list(self.conn.execute(members).scalars()))
            self.conn.execute(
                users.update().where(users.c.role.in_(keys)).values(status="suspended", role=None)
            )
            self.conn.execute(roles.update().where(roles.c.parent.in_(keys)).values(parent=None))
        elif collection == folders.FOLDERS:
            folders.lift_contents(self.conn, keys)

    def finish(self) -> None:
        """UNPROCESSABLE_CONTENT when the call removed the last active admin."""
        if self._had_admins and not active_admins_remain(self.conn):
            raise UnprocessableContentError("Cannot remove the last admin user from the system")

    def _admins_at_risk(self) -> None:
        if self._had_admins is None:
            self._had_admins = active_admins_remain(self.conn)

    def _check_user(self, payload: Mapping[str, Any], keys: Sequence[Any]) -> None:
        """Directus's checks on a user payload, in its order, then Tessera's own."""
        email = payload.get("email")
        if email is not None and email != "":
            if len(keys) > 1:
                raise _not_unique("email", email)
            if not isinstance(email, str) or not is_email(email):
                raise FailedValidationError([{"field": "email", "type": "email", "path": []}])
            self._check_unique("email", email, keys)
        password = payload.get("password")
        if isinstance(password, str) and (password or not keys):
            self._check_password(password)
        if keys and self.who is not None:
            if "tfa_secret" in payload:
                raise InvalidPayloadError('You can\'t change the "tfa_secret" value manually')
            for name in ("provider", "external_identifier"):
                if name in payload and not self.who.admin:
                    raise InvalidPayloadError(f'You can\'t change the "{name}" value manually')
        if "status" in payload and payload["status"] not in USER_STATUSES:
            failure = {"field": "status", "type": "in", "valid": list(USER_STATUSES), "path": []}
            raise FailedValidationError([failure])
        token = payload.get("token")
        if isinstance(token, str) and token:
            if len(keys) > 1:
                raise _not_unique("token")
            self._check_unique("token", token, keys)

    def _check_unique(self, field: str, value: Any, keys: Sequence[Any]) -> None:
        """RECORD_NOT_UNIQUE when another user holds ``value`` (an email in any case)."""
        users = directus_users
        if field == "email":
            value = str(value).lower()
            taken = sa.func.lower(users.c.email) == value
        else:
            taken = users.c[field] == value
        query = sa.select(users.c.id).where(taken)
        if keys:
            query = query.where(users.c.id != keys[0])
        if self.conn.execute(query.limit(1)).first() is not None:
            raise _not_unique(field, f"[{value}]" if field == "email" else None)

    def _check_password(self, password: str) -> None:
        policy = self.conn.execute(
            sa.select(directus_settings.c.auth_password_policy).limit(1)
        ).scalar()
        if policy and not js_pattern(policy).search(password):
            raise FailedValidationError([{"field": "password", "path": [], "type": "regex"}])

    def _end_sessions(self, users: Sequence[Any]) -> None:
        if users:
            sessions = directus_sessions
            self.conn.execute(sessions.delete().where(sessions.c.user.in_(users)))


def active_admins_remain(conn: Connection) -> bool:
    """Whether some active user has admin access, through a role (or an ancestor's) or
    directly: Directus's count of admin users, which ignores ``ip_access``."""
    access, policies, users = directus_access, directus_policies, directus_users
    rows = conn.execute(
        sa.select(access.c.role, access.c.user)
        .join(policies, policies.c.id == access.c.policy)
        .where(policies.c.admin_access.is_(True))
    ).all()
    admin_roles = {row.role for row in rows if row.role is not None}
    direct = [row.user for row in rows if row.user is not None]
    children = conn.execute(
        sa.select(directus_roles.c.id, directus_roles.c.parent).where(
            directus_roles.c.parent.is_not(None)
        )
    ).all()
    grown = True
    while grown:
        added = {row.id for row in children if row.parent in admin_roles} - admin_roles
        admin_roles |= added
        grown = bool(added)
    if not admin_roles and not direct:
        return False
    found = conn.execute(
        sa.select(users.c.id)
        .where(
            users.c.status == "active",
            users.c.id.in_(direct) | users.c.role.in_(list(admin_roles)),
        )
        .limit(1)
    ).first()
    return found is not None


def _not_unique(field: str, value: Any = None) -> RecordNotUniqueError:
    """Directus's RECORD_NOT_UNIQUE on ``directus_users``; the value only when it is no secret."""
    shown = f'"{value}" ' if value is not None else ""
    message = f'Value {shown}for field "{field}" in collection "directus_users" has to be unique.'
    extensions = {"collection": "directus_users", "field": field}
    if value is not None:
        extensions["value"] = value
    return RecordNotUniqueError(message, **extensions)


def _check_nesting(conn: Connection, keys: Sequence[Any], parent: Any) -> None:
    """A role may not be its own parent or ancestor (a parent that is no key is refused by the
    write itself)."""
    try:
        parent = str(uuid.UUID(str(parent)))
    except ValueError:
        return
    if parent in keys:
        raise InvalidPayloadError("A role cannot be a parent of itself")
    if set(role_chain(conn, parent)) & set(keys):
        raise InvalidPayloadError(
            "A role cannot have a parent that is already a descendant of itself"
        )


def _check_ip_access(payload: Mapping[str, Any]) -> None:
    """Addresses, ``first-last`` ranges and CIDR blocks, as a list or comma-separated text."""
    if "ip_access" not in payload or payload["ip_access"] is None:
        return
    given = payload["ip_access"]
    entries = given.split(",") if isinstance(given, str) else given
    if not isinstance(entries, list) or not all(
        isinstance(entry, str) and _is_ip_entry(entry.strip()) for entry in entries
    ):
        raise InvalidPayloadError(
            "IP Access contains an incorrect value. "
            "Valid values are: IP addresses, IP ranges and CIDR blocks"
        )


def _is_ip_entry(entry: str) -> bool:
    try:
        if "-" in entry:
            first, last = (ipaddress.ip_address(part.strip()) for part in entry.split("-", 1))
            return first.version == last.version
        if "/" in entry:
            # a mask written as an address (10.0.0.0/255.0.0.0) is refused, as in Directus
            if not entry.rsplit("/", 1)[1].isdigit():
                return False
            ipaddress.ip_network(entry, strict=False)
        else:
            ipaddress.ip_address(entry)
    except ValueError:
        return False
    return True


# --- email addresses ------------------------------------------------------------------------

_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
#: Top-level names kept out of the DNS root for special use (RFC 2606, 6761, 6762, 7686,
#: ICANN's .internal): Joi's list of real top-level domains does not have them.
_RESERVED_TLDS = frozenset(
    {"example", "invalid", "local", "localhost", "onion", "test", "internal", "home", "corp", "lan"}
)


def is_email(value: str) -> bool:
    """An address as Joi's ``string().email()`` takes it: a dot-atom local part (Unicode
    allowed), ``@``, and a domain of at least two labels ending in a top-level name.

    Joi checks the top-level name against IANA's list; this checks its shape and refuses
    the names reserved for special use, so ``a@b.zzz`` passes here and fails in Directus.
    """
    local, at, domain = value.rpartition("@")
    if not at or "@" in local or not local or len(value) > 254 or len(local.encode()) > 64:
        return False
    for segment in local.split("."):
        if not segment or not all(char in _ATEXT or ord(char) > 127 for char in segment):
            return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253:
        return False
    if not all(len(label) <= 63 and _LABEL.fullmatch(label) for label in labels):
        return False
    return bool(_TLD.fullmatch(labels[-1])) and labels[-1] not in _RESERVED_TLDS


# --- the caller's own view ------------------------------------------------------------------


def new_static_token() -> str:
    """A fresh random static token, to set as a user's ``token``: shown once, stored as it
    is (a static token is looked up by value), read back only as ``**********``."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def current_user(who: Accountability | None) -> str:
    """The caller's user id; INVALID_CREDENTIALS for a caller who is no user (``/users/me``)."""
    if who is None or who.user is None:
        raise InvalidCredentialsError()
    return who.user


def collection_access(items: ItemsService) -> dict[str, dict[str, dict[str, Any]]]:
    """What the caller may do, by collection and action, as ``/permissions/me`` shows it.

    Each action is ``{"access": "none"}``, or ``"full"``/``"partial"`` (every item, or those
    its rules select) with the ``fields`` granted and, when a row has some, the merged
    ``presets`` with their variables resolved. Admins get every collection in full. Directus
    calls an action partial when any row has a rule even if another grants every item; here
    that is full, which is what the caller may do.
    """
    who = items.accountability
    if who is not None and who.user is None and who.role is None:
        raise ForbiddenError()
    with items.db.read() as conn:
        overview = items.schema.get(conn)
        if is_full(who):
            everything = {"access": "full", "fields": ["*"]}
            return {
                name: {action: dict(everything) for action in ACTIONS}
                for name, info in overview.collections.items()
                if info.table is not None
            }
        assert who is not None
        permissions = items.cache.permissions(conn, who)
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for action in _LISTED_ACTIONS:
            for collection in sorted(permissions.collections(action)):
                granted = permissions.get(collection, action)
                assert granted is not None
                actions = found.setdefault(
                    collection, {name: {"access": "none"} for name in _LISTED_ACTIONS}
                )
                actions[action] = _action_access(conn, overview, who, granted, items.now)
        return found


def _action_access(
    conn: Connection,
    overview: SchemaOverview,
    who: Accountability,
    granted: PermissionSet,
    now: dt.datetime | None,
) -> dict[str, Any]:
    fields = granted.fields
    shown: dict[str, Any] = {
        "access": "full" if granted.rules is None else "partial",
        "fields": ["*"] if fields is None else sorted(fields),
    }
    if any(row.presets for row in granted.rows):
        shown["presets"] = _resolved(conn, overview, who, granted.presets, now)
    return shown


def _resolved(
    conn: Connection,
    overview: SchemaOverview,
    who: Accountability,
    value: Any,
    now: dt.datetime | None,
) -> Any:
    """Presets with their dynamic variables replaced by the caller's values."""
    if isinstance(value, Mapping):
        return {key: _resolved(conn, overview, who, item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(conn, overview, who, item, now) for item in value]
    if not isinstance(value, str) or not is_variable(value):
        return value
    variable = parse_variable(value, "presets")
    if variable.name == "NOW":
        return now_value(variable, now or dt.datetime.now(dt.UTC))
    variables = Variables.of(who, who.policies)
    if variable.path:
        probe = Condition(("_",), None, "_in", (variable,))
        variables = load_variables(conn, overview, variables, probe)
    return variables.value(variable)


def policy_globals(items: ItemsService) -> dict[str, bool]:
    """``/policies/me/globals``: whether the caller's policies grant app or admin access, or
    enforce two-factor sign-in. FORBIDDEN for a caller who is neither a user nor a role."""
    who = items.accountability
    if who is None:
        return {"app_access": True, "admin_access": True, "enforce_tfa": False}
    if who.user is None and who.role is None:
        raise ForbiddenError()
    with items.db.read() as conn:
        policies = directus_policies
        enforced = conn.execute(
            sa.select(policies.c.id)
            .where(policies.c.id.in_(who.policies), policies.c.enforce_tfa.is_(True))
            .limit(1)
        ).first()
    return {"app_access": who.app, "admin_access": who.admin, "enforce_tfa": enforced is not None}


def own_roles(who: Accountability | None) -> tuple[str, ...]:
    """The caller's role and its ancestors (``/roles/me``); FORBIDDEN for the public."""
    if who is None or (who.user is None and who.role is None):
        raise ForbiddenError()
    return who.roles


def check_permission_row(payload: Mapping[str, Any]) -> None:
    """A permission row that could never be applied is refused when written, not at read time.

    The action must be one Directus knows; the row rule and the validation must be filters
    that parse; the presets an object.
    """
    action = payload.get("action")
    if "action" in payload and action not in ACTIONS:
        raise InvalidPayloadError(f'"action" must be one of {", ".join(ACTIONS)}')
    for key in ("permissions", "validation"):
        if payload.get(key) is None:
            continue
        try:
            parse_filter(payload[key], key, RULE_DEPTH)
        except InvalidQueryError as error:
            raise InvalidPayloadError(
                f'"{key}" is not a valid filter: {error.extensions["reason"]}'
            ) from None
    presets = payload.get("presets")
    if presets is not None and not isinstance(presets, Mapping):
        raise InvalidPayloadError('"presets" must be an object')
