"""Mentors matched by verified skill: eligibility by current badge or exception, load, ranking."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from passport.audit import AuditEvent
from passport.cohorts import cohorts
from passport.errors import Forbidden, InvalidRequest
from passport.mentoring import matching
from passport.mentoring.models import SessionFeedback
from passport.services import Services
from tests.unit.passport.mentoring.people import SKILL, attend, led_session, person
from tests.unit.passport.outcomes.fixtures import add_badge

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ISSUED = date(2026, 1, 5)


def _offered(db, level: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.name for s in matching.suggest_mentors(db, [(SKILL, level)], now=NOW)]


def test_badge_one_level_above_makes_eligible_and_nothing_less(services: Services) -> None:
    with services.session() as db:
        person(db, "Above")
        person(db, "Same")
        person(db, "Nothing")
        add_badge(db, "above@example.org", f"{SKILL}-l3", ISSUED)
        add_badge(db, "same@example.org", f"{SKILL}-l2", ISSUED)
        assert _offered(db, 2) == ["Above"]
        assert _offered(db, 1) == ["Above", "Same"]
        assert _offered(db, 3) == []


@pytest.mark.parametrize(
    "state",
    [
        {"valid_until": date(2026, 3, 1)},
        {"revoked": date(2026, 2, 1)},
        {"suspended": date(2026, 2, 1)},
    ],
    ids=["expired", "revoked", "suspended"],
)
def test_a_badge_that_is_not_current_does_not_count(services: Services, state: dict) -> None:  # type: ignore[type-arg]
    with services.session() as db:
        mentor = person(db, "Old")
        add_badge(db, "old@example.org", f"{SKILL}-l4", ISSUED, **state)
        assert _offered(db, 2) == []
        found = matching.eligibility(db, mentor, SKILL, 2, now=NOW)
        assert not found.eligible and found.badge_level is None


def test_learners_and_deactivated_mentors_are_never_offered(services: Services) -> None:
    with services.session() as db:
        learner = person(db, "Lea", role="learner")
        gone = person(db, "Gone")
        gone.deactivated_at = NOW - timedelta(days=1)
        for user in (learner, gone):
            add_badge(db, user.email, f"{SKILL}-l4", ISSUED)
        assert _offered(db, 1) == []
        assert not matching.eligibility(db, learner, SKILL, 1, now=NOW).eligible


def test_exception_allows_and_is_audited_grant_and_withdraw(services: Services) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        mentor = person(db, "Ex")
        assert _offered(db, 4) == []
        with pytest.raises(InvalidRequest) as no_reason:
            matching.grant_exception(
                db, admin, user_id=mentor.id, skill_id=SKILL, max_level=4, reason=" ", now=NOW
            )
        assert no_reason.value.code == "no_reason"
        with pytest.raises(Forbidden):
            matching.grant_exception(
                db, mentor, user_id=mentor.id, skill_id=SKILL, max_level=4, reason="x", now=NOW
            )
        matching.grant_exception(
            db,
            admin,
            user_id=mentor.id,
            skill_id=SKILL,
            max_level=3,
            reason="Ran incidents for years elsewhere",
            now=NOW,
        )
        assert _offered(db, 3) == ["Ex"]
        assert _offered(db, 4) == []  # the exception reaches level 3 only
        why = matching.suggest_mentors(db, [(SKILL, 3)], now=NOW)[0].reasons[0]
        assert why.basis == "exception"
        assert why.exception_reason == "Ran incidents for years elsewhere"
        matching.withdraw_exception(db, admin, user_id=mentor.id, skill_id=SKILL, now=NOW)
        assert _offered(db, 3) == []
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action.like("mentor.exception.%"))
        ).all()
        assert [(e.action, e.actor, e.subject) for e in events] == [
            ("mentor.exception.grant", admin.email, mentor.email),
            ("mentor.exception.withdraw", admin.email, mentor.email),
        ]
        assert json.loads(events[0].detail or "{}")["reason"] == "Ran incidents for years elsewhere"


def test_the_top_level_is_taught_only_by_exception(services: Services) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        top = person(db, "Top")
        add_badge(db, top.email, f"{SKILL}-l4", ISSUED)
        assert _offered(db, 4) == []
        matching.grant_exception(
            db, admin, user_id=top.id, skill_id=SKILL, max_level=4, reason="r", now=NOW
        )
        assert _offered(db, 4) == ["Top"]


def test_load_counts_only_sessions_not_cancelled_this_and_next_month(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Busy")
        led_session(db, mentor, datetime(2026, 3, 2, 9, tzinfo=UTC), minutes=90)
        led_session(db, mentor, datetime(2026, 3, 25, 9, tzinfo=UTC), minutes=30)
        led_session(db, mentor, datetime(2026, 3, 26, 9, tzinfo=UTC), minutes=60, cancelled=True)
        led_session(db, mentor, datetime(2026, 2, 27, 9, tzinfo=UTC), minutes=60)  # last month
        led_session(db, mentor, datetime(2026, 4, 1, 9, tzinfo=UTC), minutes=45)
        led_session(db, mentor, datetime(2026, 5, 1, 9, tzinfo=UTC), minutes=45)  # too far
        led_session(db, None, datetime(2026, 3, 3, 9, tzinfo=UTC), minutes=60)  # nobody's
        (load,) = matching.mentor_loads(db, [mentor], now=NOW)
        assert (load.hours_this_month, load.hours_next_month) == (2.0, 0.75)
        assert load.hours_per_month == matching.DEFAULT_HOURS_PER_MONTH
        assert load.share_used == 0.25


def test_load_shows_learners_per_running_cohort_against_the_cap(services: Services) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        mentor = person(db, "Mia")
        cohort = cohorts.create_cohort(
            db, admin, name="C", description=None, starts_on=date(2026, 3, 2), ends_on=None, now=NOW
        )
        cohorts.add_member(db, cohort, admin, email=mentor.email, role="mentor", now=NOW)
        for n in range(6):
            learner = person(db, f"L{n}", role="learner")
            cohorts.add_member(db, cohort, admin, email=learner.email, role="learner", now=NOW)
        db.flush()
        (load,) = matching.mentor_loads(db, [mentor], now=NOW)
        assert [(c.name, c.learners, c.cap, c.over) for c in load.cohorts] == [("C", 6, 5, True)]


def test_suggestions_rank_badge_then_load_then_feedback_then_name(services: Services) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        names = ["Zoe", "Yan", "Xia", "Wim", "Vic"]
        users = {n: person(db, n) for n in names}
        for n in ("Zoe", "Yan", "Xia", "Wim"):
            add_badge(db, users[n].email, f"{SKILL}-l3", ISSUED)
        matching.grant_exception(
            db, admin, user_id=users["Vic"].id, skill_id=SKILL, max_level=2, reason="r", now=NOW
        )
        # Wim: 4 hours this month of 8 (half used); the others none.
        led_session(db, users["Wim"], datetime(2026, 3, 24, 9, tzinfo=UTC), minutes=240)
        # Xia: 5 responses, mean 4.0; Yan: 5 responses, mean 5.0; Zoe: 4 responses (unused).
        past = datetime(2026, 3, 1, 9, tzinfo=UTC)
        for name, score, count in (("Xia", 4, 5), ("Yan", 5, 5), ("Zoe", 5, 4)):
            meeting = led_session(db, users[name], past - timedelta(days=40))
            for i in range(count):
                learner = person(db, f"{name}learner{i}", role="learner")
                attend(db, meeting, learner)
                db.add(
                    SessionFeedback(
                        session_id=meeting.id, user_id=learner.id, outcome="yes", usefulness=score
                    )
                )
        db.flush()
        found = matching.suggest_mentors(db, [(SKILL, 2)], now=NOW)
        assert [s.name for s in found] == ["Yan", "Xia", "Zoe", "Wim", "Vic"]
        by_name = {s.name: s for s in found}
        assert by_name["Yan"].feedback_mean == 5.0
        assert by_name["Zoe"].feedback_responses == 4 and by_name["Zoe"].feedback_mean is None
        assert by_name["Wim"].load.share_used == 0.5
        assert by_name["Vic"].by_exception


def test_adding_an_ineligible_mentor_is_refused_and_learners_past_the_cap_warn(
    services: Services,
) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        good = person(db, "Good")
        weak = person(db, "Weak")
        add_badge(db, good.email, f"{SKILL}-l3", ISSUED)
        cohort = cohorts.create_cohort(
            db, admin, name="C", description=None, starts_on=date(2026, 3, 2), ends_on=None, now=NOW
        )
        cohorts.add_target(db, cohort, admin, achievement_id=f"{SKILL}-l2", now=NOW)
        db.flush()
        assert matching.cohort_targets(cohort) == [(SKILL, 2)]
        with pytest.raises(InvalidRequest) as refused:
            matching.add_cohort_member(db, cohort, admin, email=weak.email, role="mentor", now=NOW)
        assert refused.value.code == "mentor_not_eligible"
        assert (
            matching.add_cohort_member(db, cohort, admin, email=good.email, role="mentor", now=NOW)
            is None
        )
        matching.update_profile(
            db, admin, user_id=good.id, hours_per_month=8, max_learners_per_cohort=2, now=NOW
        )
        warnings = [
            matching.add_cohort_member(
                db,
                cohort,
                admin,
                email=person(db, f"L{n}", role="learner").email,
                role="learner",
                now=NOW,
            )
            for n in range(3)
        ]
        assert warnings[:2] == [None, None]
        assert warnings[2] == matching.CapWarning(learners=3, cap=2)
        assert "3 learners" in str(warnings[2])


def test_profile_cap_above_five_needs_an_admin(services: Services) -> None:
    with services.session() as db:
        admin = person(db, "Admin", role="admin")
        mentor = person(db, "Mo")
        other = person(db, "Other")
        assert matching.mentor_profile(db, mentor.id) == matching.ProfileValues(8, 5)
        matching.update_profile(
            db, mentor, user_id=mentor.id, hours_per_month=4, max_learners_per_cohort=3, now=NOW
        )
        with pytest.raises(Forbidden) as cap:
            matching.update_profile(
                db,
                mentor,
                user_id=mentor.id,
                hours_per_month=4,
                max_learners_per_cohort=6,
                now=NOW,
            )
        assert cap.value.code == "learner_cap_admin_only"
        with pytest.raises(Forbidden):
            matching.update_profile(
                db,
                other,
                user_id=mentor.id,
                hours_per_month=1,
                max_learners_per_cohort=1,
                now=NOW,
            )
        matching.update_profile(
            db, admin, user_id=mentor.id, hours_per_month=10, max_learners_per_cohort=7, now=NOW
        )
        assert matching.mentor_profile(db, mentor.id) == matching.ProfileValues(10, 7)
        actions = db.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "mentor.profile.update")
        ).all()
        assert actions == [mentor.email, admin.email]
