"""The development outbox, read back: the ``.eml`` files :class:`~passport.mail.OutboxMailer`
wrote into ``outbox/`` in the instance folder, for ``/admin/outbox``.

Only names this module lists are ever opened (a name from a request is checked against the
folder's own listing), so a crafted name cannot read a file elsewhere.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from passport.mail import parse_mail_url

__all__ = ["OutboxEntry", "mail_destination", "outbox_entries", "outbox_entry"]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message in the outbox (``text``: its plain-text part, read only for one message)."""

    name: str
    subject: str
    to: str
    sent_at: datetime
    text: str = ""
    has_html: bool = False
    attachments: tuple[str, ...] = ()


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {path.name: path for path in folder.glob("*.eml") if path.is_file()}


def _read(path: Path, *, body: bool) -> OutboxEntry:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    try:
        sent_at = parsedate_to_datetime(str(parsed["Date"]))
    except (TypeError, ValueError):
        sent_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    text, has_html, attachments = "", False, ()
    if body:
        plain = parsed.get_body(preferencelist=("plain",))
        text = str(plain.get_content()) if plain is not None else ""
        has_html = parsed.get_body(preferencelist=("html",)) is not None
        attachments = tuple(str(part.get_filename() or "") for part in parsed.iter_attachments())
    return OutboxEntry(
        name=path.name,
        subject=str(parsed["Subject"] or ""),
        to=str(parsed["To"] or ""),
        sent_at=sent_at,
        text=text,
        has_html=has_html,
        attachments=attachments,
    )


def outbox_entries(folder: Path, *, limit: int = 200) -> list[OutboxEntry]:
    """The newest ``limit`` messages of the outbox, newest first."""
    paths = sorted(_files(folder).values(), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    return [_read(path, body=False) for path in paths[:limit]]


def outbox_entry(folder: Path, name: str) -> OutboxEntry | None:
    """One message with its text part (None: no message of that name in the outbox)."""
    path = _files(folder).get(name)
    return _read(path, body=True) if path is not None else None


def mail_destination(mail_url: str | None) -> str | None:
    """Where mail goes when ``PASSPORT_MAIL_URL`` is set, without the password
    (``smtps://user@mail.example.org:465``); None: it goes to the outbox (or nowhere)."""
    if not mail_url:
        return None
    server = parse_mail_url(mail_url)
    user = f"{server.username}@" if server.username else ""
    return f"{server.scheme}://{user}{server.host}:{server.port}"
