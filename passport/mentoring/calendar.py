"""Calendars: the one iCalendar (RFC 5545) builder, and each user's private feed.

Every ``.ics`` the service writes comes from :func:`build_calendar`: the feed
(``/calendar/<secret>.ics``, no METHOD) and the attachments of session mail (METHOD REQUEST for
an invitation or a change, CANCEL for a cancellation, PUBLISH for a reminder; RFC 5546). One
VEVENT per session, whose UID is ``cohort-session-<id>@<host of PASSPORT_PUBLIC_URL>`` for
ever, so a calendar that holds the event updates it; SEQUENCE is the session's, raised by every
change a calendar shows. Times are written in the session's own zone (TZID) with a VTIMEZONE
generated from the zoneinfo database, or in UTC when the zone is UTC.

The feed's secret is derived, not stored: ``<user id>-<generation>-<HMAC-SHA256(instance
secret, "calendar:<user id>:<generation>")>`` (the MAC truncated to 128 bits, base64url).
Rotating raises the generation in :class:`~passport.mentoring.models.CalendarFeed`, so every
older URL stops working. A wrong, old or malformed secret, or a deactivated or erased account,
is :class:`~passport.errors.NotFound` with one sentence, never a hint which of these it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from passport.accounts.models import User
from passport.audit import record_event
from passport.cohorts.models import CohortMember, MentoringSession
from passport.errors import NotFound
from passport.mentoring.models import CalendarFeed, SessionSignup
from verifier import normalize_email

logger = logging.getLogger(__name__)

__all__ = [
    "ATTACHMENT_METHODS",
    "FEED_DAYS_BACK",
    "CalendarEvent",
    "FeedDocument",
    "attachment_method",
    "build_calendar",
    "calendar_event",
    "event_from_context",
    "feed_document",
    "feed_events",
    "feed_generation",
    "feed_secret",
    "feed_url",
    "feed_url_for_email",
    "rotate_feed",
    "session_uid",
    "user_for_secret",
]

#: How far back the feed reaches (every upcoming session is in it).
FEED_DAYS_BACK = 90
#: The METHOD of the ``.ics`` attached to each kind of mail (RFC 5546 §1.4); a context with
#: ``cancelled`` true is a CANCEL whatever its kind; one with ``waitlisted`` true (and not
#: cancelled) has no file, since the person holds no seat.
ATTACHMENT_METHODS: Mapping[str, str] = {
    "session_reminder": "PUBLISH",
    "event_signup": "REQUEST",
    "event_promoted": "REQUEST",
    "event_changed": "REQUEST",
    "event_cancelled": "CANCEL",
    "event_signup_cancelled": "CANCEL",
}
#: What each session format is called in an event's description.
FORMAT_NAMES: Mapping[str, str] = {
    "talk": "Talk",
    "pairing": "Pairing",
    "hands_on": "Hands-on task",
    "shadow": "Shadow rotation",
}
_PRODID = "-//Skill Passport//Mentoring calendar//EN"
_MAC_BYTES = 16
_NOT_FOUND = "There is no calendar at this address."
#: A feed address's user id and generation: ASCII digits only.
_DIGITS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """What one VEVENT says about a session (times are aware; ``starts_at`` in UTC)."""

    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str = "UTC"
    outcome: str = ""
    format: str = ""
    shadow_slot: str = ""
    place: str = ""
    meeting_url: str = ""
    url: str = ""
    sequence: int = 0
    updated_at: datetime | None = None
    cancelled: bool = False
    tentative: bool = False
    organizer_name: str = ""
    organizer_email: str = ""
    cohort_name: str = ""

    @property
    def location(self) -> str:
        """The place, else the meeting link (RFC 5545 LOCATION is free text)."""
        return self.place or self.meeting_url

    @property
    def status(self) -> str:
        if self.cancelled:
            return "CANCELLED"
        return "TENTATIVE" if self.tentative else "CONFIRMED"


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """A user's feed: the ``.ics`` bytes, a strong ETag of them, and the newest change."""

    body: bytes
    etag: str
    last_modified: datetime | None


def session_uid(session_id: int, base: str) -> str:
    """The UID of a session in every calendar (the day-before reminder's since the start)."""
    host = urlsplit(base).hostname or "localhost"
    return f"cohort-session-{session_id}@{host}"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r on a session: written in UTC", name)
        return ZoneInfo("UTC")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in ``zone``; a UTC zone gives a UTC time (written with ``Z``, no TZID)."""
    if zone.key in ("UTC", "Etc/UTC", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT", "Universal"):
        return _utc(moment)
    return _utc(moment).astimezone(zone)


def _description(event: CalendarEvent) -> str:
    lines = []
    if event.cohort_name:
        lines.append(event.cohort_name)
    if event.outcome:
        lines.append(f"Learning outcome: {event.outcome}")
    if event.format:
        lines.append(f"Format: {FORMAT_NAMES.get(event.format, event.format)}")
    if event.shadow_slot:
        lines.append(f"Shadow slot: {event.shadow_slot}")
    if event.meeting_url and event.place:
        lines.append(f"Meeting link: {event.meeting_url}")
    if event.url:
        lines.append(f"Agenda: {event.url}")
    return "\n".join(lines)


def _vevent(
    event: CalendarEvent, *, base: str, now: datetime, method: str | None, attendee: str | None
) -> icalendar.Event:
    zone = _zone(event.time_zone)
    vevent = icalendar.Event()
    vevent.add("uid", session_uid(event.session_id, base))
    # Without METHOD, DTSTAMP is the event's last change (RFC 5545 §3.8.7.2), which keeps the
    # feed's bytes (and so its ETag) the same until something changes.
    stamp = event.updated_at if method is None and event.updated_at is not None else now
    vevent.add("dtstamp", _utc(stamp))
    vevent.add("dtstart", _local(event.starts_at, zone))
    vevent.add("dtend", _local(event.ends_at, zone))
    vevent.add("summary", event.title)
    description = _description(event)
    if description:
        vevent.add("description", description)
    if event.location:
        vevent.add("location", event.location)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("sequence", max(0, event.sequence))
    if event.updated_at is not None:
        vevent.add("last-modified", _utc(event.updated_at))
    status = "CANCELLED" if method == "CANCEL" else event.status
    vevent.add("status", status)
    if event.organizer_email:
        organizer = icalendar.vCalAddress(f"mailto:{event.organizer_email}")
        if event.organizer_name:
            organizer.params["cn"] = icalendar.vText(event.organizer_name)
        vevent.add("organizer", organizer)
    if attendee and method in ("REQUEST", "CANCEL"):
        address = icalendar.vCalAddress(f"mailto:{attendee}")
        address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        vevent.add("attendee", address)
    return vevent


def _vtimezones(events: list[CalendarEvent]) -> list[icalendar.Timezone]:
    """One VTIMEZONE per zone the events are written in (RFC 5545 §3.6.5), generated from the
    zoneinfo database for the years the events span (one year either side). A narrow span keeps
    the file small and is read right by parsers that mishandle decades of RDATEs (vobject)."""
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        zone = _zone(event.time_zone)
        local = _local(event.starts_at, zone)
        if local.tzinfo is UTC:
            continue
        low, high = years.get(zone.key, (local.year, local.year))
        years[zone.key] = (min(low, local.year), max(high, _local(event.ends_at, zone).year))
    return [
        icalendar.Timezone.from_tzinfo(
            ZoneInfo(key),
            tzid=key,
            first_date=date(max(low - 1, date.min.year), 1, 1),
            last_date=date(min(high + 2, date.max.year), 1, 1),
        )
        for key, (low, high) in sorted(years.items())
    ]


def build_calendar(
    events: Iterable[CalendarEvent],
    *,
    base: str,
    now: datetime,
    method: str | None = None,
    name: str | None = None,
    attendee: str | None = None,
) -> bytes:
    """The iCalendar bytes of ``events``: one VEVENT each and one VTIMEZONE per zone used.
    ``method`` is None for a feed, else REQUEST, CANCEL or PUBLISH (an attachment);
    ``attendee`` (an e-mail address) is named on a REQUEST or CANCEL."""
    if method not in (None, "REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"unknown iCalendar method {method!r}")
    calendar = icalendar.Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    events = list(events)
    for timezone in _vtimezones(events):
        calendar.add_component(timezone)
    for event in events:
        calendar.add_component(_vevent(event, base=base, now=now, method=method, attendee=attendee))
    data: bytes = calendar.to_ical()
    return data


def attachment_method(kind: str, context: Mapping[str, Any]) -> str | None:
    """The METHOD of the ``.ics`` a mail of ``kind`` carries (None: no attachment)."""
    if "session_id" not in context or kind not in ATTACHMENT_METHODS:
        return None
    if context.get("waitlisted") and not context.get("cancelled"):
        return None  # no seat, so nothing for a calendar to hold
    if context.get("cancelled"):
        return "CANCEL"
    return ATTACHMENT_METHODS[kind]


def _url_of(meeting: MentoringSession, base: str, role: str) -> str:
    """The page of a session for a reader with ``role``: the event's page, else the learner's
    schedule, or the cohort's page for the staff who run cohorts."""
    if meeting.cohort_id is None:
        return f"{base}/events/{meeting.id}"
    if role in ("admin", "mentor"):
        return f"{base}/admin/cohorts/{meeting.cohort_id}"
    return f"{base}/schedule"


def calendar_event(
    meeting: MentoringSession,
    *,
    base: str,
    mentor: User | None = None,
    cohort_name: str = "",
    tentative: bool = False,
    role: str = "learner",
) -> CalendarEvent:
    """The :class:`CalendarEvent` of a session row (``mentor``: its ``mentor_id`` user;
    ``role``: the reader's, which picks the page URL links to)."""
    starts = _utc(meeting.starts_at)
    return CalendarEvent(
        session_id=meeting.id,
        title=meeting.title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=meeting.minutes or 60),
        time_zone=meeting.time_zone or "UTC",
        outcome=meeting.learning_outcome or "",
        format=meeting.format or "",
        shadow_slot=meeting.shadow_slot or "",
        place=meeting.place or "",
        meeting_url=meeting.meeting_url or "",
        url=_url_of(meeting, base.rstrip("/"), role),
        sequence=meeting.sequence or 0,
        updated_at=_utc(meeting.updated_at) if meeting.updated_at else None,
        cancelled=meeting.cancelled_at is not None,
        tentative=tentative,
        organizer_name=mentor.name if mentor is not None and mentor.erased_at is None else "",
        organizer_email=mentor.email if mentor is not None and mentor.erased_at is None else "",
        cohort_name=cohort_name,
    )


def _parsed(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return _utc(moment)


def event_from_context(
    context: Mapping[str, Any], *, base: str, db: Session | None = None, role: str = "learner"
) -> CalendarEvent:
    """The event a notification's context names. With ``db`` and a session that still exists,
    the row is read at send time (its zone, sequence and state now); otherwise the context's
    own keys (``title``, ``starts_at``, ``ends_at``, ``time_zone``, ``sequence``, ``outcome``,
    ``location``, ``cancelled``, ``cohort_name``) are used."""
    session_id = int(context.get("session_id") or 0)
    meeting = db.get(MentoringSession, session_id) if db is not None and session_id else None
    if meeting is not None and db is not None:
        mentor = db.get(User, meeting.mentor_id) if meeting.mentor_id else None
        cohort_name = meeting.cohort.name if meeting.cohort is not None else ""
        event = calendar_event(
            meeting, base=base, mentor=mentor, cohort_name=cohort_name, role=role
        )
        if context.get("cancelled") and not event.cancelled:
            event = replace(event, cancelled=True)
        return event
    starts = _parsed(context.get("starts_at")) or datetime.fromtimestamp(0, UTC)
    ends = _parsed(context.get("ends_at")) or starts + timedelta(hours=1)
    try:
        sequence = int(context.get("sequence") or 0)
    except (TypeError, ValueError):
        sequence = 0
    return CalendarEvent(
        session_id=session_id,
        title=str(context.get("title") or ""),
        starts_at=starts,
        ends_at=ends,
        time_zone=str(context.get("time_zone") or "UTC"),
        outcome=str(context.get("outcome") or ""),
        place=str(context.get("location") or ""),
        sequence=sequence,
        cancelled=bool(context.get("cancelled")),
        cohort_name=str(context.get("cohort_name") or ""),
    )


# -- The feed ---------------------------------------------------------------------------------


def _mac(secret_key: str, user_id: int, generation: int) -> str:
    digest = hmac.new(
        secret_key.encode(), f"calendar:{user_id}:{generation}".encode(), hashlib.sha256
    ).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def feed_secret(secret_key: str, user_id: int, generation: int) -> str:
    """The secret part of a user's feed URL for ``generation``."""
    return f"{user_id}-{generation}-{_mac(secret_key, user_id, generation)}"


def feed_generation(db: Session, user_id: int) -> int:
    """The user's current feed generation (1 until they first make a new link)."""
    feed = db.get(CalendarFeed, user_id)
    return feed.generation if feed is not None else 1


def feed_url(db: Session, secret_key: str, base: str, user_id: int) -> str:
    """The user's current feed URL (``<base>/calendar/<secret>.ics``)."""
    secret = feed_secret(secret_key, user_id, feed_generation(db, user_id))
    return f"{base.rstrip('/')}/calendar/{secret}.ics"


def rotate_feed(db: Session, user_id: int, *, actor: str, now: datetime) -> int:
    """Make a new feed URL for ``user_id``: every older one stops working. Audited as
    ``calendar.rotate``. Returns the new generation."""
    feed = db.get(CalendarFeed, user_id, with_for_update=True)
    if feed is None:
        feed = CalendarFeed(user_id=user_id, generation=2, rotated_at=now)
        db.add(feed)
    else:
        feed.generation += 1
        feed.rotated_at = now
    user = db.get(User, user_id)
    record_event(
        db,
        actor,
        "calendar.rotate",
        user.email if user is not None else f"user {user_id}",
        {"generation": feed.generation},
        at=now,
    )
    db.flush()
    return feed.generation


def user_for_secret(db: Session, secret_key: str, secret: str) -> User:
    """The active user whose current feed ``secret`` this is. Raises :class:`NotFound` (the
    same sentence for every reason) otherwise."""
    parts = secret[:200].split("-", 2)
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses (a 500, finding of #21).
    if len(parts) != 3 or not all(_DIGITS.fullmatch(part) for part in parts[:2]):
        raise NotFound(_NOT_FOUND, code="calendar_not_found")
    user_id, generation = int(parts[0]), int(parts[1])
    expected = _mac(secret_key, user_id, generation)
    if not hmac.compare_digest(expected.encode(), parts[2].encode()):
        raise NotFound(_NOT_FOUND, code="calendar_not_found")
    user = db.get(User, user_id)
    if (
        user is None
        or user.erased_at is not None
        or user.deactivated_at is not None
        or feed_generation(db, user_id) != generation
    ):
        raise NotFound(_NOT_FOUND, code="calendar_not_found")
    return user


def feed_events(db: Session, user_id: int, *, base: str, now: datetime) -> list[CalendarEvent]:
    """The user's sessions from :data:`FEED_DAYS_BACK` days back and every upcoming one, in
    start order: sessions of their cohorts (learner or mentor), sessions they lead, and
    standalone events they hold a seat at or wait for (TENTATIVE). A cancelled sign-up drops
    the event; a cancelled session stays, CANCELLED."""
    since = now - timedelta(days=FEED_DAYS_BACK)
    reader = db.get(User, user_id)
    role = reader.role if reader is not None else "learner"
    cohorts = select(CohortMember.cohort_id).where(
        CohortMember.user_id == user_id, CohortMember.role.in_(("learner", "mentor"))
    )
    signups = {
        row.session_id: row.status
        for row in db.scalars(
            select(SessionSignup).where(
                SessionSignup.user_id == user_id,
                SessionSignup.status.in_(("confirmed", "waitlisted")),
            )
        )
    }
    conditions = [MentoringSession.cohort_id.in_(cohorts), MentoringSession.mentor_id == user_id]
    if signups:
        conditions.append(MentoringSession.id.in_(list(signups)))
    meetings = db.scalars(
        select(MentoringSession)
        .options(selectinload(MentoringSession.cohort))
        .where(MentoringSession.starts_at >= since, or_(*conditions))
        .order_by(MentoringSession.starts_at, MentoringSession.id)
    ).all()
    mentor_ids = {m.mentor_id for m in meetings if m.mentor_id is not None}
    mentors = (
        {u.id: u for u in db.scalars(select(User).where(User.id.in_(mentor_ids)))}
        if mentor_ids
        else {}
    )
    events = []
    for meeting in meetings:
        waiting = signups.get(meeting.id) == "waitlisted" and meeting.mentor_id != user_id
        events.append(
            calendar_event(
                meeting,
                base=base,
                mentor=mentors.get(meeting.mentor_id) if meeting.mentor_id else None,
                cohort_name=meeting.cohort.name if meeting.cohort is not None else "",
                tentative=waiting,
                role=role,
            )
        )
    return events


def feed_document(
    db: Session, secret_key: str, secret: str, *, base: str, now: datetime
) -> FeedDocument:
    """The feed a ``secret`` opens (see :func:`user_for_secret` for what it raises)."""
    user = user_for_secret(db, secret_key, secret)
    events = feed_events(db, user.id, base=base, now=now)
    body = build_calendar(events, base=base, now=now, name="Skill Passport")
    changes = [e.updated_at for e in events if e.updated_at is not None]
    changes.extend(
        _utc(moment)
        for moment in db.scalars(
            select(SessionSignup.updated_at).where(SessionSignup.user_id == user.id)
        )
        if moment is not None
    )
    etag = hashlib.sha256(body).hexdigest()[:32]
    return FeedDocument(body=body, etag=etag, last_modified=max(changes) if changes else None)


def feed_url_for_email(
    db: Session,
    secret_key: str,
    base: str,
    email: str,
    *,
    rotate: bool = False,
    actor: str = "cli",
    now: datetime,
) -> str:
    """The feed URL of the account with ``email`` (a new one first when ``rotate``). Raises
    :class:`NotFound` for an unknown, deactivated or erased account."""
    user = db.scalar(select(User).where(User.email == normalize_email(email.strip())))
    if user is None or user.erased_at is not None:
        raise NotFound(f"No user has the e-mail {email}.", code="unknown_user")
    if user.deactivated_at is not None:
        raise NotFound(
            f"The account of {email} is deactivated: it has no calendar.", code="unknown_user"
        )
    if rotate:
        rotate_feed(db, user.id, actor=actor, now=now)
    return feed_url(db, secret_key, base, user.id)
