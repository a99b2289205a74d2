"""Cohort rules, without a request: who manages a cohort, its planned length, members, targets,
sessions, attendance and notes — each change audited under the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.cohorts import cohorts
from passport.cohorts.models import Cohort
from passport.errors import Forbidden, InvalidRequest, NotFound
from passport.services import Services

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = date(2026, 3, 2)


@dataclass
class People:
    admin: User
    mentor: User
    other_mentor: User
    learner: User
    assessor: User


@pytest.fixture
def db(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


@pytest.fixture
def people(db: Session) -> People:
    def user(email: str, role: str) -> User:
        return create_user(db, email=email, name=email.split("@")[0], role=role, password=None)

    return People(
        admin=user("admin@example.com", "admin"),
        mentor=user("mo@example.com", "mentor"),
        other_mentor=user("max@example.com", "mentor"),
        learner=user("ada@example.com", "learner"),
        assessor=user("ana@example.com", "assessor"),
    )


def _cohort(db: Session, actor: User, weeks: int = 7) -> Cohort:
    return cohorts.create_cohort(
        db,
        actor,
        name="SRE spring",
        description="",
        starts_on=START,
        ends_on=date.fromordinal(START.toordinal() + weeks * 7),
        now=NOW,
    )


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_mentor_who_creates_a_cohort_mentors_it_and_manages_it(
    db: Session, people: People
) -> None:
    cohort = _cohort(db, people.mentor)
    assert [m.user_id for m in cohorts.mentors(cohort)] == [people.mentor.id]
    assert cohorts.managed_cohort(db, cohort.id, people.mentor) is cohort
    assert cohorts.managed_cohort(db, cohort.id, people.admin) is cohort
    with pytest.raises(Forbidden):
        cohorts.managed_cohort(db, cohort.id, people.other_mentor)
    with pytest.raises(NotFound):
        cohorts.managed_cohort(db, cohort.id + 1000, people.admin)
    assert "cohort.create" in _actions(db)


def test_an_admin_sees_every_cohort_a_mentor_only_theirs(db: Session, people: People) -> None:
    mine = _cohort(db, people.mentor)
    _cohort(db, people.admin)
    assert {row.cohort.id for row in cohorts.visible_cohorts(db, people.mentor)} == {mine.id}
    assert len(cohorts.visible_cohorts(db, people.admin)) == 2


def test_the_end_defaults_to_seven_weeks_and_may_not_come_first(
    db: Session, people: People
) -> None:
    cohort = cohorts.create_cohort(
        db, people.admin, name="x", description=None, starts_on=START, ends_on=None, now=NOW
    )
    assert (cohort.ends_on - cohort.starts_on).days == 7 * cohorts.DEFAULT_COHORT_WEEKS
    with pytest.raises(InvalidRequest) as caught:
        cohorts.create_cohort(
            db,
            people.admin,
            name="y",
            description=None,
            starts_on=START,
            ends_on=date(2026, 3, 1),
            now=NOW,
        )
    assert caught.value.code == "bad_dates"


@pytest.mark.parametrize(("weeks", "warned"), [(5, True), (6, False), (8, False), (9, True)])
def test_cohorts_outside_six_to_eight_weeks_are_warned_about(weeks: int, warned: bool) -> None:
    ends = date.fromordinal(START.toordinal() + weeks * 7)
    assert (cohorts.duration_warning(START, ends) is not None) is warned


def test_members_must_exist_and_have_the_right_role(db: Session, people: People) -> None:
    cohort = _cohort(db, people.admin)
    cohorts.add_member(db, cohort, people.admin, email=" ADA@example.com ", role="learner", now=NOW)
    assert [m.user_id for m in cohorts.learners(cohort)] == [people.learner.id]
    cases = [
        ("nobody@example.com", "learner", "unknown_user"),
        ("ana@example.com", "mentor", "wrong_role"),
        ("mo@example.com", "learner", "wrong_role"),
        ("ada@example.com", "learner", "duplicate_member"),
        ("ada@example.com", "observer", "invalid_request"),
    ]
    for email, role, code in cases:
        with pytest.raises(InvalidRequest) as caught:
            cohorts.add_member(db, cohort, people.admin, email=email, role=role, now=NOW)
        assert caught.value.code == code, (email, role)


def test_a_mentor_cannot_remove_themselves(db: Session, people: People) -> None:
    cohort = _cohort(db, people.mentor)
    with pytest.raises(InvalidRequest):
        cohorts.remove_member(db, cohort, people.mentor, user_id=people.mentor.id, now=NOW)
    cohorts.remove_member(db, cohort, people.admin, user_id=people.mentor.id, now=NOW)
    assert cohorts.mentors(cohort) == []
    overview = cohorts.cohort_overview(db, cohort)
    assert "This cohort has no mentor yet; add one below." in overview.warnings


def test_targets_are_assessable_achievements_once_each(db: Session, people: People) -> None:
    cohort = _cohort(db, people.admin)
    cohorts.add_target(db, cohort, people.admin, achievement_id="incident-response-l2", now=NOW)
    with pytest.raises(InvalidRequest):
        cohorts.add_target(db, cohort, people.admin, achievement_id="incident-response-l2", now=NOW)
    with pytest.raises(InvalidRequest) as caught:
        cohorts.add_target(db, cohort, people.admin, achievement_id="no-such-thing", now=NOW)
    assert caught.value.code == "unknown_achievement"
    cohorts.remove_target(db, cohort, people.admin, achievement_id="incident-response-l2", now=NOW)
    assert cohort.target_skills == []


def test_sessions_attendance_and_notes(db: Session, people: People) -> None:
    cohort = _cohort(db, people.mentor)
    cohorts.add_member(db, cohort, people.mentor, email="ada@example.com", role="learner", now=NOW)
    inside = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    outside = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
    common = {"title": "Triage drill", "learning_outcome": "Triage a page", "minutes": 60}
    assert (
        cohorts.add_session(db, cohort, people.mentor, starts_at=inside, now=NOW, **common) is None
    )
    warning = cohorts.add_session(db, cohort, people.mentor, starts_at=outside, now=NOW, **common)
    assert warning == "The session is outside the cohort's dates."
    with pytest.raises(InvalidRequest):
        cohorts.add_session(
            db, cohort, people.mentor, starts_at=inside, now=NOW, **{**common, "minutes": 481}
        )
    db.flush()
    first = cohort.sessions[0]
    count = cohorts.record_attendance(
        db, cohort, people.mentor, session_id=first.id, present={people.learner.id}, now=NOW
    )
    assert count == 1
    # Recording again updates the same rows.
    assert (
        cohorts.record_attendance(
            db, cohort, people.mentor, session_id=first.id, present=set(), now=NOW
        )
        == 0
    )
    with pytest.raises(NotFound):
        cohorts.record_attendance(
            db, cohort, people.mentor, session_id=first.id + 999, present=set(), now=NOW
        )
    cohorts.add_note(db, cohort, people.mentor, text="Strong start", learner_id=None, now=NOW)
    with pytest.raises(InvalidRequest):
        cohorts.add_note(
            db, cohort, people.mentor, text="x", learner_id=people.assessor.id, now=NOW
        )
    db.flush()
    overview = cohorts.cohort_overview(db, cohort)
    assert overview.attended == {people.learner.id: 0}
    assert [n.text for n in overview.notes] == ["Strong start"]
    assert people.mentor.id in overview.people
    actions = _actions(db)
    for action in ("cohort.session_add", "cohort.attendance", "cohort.note_add"):
        assert action in actions
