"""``mail``: send a message through the ``EMAIL_*`` transport; its value is null.

Options as in Directus: ``to`` (addresses, a list or separated by commas), ``subject``,
``body``, ``type`` — ``markdown`` (the default: rendered to HTML, raw HTML escaped) or
``wysiwyg`` (HTML as it is) — and ``cc``, ``bcc``, ``replyTo``. Directus's ``template``
type renders its Liquid email templates (``EMAIL_TEMPLATES_PATH``); Tessera has none, so a
flow asking for one is refused on save. The message goes out before the operation ends
(see :mod:`tessera.services.mail`): a failure takes the reject path with its reason. A
mail operation in a filter flow sends at once, even when the write it is part of is then
rolled back, as in Directus.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.errors import InvalidPayloadError
from tessera.services.flows.operations.base import (
    Context,
    OperationKind,
    as_text,
    check_required,
    is_template,
)
from tessera.services.mail import Mailer, markdown_html

TYPES = ("markdown", "wysiwyg")


def run(options: dict[str, Any], context: Context) -> None:
    kind = options.get("type") or "markdown"
    _check_type(kind)
    body = as_text(options.get("body"))
    message = {
        "to": options.get("to"),
        "subject": as_text(options.get("subject")),
        "cc": options.get("cc"),
        "bcc": options.get("bcc"),
        "replyTo": options.get("replyTo"),
        "html": body if kind == "wysiwyg" else markdown_html(body),
    }
    runner = context.runner
    mailer = Mailer(runner.settings, runner.db, runner.events)
    mailer.send(message, chain=context.chain, conn=context.conn)


def check(options: Mapping[str, Any]) -> None:
    check_required(options, "to")
    kind = options.get("type")
    if kind is not None and not is_template(kind):
        _check_type(kind)


def _check_type(kind: Any) -> None:
    if kind == "template":
        raise InvalidPayloadError(
            '"options.type" "template" needs Directus\'s Liquid email templates, which '
            'Tessera does not have: use "markdown" or "wysiwyg"'
        )
    if kind not in TYPES:
        raise InvalidPayloadError(f'"options.type" has to be "markdown" or "wysiwyg", not "{kind}"')


KIND = OperationKind("mail", run, check)
