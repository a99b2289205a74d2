"""The assessment → issuance rule: no badge without a passing assessment; nothing twice."""

from __future__ import annotations

import json

import pytest

from passport.assessments.models import Assessment
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.services import Services

LEVELS = {"triage": 3, "communication": 2, "review": 2}


def record(services: Services, **changes: object):  # type: ignore[no-untyped-def]
    data = {
        "learner_email": "Ada@Example.com",
        "achievement_id": "incident-response-l2",
        "levels": LEVELS,
        "assessor": "assessor@example.com",
        **changes,
    }
    with services.session() as session:
        return record_assessment(session, services, AssessmentInput(**data), now=services.now())  # type: ignore[arg-type]


def test_a_pass_issues_a_badge_with_results_and_evidence(services: Services) -> None:
    outcome = record(
        services,
        evidence=[
            EvidenceInput(name="Post-incident review", narrative="Led the review of INC-42."),
            EvidenceInput(
                file_name="timeline.txt", file_content=b"12:00 page\n", media_type="text/plain"
            ),
        ],
    )
    assert outcome.passed and outcome.created and outcome.credential_id
    with services.session() as session:
        content = session.get(IssuedCredential, outcome.credential_id).content  # type: ignore[union-attr]
        verifier = services.verifier(session)
    credential = json.loads(content)
    results = credential["credentialSubject"]["result"]
    assert [r["achievedLevel"].rsplit("#", 1)[1] for r in results] == [
        "criterion-triage-level-3",
        "criterion-communication-level-2",
        "criterion-review-level-2",
    ]
    assert credential["evidence"][0]["narrative"] == "Led the review of INC-42."
    assert credential["evidence"][1]["id"].startswith("ni:///sha-256;")
    assert any(
        a["targetType"] == "ext:JobFamily"
        for a in credential["credentialSubject"]["achievement"]["alignment"]
    )
    assert verifier.report(content, now=services.now()).verified


def test_a_fail_issues_nothing(services: Services) -> None:
    outcome = record(services, levels={**LEVELS, "review": 1})
    assert outcome.passed is False and outcome.credential_id is None
    assert outcome.shortfalls == ("review at level 1",)


def test_resubmitting_with_the_same_key_issues_nothing_twice(services: Services) -> None:
    first = record(services, idempotency_key="lms-42")
    second = record(services, idempotency_key="lms-42")
    assert second.created is False and second.credential_id == first.credential_id
    with services.session() as session:
        assert session.query(IssuedCredential).count() == 1
        assert session.query(Assessment).count() == 1


@pytest.mark.parametrize(
    ("levels", "code"),
    [
        ({"triage": 5, "communication": 2, "review": 2}, "unknown_level"),
        ({"triage": 0, "communication": 2, "review": 2}, "unknown_level"),
        ({"triage": 3, "communication": 2}, "missing_criterion"),
        ({**LEVELS, "vibes": 4}, "unknown_criterion"),
    ],
)
def test_bad_rubric_input_is_refused_and_nothing_is_stored(
    services: Services, levels: dict[str, int], code: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        record(services, levels=levels)
    assert caught.value.code == code
    with services.session() as session:
        assert session.query(Assessment).count() == 0


def test_unknown_achievement(services: Services) -> None:
    with pytest.raises(NotFound):
        record(services, achievement_id="juggling-l9")


def test_jwt_format_also_carries_the_results(services: Services) -> None:
    outcome = record(services, proof_format="jwt")
    with services.session() as session:
        content = session.get(IssuedCredential, outcome.credential_id).content  # type: ignore[union-attr]
        assert services.verifier(session).report(content, now=services.now()).verified
    assert content.count(b".") == 2
