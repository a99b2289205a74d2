"""A migrated app shared by a test module, emptied of people, cohorts and badges between tests,
and small builders for people events, badges and cohorts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.cohorts.models import Attendance, Cohort, CohortMember, MentoringSession
from passport.credentials.models import Holder, IssuedCredential, SigningKeyRecord
from passport.outcomes.models import HRPerson, PeopleEvent
from passport.services import Services
from passport.web.context import get_services
from tests.conftest import fresh_app, settings_for
from tests.unit.passport.outcomes.synthetic import Row, insert_rows


def module_app(folder: Path) -> Flask:
    return fresh_app(settings_for(folder))


def emptied(services: Services) -> Iterator[Services]:
    """Yield, then delete what a test added (people, cohorts, assessments, badges, users)."""
    yield services
    with services.session() as session:
        for model in (
            Attendance,
            MentoringSession,
            Assessment,
            CohortMember,
            Cohort,
            IssuedCredential,
            PeopleEvent,
            HRPerson,
            User,
            Holder,
        ):
            session.execute(delete(model))


def add_people(session: Session, rows: list[Row], emails: dict[str, str] | None = None) -> None:
    insert_rows(session, rows, emails)
    session.flush()


def clones(count: int, prefix: str, *events: tuple[str, date, str | None, str | None]) -> list[Row]:
    """``count`` people with the same events: (event, day, job family, cohort)."""
    return [
        Row(f"{prefix}{i}", event, day, family, cohort)
        for i in range(count)
        for event, day, family, cohort in events
    ]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def add_badge(
    session: Session,
    email: str,
    achievement: str,
    issued: date,
    *,
    valid_until: date | None = None,
    revoked: date | None = None,
    suspended: date | None = None,
) -> None:
    holder = session.scalar(select(Holder).where(Holder.email == email))
    if holder is None:
        holder = Holder(email=email)
        session.add(holder)
        session.flush()
    key = session.scalars(select(SigningKeyRecord)).first()
    assert key is not None
    session.add(
        IssuedCredential(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer_id=key.issuer_id,
            achievement_id=achievement,
            holder_id=holder.id,
            proof_format="vc-jwt",
            media_type="application/vc+jwt",
            content=b"test",
            kid=key.kid,
            issued_at=at(issued),
            valid_until=None if valid_until is None else at(valid_until),
            revoked_at=None if revoked is None else at(revoked),
            suspended_at=None if suspended is None else at(suspended),
        )
    )
    session.flush()


def add_cohort(
    session: Session, name: str, starts: date, ends: date, learners: list[str]
) -> Cohort:
    """A cohort run here with learner accounts for ``learners`` (e-mails)."""
    cohort = Cohort(name=name, starts_on=starts, ends_on=ends)
    session.add(cohort)
    session.flush()
    for email in learners:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=email, role="learner")
            session.add(user)
            session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role="learner"))
    session.flush()
    return cohort


__all__ = [
    "add_badge",
    "add_cohort",
    "add_people",
    "at",
    "clones",
    "emptied",
    "get_services",
    "module_app",
]
