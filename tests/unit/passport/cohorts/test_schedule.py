"""A learner's schedule: their cohorts' sessions, to come and past, and their attendance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from passport.accounts.users import create_user
from passport.cohorts import cohorts
from passport.cohorts.schedule import learner_schedule
from passport.services import Services

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_upcoming_soonest_first_past_latest_first_with_attendance(services: Services) -> None:
    with services.session() as db:
        admin = create_user(db, email="a@example.com", name="A", role="admin", password=None)
        ada = create_user(db, email="ada@example.com", name="Ada", role="learner", password=None)
        bob = create_user(db, email="bob@example.com", name="Bob", role="learner", password=None)
        cohort = cohorts.create_cohort(
            db, admin, name="C", description=None, starts_on=date(2026, 3, 2), ends_on=None, now=NOW
        )
        cohorts.add_member(db, cohort, admin, email=ada.email, role="learner", now=NOW)
        for days in (-14, -7, 7, 14):
            cohorts.add_session(
                db,
                cohort,
                admin,
                title=f"day {days}",
                learning_outcome="x",
                starts_at=NOW + timedelta(days=days),
                minutes=60,
                now=NOW,
            )
        db.flush()
        first = min(cohort.sessions, key=lambda s: s.starts_at)
        cohorts.record_attendance(db, cohort, admin, session_id=first.id, present={ada.id}, now=NOW)
        db.flush()
        schedule = learner_schedule(db, ada, now=NOW)
        assert [s.title for s in schedule.upcoming] == ["day 7", "day 14"]
        assert [s.title for s in schedule.past] == ["day -7", "day -14"]
        assert schedule.attended == {first.id: True}
        assert [c.id for c in schedule.cohorts] == [cohort.id]
        assert learner_schedule(db, bob, now=NOW).upcoming == []
