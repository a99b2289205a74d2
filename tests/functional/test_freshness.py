"""Skills that stay fresh, through the pages and the API: the passport's banner and history,
the "stale soon" page (admins see names, analysts counts with "fewer than 5"), its CSV and
``GET /api/v1/job-families/<id>/freshness``."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.assessments.record import AssessmentInput, record_assessment
from passport.audit import AuditEvent
from passport.catalog.models import AchievementDefinition
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from tests.functional.test_admin import HTML, csrf
from tests.functional.test_admin_outcomes import sign_in, text_of
from tests.functional.test_openapi import Conformance
from tests.functional.test_pipeline import token

BADGE = "incident-response-l2"
LEVELS = {"triage": 3, "communication": 2, "review": 2}
PATH = "/job-families/{jobFamilyId}/freshness"


def pass_at(services: Services, email: str, now: datetime) -> str:
    with services.session() as session:
        outcome = record_assessment(
            session,
            services,
            AssessmentInput(
                learner_email=email,
                achievement_id=BADGE,
                levels=LEVELS,
                assessor="assessor@example.com",
            ),
            now=now,
        )
    assert outcome.credential_id is not None
    return outcome.credential_id


def days_valid(services: Services) -> int:
    with services.session() as session:
        found = session.get(AchievementDefinition, BADGE)
        assert found is not None and found.valid_for_days
        return int(found.valid_for_days)


def award(services: Services, email: str, valid_until: datetime, name: str | None = None) -> None:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest(BADGE, email, reason="award", recipient_name=name),
            now=services.now() - timedelta(days=30),
        )
        record.valid_until = valid_until


# -- the passport -----------------------------------------------------------------------------


def test_the_passport_offers_to_renew_a_badge_that_expires_soon(
    client: FlaskClient, services: Services
) -> None:
    sign_in(client, services, "ada@example.com", "learner")
    now = services.now()
    old = pass_at(services, "ada@example.com", now - timedelta(days=days_valid(services) - 12))
    page = client.get("/passport", headers=HTML).get_data(as_text=True)
    assert "/events?skill=incident-response&amp;level=2" in page
    assert "(in 12 days)" in text_of(page)
    badge = client.get(f"/passport/badges/{old}", headers=HTML).get_data(as_text=True)
    assert "/events?skill=incident-response&amp;level=2" in badge


def test_the_passport_shows_the_renewed_badge_with_its_history(
    client: FlaskClient, services: Services
) -> None:
    sign_in(client, services, "ada@example.com", "learner")
    now = services.now()
    old = pass_at(services, "ada@example.com", now - timedelta(days=days_valid(services) - 3))
    new = pass_at(services, "ada@example.com", now)
    page = client.get("/passport", headers=HTML).get_data(as_text=True)
    assert f"/passport/badges/{new}" in page
    assert f"/passport/badges/{old}" not in page  # only in the history
    assert "/events?skill=" not in page  # renewed: no banner
    assert "History: renews 1 earlier badge" in text_of(page)
    current = client.get(f"/passport/badges/{new}", headers=HTML).get_data(as_text=True)
    assert 'id="history"' in current and f"/passport/badges/{old}" in current
    earlier = client.get(f"/passport/badges/{old}", headers=HTML).get_data(as_text=True)
    assert "This badge was renewed" in text_of(earlier)
    assert f"/passport/badges/{new}" in earlier


# -- the stale-soon page ----------------------------------------------------------------------


def _going_stale(services: Services, count: int) -> list[str]:
    now = services.now()
    emails = [f"p{i}@example.com" for i in range(count)]
    for i, email in enumerate(emails):
        award(services, email, now + timedelta(days=20 + i), name=f"Person {i}")
    return emails


@pytest.mark.parametrize("role", ["assessor", "mentor", "learner", "hiring_manager"])
def test_other_roles_are_refused(client: FlaskClient, services: Services, role: str) -> None:
    sign_in(client, services, f"{role}@example.com", role)
    assert client.get("/admin/freshness", headers=HTML).status_code == 403


def test_admins_see_names_and_download_the_csv(client: FlaskClient, services: Services) -> None:
    _going_stale(services, 2)
    sign_in(client, services, "admin@example.com", "admin")
    dashboard = client.get("/admin/", headers=HTML, follow_redirects=True).get_data(as_text=True)
    assert "/admin/freshness" in dashboard  # reachable from the admin nav
    page = client.get("/admin/freshness?days=30", headers=HTML)
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "Person 0" in text and "Person 1" in text and "nothing planned" in text
    response = client.get("/admin/freshness/security.csv?days=30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [r[3] for r in rows[1:]] == ["Person 0", "Person 1"]
    with services.session() as session:
        assert (
            session.scalar(select(AuditEvent).where(AuditEvent.action == "freshness.export"))
            is not None
        )


def test_analysts_see_counts_never_under_five_and_no_names(
    client: FlaskClient, services: Services
) -> None:
    _going_stale(services, 3)
    sign_in(client, services, "analyst@example.com", "analyst")
    text = text_of(client.get("/admin/freshness", headers=HTML).get_data(as_text=True))
    assert "fewer than 5" in text
    assert "Person 0" not in text
    assert client.get("/admin/freshness/security.csv").status_code == 403


def test_a_window_not_offered_is_a_clear_error(client: FlaskClient, services: Services) -> None:
    sign_in(client, services, "admin@example.com", "admin")
    response = client.get("/admin/freshness?days=7", headers=HTML)
    assert response.status_code == 400
    assert "30, 60 or 90" in text_of(response.get_data(as_text=True))


# -- the API ----------------------------------------------------------------------------------


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document


def test_the_api_answers_the_described_shape(
    client: FlaskClient, services: Services, spec: dict[str, Any]
) -> None:
    _going_stale(services, 5)
    response = client.get(
        "/api/v1/job-families/security/freshness?days=90", headers=token(services, "read")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    Conformance(spec).check(PATH, "get", response)
    body = response.get_json()
    assert body["jobFamily"] == "security" and body["days"] == 90
    (row,) = [s for s in body["skills"] if s["skill"] == "incident-response"]
    assert row == {"skill": "incident-response", "level": 2, "holders": 5, "staleSoon": 5}
    other = [s for s in body["skills"] if s["skill"] != "incident-response"]
    assert other and all(s["staleSoon"] == {"suppressed": True} for s in other)


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/job-families/nope/freshness", 404, "unknown_job_family"),
        ("/api/v1/job-families/security/freshness?days=7", 400, "invalid_days"),
        ("/api/v1/job-families/security/freshness?window=7", 400, "unknown_parameter"),
    ],
)
def test_the_api_refuses_bad_input_clearly(
    client: FlaskClient, services: Services, spec: dict[str, Any], url: str, status: int, code: str
) -> None:
    response = client.get(url, headers=token(services, "read"))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    Conformance(spec).check(PATH, "get", response)


def test_the_api_needs_the_read_scope(client: FlaskClient, services: Services) -> None:
    url = "/api/v1/job-families/security/freshness"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=token(services, "outcomes:read")).status_code == 403


def test_the_demo_gives_ada_a_renewed_badge_and_one_to_renew(
    client: FlaskClient, services: Services
) -> None:
    from passport.instance.demo import DEMO_PASSWORD, load_demo

    load_demo(services)
    again = load_demo(services)  # idempotent: nothing issued twice
    assert again.created is False
    client.post(
        "/login",
        data={
            "email": "ada.lovelace@demo.example",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf(client),
        },
    )
    page = text_of(client.get("/passport", headers=HTML).get_data(as_text=True))
    assert "History: renews 1 earlier badge" in page
    assert "(in 20 days)" in page
