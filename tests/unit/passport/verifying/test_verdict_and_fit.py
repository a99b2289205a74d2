"""The verify page's domain: what was handed over (verify_submission), the verdict and badge
cards (verdict_of), and the fit's honest suggestions (suggestions_for)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from passport.accounts.users import create_user
from passport.catalog.achievements import achievement_id
from passport.cohorts.models import Cohort, CohortMember, CohortSkill
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.services import Services
from passport.sharing.links import create_share_link
from passport.verifying.fit import (
    Closer,
    closers_for,
    fit_counts,
    job_family_fit,
    person_of,
    suggestions_for,
)
from passport.verifying.verdict import verdict_of
from passport.verifying.verify import verify_submission
from verifier.fit import FitReport, JobFamilyRequirements, Requirement, fit

LEARNER = "lin.learner@example.com"


@pytest.fixture
def badge(services: Services) -> IssuedCredential:
    with services.session() as session:
        return issue_credential(
            session,
            services,
            IssueRequest("observability-l2", LEARNER, "di", recipient_name="Lin Learner"),
            now=services.now(),
        )


def _share(services: Services, badge: IssuedCredential) -> str:
    with services.session() as session:
        created = create_share_link(
            session,
            holder_id=badge.holder_id,
            credential_ids=[badge.id],
            audience="",
            days=1,
            now=services.now(),
        )
        return f"{services.settings.public_url}/p/{created.token}"


def test_a_share_link_is_said_to_be_one_with_its_holders_name(
    services: Services, badge: IssuedCredential
) -> None:
    submission = verify_submission(services, _share(services, badge))
    assert (submission.source, submission.holder_name) == ("share_link", "Lin Learner")
    verdict = verdict_of(
        submission.outcome, email_given=False, source=submission.source, holder_name="Lin"
    )
    assert verdict.verified and verdict.total == 1 and verdict.all_current
    card = verdict.cards[0]
    assert (card.state, card.binding, card.level) == ("verified", "none", 2)
    assert card.name == "Observability — Practitioner" and card.problem is None


def test_a_badge_link_is_said_to_be_one(services: Services, badge: IssuedCredential) -> None:
    url = f"{services.settings.public_url}/credentials/{badge.id}"
    assert verify_submission(services, url).source == "badge_link"
    assert verify_submission(services, badge.content).source is None


def test_an_email_that_is_not_the_recipients_fails_the_badge(
    services: Services, badge: IssuedCredential
) -> None:
    outcome = verify_submission(services, badge.content, recipient="other@example.com").outcome
    verdict = verdict_of(outcome, email_given=True)
    assert not verdict.verified and verdict.verified_count == 0
    assert (verdict.cards[0].state, verdict.cards[0].binding) == ("not_theirs", "mismatch")
    matched = verdict_of(
        verify_submission(services, badge.content, recipient=LEARNER.upper()).outcome,
        email_given=True,
    )
    assert matched.verified and matched.bound("match") == 1


def test_a_revoked_badge_is_named_as_revoked(services: Services, badge: IssuedCredential) -> None:
    with services.session() as session:
        change_status(
            session, services, badge.id, "revoke", reason="test", actor="t", now=services.now()
        )
    verdict = verdict_of(verify_submission(services, badge.content).outcome, email_given=False)
    assert verdict.cards[0].state == "revoked" and verdict.count("revoked") == 1
    assert not verdict.all_current and verdict.first_problem


def test_unreadable_input_is_a_verdict_with_a_reason(services: Services) -> None:
    verdict = verdict_of(verify_submission(services, "{nope").outcome, email_given=False)
    assert verdict.cards == () and not verdict.verified
    assert verdict.container_problem


def _requirement(skill: str, level: int) -> Requirement:
    return Requirement(skill=skill, skill_name=skill, min_level=level)


def _family(*requirements: Requirement) -> JobFamilyRequirements:
    return JobFamilyRequirements("test", "Test family", requirements)


def test_fit_counts_met_partly_and_missing(services: Services, badge: IssuedCredential) -> None:
    reports = list(verify_submission(services, badge.content).outcome.credentials)
    base = f"{services.settings.public_url}/achievements/"
    family = _family(
        Requirement("observability", "Observability", 2, f"{base}observability-l2"),
        Requirement("incident-response", "IR", 3, f"{base}incident-response-l3"),
        Requirement("observability", "Observability", 3, f"{base}observability-l3"),
    )
    counts = fit_counts(fit(family, reports, now=services.now()))
    assert (counts.met, counts.partly, counts.missing, counts.total) == (1, 1, 1, 3)


def _cohort(services: Services, name: str, target: str, ends_on: date) -> int:
    with services.session() as session:
        cohort = Cohort(name=name, starts_on=date(2026, 1, 1), ends_on=ends_on)
        cohort.target_skills.append(CohortSkill(achievement_id=target))
        session.add(cohort)
        session.flush()
        return cohort.id


def _gap_report(services: Services, skill: str, level: int) -> FitReport:
    return fit(_family(_requirement(skill, level)), [], now=services.now())


def test_only_cohorts_that_reach_the_level_are_suggested_by_name_to_staff(
    services: Services,
) -> None:
    later = services.now().date() + timedelta(days=30)
    _cohort(services, "Level two only", achievement_id("observability", 2), later)
    _cohort(services, "Level three", achievement_id("observability", 3), later)
    report = _gap_report(services, "observability", 3)
    staff = suggestions_for(services, report, staff=True)["observability"]
    assert Closer("cohort", "Level three") in staff
    assert all(c.name != "Level two only" for c in staff)
    assert Closer("achievement", "Observability — Advanced") in staff
    anonymous = suggestions_for(services, report)["observability"]
    assert Closer("internal_cohort") in anonymous
    assert all(c.kind != "cohort" for c in anonymous)
    assert closers_for(services, report)["observability"] == [
        "the achievement Observability — Advanced",
        "an internal cohort",
    ]


def test_what_the_person_already_did_is_not_suggested(
    services: Services, badge: IssuedCredential
) -> None:
    today = services.now().date()
    finished = _cohort(
        services, "Finished", achievement_id("incident-response", 2), today - timedelta(days=1)
    )
    _cohort(services, "Open", achievement_id("incident-response", 2), today + timedelta(days=9))
    with services.session() as session:
        user = create_user(
            session, email=LEARNER, name="Lin", role="learner", password="long enough password"
        )
        session.add(CohortMember(cohort_id=finished, user_id=user.id, role="learner"))
    reports = list(verify_submission(services, badge.content).outcome.credentials)
    person = person_of(services, reports)
    assert person.holder_ids == {badge.holder_id} and person.user_ids
    gaps = suggestions_for(
        services, _gap_report(services, "incident-response", 2), person=person, staff=True
    )["incident-response"]
    assert [c.name for c in gaps if c.kind == "cohort"] == ["Open"]
    # Lin holds observability at level 2: a level-2 gap there gets no suggestion at all.
    held = suggestions_for(
        services, _gap_report(services, "observability", 2), person=person, staff=True
    )
    assert held == {"observability": []}
    # By e-mail, when none of the badges handed over is ours.
    assert person_of(services, [], LEARNER).holder_ids == {badge.holder_id}


def test_an_unknown_job_family_is_not_found(services: Services) -> None:
    from passport.errors import NotFound

    with pytest.raises(NotFound):
        job_family_fit(services, "no-such-family", [])


def test_a_suspended_badge_is_named_as_suspended(services: Services) -> None:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("ci-cd-l2", LEARNER, "jwt", suspendable=True),
            now=services.now(),
        )
        change_status(
            session, services, record.id, "suspend", reason="test", actor="t", now=services.now()
        )
    verdict = verdict_of(verify_submission(services, record.content).outcome, email_given=False)
    assert verdict.cards[0].state == "suspended" and verdict.count("suspended") == 1
