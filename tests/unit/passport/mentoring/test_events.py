"""Micro-mentoring events without a request: validation, sequence, sign-up, the waitlist moving
up in order, capacity under 32 concurrent sign-ups, and suggestions for a target job family."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.catalog.models import Skill
from passport.cohorts.models import MentoringSession
from passport.errors import Conflict, Forbidden, InvalidRequest
from passport.jobs.models import Notification
from passport.mentoring import events
from passport.mentoring.calendar import attachment_method
from passport.mentoring.events import EventDraft
from passport.mentoring.models import LearnerTarget, MentorException, SessionSignup
from passport.services import Services
from passport.web.context import get_services
from tests.unit.passport.outcomes.fixtures import add_badge, emptied, module_app

#: Events start after this (the tests pass their own clock).
NOW = datetime.now(UTC).replace(microsecond=0)
START = (NOW + timedelta(days=10)).replace(tzinfo=None, hour=9, minute=30, second=0)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return module_app(Path(tmp_path_factory.mktemp("events")))


@pytest.fixture
def services(shared: Flask) -> Iterator[Services]:
    services = get_services(shared)
    with services.session() as db:
        for model in (SessionSignup, LearnerTarget, Notification, AuditEvent, MentorException):
            db.execute(delete(model))
    yield from emptied(services)
    with services.session() as db:
        db.execute(delete(MentorException))


def _user(services: Services, email: str, role: str = "learner", *, eligible: bool = True) -> int:
    """A user; a mentor or administrator is made eligible to teach every skill at every level
    (an administrator's exception) unless ``eligible`` is false."""
    with services.session() as db:
        user = create_user(db, email=email, name=email.split("@")[0], role=role, password=None)
        db.flush()
        if role in ("mentor", "admin") and eligible:
            for skill_id in db.scalars(select(Skill.id)):
                db.add(
                    MentorException(
                        user_id=user.id,
                        skill_id=skill_id,
                        max_level=4,
                        reason="Runs the guild of this skill.",
                        granted_by="admin@example.com",
                        granted_at=NOW,
                    )
                )
        return user.id


def _draft(**changes: object) -> EventDraft:
    values: dict[str, object] = {
        "title": "Reading a flame graph",
        "learning_outcome": "Find the hot path in a CPU profile.",
        "skill_id": "observability",
        "level": 2,
        "format": "pairing",
        "starts_local": START,
        "minutes": 45,
        "time_zone": "Europe/Berlin",
        "capacity": 5,
        "place": "Room 3",
        "meeting_url": "https://meet.example.com/abc",
    }
    values.update(changes)
    return EventDraft(**values)  # type: ignore[arg-type]


def _event(services: Services, mentor_id: int, **changes: object) -> int:
    with services.session() as db:
        mentor = db.get(User, mentor_id)
        assert mentor is not None
        return events.create_event(db, services, mentor, _draft(**changes), now=NOW).id


def _sign_up(services: Services, event_id: int, user_id: int) -> events.SignupOutcome:
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        return events.sign_up(db, services, event_id, user, now=NOW)


def _cancel(services: Services, event_id: int, user_id: int) -> User | None:
    with services.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        promoted = events.cancel_signup(db, services, event_id, user, now=NOW)
        return None if promoted is None else promoted


def _statuses(services: Services, event_id: int) -> dict[int, str]:
    with services.session() as db:
        return {
            s.user_id: s.status
            for s in db.scalars(select(SessionSignup).where(SessionSignup.session_id == event_id))
        }


# -- creating and editing ---------------------------------------------------------------------


def test_an_event_is_stored_in_utc_from_its_own_time_zone(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        assert event is not None
        assert event.cohort_id is None and event.mentor_id == mentor
        local = event.starts_at.astimezone(events.ZoneInfo("Europe/Berlin"))
        assert (local.hour, local.minute) == (9, 30)
        assert event.sequence == 0 and event.seats_taken == 0
        assert "event.create" in db.scalars(select(AuditEvent.action)).all()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"minutes": 14}, "bad_duration"),
        ({"minutes": 91}, "bad_duration"),
        ({"time_zone": "Mars/Olympus"}, "bad_time_zone"),
        ({"time_zone": ""}, "bad_time_zone"),
        ({"format": "shadow", "shadow_slot": ""}, "missing_shadow_slot"),
        ({"format": "lecture"}, "bad_format"),
        ({"level": 0}, "bad_level"),
        ({"level": 5}, "bad_level"),
        ({"capacity": 0}, "bad_capacity"),
        ({"capacity": 501}, "bad_capacity"),
        ({"meeting_url": "http://meet.example.com/x"}, "bad_meeting_url"),
        ({"place": "", "meeting_url": ""}, "missing_place"),
        ({"skill_id": "no-such-skill"}, "unknown_skill"),
        ({"title": "  "}, "bad_title"),
    ],
)
def test_bad_events_are_refused_with_a_code(
    services: Services, changes: dict[str, object], code: str
) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    with pytest.raises(InvalidRequest) as caught:
        _event(services, mentor, **changes)
    assert caught.value.code == code


def test_edge_durations_and_a_shadow_slot_are_accepted(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    _event(services, mentor, minutes=15)
    _event(services, mentor, minutes=90, capacity=None)
    shadow = _event(services, mentor, format="shadow", shadow_slot="Primary on-call, week 12")
    with services.session() as db:
        event = db.get(MentoringSession, shadow)
        assert event is not None and event.shadow_slot == "Primary on-call, week 12"


def test_a_learner_cannot_create_an_event(services: Services) -> None:
    learner = _user(services, "ada@example.com")
    with services.session() as db:
        user = db.get(User, learner)
        assert user is not None
        with pytest.raises(Forbidden):
            events.create_event(db, services, user, _draft(mentor_id=None), now=NOW)


def test_only_an_admin_manages_another_mentors_event(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    other = _user(services, "max@example.com", "mentor")
    admin = _user(services, "admin@example.com", "admin")
    event_id = _event(services, mentor)
    with services.session() as db:
        assert events.managed_event(db, event_id, db.get(User, admin)).id == event_id  # type: ignore[arg-type]
        with pytest.raises(Forbidden):
            events.managed_event(db, event_id, db.get(User, other))  # type: ignore[arg-type]


def test_a_change_of_time_raises_the_sequence_and_tells_people(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    learner = _user(services, "ada@example.com")
    event_id = _event(services, mentor)
    _sign_up(services, event_id, learner)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        # The capacity alone is not in the calendar file: no new sequence, but a new stamp.
        later_now = NOW + timedelta(minutes=1)
        assert not events.update_event(
            db, services, event, actor, _draft(capacity=6), now=later_now
        )
        assert event.sequence == 0 and event.updated_at == later_now
        later = START + timedelta(hours=1)
        assert events.update_event(
            db, services, event, actor, _draft(capacity=6, starts_local=later), now=NOW
        )
        assert event.sequence == 1 and event.updated_at == NOW
        kinds = list(db.scalars(select(Notification.kind).order_by(Notification.id)))
        assert kinds == ["event_signup", "event_changed"]


@pytest.mark.parametrize(
    "changes",
    [
        {"learning_outcome": "Other words."},
        {"format": "talk"},
        {"format": "shadow", "shadow_slot": "Primary on-call"},
        {"time_zone": "Europe/London"},
        {"title": "Flame graphs"},
        {"minutes": 60},
        {"place": "Room 4"},
        {"meeting_url": "https://meet.example.com/xyz"},
    ],
)
def test_every_field_the_calendar_writes_raises_the_sequence(
    services: Services, changes: dict[str, object]
) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        assert events.update_event(db, services, event, actor, _draft(**changes), now=NOW)
        assert event.sequence == 1


def test_a_new_mentor_raises_the_sequence(services: Services) -> None:
    admin = _user(services, "ada@example.com", "admin")
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, admin)
        assert event is not None and actor is not None
        assert events.update_event(db, services, event, actor, _draft(mentor_id=admin), now=NOW)
        assert event.sequence == 1 and event.mentor_id == admin


def test_an_event_is_not_moved_into_the_past_nor_edited_once_started(
    services: Services,
) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        past = (NOW - timedelta(days=1)).replace(tzinfo=None)
        with pytest.raises(InvalidRequest) as refused:
            events.update_event(
                db, services, event, actor, _draft(starts_local=past, time_zone="UTC"), now=NOW
            )
        assert refused.value.code == "event_in_past"
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        started = event.starts_at + timedelta(minutes=5)
        with pytest.raises(Conflict) as caught:
            events.update_event(db, services, event, actor, _draft(title="Renamed"), now=started)
        assert caught.value.code == "event_started"
        assert event.title == "Reading a flame graph" and event.sequence == 0


@pytest.mark.parametrize(
    "starts_local",
    [datetime(1, 1, 1, 0, 0), datetime(9999, 12, 31, 23, 0), START + timedelta(days=800)],
)
def test_a_start_beyond_two_years_or_the_calendar_is_refused(
    services: Services, starts_local: datetime
) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    with pytest.raises(InvalidRequest) as caught:
        _event(services, mentor, starts_local=starts_local, time_zone="Asia/Tokyo")
    assert caught.value.code == "bad_start"  # year 1 east of UTC overflowed: a 500 before


def test_the_mentor_must_be_eligible_admins_too(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor", eligible=False)
    admin = _user(services, "ada@example.com", "admin", eligible=False)
    for actor in (mentor, admin):
        with pytest.raises(InvalidRequest) as caught:
            _event(services, actor)
        assert caught.value.code == "mentor_not_eligible"
    with services.session() as db:
        # A current badge one level above the event's level makes the mentor eligible.
        add_badge(db, "mo@example.com", "observability-l3", date.today() - timedelta(days=30))
    assert _event(services, mentor, level=2)
    with pytest.raises(InvalidRequest) as caught:
        _event(services, mentor, level=3)  # level 3 needs a level-4 badge or an exception
    assert caught.value.code == "mentor_not_eligible"


def test_capacity_cannot_go_below_the_seats_taken(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=3)
    for n in range(3):
        _sign_up(services, event_id, _user(services, f"l{n}@example.com"))
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        with pytest.raises(Conflict) as caught:
            events.update_event(db, services, event, actor, _draft(capacity=2), now=NOW)
        assert caught.value.code == "capacity_below_seats"


def test_more_capacity_moves_the_waitlist_up(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    people = [_user(services, f"l{n}@example.com") for n in range(3)]
    for person in people:
        _sign_up(services, event_id, person)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        events.update_event(db, services, event, actor, _draft(capacity=2), now=NOW)
        assert event.seats_taken == 2
    assert _statuses(services, event_id) == {
        people[0]: "confirmed",
        people[1]: "confirmed",
        people[2]: "waitlisted",
    }


def test_cancel_raises_the_sequence_keeps_the_row_and_tells_everyone(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    first, second = _user(services, "a@example.com"), _user(services, "b@example.com")
    _sign_up(services, event_id, first)
    _sign_up(services, event_id, second)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        assert events.cancel_event(db, services, event, actor, now=NOW) == 2
        assert event.sequence == 1 and event.cancelled_at == NOW
        with pytest.raises(Conflict):
            events.cancel_event(db, services, event, actor, now=NOW)
    with services.session() as db:
        assert db.get(MentoringSession, event_id) is not None
        cancelled = db.scalars(
            select(Notification).where(Notification.kind == "event_cancelled")
        ).all()
        assert {n.user_id for n in cancelled} == {first, second}
        assert all(
            '"cancelled":true' in n.context and '"sequence":1' in n.context for n in cancelled
        )
    with pytest.raises(Conflict) as caught:
        _sign_up(services, event_id, _user(services, "c@example.com"))
    assert caught.value.code == "event_cancelled"


def test_a_change_tells_the_waitlisted_without_a_calendar_request(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    seated, waiting = _user(services, "a@example.com"), _user(services, "b@example.com")
    _sign_up(services, event_id, seated)
    _sign_up(services, event_id, waiting)
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        actor = db.get(User, mentor)
        assert event is not None and actor is not None
        events.update_event(db, services, event, actor, _draft(capacity=1, title="New"), now=NOW)
        changed = {
            n.user_id: n.context
            for n in db.scalars(select(Notification).where(Notification.kind == "event_changed"))
        }
    assert set(changed) == {seated, waiting}
    assert attachment_method("event_changed", json.loads(changed[seated])) == "REQUEST"
    waiting_context = json.loads(changed[waiting])
    assert waiting_context["waitlisted"] is True and waiting_context["position"] == 1
    assert attachment_method("event_changed", waiting_context) is None


def test_giving_up_a_seat_sends_a_calendar_cancel(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    seated, waiting = _user(services, "a@example.com"), _user(services, "b@example.com")
    _sign_up(services, event_id, seated)
    _sign_up(services, event_id, waiting)
    _cancel(services, event_id, waiting)  # a waitlist place: nothing was in a calendar
    _cancel(services, event_id, seated)
    with services.session() as db:
        sent = db.scalars(
            select(Notification).where(Notification.kind == "event_signup_cancelled")
        ).all()
    assert [n.user_id for n in sent] == [seated]
    assert attachment_method("event_signup_cancelled", json.loads(sent[0].context)) == "CANCEL"


# -- signing up -------------------------------------------------------------------------------


def test_sign_up_is_idempotent_and_the_mentor_cannot_sign_up(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    learner = _user(services, "ada@example.com")
    event_id = _event(services, mentor, capacity=1)
    assert _sign_up(services, event_id, learner) == events.SignupOutcome(
        event_id, "confirmed", None, True
    )
    assert _sign_up(services, event_id, learner) == events.SignupOutcome(
        event_id, "confirmed", None, False
    )
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        assert event is not None and event.seats_taken == 1
    with pytest.raises(Conflict) as caught:
        _sign_up(services, event_id, mentor)
    assert caught.value.code == "own_event"


def test_sign_up_after_the_start_is_refused(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    learner = _user(services, "ada@example.com")
    event_id = _event(services, mentor)
    with services.session() as db:
        user = db.get(User, learner)
        assert user is not None
        with pytest.raises(Conflict) as caught:
            events.sign_up(db, services, event_id, user, now=NOW + timedelta(days=30))
        assert caught.value.code == "event_started"


def test_the_waitlist_promotes_in_order_when_people_cancel(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=2)
    seated = [_user(services, f"s{n}@example.com") for n in range(2)]
    waiting = [_user(services, f"w{n}@example.com") for n in range(3)]
    for person in seated:
        assert _sign_up(services, event_id, person).status == "confirmed"
    positions = [_sign_up(services, event_id, person).position for person in waiting]
    assert positions == [1, 2, 3]

    promoted = _cancel(services, event_id, seated[0])
    assert promoted is not None and promoted.id == waiting[0]
    promoted = _cancel(services, event_id, seated[1])
    assert promoted is not None and promoted.id == waiting[1]

    assert _statuses(services, event_id) == {
        seated[0]: "cancelled",
        seated[1]: "cancelled",
        waiting[0]: "confirmed",
        waiting[1]: "confirmed",
        waiting[2]: "waitlisted",
    }
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        assert event is not None and event.seats_taken == 2
        told = db.scalars(
            select(Notification.user_id)
            .where(Notification.kind == "event_promoted")
            .order_by(Notification.id)
        ).all()
        assert told == waiting[:2]
        last = db.scalar(select(SessionSignup).where(SessionSignup.user_id == waiting[2]))
        assert last is not None and events.waitlist_position(db, last) == 1


def test_a_waitlisted_cancel_frees_no_seat_and_a_rejoin_goes_to_the_end(
    services: Services,
) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    a, b, c = (_user(services, f"{x}@example.com") for x in "abc")
    for person in (a, b, c):
        _sign_up(services, event_id, person)
    assert _cancel(services, event_id, b) is None
    assert _sign_up(services, event_id, b).position == 2  # behind c now
    assert _cancel(services, event_id, a) is not None
    assert _statuses(services, event_id)[c] == "confirmed"


def test_without_capacity_everyone_gets_a_seat(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=None)
    for n in range(7):
        assert _sign_up(services, event_id, _user(services, f"l{n}@example.com")).status == (
            "confirmed"
        )


def test_32_concurrent_sign_ups_never_exceed_5_seats(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=5)
    people = [_user(services, f"c{n}@example.com") for n in range(32)]
    barrier = threading.Barrier(len(people))
    outcomes: list[events.SignupOutcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(user_id: int) -> None:
        barrier.wait()
        try:
            outcome = _sign_up(services, event_id, user_id)  # its own session
        except Exception as exc:  # noqa: BLE001 # reported below: a thread's error fails the test
            with lock:
                errors.append(exc)
            return
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    confirmed = [o for o in outcomes if o.status == "confirmed"]
    waitlisted = [o for o in outcomes if o.status == "waitlisted"]
    assert len(confirmed) == 5 and len(waitlisted) == 27
    assert sorted(o.position for o in waitlisted) == list(range(1, 28))  # type: ignore[type-var]
    with services.session() as db:
        event = db.get(MentoringSession, event_id)
        assert event is not None and event.seats_taken == 5
        rows = db.scalars(select(SessionSignup).where(SessionSignup.session_id == event_id)).all()
        assert sum(r.status == "confirmed" for r in rows) == 5
        positions = {events.waitlist_position(db, r) for r in rows if r.status == "waitlisted"}
        assert positions == set(range(1, 28))


# -- browsing and the target family -----------------------------------------------------------


def test_browse_filters_by_skill_level_and_format(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    low = _event(services, mentor, level=1)
    high = _event(services, mentor, level=3, format="talk")
    _event(services, mentor, skill_id="networking", level=3)
    with services.session() as db:
        wanted = events.check_filter("observability", "2", None)
        assert [e.id for e in events.upcoming_events(db, now=NOW, wanted=wanted)] == [high]
        wanted = events.check_filter("observability", None, "pairing")
        assert [e.id for e in events.upcoming_events(db, now=NOW, wanted=wanted)] == [low]
        assert events.count_events(db, now=NOW, wanted=events.EventFilter()) == 3
    for level, form in (("9", None), ("x", None), (None, "lecture")):
        with pytest.raises(InvalidRequest):
            events.check_filter(None, level, form)


def test_suggestions_skip_skills_already_held_at_level(services: Services) -> None:
    mentor = _user(services, "mo@example.com", "mentor")
    learner = _user(services, "ada@example.com")
    # sre needs observability 3, incident-response 3, networking 2 (among others).
    held = _event(services, mentor, skill_id="observability", level=2)
    next_step = _event(services, mentor, skill_id="observability", level=3)
    too_high = _event(services, mentor, skill_id="networking", level=3)
    needed = _event(services, mentor, skill_id="incident-response", level=1)
    expired = _event(services, mentor, skill_id="networking", level=2)
    with services.session() as db:
        add_badge(db, "ada@example.com", "observability-l2", date(2026, 1, 5))
        add_badge(
            db,
            "ada@example.com",
            "networking-l2",
            date(2025, 1, 5),
            valid_until=date(2025, 12, 1),
        )
        user = db.get(User, learner)
        assert user is not None
        assert events.target_suggestions(db, user, now=NOW).events == []
        events.set_target(db, user, "sre", now=NOW)
        suggested = events.target_suggestions(db, user, now=NOW)
        assert suggested.family is not None and suggested.family.id == "sre"
        ids = {e.id for e in suggested.events}
        assert next_step in ids and needed in ids and expired in ids
        assert held not in ids and too_high not in ids
        assert suggested.needs["observability"] == (3, 2)
        with pytest.raises(InvalidRequest):
            events.set_target(db, user, "no-such-family", now=NOW)


def test_the_day_before_confirmed_people_and_the_mentor_are_reminded(
    services: Services,
) -> None:
    from passport.jobs import scheduled
    from passport.jobs.queue import queue_for

    mentor = _user(services, "mo@example.com", "mentor")
    event_id = _event(services, mentor, capacity=1)
    seated, waiting = _user(services, "a@example.com"), _user(services, "b@example.com")
    _sign_up(services, event_id, seated)
    _sign_up(services, event_id, waiting)
    cancelled = _event(services, mentor, title="Called off")
    _sign_up(services, cancelled, seated)
    with services.session() as db:
        gone = db.get(MentoringSession, cancelled)
        actor = db.get(User, mentor)
        assert gone is not None and actor is not None
        events.cancel_event(db, services, gone, actor, now=NOW)
        starts = db.get(MentoringSession, event_id).starts_at  # type: ignore[union-attr]
    queue = queue_for(services)
    the_day_before = starts - timedelta(hours=20)
    assert scheduled.session_reminders(services, queue, the_day_before) == {"reminders": 2}
    assert scheduled.session_reminders(services, queue, the_day_before) == {"reminders": 0}
    with services.session() as db:
        rows = db.scalars(select(Notification).where(Notification.kind == "session_reminder")).all()
        assert {r.user_id for r in rows} == {seated, mentor}
        assert all('"cohort_name":""' in r.context and "Room 3" in r.context for r in rows)


def test_a_moved_cohort_session_raises_its_sequence_too(services: Services) -> None:
    from passport.cohorts import cohorts

    mentor = _user(services, "mo@example.com", "mentor")
    with services.session() as db:
        actor = db.get(User, mentor)
        assert actor is not None
        cohort = cohorts.create_cohort(
            db, actor, name="SRE", description="", starts_on=NOW.date(), ends_on=None, now=NOW
        )
        starts = NOW + timedelta(days=2)
        cohorts.add_session(
            db,
            cohort,
            actor,
            title="Runbooks",
            learning_outcome="Write one.",
            starts_at=starts,
            minutes=60,
            now=NOW,
        )
        db.flush()
        meeting = cohort.sessions[0]
        change = {"title": "Runbooks", "starts_at": starts, "minutes": 60}
        cohorts.update_session(
            db, cohort, actor, session_id=meeting.id, learning_outcome="Other.", now=NOW, **change
        )
        assert meeting.sequence == 0
        change["starts_at"] = starts + timedelta(hours=1)
        cohorts.update_session(
            db, cohort, actor, session_id=meeting.id, learning_outcome="Other.", now=NOW, **change
        )
        assert meeting.sequence == 1 and meeting.updated_at == NOW
        db.delete(cohort)
