"""The mobility API (issue #20) through Flask's test client on a real database: token scopes,
the roles' life, the signed-in person's consent (session cookie and X-CSRF-Token), and the
candidate list — only people who opted in, withdrawal and revocation felt on the next request,
the ranking rule's order."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import ApiToken
from passport.accounts.tokens import create_token
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.mobility.consent import Consent, set_consent
from passport.services import Services
from tests.functional.test_admin import PASSWORD, csrf, login
from tests.unit.passport.outcomes.fixtures import add_badge

#: A role that asks for two skills only (the SRE family's others set to 0: not required).
LEVELS = {
    "linux-administration": 0,
    "observability": 0,
    "infrastructure-as-code": 0,
    "networking": 0,
    "incident-response": 2,
    "kubernetes-operations": 2,
}
ROLE = {"title": "SRE II", "jobFamily": "sre", "openings": 2, "levels": LEVELS}


def token(services: Services, name: str, *scopes: str) -> dict[str, str]:
    with services.session() as session:
        value = create_token(session, name, scopes=scopes, actor="test")
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def writer(services: Services) -> dict[str, str]:
    return token(services, "hr-writer", "roles:write")


@pytest.fixture
def reader(services: Services) -> dict[str, str]:
    return token(services, "hr-reader", "roles:read")


@pytest.fixture
def issuer(services: Services) -> dict[str, str]:
    return token(services, "lms", "credentials:issue", "credentials:status")


def person(services: Services, email: str, *, discoverable: bool = True) -> int:
    with services.session() as session:
        user = create_user(
            session,
            email=email,
            name=email.split("@")[0].title(),
            role="learner",
            password=PASSWORD,
        )
        session.flush()
        if discoverable:
            set_consent(session, user.id, Consent(True, None), actor=email, now=services.now())
        return user.id


def sign_in(client: FlaskClient, email: str) -> str:
    """Log ``email`` in through the form; the session's CSRF token, as the API hands it out."""
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302
    token: str = client.get("/api/v1/me/discoverability").headers["X-CSRF-Token"]
    return token


def issue(client: FlaskClient, headers: dict[str, str], email: str, achievement: str) -> str:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": achievement, "recipient": email, "format": "jwt"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    credential_id: str = response.get_json()["id"]
    return credential_id


def open_role(client: FlaskClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/roles", json={**ROLE, **changes}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert response.headers["Location"] == f"/api/v1/roles/{body['id']}"
    return body


def candidates(client: FlaskClient, headers: dict[str, str], role_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/roles/{role_id}/candidates", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    found: list[dict[str, Any]] = response.get_json()["candidates"]
    return found


def emails(found: list[dict[str, Any]]) -> list[str]:
    return [c["holder"]["email"] for c in found]


def code(response: Any) -> str:
    value: str = response.get_json()["error"]["code"]
    return value


# -- roles and scopes ----------------------------------------------------------------------------


def test_a_role_is_opened_read_listed_and_closed(
    client: FlaskClient, writer: dict[str, str], reader: dict[str, str]
) -> None:
    role = open_role(client, writer, team="Platform", location="Berlin")
    assert role["levels"] == {"incident-response": 2, "kubernetes-operations": 2}
    assert (role["title"], role["jobFamily"], role["openings"], role["status"]) == (
        "SRE II",
        "sre",
        2,
        "open",
    )
    assert (role["team"], role["location"]) == ("Platform", "Berlin")
    for headers in (reader, writer):  # a writer may read what it opened
        assert client.get(f"/api/v1/roles/{role['id']}", headers=headers).get_json() == role
    other = open_role(client, writer, title="Security engineer", jobFamily="security", levels={})
    listed = client.get("/api/v1/roles", headers=reader).get_json()["roles"]
    assert {r["id"] for r in listed} == {role["id"], other["id"]}
    closed = client.post(f"/api/v1/roles/{role['id']}/close", headers=writer)
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed" and closed.get_json()["closedAt"]
    again = client.post(f"/api/v1/roles/{role['id']}/close", headers=writer)
    assert (again.status_code, code(again)) == (409, "role_closed")
    open_ones = client.get("/api/v1/roles?status=open", headers=reader).get_json()["roles"]
    assert [r["id"] for r in open_ones] == [other["id"]]
    by_family = client.get("/api/v1/roles?jobFamily=sre", headers=reader).get_json()["roles"]
    assert [(r["id"], r["status"]) for r in by_family] == [(role["id"], "closed")]


def test_each_operation_needs_its_scope(
    client: FlaskClient,
    services: Services,
    writer: dict[str, str],
    reader: dict[str, str],
    issuer: dict[str, str],
) -> None:
    role_id = open_role(client, writer)["id"]
    refused = [
        client.post("/api/v1/roles", json=ROLE, headers=reader),
        client.post(f"/api/v1/roles/{role_id}/close", headers=reader),
        client.get("/api/v1/roles", headers=writer),
        client.get(f"/api/v1/roles/{role_id}/candidates", headers=writer),
        client.get(f"/api/v1/roles/{role_id}", headers=issuer),
    ]
    assert [(r.status_code, code(r)) for r in refused] == [(403, "insufficient_scope")] * 5
    anonymous = [
        client.post("/api/v1/roles", json=ROLE),
        client.get("/api/v1/roles"),
        client.get(f"/api/v1/roles/{role_id}"),
        client.get(f"/api/v1/roles/{role_id}/candidates"),
        client.post(f"/api/v1/roles/{role_id}/close"),
    ]
    assert [r.status_code for r in anonymous] == [401] * 5
    assert client.get(f"/api/v1/roles/{role_id}", headers=reader).get_json()["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({**ROLE, "salary": 1}, 400, "unknown_field"),
        ({**ROLE, "jobFamily": "nope"}, 400, "unknown_job_family"),
        ({**ROLE, "levels": {"networking": 9}}, 400, "invalid_level"),
        ({**ROLE, "openings": 0}, 400, "invalid_openings"),
        ({**ROLE, "title": ""}, 400, "missing_title"),
        ({**ROLE, "title": 5}, 400, "invalid_title"),
        ({**ROLE, "levels": [1]}, 400, "invalid_levels"),
        ([ROLE], 400, "invalid_body"),
    ],
)
def test_a_bad_role_gets_a_stable_code(
    client: FlaskClient, writer: dict[str, str], body: object, status: int, expected: str
) -> None:
    response = client.post("/api/v1/roles", json=body, headers=writer)
    assert (response.status_code, code(response)) == (status, expected)


def test_bad_requests_get_stable_codes(
    client: FlaskClient, writer: dict[str, str], reader: dict[str, str]
) -> None:
    not_json = client.post("/api/v1/roles", data="title=x", headers=writer)
    assert not_json.status_code == 415
    broken = client.post("/api/v1/roles", data="{", content_type="application/json", headers=writer)
    assert broken.status_code == 400
    unknown = [
        client.get("/api/v1/roles/999", headers=reader),
        client.get("/api/v1/roles/999/candidates", headers=reader),
        client.post("/api/v1/roles/999/close", headers=writer),
    ]
    assert [(r.status_code, code(r)) for r in unknown] == [(404, "unknown_role")] * 3
    assert code(client.get("/api/v1/roles?status=maybe", headers=reader)) == "invalid_status"
    assert code(client.get("/api/v1/roles?sort=x", headers=reader)) == "unknown_parameter"


# -- consent: the signed-in person, by session cookie and CSRF header ---------------------------


def test_consent_needs_a_session_and_the_csrf_header(
    client: FlaskClient, services: Services
) -> None:
    body = {"discoverable": True, "jobFamilies": ["sre"]}
    anonymous = client.put("/api/v1/me/discoverability", json=body)
    assert (anonymous.status_code, code(anonymous)) == (401, "login_required")
    assert client.get("/api/v1/me/discoverability").status_code == 401
    login(client, services, "ada@example.com", "learner")
    before = client.get("/api/v1/me/discoverability")
    assert before.get_json() == {"discoverable": False, "jobFamilies": None, "updatedAt": None}
    csrf = before.headers["X-CSRF-Token"]
    without = client.put("/api/v1/me/discoverability", json=body)
    assert (without.status_code, code(without)) == (403, "csrf_failed")
    wrong = client.put("/api/v1/me/discoverability", json=body, headers={"X-CSRF-Token": "x"})
    assert (wrong.status_code, code(wrong)) == (403, "csrf_failed")
    assert client.get("/api/v1/me/discoverability").get_json()["discoverable"] is False
    done = client.put("/api/v1/me/discoverability", json=body, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200
    assert done.get_json()["discoverable"] is True
    assert done.get_json()["jobFamilies"] == ["sre"]
    assert client.get("/api/v1/me/discoverability").get_json()["jobFamilies"] == ["sre"]
    refused = [
        client.put("/api/v1/me/discoverability", json=bad, headers={"X-CSRF-Token": csrf})
        for bad in (
            {"discoverable": "yes"},
            {"discoverable": True, "jobFamilies": ["nope"]},
            {"discoverable": True, "extra": 1},
            {"discoverable": True, "jobFamilies": ["sre"] * 201},
        )
    ]
    assert [code(r) for r in refused] == [
        "invalid_discoverable",
        "unknown_job_family",
        "unknown_field",
        "invalid_job_families",
    ]
    form = client.put(
        "/api/v1/me/discoverability", data="discoverable=1", headers={"X-CSRF-Token": csrf}
    )
    assert form.status_code == 415


def test_only_learners_opt_in_and_anyone_may_withdraw(
    client: FlaskClient, services: Services
) -> None:
    with services.session() as session:
        mentor = create_user(
            session, email="mo@example.com", name="Mo", role="mentor", password=PASSWORD
        )
        session.flush()
        # Opted in while still a learner, say: withdrawing must stay possible.
        set_consent(session, mentor.id, Consent(True, None), actor="mo", now=services.now())
    csrf = sign_in(client, "mo@example.com")
    body = {"discoverable": True, "jobFamilies": None}
    refused = client.put("/api/v1/me/discoverability", json=body, headers={"X-CSRF-Token": csrf})
    assert (refused.status_code, code(refused)) == (403, "role_forbidden")
    off = client.put(
        "/api/v1/me/discoverability", json={"discoverable": False}, headers={"X-CSRF-Token": csrf}
    )
    assert off.status_code == 200 and off.get_json()["discoverable"] is False


# -- candidates -----------------------------------------------------------------------------------


def test_candidates_follow_the_rule_consent_withdrawal_and_revocation(
    client: FlaskClient,
    services: Services,
    writer: dict[str, str],
    reader: dict[str, str],
    issuer: dict[str, str],
) -> None:
    person(services, "ada@example.com")
    person(services, "bob@example.com")
    person(services, "cy@example.com")
    person(services, "dee@example.com", discoverable=False)
    ada_k8s = issue(client, issuer, "ada@example.com", "kubernetes-operations-l2")
    ada_ir = issue(client, issuer, "ada@example.com", "incident-response-l2")
    issue(client, issuer, "bob@example.com", "incident-response-l1")
    issue(client, issuer, "cy@example.com", "incident-response-l2")
    issue(client, issuer, "cy@example.com", "kubernetes-operations-l1")
    issue(client, issuer, "dee@example.com", "incident-response-l2")
    issue(client, issuer, "dee@example.com", "kubernetes-operations-l2")
    role_id = open_role(client, writer)["id"]

    found = candidates(client, reader, role_id)
    # Ada meets both; Cy one and is a level short; Bob meets none and is three levels short.
    # Dee holds everything but never said yes: she is in no list.
    assert emails(found) == ["ada@example.com", "cy@example.com", "bob@example.com"]
    ada = found[0]
    assert ada["holder"] == {"name": "Ada", "email": "ada@example.com"}
    assert (ada["met"], ada["required"], ada["shortfall"], ada["gaps"]) == (2, 2, 0, [])
    assert set(ada["badges"]) == {ada_k8s, ada_ir}
    assert found[1]["gaps"] == [{"skill": "kubernetes-operations", "required": 2, "held": 1}]
    assert (found[2]["met"], found[2]["shortfall"]) == (0, 3)
    listing = client.get(f"/api/v1/roles/{role_id}/candidates", headers=reader)
    assert b"dee@example.com" not in listing.data

    # A badge revoked (the real use case, through the API) is out of the very next ranking.
    revoked = client.post(
        f"/api/v1/credentials/{ada_k8s}/revoke", json={"reason": "test"}, headers=issuer
    )
    assert revoked.status_code == 200
    found = candidates(client, reader, role_id)
    assert emails(found) == ["cy@example.com", "ada@example.com", "bob@example.com"]
    assert found[1]["gaps"] == [{"skill": "kubernetes-operations", "required": 2, "held": 0}]
    assert found[1]["badges"] == [ada_ir]

    # Cy withdraws through the API: gone from the next answer.
    csrf_token = sign_in(client, "cy@example.com")
    withdrawn = client.put(
        "/api/v1/me/discoverability",
        json={"discoverable": False},
        headers={"X-CSRF-Token": csrf_token},
    )
    assert withdrawn.get_json()["discoverable"] is False
    assert emails(candidates(client, reader, role_id)) == ["ada@example.com", "bob@example.com"]

    with services.session() as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "role.candidates").order_by(AuditEvent.id)
        ).all()
        reader_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "hr-reader"))
    assert len(reads) == 4
    assert {event.actor for event in reads} == {f"token:{reader_id}"}
    assert json.loads(reads[-1].detail or "null") == {"candidates": 2}


def test_consent_for_another_family_does_not_count(
    client: FlaskClient, services: Services, writer: dict[str, str], reader: dict[str, str]
) -> None:
    user_id = person(services, "eve@example.com", discoverable=False)
    with services.session() as session:
        set_consent(session, user_id, Consent(True, ("security",)), actor="eve", now=services.now())
        add_badge(session, "eve@example.com", "incident-response-l2", date(2026, 1, 5))
    role_id = open_role(client, writer)["id"]
    assert candidates(client, reader, role_id) == []
    security = open_role(client, writer, title="Security", jobFamily="security", levels={})["id"]
    assert emails(candidates(client, reader, security)) == ["eve@example.com"]


def test_equal_candidates_rank_by_the_freshest_badge(
    client: FlaskClient, services: Services, writer: dict[str, str], reader: dict[str, str]
) -> None:
    for email, issued in (
        ("old@example.com", date(2025, 3, 1)),
        ("new@example.com", date(2026, 2, 1)),
        ("mid@example.com", date(2025, 9, 1)),
    ):
        person(services, email)
        with services.session() as session:
            add_badge(session, email, "incident-response-l2", issued)
    with services.session() as session:
        # Expired and suspended badges do not count, however new.
        add_badge(
            session,
            "old@example.com",
            "kubernetes-operations-l2",
            date(2026, 3, 1),
            valid_until=date(2026, 3, 2),
        )
        add_badge(
            session,
            "mid@example.com",
            "kubernetes-operations-l2",
            date(2026, 3, 1),
            suspended=date(2026, 3, 3),
        )
    role_id = open_role(client, writer)["id"]
    found = candidates(client, reader, role_id)
    assert emails(found) == ["new@example.com", "mid@example.com", "old@example.com"]
    assert {(c["met"], c["shortfall"]) for c in found} == {(1, 2)}
