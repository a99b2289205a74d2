"""Finding 12: API tokens could not be listed or revoked, carried no scopes or expiry, and
names could repeat.

Now: tokens are listed (never shown again), revoked (the next request is refused), expire,
carry scopes (a request outside them is 403 ``insufficient_scope``; a token without any scope
can do nothing), and a name is taken once.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from passport.accounts.models import ApiToken
from passport.accounts.tokens import (
    SCOPES,
    authenticate,
    create_token,
    hash_token,
    list_tokens,
    revoke_token,
)
from passport.errors import Forbidden, InvalidRequest, Unauthorized
from passport.services import Services

ISSUE = {"achievement": "incident-response-l2", "recipient": "ada@example.com"}


def _issue(client: FlaskClient, token: str) -> int:
    response = client.post(
        "/api/v1/credentials", json=ISSUE, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def _make(services: Services, name: str, *scopes: str, **kwargs: object) -> str:
    with services.session() as db:
        return create_token(db, name, scopes=scopes, actor="admin@example.com", **kwargs)  # type: ignore[arg-type]


def test_tokens_are_listed_without_the_token(services: Services, api_token: str) -> None:
    _make(services, "lms", "assessments:write", expires_days=30)
    with services.session() as db:
        rows = {row.name: row for row in list_tokens(db, now=services.now())}
    assert set(rows) == {"test-integration", "lms"}
    lms = rows["lms"]
    assert lms.scopes == ("assessments:write",)
    assert lms.status == "active" and lms.created_by == "admin@example.com"
    assert lms.expires_at is not None and lms.last_used_at is None
    assert api_token not in repr(list(rows.values()))
    assert hash_token(api_token) not in repr(list(rows.values()))


def test_a_revoked_token_is_refused_on_its_next_request(
    client: FlaskClient, services: Services, api_token: str
) -> None:
    assert _issue(client, api_token) == 201
    with services.session() as db:
        assert revoke_token(db, "test-integration", actor="admin", now=services.now()) is True
    response = client.post(
        "/api/v1/credentials", json=ISSUE, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    with services.session() as db:
        (row,) = list_tokens(db, now=services.now())
    assert row.status == "revoked"


def test_an_expired_token_is_refused(client: FlaskClient, services: Services) -> None:
    past = services.now() - timedelta(days=3)
    token = _make(services, "old", "credentials:issue", expires_days=2, now=past)
    assert _issue(client, token) == 401
    with services.session() as db:
        with pytest.raises(Unauthorized):
            authenticate(db, f"Bearer {token}", now=services.now(), scope="credentials:issue")
        # One day earlier it still worked: the expiry is the boundary, not "any expiry".
        assert authenticate(
            db, f"Bearer {token}", now=past + timedelta(days=1), scope="credentials:issue"
        )
        (row,) = list_tokens(db, now=services.now())
    assert row.status == "expired"


def test_a_missing_scope_is_403_naming_it(client: FlaskClient, services: Services) -> None:
    token = _make(services, "status-only", "credentials:status")
    response = client.post(
        "/api/v1/credentials", json=ISSUE, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "credentials:issue" in error["message"]
    with services.session() as db, pytest.raises(Forbidden):
        authenticate(db, f"Bearer {token}", now=services.now(), scope="assessments:write")


def _api_requests(app: Flask) -> list[tuple[str, str]]:
    """One (method, URL) per /api/v1 operation, the OpenAPI description excepted."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("/openapi.json"):
            continue
        url = rule.rule.replace("<path:credential_id>", "urn:uuid:x")
        url = url.replace("<any(revoke, suspend, reinstate):action>", "revoke")
        url = re.sub(r"<int:\w+>", "1", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def test_a_token_without_a_scope_can_do_nothing(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    token = "sp_no-scope-token-made-before-scopes-existed"
    with services.session() as db:
        db.add(ApiToken(name="bare", token_hash=hash_token(token), scopes=""))
    requests = _api_requests(app)
    assert {url for _, url in requests} >= {
        "/api/v1/credentials",
        "/api/v1/assessments",
        "/api/v1/verify",
        "/api/v1/token",
    }
    for method, url in requests:
        response = client.open(
            url, method=method, json={}, headers={"Authorization": f"Bearer {token}"}
        )
        if url.startswith("/api/v1/me/") or url.endswith("/signup"):
            # The signed-in person's own settings (and event sign-ups) take a session, never
            # a token.
            assert response.status_code == 401, (method, url)
            assert response.get_json()["error"]["code"] == "login_required"
            continue
        assert response.status_code == 403, (method, url)
        assert response.get_json()["error"]["code"] == "insufficient_scope"
    with services.session() as db:
        for scope in SCOPES:
            with pytest.raises(Forbidden):
                authenticate(db, f"Bearer {token}", now=services.now(), scope=scope)


def test_a_token_cannot_be_made_without_a_scope(services: Services) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _make(services, "nothing")
    assert caught.value.code == "no_scope"


def test_a_name_is_taken_once(services: Services, api_token: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _make(services, "test-integration", "read")
    assert caught.value.code == "duplicate_token"
    # Revoking does not free the name: the audit log's token:<id> stays unambiguous.
    with services.session() as db:
        revoke_token(db, "test-integration", actor="admin", now=services.now())
    with pytest.raises(InvalidRequest):
        _make(services, "test-integration", "read")
    # The database holds the line too, whatever code writes the row.
    with pytest.raises(IntegrityError), services.session() as db:
        db.add(ApiToken(name="test-integration", token_hash="0" * 64, scopes="read"))
