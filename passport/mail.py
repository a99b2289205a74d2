"""Sending mail: SMTP when ``PASSPORT_MAIL_URL`` is set, an outbox folder in development.

``PASSPORT_MAIL_URL`` names the server: ``smtp://host:25`` (plain, for a relay on the same
host), ``smtp+starttls://host:587`` (STARTTLS, required once asked for), ``smtps://host:465``
(TLS from the first byte), each with an optional ``user:password@`` (percent-encoded) for
SMTP AUTH. ``PASSPORT_MAIL_FROM`` is the sender (default ``Skill Passport
<no-reply@the public URL's host>``).

Without ``PASSPORT_MAIL_URL``, development and test write each message as one ``.eml`` file
(mode 0600, folder 0700) into ``outbox/`` in the instance folder and log where; production
has no mailer (:func:`mailer_for` returns None) and the pages that would send mail say so.
Callers use :class:`Mailer`; the notifications machinery (:mod:`passport.jobs.notify`) is the
main one.

A :class:`MailMessage` carries a plain-text part, optionally the same as HTML, extra headers
(``List-Unsubscribe`` of RFC 2369 / RFC 8058) and attachments (a session's ``.ics``). A refused
message raises :class:`MailError` saying whether the refusal is permanent (an SMTP 5xx reply) or
temporary (4xx, or no connection), with the server's code and sentence, which the failed list
shows to an administrator.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from passport.errors import ConfigError, PassportError

__all__ = [
    "Attachment",
    "MailError",
    "MailMessage",
    "MailServer",
    "Mailer",
    "OutboxMailer",
    "SmtpMailer",
    "default_sender",
    "mailer_for",
    "parse_mail_url",
]

logger = logging.getLogger(__name__)

_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(PassportError):
    """A message could not be handed to the mail server.

    ``smtp_code`` is the server's reply code when it answered (None: no connection, or the
    connection broke); ``permanent`` is True for a 5xx reply, which sending again will not
    change. ``message`` says both, with the server's own sentence, for the failed list.
    """

    code = "mail_failed"
    default_message = "The e-mail could not be sent; try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        smtp_code: int | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message)
        self.smtp_code = smtp_code
        self.permanent = permanent

    @classmethod
    def from_smtp(cls, exc: smtplib.SMTPException | OSError) -> MailError:
        """The error for what :mod:`smtplib` (or the socket below it) raised."""
        code: int | None = None
        reply = ""
        if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
            code, raw = next(iter(exc.recipients.values()))
            reply = _reply_text(raw)
        elif isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, _reply_text(exc.smtp_error)
        if code is not None and code >= 500:
            sentence = f"The mail server refused the message for good: {code} {reply}"
            return cls(sentence.strip(), smtp_code=code, permanent=True)
        if code is not None:
            sentence = f"The mail server refused the message for now: {code} {reply}"
            return cls(sentence.strip(), smtp_code=code)
        detail = str(exc).strip() or type(exc).__name__
        return cls(f"The mail server could not be reached: {detail}")


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:500]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (``content_type`` like ``text/calendar``, parameters allowed:
    ``text/calendar; method=REQUEST``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One e-mail: plain text, optionally the same as simple HTML, extra headers (name,
    value) and attachments."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def header(self, name: str) -> str | None:
        """The value of the extra header ``name`` (case-insensitive), if the message has it."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True, slots=True)
class MailServer:
    """A parsed ``PASSPORT_MAIL_URL``."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def is_local(self) -> bool:
        """Whether the server is on this host (loopback), where plain SMTP crosses no network."""
        return self.host in ("localhost", "::1") or self.host.startswith("127.")


def parse_mail_url(url: str) -> MailServer:
    """Read ``PASSPORT_MAIL_URL``; raises :class:`~passport.errors.ConfigError` when unusable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ConfigError(
            "PASSPORT_MAIL_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
            "or smtps://user:pass@host:465."
        )
    try:
        port = parts.port or _SCHEMES[parts.scheme]
    except ValueError as exc:
        raise ConfigError("PASSPORT_MAIL_URL has a port that is not a number.") from exc
    return MailServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Mailer(Protocol):
    """Something that delivers a :class:`MailMessage` (raises :class:`MailError` when it cannot)."""

    def send(self, message: MailMessage) -> None: ...


def _email(message: MailMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    mail["Auto-Submitted"] = "auto-generated"
    for name, value in message.headers:
        mail[name] = value  # the email package refuses a value with a line break in it
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        # "text/calendar; method=REQUEST": the parameters go on the part's Content-Type.
        kind, *parameters = attachment.content_type.split(";")
        maintype, _, subtype = kind.strip().partition("/")
        params = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (p.partition("=") for p in parameters)
        )
        mail.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params or None,
        )
    return mail


class SmtpMailer:
    """Delivers through the SMTP server of ``PASSPORT_MAIL_URL`` (one connection a message)."""

    def __init__(self, server: MailServer, sender: str, *, timeout: float = 10.0) -> None:
        self.server = server
        self.sender = sender
        self.timeout = timeout
        self._tls: ssl.SSLContext | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The TLS settings of ``smtps://`` and ``smtp+starttls://``: built on first use and
        kept. Building one loads the system's CA certificates, about a tenth of a second,
        which used to be paid for every message (a bulk job's 600 badge e-mails spent a
        minute on it, plain ``smtp://`` included, which never uses TLS)."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def send(self, message: MailMessage) -> None:
        server = self.server
        try:
            smtp: smtplib.SMTP
            if server.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=self.tls_context()
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            with smtp:
                if server.scheme == "smtp+starttls":
                    smtp.starttls(context=self.tls_context())
                if server.username:
                    smtp.login(server.username, server.password or "")
                smtp.send_message(_email(message, self.sender))
        except (OSError, smtplib.SMTPException) as exc:
            # The class name only in the log: the server's text may name hosts and accounts.
            # The error itself carries it to the failed list, which only administrators see.
            logger.warning("mail to the SMTP server failed: %s", type(exc).__name__)
            raise MailError.from_smtp(exc) from exc


class OutboxMailer:
    """Development: writes each message to ``<folder>/<time>-<id>.eml`` (0600) and logs it."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, message: MailMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        mail = _email(message, self.sender)
        name = f"{mail['Message-ID'].strip('<>').replace('@', '-').replace('/', '-')}.eml"
        path = self.folder / name
        partial = path.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(mail.as_bytes())
        os.replace(partial, path)  # whoever reads the folder sees whole messages only
        logger.warning("development mail outbox: wrote %s (no PASSPORT_MAIL_URL)", path)

    def messages(self) -> Sequence[Path]:
        """The files written so far, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)


def default_sender(public_url: str) -> str:
    host = urlsplit(public_url).hostname or "localhost"
    return f"Skill Passport <no-reply@{host}>"


def mailer_for(
    *, mail_url: str | None, mail_from: str, public_url: str, instance_path: Path, production: bool
) -> Mailer | None:
    """The mailer a deployment has: SMTP, the development outbox, or None (production without
    ``PASSPORT_MAIL_URL``)."""
    sender = mail_from or default_sender(public_url)
    if mail_url:
        return SmtpMailer(parse_mail_url(mail_url), sender)
    if production:
        return None
    return OutboxMailer(instance_path / "outbox", sender)
