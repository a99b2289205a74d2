"""API token use cases: bad input gets a clear code, scopes are kept in one order, and the
token is never stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from passport.accounts.models import ApiToken
from passport.accounts.tokens import (
    MAX_EXPIRES_DAYS,
    SCOPES,
    authenticate,
    create_token,
    revoke_token,
    token_actor,
)
from passport.audit import AuditEvent
from passport.errors import InvalidRequest, NotFound, Unauthorized
from passport.services import Services


@pytest.mark.parametrize(
    ("name", "kwargs", "code"),
    [
        ("ok", {"scopes": ["admin"]}, "unknown_scope"),
        ("ok", {"scopes": ["read", "credentials:*"]}, "unknown_scope"),
        ("ok", {"scopes": []}, "no_scope"),
        ("ok", {"scopes": ["  "]}, "no_scope"),
        ("", {"scopes": ["read"]}, "missing_name"),
        ("   ", {"scopes": ["read"]}, "missing_name"),
        ("x" * 101, {"scopes": ["read"]}, "name_too_long"),
        ("tab\tname", {"scopes": ["read"]}, "bad_name"),
        ("ok", {"scopes": ["read"], "expires_days": 0}, "bad_expiry"),
        ("ok", {"scopes": ["read"], "expires_days": -5}, "bad_expiry"),
        ("ok", {"scopes": ["read"], "expires_days": MAX_EXPIRES_DAYS + 1}, "bad_expiry"),
        ("ok", {"scopes": ["read"], "expires_days": True}, "bad_expiry"),
    ],
)
def test_bad_input_is_refused_with_a_code(
    services: Services, name: str, kwargs: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidRequest) as caught, services.session() as db:
        create_token(db, name, actor="test", **kwargs)
    assert caught.value.code == code
    with services.session() as db:
        assert db.scalars(select(ApiToken)).all() == []


def test_scopes_are_stored_once_in_list_order_and_the_token_hashed(services: Services) -> None:
    now = services.now()
    with services.session() as db:
        token = create_token(
            db,
            " lms ",
            scopes=["read", "assessments:write", "read"],
            expires_days=90,
            actor="ops@example.com",
            now=now,
        )
    with services.session() as db:
        row = db.scalar(select(ApiToken))
        assert row is not None
        assert row.name == "lms"
        assert row.scope_set == ("assessments:write", "read")
        assert row.expires_at == now + timedelta(days=90)
        assert token not in (row.token_hash, row.name, row.scopes)
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.create"))
        assert event is not None and event.actor == "ops@example.com" and event.subject == "lms"
        found = authenticate(db, f"Bearer {token}", now=now, scope="read")
        assert token_actor(found) == f"token:{row.id}"
        assert found.last_used_at == now


def test_every_scope_is_described() -> None:
    assert all(description.endswith(".") for description in SCOPES.values())
    assert len(SCOPES) == len(set(SCOPES)) >= 6


def test_revoking_an_unknown_name_is_not_found_and_twice_changes_nothing(
    services: Services,
) -> None:
    with services.session() as db, pytest.raises(NotFound):
        revoke_token(db, "nope", actor="test", now=services.now())
    with services.session() as db:
        create_token(db, "ci", scopes=["read"], actor="test")
    with services.session() as db:
        assert revoke_token(db, "ci", actor="test", now=services.now()) is True
        assert revoke_token(db, "ci", actor="test", now=services.now()) is False
        revokes = db.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()
    assert len(revokes) == 1


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer " + "x" * 300, "Bearer sp_x"]
)
def test_bad_headers_are_unauthorized(services: Services, header: str | None) -> None:
    with services.session() as db, pytest.raises(Unauthorized):
        authenticate(db, header, now=services.now(), scope="read")
