"""Job-family fit of verified badges against our catalog, and what would close each gap.

The fit itself is :func:`verifier.fit.fit` (the rule an outside verifier uses too); this module
reads the job family from the catalog, counts what is met, partly met and missing, and names
what would close each gap — honestly:

* an achievement or a cohort is suggested only when it reaches the level the job family asks
  (a cohort that works towards level 2 does not close a level-3 gap);
* never one the person has already done: a badge of ours they already hold at that level or
  above, a cohort they finished as a learner ("the person" is the holder of the verified badges
  we issued, or of the e-mail entered);
* a cohort's name is internal: only signed-in staff of this organisation see it; anyone else
  learns only that an internal cohort is available.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from passport.catalog.achievements import achievement_id, job_family_document
from passport.catalog.models import AchievementDefinition, JobFamily
from passport.cohorts.models import Cohort, CohortMember, CohortSkill
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import NotFound
from passport.mobility.ranking import current_badge
from passport.services import Services
from verifier import Report
from verifier.fit import FitReport, fit, parse_job_family
from verifier.recipient import normalize_email

__all__ = [
    "Closer",
    "FitCounts",
    "Person",
    "closers_for",
    "fit_counts",
    "job_family_fit",
    "person_of",
    "suggestions_for",
]

#: Roles that see internal cohort names on the verify page.
STAFF_ROLES = frozenset({"admin", "mentor", "assessor"})

_LEVEL = re.compile(r"^(?P<skill>.+)-l(?P<level>\d+)$")


@dataclass(frozen=True, slots=True)
class Closer:
    """Something that would close a gap: an achievement (by name), a cohort (by name, for
    staff), or — for anyone else — the fact that an internal cohort is available."""

    kind: Literal["achievement", "cohort", "internal_cohort"]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FitCounts:
    """How many requirements are met, partly met (a badge below the level), missing."""

    met: int
    partly: int
    missing: int

    @property
    def total(self) -> int:
        return self.met + self.partly + self.missing


@dataclass(frozen=True, slots=True)
class Person:
    """Who the badges are about, as far as our records tell: their holder ids and accounts."""

    holder_ids: frozenset[int]
    user_ids: frozenset[int]


def fit_counts(report: FitReport) -> FitCounts:
    statuses = [row.status for row in report.rows]
    return FitCounts(
        met=statuses.count("met"),
        partly=statuses.count("below"),
        missing=statuses.count("missing"),
    )


def person_of(
    services: Services, reports: Sequence[Report] | FitReport, email: str | None = None
) -> Person:
    """The holder(s) of the verified badges we issued (those a fit counted, given a fit
    report), else the holder of ``email``."""
    if isinstance(reports, FitReport):
        ids = [row.credential_id for row in reports.rows if row.credential_id]
    else:
        ids = [
            r.credential.id
            for r in reports
            if r.verified and r.credential is not None and isinstance(r.credential.id, str)
        ]
    with services.session() as session:
        holders = set(
            session.scalars(select(IssuedCredential.holder_id).where(IssuedCredential.id.in_(ids)))
        )
        if not holders and email:
            found = session.scalar(select(Holder.id).where(Holder.email == normalize_email(email)))
            holders = {found} if found is not None else set()
        return Person(frozenset(holders), frozenset(_users_of(session, holders)))


def _users_of(session: Session, holder_ids: Collection[int]) -> set[int]:
    from passport.accounts.models import User

    if not holder_ids:
        return set()
    emails = select(Holder.email).where(Holder.id.in_(holder_ids))
    return set(
        session.scalars(
            select(User.id).where(or_(User.holder_id.in_(holder_ids), User.email.in_(emails)))
        )
    )


def _level(definition: AchievementDefinition) -> int | None:
    if definition.level is not None:
        return definition.level
    match = _LEVEL.match(definition.id)
    return int(match["level"]) if match else None


def _skill(definition: AchievementDefinition) -> str | None:
    if definition.skill_id is not None:
        return definition.skill_id
    match = _LEVEL.match(definition.id)
    return match["skill"] if match else None


def _held_levels(session: Session, person: Person, skill: str, now: datetime) -> list[int]:
    """The levels of the person's current badges of ours for ``skill`` (an expired, revoked or
    suspended one is not held: the gap is theirs to close again)."""
    if not person.holder_ids:
        return []
    rows = session.scalars(
        select(AchievementDefinition)
        .join(IssuedCredential, IssuedCredential.achievement_id == AchievementDefinition.id)
        .where(
            IssuedCredential.holder_id.in_(person.holder_ids),
            current_badge(now),
        )
    )
    return [lvl for d in rows if _skill(d) == skill and (lvl := _level(d)) is not None]


def _finished_cohorts(session: Session, person: Person, today: date) -> set[int]:
    if not person.user_ids:
        return set()
    return set(
        session.scalars(
            select(Cohort.id)
            .join(CohortMember)
            .where(
                CohortMember.user_id.in_(person.user_ids),
                CohortMember.role == "learner",
                Cohort.ends_on < today,
            )
        )
    )


def closers_for(services: Services, report: FitReport) -> dict[str, list[str]]:
    """The API's form of :func:`suggestions_for` for an anonymous caller: per gap skill,
    phrases ("the achievement …", "an internal cohort"); the person is the holder of the
    badges the fit counted."""
    phrases = {
        "achievement": "the achievement {}",
        "cohort": "the cohort {}",
        "internal_cohort": "an internal cohort",
    }
    return {
        skill: [phrases[c.kind].format(c.name) for c in closers]
        for skill, closers in suggestions_for(services, report).items()
    }


def suggestions_for(
    services: Services,
    report: FitReport,
    *,
    person: Person | None = None,
    staff: bool = False,
) -> dict[str, list[Closer]]:
    """Per gap skill: the achievement at the required level and the cohorts that reach it;
    cohort names only for ``staff``.

    For ``staff`` it also leaves out what ``person`` (by default the holder of the badges the
    fit counted) has already done: badges they hold, cohorts they finished. An anonymous
    viewer's suggestions follow from the badges handed over alone: what else a person holds or
    finished is theirs to share, and comparing suggestions for two inputs would reveal it.
    """
    if not staff:
        person = Person(frozenset(), frozenset())
    elif person is None:
        person = person_of(services, report)
    out: dict[str, list[Closer]] = {}
    now = services.now()
    today = now.date()
    with services.session() as session:
        finished = _finished_cohorts(session, person, today)
        for gap in report.gaps:
            req = gap.requirement
            if any(
                level >= req.min_level for level in _held_levels(session, person, req.skill, now)
            ):
                out[req.skill] = []  # they hold it already: nothing to suggest
                continue
            closers: list[Closer] = []
            target = session.get(AchievementDefinition, achievement_id(req.skill, req.min_level))
            if target is not None and target.retired_at is None:
                closers.append(Closer("achievement", target.name))
            rows = session.execute(
                select(Cohort, AchievementDefinition)
                .join(CohortSkill, CohortSkill.cohort_id == Cohort.id)
                .join(AchievementDefinition, AchievementDefinition.id == CohortSkill.achievement_id)
                .order_by(Cohort.name)
            ).all()
            cohorts = [
                cohort
                for cohort, definition in rows
                if _skill(definition) == req.skill
                and (_level(definition) or 0) >= req.min_level
                and cohort.id not in finished
            ]
            cohorts = list(dict.fromkeys(cohorts))
            if staff:
                closers.extend(Closer("cohort", c.name) for c in cohorts)
            elif cohorts:
                closers.append(Closer("internal_cohort"))
            out[req.skill] = closers
    return out


def job_family_fit(services: Services, family_id: str, reports: list[Report]) -> FitReport:
    """The fit of ``reports`` against one of our catalog's job families."""
    with services.session() as session:
        family = session.get(JobFamily, family_id)
        if family is None:
            raise NotFound("No job family with that id.", code="unknown_job_family")
        document = job_family_document(family, public_url=services.settings.public_url)
    return fit(parse_job_family(document), reports, now=services.now())
