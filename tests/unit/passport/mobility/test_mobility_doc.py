"""docs/mobility.md says what the code does: the recommendation's codes, the suppression
threshold, the ranking order and the pipeline's JSON fields."""

from __future__ import annotations

from pathlib import Path

from passport.mobility.pipeline import DECISIONS
from passport.outcomes.report import MIN_GROUP

DOC = (Path(__file__).parents[4] / "docs" / "mobility.md").read_text(encoding="utf-8")


def test_every_decision_is_defined_in_the_rule_s_order() -> None:
    places = [DOC.index(f"→ `{code}`") for code in DECISIONS]
    assert places == sorted(places)


def test_the_suppression_threshold_is_the_code_s() -> None:
    assert f"below {MIN_GROUP} (zero included)" in DOC
    assert f"`MIN_GROUP` = {MIN_GROUP}" in DOC
    assert '{"suppressed": true}' in DOC


def test_the_ranking_order_is_stated_as_implemented() -> None:
    steps = ["verified before unverified", "more skills met first", "smaller total shortfall"]
    places = [DOC.index(step) for step in steps] + [DOC.index("freshness: the newest issue")]
    assert places == sorted(places)


def test_every_field_of_the_pipeline_answer_is_shown() -> None:
    for field in (
        "jobFamily",
        "openings",
        "readyNow",
        "withinOneCohort",
        "inCohortNow",
        "recommendation",
        "nextCohort",
        "unlockSkills",
    ):
        assert f'"{field}"' in DOC, field
