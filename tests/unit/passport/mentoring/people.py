"""Small factories for the mentoring tests: mentors, learners, sessions led and attended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.cohorts.models import Attendance, Cohort, CohortMember, MentoringSession
from passport.mentoring.models import SessionSignup

SKILL = "incident-response"


def person(session: Session, name: str, role: str = "mentor") -> User:
    user = create_user(
        session, email=f"{name.lower()}@example.org", name=name, role=role, password=None
    )
    session.flush()
    return user


def led_session(
    session: Session,
    mentor: User | None,
    starts_at: datetime,
    *,
    minutes: int = 60,
    skill: str | None = SKILL,
    level: int | None = 2,
    cohort: Cohort | None = None,
    cancelled: bool = False,
    template_id: int | None = None,
    title: str = "Session",
) -> MentoringSession:
    meeting = MentoringSession(
        cohort_id=cohort.id if cohort else None,
        title=title,
        learning_outcome="x",
        starts_at=starts_at,
        minutes=minutes,
        skill_id=skill,
        level=level,
        mentor_id=mentor.id if mentor else None,
        template_id=template_id,
        cancelled_at=starts_at - timedelta(days=1) if cancelled else None,
    )
    session.add(meeting)
    session.flush()
    return meeting


def attend(session: Session, meeting: MentoringSession, user: User, *, status: str = "") -> None:
    """Make ``user`` an attendee: present (cohort session) or a sign-up with ``status``
    (standalone event; confirmed unless told)."""
    if meeting.cohort_id is not None:
        if session.get(CohortMember, (meeting.cohort_id, user.id)) is None:
            session.add(CohortMember(cohort_id=meeting.cohort_id, user_id=user.id, role="learner"))
        session.add(Attendance(session_id=meeting.id, user_id=user.id, present=status != "absent"))
    else:
        session.add(
            SessionSignup(session_id=meeting.id, user_id=user.id, status=status or "confirmed")
        )
    session.flush()
