"""Skills: their rubric criteria, and the achievements an assessment can earn."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.catalog.models import AchievementDefinition, Skill

__all__ = ["assessable_achievements", "rubric_criteria"]


def rubric_criteria(skill: Skill) -> list[dict[str, str]]:
    """The rubric criteria of ``skill`` (one ``overall`` criterion when it has none)."""
    criteria: list[dict[str, str]] = json.loads(skill.criteria) or [
        {"id": "overall", "name": skill.name}
    ]
    return criteria


def assessable_achievements(session: Session) -> list[tuple[Skill, list[AchievementDefinition]]]:
    """Achievements that an assessment can earn (a skill at a level), grouped by skill."""
    groups: dict[str, tuple[Skill, list[AchievementDefinition]]] = {}
    for skill in session.scalars(select(Skill).order_by(Skill.name)):
        groups[skill.id] = (skill, [])
    for achievement in session.scalars(
        select(AchievementDefinition)
        .where(AchievementDefinition.skill_id.is_not(None))
        .order_by(AchievementDefinition.level)
    ):
        if achievement.skill_id in groups:
            groups[achievement.skill_id][1].append(achievement)
    return [group for group in groups.values() if group[1]]
