"""Job-family fit: only verified badges count; the right gaps; matching by catalog id/alignment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from verifier import Verifier
from verifier.errors import FormatError
from verifier.fit import fit, parse_job_family

from .conftest import ACHIEVEMENT, NOW

BASE = "https://issuer.example/achievements/"
FAMILY = {
    "id": "https://issuer.example/job-families/platform",
    "type": "JobFamily",
    "name": "Platform Engineering",
    "requirements": [
        {"skill": "k8s", "skillName": "Kubernetes", "minLevel": 2, "achievement": BASE + "k8s-l2"},
        {"skill": "iac", "skillName": "IaC", "minLevel": 3, "achievement": BASE + "iac-l3"},
        {
            "skill": "soc",
            "skillName": "Security ops",
            "minLevel": 1,
            "alignment": {"targetFramework": "NICE", "targetCode": "PR-CIR-001"},
        },
    ],
}


def _achievement(skill: str, level: int, **extra: Any) -> dict[str, Any]:
    return {**ACHIEVEMENT, "id": f"{BASE}{skill}-l{level}", **extra}


def _subject(achievement: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": ["AchievementSubject"],
        "id": "did:example:learner",
        "achievement": achievement,
    }


def test_coverage_matrix_and_gaps(verifier: Verifier, token: Callable[..., str]) -> None:
    nice = [
        {
            "type": ["Alignment"],
            "targetName": "Cyber Defense Incident Responder",
            "targetUrl": "https://niccs.cisa.gov/workforce-development/nice-framework",
            "targetFramework": "NICE",
            "targetCode": "PR-CIR-001",
        }
    ]
    reports = [
        verifier.report(token(credentialSubject=_subject(_achievement("k8s", 3))), now=NOW),
        verifier.report(token(credentialSubject=_subject(_achievement("iac", 2))), now=NOW),
        verifier.report(
            token(credentialSubject=_subject(_achievement("soc-x", 1, alignment=nice))), now=NOW
        ),
    ]
    result = fit(parse_job_family(FAMILY), reports, now=NOW)
    rows = {r.requirement.skill: (r.status, r.level) for r in result.rows}
    assert rows == {"k8s": ("met", 3), "iac": ("below", 2), "soc": ("met", 1)}
    assert [g.requirement.skill for g in result.gaps] == ["iac"]
    assert result.rows[0].age_days == 1
    assert result.to_dict()["fits"] is False


def test_expired_and_tampered_badges_do_not_count_and_are_listed(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    expired = token(
        credentialSubject=_subject(_achievement("k8s", 4)),
        valid_from=NOW - timedelta(days=800),
        valid_until=NOW - timedelta(days=1),
    )
    good = token(credentialSubject=_subject(_achievement("iac", 3)))
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    reports = [verifier.report(t, now=NOW) for t in (expired, tampered)]
    result = fit(parse_job_family(FAMILY), reports, now=NOW)
    assert {r.requirement.skill: r.status for r in result.rows} == {
        "k8s": "missing",
        "iac": "missing",
        "soc": "missing",
    }
    assert len(result.not_counted) == 2


@pytest.mark.parametrize(
    "document",
    [[], {"requirements": "x"}, {"requirements": [{"skill": "a"}]}, {"requirements": [1]}],
)
def test_bad_job_family_files_are_refused(document: Any) -> None:
    with pytest.raises(FormatError):
        parse_job_family(document)


def test_best_shown_is_the_first_highest_level() -> None:
    from verifier.fit import best_shown

    assert best_shown(2, []) == ("missing", None)
    assert best_shown(2, [(1, "a")]) == ("below", (1, "a"))
    assert best_shown(2, [(1, "a"), (3, "b"), (3, "c"), (2, "d")]) == ("met", (3, "b"))
    assert best_shown(3, iter([(3, "x")])) == ("met", (3, "x"))


def test_an_authentic_badge_that_names_no_recipient_does_not_count(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    anonymous = {k: v for k, v in _subject(_achievement("k8s", 3)).items() if k != "id"}
    report = verifier.report(token(credentialSubject=anonymous), now=NOW)
    assert report.verified is True  # authentic: the missing recipient is a conformance note
    assert [d.code for d in report.deviations] == ["no_subject_identifier"]
    result = fit(parse_job_family(FAMILY), [report], now=NOW)
    assert {r.requirement.skill: r.status for r in result.rows}["k8s"] == "missing"
    assert [why for _, why in result.not_counted] == [
        "It names no recipient, so it shows nothing about them."
    ]
