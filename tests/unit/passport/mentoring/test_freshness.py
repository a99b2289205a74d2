"""Skills that stay fresh: a re-assessment renews a badge (naming its predecessor), only the
newest badge of a chain is the passport's, and only current badges ever count."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.assessments.record import AssessmentInput, record_assessment
from passport.catalog.models import AchievementDefinition
from passport.credentials.models import IssuedCredential
from passport.credentials.passports import build_passport
from passport.errors import InvalidRequest, NotFound
from passport.mentoring.freshness import (
    PREDECESSOR_GENRE,
    expiry_notices,
    find_predecessor,
    history_of,
    stale_days,
    stale_soon,
    stale_soon_csv,
)
from passport.mobility.applications import own_current_badges
from passport.mobility.ranking import assess
from passport.outcomes.events import day_number
from passport.outcomes.measures import _levels_on, _load_badges
from passport.services import Services

LEVELS = {"triage": 3, "communication": 2, "review": 2}
BADGE = "incident-response-l2"


def learner(services: Services, email: str = "ada@example.com") -> None:
    with services.session() as session:
        create_user(session, email=email, name=email.split("@")[0], role="learner", password=None)


def pass_at(
    services: Services, now: datetime, email: str = "ada@example.com", badge: str = BADGE
) -> str:
    with services.session() as session:
        outcome = record_assessment(
            session,
            services,
            AssessmentInput(
                learner_email=email,
                achievement_id=badge,
                levels=LEVELS,
                assessor="assessor@example.com",
            ),
            now=now,
        )
    assert outcome.credential_id is not None
    return outcome.credential_id


def valid_days(services: Services) -> int:
    with services.session() as session:
        days = session.get(AchievementDefinition, BADGE).valid_for_days  # type: ignore[union-attr]
    assert days
    return int(days)


def test_a_first_pass_renews_nothing(services: Services) -> None:
    learner(services)
    first = pass_at(services, services.now())
    with services.session() as session:
        assert session.get(IssuedCredential, first).supersedes_id is None  # type: ignore[union-attr]


def test_a_reassessment_names_its_predecessor_and_verifies(services: Services) -> None:
    learner(services)
    now = services.now()
    old = pass_at(services, now - timedelta(days=valid_days(services) - 1))  # expires tomorrow
    new = pass_at(services, now)
    with services.session() as session:
        record = session.get(IssuedCredential, new)
        assert record is not None and record.supersedes_id == old
        predecessor = session.get(IssuedCredential, old)
        assert predecessor is not None and predecessor.revoked_at is None  # not revoked
        verifier = services.verifier(session)
        content = record.content
        history = history_of(session, record, now=now)
    credential = json.loads(content)
    named = [e for e in credential["evidence"] if e.get("genre") == PREDECESSOR_GENRE]
    assert [e["id"] for e in named] == [old]
    assert verifier.report(content, now=now).verified
    assert [h.id for h in history] == [old]
    assert history[0].status == "active"


def test_a_third_pass_extends_the_chain(services: Services) -> None:
    learner(services)
    now = services.now()
    first = pass_at(services, now - timedelta(days=20))
    second = pass_at(services, now - timedelta(days=10))
    third = pass_at(services, now)
    with services.session() as session:
        record = session.get(IssuedCredential, third)
        assert record is not None and record.supersedes_id == second
        assert [h.id for h in history_of(session, record, now=now)] == [second, first]


def test_a_revoked_badge_is_not_renewed(services: Services) -> None:
    learner(services)
    now = services.now()
    old = pass_at(services, now - timedelta(days=5))
    with services.session() as session:
        record = session.get(IssuedCredential, old)
        assert record is not None
        record.revoked_at = now - timedelta(days=1)
    new = pass_at(services, now)
    with services.session() as session:
        assert session.get(IssuedCredential, new).supersedes_id is None  # type: ignore[union-attr]


def test_reassessment_replaces_the_expiring_badge_in_fit_and_outcomes_at_once(
    services: Services,
) -> None:
    """A badge expiring tomorrow; the re-assessment passes; in the same session the passport's
    fit, the applications' fit and the outcomes' levels use the new badge, counted once."""
    learner(services)
    now = services.now()
    old = pass_at(services, now - timedelta(days=valid_days(services) - 1))
    with services.session() as session:
        user = session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user is not None
        before = build_passport(session, services, user, now)
        assert [n.credential_id for n in before.notices] == [old]
        outcome = record_assessment(
            session,
            services,
            AssessmentInput(
                learner_email="ada@example.com",
                achievement_id=BADGE,
                levels=LEVELS,
                assessor="assessor@example.com",
            ),
            now=now,
        )
        new = outcome.credential_id
        session.flush()
        after = build_passport(session, services, user, now)
        assert [b.id for b in after.badges] == [new]
        assert after.notices == []
        assert after.renewals == {new: 1}
        covered = [
            r for f in after.families for r in f.requirements if r.skill_id == "incident-response"
        ]
        assert covered and all(r.badge is not None and r.badge.id == new for r in covered)
        # The applications' fit: the best current badge per skill, one fit per skill.
        fits = assess(
            {"incident-response": 2}, (b.held for b in own_current_badges(session, user, now=now))
        )
        assert len(fits) == 1 and fits[0].held == 2
        # A day after the old badge's end, the new one alone carries the skill.
        later = now + timedelta(days=2)
        fits = assess(
            {"incident-response": 2}, (b.held for b in own_current_badges(session, user, now=later))
        )
        assert len(fits) == 1 and fits[0].held == 2
        # Outcomes: the badges current on a day, highest level per skill (counted once).
        badges = _load_badges(session, now.date())["ada@example.com"]
        assert len(badges) == 2
        assert _levels_on(badges, day_number(later.date())) == {"incident-response": 2}
        assert _levels_on(badges, day_number(now.date())) == {"incident-response": 2}


def test_expired_and_revoked_badges_never_count(services: Services) -> None:
    learner(services)
    learner(services, "alan@example.com")
    now = services.now()
    expired = pass_at(services, now - timedelta(days=valid_days(services) + 1))
    revoked = pass_at(services, now - timedelta(days=1), email="alan@example.com")
    with services.session() as session:
        record = session.get(IssuedCredential, revoked)
        assert record is not None
        record.revoked_at = now
    with services.session() as session:
        alan = session.scalar(select(User).where(User.email == "alan@example.com"))
        assert alan is not None
        assert own_current_badges(session, alan, now=now) == []
        assert (
            _levels_on(
                _load_badges(session, now.date())["alan@example.com"], day_number(now.date())
            )
            == {}
        )
        assert expiry_notices(session, alan.holder_id, now=now) == []
        user = session.scalar(select(User).where(User.email == "ada@example.com"))
        assert user is not None
        view = build_passport(session, services, user, now)
        assert [b.status for b in view.badges] == ["expired"]
        assert all(r.badge is None for f in view.families for r in f.requirements)
        assert own_current_badges(session, user, now=now) == []
        badges = _load_badges(session, now.date())["ada@example.com"]
        assert _levels_on(badges, day_number(now.date())) == {}
        # The banner offers to renew the expired badge.
        notices = expiry_notices(session, user.holder_id, now=now)
        assert [(n.credential_id, n.expired) for n in notices] == [(expired, True)]
        assert notices[0].events_path == "/events?skill=incident-response&level=2"
