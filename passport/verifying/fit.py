"""Job-family fit of verified badges against our catalog, and what would close each gap.

The fit itself is :func:`verifier.fit.fit` (the rule an outside verifier uses too); this module
reads the job family from the catalog and names the achievements and cohorts that close a gap.
"""

from __future__ import annotations

from sqlalchemy import select

from passport.catalog.achievements import achievement_id, job_family_document
from passport.catalog.models import AchievementDefinition, JobFamily
from passport.cohorts.models import Cohort, CohortSkill
from passport.errors import NotFound
from passport.services import Services
from verifier import Report
from verifier.fit import FitReport, fit, parse_job_family

__all__ = ["closers_for", "job_family_fit"]


def closers_for(services: Services, report: FitReport) -> dict[str, list[str]]:
    """Per gap skill: the achievement at the required level and cohorts that work towards it."""
    out: dict[str, list[str]] = {}
    with services.session() as session:
        for gap in report.gaps:
            req = gap.requirement
            names: list[str] = []
            target = session.get(AchievementDefinition, achievement_id(req.skill, req.min_level))
            if target is not None:
                names.append(f"the achievement {target.name}")
            cohorts = session.scalars(
                select(Cohort)
                .join(CohortSkill)
                .where(CohortSkill.achievement_id.like(f"{req.skill}-l%"))
                .order_by(Cohort.name)
            ).all()
            names.extend(f"the cohort {c.name}" for c in dict.fromkeys(cohorts))
            out[req.skill] = names
    return out


def job_family_fit(services: Services, family_id: str, reports: list[Report]) -> FitReport:
    """The fit of ``reports`` against one of our catalog's job families, with closers."""
    with services.session() as session:
        family = session.get(JobFamily, family_id)
        if family is None:
            raise NotFound("No job family with that id.", code="unknown_job_family")
        document = job_family_document(family, public_url=services.settings.public_url)
    return fit(parse_job_family(document), reports, now=services.now())
