"""A file's default title from its name, as Directus's ``@directus/format-title`` makes it.

``helloWorld-of_the API`` becomes ``Hello World of the API``: camelCase is split, the name
is cut at every space, ``-`` and ``_``, each word gets a capital, acronyms and brand names
get their usual spelling, and short articles, conjunctions and prepositions stay lower
case unless they start or end the title (APA title case). The word lists are Directus's,
so a file gets the same title on either server.
"""

from __future__ import annotations

import re


def _words(*lines: str) -> list[str]:
    return " ".join(lines).split()


#: Written in capitals wherever they appear.
ACRONYMS = frozenset(
    _words(
        "2D 3D 4WD A2O AI API BIOS CC CCTV CCV CD CD-ROM CIA CMS COBOL CSS CSV CV DB DIY DNA DVD",
        "E3 EIN ESPN FAQ FAQs FBI FORTRAN FPS FTP HTML HTTP HTTPS ID IP ISO JS JSON LASER M2A M2M",
        "M2MM M2O MMORPG NAFTA NASA NDA O2A O2M PDF PHP POP RAM RNGR ROM RPG RTFM RTS SCUBA SDK",
        "SITCOM SKU SMTP SQL SSL SSN SWAT TBS TLS TNA TS TTL TV UI URL USB UWP VIP W3C WWE WWF WWW",
        "WYSIWYG",
    )
)
#: Spelled exactly so, whatever the case they were written in.
SPECIAL_CASE = {
    word.lower(): word
    for word in _words(
        "2FA 4K 5K 8K AGI BI ChatGPT CTA DateTime FMS GitHub GPT HD IBMid IDs iMac IMAX iOS",
        "iPad iPhone iPod LDAP LinkedIn LLM macOS McDonalds MCP ML MySQL NLG NLP NLU OpenAI",
        "PDFs PIM PEFT pH PostgreSQL SEO TTS UHD UUID XSS YouTube",
    )
}
#: Lower case inside a title when shorter than four letters: articles, conjunctions and
#: prepositions.
MINOR_WORDS = frozenset(
    _words(
        "a an the",
        "and that but or as if when than because while where after so though since until",
        "whether before although nor like once unless now except",
        "about above across after against along among around at before behind below beneath",
        "beside besides between beyond but by concerning despite down during except excepting",
        "for from in inside into like near of off on onto out outside over past regarding since",
        "through throughout to toward under underneath until up upon with within without",
    )
)

_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_UPPER_RUN = re.compile(r"([A-Z]+)([A-Z][a-z0-9]+)")
_SEPARATOR = re.compile(r"\s|-|_")


def format_title(name: str) -> str:
    """The title Directus gives ``name`` (a file name without its extension, usually)."""
    split = _UPPER_RUN.sub(r"\1_\2", _LOWER_UPPER.sub(r"\1_\2", name)).lower()
    words = [word[:1].upper() + word[1:] for word in _SEPARATOR.split(split)]
    return " ".join(_spelled(word, index, len(words)) for index, word in enumerate(words))


def _spelled(word: str, index: int, count: int) -> str:
    lower = word.lower()
    if lower in SPECIAL_CASE:
        return SPECIAL_CASE[lower]
    if word.upper() in ACRONYMS:
        return word.upper()
    if index in (0, count - 1) or len(word) >= 4:
        return word
    return lower if lower in MINOR_WORDS else word
