"""Editing a job family: the skills it requires and the level each must reach.

A change rebuilds the published achievement definitions whose job-family alignments it touches
(credentials already issued keep the definition they were signed with) and leaves one audit
event listing what changed. A family always requires at least one skill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.catalog.achievements import rebuild_achievements
from passport.catalog.models import JobFamily, JobFamilySkill, Skill
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.errors import InvalidRequest, NotFound
from passport.services import Services

__all__ = ["JobFamilyEdit", "find_job_family", "update_job_family"]


@dataclass(frozen=True, slots=True)
class JobFamilyEdit:
    """What to change: new levels of kept skills, skills to drop, one skill to add."""

    levels: Mapping[str, int] = field(default_factory=dict)
    remove: frozenset[str] = frozenset()
    add: tuple[str, int] | None = None


def find_job_family(session: Session, family_id: str) -> JobFamily:
    """The job family with ``family_id``; :class:`NotFound` when there is none."""
    family = session.get(JobFamily, family_id)
    if family is None:
        raise NotFound("No job family with that id.", code="unknown_job_family")
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

    Raises :class:`InvalidRequest` for an unknown or duplicate skill, or an edit that would
    leave the family with no required skill.
    """
    family = find_job_family(session, family_id)
    changes: dict[str, Any] = {"levels": {}, "removed": [], "added": {}}
    required_before = {req.skill_id for req in family.requirements}
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
        if session.get(Skill, skill_id) is None:
            raise InvalidRequest(f"There is no skill {skill_id!r}.", code="unknown_skill")
        if skill_id in required_before:
            raise InvalidRequest(
                f"{skill_id} is already required by this job family.", code="duplicate_skill"
            )
        family.requirements.append(
            JobFamilySkill(job_family_id=family.id, skill_id=skill_id, min_level=level)
        )
        changes["added"][skill_id] = level
    if not any(changes.values()):
        return None
    if not family.requirements:
        raise InvalidRequest("A job family needs at least one required skill.", code="no_skills")
    family.updated_at = now
    session.flush()
    issuer = own_issuer(session, services)
    rebuilt = rebuild_achievements(
        session,
        issuer,
        public_url=services.settings.public_url,
        issuer_profile=issuer_profile(issuer, public_url=services.settings.public_url),
    )
    record_event(
        session,
        actor,
        "job_family.update",
        family.id,
        {k: v for k, v in changes.items() if v},
        at=now,
    )
    return rebuilt
