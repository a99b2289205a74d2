"""Job families: create one, edit what it is and the skills it requires (and the level each
must reach), retire it and bring it back.

A change rebuilds the published achievement definitions whose job-family alignments it touches
(credentials already issued keep the definition they were signed with) and leaves one audit
event listing what changed. A family always requires at least one skill. A retired family is
kept for the badges and history that name it but offered for nothing new (verify's list, new
cohorts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.catalog.achievements import LEVEL_NAMES, rebuild_achievements
from passport.catalog.models import JobFamily, JobFamilySkill, Skill
from passport.catalog.validation import Problems
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.errors import InvalidRequest, NotFound
from passport.services import Services

__all__ = [
    "JobFamilyDetails",
    "JobFamilyEdit",
    "NewJobFamily",
    "active_job_families",
    "create_job_family",
    "find_job_family",
    "search_job_families",
    "set_job_family_retired",
    "update_job_family",
]

DEFAULT_FRAMEWORK = "O*NET-SOC 2019"


@dataclass(frozen=True, slots=True)
class JobFamilyDetails:
    """What a job family is, as typed: name, description, the public occupation it maps to."""

    name: str
    description: str = ""
    occupation: str = ""
    framework: str = ""
    code: str = ""
    url: str = ""
    #: What "productive" means in this family (it ends ramp time; docs/outcomes.md).
    productive_definition: str = ""


@dataclass(frozen=True, slots=True)
class JobFamilyEdit:
    """What to change: new levels of kept skills, skills to drop, one skill to add, and (when
    given) the family's details."""

    levels: Mapping[str, int] = field(default_factory=dict)
    remove: frozenset[str] = frozenset()
    add: tuple[str, int] | None = None
    details: JobFamilyDetails | None = None


@dataclass(frozen=True, slots=True)
class NewJobFamily:
    """A new job family as typed: its id (blank: made from the name), details, and the
    required skills as (skill id, level text) rows; blank rows are skipped."""

    id: str
    details: JobFamilyDetails
    requirements: Sequence[tuple[str, str]] = ()


def find_job_family(session: Session, family_id: str) -> JobFamily:
    """The job family with ``family_id``; :class:`NotFound` when there is none."""
    family = session.get(JobFamily, family_id)
    if family is None:
        raise NotFound("No job family with that id.", code="unknown_job_family")
    return family


def active_job_families(session: Session) -> list[JobFamily]:
    """The job families offered for new things (verify's list, cohorts), by name."""
    return list(
        session.scalars(
            select(JobFamily).where(JobFamily.retired_at.is_(None)).order_by(JobFamily.name)
        )
    )


def search_job_families(
    session: Session, query: str = "", *, retired: bool = False, page: int = 1, size: int = 20
) -> tuple[list[JobFamily], int]:
    """One page of job families whose name or id contains ``query`` (the retired ones, or the
    others), and how many match in all."""
    where: list[Any] = [
        JobFamily.retired_at.is_not(None) if retired else JobFamily.retired_at.is_(None)
    ]
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        where.append(or_(func.lower(JobFamily.name).like(pattern), JobFamily.id.like(pattern)))
    total = int(session.scalar(select(func.count()).select_from(JobFamily).where(*where)) or 0)
    rows = session.scalars(
        select(JobFamily)
        .where(*where)
        .order_by(JobFamily.name)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return list(rows), total


def _details(problems: Problems, details: JobFamilyDetails) -> dict[str, str | None]:
    values = {
        "name": problems.text("name", details.name, "Name", max_length=200, required=True),
        "description": problems.text(
            "description", details.description, "Description", max_length=4000
        ),
        "occupation": problems.text("occupation", details.occupation, "Occupation", max_length=200),
        "framework": problems.text("framework", details.framework, "Framework", max_length=100),
        "code": problems.text("code", details.code, "Occupation code", max_length=64),
        "url": problems.text("url", details.url, "Reference URL", max_length=400),
        "productive_definition": problems.text(
            "productive_definition",
            details.productive_definition,
            "Definition of productive",
            max_length=2000,
        ),
    }
    url = values["url"] or ""
    if url and not url.startswith(("https://", "http://")):
        problems.add("url", "The reference URL must start with https:// (or http://).", "bad_url")
    if values["code"] and not values["framework"]:
        values["framework"] = DEFAULT_FRAMEWORK
    return {k: (v or None) if k != "name" else v for k, v in values.items()}


def _usable_skill(problems: Problems, session: Session, field_name: str, skill_id: str) -> None:
    skill = session.get(Skill, skill_id)
    if skill is None:
        problems.add(field_name, "There is no skill %(id)s.", "unknown_skill", id=skill_id)
    elif skill.retired_at is not None:
        problems.add(
            field_name,
            "The skill %(name)s is retired; bring it back before a job family requires it.",
            "retired_skill",
            name=skill.name,
        )


def _level(problems: Problems, field_name: str, text: str) -> int:
    try:
        level = int(text.strip())
    except ValueError:
        level = 0
    if level not in LEVEL_NAMES:
        problems.add(
            field_name,
            "Choose a level from %(low)d to %(high)d.",
            "bad_level",
            low=min(LEVEL_NAMES),
            high=max(LEVEL_NAMES),
        )
    return level


def _rebuild(session: Session, services: Services) -> int:
    issuer = own_issuer(session, services)
    return rebuild_achievements(
        session,
        issuer,
        public_url=services.settings.public_url,
        issuer_profile=issuer_profile(issuer, public_url=services.settings.public_url),
        create_for=(),
    )


def create_job_family(
    session: Session, services: Services, data: NewJobFamily, *, actor: str, now: datetime
) -> JobFamily:
    """A new job family requiring the skills of ``data``; the achievements of those skills get
    its alignment. Raises :class:`~passport.catalog.validation.CatalogFormError`."""
    from passport.catalog.skills import slugify

    problems = Problems()
    details = _details(problems, data.details)
    family_id = data.id.strip() or slugify(str(details["name"]))
    # A blank id is made from the name; with no name either, "Name is required" says it all.
    if family_id or details["name"]:
        family_id = problems.slug("id", family_id, "Id")
    if family_id and session.get(JobFamily, family_id) is not None:
        problems.add(
            "id",
            "A job family with the id %(id)s already exists; choose another id.",
            "duplicate_id",
            id=family_id,
        )
    required: dict[str, int] = {}
    for index, (skill_id, level_text) in enumerate(data.requirements):
        skill_id = skill_id.strip()
        if not skill_id:
            continue
        field_name = f"req-{index}-skill"
        _usable_skill(problems, session, field_name, skill_id)
        level = _level(problems, f"req-{index}-level", level_text)
        if skill_id in required:
            problems.add(
                field_name,
                "The skill %(id)s is listed twice; keep one row per skill.",
                "duplicate_skill",
                id=skill_id,
            )
        required[skill_id] = level
    if not required:
        problems.add("req-0-skill", "A job family needs at least one required skill.", "no_skills")
    problems.raise_any()
    family = JobFamily(id=family_id, updated_at=now, **details)
    family.requirements = [
        JobFamilySkill(job_family_id=family_id, skill_id=s, min_level=level)
        for s, level in required.items()
    ]
    session.add(family)
    session.flush()
    _rebuild(session, services)
    record_event(
        session,
        actor,
        "job_family.create",
        family.id,
        {"name": family.name, "requirements": required},
        at=now,
    )
    return family


def update_job_family(
    session: Session,
    services: Services,
    family_id: str,
    edit: JobFamilyEdit,
    *,
    actor: str,
    now: datetime,
) -> int | None:
    """Apply ``edit``; return how many achievement definitions changed, None when nothing did.

    Raises :class:`~passport.catalog.validation.CatalogFormError` (an :class:`InvalidRequest`)
    for bad details, an unknown, retired or duplicate skill, or an edit that would leave the
    family with no required skill.
    """
    family = find_job_family(session, family_id)
    problems = Problems()
    changes: dict[str, Any] = {"levels": {}, "removed": [], "added": {}, "details": {}}
    if edit.details is not None:
        for name, value in _details(problems, edit.details).items():
            if getattr(family, name) != value:
                changes["details"][name] = [getattr(family, name), value]
    required_before = {req.skill_id for req in family.requirements}
    if edit.add is not None:
        skill_id, level = edit.add
        _usable_skill(problems, session, "add_skill", skill_id)
        if skill_id in required_before:
            problems.add(
                "add_skill",
                "%(id)s is already required by this job family.",
                "duplicate_skill",
                id=skill_id,
            )
    if not required_before - edit.remove and edit.add is None:
        problems.add("requirements", "A job family needs at least one required skill.", "no_skills")
    problems.raise_any()
    for name, (_, value) in changes["details"].items():
        setattr(family, name, value)
    for req in list(family.requirements):
        if req.skill_id in edit.remove:
            family.requirements.remove(req)
            changes["removed"].append(req.skill_id)
            continue
        level = edit.levels.get(req.skill_id, req.min_level)
        if level != req.min_level:
            changes["levels"][req.skill_id] = [req.min_level, level]
            req.min_level = level
    if edit.add is not None:
        skill_id, level = edit.add
        family.requirements.append(
            JobFamilySkill(job_family_id=family.id, skill_id=skill_id, min_level=level)
        )
        changes["added"][skill_id] = level
    if not any(changes.values()):
        return None
    if not family.requirements:  # pragma: no cover - refused above
        raise InvalidRequest("A job family needs at least one required skill.", code="no_skills")
    family.updated_at = now
    session.flush()
    rebuilt = _rebuild(session, services)
    record_event(
        session,
        actor,
        "job_family.update",
        family.id,
        {k: v for k, v in changes.items() if v},
        at=now,
    )
    return rebuilt


def set_job_family_retired(
    session: Session, family_id: str, retired: bool, *, actor: str, now: datetime
) -> JobFamily:
    """Retire a job family (kept for history, offered for nothing new) or bring it back.
    Retiring twice changes nothing."""
    family = find_job_family(session, family_id)
    if retired == (family.retired_at is not None):
        return family
    family.retired_at = now if retired else None
    record_event(
        session,
        actor,
        "job_family.retire" if retired else "job_family.unretire",
        family.id,
        at=now,
    )
    return family
