"""Skills: their rubric (criteria × levels), the achievements an assessment can earn, and the
administrator's use cases — create, edit, retire and bring back a skill.

A skill's ``criteria`` is a JSON list of ``{"id", "name", "levels": {"1": "…", … "N": "…"}}``:
one rubric description per criterion per level (levels 1..N of the catalog). ``levels`` may be
missing in older data; the catalog-wide description of each level stands in for it then.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.catalog.achievements import LEVELS, default_texts_of, rebuild_achievements
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill, Skill
from passport.catalog.validation import Problems
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.errors import NotFound
from passport.services import Services

__all__ = [
    "MAX_VALID_DAYS",
    "CriterionInput",
    "SkillInput",
    "assessable_achievements",
    "create_skill",
    "families_requiring",
    "find_skill",
    "rubric_criteria",
    "rubric_grid",
    "search_skills",
    "set_skill_retired",
    "slugify",
    "update_skill",
]

#: Badges are valid at most ten years (a longer freshness is no freshness).
MAX_VALID_DAYS = 3650


def rubric_criteria(skill: Skill) -> list[dict[str, Any]]:
    """The rubric criteria of ``skill`` (one ``overall`` criterion when it has none)."""
    criteria: list[dict[str, Any]] = json.loads(skill.criteria) or [
        {"id": "overall", "name": skill.name}
    ]
    return criteria


def rubric_grid(skill: Skill) -> list[dict[str, Any]]:
    """The rubric as rows: ``{id, name, levels: {level: description}}`` for every level, the
    catalog-wide level description standing in where the criterion has none."""
    return [
        {
            "id": c["id"],
            "name": c["name"],
            "levels": {
                int(lvl["level"]): (c.get("levels") or {}).get(str(lvl["level"]))
                or lvl["description"]
                for lvl in LEVELS
            },
        }
        for c in rubric_criteria(skill)
    ]


def assessable_achievements(session: Session) -> list[tuple[Skill, list[AchievementDefinition]]]:
    """Achievements that an assessment can earn (a skill at a level), grouped by skill; retired
    skills and achievements are offered for nothing new."""
    groups: dict[str, tuple[Skill, list[AchievementDefinition]]] = {}
    for skill in session.scalars(
        select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name)
    ):
        groups[skill.id] = (skill, [])
    for achievement in session.scalars(
        select(AchievementDefinition)
        .where(
            AchievementDefinition.skill_id.is_not(None),
            AchievementDefinition.retired_at.is_(None),
        )
        .order_by(AchievementDefinition.level)
    ):
        if achievement.skill_id in groups:
            groups[achievement.skill_id][1].append(achievement)
    return [group for group in groups.values() if group[1]]


def slugify(text: str) -> str:
    """A slug-like id made from a name: "Site reliability (SRE)" → "site-reliability-sre"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:63].rstrip("-")


def find_skill(session: Session, skill_id: str) -> Skill:
    """The skill with ``skill_id``; :class:`NotFound` when there is none."""
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise NotFound("No skill with that id.", code="unknown_skill")
    return skill


def search_skills(
    session: Session, query: str = "", *, retired: bool = False, page: int = 1, size: int = 20
) -> tuple[list[Skill], int]:
    """One page of skills whose name or id contains ``query`` (retired ones, or the others);
    and how many match in all."""
    where: list[Any] = [Skill.retired_at.is_not(None) if retired else Skill.retired_at.is_(None)]
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        where.append(or_(func.lower(Skill.name).like(pattern), Skill.id.like(pattern)))
    total = int(session.scalar(select(func.count()).select_from(Skill).where(*where)) or 0)
    rows = session.scalars(
        select(Skill).where(*where).order_by(Skill.name).offset((page - 1) * size).limit(size)
    ).all()
    return list(rows), total


@dataclass(frozen=True, slots=True)
class CriterionInput:
    """One row of the rubric grid as typed: an id (blank: made from the name), a name, and the
    description at each level (level number → text)."""

    id: str
    name: str
    levels: dict[int, str]

    def blank(self) -> bool:
        """No name and no description: the row is skipped (an emptied criterion is removed,
        even though the form still sends its fixed id)."""
        return not (self.name.strip() or any(v.strip() for v in self.levels.values()))


@dataclass(frozen=True, slots=True)
class SkillInput:
    """The skill form as typed (``valid_for_days`` blank: badges never expire)."""

    id: str
    name: str
    description: str
    valid_for_days: str
    criteria: Sequence[CriterionInput]


def _checked(session: Session, data: SkillInput, *, new: bool) -> dict[str, Any]:
    """``data`` checked (every problem at once) and made into column values."""
    problems = Problems()
    name = problems.text("name", data.name, "Name", max_length=200, required=True)
    skill_id = data.id.strip() or (slugify(name) if new else "")
    # A blank id is made from the name; with no name either, "Name is required" says it all.
    if new and (skill_id or name):
        skill_id = problems.slug("id", skill_id, "Id")
        if skill_id and session.get(Skill, skill_id) is not None:
            problems.add(
                "id",
                "A skill with the id %(id)s already exists; choose another id.",
                "duplicate_id",
                id=skill_id,
            )
    description = problems.text("description", data.description, "Description", max_length=4000)
    valid_for_days = problems.days("valid_for_days", data.valid_for_days, maximum=MAX_VALID_DAYS)
    criteria: list[dict[str, Any]] = []
    seen: set[str] = set()
    levels = [int(lvl["level"]) for lvl in LEVELS]
    for index, row in enumerate(data.criteria):
        if row.blank():
            continue
        prefix = f"criteria-{index}"
        cname = problems.text(
            f"{prefix}-name", row.name, "The criterion's name", max_length=200, required=True
        )
        cid = problems.slug(f"{prefix}-id", row.id.strip() or slugify(cname), "The criterion's id")
        if cid in seen:
            problems.add(
                f"{prefix}-id",
                "Two criteria have the id %(id)s; each criterion needs its own.",
                "duplicate_id",
                id=cid,
            )
        seen.add(cid)
        texts: dict[str, str] = {}
        for level in levels:
            text = row.levels.get(level, "").strip()
            if not text:
                problems.add(
                    f"{prefix}-level-{level}",
                    "Describe %(criterion)s at level %(level)d.",
                    "missing_field",
                    criterion=cname or cid or str(index + 1),
                    level=level,
                )
            elif len(text) > 1000:
                problems.add(
                    f"{prefix}-level-{level}",
                    "The description of %(criterion)s at level %(level)d is longer than "
                    "1000 characters.",
                    "field_too_long",
                    criterion=cname or cid,
                    level=level,
                )
            texts[str(level)] = text
        unknown = set(row.levels) - set(levels)
        if unknown:
            problems.add(
                f"{prefix}-name",
                "The rubric has levels 1 to %(n)d only.",
                "bad_level",
                n=len(levels),
            )
        criteria.append({"id": cid, "name": cname, "levels": texts})
    if not criteria:
        problems.add(
            "criteria-0-name",
            "A skill needs at least one rubric criterion, described at every level.",
            "no_criteria",
        )
    problems.raise_any()
    return {
        "id": skill_id,
        "name": name,
        "description": description,
        "valid_for_days": valid_for_days,
        "criteria": criteria,
    }


def _rebuild(session: Session, services: Services, **options: Any) -> int:
    issuer = own_issuer(session, services)
    return rebuild_achievements(
        session,
        issuer,
        public_url=services.settings.public_url,
        issuer_profile=issuer_profile(issuer, public_url=services.settings.public_url),
        **options,
    )


def create_skill(
    session: Session, services: Services, data: SkillInput, *, actor: str, now: datetime
) -> Skill:
    """A new skill with its rubric; no achievement yet (create those for the levels you
    certify). Raises :class:`~passport.catalog.validation.CatalogFormError`."""
    values = _checked(session, data, new=True)
    skill = Skill(
        id=values["id"],
        name=values["name"],
        description=values["description"],
        criteria=json.dumps(values["criteria"], ensure_ascii=False),
        alignments="[]",
        tags="[]",
        valid_for_days=values["valid_for_days"],
        updated_at=now,
    )
    session.add(skill)
    session.flush()
    record_event(
        session,
        actor,
        "skill.create",
        skill.id,
        {"name": skill.name, "criteria": [c["id"] for c in values["criteria"]]},
        at=now,
    )
    return skill


def update_skill(
    session: Session,
    services: Services,
    skill_id: str,
    data: SkillInput,
    *,
    actor: str,
    now: datetime,
) -> int | None:
    """Change a skill and its rubric; rebuild its achievements (badges already issued keep the
    definition they were signed with). Returns how many achievement definitions changed, None
    when nothing did. Raises :class:`~passport.catalog.validation.CatalogFormError`."""
    skill = find_skill(session, skill_id)
    values = _checked(session, data, new=False)
    before = {
        "name": skill.name,
        "description": skill.description,
        "valid_for_days": skill.valid_for_days,
        "criteria": json.loads(skill.criteria),
    }
    changed = {k: [before[k], values[k]] for k in before if before[k] != values[k]}
    if not changed:
        return None
    previous = default_texts_of(session, [skill.id])
    old_days = skill.valid_for_days
    skill.name = values["name"]
    skill.description = values["description"]
    skill.criteria = json.dumps(values["criteria"], ensure_ascii=False)
    skill.valid_for_days = values["valid_for_days"]
    skill.updated_at = now
    if "valid_for_days" in changed:
        # Achievements still on the skill's old validity follow it; one set apart keeps its own.
        for row in session.scalars(
            select(AchievementDefinition).where(AchievementDefinition.skill_id == skill.id)
        ):
            if row.valid_for_days == old_days:
                row.valid_for_days = values["valid_for_days"]
    session.flush()
    rebuilt = _rebuild(session, services, create_for=(), previous=previous)
    detail = {k: v for k, v in changed.items() if k != "criteria"}
    if "criteria" in changed:
        detail["criteria"] = [c["id"] for c in values["criteria"]]
    record_event(session, actor, "skill.update", skill.id, detail, at=now)
    return rebuilt


def families_requiring(session: Session, skill_id: str) -> list[JobFamily]:
    """The job families (retired or not) that require ``skill_id``."""
    return list(
        session.scalars(
            select(JobFamily)
            .join(JobFamilySkill)
            .where(JobFamilySkill.skill_id == skill_id)
            .order_by(JobFamily.name)
        )
    )


def set_skill_retired(
    session: Session, skill_id: str, retired: bool, *, actor: str, now: datetime
) -> Skill:
    """Retire a skill (kept for the badges and job families that name it, offered for nothing
    new) or bring it back. Retiring twice changes nothing."""
    skill = find_skill(session, skill_id)
    if retired == (skill.retired_at is not None):
        return skill
    skill.retired_at = now if retired else None
    record_event(session, actor, "skill.retire" if retired else "skill.unretire", skill.id, at=now)
    return skill
