"""Small generated populations for the build-or-buy tests: people with badges at chosen levels
of the data family's skills, consenting or not; data roles; cohorts teaching a skill."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from passport.accounts.users import create_user
from passport.cohorts.models import CohortSkill
from passport.mobility.consent import Consent, set_consent
from passport.mobility.roles import RoleDraft, open_role
from tests.unit.passport.outcomes.fixtures import add_badge, add_cohort

#: The data family's own levels (it_catalog.json): meeting all of them is "fully met".
DATA = {"data-pipelines": 3, "sql-data-modeling": 3, "software-testing": 2, "ci-cd": 1}
ISSUED = date(2026, 5, 1)


def short(skill: str, by: int = 1, **more: int) -> dict[str, int]:
    """The data family's levels with ``skill`` ``by`` levels lower (0 drops the badge)."""
    levels = dict(DATA)
    levels[skill] -= by
    for other, lower in more.items():
        levels[other.replace("_", "-")] -= lower
    return levels


def people(
    session: Session,
    prefix: str,
    count: int,
    levels: Mapping[str, int],
    *,
    now: datetime,
    discoverable: bool = True,
    families: tuple[str, ...] | None = None,
) -> list[int]:
    """``count`` learners ``<prefix><n>@example.org`` holding a badge per skill at ``levels``."""
    ids = []
    for n in range(count):
        email = f"{prefix}{n}@example.org"
        user = create_user(
            session, email=email, name=f"{prefix} {n}", role="learner", password=None
        )
        session.flush()
        if discoverable:
            set_consent(session, user.id, Consent(True, families), actor=email, now=now)
        for skill, level in levels.items():
            if level > 0:
                add_badge(session, email, f"{skill}-l{level}", ISSUED)
        ids.append(user.id)
    session.flush()
    return ids


def data_role(session: Session, openings: int, now: datetime, **levels: int) -> int:
    role = open_role(
        session,
        RoleDraft(
            title="Data engineer",
            job_family="data",
            openings=openings,
            levels={k.replace("_", "-"): v for k, v in levels.items()},
        ),
        actor="hm@example.org",
        user_id=None,
        now=now,
    )
    return role.id


def cohort(
    session: Session,
    name: str,
    starts: date,
    *,
    teaches: tuple[str, ...],
    weeks: int = 6,
    learners: tuple[str, ...] = (),
) -> int:
    """A cohort from ``starts`` for ``weeks`` teaching achievements (``skill-lN``)."""
    made = add_cohort(session, name, starts, starts + timedelta(weeks=weeks), list(learners))
    for achievement in teaches:
        session.add(CohortSkill(cohort_id=made.id, achievement_id=achievement))
    session.flush()
    return made.id
