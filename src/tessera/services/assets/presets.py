"""Named presets and the project's policy on transformations (``storage_asset_transform``).

The six system presets are Directus's; ``storage_asset_presets`` adds the project's own.
The policy is ``all`` (any parameters; an unknown ``key`` is an error), ``presets`` (only
``?key=`` of a preset, alone) or ``none`` (only a system preset's key, alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tessera.errors import InvalidQueryError


def _system(key: str, size: int, fit: str) -> dict[str, Any]:
    resize: dict[str, Any] = {"width": size, "fit": fit}
    if fit == "cover":
        resize["height"] = size
    return {"key": key, "format": "auto", "transforms": [["resize", resize]]}


#: Directus's system presets, which the admin app uses for thumbnails.
SYSTEM_PRESETS: tuple[dict[str, Any], ...] = tuple(
    _system(f"system-{name}-{fit}", size, fit)
    for name, size in (("small", 64), ("medium", 300), ("large", 800))
    for fit in ("cover", "contain")
)
SYSTEM_KEYS = frozenset(preset["key"] for preset in SYSTEM_PRESETS)

POLICIES = ("all", "presets", "none")


def apply_policy(
    requested: Mapping[str, Any], policy: str | None, presets: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    """The parameters to use: ``requested`` over the preset its ``key`` names.

    INVALID_QUERY, with Directus's reasons, when the policy forbids what was asked.
    Nothing asked (or an empty ``transforms``) passes whatever the policy.
    """
    project = [dict(preset) for preset in presets or () if isinstance(preset, Mapping)]
    every = [*SYSTEM_PRESETS, *project]
    keys = {preset.get("key") for preset in every}
    key = requested.get("key")
    if requested and requested.get("transforms", None) != []:
        alone = len(requested) == 1
        if (policy or "all") == "all":
            if key and key not in keys:
                raise InvalidQueryError(f'Key "{key}" isn\'t configured')
        elif policy == "presets":
            if not (key in keys and alone):
                raise InvalidQueryError("Only configured presets can be used in asset generation")
        elif not (key and key in SYSTEM_KEYS and alone):
            raise InvalidQueryError("Dynamic asset generation has been disabled for this project")
    preset = next((p for p in every if p.get("key") == key), {}) if key else {}
    return {**preset, **requested}
