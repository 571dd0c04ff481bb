"""The ``mail`` operation, sending to a real SMTP server (or a sendmail program) started by
the test, and the ``email.send`` filter flows every message goes through."""

from __future__ import annotations

import stat
import sys

import pytest
import sqlalchemy as sa

from flow_helpers import flow_settings, runs, save_flow
from smtp_servers import HOST, certificate, free_port, smtp_server
from tessera.db.system_tables import directus_settings
from tessera.errors import InvalidPayloadError
from tessera.schema.overview import SchemaCache
from tessera.services.flows.service import FlowsService
from tessera.services.items import ItemsService

SENDER = "flows@example.com"


@pytest.fixture
def project(blog_db) -> str:
    with blog_db.write() as conn:
        conn.execute(sa.delete(directus_settings))
        conn.execute(sa.insert(directus_settings).values(project_name="Blog"))
    return "Blog"


@pytest.fixture
def mail_flow(items):
    def make(options, *more, **flow):
        return save_flow(items, {"key": "mail", "type": "mail", "options": options}, *more, **flow)

    return make


@pytest.fixture
def send(make_runner, admin, project):
    """Run a flow through a runner whose settings are ``EMAIL_*`` ones; its result."""

    def run(flow_id, trigger=None, **settings):
        runner = make_runner(email_from=SENDER, **settings)
        FlowsService(runner)  # the email.send event flows
        flow = runner.load(flow_id)
        return runner.run(flow, trigger, admin)

    return run


def smtp(port, **more):
    return {"email_transport": "smtp", "email_smtp_host": HOST, "email_smtp_port": port, **more}


def test_a_markdown_message_reaches_the_smtp_server(mail_flow, send, blog_db):
    flow = mail_flow(
        {
            "to": ["{{ $trigger.email }}", "bo@example.com"],
            "cc": "cy@example.com",
            "bcc": ["hidden@example.com"],
            "replyTo": "desk@example.com",
            "subject": "Welcome, {{ $trigger.name }}",
            "body": "# Hello {{ $trigger.name }}\n\n    indented\n\n<script>x()</script> **bold**",
        }
    )
    with smtp_server() as server:
        result = send(flow, {"name": "Ada", "email": "ada@example.com"}, **smtp(server.port))
    assert (result.status, result.data["mail"]) == ("resolve", None)
    [delivery] = server.inbox.received
    assert delivery.mail_from == SENDER
    assert sorted(delivery.rcpt_tos) == [
        "ada@example.com",
        "bo@example.com",
        "cy@example.com",
        "hidden@example.com",
    ]
    message = delivery.message
    assert message["From"] == f"Blog <{SENDER}>"
    assert message["To"] == "ada@example.com, bo@example.com"
    assert (message["Cc"], message["Reply-To"], message["Bcc"]) == (
        "cy@example.com",
        "desk@example.com",
        None,
    )
    assert message["Subject"] == "Welcome, Ada"
    assert message.get_content_type() == "text/html"
    assert message.get_content().replace("\r\n", "\n") == (
        "<h1>Hello Ada</h1>\n<pre><code>indented\n</code></pre>\n"
        "<p>&lt;script&gt;x()&lt;/script&gt; <strong>bold</strong></p>\n"
    )
    [run] = runs(blog_db, flow)
    assert run["revision"]["data"]["$last"] is None
    [step] = run["revision"]["steps"]
    assert (step["status"], step["options"]["subject"]) == ("resolve", "Welcome, Ada")


def test_a_wysiwyg_body_is_sent_as_html_with_its_lines_trimmed(mail_flow, send):
    flow = mail_flow(
        {"to": "ada@example.com", "type": "wysiwyg", "body": "<p>\n    Hi <b>there</b>\n</p>"}
    )
    with smtp_server() as server:
        assert send(flow, **smtp(server.port)).status == "resolve"
    [delivery] = server.inbox.received
    assert delivery.message.get_content().replace("\r\n", "\n") == "<p>\nHi <b>there</b>\n</p>\n"
    assert delivery.message["Subject"] == ""


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_it_signs_in_with_the_smtp_user(mail_flow, send, blog_db):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    users = {"tessera": "s3cret"}
    with smtp_server(users=users) as server:
        signed = send(
            flow, **smtp(server.port, email_smtp_user="tessera", email_smtp_password="s3cret")
        )
        wrong = send(flow, **smtp(server.port, email_smtp_user="tessera", email_smtp_password="no"))
    assert signed.status == "resolve"
    assert [delivery.user for delivery in server.inbox.received] == ["tessera"]
    assert wrong.status == "reject"
    assert wrong.data["mail"]["code"] == "SERVICE_UNAVAILABLE"
    assert wrong.data["mail"]["message"] == (
        f'Service "email" is unavailable. SMTP server {HOST}:{server.port}: '
        "535 5.7.8 Authentication credentials invalid."
    )
    assert [run["revision"]["steps"][0]["status"] for run in runs(blog_db, flow)] == [
        "resolve",
        "reject",
    ]


def test_starttls_is_used_when_offered_and_the_certificate_checked(
    mail_flow, send, tmp_path, monkeypatch
):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    context, cert_file = certificate(tmp_path)
    with smtp_server(starttls=context) as server:
        untrusted = send(flow, **smtp(server.port))
        plain = send(flow, **smtp(server.port, email_smtp_ignore_tls=True))
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        trusted = send(flow, **smtp(server.port))
    assert untrusted.status == "reject"
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.data["mail"]["message"]
    assert (plain.status, trusted.status) == ("resolve", "resolve")
    assert [delivery.tls for delivery in server.inbox.received] == [False, True]


def test_smtp_secure_speaks_tls_from_the_first_byte(mail_flow, send, tmp_path, monkeypatch):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    context, cert_file = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    with smtp_server(implicit_tls=context) as server:
        result = send(flow, **smtp(server.port, email_smtp_secure=True))
    assert result.status == "resolve"
    assert [delivery.tls for delivery in server.inbox.received] == [True]


def test_a_refused_recipient_takes_the_reject_path(mail_flow, send, blog_db):
    flow = mail_flow(
        {"to": "nobody@example.com", "subject": "s", "body": "b"},
        {"key": "sorry", "type": "log", "options": {"message": "{{ $last.message }}"}},
        name="refused",
    )
    with blog_db.write() as conn:
        conn.exec_driver_sql(
            "UPDATE directus_operations SET reject = (SELECT id FROM directus_operations "
            "WHERE key = 'sorry') WHERE key = 'mail'"
        )
    with smtp_server() as server:
        server.inbox.refused.add("nobody@example.com")
        result = send(flow, **smtp(server.port))
    assert server.inbox.received == []
    assert [step["key"] for step in result.steps] == ["mail", "sorry"]
    error = result.data["mail"]
    assert (error["code"], error["status"]) == ("SERVICE_UNAVAILABLE", 503)
    assert error["message"] == (
        f'Service "email" is unavailable. SMTP server {HOST}:{server.port}: '
        "nobody@example.com: 550 5.1.1 No such mailbox here."
    )


def test_no_server_listening_is_a_clear_error(mail_flow, send):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    port = free_port()
    result = send(flow, **smtp(port))
    assert result.status == "reject"
    assert result.data["mail"]["message"] == (
        f'Service "email" is unavailable. SMTP server {HOST}:{port}: '
        "[Errno 111] Connection refused."
    )


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(mail_flow, send):
    flow = mail_flow({"to": "ada@example.com", "subject": "{{ $trigger }}", "body": "b"})
    with smtp_server() as server:
        result = send(flow, "Hi\nBcc: everyone@example.com", **smtp(server.port))
    assert server.inbox.received == []
    assert result.data["mail"]["code"] == "INVALID_PAYLOAD"
    assert "linefeed" in result.data["mail"]["message"]


def test_an_address_that_is_none_is_refused(mail_flow, send):
    flow = mail_flow({"to": "ada@example.com, not an address", "subject": "s"})
    with smtp_server() as server:
        result = send(flow, **smtp(server.port))
    assert server.inbox.received == []
    assert result.data["mail"]["message"] == (
        'Invalid payload. "to" holds " not an address", which is no email address.'
    )


# --- sendmail ---------------------------------------------------------------------------


@pytest.fixture
def sendmail(tmp_path):
    """A program standing in for sendmail: it keeps its arguments and what it reads."""
    program = tmp_path / "sendmail"
    program.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"folder = pathlib.Path({str(tmp_path)!r})\n"
        "(folder / 'args').write_text(' '.join(sys.argv[1:]))\n"
        "(folder / 'message').write_bytes(sys.stdin.buffer.read())\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_the_sendmail_transport_hands_the_message_to_the_program(mail_flow, send, sendmail):
    flow = mail_flow(
        {"to": "ada@example.com", "bcc": "hidden@example.com", "subject": "s", "body": "*b*"}
    )
    result = send(flow, email_sendmail_path=str(sendmail))  # EMAIL_TRANSPORT's default
    assert result.status == "resolve"
    folder = sendmail.parent
    assert (folder / "args").read_text() == (
        f"-i -f {SENDER} -- ada@example.com hidden@example.com"
    )
    sent = (folder / "message").read_bytes()
    assert b"\r\n" not in sent
    assert b"Bcc" not in sent
    assert b"<p><em>b</em></p>" in sent


def test_windows_new_lines_for_sendmail(mail_flow, send, sendmail):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    send(flow, email_sendmail_path=str(sendmail), email_sendmail_new_line="windows")
    assert b"Subject: s\r\n" in (sendmail.parent / "message").read_bytes()


def test_a_missing_sendmail_program_is_a_clear_error(mail_flow, send, tmp_path):
    flow = mail_flow({"to": "ada@example.com", "subject": "s", "body": "b"})
    missing = tmp_path / "no-sendmail"
    result = send(flow, email_sendmail_path=str(missing))
    assert result.data["mail"]["message"] == (
        f'Service "email" is unavailable. sendmail ({missing}): '
        f"[Errno 2] No such file or directory: '{missing}'."
    )


# --- email.send -------------------------------------------------------------------------


def test_email_send_filter_flows_change_or_stop_a_message(items, mail_flow, send, blog_db):
    change = save_flow(
        items,
        {
            "key": "tag",
            "type": "transform",
            "options": {
                "json": {
                    "to": "{{ $trigger.payload.to }}",
                    "subject": "[Blog] {{ $trigger.payload.subject }}",
                    "html": "{{ $trigger.payload.html }}",
                }
            },
        },
        trigger="event",
        options={"type": "filter", "scope": ["email.send"], "return": "$last"},
        name="tag subjects",
    )
    flow = mail_flow({"to": "ada@example.com", "subject": "News", "body": "b"})
    with smtp_server() as server:
        send(flow, **smtp(server.port))
    [delivery] = server.inbox.received
    assert delivery.message["Subject"] == "[Blog] News"
    [run] = runs(blog_db, change)
    assert run["revision"]["data"]["$trigger"] == {
        "payload": {
            "to": "ada@example.com",
            "subject": "News",
            "cc": None,
            "bcc": None,
            "replyTo": None,
            "html": "<p>b</p>\n",
        },
        "event": "email.send",
    }

    items.update_one("directus_flows", change, {"status": "inactive"})
    save_flow(
        items,
        {"key": "stop", "type": "transform", "options": {"json": "false"}},
        trigger="event",
        options={"type": "filter", "scope": ["email.send"], "return": "$last"},
        name="no mail",
    )
    with smtp_server() as server:
        assert send(flow, **smtp(server.port)).status == "resolve"
    assert server.inbox.received == []


def test_a_mail_inside_a_write_runs_its_email_send_flows_in_that_write(
    items, make_runner, admin, project, blog_db
):
    """A filter flow on articles mails; the email.send flows join the write's transaction
    (on SQLite a run log written beside it would wait for the write lock forever)."""
    announce = save_flow(
        items,
        {
            "key": "mail",
            "type": "mail",
            "options": {"to": "desk@example.com", "subject": "{{ $trigger.payload.title }}"},
        },
        trigger="event",
        options={"type": "filter", "scope": ["items.create"], "collections": ["articles"]},
        name="announce",
    )
    seen = save_flow(
        items,
        {"key": "note", "type": "log", "options": {"message": "{{ $trigger.payload.subject }}"}},
        trigger="event",
        options={"type": "filter", "scope": ["email.send"]},
        name="seen",
    )
    with smtp_server() as server:
        runner = make_runner(email_from=SENDER, **smtp(server.port))
        flows = FlowsService(runner)
        writes = ItemsService(
            blog_db, SchemaCache(blog_db), flow_settings(), admin, events=flows.events.emitter()
        )
        writes.create_one("articles", {"title": "Spring issue"})
    assert [d.message["Subject"] for d in server.inbox.received] == ["Spring issue"]
    assert len(runs(blog_db, announce)) == len(runs(blog_db, seen)) == 1


# --- saving -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"subject": "s"}, '"options.to" is required'),
        (
            {"to": "a@example.com", "type": "template", "template": "base"},
            '"options.type" "template" needs Directus\'s Liquid email templates, which '
            'Tessera does not have: use "markdown" or "wysiwyg"',
        ),
        (
            {"to": "a@example.com", "type": "html"},
            '"options.type" has to be "markdown" or "wysiwyg", not "html"',
        ),
    ],
)
def test_a_mail_operation_that_cannot_work_is_refused(mail_flow, options, reason):
    with pytest.raises(InvalidPayloadError) as refused:
        mail_flow(options)
    assert refused.value.extensions["reason"] == reason
