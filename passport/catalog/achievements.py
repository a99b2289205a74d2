"""Achievement definitions: one OB 3.0 Achievement per skill at a level, built from the catalog.

Each Achievement is ``achievementType: Competency`` with ``criteria.narrative``, one
``resultDescription`` per rubric criterion (``resultType: RubricCriterionLevel``, ordered levels,
``requiredLevel`` = the achievement's level), alignments to public frameworks (NICE work roles for
skills, O*NET-SOC occupations for job families as ``targetType: ext:JobFamily``) and ``tag``s —
only properties the OB context defines (checklist §1.10). Definitions are rebuilt from the
catalog whenever it changes; credentials already issued keep the definition they were signed with.
"""

from __future__ import annotations

import json
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
    "achievement_definition",
    "achievement_id",
    "job_family_document",
    "level_info",
    "rebuild_achievements",
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


def achievement_definition(
    session: Session, skill: Skill, level: int, *, public_url: str, issuer_profile: dict[str, Any]
) -> dict[str, Any]:
    """The OB 3.0 Achievement JSON for ``skill`` at ``level``."""
    aid = f"{public_url}/achievements/{achievement_id(skill.id, level)}"
    info = level_info(level)
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
    names = ", ".join(c["name"].lower() for c in criteria)
    definition: dict[str, Any] = {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"{skill.name} — {info['name']}",
        "description": skill.description,
        "criteria": {
            "id": f"{aid}#criteria",
            "narrative": (
                f"Assessed by a qualified assessor in hands-on work against the {skill.name} "
                f"rubric ({names}). Every criterion reached level {level} "
                f"({info['name']}: {info['description']}) or above."
            ),
        },
        "creator": issuer_profile,
        "resultDescription": result_descriptions,
        "tag": [*json.loads(skill.tags), *(f.name for f in families)],
    }
    if alignments:
        definition["alignment"] = alignments
    return definition


def rebuild_achievements(
    session: Session, issuer: Issuer, *, public_url: str, issuer_profile: dict[str, Any]
) -> int:
    """(Re)build the Achievement of every skill at every level; return how many changed."""
    changed = 0
    for skill in session.scalars(select(Skill).order_by(Skill.id)):
        for lvl in LEVELS:
            level = int(lvl["level"])
            definition = achievement_definition(
                session, skill, level, public_url=public_url, issuer_profile=issuer_profile
            )
            text = json.dumps(definition, ensure_ascii=False)
            aid = achievement_id(skill.id, level)
            row = session.get(AchievementDefinition, aid)
            if row is None:
                session.add(
                    AchievementDefinition(
                        id=aid,
                        issuer_id=issuer.id,
                        skill_id=skill.id,
                        level=level,
                        name=definition["name"],
                        achievement_type="Competency",
                        definition=text,
                        valid_for_days=skill.valid_for_days,
                    )
                )
                changed += 1
            elif row.definition != text:
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
