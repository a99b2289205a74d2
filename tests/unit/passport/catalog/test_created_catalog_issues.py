"""A skill and an achievement made through the catalog use cases (no starter data behind them)
can be assessed, and the badge issued for them verifies: the issuer checks its own output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from passport.accounts.users import create_user
from passport.assessments.record import AssessmentInput, record_assessment
from passport.catalog.achievement_admin import AchievementInput, create_achievement
from passport.catalog.skills import CriterionInput, SkillInput, create_skill
from passport.credentials.models import IssuedCredential
from passport.services import Services

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def test_a_badge_for_a_new_skill_is_issued(services: Services) -> None:
    levels = {n: f"Shares the keyboard at level {n}." for n in range(1, 5)}
    with services.session() as db:
        create_user(db, email="lea@x.org", name="Lea", role="learner", password="plum tree yard")
        create_skill(
            db,
            services,
            SkillInput(
                id="",
                name="Pairing",
                description="Works with a partner at one keyboard.",
                valid_for_days="",
                criteria=[CriterionInput(id="", name="Share the keyboard", levels=levels)],
            ),
            actor="admin@x",
            now=NOW,
        )
        create_achievement(
            db, services, AchievementInput(skill_id="pairing", level="2"), actor="admin@x", now=NOW
        )
    with services.session() as db:
        outcome = record_assessment(
            db,
            services,
            AssessmentInput(
                learner_email="lea@x.org",
                achievement_id="pairing-l2",
                levels={"*": 2},
                assessor="ana@x.org",
            ),
            now=services.now(),
        )
        assert outcome.passed and outcome.credential_id is not None
        record = db.get(IssuedCredential, outcome.credential_id)
        assert record is not None and record.valid_until is None
        assert "Pairing — Practitioner" in record.content.decode()
        assert "Shares the keyboard at level 2." in json.dumps(
            record.achievement.document()["resultDescription"]
        )
