"""Sending mail through the ``EMAIL_*`` transport, as Directus's MailService does.

A message is handed over as Directus hands it to nodemailer — ``{to, subject, html, cc,
bcc, replyTo, from}`` — and first through the ``email.send`` filter flows, which may change
it or, returning ``false``, stop it. It comes from ``EMAIL_FROM`` (or the ``from`` a flow
set) under the project's name, as HTML, each line trimmed (long indented lines upset some
mail clients, Directus notes).

``EMAIL_TRANSPORT`` is ``sendmail`` (Directus's default: the program at
``EMAIL_SENDMAIL_PATH``) or ``smtp``: ``EMAIL_SMTP_SECURE`` speaks TLS from the first byte,
otherwise STARTTLS is used whenever the server offers it, unless ``EMAIL_SMTP_IGNORE_TLS``;
certificates are checked against the system's trust store. Directus's ``ses`` and
``mailgun`` transports are not offered (a setting naming them stops start-up).

Unlike Directus, which sends in the background and only logs a failure, sending is done
before :meth:`Mailer.send` returns: a server that refuses the message, or cannot be
reached, is SERVICE_UNAVAILABLE naming the reason, so a flow's run log shows it.
"""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from collections.abc import Mapping
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, parseaddr
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlalchemy import Connection

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.system_tables import directus_settings
from tessera.errors import ExternalServiceError, InvalidPayloadError

if TYPE_CHECKING:
    from tessera.services.flows.events import Chain, EventFlows

#: Seconds an SMTP server or the sendmail program may take to answer.
TIMEOUT = 30
#: The project name a message is sent under when the settings row has none.
DEFAULT_PROJECT_NAME = "Tessera"
_ADDRESS_OPTIONS = ("to", "cc", "bcc", "replyTo")
#: CommonMark with tables and strikethrough, raw HTML escaped and unsafe links dropped.
_MARKDOWN = MarkdownIt("js-default")


def markdown_html(text: str) -> str:
    """Markdown as HTML that carries no HTML of the author's own (Directus sanitises it)."""
    return _MARKDOWN.render(text)


class Mailer:
    """Sends messages for one process."""

    def __init__(self, settings: Settings, db: Database, events: EventFlows | None = None):
        self.settings = settings
        self.db = db
        self.events = events

    def send(
        self, options: Mapping[str, Any], *, chain: Chain = (), conn: Connection | None = None
    ) -> bool:
        """Send the message ``options`` describe; False when an ``email.send`` flow stopped it.

        ``chain`` names the flows the sending is part of, so flows that send mail from
        ``email.send`` flows stop at ``FLOWS_MAX_DEPTH``; ``conn`` is the write transaction
        it is part of (a filter flow's), which the ``email.send`` flows join.
        """
        payload: Any = dict(options)
        if self.events is not None:
            payload = self.events.filter_event(
                "email.send", payload, {}, None, conn=conn, chain=chain
            )
        if payload is False or payload is None:
            return False
        if not isinstance(payload, Mapping):
            raise InvalidPayloadError(
                "The email.send flows have to return the message as an object"
            )
        message = self._message(payload)
        if self.settings.email_transport == "smtp":
            self._smtp(message)
        else:
            self._sendmail(message)
        return True

    def _message(self, payload: Mapping[str, Any]) -> EmailMessage:
        message = EmailMessage()
        try:
            message["From"] = self._sender(payload.get("from"))
            message["Subject"] = str(payload.get("subject") or "")
            for name, header in zip(_ADDRESS_OPTIONS, ("To", "Cc", "Bcc", "Reply-To"), strict=True):
                found = addresses(payload.get(name), name)
                if found:
                    message[header] = ", ".join(found)
        except (ValueError, MessageError) as error:  # a line break in a header …
            raise InvalidPayloadError(f"The message cannot be sent: {error}") from None
        if "To" not in message:
            raise InvalidPayloadError('"to" has to name at least one email address')
        html = str(payload.get("html") or "")
        message.set_content("\n".join(line.strip() for line in html.split("\n")), subtype="html")
        return message

    def _sender(self, given: Any) -> str:
        address = given if isinstance(given, str) and given else self.settings.email_from
        with self.db.read() as conn:
            name = conn.execute(sa.select(directus_settings.c.project_name).limit(1)).scalar()
        return formataddr((name or DEFAULT_PROJECT_NAME, address))

    def _smtp(self, message: EmailMessage) -> None:
        settings = self.settings
        secure = settings.email_smtp_secure
        host = settings.email_smtp_host or "localhost"
        port = settings.email_smtp_port or (465 if secure else 587)
        context = ssl.create_default_context()
        try:
            if secure:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, settings.email_smtp_name, timeout=TIMEOUT, context=context
                )
            else:
                server = smtplib.SMTP(host, port, settings.email_smtp_name, timeout=TIMEOUT)
            with server:
                server.ehlo()
                starttls = not secure and not settings.email_smtp_ignore_tls
                if starttls and server.has_extn("starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                if settings.email_smtp_user or settings.email_smtp_password:
                    server.login(settings.email_smtp_user or "", settings.email_smtp_password or "")
                server.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            reason = _smtp_reason(error)
            raise ExternalServiceError("email", f"SMTP server {host}:{port}: {reason}") from None

    def _sendmail(self, message: EmailMessage) -> None:
        path = self.settings.email_sendmail_path
        listed = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
        recipients = [address for _name, address in getaddresses(listed)]
        del message["Bcc"]
        sender = parseaddr(str(message["From"]))[1]
        newline = "\r\n" if self.settings.email_sendmail_new_line == "windows" else "\n"
        data = message.as_bytes(policy=message.policy.clone(linesep=newline))
        try:
            done = subprocess.run(
                [path, "-i", "-f", sender, "--", *recipients],
                input=data,
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ExternalServiceError("email", f"sendmail ({path}): {error}") from None
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
            raise ExternalServiceError("email", f"sendmail ({path}): {said}")


def _smtp_reason(error: Exception) -> str:
    """What the server said (``550 5.1.1 …``), rather than smtplib's tuples of bytes."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {said.decode(errors='replace')}"
            for address, (code, said) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        return f"{error.smtp_code} {text}"
    return str(error)


def addresses(value: Any, name: str) -> list[str]:
    """A list of addresses, or one string of them separated by commas; each checked."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InvalidPayloadError(f'"{name}" has to be email addresses')
    found = []
    for item in items:
        text = item.strip() if isinstance(item, str) else ""
        if not text:
            continue
        if "@" not in parseaddr(text)[1]:
            raise InvalidPayloadError(f'"{name}" holds "{item}", which is no email address')
        found.append(text)
    return found
