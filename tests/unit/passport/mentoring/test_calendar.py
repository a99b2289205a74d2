"""The iCalendar builder and the feed's contents: time zones across a DST change (checked by
icalendar and, independently, by vobject reading our VTIMEZONE), the 90-day window, who sees
which session, SEQUENCE and STATUS, the derived secret, and the attachment's METHOD."""

from __future__ import annotations

import email
import email.policy
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from flask import Flask
from sqlalchemy import select

from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.cohorts.models import Cohort, CohortMember, MentoringSession
from passport.errors import NotFound
from passport.jobs.messages import session_calendar
from passport.mail import MailMessage, OutboxMailer
from passport.mentoring.calendar import (
    FEED_DAYS_BACK,
    CalendarEvent,
    attachment_method,
    build_calendar,
    feed_document,
    feed_events,
    feed_secret,
    feed_url_for_email,
    rotate_feed,
    session_uid,
    user_for_secret,
)
from passport.mentoring.models import SessionSignup
from passport.services import Services
from passport.web.context import get_services
from tests.functional.signing_in import make_user

BASE = "https://passport.example"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = "calendar-test-secret"
BERLIN = ZoneInfo("Europe/Berlin")


def _event(
    session_id: int, local: datetime, zone: str = "Europe/Berlin", **extra: object
) -> CalendarEvent:
    starts = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return CalendarEvent(
        session_id=session_id,
        title=f"Session {session_id}",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        time_zone=zone,
        **extra,  # type: ignore[arg-type]
    )


def _events(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# -- the builder ------------------------------------------------------------------------------


def test_berlin_times_keep_their_wall_clock_across_the_dst_change() -> None:
    # Saturday before and Monday after the switch to summer time (29 March 2026, 02:00 → 03:00).
    winter = _event(1, datetime(2026, 3, 28, 10, 0))
    summer = _event(2, datetime(2026, 3, 30, 10, 0))
    data = build_calendar([winter, summer], base=BASE, now=NOW)

    calendar = icalendar.Calendar.from_ical(data)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    events = _events(data)
    for uid, utc_hour in (
        ("cohort-session-1@passport.example", 9),
        ("cohort-session-2@passport.example", 8),
    ):
        start = events[uid]["DTSTART"]
        assert start.params["TZID"] == "Europe/Berlin"
        assert (start.dt.hour, start.dt.minute) == (10, 0)  # the wall-clock time chosen
        assert start.dt.astimezone(UTC).hour == utc_hour
    assert b"DTSTART;TZID=Europe/Berlin:20260328T100000" in data
    assert b"DTSTART;TZID=Europe/Berlin:20260330T100000" in data

    # vobject builds its own tzinfo from our VTIMEZONE (not from zoneinfo): the instants match.
    parsed = vobject.readOne(io.StringIO(data.decode()))
    starts = sorted(event.dtstart.value.astimezone(UTC) for event in parsed.vevent_list)
    assert starts == [winter.starts_at, summer.starts_at]
    assert [
        e.dtstart.value.utcoffset()
        for e in sorted(parsed.vevent_list, key=lambda e: e.dtstart.value)
    ] == [
        timedelta(hours=1),
        timedelta(hours=2),
    ]


def test_the_vtimezone_gives_the_right_offset_in_autumn_too() -> None:
    before = _event(3, datetime(2026, 10, 24, 18, 30))  # CEST
    after = _event(4, datetime(2026, 10, 26, 18, 30))  # CET
    parsed = vobject.readOne(
        io.StringIO(build_calendar([before, after], base=BASE, now=NOW).decode())
    )
    got = sorted(event.dtstart.value.astimezone(UTC) for event in parsed.vevent_list)
    assert got == [before.starts_at, after.starts_at]
    assert before.starts_at.hour == 16 and after.starts_at.hour == 17


def test_utc_sessions_are_written_in_utc_without_a_vtimezone() -> None:
    data = build_calendar([_event(5, datetime(2026, 5, 4, 9, 0), zone="UTC")], base=BASE, now=NOW)
    assert b"DTSTART:20260504T090000Z" in data
    assert b"VTIMEZONE" not in data


def test_zones_used_twice_get_one_vtimezone_each() -> None:
    events = [
        _event(6, datetime(2026, 5, 4, 9, 0)),
        _event(7, datetime(2026, 5, 5, 9, 0)),
        _event(8, datetime(2026, 5, 5, 9, 0), zone="America/New_York"),
    ]
    calendar = icalendar.Calendar.from_ical(build_calendar(events, base=BASE, now=NOW))
    assert sorted(str(z["TZID"]) for z in calendar.walk("VTIMEZONE")) == [
        "America/New_York",
        "Europe/Berlin",
    ]


def test_an_unknown_zone_is_written_in_utc() -> None:
    event = _event(9, datetime(2026, 5, 4, 9, 0), zone="UTC")
    broken = replace(event, time_zone="Mars/Olympus")
    assert b"DTSTART:20260504T090000Z" in build_calendar([broken], base=BASE, now=NOW)


def test_every_field_of_an_event() -> None:
    event = _event(
        10,
        datetime(2026, 6, 1, 14, 0),
        outcome="Write a runbook that works",
        format="shadow",
        shadow_slot="Primary on-call, week 23",
        place="Room 4",
        meeting_url="https://meet.example/abc",
        url=f"{BASE}/events/10",
        sequence=3,
        updated_at=datetime(2026, 2, 1, tzinfo=UTC),
        organizer_name="Mia Mentor",
        organizer_email="mia@example.com",
    )
    [vevent] = _events(build_calendar([event], base=BASE, now=NOW)).values()
    assert str(vevent["SUMMARY"]) == "Session 10"
    description = str(vevent["DESCRIPTION"])
    for part in (
        "Learning outcome: Write a runbook that works",
        "Format: Shadow rotation",
        "Shadow slot: Primary on-call, week 23",
        "Meeting link: https://meet.example/abc",
        f"Agenda: {BASE}/events/10",
    ):
        assert part in description
    assert str(vevent["LOCATION"]) == "Room 4"
    assert str(vevent["URL"]) == f"{BASE}/events/10"
    assert int(vevent["SEQUENCE"]) == 3
    assert vevent.decoded("LAST-MODIFIED") == datetime(2026, 2, 1, tzinfo=UTC)
    # A feed (no METHOD): DTSTAMP is the last change, so the bytes stay the same.
    assert vevent.decoded("DTSTAMP") == datetime(2026, 2, 1, tzinfo=UTC)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["ORGANIZER"]) == "mailto:mia@example.com"
    assert vevent["ORGANIZER"].params["CN"] == "Mia Mentor"


def test_the_meeting_link_is_the_location_when_there_is_no_place() -> None:
    event = _event(11, datetime(2026, 6, 1, 14, 0), meeting_url="https://meet.example/x")
    [vevent] = _events(build_calendar([event], base=BASE, now=NOW)).values()
    assert str(vevent["LOCATION"]) == "https://meet.example/x"


@pytest.mark.parametrize(
    ("kind", "context", "method"),
    [
        ("session_reminder", {"session_id": 1}, "PUBLISH"),
        ("event_signup", {"session_id": 1}, "REQUEST"),
        ("event_promoted", {"session_id": 1}, "REQUEST"),
        ("event_changed", {"session_id": 1, "sequence": 2}, "REQUEST"),
        ("event_cancelled", {"session_id": 1, "cancelled": True}, "CANCEL"),
        ("event_changed", {"session_id": 1, "cancelled": True}, "CANCEL"),
        ("event_waitlisted", {"session_id": 1}, None),
        ("badge_issued", {"session_id": 1}, None),
        ("event_signup", {}, None),
    ],
)
def test_the_method_of_each_attachment(
    kind: str, context: dict[str, object], method: str | None
) -> None:
    assert attachment_method(kind, context) == method


def test_an_attachment_from_the_context_alone() -> None:
    context = {
        "session_id": 77,
        "title": "Incident review",
        "starts_at": "2026-03-30T08:00:00+00:00",
        "ends_at": "2026-03-30T09:00:00+00:00",
        "time_zone": "Europe/Berlin",
        "sequence": 4,
        "cancelled": True,
        "outcome": "Lead a review",
        "location": "Room 2",
    }
    attachment = session_calendar(context, base=BASE, now=NOW, kind="event_cancelled")
    calendar = icalendar.Calendar.from_ical(attachment.data)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert attachment.content_type == "text/calendar; method=CANCEL"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == session_uid(77, BASE)
    assert int(vevent["SEQUENCE"]) == 4
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert b"DTSTART;TZID=Europe/Berlin:20260330T100000" in attachment.data
    assert vevent.decoded("DTSTAMP") == NOW


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        build_calendar([], base=BASE, now=NOW, method="PUBLISH;X")


# -- the feed over a real database ------------------------------------------------------------


def _session(
    services: Services,
    title: str,
    starts_at: datetime,
    *,
    cohort_id: int | None = None,
    mentor_id: int | None = None,
    zone: str = "Europe/Berlin",
    cancelled: bool = False,
) -> int:
    with services.session() as db:
        meeting = MentoringSession(
            cohort_id=cohort_id,
            title=title,
            learning_outcome=f"Outcome of {title}",
            starts_at=starts_at,
            minutes=60,
            time_zone=zone,
            mentor_id=mentor_id,
            updated_at=starts_at - timedelta(days=10),
            cancelled_at=starts_at - timedelta(days=1) if cancelled else None,
            sequence=1 if cancelled else 0,
        )
        db.add(meeting)
        db.flush()
        return meeting.id


def _cohort(services: Services, members: dict[int, str]) -> int:
    with services.session() as db:
        cohort = Cohort(name="SRE spring", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 28))
        db.add(cohort)
        db.flush()
        for user_id, role in members.items():
            db.add(CohortMember(cohort_id=cohort.id, user_id=user_id, role=role))
        return cohort.id


def _sign_up(services: Services, session_id: int, user_id: int, status: str) -> None:
    with services.session() as db:
        db.add(SessionSignup(session_id=session_id, user_id=user_id, status=status))


def _titles(services: Services, user_id: int, now: datetime) -> dict[str, str]:
    with services.sessions() as db:
        return {e.title: e.status for e in feed_events(db, user_id, base=BASE, now=now)}


def test_the_feed_holds_the_users_sessions_from_90_days_back(app: Flask) -> None:
    services = get_services(app)
    now = datetime.now(UTC).replace(microsecond=0)
    learner = make_user(services, "lea@example.com", "Lea")
    mentor = make_user(services, "mia@example.com", "Mia", "mentor")
    other = make_user(services, "otto@example.com", "Otto")
    cohort = _cohort(services, {learner: "learner", mentor: "mentor"})
    other_cohort = _cohort(services, {other: "learner"})
    _session(services, "too old", now - timedelta(days=FEED_DAYS_BACK + 1), cohort_id=cohort)
    _session(services, "recent", now - timedelta(days=FEED_DAYS_BACK - 1), cohort_id=cohort)
    _session(services, "next year", now + timedelta(days=400), cohort_id=cohort)
    _session(services, "not mine", now + timedelta(days=3), cohort_id=other_cohort)
    confirmed = _session(services, "seat", now + timedelta(days=5), mentor_id=mentor)
    waiting = _session(services, "waiting", now + timedelta(days=6))
    dropped = _session(services, "dropped", now + timedelta(days=7))
    called_off = _session(services, "called off", now + timedelta(days=8), cancelled=True)
    _sign_up(services, confirmed, learner, "confirmed")
    _sign_up(services, waiting, learner, "waitlisted")
    _sign_up(services, dropped, learner, "cancelled")
    _sign_up(services, called_off, learner, "confirmed")

    assert _titles(services, learner, now) == {
        "recent": "CONFIRMED",
        "next year": "CONFIRMED",
        "seat": "CONFIRMED",
        "waiting": "TENTATIVE",
        "called off": "CANCELLED",
    }
    # The mentor: their cohort's sessions and the event they lead.
    assert _titles(services, mentor, now) == {
        "recent": "CONFIRMED",
        "next year": "CONFIRMED",
        "seat": "CONFIRMED",
    }
    assert _titles(services, other, now) == {"not mine": "CONFIRMED"}
    with services.sessions() as db:
        [seat] = [e for e in feed_events(db, learner, base=BASE, now=now) if e.title == "seat"]
    assert seat.organizer_email == "mia@example.com"
    assert seat.url == f"{BASE}/events/{confirmed}"
    # A cohort session links to the page each reader can open.
    with services.sessions() as db:
        urls = {
            user_id: {
                e.url for e in feed_events(db, user_id, base=BASE, now=now) if e.title == "recent"
            }
            for user_id in (learner, mentor)
        }
    assert urls == {learner: {f"{BASE}/schedule"}, mentor: {f"{BASE}/admin/cohorts/{cohort}"}}


def test_an_updated_session_keeps_its_uid_with_a_higher_sequence(app: Flask) -> None:
    services = get_services(app)
    now = datetime.now(UTC).replace(microsecond=0)
    learner = make_user(services, "lea@example.com", "Lea")
    cohort = _cohort(services, {learner: "learner"})
    session_id = _session(services, "Runbooks", now + timedelta(days=2), cohort_id=cohort)
    secret = feed_secret(services.settings.secret_key, learner, 1)

    def feed() -> icalendar.Event:
        with services.sessions() as db:
            document = feed_document(db, services.settings.secret_key, secret, base=BASE, now=now)
        [event] = _events(document.body).values()
        return event

    before = feed()
    with services.session() as db:  # what the SEQUENCE contract asks of every change
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None
        meeting.starts_at += timedelta(hours=2)
        meeting.sequence += 1
        meeting.updated_at = now
    after = feed()
    assert str(after["UID"]) == str(before["UID"]) == session_uid(session_id, BASE)
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == timedelta(hours=2)
    with services.session() as db:
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None
        meeting.cancelled_at = now
        meeting.sequence += 1
        meeting.updated_at = now
    cancelled = feed()
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == int(after["SEQUENCE"]) + 1


def test_the_secret_opens_only_the_current_generation(app: Flask) -> None:
    services = get_services(app)
    key = services.settings.secret_key
    now = datetime.now(UTC)
    user_id = make_user(services, "lea@example.com", "Lea")
    first = feed_secret(key, user_id, 1)
    with services.sessions() as db:
        assert user_for_secret(db, key, first).id == user_id
        for wrong in (
            feed_secret(KEY, user_id, 1),  # another instance's key
            feed_secret(key, user_id, 2),  # a generation not yet made
            feed_secret(key, user_id + 99, 1),  # nobody
            first[:-1] + ("A" if first[-1] != "A" else "B"),
            "",
            "12",
            "x-1-abc",
            "1--abc",
        ):
            with pytest.raises(NotFound) as caught:
                user_for_secret(db, key, wrong)
            assert caught.value.code == "calendar_not_found"
    with services.session() as db:
        assert rotate_feed(db, user_id, actor="lea@example.com", now=now) == 2
    with services.sessions() as db:
        with pytest.raises(NotFound):
            user_for_secret(db, key, first)
        assert user_for_secret(db, key, feed_secret(key, user_id, 2)).id == user_id
        [audit] = db.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.rotate"))
    assert audit.actor == "lea@example.com" and audit.subject == "lea@example.com"
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        user.deactivated_at = now
    with services.sessions() as db, pytest.raises(NotFound):
        user_for_secret(db, key, feed_secret(key, user_id, 2))


def test_the_url_for_an_email(app: Flask) -> None:
    services = get_services(app)
    key = services.settings.secret_key
    now = datetime.now(UTC)
    user_id = make_user(services, "lea@example.com", "Lea")
    with services.session() as db:
        url = feed_url_for_email(db, key, BASE + "/", " Lea@Example.com", now=now)
        assert url == f"{BASE}/calendar/{feed_secret(key, user_id, 1)}.ics"
        rotated = feed_url_for_email(db, key, BASE, "lea@example.com", rotate=True, now=now)
        assert rotated == f"{BASE}/calendar/{feed_secret(key, user_id, 2)}.ics"
        with pytest.raises(NotFound, match=r"No user has the e-mail nobody@example\.com"):
            feed_url_for_email(db, key, BASE, "nobody@example.com", now=now)


def test_the_attachment_reads_the_session_at_send_time(app: Flask) -> None:
    services = get_services(app)
    mentor = make_user(services, "mia@example.com", "Mia", "mentor")
    starts = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    session_id = _session(services, "Shadow the on-call", starts, mentor_id=mentor)
    with services.session() as db:
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None
        meeting.sequence = 5
        meeting.format = "shadow"
        meeting.shadow_slot = "Primary on-call"
    # The context is older than the row: the row wins (zone, sequence, format).
    context = {
        "session_id": session_id,
        "title": "old title",
        "sequence": 1,
        "starts_at": "2026-01-01T00:00:00+00:00",
    }
    with services.sessions() as db:
        attachment = session_calendar(
            context, base=BASE, now=NOW, kind="event_changed", db=db, attendee="lea@example.com"
        )
    calendar = icalendar.Calendar.from_ical(attachment.data)
    assert str(calendar["METHOD"]) == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Shadow the on-call"
    assert int(vevent["SEQUENCE"]) == 5
    assert b"DTSTART;TZID=Europe/Berlin:20260330T100000" in attachment.data
    assert str(vevent["ORGANIZER"]) == "mailto:mia@example.com"
    assert str(vevent["ATTENDEE"]) == "mailto:lea@example.com"
    assert "Shadow slot: Primary on-call" in str(vevent["DESCRIPTION"])


def test_the_mail_part_names_its_method(tmp_path: Path) -> None:
    """RFC 6047 §2.4: the text/calendar part of an invitation carries ``method=``."""
    attachment = session_calendar(
        {"session_id": 3, "title": "T", "starts_at": "2026-03-30T08:00:00+00:00"},
        base=BASE,
        now=NOW,
        kind="event_signup",
    )
    assert attachment.content_type == "text/calendar; method=REQUEST"
    outbox = OutboxMailer(tmp_path / "outbox", "P <p@example.com>")
    outbox.send(MailMessage(to="x@example.com", subject="S", text="t", attachments=(attachment,)))
    [path] = outbox.messages()
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    [part] = list(parsed.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "session.ics"
    assert str(icalendar.Calendar.from_ical(part.get_content())["METHOD"]) == "REQUEST"


@pytest.mark.parametrize("year", [2, 9998, 9999])
def test_a_start_near_the_ends_of_the_calendar_still_builds(year: int) -> None:
    # The VTIMEZONE span (a year before, two after) once overflowed date() for year 9998 on.
    event = _event(10, datetime(year, 6, 1, 9, 0))
    calendar = icalendar.Calendar.from_ical(build_calendar([event], base=BASE, now=NOW))
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
