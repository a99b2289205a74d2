"""Skills that stay fresh: a re-assessment renews a badge (naming its predecessor), only the
newest badge of a chain is the passport's, and only current badges ever count."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.assessments.record import AssessmentInput, record_assessment
from passport.catalog.models import AchievementDefinition
from passport.cohorts.models import Cohort, CohortMember, CohortSkill, MentoringSession
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import Holder, IssuedCredential
from passport.credentials.passports import build_passport
from passport.errors import InvalidRequest, NotFound
from passport.jobs import scheduled
from passport.jobs.messages import render
from passport.jobs.models import Notification
from passport.jobs.queue import queue_for
from passport.mentoring.freshness import (
    PREDECESSOR_GENRE,
    FamilyFreshness,
    SkillFreshness,
    expiry_notices,
    history_of,
    stale_days,
    stale_soon,
    stale_soon_csv,
    stale_soon_json,
)
from passport.mentoring.models import SessionSignup
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


# -- the expiry reminder ----------------------------------------------------------------------


def test_the_expiry_reminder_skips_a_renewed_badge(services: Services) -> None:
    """Renewed under a shorter freshness period, the new badge ends before the old one: only
    ``supersedes_id`` tells the reminder the old badge was earned again."""
    learner(services)
    now = services.now()
    queue = queue_for(services)
    old = pass_at(services, now - timedelta(days=valid_days(services) - 20))  # 20 days left
    assert scheduled.expiry_reminders(services, queue, now)["days_30"] == 1
    with services.session() as session:
        definition = session.get(AchievementDefinition, BADGE)
        assert definition is not None
        definition.valid_for_days = 15  # ends 5 days before the old one
    new = pass_at(services, now)
    with services.session() as session:
        assert session.get(IssuedCredential, new).supersedes_id == old  # type: ignore[union-attr]
    later = now + timedelta(days=14)  # inside the old badge's 7-day notice
    assert scheduled.expiry_reminders(services, queue, later)["days_7"] == 1  # the new one's
    with services.session() as session:
        keys = set(session.scalars(select(Notification.key)))
    assert f"badge_expiring:{old}:7" not in keys
    assert f"badge_expiring:{new}:7" in keys


def test_the_reminder_mail_links_to_matching_events(services: Services) -> None:
    learner(services)
    now = services.now()
    pass_at(services, now - timedelta(days=valid_days(services) - 20))
    scheduled.expiry_reminders(services, queue_for(services), now)
    with services.session() as session:
        row = session.scalar(select(Notification).where(Notification.kind == "badge_expiring"))
        assert row is not None
        message = render(services, session, row, json.loads(row.context))
        assert message is not None
    assert "/events?skill=incident-response&level=2" in message.text


# -- stale soon -------------------------------------------------------------------------------


def _badge(
    services: Services, email: str, *, valid_until: datetime | None, revoked: bool = False
) -> str:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", email, reason="award"),
            now=services.now() - timedelta(days=100),
        )
        record.valid_until = valid_until
        if revoked:
            record.revoked_at = services.now()
        return record.id


def _security(result: FamilyFreshness) -> SkillFreshness:
    (found,) = [s for s in result.skills if s.skill_id == "incident-response"]
    return found


def test_stale_soon_counts_the_people_whose_current_badges_end_in_the_window(
    services: Services,
) -> None:
    now = services.now()
    soon = [f"p{i}@example.com" for i in range(5)]
    for i, email in enumerate(soon):
        learner(services, email)
        _badge(services, email, valid_until=now + timedelta(days=10 + i))
    learner(services, "later@example.com")
    _badge(services, "later@example.com", valid_until=now + timedelta(days=200))
    learner(services, "gone@example.com")
    _badge(services, "gone@example.com", valid_until=now - timedelta(days=1))  # expired
    learner(services, "revoked@example.com")
    _badge(services, "revoked@example.com", valid_until=now + timedelta(days=5), revoked=True)
    # p0 renewed: a second badge lasting past the window takes them off the list at once.
    _badge(services, soon[0], valid_until=now + timedelta(days=300))
    # p1 is booked on a matching event; p2 is a learner in a running cohort for the skill.
    with services.session() as session:
        users = {u.email: u.id for u in session.scalars(select(User))}
        event = MentoringSession(
            title="Incident drills",
            learning_outcome="Run a drill",
            starts_at=now + timedelta(days=3),
            skill_id="incident-response",
            level=3,
        )
        session.add(event)
        session.flush()
        session.add(SessionSignup(session_id=event.id, user_id=users[soon[1]], status="confirmed"))
        cohort = Cohort(name="IR", starts_on=now.date(), ends_on=now.date() + timedelta(days=40))
        session.add(cohort)
        session.flush()
        session.add(CohortSkill(cohort_id=cohort.id, achievement_id="incident-response-l2"))
        session.add(CohortMember(cohort_id=cohort.id, user_id=users[soon[2]], role="learner"))
    with services.session() as session:
        found = _security(stale_soon(session, "security", now=now, days=60))
        assert found.level == 2
        assert found.holding == 6  # p0..p4 and later; not the expired nor the revoked
        assert [p.email for p in found.holders] == soon[1:]
        assert found.stale == 4 and found.suppressed
        flags = {p.email: (p.booked, p.reassessment_pending) for p in found.holders}
        assert flags[soon[1]] == (True, False)
        assert flags[soon[2]] == (False, True)
        assert flags[soon[3]] == (False, False)
        wide = stale_soon(session, "security", now=now, days=90)
        assert _security(wide).stale == 4
        narrow = _security(stale_soon(session, "security", now=now, days=30))
        assert narrow.stale == 4
        result = stale_soon(session, "security", now=now, days=60)
    body = stale_soon_json(result)
    (row,) = [s for s in body["skills"] if s["skill"] == "incident-response"]  # type: ignore[union-attr]
    assert row == {
        "skill": "incident-response",
        "level": 2,
        "holders": 6,
        "staleSoon": {"suppressed": True},
    }


def test_stale_soon_at_five_shows_the_figure(services: Services) -> None:
    now = services.now()
    for i in range(5):
        learner(services, f"q{i}@example.com")
        _badge(services, f"q{i}@example.com", valid_until=now + timedelta(days=20))
    with services.session() as session:
        found = _security(stale_soon(session, "security", now=now, days=30))
    assert found.stale == 5 and not found.suppressed


def test_the_csv_neutralises_formula_cells(services: Services) -> None:
    now = services.now()
    email = "mallory@example.com"
    with services.session() as session:
        create_user(session, email=email, name="=HYPERLINK(1)", role="learner", password=None)
    _badge(services, email, valid_until=now + timedelta(days=20))
    with services.session() as session:
        holder = session.scalar(select(Holder).where(Holder.email == email))
        assert holder is not None
        holder.name = "=HYPERLINK(1)"
    with services.session() as session:
        text = stale_soon_csv(stale_soon(session, "security", now=now, days=30))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "job_family"
    assert ["security", "incident-response", "2", "'=HYPERLINK(1)", email] == rows[1][:5]


@pytest.mark.parametrize("value", ["7", "abc", "-60", "1e3"])
def test_only_the_offered_windows_are_accepted(value: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        stale_days(value)
    assert caught.value.code == "invalid_days"


def test_an_unknown_family_is_not_found(services: Services) -> None:
    with services.session() as session, pytest.raises(NotFound):
        stale_soon(session, "nope", now=services.now())
    assert stale_days(None) == 60 and stale_days("90") == 90
