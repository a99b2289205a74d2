"""Achievement words through catalog rebuilds: words still at the skill's defaults follow the
skill (a renamed skill renames its achievements); words an administrator chose are kept; an
import never creates achievements for skills it does not carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from passport.catalog.achievement_admin import AchievementInput, update_achievement
from passport.catalog.models import AchievementDefinition
from passport.catalog.skills import CriterionInput, SkillInput, create_skill
from passport.catalog.transfer import export_catalog, import_catalog_file
from passport.services import Services

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _name(services: Services, aid: str) -> str:
    with services.session() as db:
        row = db.get(AchievementDefinition, aid)
        assert row is not None
        return row.name


def test_an_imported_rename_follows_defaults_and_keeps_chosen_words(services: Services) -> None:
    with services.session() as db:
        update_achievement(
            db,
            services,
            "networking-l3",
            AchievementInput(skill_id="networking", level="3", name="Network wrangler"),
            actor="admin@x",
            now=NOW,
        )
        document = export_catalog(db)
    skill = next(s for s in document["skills"] if s["id"] == "networking")
    skill["name"] = "Computer networking"
    with services.session() as db:
        import_catalog_file(
            db, services, "c.json", json.dumps(document).encode(), actor="admin@x", now=NOW
        )
    assert _name(services, "networking-l2") == "Computer networking — Practitioner"
    assert _name(services, "networking-l3") == "Network wrangler"


def test_an_import_does_not_fill_in_levels_of_skills_it_does_not_carry(
    services: Services,
) -> None:
    with services.session() as db:
        create_skill(
            db,
            services,
            SkillInput(
                id="",
                name="Pairing",
                description="",
                valid_for_days="",
                criteria=[
                    CriterionInput(
                        id="", name="Share the keyboard", levels=dict.fromkeys(range(1, 5), "x")
                    )
                ],
            ),
            actor="admin@x",
            now=NOW,
        )
        document = export_catalog(db)
    document["skills"] = [s for s in document["skills"] if s["id"] != "pairing"]
    with services.session() as db:
        import_catalog_file(
            db, services, "c.json", json.dumps(document).encode(), actor="admin@x", now=NOW
        )
        assert db.get(AchievementDefinition, "pairing-l1") is None
