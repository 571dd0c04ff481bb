"""Ranking tools for registry mode's ``search``: a small BM25 index, as Directus's.

Each tool is a document of weighted fields — its name (3), keywords (2), description (2),
and the names, descriptions and enum values of its arguments (1) — scored with BM25
(k1 1.2, b 0.75) field by field. A query that is exactly a tool's name puts that tool
first. Words are lower-cased, split at case changes and punctuation, stripped of a
plural ``s`` and of filler words, so "uploading images" and "image upload" meet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

K1 = 1.2
B = 0.75
WEIGHTS = {"name": 3.0, "keywords": 2.0, "description": 2.0, "arguments": 1.0}

#: What a user may call what a tool does, in words its name and description do not use.
#: Tools added later (files, folders, assets, flows …) find theirs here by name.
KEYWORDS: dict[str, str] = {
    "system-prompt": "instructions guidance rules help start first how to use",
    "items": (
        "records rows entries content data query filter list get fetch find insert add "
        "edit change modify remove crud"
    ),
    "collections": "tables models content types singleton folder metadata",
    "fields": "columns attributes properties type interface add column alter",
    "relations": (
        "relationships foreign key m2o o2m m2m m2a many-to-one one-to-many many-to-many "
        "many-to-any junction link"
    ),
    "files": "upload import image media document attachment metadata",
    "folders": "directory directories organize files",
    "assets": "download binary image media content view",
    "flows": "automation workflow trigger webhook schedule cron event",
    "trigger-flow": "run start manual flow webhook automation",
    "operations": "flow steps automation chain",
}

_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "into"}
    | {"is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "with", "when"}
)


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index compares them."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).lower()
    return [_stem(word) for word in re.findall(r"[a-z0-9]+", spaced) if word not in _STOPWORDS]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Document:
    """One tool as the index sees it: its words, field by field."""

    name: str
    fields: Mapping[str, Sequence[str]]

    @classmethod
    def of(cls, wire: Mapping[str, Any]) -> Document:
        """The document of a tool as ``tools/list`` gives it (narrowed to the caller)."""
        name = wire["name"]
        arguments = " ".join(_argument_words(wire.get("inputSchema", {})))
        return cls(
            name=name,
            fields={
                "name": tokens(name),
                "keywords": tokens(KEYWORDS.get(name, "")),
                "description": tokens(wire.get("description", "")),
                "arguments": tokens(arguments),
            },
        )


def _argument_words(schema: Mapping[str, Any]) -> Iterator[str]:
    for name, prop in schema.get("properties", {}).items():
        yield name
        if not isinstance(prop, Mapping):
            continue
        yield prop.get("description", "")
        yield from (str(value) for value in prop.get("enum", ()))
        yield from _argument_words(prop)
        for nested in (prop.get("items"), *prop.get("anyOf", ())):
            if isinstance(nested, Mapping):
                yield from _argument_words(nested)


def rank(documents: Sequence[Document], query: str) -> list[str]:
    """The names of the documents that match ``query``, best first (ties keep list order)."""
    terms = tokens(query)
    scores = dict.fromkeys((doc.name for doc in documents), 0.0)
    for field, weight in WEIGHTS.items():
        lengths = [len(doc.fields[field]) for doc in documents]
        average = sum(lengths) / len(lengths) if lengths else 0.0
        counts = [Counter(doc.fields[field]) for doc in documents]
        for term, repeats in Counter(terms).items():
            having = sum(1 for count in counts if term in count)
            if not having:
                continue
            idf = math.log(1 + (len(documents) - having + 0.5) / (having + 0.5))
            for doc, count, length in zip(documents, counts, lengths, strict=True):
                frequency = count[term]
                if frequency:
                    norm = 1 - B + B * length / average
                    saturated = frequency * (K1 + 1) / (frequency + K1 * norm)
                    scores[doc.name] += repeats * weight * idf * saturated
    exact = query.strip().lower()
    matched = [doc.name for doc in documents if scores[doc.name] > 0 or doc.name == exact]
    return sorted(matched, key=lambda name: (name != exact, -scores[name]))
