"""Who is asking: the caller's identity and the flags the services decide with."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.errors import ForbiddenError


@dataclass(frozen=True)
class Accountability:
    """The caller of a service. Services take ``None`` for Tessera's own internal calls."""

    user: str | None = None
    role: str | None = None
    #: The caller's role and its ancestors, root first: a role inherits its parents' policies.
    roles: tuple[str, ...] = ()
    #: Every policy that applies, in the order presets merge: parents', the role's, the user's.
    policies: tuple[str, ...] = ()
    admin: bool = False
    app: bool = False
    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None
    #: The OAuth client the caller connected through (only ever on /mcp), and the scopes
    #: its grant holds; None for every other kind of credential.
    oauth_client: str | None = None
    scopes: frozenset[str] | None = None


def require_admin(accountability: Accountability | None) -> None:
    """Schema changes and other admin-only work: internal calls and admins pass."""
    if accountability is not None and not accountability.admin:
        raise ForbiddenError()
