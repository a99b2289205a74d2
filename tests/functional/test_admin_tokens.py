"""``/admin/tokens``: administrators list, create (shown once) and revoke API tokens, through
the browser path (login form, CSRF tokens scraped from pages) on a real database."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import ApiToken
from passport.audit import AuditEvent
from passport.services import Services
from tests.functional.test_admin import HTML, login

ADMIN = "root@example.com"


def _create(client: FlaskClient, csrf: str, **form: object) -> tuple[int, str]:
    response = client.post("/admin/tokens", data={"csrf_token": csrf, **form}, headers=HTML)
    return response.status_code, response.get_data(as_text=True)


def _shown_token(page: str) -> str:
    match = re.search(r'id="new-token"[^>]* value="(sp_[^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_an_admin_creates_a_token_that_is_shown_once_and_works(
    client: FlaskClient, services: Services
) -> None:
    csrf = login(client, services, ADMIN, "admin")
    response = client.post(
        "/admin/tokens",
        data={
            "csrf_token": csrf,
            "name": "LMS production",
            "scope": ["read", "verify"],
            "expires": "30",
        },
        headers=HTML,
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    token = _shown_token(page)
    assert page.count(token) == 1
    info = client.get("/api/v1/token", headers={"Authorization": f"Bearer {token}"})
    assert info.get_json()["scopes"] == ["verify", "read"]
    assert info.get_json()["expiresAt"] is not None
    listing = client.get("/admin/tokens", headers=HTML).get_data(as_text=True)
    assert "LMS production" in listing and token not in listing
    assert "<code>verify</code>, <code>read</code>" in listing
    with services.session() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.create"))
        assert event is not None and event.actor == ADMIN
        row = db.scalar(select(ApiToken))
        assert row is not None and row.created_by == ADMIN


def test_create_form_problems_are_shown_on_the_page(
    client: FlaskClient, services: Services
) -> None:
    csrf = login(client, services, ADMIN, "admin")
    status, page = _create(client, csrf, name="no scope")
    assert status == 400 and "a token without a scope can do nothing" in page
    assert 'value="no scope"' in page
    status, page = _create(client, csrf, name="x", scope="read", expires="soon")
    assert status == 400 and "whole number of days" in page
    assert 'id="expires" name="expires"' in page and 'aria-invalid="true"' in page
    assert _create(client, csrf, name="twice", scope="read")[0] == 200
    status, page = _create(client, csrf, name="twice", scope="read")
    assert status == 400 and "already exists" in page
    status, page = _create(client, csrf, name="x", scope="root")
    assert status == 400 and "Choose scopes from the list." in page
    with services.session() as db:
        assert db.scalars(select(ApiToken.name)).all() == ["twice"]


def test_revoking_asks_first_then_the_token_is_refused(
    client: FlaskClient, services: Services
) -> None:
    csrf = login(client, services, ADMIN, "admin")
    token = _shown_token(_create(client, csrf, name="ci", scope="read")[1])
    with services.session() as db:
        token_id = db.scalar(select(ApiToken.id))
    url = f"/admin/tokens/{token_id}/revoke"
    confirm = client.get(url, headers=HTML)
    assert confirm.status_code == 200
    assert "Revoke the API token ci?" in confirm.get_data(as_text=True)
    # Without the CSRF token nothing happens.
    assert client.post(url, headers=HTML).status_code in (400, 403)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/token", headers=auth).status_code == 200
    done = client.post(url, data={"csrf_token": csrf}, headers=HTML)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/tokens")
    assert client.get("/api/v1/token", headers=auth).status_code == 401
    listing = client.get("/admin/tokens", headers=HTML).get_data(as_text=True)
    assert "Revoked" in listing and url not in listing
    assert client.get("/admin/tokens/999999/revoke", headers=HTML).status_code == 404


def test_only_administrators_manage_tokens(client: FlaskClient, services: Services) -> None:
    login(client, services, "ana@example.com", "assessor")
    assert client.get("/admin/tokens", headers=HTML).status_code == 403


def test_the_assessment_page_shows_the_token_and_the_assessor_it_named(
    client: FlaskClient, services: Services, api_token: str
) -> None:
    recorded = client.post(
        "/api/v1/assessments",
        json={
            "learner": "ada@example.com",
            "achievement": "observability-l2",
            "level": 2,
            "assessor": "bob@example.com",
        },
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert recorded.status_code == 201
    login(client, services, ADMIN, "admin")
    page = client.get(
        f"/admin/assessments/{recorded.get_json()['assessment']}", headers=HTML
    ).get_data(as_text=True)
    assert re.search(r"<dd>token:\d+</dd>", page)
    assert "Assessor named by the integration</dt><dd>bob@example.com</dd>" in page


def test_the_pages_speak_german(client: FlaskClient, services: Services) -> None:
    german = {"Accept": "text/html", "Accept-Language": "de-DE,de;q=0.9"}
    csrf = login(client, services, ADMIN, "admin")
    page = client.get("/admin/tokens", headers=german).get_data(as_text=True)
    assert "<h1>API-Tokens</h1>" in page and "Berechtigungen: was das Token darf" in page
    refused = client.post(
        "/admin/tokens", data={"csrf_token": csrf, "name": "ohne"}, headers=german
    ).get_data(as_text=True)
    assert "Ein Token ohne Berechtigung kann nichts." in refused


def test_every_scope_is_described_on_the_page(app: Flask) -> None:
    from passport.accounts.tokens import SCOPES
    from passport.web.admin.tokens import scope_descriptions

    with app.test_request_context():
        assert list(scope_descriptions()) == list(SCOPES)
