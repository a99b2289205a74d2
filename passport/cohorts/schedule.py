"""A learner's schedule: the sessions of the cohorts they belong to, and whether they came."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.cohorts.models import Attendance, Cohort, CohortMember, MentoringSession

__all__ = ["Schedule", "learner_schedule"]


@dataclass(frozen=True, slots=True)
class Schedule:
    cohorts: Sequence[Cohort]
    #: sessions still to come, soonest first
    upcoming: list[MentoringSession]
    #: sessions that have started, latest first
    past: list[MentoringSession]
    #: session id → present (only sessions whose attendance was recorded)
    attended: dict[int, bool]


def learner_schedule(session: Session, user: User, *, now: datetime) -> Schedule:
    cohorts = session.scalars(
        select(Cohort)
        .join(CohortMember)
        .where(CohortMember.user_id == user.id)
        .order_by(Cohort.starts_on.desc())
    ).all()
    sessions = session.scalars(
        select(MentoringSession)
        .where(MentoringSession.cohort_id.in_([c.id for c in cohorts]))
        .order_by(MentoringSession.starts_at)
    ).all()
    attended = {
        a.session_id: a.present
        for a in session.scalars(
            select(Attendance).where(
                Attendance.user_id == user.id,
                Attendance.session_id.in_([s.id for s in sessions]),
            )
        )
    }
    return Schedule(
        cohorts=cohorts,
        upcoming=[s for s in sessions if s.starts_at >= now],
        past=[s for s in sessions if s.starts_at < now][::-1],
        attended=attended,
    )
