"""Micro-mentoring events: standalone sessions open to sign-up, with capacity and a waitlist.

(One module of some 850 lines on purpose: creating, changing and cancelling an event, signing
up and cancelling a place all take the same row lock and keep the same seat count and
waitlist order; kept together, those rules are read and changed in one place.)

An event is a :class:`~passport.cohorts.models.MentoringSession` whose ``cohort_id`` is None.
An administrator or a mentor creates one (a mentor manages their own events, an administrator
all of them); any signed-in person but its mentor signs up while it has not started and is not
cancelled. A free seat gives ``confirmed``, otherwise ``waitlisted``; cancelling a confirmed
place hands the seat to the first waitlisted person (``created_at``, then ``id``) in the same
transaction.

Seats are counted in ``MentoringSession.seats_taken`` and raised only by one conditional
``UPDATE … SET seats_taken = seats_taken + 1 WHERE id = :id AND (capacity IS NULL OR
seats_taken < capacity)`` checked by its row count, so concurrent sign-ups never exceed the
capacity. Every sign-up or cancellation first takes the event's row for writing (a no-op
``UPDATE``): PostgreSQL then runs one sign-up per event at a time, and SQLite starts its write
transaction before reading anything (its busy timeout then waits for the lock instead of
failing with "database is locked" when a read snapshot would have to be upgraded), so the
waitlist positions handed out are distinct and true.

A change to any field the calendar file writes (title, time, length, time zone, place, meeting
link, learning outcome, format, shadow slot, mentor), and a cancellation, raise the event's
``sequence`` by one; any change sets ``updated_at``. The people signed up are told by e-mail:
those with a seat with the calendar file, the waitlisted without one. Someone who gives up a
seat gets a METHOD:CANCEL file that takes it out of their calendar. An event cannot be changed
once it has started. Its mentor must be eligible for its skill at its level
(:mod:`passport.mentoring.matching`). Suggestions for a learner's target job family count
current badges only (not revoked, not suspended, not expired).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import record_event
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill, Skill
from passport.cohorts.models import MentoringSession
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import Conflict, Forbidden, InvalidRequest, NotFound
from passport.jobs.notify import notify_person
from passport.jobs.recipients import user_recipient
from passport.mentoring.matching import eligibility
from passport.mentoring.models import LearnerTarget, SessionSignup
from passport.services import Services

__all__ = [
    "CAPACITY",
    "EVENT_FORMATS",
    "EVENT_LEVELS",
    "EVENT_MINUTES",
    "EventDraft",
    "EventFilter",
    "EventRoster",
    "SignupOutcome",
    "TargetSuggestions",
    "cancel_event",
    "cancel_signup",
    "check_filter",
    "count_events",
    "create_event",
    "event_context",
    "find_event",
    "held_levels",
    "managed_event",
    "managed_events",
    "my_signups",
    "roster",
    "set_target",
    "sign_up",
    "signup_states",
    "target_suggestions",
    "upcoming_events",
    "update_event",
    "waitlist_counts",
    "waitlist_position",
]

logger = logging.getLogger(__name__)

EVENT_FORMATS = ("talk", "pairing", "hands_on", "shadow")
EVENT_MINUTES = (15, 90)
EVENT_LEVELS = (1, 4)
CAPACITY = (1, 500)
#: How far ahead an event may start (a date like 9999-12-31 overflowed the move to UTC).
AHEAD = timedelta(days=731)
#: The fields whose change makes calendars update the event (the iCalendar SEQUENCE): every
#: field the calendar file writes (SUMMARY, DTSTART/DTEND and TZID, LOCATION, URL,
#: DESCRIPTION from the outcome, format and shadow slot, ORGANIZER from the mentor).
_SEQUENCED = (
    "title",
    "starts_at",
    "minutes",
    "time_zone",
    "place",
    "meeting_url",
    "learning_outcome",
    "format",
    "shadow_slot",
    "mentor_id",
)


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What an event is created or edited with. ``starts_local`` is the wall-clock start in
    ``time_zone`` (naive); it is stored in UTC."""

    title: str
    learning_outcome: str
    skill_id: str
    level: int
    format: str
    starts_local: datetime
    minutes: int
    time_zone: str
    capacity: int | None = None
    shadow_slot: str | None = None
    place: str | None = None
    meeting_url: str | None = None
    mentor_id: int | None = None


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    """The person's place after signing up: ``confirmed`` or ``waitlisted`` (``position``
    counts from 1), and whether this call changed anything."""

    event_id: int
    status: str
    position: int | None
    created: bool


@dataclass(frozen=True, slots=True)
class EventFilter:
    skill_id: str | None = None
    level: int | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class EventRoster:
    """The people of an event in order: confirmed by sign-up time, waitlisted by position."""

    confirmed: list[tuple[SessionSignup, User]]
    waitlisted: list[tuple[SessionSignup, User]]


@dataclass(frozen=True, slots=True)
class TargetSuggestions:
    family: JobFamily | None
    #: skill id → (level the family requires, level of the learner's best current badge)
    needs: dict[str, tuple[int, int]]
    events: list[MentoringSession]


# -- validation -------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    name = (name or "").strip()
    try:
        if not name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(
            f"{name or 'An empty name'} is not a time zone we know; use an IANA name such as "
            "Europe/Berlin.",
            code="bad_time_zone",
        ) from exc


def _https(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 400:
        raise InvalidRequest(
            "The meeting link must be an https:// address (at most 400 characters).",
            code="bad_meeting_url",
        )
    return url


def _checked(db: Session, draft: EventDraft, actor: User, *, now: datetime) -> dict[str, Any]:
    """The column values of ``draft``, or :class:`InvalidRequest` naming the first problem.
    The start may lie at most :data:`AHEAD` in the future (``bad_start``); the mentor must be
    eligible for the skill at the level (``mentor_not_eligible``, see
    :mod:`passport.mentoring.matching`), administrators included."""
    title = draft.title.strip()
    if not title or len(title) > 200:
        raise InvalidRequest("Give the event a title of 1 to 200 characters.", code="bad_title")
    outcome = draft.learning_outcome.strip()
    if not outcome:
        raise InvalidRequest("Say what the event's learning outcome is.", code="bad_outcome")
    skill = db.get(Skill, draft.skill_id) if draft.skill_id else None
    if skill is None or skill.retired_at is not None:
        raise InvalidRequest("Choose a skill that is in use.", code="unknown_skill")
    low, high = EVENT_LEVELS
    if not low <= draft.level <= high:
        raise InvalidRequest(f"The level must be from {low} to {high}.", code="bad_level")
    if draft.format not in EVENT_FORMATS:
        raise InvalidRequest(
            "The format must be a talk, pairing, a hands-on task or a shadow rotation.",
            code="bad_format",
        )
    slot = (draft.shadow_slot or "").strip() or None
    if draft.format == "shadow" and slot is None:
        raise InvalidRequest(
            "A shadow rotation needs its on-call or incident shadow slot.",
            code="missing_shadow_slot",
        )
    if slot is not None and len(slot) > 200:
        raise InvalidRequest("The shadow slot is at most 200 characters.", code="bad_shadow_slot")
    low, high = EVENT_MINUTES
    if not low <= draft.minutes <= high:
        raise InvalidRequest(f"An event lasts from {low} to {high} minutes.", code="bad_duration")
    low, high = CAPACITY
    if draft.capacity is not None and not low <= draft.capacity <= high:
        raise InvalidRequest(
            f"The capacity must be from {low} to {high} seats, or blank for no limit.",
            code="bad_capacity",
        )
    place = (draft.place or "").strip() or None
    if place is not None and len(place) > 400:
        raise InvalidRequest("The place is at most 400 characters.", code="bad_place")
    meeting_url = _https(draft.meeting_url)
    if place is None and meeting_url is None:
        raise InvalidRequest("Give a place, a meeting link, or both.", code="missing_place")
    zone = _zone(draft.time_zone)
    try:
        starts_at = draft.starts_local.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        starts_at = None
    if starts_at is None or starts_at > now + AHEAD:
        raise InvalidRequest(
            "Give the start as a date and a time, at most two years from now.", code="bad_start"
        )
    mentor_id = draft.mentor_id if draft.mentor_id is not None else actor.id
    if mentor_id != actor.id and actor.role != "admin":
        raise Forbidden("Only an administrator runs an event for someone else.", code="not_admin")
    mentor = db.get(User, mentor_id)
    if mentor is None or mentor.role not in ("mentor", "admin") or mentor.deactivated_at:
        raise InvalidRequest(
            "The mentor must be an active mentor or administrator.", code="bad_mentor"
        )
    if not eligibility(db, mentor, skill.id, draft.level, now=now).eligible:
        raise InvalidRequest(
            f"{mentor.name} holds no current badge one level above {skill.name} at level "
            f"{draft.level} and has no exception for it, so cannot run this event.",
            code="mentor_not_eligible",
        )
    return {
        "title": title,
        "learning_outcome": outcome,
        "skill_id": skill.id,
        "level": draft.level,
        "format": draft.format,
        "shadow_slot": slot if draft.format == "shadow" else None,
        "capacity": draft.capacity,
        "place": place,
        "meeting_url": meeting_url,
        "starts_at": starts_at,
        "minutes": draft.minutes,
        "time_zone": zone.key,
        "mentor_id": mentor_id,
    }


# -- managing events --------------------------------------------------------------------------


def find_event(db: Session, event_id: int) -> MentoringSession:
    """The standalone event ``event_id``; :class:`NotFound` (``unknown_event``) otherwise."""
    event = db.get(MentoringSession, event_id)
    if event is None or event.cohort_id is not None:
        raise NotFound("No event with that id.", code="unknown_event")
    return event


def managed_event(db: Session, event_id: int, actor: User) -> MentoringSession:
    """The event, if ``actor`` may manage it: administrators all, mentors their own."""
    event = find_event(db, event_id)
    if actor.role != "admin" and event.mentor_id != actor.id:
        raise Forbidden("You do not run this event.", code="not_your_event")
    return event


def _managed_where(actor: User) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [MentoringSession.cohort_id.is_(None)]
    if actor.role != "admin":
        where.append(MentoringSession.mentor_id == actor.id)
    return where


def managed_events(
    db: Session, actor: User, *, limit: int | None = None, offset: int = 0
) -> tuple[int, list[MentoringSession]]:
    """The events ``actor`` manages (total, and one page of them, latest start first)."""
    where = _managed_where(actor)
    total = int(db.scalar(select(func.count()).select_from(MentoringSession).where(*where)) or 0)
    rows = db.scalars(
        select(MentoringSession)
        .where(*where)
        .order_by(MentoringSession.starts_at.desc(), MentoringSession.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def create_event(
    db: Session, services: Services, actor: User, draft: EventDraft, *, now: datetime
) -> MentoringSession:
    """A new standalone event run by ``draft.mentor_id`` (default: the creator)."""
    if actor.role not in ("admin", "mentor"):
        raise Forbidden("Only mentors and administrators create events.", code="not_staff")
    values = _checked(db, draft, actor, now=now)
    if values["starts_at"] <= now:
        raise InvalidRequest("An event must start in the future.", code="event_in_past")
    event = MentoringSession(cohort_id=None, seats_taken=0, sequence=0, updated_at=now, **values)
    db.add(event)
    db.flush()
    record_event(db, actor.email, "event.create", event.id, {"title": event.title}, at=now)
    return event


def update_event(
    db: Session,
    services: Services,
    event: MentoringSession,
    actor: User,
    draft: EventDraft,
    *,
    now: datetime,
) -> bool:
    """Change an event. Returns whether calendars must update it (its sequence was raised);
    then everyone signed up is told: people with a seat get the updated calendar file, the
    waitlisted a mail without one (they have no seat in their calendar). A capacity below the
    seats taken is refused (``capacity_below_seats``); a higher one moves the waitlist up. An
    event that has started cannot be changed (``event_started``), nor moved to a start that
    has passed (``event_in_past``)."""
    event = _lock(db, event.id)  # the seats taken, read under the row lock sign-ups take
    if event.cancelled_at is not None:
        raise Conflict("This event was cancelled; it cannot be changed.", code="event_cancelled")
    if event.starts_at <= now:
        raise Conflict("This event has started; it cannot be changed.", code="event_started")
    values = _checked(db, draft, actor, now=now)
    if values["starts_at"] <= now:
        raise InvalidRequest("An event must start in the future.", code="event_in_past")
    if values["capacity"] is not None and values["capacity"] < event.seats_taken:
        raise Conflict(
            f"{event.seats_taken} seats are taken; the capacity cannot be lower than that.",
            code="capacity_below_seats",
        )
    changes = {
        key: [str(getattr(event, key)), str(value)]
        for key, value in values.items()
        if getattr(event, key) != value
    }
    if not changes:
        return False
    sequenced = any(key in changes for key in _SEQUENCED)
    for key, value in values.items():
        setattr(event, key, value)
    event.updated_at = now
    if sequenced:
        event.sequence = (event.sequence or 0) + 1
    db.flush()
    record_event(db, actor.email, "event.update", event.id, changes, at=now)
    _fill_free_seats(db, services, event, now=now)
    if sequenced:
        for signup, user in _people(db, event.id, ("confirmed", "waitlisted")):
            if signup.status == "waitlisted":
                # No REQUEST: a calendar would show a seat the person does not have.
                _tell(
                    db,
                    services,
                    event,
                    user,
                    "event_changed",
                    signup=signup,
                    position=waitlist_position(db, signup),
                    waitlisted=True,
                )
            else:
                _tell(db, services, event, user, "event_changed", signup=signup)
    return sequenced


def cancel_event(
    db: Session, services: Services, event: MentoringSession, actor: User, *, now: datetime
) -> int:
    """Cancel the event (the row and its sign-ups are kept); everyone with a seat or on the
    waitlist is told. Returns how many people were told."""
    event = _lock(db, event.id)
    if event.cancelled_at is not None:
        raise Conflict("This event is already cancelled.", code="event_cancelled")
    event.cancelled_at = now
    event.updated_at = now
    event.sequence = (event.sequence or 0) + 1
    db.flush()
    record_event(db, actor.email, "event.cancel", event.id, {"title": event.title}, at=now)
    people = _people(db, event.id, ("confirmed", "waitlisted"))
    for signup, user in people:
        _tell(db, services, event, user, "event_cancelled", signup=signup)
    return len(people)


# -- signing up -------------------------------------------------------------------------------


def _lock(db: Session, event_id: int) -> MentoringSession:
    """Take the event's row for writing before reading anything (see the module docstring)."""
    result = db.execute(
        update(MentoringSession)
        .where(MentoringSession.id == event_id, MentoringSession.cohort_id.is_(None))
        .values(seats_taken=MentoringSession.seats_taken)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("No event with that id.", code="unknown_event")
    event = db.scalars(
        select(MentoringSession)
        .where(MentoringSession.id == event_id)
        .execution_options(populate_existing=True)
    ).one()
    return event


def _take_seat(db: Session, event_id: int) -> bool:
    """One conditional UPDATE: a seat is taken only while one is free."""
    result = db.execute(
        update(MentoringSession)
        .where(
            MentoringSession.id == event_id,
            or_(
                MentoringSession.capacity.is_(None),
                MentoringSession.seats_taken < MentoringSession.capacity,
            ),
        )
        .values(seats_taken=MentoringSession.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _free_seat(db: Session, event_id: int) -> None:
    db.execute(
        update(MentoringSession)
        .where(MentoringSession.id == event_id, MentoringSession.seats_taken > 0)
        .values(seats_taken=MentoringSession.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def waitlist_position(db: Session, signup: SessionSignup) -> int | None:
    """1 for the first waitlisted person, … (None unless ``signup`` is waitlisted)."""
    if signup.status != "waitlisted":
        return None
    ahead = db.scalar(
        select(func.count())
        .select_from(SessionSignup)
        .where(
            SessionSignup.session_id == signup.session_id,
            SessionSignup.status == "waitlisted",
            or_(
                SessionSignup.created_at < signup.created_at,
                and_(
                    SessionSignup.created_at == signup.created_at,
                    SessionSignup.id < signup.id,
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


def sign_up(
    db: Session, services: Services, event_id: int, user: User, *, now: datetime
) -> SignupOutcome:
    """Sign ``user`` up: a seat when one is free, else a place at the end of the waitlist.
    Signing up again while signed up changes nothing. Raises :class:`NotFound`
    (``unknown_event``) or :class:`Conflict` (``event_cancelled``, ``event_started``,
    ``own_event``)."""
    event = _lock(db, event_id)
    if event.cancelled_at is not None:
        raise Conflict("This event was cancelled.", code="event_cancelled")
    if event.starts_at <= now:
        raise Conflict("This event has started; sign-up is closed.", code="event_started")
    if event.mentor_id == user.id:
        raise Conflict("You run this event; you cannot sign up to it.", code="own_event")
    signup = db.scalar(
        select(SessionSignup).where(
            SessionSignup.session_id == event_id, SessionSignup.user_id == user.id
        )
    )
    if signup is not None and signup.status in ("confirmed", "waitlisted"):
        return SignupOutcome(event_id, signup.status, waitlist_position(db, signup), False)
    status = "confirmed" if _take_seat(db, event_id) else "waitlisted"
    if signup is not None:
        # A cancelled place signed up again is a new place: a new row (and id) puts it
        # behind everyone already waiting, even within the same second.
        db.delete(signup)
        db.flush()
    signup = SessionSignup(
        session_id=event_id, user_id=user.id, status=status, created_at=now, updated_at=now
    )
    db.add(signup)
    db.flush()
    db.refresh(event)
    position = waitlist_position(db, signup)
    record_event(db, user.email, "event.signup", event_id, {"status": status}, at=now)
    _tell(
        db,
        services,
        event,
        user,
        "event_signup" if status == "confirmed" else "event_waitlisted",
        signup=signup,
        position=position,
    )
    return SignupOutcome(event_id, status, position, True)


def cancel_signup(
    db: Session, services: Services, event_id: int, user: User, *, now: datetime
) -> User | None:
    """Cancel ``user``'s place. A seat goes to the first waitlisted person, who is told;
    returns them (None when nobody moved up). Cancelling when not signed up changes
    nothing; a started event's place cannot be cancelled (``event_started``)."""
    event = _lock(db, event_id)
    signup = db.scalar(
        select(SessionSignup).where(
            SessionSignup.session_id == event_id, SessionSignup.user_id == user.id
        )
    )
    if signup is None or signup.status == "cancelled":
        return None
    if event.cancelled_at is None and event.starts_at <= now:
        raise Conflict(
            "This event has started; the place cannot be cancelled.", code="event_started"
        )
    was = signup.status
    signup.status, signup.updated_at = "cancelled", now
    db.flush()
    record_event(db, user.email, "event.signup_cancel", event_id, {"was": was}, at=now)
    if was != "confirmed" or event.cancelled_at is not None:
        return None
    # The seat's REQUEST is in the person's calendar: a CANCEL takes it out again.
    _tell(db, services, event, user, "event_signup_cancelled", signup=signup)
    _free_seat(db, event_id)
    promoted = _fill_free_seats(db, services, event, now=now)
    return promoted[0] if promoted else None


def _fill_free_seats(
    db: Session, services: Services, event: MentoringSession, *, now: datetime
) -> list[User]:
    """Move the waitlist up into free seats, first come first served; each person is told."""
    promoted: list[User] = []
    if event.cancelled_at is not None or event.starts_at <= now:
        return promoted
    while True:
        first = db.scalar(
            select(SessionSignup)
            .where(SessionSignup.session_id == event.id, SessionSignup.status == "waitlisted")
            .order_by(SessionSignup.created_at, SessionSignup.id)
            .limit(1)
        )
        if first is None or not _take_seat(db, event.id):
            break
        first.status, first.updated_at, first.promoted_at = "confirmed", now, now
        db.flush()
        user = db.get(User, first.user_id)
        if user is not None:
            promoted.append(user)
            _tell(db, services, event, user, "event_promoted", signup=first)
    db.refresh(event)
    return promoted


# -- mail -------------------------------------------------------------------------------------


def event_context(event: MentoringSession) -> dict[str, Any]:
    """What an event's e-mail (and its ``.ics``) needs."""
    location = ", ".join(part for part in (event.place, event.meeting_url) if part)
    return {
        "session_id": event.id,
        "event_id": event.id,
        "title": event.title,
        "outcome": event.learning_outcome,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": (event.starts_at + timedelta(minutes=event.minutes)).isoformat(),
        "time_zone": event.time_zone,
        "location": location,
        "place": event.place or "",
        "meeting_url": event.meeting_url or "",
        "shadow_slot": event.shadow_slot or "",
        "sequence": event.sequence or 0,
        "cancelled": event.cancelled_at is not None,
    }


def _tell(
    db: Session,
    services: Services,
    event: MentoringSession,
    user: User,
    kind: str,
    *,
    signup: SessionSignup,
    position: int | None = None,
    waitlisted: bool = False,
) -> None:
    recipient = user_recipient(user)
    if recipient is None:
        return
    context = event_context(event)
    if position is not None:
        context["position"] = position
    if waitlisted:
        context["waitlisted"] = True
    stamp = signup.updated_at.isoformat() if signup.updated_at else ""
    notify_person(
        db,
        services,
        recipient,
        kind=kind,
        key=f"{kind}:{event.id}:{user.id}:{event.sequence}:{stamp}",
        context=context,
    )


# -- who is coming ----------------------------------------------------------------------------


def _people(
    db: Session, event_id: int, statuses: Sequence[str]
) -> list[tuple[SessionSignup, User]]:
    return [
        (signup, user)
        for signup, user in db.execute(
            select(SessionSignup, User)
            .join(User, User.id == SessionSignup.user_id)
            .where(SessionSignup.session_id == event_id, SessionSignup.status.in_(statuses))
            .order_by(SessionSignup.created_at, SessionSignup.id)
        )
    ]


def roster(db: Session, event: MentoringSession) -> EventRoster:
    """Confirmed people (by sign-up time) and the waitlist (in order)."""
    return EventRoster(
        confirmed=_people(db, event.id, ("confirmed",)),
        waitlisted=_people(db, event.id, ("waitlisted",)),
    )


def signup_states(
    db: Session, user: User, event_ids: Sequence[int]
) -> dict[int, tuple[str, int | None]]:
    """event id → (status, waitlist position) of ``user``'s live sign-ups among ``event_ids``."""
    if not event_ids:
        return {}
    rows = db.scalars(
        select(SessionSignup).where(
            SessionSignup.user_id == user.id,
            SessionSignup.session_id.in_(list(event_ids)),
            SessionSignup.status.in_(("confirmed", "waitlisted")),
        )
    ).all()
    return {row.session_id: (row.status, waitlist_position(db, row)) for row in rows}


def waitlist_counts(db: Session, event_ids: Sequence[int]) -> dict[int, int]:
    """event id → how many people wait for a seat (events without a waitlist are left out)."""
    if not event_ids:
        return {}
    rows = db.execute(
        select(SessionSignup.session_id, func.count())
        .where(
            SessionSignup.session_id.in_(list(event_ids)),
            SessionSignup.status == "waitlisted",
        )
        .group_by(SessionSignup.session_id)
    )
    return {int(event_id): int(count) for event_id, count in rows}


def my_signups(
    db: Session, user: User, *, now: datetime
) -> list[tuple[MentoringSession, str, int | None]]:
    """``user``'s live sign-ups for events still to come (cancelled events included, so the
    person sees it), soonest first: (event, status, waitlist position)."""
    rows = db.execute(
        select(MentoringSession, SessionSignup)
        .join(SessionSignup, SessionSignup.session_id == MentoringSession.id)
        .where(
            SessionSignup.user_id == user.id,
            SessionSignup.status.in_(("confirmed", "waitlisted")),
            MentoringSession.starts_at >= now,
        )
        .order_by(MentoringSession.starts_at, MentoringSession.id)
    )
    return [(event, signup.status, waitlist_position(db, signup)) for event, signup in rows]


# -- browsing ---------------------------------------------------------------------------------


def _upcoming_where(now: datetime, wanted: EventFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        MentoringSession.cohort_id.is_(None),
        MentoringSession.cancelled_at.is_(None),
        MentoringSession.starts_at > now,
    ]
    if wanted.skill_id:
        where.append(MentoringSession.skill_id == wanted.skill_id)
    if wanted.level is not None:
        where.append(MentoringSession.level >= wanted.level)
    if wanted.format:
        where.append(MentoringSession.format == wanted.format)
    return where


def check_filter(skill_id: str | None, level: str | None, format: str | None) -> EventFilter:
    """Parse the ``skill``, ``level`` and ``format`` filters (``bad_level``, ``bad_format``)."""
    number: int | None = None
    if level not in (None, ""):
        try:
            number = int(str(level))
        except ValueError:
            number = 0
        low, high = EVENT_LEVELS
        if not low <= number <= high:
            raise InvalidRequest(f"The level must be from {low} to {high}.", code="bad_level")
    if format not in (None, "") and format not in EVENT_FORMATS:
        raise InvalidRequest(
            "The format must be talk, pairing, hands_on or shadow.", code="bad_format"
        )
    return EventFilter(skill_id=skill_id or None, level=number, format=format or None)


def count_events(db: Session, *, now: datetime, wanted: EventFilter) -> int:
    return int(
        db.scalar(
            select(func.count()).select_from(MentoringSession).where(*_upcoming_where(now, wanted))
        )
        or 0
    )


def upcoming_events(
    db: Session,
    *,
    now: datetime,
    wanted: EventFilter,
    limit: int | None = None,
    offset: int = 0,
) -> list[MentoringSession]:
    """Upcoming, not cancelled events, soonest first."""
    return list(
        db.scalars(
            select(MentoringSession)
            .where(*_upcoming_where(now, wanted))
            .order_by(MentoringSession.starts_at, MentoringSession.id)
            .limit(limit)
            .offset(offset)
        )
    )


# -- a learner's target job family ------------------------------------------------------------


def set_target(db: Session, user: User, job_family_id: str | None, *, now: datetime) -> None:
    """Choose (or, with None, forget) the job family ``user`` works towards."""
    row = db.get(LearnerTarget, user.id)
    if not job_family_id:
        if row is not None:
            db.delete(row)
        return
    family = db.get(JobFamily, job_family_id)
    if family is None or family.retired_at is not None:
        raise InvalidRequest("Choose a job family that is in use.", code="unknown_job_family")
    if row is None:
        db.add(LearnerTarget(user_id=user.id, job_family_id=family.id, updated_at=now))
    else:
        row.job_family_id, row.updated_at = family.id, now
    db.flush()


def held_levels(db: Session, user: User, *, now: datetime) -> dict[str, int]:
    """skill id → the highest level of ``user``'s current badges (not revoked, not
    suspended, not expired), matched by the account's e-mail."""
    rows = db.execute(
        select(AchievementDefinition.skill_id, func.max(AchievementDefinition.level))
        .join(IssuedCredential, IssuedCredential.achievement_id == AchievementDefinition.id)
        .join(Holder, Holder.id == IssuedCredential.holder_id)
        .where(
            Holder.email == user.email,
            AchievementDefinition.skill_id.is_not(None),
            AchievementDefinition.level.is_not(None),
            IssuedCredential.revoked_at.is_(None),
            IssuedCredential.suspended_at.is_(None),
            or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until > now),
        )
        .group_by(AchievementDefinition.skill_id)
    )
    return {str(skill): int(level) for skill, level in rows if skill is not None}


def target_suggestions(
    db: Session, user: User, *, now: datetime, limit: int = 20
) -> TargetSuggestions:
    """Upcoming events for the skills ``user``'s target family still needs: an event's level
    is at most the family's minimum and above the level the learner holds now."""
    target = db.get(LearnerTarget, user.id)
    family = db.get(JobFamily, target.job_family_id) if target is not None else None
    if family is None:
        return TargetSuggestions(None, {}, [])
    held = held_levels(db, user, now=now)
    needs = {
        r.skill_id: (r.min_level, held.get(r.skill_id, 0))
        for r in db.scalars(select(JobFamilySkill).where(JobFamilySkill.job_family_id == family.id))
        if held.get(r.skill_id, 0) < r.min_level
    }
    if not needs:
        return TargetSuggestions(family, needs, [])
    wanted = or_(
        *(
            and_(
                MentoringSession.skill_id == skill,
                MentoringSession.level <= required,
                MentoringSession.level > have,
            )
            for skill, (required, have) in needs.items()
        )
    )
    events = db.scalars(
        select(MentoringSession)
        .where(*_upcoming_where(now, EventFilter()), wanted)
        .order_by(MentoringSession.starts_at, MentoringSession.id)
        .limit(limit)
    ).all()
    return TargetSuggestions(family, needs, list(events))
