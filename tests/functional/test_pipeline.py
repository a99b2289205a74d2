"""Build or buy per job family (issue #20, part 5) through the test client on a real database:
the page ``/hiring/pipeline`` (who may see it, what it prints: numbers, "fewer than 5", the
sentence, the unlock table) and ``GET /api/v1/job-families/<id>/pipeline`` (scope, 404, the
described shape, suppressed counts, consent)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.tokens import create_token
from passport.mobility.consent import Consent, set_consent
from passport.services import Services
from tests.functional.test_admin import HTML
from tests.functional.test_admin_outcomes import sign_in, text_of
from tests.functional.test_openapi import Conformance
from tests.unit.passport.mobility.population import DATA, cohort, data_role, people, short

PATH = "/job-families/{jobFamilyId}/pipeline"  # as the description names it


def token(services: Services, *scopes: str) -> dict[str, str]:
    with services.session() as session:
        value = create_token(session, "hr " + " ".join(scopes), scopes=scopes, actor="test")
    return {"Authorization": f"Bearer {value}"}


def populate(services: Services) -> str:
    """Data: 3 openings, 6 ready (and 4 who did not opt in), 2 within one cohort, a cohort on
    pipelines in 10 days; returns its start date."""
    now = services.now()
    starts = now.date() + timedelta(days=10)
    with services.session() as session:
        data_role(session, 3, now)
        people(session, "ready", 6, DATA, now=now)
        people(session, "quiet", 4, DATA, now=now, discoverable=False)
        people(session, "near", 2, short("data-pipelines"), now=now)
        cohort(session, "Pipelines deep dive", starts, teaches=("data-pipelines-l3",))
    return starts.isoformat()


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document


# -- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["assessor", "mentor", "analyst", "learner"])
def test_other_roles_are_refused(client: FlaskClient, services: Services, role: str) -> None:
    sign_in(client, services, f"{role}@example.com", role)
    assert client.get("/hiring/pipeline", headers=HTML).status_code == 403
    assert client.get("/hiring/pipeline/data", headers=HTML).status_code == 403


def test_signed_out_browsers_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/hiring/pipeline", headers=HTML)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_shows_each_family_with_its_figures(
    client: FlaskClient, services: Services
) -> None:
    populate(services)
    sign_in(client, services, "boss@example.com", "admin")
    page = client.get("/hiring/pipeline", headers=HTML)
    assert page.status_code == 200
    html = page.data.decode()
    text = text_of(html)
    assert re.search(r"<h1[^>]*>\s*Build or buy\s*</h1>", html)
    for family in ("Data Engineering", "Site Reliability Engineering", "Security Engineering"):
        # Every active family has its own linked heading.
        assert re.search(rf"<h2[^>]*><a [^>]*>{family}</a></h2>", html), family
    assert 'href="/hiring/pipeline/data"' in html
    assert "3 openings, 6 ready now, fewer than 5 within one cohort starting" in text
    assert ": move internally" in text
    assert "Data pipelines" in text or "data pipelines" in text.lower()
    # Tables stack at 390 px: every cell carries its column's label.
    cells = re.findall(r"<td(?: [^>]*)?>", html)
    assert cells and all("data-label=" in cell for cell in cells)
    assert "@example.org" not in html  # counts, never people


def test_the_family_page_and_an_unknown_family(client: FlaskClient, services: Services) -> None:
    starts = populate(services)
    sign_in(client, services, "boss@example.com", "admin")
    page = client.get("/hiring/pipeline/data", headers=HTML)
    assert page.status_code == 200
    html = page.data.decode()
    assert re.search(r"<h1[^>]*>[^<]*Data", html)
    text = text_of(html)
    assert "Skills that would unlock the most ready candidates" in text
    assert "Pipelines deep dive" in text and "fewer than 5" in text
    assert starts not in text  # dates are worded for people on the page
    assert client.get("/hiring/pipeline/nope", headers=HTML).status_code == 404


# -- the API ----------------------------------------------------------------------------------


def test_the_api_needs_the_roles_read_scope(client: FlaskClient, services: Services) -> None:
    url = "/api/v1/job-families/data/pipeline"
    assert client.get(url).status_code == 401
    refused = client.get(url, headers=token(services, "outcomes:read"))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "insufficient_scope"
    missing = client.get(
        "/api/v1/job-families/nope/pipeline", headers=token(services, "roles:read")
    )
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "unknown_job_family"


def test_the_api_answers_the_described_shape_with_suppressed_counts(
    client: FlaskClient, services: Services, spec: dict[str, Any]
) -> None:
    starts = populate(services)
    response = client.get(
        "/api/v1/job-families/data/pipeline", headers=token(services, "roles:read")
    )
    assert response.status_code == 200
    Conformance(spec).check(PATH, "get", response)
    body = response.get_json()
    assert body == {
        "jobFamily": "data",
        "openings": 3,
        "readyNow": 6,  # the 4 who did not opt in are not counted
        "withinOneCohort": {"suppressed": True},
        "inCohortNow": {"suppressed": True},
        "recommendation": {
            "decision": "move_internally",
            "sentence": (
                f"3 openings, 6 ready now, fewer than 5 within one cohort starting {starts}: "
                "move internally"
            ),
        },
        "nextCohort": {"name": "Pipelines deep dive", "startsOn": starts},
        "unlockSkills": [
            {
                "skill": "data-pipelines",
                "candidates": {"suppressed": True},
                "nextCohort": {"name": "Pipelines deep dive", "startsOn": starts},
            }
        ],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_reads_consent_on_every_request(client: FlaskClient, services: Services) -> None:
    populate(services)
    headers = token(services, "roles:read")
    url = "/api/v1/job-families/data/pipeline"
    assert client.get(url, headers=headers).get_json()["readyNow"] == 6

    with services.session() as session:
        for email in ("ready0@example.org", "ready1@example.org"):
            uid = session.scalar(select(User.id).where(User.email == email))
            assert uid is not None
            set_consent(session, uid, Consent(False), actor=email, now=services.now())
    after = client.get(url, headers=headers).get_json()
    assert after["readyNow"] == {"suppressed": True}
    assert after["recommendation"]["decision"] == "move_internally"  # 4 ready ≥ 3 openings
