"""The standard-materials pages and API as people use them: a mentor writes a template and
edits it (version 2, history with the changed field), an admin builds a program and starts a
cohort from it, the template page lists the cohort's sessions on the old version and updates
them; bad input is shown on the form with a 400; the API reads templates and programs with a
``read`` token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.tokens import create_token
from passport.audit import AuditEvent
from passport.cohorts.models import Cohort, MentoringSession
from passport.mentoring.models import SessionTemplate
from passport.settings import Settings
from passport.web.context import get_services
from tests.conftest import fresh_app
from tests.functional.signing_in import csrf, log_in, make_user

FORM = {
    "skill": "observability",
    "level": "2",
    "title": "SLOs from user journeys",
    "learning_outcome": "You can derive an SLO and its error budget.",
    "agenda": "Talk, then practice.",
    "hands_on_task": "Write two SLOs.",
    "pre_reading": "SLO chapter | https://sre.google/sre-book/service-level-objectives/",
    "criteria": ["slo"],
    "format": "talk",
    "minutes": "45",
}


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = fresh_app(settings)
    services = get_services(app)
    make_user(services, "admin@example.org", "Ada Admin", role="admin")
    make_user(services, "mentor@example.org", "Mo Mentor", role="mentor")
    yield app
    services.engine.dispose()


def _new_template(client: FlaskClient, **changes: object) -> tuple[int, str]:
    token = csrf(client, "/admin/templates/new?skill=observability&level=2")
    response = client.post("/admin/templates/new", data={**FORM, **changes, "csrf_token": token})
    match = re.search(r"/admin/templates/(\d+)$", response.headers.get("Location", ""))
    return (int(match.group(1)) if match else 0), response.get_data(as_text=True)


def test_a_mentor_writes_and_versions_a_template(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "mentor@example.org", "/admin/cohorts")
    assert "/admin/templates" in client.get("/admin/cohorts").get_data(as_text=True)
    first_step = client.get("/admin/templates/new").get_data(as_text=True)
    assert 'name="skill"' in first_step and 'name="title"' not in first_step
    template_id, _ = _new_template(client)
    assert template_id
    page = client.get(f"/admin/templates/{template_id}").get_data(as_text=True)
    assert "SLOs from user journeys" in page and "Version 1" in page
    token = csrf(client, f"/admin/templates/{template_id}/edit")
    edit = {**FORM, "minutes": "60", "csrf_token": token}
    response = client.post(f"/admin/templates/{template_id}/edit", data=edit)
    assert response.status_code == 302
    page = client.get(f"/admin/templates/{template_id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page
    assert "<del>45</del>" in page and "<ins>60</ins>" in page
    with get_services(app).session() as db:
        actions = db.scalars(select(AuditEvent.action)).all()
        assert "template.create" in actions and "template.update" in actions


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"pre_reading": "Book | http://example.org/"},
            "Each pre-reading link needs an https:// address.",
        ),
        ({"criteria": ["made-up"]}, "Choose criteria from the skill&#39;s own rubric."),
        ({"minutes": "120"}, "A session lasts from 15 to 90 minutes."),
        ({"minutes": "²"}, "A session lasts from 15 to 90 minutes."),  # isdigit(), not int()
    ],
)
def test_bad_template_input_is_shown_on_the_form(
    app: Flask, changes: dict[str, object], message: str
) -> None:
    client = app.test_client()
    log_in(client, "mentor@example.org", "/admin/cohorts")
    template_id, page = _new_template(client, **changes)
    assert template_id == 0
    assert message in page
    assert 'aria-invalid="true"' in page
    with get_services(app).session() as db:
        assert db.scalar(select(SessionTemplate.id)) is None


def test_an_admin_starts_a_cohort_from_a_program_and_updates_outdated_sessions(
    app: Flask,
) -> None:
    client = app.test_client()
    log_in(client, "admin@example.org", "/admin/cohorts")
    template_id, _ = _new_template(client)
    token = csrf(client, "/admin/programs/new")
    response = client.post(
        "/admin/programs/new",
        data={
            "name": "Observability in 3 weeks",
            "description": "",
            "weeks": "3",
            "job_family": "sre",
            "template-0": str(template_id),
            "week-0": "1",
            "weekday-0": "1",
            "template-1": str(template_id),
            "week-1": "3",
            "weekday-1": "3",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    program_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "Observability in 3 weeks" in client.get("/admin/programs").get_data(as_text=True)
    token = csrf(client, f"/admin/cohorts/from-program?program={program_id}")
    response = client.post(
        "/admin/cohorts/from-program",
        data={
            "program": str(program_id),
            "name": "Autumn observability",
            "starts_on": (date.today() + timedelta(days=60)).isoformat(),
            "at": "17:30",
            "time_zone": "Europe/Berlin",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with get_services(app).session() as db:
        cohort = db.scalar(select(Cohort).where(Cohort.name == "Autumn observability"))
        assert cohort is not None and cohort.program_id == program_id
        assert [s.template_version for s in cohort.sessions] == [1, 1]
    # Version 2; the template page lists both upcoming sessions as on version 1.
    token = csrf(client, f"/admin/templates/{template_id}/edit")
    client.post(
        f"/admin/templates/{template_id}/edit",
        data={**FORM, "title": "SLOs, error budgets", "csrf_token": token},
    )
    page = client.get(f"/admin/templates/{template_id}").get_data(as_text=True)
    assert page.count('name="session"') == 2 and "Autumn observability" in page
    token = csrf(client, f"/admin/templates/{template_id}")
    response = client.post(
        f"/admin/templates/{template_id}/sessions", data={"scope": "all", "csrf_token": token}
    )
    assert response.status_code == 302
    with get_services(app).session() as db:
        sessions = db.scalars(select(MentoringSession)).all()
        assert {(s.title, s.template_version, s.sequence) for s in sessions} == {
            ("SLOs, error budgets", 2, 1)
        }
    page = client.get(f"/admin/templates/{template_id}").get_data(as_text=True)
    assert 'name="session"' not in page


def test_odd_digits_and_huge_ids_are_refused_not_a_500(app: Flask) -> None:
    # "²".isdigit() is true but int("²") fails; 2**31 overflows a PostgreSQL integer.
    client = app.test_client()
    log_in(client, "admin@example.org", "/admin/cohorts")
    template_id, _ = _new_template(client)
    page = client.get("/admin/templates/new?skill=observability&level=%C2%B2")
    assert page.status_code == 200
    assert 'name="title"' not in page.get_data(as_text=True)  # still choosing skill and level
    for chosen in ("²", str(2**31), str(10**30)):
        token = csrf(client, f"/admin/templates/{template_id}")
        response = client.post(
            f"/admin/templates/{template_id}/sessions",
            data={"session": chosen, "csrf_token": token},
        )
        assert response.status_code == 302, chosen
        assert "Tick the sessions" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    token = csrf(client, "/admin/cohorts/from-program")
    response = client.post(
        "/admin/cohorts/from-program",
        data={
            "program": str(2**31),
            "name": "X",
            "starts_on": date.today().isoformat(),
            "at": "10:00",
            "time_zone": "UTC",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    token = csrf(client, "/admin/programs/new")
    response = client.post(
        "/admin/programs/new",
        data={
            "name": "P",
            "weeks": "1",
            "template-0": str(2**31),
            "week-0": "1",
            "weekday-0": "0",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400


def test_a_start_date_far_away_is_shown_on_the_form(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "admin@example.org", "/admin/cohorts")
    template_id, _ = _new_template(client)
    token = csrf(client, "/admin/programs/new")
    client.post(
        "/admin/programs/new",
        data={
            "name": "P",
            "weeks": "1",
            "template-0": str(template_id),
            "week-0": "1",
            "weekday-0": "0",
            "csrf_token": token,
        },
    )
    for starts_on in ("9999-12-01", "0001-01-01"):
        token = csrf(client, "/admin/cohorts/from-program")
        response = client.post(
            "/admin/cohorts/from-program",
            data={
                "program": "1",
                "name": "X",
                "starts_on": starts_on,
                "at": "10:00",
                "time_zone": "Europe/Berlin",
                "csrf_token": token,
            },
        )
        assert response.status_code == 400, starts_on
        assert "within two years of today" in response.get_data(as_text=True)


def test_a_bad_time_zone_is_shown_on_the_form(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "admin@example.org", "/admin/cohorts")
    template_id, _ = _new_template(client)
    token = csrf(client, "/admin/programs/new")
    client.post(
        "/admin/programs/new",
        data={
            "name": "P",
            "weeks": "1",
            "template-0": str(template_id),
            "week-0": "1",
            "weekday-0": "0",
            "csrf_token": token,
        },
    )
    token = csrf(client, "/admin/cohorts/from-program")
    response = client.post(
        "/admin/cohorts/from-program",
        data={
            "program": "1",
            "name": "X",
            "starts_on": "2099-01-05",
            "at": "10:00",
            "time_zone": "Nowhere/City",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "is not a time zone" in response.get_data(as_text=True)


def test_the_api_reads_templates_and_programs_with_a_read_token(app: Flask) -> None:
    client = app.test_client()
    log_in(client, "admin@example.org", "/admin/cohorts")
    template_id, _ = _new_template(client)
    services = get_services(app)
    with services.session() as db:
        reader = create_token(db, "reader", scopes=["read"], actor="test")
        other = create_token(db, "issuer", scopes=["credentials:issue"], actor="test")
    api = app.test_client()
    assert api.get("/api/v1/session-templates").status_code == 401
    refused = api.get("/api/v1/session-templates", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    headers = {"Authorization": f"Bearer {reader}"}
    listing = api.get("/api/v1/session-templates", headers=headers).get_json()
    assert [t["id"] for t in listing["templates"]] == [template_id]
    one = api.get(f"/api/v1/session-templates/{template_id}", headers=headers).get_json()
    assert one["current"]["preReading"][0]["url"].startswith("https://")
    assert [v["version"] for v in one["versions"]] == [1]
    missing = api.get("/api/v1/session-templates/999", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "unknown_template"
    assert api.get("/api/v1/programs", headers=headers).get_json() == {"programs": []}
    assert api.get("/api/v1/programs/5", headers=headers).status_code == 404


def test_the_demo_has_templates_a_program_cohort_and_an_outdated_session(
    settings: Settings,
) -> None:
    from passport.instance.demo import load_demo
    from passport.mentoring.templates import list_programs, list_templates, outdated_sessions

    app = fresh_app(settings)
    services = get_services(app)
    load_demo(services)
    load_demo(services)  # idempotent: a second run adds nothing
    with services.session() as db:
        assert len(list_templates(db)) == 7
        (program,) = list_programs(db)
        cohorts = db.scalars(select(Cohort).where(Cohort.program_id == program.id)).all()
        assert len(cohorts) == 1 and len(cohorts[0].sessions) == 7
        changed = [t for t, v in list_templates(db) if t.current_version == 2]
        assert len(changed) == 1
        assert len(outdated_sessions(db, changed[0].id, now=services.now())) == 1
    services.engine.dispose()
