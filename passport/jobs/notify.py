"""Notifications: an e-mail to a person, recorded with what it tells about, sent by a job.

:func:`notify` writes a :class:`~passport.jobs.models.Notification` row in the caller's
transaction (a badge issued and its "your badge is here" mail commit together or not at all) and
defers a ``deliver`` message until the commit (:func:`passport.jobs.queue.after_commit`). Its
``key`` names the event ("badge_issued:<credential id>"), so an event recorded twice (a bulk
part run again after its worker was killed) makes one message.

:func:`deliver_notifications` runs in a worker: it claims each row (``pending`` → ``sending``),
renders it in the person's language (:mod:`passport.jobs.messages`), hands it to the mail server
and marks it ``sent``; a person who opted out of that kind of mail gets nothing (``skipped``).
A failure is tried again with backoff, then shown as ``failed`` in ``/admin/jobs`` with the
server's reason, where an admin can send it again — never dropped in silence.

Secrets (a password-reset link) travel in ``context["secret"]`` encrypted with a key derived
from ``PASSPORT_SECRET_KEY``, and are wiped from the row once the message is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from passport.jobs.models import Notification
from passport.jobs.queue import after_commit
from passport.jobs.recipients import Recipient
from passport.mail import Mailer, MailError, MailMessage, mailer_for
from passport.services import Services

__all__ = [
    "deliver_notifications",
    "notify",
    "notify_person",
    "open_secret",
    "requeue_stale",
    "retry_notification",
]

logger = logging.getLogger(__name__)

#: Tries before an e-mail is marked failed (shown in /admin/jobs).
MAX_MAIL_ATTEMPTS = 6
#: A delivery starts no message later than this after its claim: well inside the reaper's
#: lease on claimed mail (passport.jobs.runner.MAIL_LEASE, 5 minutes), less one slow send.
SEND_WINDOW = timedelta(minutes=3)


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"passport notification secrets\x00" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def open_secret(secret_key: str, context: dict[str, Any]) -> str | None:
    """The decrypted ``secret`` of a notification's context (None: none, or wiped)."""
    token = context.get("secret")
    if not token:
        return None
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None


def notify(
    session: Session,
    services: Services,
    *,
    kind: str,
    key: str,
    to: str,
    context: dict[str, Any],
    user_id: int | None = None,
    locale: str | None = None,
    secret: str | None = None,
    known_new: bool = False,
) -> Notification | None:
    """Record a message to ``to`` about ``kind`` (sent after the commit). Returns the new row,
    or None when a message with this ``key`` exists already.

    ``known_new`` skips the lookup for keys that cannot exist yet (a credential id issued in
    this transaction); the unique key still guards them. Such a row is not flushed here: it is
    written with the transaction's next flush (a bulk batch writes all its rows at once, not
    one statement round per badge), and its delivery is deferred then (:func:`_defer_flushed`).
    """
    if services.settings.is_production and not services.settings.mail_url:
        return None  # no mail server here (passport.mail): nothing to send, nothing to fail
    if not known_new and session.scalar(select(Notification.id).where(Notification.key == key)):
        return None
    data = dict(context)
    if secret is not None:
        data["secret"] = _fernet(services.settings.secret_key).encrypt(secret.encode()).decode()
    row = Notification(
        key=key[:200],
        kind=kind,
        to=to,
        user_id=user_id,
        locale=locale or "en",
        context=json.dumps(data, separators=(",", ":"), default=str),
        status="pending",
        created_at=services.now(),
    )
    session.add(row)
    if known_new:
        session.info.setdefault(_UNFLUSHED, []).append(row)
        return row
    session.flush()
    after_commit(session, deliver_task(kind), [row.id])
    return row


def notify_person(
    session: Session,
    services: Services,
    recipient: Recipient,
    *,
    kind: str,
    key: str,
    context: dict[str, Any],
    secret: str | None = None,
    known_new: bool = False,
) -> Notification | None:
    """:func:`notify` addressed to ``recipient`` (its address, account and language)."""
    return notify(
        session,
        services,
        kind=kind,
        key=key,
        to=recipient.email,
        user_id=recipient.user_id,
        locale=recipient.locale,
        context=context,
        secret=secret,
        known_new=known_new,
    )


#: Kinds a person is waiting for at a screen: sent before any other work.
URGENT_KINDS = frozenset({"password_reset", "invitation", "wallet_tx_code"})


def deliver_task(kind: str) -> str:
    """The queue task that sends mail of ``kind`` (:mod:`passport.jobs.queue`'s priorities)."""
    return "deliver_urgent" if kind in URGENT_KINDS else "deliver"


#: Notifications added with ``known_new`` and not flushed yet (they have no id to send).
_UNFLUSHED = "passport.jobs.unflushed_notifications"


@event.listens_for(Session, "after_flush")
def _defer_flushed(session: Session, _context: Any) -> None:
    """Defer the delivery of the notifications this flush wrote (they have ids now)."""
    rows: list[Notification] | None = session.info.get(_UNFLUSHED)
    if not rows:
        return
    written = [row for row in rows if row.id is not None]
    if written:
        session.info[_UNFLUSHED] = [row for row in rows if row.id is None]
        for task in {deliver_task(row.kind) for row in written}:
            after_commit(
                session, task, [row.id for row in written if deliver_task(row.kind) == task]
            )


@event.listens_for(Session, "after_rollback")
def _forget_unflushed(session: Session) -> None:
    session.info.pop(_UNFLUSHED, None)


def _mailer(services: Services) -> Mailer | None:
    settings = services.settings
    if "jobs.mailer" not in services.extensions:
        services.extensions["jobs.mailer"] = mailer_for(
            mail_url=settings.mail_url,
            mail_from=settings.mail_from,
            public_url=settings.public_url,
            instance_path=settings.instance_path,
            production=settings.is_production,
        )
    mailer: Mailer | None = services.extensions["jobs.mailer"]
    return mailer


def deliver_notifications(services: Services, ids: list[int]) -> list[tuple[int, float]]:
    """Send the due, unclaimed notifications among ``ids``. Returns (id, delay) for those to
    try again later.

    Three steps, whatever the number of messages: one transaction claims them all
    (``pending`` → ``sending``) and renders them, the mail server gets them outside any
    transaction, and one transaction records every outcome.
    """
    from passport.jobs.messages import render
    from passport.jobs.runner import retry_delay

    mailer = _mailer(services)
    now = services.now()
    due = or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)
    outgoing: list[tuple[int, MailMessage, dict[str, Any]]] = []
    with services.session() as session:
        claimed = list(
            session.scalars(
                update(Notification)
                .where(Notification.id.in_(ids), Notification.status == "pending", due)
                .values(status="sending", claimed_at=now, attempts=Notification.attempts + 1)
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return []
        rows = session.scalars(
            select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
        ).all()
        for row in rows:
            context = json.loads(row.context)
            try:
                message = render(services, session, row, context)
            except Exception as exc:  # the task boundary: one bad message must not block 49
                logger.exception("notification %s could not be rendered", row.id)
                _mark(row, "failed", f"{type(exc).__name__}: {exc}"[:1000])
                continue
            if message is None:
                _mark(row, "skipped", None)
                row.context = json.dumps(_wiped(context))
                continue
            outgoing.append((row.id, message, context))
    errors: dict[int, str | None] = {}
    released: list[int] = []
    for notification_id, message, _ in outgoing:
        if services.now() - now > SEND_WINDOW:
            # A slow server: give the rest back before the reaper may hand them to another
            # worker (MAIL_LEASE), so no message is sent by two workers.
            released.append(notification_id)
            continue
        if mailer is None:
            errors[notification_id] = "No mail server is configured (PASSPORT_MAIL_URL)."
            continue
        try:
            mailer.send(message)
            errors[notification_id] = None
        except MailError as exc:
            # The server's code and sentence ("451 4.7.1 Try again later"), for the failed
            # list; a permanent refusal is tried again all the same, as a bounce may come
            # from a mailbox that was full for an hour.
            errors[notification_id] = exc.message[:1000]
    if not outgoing:
        return []
    retry: list[tuple[int, float]] = [(notification_id, 0.0) for notification_id in released]
    with services.session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.id.in_([*errors, *released]))
        ).all()
        contexts = {notification_id: context for notification_id, _, context in outgoing}
        for row in rows:
            if row.status != "sending" or row.claimed_at != now:
                continue  # no longer this worker's (the reaper took it back): leave it be
            if row.id in released:
                row.status, row.attempts = "pending", row.attempts - 1
                continue
            error = errors[row.id]
            if error is None:
                row.status = "sent"
                row.sent_at = services.now()
                row.last_error = None
                row.context = json.dumps(_wiped(contexts[row.id]))
            elif row.attempts < MAX_MAIL_ATTEMPTS and mailer is not None:
                delay = retry_delay(services, row.attempts)
                row.status = "pending"
                row.last_error = error
                row.next_attempt_at = services.now() + timedelta(seconds=delay)
                retry.append((row.id, delay))
            else:
                _mark(row, "failed", error)
    return retry


def _mark(row: Notification, status: str, error: str | None) -> None:
    row.status = status
    row.last_error = error


def _wiped(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k != "secret"}


def requeue_stale(
    services: Services, now: datetime, lease: timedelta, max_attempts: int = MAX_MAIL_ATTEMPTS
) -> list[int]:
    """Notifications whose message was lost: pending and overdue by ``lease``, or ``sending``
    for longer than ``lease`` (the worker died holding them; it may have sent it — the one
    case where a message could go out twice, as with any SMTP client that dies between the
    server's "250 OK" and its own record). Returns their ids, set pending again; one whose
    worker died holding it ``max_attempts`` times is marked failed instead."""
    stale = now - lease
    last_sent = func.coalesce(
        Notification.next_attempt_at, Notification.claimed_at, Notification.created_at
    )
    held = (Notification.status == "sending") & (Notification.claimed_at < stale)
    lost = or_(held, (Notification.status == "pending") & (last_sent < stale))
    with services.session() as session:
        session.execute(
            update(Notification)
            .where(held, Notification.attempts >= max_attempts)
            .values(status="failed", last_error="The worker sending it stopped every time.")
        )
        ids = list(session.scalars(select(Notification.id).where(lost)))
        if ids:
            # claimed_at stamps when the message was sent again, so a long queue of mail
            # gets one extra message per lease, not one a minute.
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), lost)
                .values(status="pending", next_attempt_at=None, claimed_at=now)
            )
    return ids


def retry_notification(session: Session, notification_id: int) -> bool:
    """Send a failed notification again (an admin's retry). Returns False if it is not failed."""
    row = session.get(Notification, notification_id)
    if row is None or row.status != "failed":
        return False
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = None
    after_commit(session, deliver_task(row.kind), [row.id])
    return True
