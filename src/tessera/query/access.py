"""What a read may see: the rows and fields of each collection, as the query compiler takes it.

The access layer works out what the caller was granted (:mod:`tessera.access.permissions`);
this module holds the same thing in the shape SQL is built from. Row rules are parsed
filters, still holding their dynamic variables, so they compile like any other filter.

A collection's grant is a list of *cases*, one per distinct row rule, each with the
fields it opens. An item is readable when any case's rule holds; a field is readable
on that item when some case granting the field holds — elsewhere it reads as null.
:data:`FULL` is an admin's or Tessera's own view: everything, with no SQL added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.errors import ForbiddenError
from tessera.query.model import Filter, Or


@dataclass(frozen=True)
class Case:
    """Items matching ``rule`` (every item when None) show ``fields`` (every field when None)."""

    rule: Filter | None
    fields: frozenset[str] | None


@dataclass(frozen=True)
class CollectionAccess:
    """One collection's read grant; an empty ``cases`` would grant nothing, so it is never built."""

    cases: tuple[Case, ...]

    @property
    def fields(self) -> frozenset[str] | None:
        """Every field some case opens; None for all of them."""
        found: set[str] = set()
        for case in self.cases:
            if case.fields is None:
                return None
            found |= case.fields
        return frozenset(found)

    @property
    def rule(self) -> Filter | None:
        """The items the caller may read; None when every item."""
        if any(case.rule is None for case in self.cases):
            return None
        rules = tuple(case.rule for case in self.cases if case.rule is not None)
        return rules[0] if len(rules) == 1 else Or(rules)

    def readable(self, name: str) -> bool:
        fields = self.fields
        return fields is None or name in fields

    def field_rule(self, name: str) -> Filter | None:
        """The items on which ``name`` shows its value; None when it shows on every readable item.

        A field opened by a case with no rule, or by every case, needs no condition of its own.
        """
        granting = [c for c in self.cases if c.fields is None or name in c.fields]
        if len(granting) == len(self.cases) or any(c.rule is None for c in granting):
            return None
        rules = tuple(c.rule for c in granting if c.rule is not None)
        return rules[0] if len(rules) == 1 else Or(rules)


UNRESTRICTED = CollectionAccess((Case(None, None),))


@dataclass(frozen=True)
class ReadAccess:
    """The caller's read grants by collection; ``full`` skips every check (admins, internal)."""

    collections: Mapping[str, CollectionAccess] = field(default_factory=dict)
    full: bool = False

    def of(self, collection: str) -> CollectionAccess:
        """The grant on ``collection``; FORBIDDEN when there is none."""
        if self.full:
            return UNRESTRICTED
        found = self.collections.get(collection)
        if found is None:
            raise ForbiddenError()
        return found

    def may_read(self, collection: str) -> bool:
        return self.full or collection in self.collections


FULL = ReadAccess(full=True)
