"""The learner's passport as a use case: badges read from the credentials as issued, coverage of
each job family by the badges that count now, and the URLs it publishes."""

from __future__ import annotations

from flask import Flask, url_for
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.passports import build_passport, verification_url
from passport.credentials.status import change_status
from passport.services import Services

ADA = "ada@example.com"


def _issue(services: Services, achievement: str, fmt: str = "data-integrity") -> str:
    with services.session() as db:
        record = issue_credential(
            db, services, IssueRequest(achievement, ADA, fmt), now=services.now()
        )
        return record.id


def test_coverage_counts_the_best_current_badge_per_skill(services: Services) -> None:
    with services.session() as db:
        create_user(db, email=ADA, name="Ada Lovelace", role="learner", password=None)
    _issue(services, "incident-response-l2")
    best = _issue(services, "incident-response-l3", "vc-jwt")
    revoked = _issue(services, "observability-l3")
    _issue(services, "observability-l1")
    with services.session() as db:
        change_status(
            db, services, revoked, "revoke", reason="annulled", actor="t", now=services.now()
        )
    with services.session() as db:
        user = db.scalars(select(User).where(User.email == ADA)).one()
        passport = build_passport(db, services, user, services.now())
    assert passport.holder_name == "Ada Lovelace" and passport.active == 3
    incident = {b.id: b for b in passport.badges}[best]
    # The skill's own name, never a piece of the achievement's name.
    assert incident.skill_name == "Incident response" and incident.level == 3
    rows = {
        r.skill_id: r
        for family in passport.families
        for r in family.requirements
        if r.skill_id in ("incident-response", "observability")
    }
    assert rows["incident-response"].held == 3 and rows["incident-response"].badge is incident
    # The revoked level-3 badge does not count; the level-1 one does, below any requirement.
    assert rows["observability"].held == 1
    assert rows["observability"].state == (
        "met" if rows["observability"].required <= 1 else "below"
    )


def test_a_user_without_badges_gets_an_empty_passport_with_their_name(
    services: Services,
) -> None:
    with services.session() as db:
        user = create_user(db, email="mo@example.com", name="Mo", role="mentor", password=None)
        passport = build_passport(db, services, user, services.now())
    assert (passport.holder_name, passport.badges, passport.other) == ("Mo", [], [])
    assert all(r.state == "missing" for f in passport.families for r in f.requirements)


def test_the_verification_url_is_the_badge_pages_route(app: Flask, services: Services) -> None:
    for credential_id in ("urn:uuid:4f1c-9a", "a b/c?d#e%f", "ü"):
        with app.test_request_context():
            expected = services.settings.public_url + url_for(
                "public.credential", credential_id=credential_id
            )
        assert verification_url(services, credential_id) == expected
