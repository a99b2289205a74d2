"""OpenID4VCI deferred issuance (PASSPORT_OID4VCI_DEFERRED=on): the credential endpoint answers
202 with a ``transaction_id``, the deferred endpoint 202 with ``interval`` until the queued job
signed the copy, then the credential once.

Its own module: its app has other settings, and a shared PostgreSQL test database holds one
app's tables at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest

from keys import did_key_from_public_key, generate_key
from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.jobs.queue import queue_for
from passport.web.context import get_services
from tests.conftest import fresh_app, settings_for
from tests.functional.test_oid4vci import (
    LDP,
    LEA,
    PASSWORD,
    World,
    access_token,
    ask,
    error_of,
    make_proof,
    nonce,
)


@pytest.fixture(scope="module")
def deferred_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = dataclasses.replace(
        settings_for(tmp_path_factory.mktemp("oid4vci-deferred")), oid4vci_deferred=True
    )
    app = fresh_app(settings)
    services = get_services(app)
    queue_for(services).flush()
    with services.session() as db:
        create_user(db, email=LEA, name="Lea", role="learner", password=PASSWORD)
    with services.session() as db:
        badge = issue_credential(
            db,
            services,
            IssueRequest("incident-response-l2", LEA),
            now=services.now() - timedelta(hours=1),
        ).id
    yield World(app, services, badge, badge, badge)
    services.engine.dispose()


def test_deferred_issuance_through_the_queue(deferred_world: World) -> None:
    world = deferred_world
    client = world.client()
    token = access_token(world, world.lea_badge)
    key = generate_key("EdDSA")
    first = ask(
        client,
        token,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
        },
    )
    assert first.status_code == 202, first.get_json()
    pending = first.get_json()
    assert set(pending) == {"transaction_id", "interval"} and pending["interval"] > 0
    transaction = {"transaction_id": pending["transaction_id"]}
    headers = {"Authorization": f"Bearer {token}"}
    waiting = client.post("/oid4vci/deferred", json=transaction, headers=headers)
    assert waiting.status_code == 202 and waiting.get_json() == pending
    assert queue_for(world.services).run_pending() >= 1
    done = client.post("/oid4vci/deferred", json=transaction, headers=headers)
    assert done.status_code == 200, done.get_json()
    credential = done.get_json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == did_key_from_public_key(key.public)
    over = client.post("/oid4vci/deferred", json=transaction, headers=headers)
    assert error_of(over) == "invalid_transaction_id"
    other_token = access_token(world, world.lea_badge)
    stranger = client.post(
        "/oid4vci/deferred", json=transaction, headers={"Authorization": f"Bearer {other_token}"}
    )
    assert error_of(stranger) == "invalid_transaction_id"


def test_a_badge_revoked_while_queued_is_denied(deferred_world: World) -> None:
    from passport.credentials.status import change_status

    world = deferred_world
    services = world.services
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", LEA), now=services.now()
        ).id
    client = world.client()
    token = access_token(world, badge)
    key = generate_key("ES256")
    first = ask(
        client,
        token,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
        },
    )
    assert first.status_code == 202
    with services.session() as db:
        change_status(
            db, services, badge, "revoke", reason="test", actor="admin", now=services.now()
        )
    queue_for(services).run_pending()
    transaction = {"transaction_id": first.get_json()["transaction_id"]}
    denied = client.post(
        "/oid4vci/deferred", json=transaction, headers={"Authorization": f"Bearer {token}"}
    )
    assert error_of(denied) == "credential_request_denied"
    again = client.post(
        "/oid4vci/deferred", json=transaction, headers={"Authorization": f"Bearer {token}"}
    )
    assert error_of(again) == "invalid_transaction_id"


def _pending(world: World, badge: str) -> tuple[str, str]:
    """A token and the transaction_id its credential request got (202)."""
    client = world.client()
    token = access_token(world, badge)
    first = ask(
        client,
        token,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(generate_key("EdDSA"), nonce=nonce(client))]},
        },
    )
    assert first.status_code == 202, first.get_json()
    return token, first.get_json()["transaction_id"]


def _expire_tokens(world: World) -> None:
    from sqlalchemy import update

    from passport.wallets.models import Oid4vciAccessToken

    with world.services.session() as db:
        db.execute(
            update(Oid4vciAccessToken).values(
                expires_at=world.services.now() - timedelta(seconds=1)
            )
        )


def test_the_transaction_outlives_its_tokens_expiry(deferred_world: World) -> None:
    world = deferred_world
    token, transaction_id = _pending(world, world.lea_badge)
    _expire_tokens(world)  # the wallet polled for longer than the token's five minutes
    client = world.client()
    headers = {"Authorization": f"Bearer {token}"}
    waiting = client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=headers
    )
    assert waiting.status_code == 202, waiting.get_json()
    # the expired token is good for its transaction only
    assert ask(client, token, {"credential_configuration_id": LDP}).status_code == 401
    queue_for(world.services).run_pending()
    done = client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=headers
    )
    assert done.status_code == 200, done.get_json()
    from sqlalchemy import select

    from passport.audit import AuditEvent

    with world.services.session() as db:
        detail = db.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "oid4vci.deferred")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert detail is not None and "delivered" in detail


def test_a_signing_error_ends_the_transaction(
    deferred_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from passport.wallets import oid4vci as module

    world = deferred_world
    token, transaction_id = _pending(world, world.lea_badge)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the signing key is unreachable")

    monkeypatch.setattr(module, "holder_bound_copy", broken)
    queue_for(world.services).run_pending()
    headers = {"Authorization": f"Bearer {token}"}
    client = world.client()
    failed = client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=headers
    )
    assert error_of(failed) == "credential_request_denied"
    over = client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=headers
    )
    assert error_of(over) == "invalid_transaction_id"


def test_a_badge_revoked_after_signing_is_not_handed_out(deferred_world: World) -> None:
    from sqlalchemy import select

    from passport.credentials.status import change_status
    from passport.wallets.models import Oid4vciTransaction

    world = deferred_world
    services = world.services
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", LEA), now=services.now()
        ).id
    token, transaction_id = _pending(world, badge)
    queue_for(services).run_pending()  # signed
    with services.session() as db:
        change_status(
            db, services, badge, "revoke", reason="test", actor="admin", now=services.now()
        )
    headers = {"Authorization": f"Bearer {token}"}
    client = world.client()
    denied = client.post(
        "/oid4vci/deferred", json={"transaction_id": transaction_id}, headers=headers
    )
    assert error_of(denied) == "credential_request_denied"
    with services.session() as db:
        row = db.scalars(
            select(Oid4vciTransaction).where(Oid4vciTransaction.credential_id == badge)
        ).one()
        assert row.content is None and row.delivered_at is not None
