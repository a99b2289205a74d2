"""Mentor pages through HTTP: load and capacity, exceptions, suggestions on the cohort page,
attendees' feedback, the mentors' aggregates, the triage table and the suggestions API."""

from __future__ import annotations

import json
from datetime import date, timedelta
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select

from passport.audit import AuditEvent
from passport.cohorts.models import Attendance, Cohort, CohortMember, MentoringSession
from passport.mentoring.models import (
    MentorException,
    SessionFeedback,
    SessionTemplate,
    TemplateVersion,
)
from passport.services import Services
from tests.functional.test_admin import HTML, login, make_user
from tests.unit.passport.outcomes.fixtures import add_badge

SKILL = "incident-response"


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return unescape(response.data.decode())


def _user_id(services: Services, email: str) -> int:
    from passport.accounts.models import User

    with services.session() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.id


def test_a_mentor_sees_their_load_and_sets_their_capacity(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "mia@example.com", "mentor")
    mia = _user_id(services, "mia@example.com")
    with services.session() as db:
        db.add(
            MentoringSession(
                title="Led",
                learning_outcome="x",
                starts_at=services.now().replace(day=1, hour=0, minute=0) + timedelta(hours=1),
                minutes=90,
                mentor_id=mia,
            )
        )
    page = _page(client, "/admin/")
    assert 'href="/mentor/load"' in page and 'href="/mentor/feedback"' in page  # the nav
    page = _page(client, "/mentor/load")
    assert "1.5 of 8" in page
    saved = client.post(
        f"/mentor/profile/{mia}",
        data={"csrf_token": token, "hours_per_month": "6", "max_learners_per_cohort": "4"},
    )
    assert saved.status_code == 302
    assert "1.5 of 6" in _page(client, "/mentor/load")
    too_many = client.post(
        f"/mentor/profile/{mia}",
        data={"csrf_token": token, "hours_per_month": "6", "max_learners_per_cohort": "7"},
        follow_redirects=True,
        headers=HTML,
    )
    assert "needs an administrator" in unescape(too_many.data.decode())
    make_user(services, "other@example.com", "mentor")
    other = _user_id(services, "other@example.com")
    refused = client.post(
        f"/mentor/profile/{other}",
        data={"csrf_token": token, "hours_per_month": "1", "max_learners_per_cohort": "1"},
        follow_redirects=True,
        headers=HTML,
    )
    assert "only your own" in unescape(refused.data.decode())
    assert client.get(f"/mentors/{other}", headers=HTML).status_code == 403


def test_an_admin_grants_and_withdraws_an_exception(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    make_user(services, "ex@example.com", "mentor", "Ex Mentor")
    ex = _user_id(services, "ex@example.com")
    assert "Ex Mentor" in _page(client, "/mentor/load")
    assert f'href="/mentors/{ex}"' in _page(client, "/mentor/load")
    blank = client.post(
        f"/mentors/{ex}/exceptions",
        data={"csrf_token": token, "skill": SKILL, "max_level": "4", "reason": ""},
        follow_redirects=True,
        headers=HTML,
    )
    assert "needs a written reason" in unescape(blank.data.decode())
    client.post(
        f"/mentors/{ex}/exceptions",
        data={"csrf_token": token, "skill": SKILL, "max_level": "4", "reason": "Led our IR"},
    )
    assert "Led our IR" in _page(client, f"/mentors/{ex}")
    client.post(f"/mentors/{ex}/exceptions/{SKILL}/withdraw", data={"csrf_token": token})
    with services.session() as db:
        assert db.scalars(select(MentorException)).all() == []
        actions = db.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("mentor.exception.%"))
        ).all()
    assert actions == ["mentor.exception.grant", "mentor.exception.withdraw"]


def test_the_cohort_page_suggests_eligible_mentors_and_refuses_others(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    make_user(services, "good@example.com", "mentor", "Good Mentor")
    make_user(services, "weak@example.com", "mentor", "Weak Mentor")
    with services.session() as db:
        add_badge(db, "good@example.com", f"{SKILL}-l3", date(2026, 1, 1))
        add_badge(db, "weak@example.com", f"{SKILL}-l2", date(2026, 1, 1))
        cohort = Cohort(name="IR spring", starts_on=date(2026, 3, 1), ends_on=date(2099, 4, 1))
        db.add(cohort)
        db.flush()
        cohort_id = cohort.id
    client.post(
        f"/admin/cohorts/{cohort_id}/skills",
        data={"csrf_token": token, "achievement": f"{SKILL}-l2"},
    )
    page = _page(client, f"/admin/cohorts/{cohort_id}")
    section = page.split('id="suggested-mentors"')[1].split("</section>")[0]
    assert "Good Mentor" in section and "Weak Mentor" not in section
    assert "holds a current badge at level 3" in section and "no feedback yet" in section
    refused = client.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "email": "weak@example.com", "role": "mentor"},
        follow_redirects=True,
        headers=HTML,
    )
    assert "cannot mentor it" in unescape(refused.data.decode())
    client.post(
        f"/admin/cohorts/{cohort_id}/members",
        data={"csrf_token": token, "email": "good@example.com", "role": "mentor"},
    )
    with services.session() as db:
        roles = {m.user.email: m.role for m in db.scalars(select(CohortMember))}
    assert roles == {"good@example.com": "mentor"}
    section = _page(client, f"/admin/cohorts/{cohort_id}").split('id="suggested-mentors"')[1]
    assert "Good Mentor" not in section.split("</section>")[0]  # a member is not suggested again


def test_an_attendee_gives_feedback_and_the_mentor_sees_it_suppressed(
    client: FlaskClient, services: Services
) -> None:
    make_user(services, "mentor@example.com", "mentor")
    mentor = _user_id(services, "mentor@example.com")
    token = login(client, services, "lea@example.com", "learner")
    lea = _user_id(services, "lea@example.com")
    with services.session() as db:
        cohort = Cohort(name="C", starts_on=date(2026, 1, 1), ends_on=date(2099, 1, 1))
        db.add(cohort)
        db.flush()
        db.add(CohortMember(cohort_id=cohort.id, user_id=lea, role="learner"))
        came = MentoringSession(
            cohort_id=cohort.id,
            title="Runbooks",
            learning_outcome="Write a runbook",
            starts_at=services.now() - timedelta(days=1),
            minutes=60,
            mentor_id=mentor,
        )
        missed = MentoringSession(
            cohort_id=cohort.id,
            title="Postmortems",
            learning_outcome="y",
            starts_at=services.now() - timedelta(days=2),
            minutes=60,
            mentor_id=mentor,
        )
        running = MentoringSession(
            cohort_id=cohort.id,
            title="Now",
            learning_outcome="z",
            starts_at=services.now() - timedelta(minutes=10),
            minutes=60,
            mentor_id=mentor,
        )
        db.add_all([came, missed, running])
        db.flush()
        db.add(Attendance(session_id=came.id, user_id=lea, present=True))
        db.add(Attendance(session_id=missed.id, user_id=lea, present=False))
        db.add(Attendance(session_id=running.id, user_id=lea, present=True))
        came_id, missed_id, running_id = came.id, missed.id, running.id
    schedule = _page(client, "/my/schedule")
    assert f'href="/sessions/{came_id}/feedback"' in schedule
    assert f'href="/sessions/{missed_id}/feedback"' not in schedule
    assert f'href="/sessions/{running_id}/feedback"' not in schedule  # not over yet
    assert client.get(f"/sessions/{running_id}/feedback", headers=HTML).status_code == 409
    assert "Write a runbook" in _page(client, f"/sessions/{came_id}/feedback")
    bad = client.post(
        f"/sessions/{came_id}/feedback",
        data={"csrf_token": token, "outcome": "maybe", "usefulness": "4"},
        headers=HTML,
    )
    assert bad.status_code == 400
    saved = client.post(
        f"/sessions/{came_id}/feedback",
        data={"csrf_token": token, "outcome": "partly", "usefulness": "4", "comment": "Good"},
    )
    assert saved.status_code == 302
    assert client.get(f"/sessions/{missed_id}/feedback", headers=HTML).status_code == 403
    with services.session() as db:
        rows = db.scalars(select(SessionFeedback)).all()
        assert [(r.session_id, r.outcome, r.usefulness, r.comment) for r in rows] == [
            (came_id, "partly", 4, "Good")
        ]
    client.post("/logout", data={"csrf_token": token})
    login(client, services, "mentor2@example.com", "mentor")
    with services.session() as db:
        db.execute(
            MentoringSession.__table__.update()
            .where(MentoringSession.id == came_id)
            .values(mentor_id=_user_id(services, "mentor2@example.com"))
        )
    page = _page(client, "/mentor/feedback")
    assert "Runbooks" in page and "fewer than 5 responses" in page
    assert "Good" not in page  # one response: its comment is not shown


def test_the_outcomes_dashboard_shows_the_template_triage(
    client: FlaskClient, services: Services
) -> None:
    login(client, services, "root@example.com", "admin")
    with services.session() as db:
        template = SessionTemplate(skill_id=SKILL, level=2)
        db.add(template)
        db.flush()
        db.add(
            TemplateVersion(
                template_id=template.id,
                version=1,
                title="Incident triage drill",
                learning_outcome="x",
                created_by="root@example.com",
            )
        )
        db.add(
            MentoringSession(
                title="Drill",
                learning_outcome="x",
                starts_at=services.now() - timedelta(days=3),
                minutes=60,
                template_id=template.id,
            )
        )
    page = _page(client, "/admin/outcomes")
    section = page.split('id="triage"')[1]
    assert "Incident triage drill" in section
    assert "no session with 5 or more responses" in section  # feedback only over shown sessions


def test_the_suggestions_api(client: FlaskClient, services: Services, api_token: str) -> None:
    make_user(services, "good@example.com", "mentor", "Good Mentor")
    with services.session() as db:
        add_badge(db, "good@example.com", f"{SKILL}-l3", date(2026, 1, 1))
    auth = {"Authorization": f"Bearer {api_token}"}
    found = client.get(f"/api/v1/mentors/suggestions?skill={SKILL}&level=2", headers=auth)
    assert found.status_code == 200
    body = json.loads(found.data)
    assert [m["email"] for m in body["mentors"]] == ["good@example.com"]
    assert body["mentors"][0]["eligibility"][0]["basis"] == "badge"
    assert body["mentors"][0]["feedback"] == {"responses": None, "meanUsefulness": None}
    assert client.get(f"/api/v1/mentors/suggestions?skill={SKILL}&level=3", headers=auth).json == {
        "skill": SKILL,
        "level": 3,
        "mentors": [],
    }
    for query, status, code in (
        (f"skill={SKILL}&level=9", 400, "bad_level"),
        (f"skill={SKILL}&level=x", 400, "bad_level"),
        ("level=2", 400, "missing_parameter"),
        ("skill=nope&level=2", 404, "unknown_skill"),
        (f"skill={SKILL}&level=2&x=1", 400, "unknown_parameter"),
    ):
        answer = client.get(f"/api/v1/mentors/suggestions?{query}", headers=auth)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), query
    assert client.get(f"/api/v1/mentors/suggestions?skill={SKILL}&level=2").status_code == 401
