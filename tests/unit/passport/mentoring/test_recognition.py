"""Mentor recognition: a badge at 5 held sessions per skill, issued once, in the passport."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from passport.catalog.models import AchievementDefinition
from passport.cli.common import cli
from passport.cohorts.models import Cohort
from passport.credentials.models import Holder, IssuedCredential
from passport.jobs import scheduled
from passport.jobs.models import Notification
from passport.jobs.queue import queue_for
from passport.mentoring import matching
from passport.mentoring.models import MentorRecognition
from passport.mentoring.recognition import recognise_mentors, sessions_held
from passport.services import Services
from tests.unit.passport.mentoring.people import SKILL, attend, led_session, person

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_only_held_sessions_count(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Mentor")
        learner = person(db, "Lea", role="learner")
        cohort = Cohort(name="C", starts_on=date(2026, 3, 1), ends_on=date(2026, 4, 1))
        db.add(cohort)
        db.flush()
        held = led_session(db, mentor, NOW - timedelta(days=1), cohort=cohort)
        attend(db, held, learner)
        event = led_session(db, mentor, NOW - timedelta(days=1))
        attend(db, event, learner)
        nobody = led_session(db, mentor, NOW - timedelta(days=1), cohort=cohort)
        attend(db, nobody, learner, status="absent")
        waitlisted = led_session(db, mentor, NOW - timedelta(days=1))
        attend(db, waitlisted, learner, status="waitlisted")
        cancelled = led_session(db, mentor, NOW - timedelta(days=1), cancelled=True)
        attend(db, cancelled, learner)
        running = led_session(db, mentor, NOW - timedelta(minutes=10))
        attend(db, running, learner)
        other_skill = led_session(db, mentor, NOW - timedelta(days=1), skill="ci-cd")
        attend(db, other_skill, learner)
        assert sessions_held(db, now=NOW) == {(mentor.id, SKILL): 2, (mentor.id, "ci-cd"): 1}


def test_recognition_is_issued_once_at_five_sessions(services: Services) -> None:
    with services.session() as db:
        mentor = person(db, "Mentor")
        learner = person(db, "Lea", role="learner")
        for day in range(4):
            attend(db, led_session(db, mentor, NOW - timedelta(days=day + 1)), learner)
        assert recognise_mentors(db, services, now=NOW) == []
        attend(db, led_session(db, mentor, NOW - timedelta(days=10)), learner)
        mentor_email = mentor.email
        mentor_id = mentor.id
    with services.session() as db:
        (issued,) = recognise_mentors(db, services, now=NOW)
    assert issued.email == mentor_email and issued.sessions == 5
    assert issued.achievement_id == f"mentor-{SKILL}-5"
    with services.session() as db:
        assert recognise_mentors(db, services, now=NOW + timedelta(days=1)) == []
    with services.session() as db:
        achievement = db.get(AchievementDefinition, f"mentor-{SKILL}-5")
        assert achievement is not None
        assert achievement.skill_id is None and achievement.level is None
        assert achievement.name == "Mentor — Incident response, 5 sessions"
        assert achievement.document()["achievementType"] == "Award"
        credentials = db.scalars(
            select(IssuedCredential)
            .join(Holder, Holder.id == IssuedCredential.holder_id)
            .where(Holder.email == mentor_email)
        ).all()
        assert [c.achievement_id for c in credentials] == [f"mentor-{SKILL}-5"]
        assert db.scalar(select(func.count()).select_from(MentorRecognition)) == 1
        mail = db.scalars(select(Notification).where(Notification.kind == "badge_issued")).all()
        assert len(mail) == 1
        assert json.loads(credentials[0].content)["credentialSubject"]["achievement"]["name"] == (
            achievement.name
        )
        # A mentoring badge is no skill badge: it makes nobody eligible to teach the skill.
        assert matching.held_levels(db, [mentor_id], SKILL, now=NOW) == {}


def _five_sessions(services: Services) -> str:
    with services.session() as db:
        mentor = person(db, "Mentor")
        learner = person(db, "Lea", role="learner")
        for day in range(5):
            attend(db, led_session(db, mentor, NOW - timedelta(days=day + 1)), learner)
        return mentor.email


def test_the_daily_schedule_and_the_command_issue_nothing_twice(services: Services) -> None:
    email = _five_sessions(services)
    env = {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(services.settings.instance_path),
        "PASSPORT_DATABASE_URL": services.settings.database_url,
        "PASSPORT_PUBLIC_URL": services.settings.public_url,
        "PASSPORT_SECRET_KEY": services.settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": services.settings.key_passphrase,
    }
    at = (NOW + timedelta(hours=1)).isoformat()
    first = CliRunner().invoke(cli, ["mentors", "recognise", "--now", at], env=env)
    assert first.exit_code == 0, first.output
    assert email in first.output and "1 mentoring badge(s) issued" in first.output
    assert scheduled.mentor_recognition(services, queue_for(services), NOW) == {"issued": 0}
    again = CliRunner().invoke(cli, ["mentors", "recognise", "--now", at], env=env)
    assert again.exit_code == 0 and "0 mentoring badge(s) issued" in again.output
    assert any(s.name == "mentor-recognition" for s in scheduled.SCHEDULES)


def test_the_schedule_issues_what_is_due(services: Services) -> None:
    _five_sessions(services)
    assert scheduled.mentor_recognition(services, queue_for(services), NOW) == {"issued": 1}
    assert scheduled.mentor_recognition(services, queue_for(services), NOW) == {"issued": 0}
