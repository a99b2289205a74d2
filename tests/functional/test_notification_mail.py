"""Notification e-mail through a real SMTP server on loopback (aiosmtpd): every kind in English
and German with both parts, List-Unsubscribe on optional mail only, one-click unsubscribe,
opt-in mail, retries after a temporary refusal, failure after a permanent one, the ``.ics``.

Notifications are recorded with :func:`passport.jobs.notify.notify` as the use cases do; the
queue runs in the test the way a worker would; the SMTP server's handler records what arrived
and answers what the test scripted.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, update

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.jobs.models import Notification
from passport.jobs.notify import notify
from passport.jobs.outbox import mail_destination
from passport.jobs.preferences import (
    OPTIONAL_CATEGORIES,
    set_mail_preference,
    unsubscribe_token,
    wants_mail,
)
from passport.jobs.queue import queue_for
from passport.mail import Attachment, MailMessage, OutboxMailer
from passport.services import Services
from passport.settings import Settings
from passport.web.context import get_services
from tests.conftest import PUBLIC_URL, fresh_app
from tests.functional.test_admin import HTML, csrf, login
from tests.loopback import free_port

CREDENTIAL = "urn:uuid:4b0c5a0e-6f55-4a53-9a43-0a5d1f6c2b11"
BADGE = {
    "credential_id": CREDENTIAL,
    "achievement_id": "incident-response-l2",
    "achievement_name": "Incident response <L2>",
    "issuer_name": "Example Org",
}
#: One context per kind, as the contract between the helpers names them.
CONTEXTS: dict[str, dict[str, Any]] = {
    "badge_issued": BADGE,
    "badge_revoked": {**BADGE, "reason": "Issued to the wrong person"},
    "badge_suspended": {**BADGE, "reason": ""},
    "badge_reinstated": {**BADGE, "reason": ""},
    "badge_expiring": {**BADGE, "valid_until": "2027-01-05T00:00:00+00:00", "days": 30},
    "session_reminder": {
        "session_id": 7,
        "title": "Runbooks that work",
        "outcome": "Write a runbook for the paging service",
        "cohort_name": "SRE spring cohort",
        "starts_at": "2026-12-07T09:00:00+00:00",
        "ends_at": "2026-12-07T10:30:00+00:00",
        "location": "Room 4",
    },
    **{
        kind: {
            "session_id": 8,
            "event_id": 8,
            "title": f"Reading flame graphs ({kind})",
            "outcome": "Find the hot path in a CPU profile",
            "starts_at": "2026-12-08T09:00:00+00:00",
            "ends_at": "2026-12-08T09:45:00+00:00",
            "time_zone": "Europe/Berlin",
            "location": "Room 3, https://meet.example.com/abc",
            "place": "Room 3",
            "meeting_url": "https://meet.example.com/abc",
            "shadow_slot": "",
            "sequence": 1 if kind in ("event_changed", "event_cancelled") else 0,
            "cancelled": kind == "event_cancelled",
            "position": 3,
        }
        for kind in (
            "event_signup",
            "event_waitlisted",
            "event_promoted",
            "event_changed",
            "event_cancelled",
            "event_signup_cancelled",
        )
    },
    "share_viewed": {
        "share_link_id": 3,
        "audience": "Acme hiring",
        "viewed_at": "2026-12-06T14:00:00+00:00",
    },
    "role_application": {
        "title": "SRE II",
        "applicant": "Ana Applicant",
        "application_id": 4,
        "applied_at": "2026-12-06T15:00:00+00:00",
    },
    "password_reset": {"minutes": 30},
    "invitation": {"inviter_name": "Grace Hopper", "role": "mentor", "hours": 72},
    "failed_report": {
        "failed_jobs": [{"id": "job42", "kind": "bulk_issue", "error": "ValueError: boom"}],
        "failed_mail": 2,
        "failed_schedules": [
            {"name": "expiry-reminders", "slot": "2026-12-06", "error": "OperationalError"}
        ],
    },
}
SECRETS = {
    "password_reset": f"{PUBLIC_URL}/login/reset/reset-token-123",
    "invitation": f"{PUBLIC_URL}/invitation/invite-token-456",
}


class Server:
    """aiosmtpd handler: records each message and answers RCPT / DATA as scripted (the next
    scripted reply of each, then ``250``)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []
        self.refuse_every_rcpt: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse_every_rcpt:
            return self.refuse_every_rcpt
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Server, int]]:
    handler = Server()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(settings: Settings, smtp: tuple[Server, int]) -> Iterator[Flask]:
    app = fresh_app(
        settings.with_overrides(mail_url=f"smtp://127.0.0.1:{smtp[1]}", job_retry_seconds=0.01)
    )
    queue_for(get_services(app)).flush()
    yield app
    get_services(app).engine.dispose()


def _person(services: Services, email_address: str, name: str, locale: str | None) -> int:
    with services.session() as db:
        user = create_user(db, email=email_address, name=name, role="learner", password=None)
        user.locale = locale
        db.flush()
        return user.id


def _notify(services: Services, user_id: int, kind: str, key: str) -> int:
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        row = notify(
            db,
            services,
            kind=kind,
            key=key,
            to=user.email,
            user_id=user.id,
            locale=user.locale or "en",
            context=CONTEXTS[kind],
            secret=SECRETS.get(kind),
        )
        assert row is not None
        return row.id


def _drain(services: Services, timeout: float = 20.0) -> None:
    """Run the queue like a worker until no notification waits (retries included)."""
    queue = queue_for(services)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue.run_pending()
        with services.sessions() as db:
            waiting = db.scalars(
                select(Notification.id).where(Notification.status.in_(("pending", "sending")))
            ).all()
        if not waiting:
            return
        time.sleep(0.05)
    raise AssertionError(f"notifications still waiting: {waiting}")


def _row(services: Services, notification_id: int) -> Notification:
    with services.sessions() as db:
        row = db.get(Notification, notification_id)
        assert row is not None
        db.expunge(row)
        return row


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, message["Subject"]
    return str(text.get_content()), str(html.get_content())


def test_every_kind_arrives_in_english_and_german_with_both_parts(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    people = {
        "en": _person(services, "ada@example.com", "Ada", "en"),
        "de": _person(services, "bea@example.com", "Bea", "de"),
    }
    with services.session() as db:  # opt-in mail: both asked for it
        for user_id in people.values():
            set_mail_preference(db, user_id, "share_viewed", True)
    for locale, user_id in people.items():
        for kind in CONTEXTS:
            _notify(services, user_id, kind, f"{kind}:test:{locale}")
    _drain(services)
    with services.sessions() as db:
        statuses = {(r.kind, r.to, r.status) for r in db.scalars(select(Notification))}
    assert {s for _, _, s in statuses} == {"sent"}, statuses
    received = smtp[0].messages
    assert len(received) == 2 * len(CONTEXTS)
    subjects: dict[str, set[str]] = {"en": set(), "de": set()}
    for message in received:
        locale = "en" if message["To"] == "ada@example.com" else "de"
        text, html = _parts(message)
        assert f'<html lang="{locale}">' in html
        assert ("Hello Ada," if locale == "en" else "Hallo Bea,") in text
        assert "Incident response <L2>" not in html  # names are escaped in HTML …
        if "Incident response" in text:
            assert "Incident response &lt;L2&gt;" in html
            assert "Incident response <L2>" in text  # … and as they are in the text part
        subjects[locale].add(str(message["Subject"]))
    # Every kind has its own subject, and each differs between the languages.
    assert len(subjects["en"]) == len(subjects["de"]) == len(CONTEXTS)
    assert not subjects["en"] & subjects["de"]
    de_subjects = subjects["de"]
    assert "Ihr Skill-Passport-Passwort zurücksetzen" in de_subjects


def test_list_unsubscribe_is_on_optional_mail_only(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", None)
    with services.session() as db:
        set_mail_preference(db, user_id, "share_viewed", True)
    ids = {kind: _notify(services, user_id, kind, f"{kind}:x") for kind in CONTEXTS}
    _drain(services)
    by_subject = {m["Subject"]: m for m in smtp[0].messages}
    assert len(by_subject) == len(CONTEXTS)
    for kind, notification_id in ids.items():
        assert _row(services, notification_id).status == "sent", kind
    optional = [m for m in smtp[0].messages if m["List-Unsubscribe"]]
    assert len(optional) == len(OPTIONAL_CATEGORIES)
    for message in optional:
        link = message["List-Unsubscribe"]
        assert re.fullmatch(rf"<{re.escape(PUBLIC_URL)}/unsubscribe/[\w.-]+>", link), link
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = _parts(message)
        assert link.strip("<>") in text and link.strip("<>") in html
    for message in smtp[0].messages:
        if not message["List-Unsubscribe"]:
            assert message["List-Unsubscribe-Post"] is None
            text, _ = _parts(message)
            assert "/unsubscribe/" not in text
    assert {m["Subject"] for m in optional} == {
        "Your badge is here: Incident response <L2>",
        "Your badge expires in 30 days: Incident response <L2>",
        "Tomorrow: Runbooks that work",
        "Someone opened your share link",
        "Skill Passport: failed jobs and e-mail",
    }


def test_the_one_click_post_unsubscribes_and_the_next_mail_is_skipped(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    _notify(services, user_id, "badge_issued", "badge_issued:one")
    _drain(services)
    [message] = smtp[0].messages
    path = message["List-Unsubscribe"].strip("<>").removeprefix(PUBLIC_URL)
    # What a mail client sends (RFC 8058): no session, no CSRF token.
    answer = mail_app.test_client().post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert "you will get no more e-mail of this kind" in answer.data.decode()
    with services.sessions() as db:
        assert not wants_mail(db, user_id, "badge_issued")
        assert wants_mail(db, user_id, "badge_expiring")  # only that kind
    skipped = _notify(services, user_id, "badge_issued", "badge_issued:two")
    kept = _notify(services, user_id, "badge_revoked", "badge_revoked:two")  # not optional
    _drain(services)
    assert _row(services, skipped).status == "skipped"
    assert _row(services, kept).status == "sent"
    assert [m["Subject"] for m in smtp[0].messages][1:] == [
        "Your badge was revoked: Incident response <L2>"
    ]


def test_the_unsubscribe_page_asks_first_and_refuses_a_forged_token(
    mail_app: Flask,
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "de")
    token = unsubscribe_token(services.settings.secret_key, user_id, "badge_expiring")
    client = mail_app.test_client()
    page = client.get(f"/unsubscribe/{token}", headers=HTML)
    assert page.status_code == 200 and "<form" in page.data.decode()
    with services.sessions() as db:  # a GET (a link scanner) changes nothing
        assert wants_mail(db, user_id, "badge_expiring")
    forged = unsubscribe_token("another secret key", user_id, "badge_expiring")
    for bad in (forged, "not-a-token", token[:-2]):
        for answer in (client.get(f"/unsubscribe/{bad}"), client.post(f"/unsubscribe/{bad}")):
            assert answer.status_code == 400
            assert "This unsubscribe link is not valid" in answer.data.decode()
    with services.sessions() as db:
        assert wants_mail(db, user_id, "badge_expiring")
    done = client.post(f"/unsubscribe/{token}?lang=de")
    assert done.status_code == 200
    with services.sessions() as db:
        assert not wants_mail(db, user_id, "badge_expiring")
    again = client.post(f"/unsubscribe/{token}")  # twice is harmless
    assert again.status_code == 200


def test_share_viewed_is_sent_only_to_those_who_opted_in(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    first = _notify(services, user_id, "share_viewed", "share_viewed:1")
    _drain(services)
    assert _row(services, first).status == "skipped"
    assert smtp[0].messages == []
    with services.session() as db:
        set_mail_preference(db, user_id, "share_viewed", True)
    second = _notify(services, user_id, "share_viewed", "share_viewed:2")
    _drain(services)
    assert _row(services, second).status == "sent"
    [message] = smtp[0].messages
    text, _ = _parts(message)
    assert "Your share link for Acme hiring was opened" in text
    assert f"{PUBLIC_URL}/passport/shares/3" in text


def test_a_temporary_refusal_is_tried_again_then_sent(
    settings: Settings, smtp: tuple[Server, int]
) -> None:
    # A first wait long enough that the retry is certainly not due within the first run.
    app = fresh_app(
        settings.with_overrides(mail_url=f"smtp://127.0.0.1:{smtp[1]}", job_retry_seconds=60)
    )
    services = get_services(app)
    queue = queue_for(services)
    queue.flush()
    user_id = _person(services, "ada@example.com", "Ada", "en")
    smtp[0].data_replies.append("451 4.7.1 Greylisted, try again later")
    notification_id = _notify(services, user_id, "badge_revoked", "badge_revoked:retry")
    queue.run_pending()
    row = _row(services, notification_id)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error is not None and "451 4.7.1 Greylisted" in row.last_error
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - services.now() > timedelta(seconds=50)  # the backoff
    assert smtp[0].messages == []
    # The retry falls due after its backoff: bring the stored due time forward and send the
    # message the reaper would (the queue's own delayed one is a minute away).
    with services.session() as db:
        db.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(next_attempt_at=services.now() - timedelta(seconds=1))
        )
    queue.send("deliver", [notification_id])
    queue.run_pending()
    row = _row(services, notification_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(smtp[0].messages) == 1
    services.engine.dispose()


def test_a_server_that_always_refuses_leaves_the_mail_failed_with_its_reason(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    smtp[0].refuse_every_rcpt = "550 5.1.1 No such mailbox here"
    notification_id = _notify(services, user_id, "password_reset", "password_reset:9")
    _drain(services)
    row = _row(services, notification_id)
    assert row.status == "failed" and row.attempts >= 2
    assert row.last_error is not None
    assert "refused the message for good: 550 5.1.1 No such mailbox here" in row.last_error
    assert smtp[0].messages == []
    assert "secret" in json.loads(row.context)  # kept (encrypted) for an admin's retry


def test_the_session_reminder_carries_a_calendar_file(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "de")
    _notify(services, user_id, "session_reminder", "session_reminder:7:1:x")
    _drain(services)
    [message] = smtp[0].messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "session.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "cohort-session-7@127.0.0.1"
    assert event.decoded("DTSTART").isoformat() == "2026-12-07T09:00:00+00:00"
    assert event.decoded("DTEND").isoformat() == "2026-12-07T10:30:00+00:00"
    assert str(event["SUMMARY"]) == "Runbooks that work"
    assert str(event["LOCATION"]) == "Room 4"
    text, _ = _parts(message)
    assert "Montag, 7. Dezember 2026" in text  # the date in the person's language


def test_event_mail_carries_the_calendar_file_except_on_the_waitlist(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    _notify(services, user_id, "event_signup", "event_signup:8:1:x")
    _notify(services, user_id, "event_waitlisted", "event_waitlisted:8:1:x")
    _drain(services)
    waiting, seat = sorted(smtp[0].messages, key=lambda m: str(m["Subject"]))
    assert str(waiting["Subject"]).startswith("You are on the waitlist")
    assert list(waiting.iter_attachments()) == []
    assert "number 3" in _parts(waiting)[0]
    [attachment] = list(seat.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["UID"]) == "cohort-session-8@127.0.0.1"
    assert "/events/8" in _parts(seat)[0]


def test_a_given_up_seat_cancels_and_a_waitlisted_change_has_no_file(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    _notify(services, user_id, "event_signup_cancelled", "event_signup_cancelled:8:1:x")
    with services.session() as db:
        notify(
            db,
            services,
            kind="event_changed",
            key="event_changed:8:1:w",
            to="ada@example.com",
            user_id=user_id,
            locale="en",
            context={**CONTEXTS["event_changed"], "waitlisted": True, "position": 2},
        )
    _drain(services)
    changed, gave_up = sorted(smtp[0].messages, key=lambda m: str(m["Subject"]).strip())
    assert str(gave_up["Subject"]).strip().startswith("Your place is cancelled")
    [attachment] = list(gave_up.iter_attachments())
    assert attachment.get_param("method") == "CANCEL"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "cohort-session-8@127.0.0.1"
    assert str(event["STATUS"]) == "CANCELLED"
    assert "takes the event out of your calendar" in _parts(gave_up)[0]
    assert str(changed["Subject"]).startswith("Event changed")
    assert list(changed.iter_attachments()) == []
    assert "still on its waitlist, number 2" in _parts(changed)[0]


def test_my_notifications_page_saves_the_choices(mail_app: Flask) -> None:
    services = get_services(mail_app)
    client = mail_app.test_client()
    token = login(client, services, "lea@example.com", "learner")
    page = client.get("/my/notifications", headers=HTML)
    body = page.data.decode()
    assert page.status_code == 200
    assert 'value="badge_issued" checked' in body
    assert 'value="share_viewed">' in body  # opt-in: off until chosen
    assert "failed_report" not in body  # an administrator's report
    saved = client.post(
        "/my/notifications",
        data={"csrf_token": token, "category": ["share_viewed", "session_reminder"]},
    )
    assert saved.status_code == 303
    with services.sessions() as db:
        user = db.scalar(select(User).where(User.email == "lea@example.com"))
        assert user is not None
        assert wants_mail(db, user.id, "share_viewed")
        assert wants_mail(db, user.id, "session_reminder")
        assert not wants_mail(db, user.id, "badge_issued")
        assert not wants_mail(db, user.id, "badge_expiring")
    refused = client.post("/my/notifications", data={"category": ["badge_issued"]})
    assert refused.status_code == 403  # no CSRF token: this form is protected


def test_admin_outbox_lists_and_shows_messages(settings: Settings, tmp_path: Path) -> None:
    app = fresh_app(settings)  # env "test", no PASSPORT_MAIL_URL: the outbox
    services = get_services(app)
    outbox = OutboxMailer(settings.instance_path / "outbox", "Skill Passport <no@example.com>")
    outbox.send(MailMessage(to="first@example.com", subject="First <one>", text="Body one"))
    time.sleep(0.01)
    outbox.send(
        MailMessage(
            to="second@example.com",
            subject="Second",
            text="Body two",
            html="<p>Body two</p>",
            attachments=(Attachment("session.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n"),),
        )
    )
    client = app.test_client()
    login(client, services, "admin@example.com", "admin")
    page = client.get("/admin/outbox", headers=HTML)
    body = page.data.decode()
    assert page.status_code == 200
    assert body.index("Second") < body.index("First &lt;one&gt;")  # newest first
    name = re.search(r'href="/admin/outbox/([^"]+)">Second', body)
    assert name is not None
    one = client.get(f"/admin/outbox/{name.group(1)}", headers=HTML)
    assert one.status_code == 200
    assert "Body two" in one.data.decode() and "session.ics" in one.data.decode()
    for bad in ("nothing.eml", "..%2F..%2Fpassport.sqlite3", "%2Fetc%2Fpasswd"):
        assert client.get(f"/admin/outbox/{bad}", headers=HTML).status_code == 404
    learner = app.test_client()
    login(learner, services, "lea@example.com", "learner")
    assert learner.get("/admin/outbox", headers=HTML).status_code == 403
    services.engine.dispose()


def test_admin_outbox_names_the_mail_server_without_its_password(
    settings: Settings, smtp: tuple[Server, int]
) -> None:
    url = f"smtp://mailer:s3cret-pass@127.0.0.1:{smtp[1]}"
    assert mail_destination(url) == f"smtp://mailer@127.0.0.1:{smtp[1]}"
    app = fresh_app(settings.with_overrides(mail_url=url))
    services = get_services(app)
    client = app.test_client()
    login(client, services, "admin@example.com", "admin")
    body = client.get("/admin/outbox", headers=HTML).data.decode()
    assert f"smtp://mailer@127.0.0.1:{smtp[1]}" in body
    assert "s3cret" not in body
    services.engine.dispose()


def test_the_forgot_page_only_records_the_mail(mail_app: Flask, smtp: tuple[Server, int]) -> None:
    """The answer never waits for the mail server (its time would tell whether the address
    has an account): the request records a notification, the worker sends it."""
    services = get_services(mail_app)
    with services.session() as db:
        create_user(
            db,
            email="ada@example.com",
            name="Ada",
            role="learner",
            password="analytical engine notes",
        )
    client = mail_app.test_client()
    token = csrf(client, "/login/forgot")
    for address in ("ada@example.com", "nobody@example.com"):
        answer = client.post("/login/forgot", data={"email": address, "csrf_token": token})
        assert answer.status_code == 200
    with services.sessions() as db:
        [row] = db.scalars(select(Notification))
    assert (row.kind, row.status, row.to) == ("password_reset", "pending", "ada@example.com")
    assert smtp[0].messages == []
    _drain(services)
    assert [m["To"] for m in smtp[0].messages] == ["ada@example.com"]


def test_a_context_missing_what_its_kind_needs_fails_visibly(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "ada@example.com", "Ada", "en")
    with services.session() as db:
        row = notify(
            db,
            services,
            kind="invitation",
            key="invitation:broken",
            to="ada@example.com",
            user_id=user_id,
            context={"inviter_name": "Grace"},  # no hours, no role, no link
        )
        assert row is not None
        broken = row.id
        unknown = notify(
            db, services, kind="no_such_kind", key="x:1", to="ada@example.com", context={}
        )
        assert unknown is not None
        unknown_id = unknown.id
    _drain(services)
    row = _row(services, broken)
    assert row.status == "failed" and row.last_error is not None
    assert "the invitation message cannot be written" in row.last_error
    assert _row(services, unknown_id).status == "failed"
    assert smtp[0].messages == []


def test_a_badge_issued_through_the_api_mails_a_link_that_works(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    """Issue #18's done-when: API → notification → worker → SMTP server → a working link."""
    from passport.accounts.tokens import create_token

    services = get_services(mail_app)
    _person(services, "ada@mail.example", "Ada", "de")
    with services.session() as db:
        token = create_token(db, "mail-test", scopes=["credentials:issue"], actor="test")
    client = mail_app.test_client()
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "ada@mail.example"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    credential_id = response.get_json()["id"]
    assert smtp[0].messages == []  # sent by the worker, not by the request
    _drain(services)
    (message,) = smtp[0].messages
    assert message["To"] == "ada@mail.example"
    text, html = _parts(message)
    links = re.findall(rf"{re.escape(PUBLIC_URL)}(/credentials/[^\s\"<]+)", text + html)
    assert links and all(link == f"/credentials/{credential_id}" for link in links)
    page = client.get(links[0])
    assert page.status_code == 200
    assert "Incident" in page.get_data(as_text=True)
    # A second worker pass (a re-sent message, the reaper) sends nothing more.
    queue_for(services).send("deliver", [_sent_id(services)])
    _drain(services)
    assert len(smtp[0].messages) == 1


def _sent_id(services: Services) -> int:
    with services.sessions() as db:
        (row_id,) = db.scalars(select(Notification.id).where(Notification.status == "sent"))
        return row_id


def test_mail_waiting_for_a_person_deactivated_meanwhile_is_not_sent(
    mail_app: Flask, smtp: tuple[Server, int]
) -> None:
    services = get_services(mail_app)
    user_id = _person(services, "gone@mail.example", "Gone", None)
    notification_id = _notify(services, user_id, "badge_revoked", "badge_revoked:gone")
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        user.deactivated_at = services.now()
    _drain(services)
    assert smtp[0].messages == []
    assert _row(services, notification_id).status == "skipped"
