"""PASSPORT_MAIL_URL: what is read from it, and what production refuses; SMTP failures as
MailError (permanent or temporary, with the server's reply); headers and attachments."""

from __future__ import annotations

import email
import email.policy
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from passport.errors import ConfigError
from passport.mail import (
    Attachment,
    MailError,
    MailMessage,
    OutboxMailer,
    SmtpMailer,
    mailer_for,
    parse_mail_url,
)
from passport.settings import Settings
from tests.loopback import free_port


def test_the_three_schemes_with_their_default_ports_and_encoded_credentials() -> None:
    assert parse_mail_url("smtp://127.0.0.1").port == 25
    assert parse_mail_url("smtp+starttls://mail.example.org").port == 587
    server = parse_mail_url("smtps://app%40example.org:p%3Ass@mail.example.org:2465")
    assert (server.scheme, server.host, server.port) == ("smtps", "mail.example.org", 2465)
    assert (server.username, server.password) == ("app@example.org", "p:ss")


@pytest.mark.parametrize(
    "url", ["http://mail.example.org", "smtp://", "mail.example.org:25", "smtp://host:port"]
)
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="PASSPORT_MAIL_URL"):
        parse_mail_url(url)


def _production(tmp_path: Path, mail_url: str) -> Settings:
    return Settings.from_env(
        {
            "PASSPORT_INSTANCE_PATH": str(tmp_path),
            "PASSPORT_PUBLIC_URL": "https://passport.example.org",
            # production refuses weak secrets (finding 3): random ones, as an operator makes them
            "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
            "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
            "PASSPORT_MAIL_URL": mail_url,
        }
    )


def test_production_refuses_plain_smtp_to_another_host(tmp_path: Path) -> None:
    """A reset link is a credential: never across a network in clear text."""
    with pytest.raises(ConfigError, match="smtps:// or smtp\\+starttls://"):
        _production(tmp_path, "smtp://mail.example.org:25")
    assert _production(tmp_path, "smtp://127.0.0.1:25").mail_url == "smtp://127.0.0.1:25"
    assert _production(tmp_path, "smtp+starttls://u:p@mail.example.org").mail_url


def test_which_mailer(tmp_path: Path) -> None:
    common = {"mail_from": "", "public_url": "https://p.example.org", "instance_path": tmp_path}
    smtp = mailer_for(mail_url="smtps://mail.example.org", production=True, **common)
    assert isinstance(smtp, SmtpMailer) and smtp.sender == "Skill Passport <no-reply@p.example.org>"
    assert mailer_for(mail_url=None, production=True, **common) is None
    outbox = mailer_for(mail_url=None, production=False, **common)
    assert isinstance(outbox, OutboxMailer) and outbox.folder == tmp_path / "outbox"


@pytest.mark.parametrize(
    ("raised", "code", "permanent", "sentence"),
    [
        (
            smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 No such user")}),
            550,
            True,
            "The mail server refused the message for good: 550 5.1.1 No such user",
        ),
        (
            smtplib.SMTPDataError(451, b"4.7.1 Greylisted,\r\n try again later"),
            451,
            False,
            "The mail server refused the message for now: 451 4.7.1 Greylisted, try again later",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "no-reply@example.com"),
            553,
            True,
            "The mail server refused the message for good: 553 5.7.1 Sender not allowed",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            None,
            False,
            "The mail server could not be reached: [Errno 111] Connection refused",
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            None,
            False,
            "The mail server could not be reached: Connection unexpectedly closed",
        ),
    ],
)
def test_smtp_failures_say_the_servers_code_and_whether_it_is_final(
    raised: Exception, code: int | None, permanent: bool, sentence: str
) -> None:
    assert isinstance(raised, smtplib.SMTPException | OSError)
    error = MailError.from_smtp(raised)
    assert (error.smtp_code, error.permanent, error.message) == (code, permanent, sentence)
    assert error.code == "mail_failed"


def test_a_real_server_refusal_reaches_the_error(tmp_path: Path) -> None:
    """Through smtplib against aiosmtpd on loopback: the reply travels into MailError."""

    class Refusing:
        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, *args: Any) -> str:
            return "550 5.1.1 Mailbox unavailable"

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = SmtpMailer(parse_mail_url(f"smtp://127.0.0.1:{port}"), "P <p@example.com>")
        with pytest.raises(MailError) as caught:
            mailer.send(MailMessage(to="x@example.com", subject="S", text="T"))
    finally:
        controller.stop()
    assert caught.value.permanent and caught.value.smtp_code == 550
    assert "550 5.1.1 Mailbox unavailable" in caught.value.message


def test_headers_and_attachments_are_written(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path / "outbox", "P <p@example.com>")
    outbox.send(
        MailMessage(
            to="x@example.com",
            subject="S",
            text="plain",
            html="<p>html</p>",
            headers=(("List-Unsubscribe", "<https://p.example/u/1>"),),
            attachments=(Attachment("a.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n"),),
        )
    )
    [path] = outbox.messages()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["List-Unsubscribe"] == "<https://p.example/u/1>"
    assert parsed.get_body(preferencelist=("plain",)) is not None
    assert parsed.get_body(preferencelist=("html",)) is not None
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "a.ics"
    assert attachment.get_content_type() == "text/calendar"
    with pytest.raises(ValueError, match="linefeed"):  # no header injection through a value
        outbox.send(
            MailMessage(
                to="x@example.com", subject="S", text="t", headers=(("X-A", "a\r\nBcc: y"),)
            )
        )


def test_tls_settings_are_built_once_a_mailer_and_never_for_plain_smtp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building TLS settings loads the system's CA certificates (about 0.1 s): a bulk job's
    hundreds of badge e-mails paid that for every message, over plain smtp:// too."""
    import passport.mail

    built: list[ssl.SSLContext] = []
    original = ssl.create_default_context

    def counted() -> ssl.SSLContext:
        built.append(original())
        return built[-1]

    monkeypatch.setattr(passport.mail.ssl, "create_default_context", counted)
    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        plain = SmtpMailer(parse_mail_url(f"smtp://127.0.0.1:{port}"), "P <p@example.com>")
        for n in range(3):
            plain.send(MailMessage(to="x@example.com", subject=f"S{n}", text="T"))
    finally:
        controller.stop()
    assert len(received) == 3
    assert built == []
    secure = SmtpMailer(parse_mail_url("smtps://mail.example.org"), "P <p@example.com>")
    assert secure.tls_context() is secure.tls_context()
    assert len(built) == 1
    assert secure.tls_context().verify_mode == ssl.CERT_REQUIRED
