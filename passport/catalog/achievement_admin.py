"""The administrator's use cases for achievements: list and search them, create one for a
skill at a level, change its words, type and validity, retire it and bring it back.

An achievement certifies one skill at one level (its id is ``<skill>-l<level>``). Once a badge
has been issued for it, what it certifies (skill and level) is fixed: the badges name it. Its
name, description and criteria may change, but only badges issued from then on carry the new
words — a signed badge is never altered. Every change leaves an audit event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.assessments.models import Assessment
from passport.audit import record_event
from passport.catalog.achievements import (
    LEVEL_NAMES,
    AchievementTexts,
    achievement_definition,
    achievement_id,
    skill_default_texts,
)
from passport.catalog.models import AchievementDefinition, Skill
from passport.catalog.skills import MAX_VALID_DAYS
from passport.catalog.validation import Problems
from passport.cohorts.models import CohortSkill
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.services import Services

__all__ = [
    "ACHIEVEMENT_TYPES",
    "AchievementInput",
    "create_achievement",
    "find_achievement",
    "issued_count",
    "search_achievements",
    "set_achievement_retired",
    "update_achievement",
]

#: The OB 3.0 ``achievementType`` values offered in the form (a subset of the spec's
#: enumeration, §B.1.3 AchievementType), each with the words a person reads.
ACHIEVEMENT_TYPES: dict[str, str] = {
    "Competency": "Competency",
    "Badge": "Badge",
    "MicroCredential": "Micro-credential",
    "Certificate": "Certificate",
    "CertificateOfCompletion": "Certificate of completion",
    "Certification": "Certification",
    "Course": "Course",
    "Assessment": "Assessment",
    "Award": "Award",
    "License": "Licence",
}


@dataclass(frozen=True, slots=True)
class AchievementInput:
    """The achievement form as typed; blank name, description or criteria take the skill's
    default words, a blank validity means badges never expire."""

    skill_id: str
    level: str
    name: str = ""
    achievement_type: str = "Competency"
    description: str = ""
    narrative: str = ""
    valid_for_days: str = ""


def find_achievement(session: Session, aid: str) -> AchievementDefinition:
    """The achievement with id ``aid``; :class:`NotFound` when there is none."""
    row = session.get(AchievementDefinition, aid)
    if row is None:
        raise NotFound("No achievement with that id.", code="unknown_achievement")
    return row


def issued_count(session: Session, aid: str) -> int:
    """How many badges were issued for the achievement ``aid``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(IssuedCredential)
            .where(IssuedCredential.achievement_id == aid)
        )
        or 0
    )


def search_achievements(
    session: Session, query: str = "", *, retired: bool = False, page: int = 1, size: int = 20
) -> tuple[list[AchievementDefinition], int]:
    """One page of achievements whose name, id or skill contains ``query`` (the retired ones,
    or the others), and how many match in all."""
    where: list[Any] = [
        AchievementDefinition.retired_at.is_not(None)
        if retired
        else AchievementDefinition.retired_at.is_(None)
    ]
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        where.append(
            or_(
                func.lower(AchievementDefinition.name).like(pattern),
                AchievementDefinition.id.like(pattern),
            )
        )
    total = int(
        session.scalar(select(func.count()).select_from(AchievementDefinition).where(*where)) or 0
    )
    rows = session.scalars(
        select(AchievementDefinition)
        .where(*where)
        .order_by(AchievementDefinition.name, AchievementDefinition.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return list(rows), total


def _checked(
    session: Session, data: AchievementInput, *, current: AchievementDefinition | None
) -> dict[str, Any]:
    problems = Problems()
    skill = session.get(Skill, data.skill_id.strip()) if data.skill_id.strip() else None
    if skill is None:
        problems.add("skill", "Choose the skill this achievement certifies.", "unknown_skill")
    elif skill.retired_at is not None and (current is None or current.skill_id != skill.id):
        problems.add(
            "skill",
            "The skill %(name)s is retired; bring it back before certifying it.",
            "retired_skill",
            name=skill.name,
        )
    try:
        level = int(data.level.strip())
    except ValueError:
        level = 0
    if level not in LEVEL_NAMES:
        problems.add(
            "level",
            "Choose a level from %(low)d to %(high)d.",
            "bad_level",
            low=min(LEVEL_NAMES),
            high=max(LEVEL_NAMES),
        )
    if data.achievement_type not in ACHIEVEMENT_TYPES:
        problems.add("achievement_type", "Choose a type from the list.", "bad_type")
    name = problems.text("name", data.name, "Name", max_length=200)
    description = problems.text("description", data.description, "Description", max_length=4000)
    narrative = problems.text("narrative", data.narrative, "Criteria", max_length=4000)
    valid_for_days = problems.days("valid_for_days", data.valid_for_days, maximum=MAX_VALID_DAYS)
    aid = achievement_id(skill.id, level) if skill is not None and level in LEVEL_NAMES else ""
    if aid and (current is None or current.id != aid):
        if current is not None and (used := issued_count(session, current.id)):
            problems.add(
                "skill",
                "Badges were issued for this achievement (%(count)d), so what it certifies "
                "(skill and level) cannot change. Create a new achievement instead.",
                "achievement_in_use",
                count=used,
            )
        elif current is not None and _referenced(session, current.id):
            problems.add(
                "skill",
                "Assessments or cohorts name this achievement, so what it certifies (skill and "
                "level) cannot change. Create a new achievement instead.",
                "achievement_in_use",
            )
        elif (existing := session.get(AchievementDefinition, aid)) is not None:
            problems.add(
                "level",
                "%(name)s already has a retired achievement at level %(level)d (%(id)s); bring "
                "it back instead."
                if existing.retired_at is not None
                else "%(name)s already has an achievement at level %(level)d (%(id)s); edit that "
                "one instead.",
                "duplicate_achievement",
                name=skill.name if skill else "",
                level=level,
                id=aid,
            )
    problems.raise_any()
    assert skill is not None
    defaults = skill_default_texts(skill, level)
    return {
        "id": aid,
        "skill": skill,
        "level": level,
        "achievement_type": data.achievement_type,
        "texts": AchievementTexts(
            name=name or defaults.name,
            description=description or defaults.description,
            narrative=narrative or defaults.narrative,
        ),
        "valid_for_days": valid_for_days,
    }


def _referenced(session: Session, aid: str) -> bool:
    for model in (Assessment, CohortSkill):
        if session.scalar(select(model.achievement_id).where(model.achievement_id == aid).limit(1)):
            return True
    return False


def _definition(session: Session, services: Services, values: dict[str, Any]) -> tuple[int, str]:
    issuer = own_issuer(session, services)
    public_url = services.settings.public_url
    definition = achievement_definition(
        session,
        values["skill"],
        values["level"],
        public_url=public_url,
        issuer_profile=issuer_profile(issuer, public_url=public_url),
        texts=values["texts"],
        achievement_type=values["achievement_type"],
    )
    return issuer.id, json.dumps(definition, ensure_ascii=False)


def _row(
    values: dict[str, Any],
    issuer_id: int,
    text: str,
    *,
    created_at: datetime,
    retired_at: datetime | None = None,
) -> AchievementDefinition:
    """The achievement row that checked form ``values`` describe."""
    return AchievementDefinition(
        id=values["id"],
        issuer_id=issuer_id,
        skill_id=values["skill"].id,
        level=values["level"],
        name=values["texts"].name,
        achievement_type=values["achievement_type"],
        definition=text,
        valid_for_days=values["valid_for_days"],
        created_at=created_at,
        retired_at=retired_at,
    )


def create_achievement(
    session: Session, services: Services, data: AchievementInput, *, actor: str, now: datetime
) -> AchievementDefinition:
    """A new achievement: the skill of ``data`` at its level, ready to be assessed and issued.
    Raises :class:`~passport.catalog.validation.CatalogFormError`."""
    values = _checked(session, data, current=None)
    issuer_id, text = _definition(session, services, values)
    row = _row(values, issuer_id, text, created_at=now)
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "achievement.create",
        row.id,
        {"name": row.name, "type": row.achievement_type},
        at=now,
    )
    return row


def update_achievement(
    session: Session,
    services: Services,
    aid: str,
    data: AchievementInput,
    *,
    actor: str,
    now: datetime,
) -> AchievementDefinition:
    """Change an achievement; badges already issued keep the definition they were signed with.

    What it certifies (skill, level — and so its id) may change only while no badge,
    assessment or cohort names it. Raises
    :class:`~passport.catalog.validation.CatalogFormError`.
    """
    row = find_achievement(session, aid)
    if row.skill_id is None:
        raise InvalidRequest(
            "This achievement is not part of the skills catalog, so it cannot be edited here.",
            code="not_in_catalog",
        )
    values = _checked(session, data, current=row)
    issuer_id, text = _definition(session, services, values)
    before = {
        "id": row.id,
        "name": row.name,
        "type": row.achievement_type,
        "valid_for_days": row.valid_for_days,
        "words": AchievementTexts.of(row.document()),
    }
    if values["id"] != row.id:
        # Nothing names the old id (checked above): replace the row by one under the new id.
        replacement = _row(
            values, issuer_id, text, created_at=row.created_at, retired_at=row.retired_at
        )
        session.delete(row)
        session.flush()
        session.add(replacement)
        row = replacement
    else:
        row.name = values["texts"].name
        row.achievement_type = values["achievement_type"]
        row.definition = text
        row.valid_for_days = values["valid_for_days"]
    session.flush()
    after = {
        "id": row.id,
        "name": row.name,
        "type": row.achievement_type,
        "valid_for_days": row.valid_for_days,
        "words": values["texts"],
    }
    changed = {
        k: [before[k], after[k]] if k != "words" else True for k in after if before[k] != after[k]
    }
    record_event(session, actor, "achievement.update", aid, changed or None, at=now)
    return row


def set_achievement_retired(
    session: Session, aid: str, retired: bool, *, actor: str, now: datetime
) -> AchievementDefinition:
    """Retire an achievement (its badges stay valid; nothing new is assessed or issued for it)
    or bring it back. Retiring twice changes nothing."""
    row = find_achievement(session, aid)
    if retired == (row.retired_at is not None):
        return row
    row.retired_at = now if retired else None
    record_event(
        session, actor, "achievement.retire" if retired else "achievement.unretire", row.id, at=now
    )
    return row
