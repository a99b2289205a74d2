"""Achievement definitions: one OB 3.0 Achievement per skill at a level, built from the catalog.

Each Achievement has an ``achievementType`` (``Competency`` unless an administrator chose
another), ``criteria.narrative``, one ``resultDescription`` per rubric criterion (``resultType:
RubricCriterionLevel``, ordered levels, each described by the criterion's own text for that level
where it has one, ``requiredLevel`` = the achievement's level), alignments to public frameworks
(NICE work roles for skills, O*NET-SOC occupations for job families as ``targetType:
ext:JobFamily``) and ``tag``s — only properties the OB context defines (checklist §1.10).
Definitions are rebuilt from the catalog whenever it changes, keeping the name, description and
narrative an administrator gave them (:class:`AchievementTexts`); credentials already issued keep
the definition they were signed with.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill, Skill
from passport.credentials.models import Issuer
from passport.errors import InvalidRequest

__all__ = [
    "CATALOG_FILE",
    "LEVELS",
    "LEVEL_NAMES",
    "ONET_SUMMARY",
    "AchievementTexts",
    "achievement_definition",
    "achievement_id",
    "default_texts",
    "default_texts_of",
    "job_family_document",
    "level_info",
    "rebuild_achievements",
    "skill_default_texts",
]

#: The starter catalog shipped with the package; its ``levels`` are the rubric levels.
CATALOG_FILE = Path(__file__).parent / "data" / "it_catalog.json"
LEVELS: tuple[dict[str, Any], ...] = tuple(json.loads(CATALOG_FILE.read_text("utf-8"))["levels"])
ONET_SUMMARY = "https://www.onetonline.org/link/summary/"
#: Rubric level → its name ("Foundation" …), as forms and pages show it.
LEVEL_NAMES: dict[int, str] = {int(lvl["level"]): str(lvl["name"]) for lvl in LEVELS}


def achievement_id(skill_id: str, level: int) -> str:
    return f"{skill_id}-l{level}"


def level_info(level: int) -> dict[str, Any]:
    for entry in LEVELS:
        if entry["level"] == level:
            return entry
    raise InvalidRequest(f"Level {level} does not exist; levels are 1 to {len(LEVELS)}.")


@dataclass(frozen=True, slots=True)
class AchievementTexts:
    """The words of an achievement an administrator may change: its name, description and
    criteria narrative (the rubric and alignments always come from the catalog)."""

    name: str
    description: str
    narrative: str

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> AchievementTexts:
        criteria = definition.get("criteria") or {}
        return cls(
            name=str(definition.get("name", "")),
            description=str(definition.get("description", "")),
            narrative=str(criteria.get("narrative", "")) if isinstance(criteria, dict) else "",
        )


def default_texts(
    name: str, description: str, criteria: list[dict[str, Any]], level: int
) -> AchievementTexts:
    """The words a new achievement of a skill (``name``, ``description``, rubric ``criteria``)
    at ``level`` gets, before an administrator changes them."""
    info = level_info(level)
    criteria = criteria or [{"id": "overall", "name": name}]
    names = ", ".join(c["name"].lower() for c in criteria)
    return AchievementTexts(
        name=f"{name} — {info['name']}",
        description=description,
        narrative=(
            f"Assessed by a qualified assessor in hands-on work against the {name} "
            f"rubric ({names}). Every criterion reached level {level} "
            f"({info['name']}: {info['description']}) or above."
        ),
    )


def skill_default_texts(skill: Skill, level: int) -> AchievementTexts:
    return default_texts(skill.name, skill.description, json.loads(skill.criteria), level)


def default_texts_of(
    session: Session, skill_ids: Collection[str] | None = None
) -> dict[str, dict[int, AchievementTexts]]:
    """Today's default words of every level of the skills (all when None), to pass as
    ``previous`` to :func:`rebuild_achievements` after the skills change."""
    query = select(Skill)
    if skill_ids is not None:
        query = query.where(Skill.id.in_(list(skill_ids)))
    return {
        skill.id: {
            int(lvl["level"]): skill_default_texts(skill, int(lvl["level"])) for lvl in LEVELS
        }
        for skill in session.scalars(query)
    }


def achievement_definition(
    session: Session,
    skill: Skill,
    level: int,
    *,
    public_url: str,
    issuer_profile: dict[str, Any],
    texts: AchievementTexts | None = None,
    achievement_type: str = "Competency",
) -> dict[str, Any]:
    """The OB 3.0 Achievement JSON for ``skill`` at ``level`` (``texts``: its words when an
    administrator changed them; the catalog's defaults otherwise)."""
    aid = f"{public_url}/achievements/{achievement_id(skill.id, level)}"
    level_info(level)
    texts = texts or skill_default_texts(skill, level)
    criteria = json.loads(skill.criteria) or [{"id": "overall", "name": skill.name}]
    result_descriptions = []
    for criterion in criteria:
        base = f"{aid}#criterion-{criterion['id']}"
        result_descriptions.append(
            {
                "id": base,
                "type": ["ResultDescription"],
                "name": criterion["name"],
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": f"{base}-level-{lvl['level']}",
                        "type": ["RubricCriterionLevel"],
                        "name": lvl["name"],
                        "description": criterion.get("levels", {}).get(str(lvl["level"]))
                        or lvl["description"],
                        "level": str(lvl["level"]),
                    }
                    for lvl in LEVELS
                ],
                "requiredLevel": f"{base}-level-{level}",
            }
        )
    alignments: list[dict[str, Any]] = [
        {
            "type": ["Alignment"],
            "targetType": "ext:WorkRole" if "NICE" in a["framework"] else "ext:Skill",
            "targetName": a["name"],
            "targetFramework": a["framework"],
            "targetCode": a["code"],
            "targetUrl": a["url"],
        }
        for a in json.loads(skill.alignments)
    ]
    # A level counts towards a job family when it meets that family's minimum for the skill.
    families = session.scalars(
        select(JobFamily)
        .join(JobFamilySkill)
        .where(JobFamilySkill.skill_id == skill.id, JobFamilySkill.min_level <= level)
        .order_by(JobFamily.id)
    ).all()
    for family in families:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetType": "ext:JobFamily",
                "targetName": family.name,
                "targetDescription": f"{family.occupation} ({family.framework})",
                "targetFramework": family.framework or "O*NET-SOC 2019",
                "targetCode": family.code,
                "targetUrl": family.url or ONET_SUMMARY + (family.code or ""),
            }
        )
    definition: dict[str, Any] = {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": texts.name,
        "description": texts.description,
        "criteria": {"id": f"{aid}#criteria", "narrative": texts.narrative},
        "creator": issuer_profile,
        "resultDescription": result_descriptions,
        "tag": [*json.loads(skill.tags), *(f.name for f in families)],
    }
    if alignments:
        definition["alignment"] = alignments
    return definition


def rebuild_achievements(
    session: Session,
    issuer: Issuer,
    *,
    public_url: str,
    issuer_profile: dict[str, Any],
    create_for: Collection[str] | None = None,
    previous: Mapping[str, Mapping[int, AchievementTexts]] | None = None,
) -> int:
    """(Re)build the achievement definitions of the catalog's skills; return how many changed.

    Every existing achievement of a skill is rebuilt (rubric, alignments, tags), keeping the
    words an administrator gave it: a name, description or narrative still equal to the
    skill's defaults (``previous[skill][level]`` when the skill just changed, else today's)
    follows the skill, one that differs is kept. An achievement is created for every level of
    the skills in ``create_for`` (all skills when None: the starter catalog and imports) that
    has none yet.
    """
    changed = 0
    for skill in session.scalars(select(Skill).order_by(Skill.id)):
        for lvl in LEVELS:
            level = int(lvl["level"])
            aid = achievement_id(skill.id, level)
            row = session.get(AchievementDefinition, aid)
            if row is None:
                if create_for is not None and skill.id not in create_for:
                    continue
                definition = achievement_definition(
                    session, skill, level, public_url=public_url, issuer_profile=issuer_profile
                )
                session.add(
                    AchievementDefinition(
                        id=aid,
                        issuer_id=issuer.id,
                        skill_id=skill.id,
                        level=level,
                        name=definition["name"],
                        achievement_type="Competency",
                        definition=json.dumps(definition, ensure_ascii=False),
                        valid_for_days=skill.valid_for_days,
                    )
                )
                changed += 1
                continue
            current = AchievementTexts.of(row.document())
            before = (previous or {}).get(skill.id, {}).get(level) or skill_default_texts(
                skill, level
            )
            after = skill_default_texts(skill, level)
            texts = AchievementTexts(
                name=after.name if current.name == before.name else current.name,
                description=(
                    after.description
                    if current.description == before.description
                    else current.description
                ),
                narrative=(
                    after.narrative if current.narrative == before.narrative else current.narrative
                ),
            )
            definition = achievement_definition(
                session,
                skill,
                level,
                public_url=public_url,
                issuer_profile=issuer_profile,
                texts=texts,
                achievement_type=row.achievement_type or "Competency",
            )
            text = json.dumps(definition, ensure_ascii=False)
            if row.definition != text:
                row.definition = text
                row.name = definition["name"]
                changed += 1
    return changed


def job_family_document(family: JobFamily, *, public_url: str) -> dict[str, Any]:
    """The published JSON of a job family (stable URL ``/job-families/<id>``)."""
    return {
        "id": f"{public_url}/job-families/{family.id}",
        "type": "JobFamily",
        "name": family.name,
        "description": family.description,
        "occupation": {
            "framework": family.framework,
            "code": family.code,
            "name": family.occupation,
            "url": family.url,
        },
        "requirements": [
            {
                "skill": req.skill_id,
                "skillName": req.skill.name,
                "minLevel": req.min_level,
                "achievement": (
                    f"{public_url}/achievements/{achievement_id(req.skill_id, req.min_level)}"
                ),
                # The skill's public framework entries, so a badge of another issuer (an Open
                # Badges 2.0 badge, say) aligned to the same entry can be matched to it.
                **({"alignment": entries} if (entries := _framework_entries(req.skill)) else {}),
            }
            for req in family.requirements
        ],
    }


def _framework_entries(skill: Skill) -> list[dict[str, Any]]:
    return [
        {
            "type": ["Alignment"],
            "targetName": a["name"],
            "targetFramework": a["framework"],
            "targetCode": a["code"],
            "targetUrl": a["url"],
        }
        for a in json.loads(skill.alignments)
    ]
