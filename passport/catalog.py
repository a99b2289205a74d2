"""The achievement catalog: turning catalog entries into OB 3.0 Achievement definitions.

Each entry is one skill at one level (``achievementType: Competency``) with criteria, a rubric
(``resultDescription`` of ``resultType: RubricCriterionLevel`` with ordered levels and a
``requiredLevel``) and job-family alignments (``targetType: ext:JobFamily``, O*NET-SOC codes) plus
tags. Only properties the OB context defines are used (checklist §1.10).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.models import Achievement, Issuer

__all__ = ["achievement_definition", "load_starter_catalog", "starter_catalog"]

ONET_SUMMARY = "https://www.onetonline.org/link/summary/"


def starter_catalog() -> dict[str, Any]:
    """The catalog shipped with the package (``passport/data/starter_catalog.json``)."""
    text = (Path(__file__).parent / "data" / "starter_catalog.json").read_text("utf-8")
    catalog: dict[str, Any] = json.loads(text)
    return catalog


def achievement_definition(
    entry: dict[str, Any],
    catalog: dict[str, Any],
    *,
    public_url: str,
    issuer_profile: dict[str, Any],
) -> dict[str, Any]:
    """Return the OB 3.0 Achievement JSON for one catalog entry."""
    achievement_id = f"{public_url}/achievements/{entry['slug']}"
    levels = [
        {
            "id": f"{achievement_id}#level-{lvl['level']}",
            "type": ["RubricCriterionLevel"],
            "name": lvl["name"],
            "description": lvl["description"],
            "level": lvl["level"],
        }
        for lvl in catalog["rubric_levels"]
    ]
    alignments = []
    for key in entry.get("job_families", []):
        family = catalog["job_families"][key]
        alignments.append(
            {
                "type": ["Alignment"],
                "targetType": "ext:JobFamily",
                "targetName": family["name"],
                "targetDescription": f"{family['occupation']} ({family['framework']})",
                "targetFramework": family["framework"],
                "targetCode": family["code"],
                "targetUrl": ONET_SUMMARY + family["code"],
            }
        )
    definition: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": entry["name"],
        "description": entry["description"],
        "criteria": {"id": f"{achievement_id}#criteria", "narrative": entry["criteria"]},
        "creator": issuer_profile,
        "resultDescription": [
            {
                "id": f"{achievement_id}#result",
                "type": ["ResultDescription"],
                "name": f"{entry['skill']}: assessed level",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": levels,
                "requiredLevel": f"{achievement_id}#level-{entry['required_level']}",
            }
        ],
        "tag": [
            *entry.get("tags", []),
            *(catalog["job_families"][k]["name"] for k in entry.get("job_families", [])),
        ],
    }
    if alignments:
        definition["alignment"] = alignments
    return definition


def load_starter_catalog(
    session: Session, issuer: Issuer, *, public_url: str, issuer_profile: dict[str, Any]
) -> int:
    """Add the starter achievements that are not in the database yet; return how many."""
    catalog = starter_catalog()
    existing = set(session.scalars(select(Achievement.id)))
    added = 0
    for entry in catalog["achievements"]:
        if entry["slug"] in existing:
            continue
        definition = achievement_definition(
            entry, catalog, public_url=public_url, issuer_profile=issuer_profile
        )
        session.add(
            Achievement(
                id=entry["slug"],
                issuer_id=issuer.id,
                name=entry["name"],
                achievement_type="Competency",
                definition=json.dumps(definition, ensure_ascii=False),
                valid_for_days=entry.get("valid_for_days"),
            )
        )
        added += 1
    return added
