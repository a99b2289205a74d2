"""Cohort sessions planned through the cohort page carry their mentor, skill and level, so the
mentor's feedback, load and recognition count them; a cohort session without a mentor counts
for every mentor of its cohort."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import User
from passport.cohorts import cohorts
from passport.cohorts.models import Attendance, Cohort, MentoringSession
from passport.errors import InvalidRequest
from passport.mentoring import feedback, matching, recognition
from passport.mentoring import templates as session_templates
from passport.mentoring.models import (
    MentorRecognition,
    ProgramItem,
    SessionTemplate,
    TemplateProgram,
    TemplateVersion,
)
from passport.services import Services
from tests.functional.test_admin import HTML, login, make_user

SKILL = "incident-response"
ACHIEVEMENT = f"{SKILL}-l2"


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return unescape(response.data.decode())


def _user(services: Services, email: str) -> int:
    with services.session() as db:
        found = db.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def _cohort(services: Services, actor_email: str, learners: int) -> int:
    """A cohort made by ``actor_email`` targeting the skill at level 2, with learners."""
    now = services.now()
    for n in range(learners):
        make_user(services, f"l{n}@example.com", "learner")
    with services.session() as db:
        actor = db.scalar(select(User).where(User.email == actor_email))
        assert actor is not None
        cohort = cohorts.create_cohort(
            db,
            actor,
            name="SRE",
            description="",
            starts_on=(now - timedelta(days=10)).date(),
            ends_on=(now + timedelta(days=40)).date(),
            now=now,
        )
        cohorts.add_target(db, cohort, actor, achievement_id=ACHIEVEMENT, now=now)
        for n in range(learners):
            cohorts.add_member(
                db, cohort, actor, email=f"l{n}@example.com", role="learner", now=now
            )
        db.flush()
        return cohort.id


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_mentor_of_five_cohort_sessions_gets_feedback_load_and_recognition(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "mia@example.com", "mentor")
    mia = _user(services, "mia@example.com")
    cohort_id = _cohort(services, "mia@example.com", learners=5)
    page = _page(client, f"/admin/cohorts/{cohort_id}")
    # The add form offers the cohort's mentor and target, preselected (the only ones).
    assert re.search(rf'<option value="{mia}" selected>', page)
    assert re.search(rf'<option value="{SKILL}\|2" selected>', page)
    now = services.now()
    # Two days back and more: over in any page time zone, and within the load's months when
    # today is not among the first days of a month (checked below from the stored starts).
    for k in range(5):
        added = client.post(
            f"/admin/cohorts/{cohort_id}/sessions",
            data={
                "csrf_token": token,
                "title": f"Runbooks {k}",
                "learning_outcome": "Write a runbook.",
                "starts_at": _local(now - timedelta(days=2, hours=k)),
                "minutes": "45",
                "mentor": str(mia),
                "target": f"{SKILL}|2",
            },
        )
        assert added.status_code == 302
    with services.session() as db:
        meetings = db.scalars(
            select(MentoringSession).where(MentoringSession.cohort_id == cohort_id)
        ).all()
        assert len(meetings) == 5
        assert {(m.mentor_id, m.skill_id, m.level) for m in meetings} == {(mia, SKILL, 2)}
        ids = [m.id for m in meetings]
        starts = [m.starts_at for m in meetings]
        learners = [u.id for u in db.scalars(select(User).where(User.email.like("l%@example.com")))]
    for session_id in ids:
        marked = client.post(
            f"/admin/cohorts/{cohort_id}/sessions/{session_id}/attendance",
            data={"csrf_token": token, **{f"present-{u}": "on" for u in learners}},
        )
        assert marked.status_code == 302
    with services.session() as db:
        for n, user_id in enumerate(learners):
            person = db.get(User, user_id)
            assert person is not None
            for session_id in ids:
                feedback.give_feedback(
                    db,
                    session_id,
                    person,
                    outcome="yes",
                    usefulness=4,
                    comment="Clear steps" if n == 0 else None,
                    now=now,
                )
    page = _page(client, "/mentor/feedback")
    assert "Overall, over the 5 sessions with 5 or more responses" in page
    assert "Runbooks 0" in page and "Clear steps" in page
    with services.session() as db:
        (report,) = feedback.mentor_feedback(db, [mia])
        assert (report.overall.n, report.overall_sessions) == (25, 5)
        this, _following, after = (
            datetime(now.year, now.month, 1, tzinfo=UTC),
            None,
            (datetime(now.year, now.month, 1, tzinfo=UTC) + timedelta(days=64)).replace(day=1),
        )
        expected = sum(45 for s in starts if this <= s < after) / 60
        person = db.get(User, mia)
        assert person is not None
        (load,) = matching.mentor_loads(db, [person], now=now)
        assert load.hours_this_month + load.hours_next_month == expected
        issued = recognition.recognise_mentors(db, services, now=now)
        assert [(r.email, r.achievement_id, r.sessions) for r in issued] == [
            ("mia@example.com", f"mentor-{SKILL}-5", 5)
        ]
    with services.session() as db:
        assert recognition.recognise_mentors(db, services, now=now) == []
        assert len(db.scalars(select(MentorRecognition)).all()) == 1
    if expected:
        assert f"{expected:g} of 8" in _page(client, "/mentor/load").replace(".0 of", " of")


def test_a_session_without_a_mentor_counts_for_each_mentor_of_its_cohort(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    make_user(services, "ann@example.com", "mentor", "Ann")
    make_user(services, "bob@example.com", "mentor", "Bob")
    cohort_id = _cohort(services, "root@example.com", learners=5)
    now = services.now()
    with services.session() as db:
        admin = db.scalar(select(User).where(User.email == "root@example.com"))
        assert admin is not None
        cohort = db.get(Cohort, cohort_id)
        assert cohort is not None
        for email in ("ann@example.com", "bob@example.com"):
            cohorts.add_member(db, cohort, admin, email=email, role="mentor", now=now)
    page = _page(client, f"/admin/cohorts/{cohort_id}")
    # Two mentors: no mentor is preselected.
    mentor_select = page[page.index('id="session-mentor"') : page.index('id="session-target"')]
    assert " selected" not in mentor_select
    added = client.post(
        f"/admin/cohorts/{cohort_id}/sessions",
        data={
            "csrf_token": token,
            "title": "Shared",
            "learning_outcome": "x",
            "starts_at": _local(now - timedelta(days=2)),
            "minutes": "60",
            "mentor": "",
            "target": f"{SKILL}|2",
        },
    )
    assert added.status_code == 302
    ann, bob = _user(services, "ann@example.com"), _user(services, "bob@example.com")
    with services.session() as db:
        (meeting,) = db.scalars(select(MentoringSession)).all()
        assert meeting.mentor_id is None
        assert cohorts.session_leaders(db, [meeting]) == {meeting.id: frozenset({ann, bob})}
        for user in db.scalars(select(User).where(User.email.like("l%@example.com"))):
            db.add(Attendance(session_id=meeting.id, user_id=user.id, present=True))
            db.flush()
            feedback.give_feedback(
                db, meeting.id, user, outcome="partly", usefulness=3, comment=None, now=now
            )
        reports = {r.user_id: r for r in feedback.mentor_feedback(db, [ann, bob])}
        assert {u: (r.overall.n, len(r.sessions)) for u, r in reports.items()} == {
            ann: (5, 1),
            bob: (5, 1),
        }
        assert dict(recognition.sessions_held(db, now=now)) == {(ann, SKILL): 1, (bob, SKILL): 1}
        suggestions = matching._feedback(db, [ann, bob])
        assert suggestions == {ann: (5, 3.0), bob: (5, 3.0)}


def test_the_first_mentor_added_takes_the_upcoming_sessions(services: Services) -> None:
    make_user(services, "root@example.com", "admin")
    make_user(services, "ann@example.com", "mentor", "Ann")
    make_user(services, "bob@example.com", "mentor", "Bob")
    cohort_id = _cohort(services, "root@example.com", learners=0)
    now = services.now()
    with services.session() as db:
        admin = db.scalar(select(User).where(User.email == "root@example.com"))
        cohort = db.get(Cohort, cohort_id)
        assert admin is not None and cohort is not None
        for title, when in (("Past", now - timedelta(days=1)), ("Next", now + timedelta(days=1))):
            cohorts.add_session(
                db,
                cohort,
                admin,
                title=title,
                learning_outcome="x",
                starts_at=when,
                minutes=30,
                now=now,
            )
        db.flush()
        assert {s.title: (s.mentor_id, s.skill_id, s.level) for s in cohort.sessions} == {
            "Past": (None, SKILL, 2),  # no mentor yet; the only target is the default
            "Next": (None, SKILL, 2),
        }
        cohorts.add_member(db, cohort, admin, email="ann@example.com", role="mentor", now=now)
        ann = _user(services, "ann@example.com")
        by_title = {s.title: s for s in cohort.sessions}
        assert by_title["Next"].mentor_id == ann and by_title["Next"].sequence == 1
        assert by_title["Past"].mentor_id is None and by_title["Past"].sequence == 0
        # A second mentor changes nothing: the cohort no longer has only one.
        by_title["Next"].mentor_id = None
        cohorts.add_member(db, cohort, admin, email="bob@example.com", role="mentor", now=now)
        assert by_title["Next"].mentor_id is None


def test_a_session_mentor_skill_and_level_are_checked(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "mia@example.com", "mentor")
    make_user(services, "out@example.com", "mentor")
    make_user(services, "root@example.com", "admin")
    cohort_id = _cohort(services, "mia@example.com", learners=0)
    mia, out = _user(services, "mia@example.com"), _user(services, "out@example.com")
    root = _user(services, "root@example.com")
    now = services.now()
    with services.session() as db:
        actor = db.get(User, mia)
        cohort = db.get(Cohort, cohort_id)
        assert actor is not None and cohort is not None
        common = {
            "title": "T",
            "learning_outcome": "x",
            "starts_at": now + timedelta(days=1),
            "minutes": 30,
            "now": now,
        }
        for bad, code in (
            ({"mentor_id": out}, "not_a_mentor"),
            ({"skill_id": "no-such-skill", "level": 2}, "unknown_skill"),
            ({"skill_id": SKILL, "level": 5}, "bad_level"),
            ({"skill_id": SKILL, "level": None}, "bad_skill"),
        ):
            with pytest.raises(InvalidRequest) as refused:
                cohorts.add_session(db, cohort, actor, **common, **bad)  # type: ignore[arg-type]
            assert refused.value.code == code
        cohorts.add_session(db, cohort, actor, **common, mentor_id=root)  # an admin may lead
        db.flush()
        (meeting,) = cohort.sessions
        assert (meeting.mentor_id, meeting.sequence) == (root, 0)
        session_id = meeting.id
    edit = f"/admin/cohorts/{cohort_id}/sessions/{session_id}/edit"
    page = _page(client, edit)
    assert re.search(rf'<option value="{root}" selected>', page)  # kept, though not a member
    form = {
        "csrf_token": token,
        "title": "T",
        "learning_outcome": "x",
        "starts_at": _local(now + timedelta(days=3)),
        "minutes": "30",
        "target": f"{SKILL}|2",
    }
    refused = client.post(edit, data={**form, "mentor": str(out)}, headers=HTML)
    assert refused.status_code == 400
    assert "must be a mentor of this cohort or an administrator" in unescape(refused.data.decode())
    saved = client.post(edit, data={**form, "mentor": str(mia)})
    assert saved.status_code == 302
    with services.session() as db:
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None
        assert meeting.mentor_id == mia and meeting.sequence == 1  # time and ORGANIZER changed
        sequence = meeting.sequence
    # The mentor alone changing raises the sequence too.
    client.post(edit, data={**form, "starts_at": page_start(client, edit), "mentor": str(root)})
    with services.session() as db:
        meeting = db.get(MentoringSession, session_id)
        assert meeting is not None
        assert (meeting.mentor_id, meeting.sequence) == (root, sequence + 1)


def page_start(client: FlaskClient, path: str) -> str:
    found = re.search(
        r'name="starts_at" type="datetime-local" value="([^"]+)"', _page(client, path)
    )
    assert found is not None
    return found.group(1)


def test_a_cohort_from_a_program_is_led_by_its_one_mentor(services: Services) -> None:
    make_user(services, "mia@example.com", "mentor")
    now = services.now()
    with services.session() as db:
        mia = db.scalar(select(User).where(User.email == "mia@example.com"))
        assert mia is not None
        template = SessionTemplate(skill_id=SKILL, level=2, current_version=1)
        db.add(template)
        db.flush()
        db.add(
            TemplateVersion(
                template_id=template.id,
                version=1,
                title="Runbooks",
                learning_outcome="x",
                minutes=60,
                created_by="a@example.org",
            )
        )
        program = TemplateProgram(name="P", weeks=6)
        db.add(program)
        db.flush()
        db.add(
            ProgramItem(
                program_id=program.id, template_id=template.id, week=1, weekday=1, position=1
            )
        )
        db.flush()
        cohort = session_templates.cohort_from_program(
            db,
            mia,
            program_id=program.id,
            name="From P",
            starts_on=now.date(),
            at=time(10, 0),
            time_zone="UTC",
            now=now,
        )
        assert [(s.mentor_id, s.skill_id, s.level) for s in cohort.sessions] == [(mia.id, SKILL, 2)]
