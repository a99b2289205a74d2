"""The holder-bound copy (passport.wallets.binding) and did:jwk (keys.didjwk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from keys import (
    InvalidDid,
    did_jwk_from_public_key,
    did_key_from_public_key,
    generate_key,
    public_key_from_did_jwk,
)
from keys._b64 import b64u_encode
from passport.errors import InvalidRequest
from passport.wallets.binding import validate_holder_did


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES384", "RS256"])
def test_did_jwk_round_trip(alg: str) -> None:
    key = generate_key(alg, rsa_bits=2048) if alg == "RS256" else generate_key(alg)
    did = did_jwk_from_public_key(key.public)
    assert did.startswith("did:jwk:")
    assert public_key_from_did_jwk(did) == key.public
    assert public_key_from_did_jwk(did + "#0") == key.public


def test_did_jwk_refuses_private_members_and_other_fragments() -> None:
    key = generate_key("EdDSA")
    jwk = dict(key.public.jwk, d=b64u_encode(b"\x00" * 32))
    leaked = "did:jwk:" + b64u_encode(json.dumps(jwk).encode())
    with pytest.raises(InvalidDid, match="private"):
        public_key_from_did_jwk(leaked)
    with pytest.raises(InvalidDid, match="#0"):
        public_key_from_did_jwk(did_jwk_from_public_key(key.public) + "#1")
    with pytest.raises(InvalidDid):
        public_key_from_did_jwk("did:jwk:not-json")
    with pytest.raises(InvalidDid):
        public_key_from_did_jwk("did:jwk:" + b64u_encode(b"[1,2]"))


def test_holder_did_is_a_canonical_did_key_or_a_did_jwk_as_the_wallet_wrote_it() -> None:
    key = generate_key("ES256")
    assert validate_holder_did(did_key_from_public_key(key.public)) == did_key_from_public_key(
        key.public
    )
    did = did_jwk_from_public_key(key.public)
    assert validate_holder_did(did + "#0") == did
    # the same key, its members in another order and with "use": the wallet's own spelling is
    # its DID (it presents that exact string later), so it is kept as given
    members = {k: v for k, v in key.public.jwk.items() if k not in {"kid", "alg"}}
    theirs = "did:jwk:" + b64u_encode(json.dumps(dict(reversed(members.items()))).encode())
    assert validate_holder_did(theirs + "#0") == theirs
    secret = dict(members, d=b64u_encode(b"\x01" * 32))
    leaked = "did:jwk:" + b64u_encode(json.dumps(secret).encode())
    for bad in (leaked, "did:web:example.com", "https://example.com", "did:key:zNope"):
        with pytest.raises(InvalidRequest) as info:
            validate_holder_did(bad)
        assert info.value.code == "bad_holder_did"


def test_check_deliverable_refuses_revoked_suspended_expired() -> None:
    from passport.credentials.models import IssuedCredential
    from passport.wallets.binding import check_deliverable

    now = datetime(2026, 12, 7, tzinfo=UTC)
    cases = {
        "credential_revoked": IssuedCredential(revoked_at=now),
        "credential_suspended": IssuedCredential(suspended_at=now),
        "credential_expired": IssuedCredential(valid_until=now - timedelta(seconds=1)),
    }
    for code, record in cases.items():
        with pytest.raises(InvalidRequest) as info:
            check_deliverable(record, now)
        assert info.value.code == code
    check_deliverable(IssuedCredential(valid_until=now + timedelta(days=1)), now)


# -- the copy, against a real database and our verifier ----------------------------------------


def _issue(services, fmt: str = "data-integrity") -> str:  # type: ignore[no-untyped-def]
    from passport.credentials.issuing import IssueRequest, issue_credential

    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "lea@example.com", proof_format=fmt),
            now=services.now() - timedelta(hours=1),
        )
        session.commit()
        return str(record.id)


@pytest.mark.parametrize("stored", ["data-integrity", "vc-jwt"])
@pytest.mark.parametrize("wallet_format", ["ldp_vc", "jwt_vc_json"])
def test_copy_is_bound_to_the_wallet_and_shares_id_and_status(
    services,  # type: ignore[no-untyped-def]
    stored: str,
    wallet_format: str,
) -> None:
    from sqlalchemy import select

    from passport.audit import AuditEvent
    from passport.credentials.status import change_status
    from passport.wallets.binding import holder_bound_copy
    from passport.wallets.models import WalletDelivery
    from verifier.errors import VerificationError

    badge = _issue(services, stored)
    holder = generate_key("EdDSA")
    did = did_key_from_public_key(holder.public)
    with services.session() as session:
        copy = holder_bound_copy(
            session,
            services,
            credential_id=badge,
            holder_did=did,
            wallet_format=wallet_format,
            channel="oid4vci",
            actor="lea@example.com",
            now=services.now(),
        )
        session.commit()
    assert copy.credential["credentialSubject"]["id"] == did
    assert copy.credential["id"] == badge
    if wallet_format == "jwt_vc_json":
        assert copy.content.count(b".") == 2
    else:
        proofs = json.loads(copy.content)["proof"]
        assert [p["cryptosuite"] for p in proofs] == ["eddsa-rdfc-2022"]
    later = services.now() + timedelta(seconds=10)
    with services.session() as session:
        verified = services.verifier(session).verify(copy.content, now=later)
        assert verified.report.verified
        assert session.scalar(select(WalletDelivery.holder_did)) == did
        assert session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "wallet.deliver")
        )
        change_status(session, services, badge, "revoke", reason="test", actor="admin", now=later)
        session.commit()
    with services.session() as session, pytest.raises(VerificationError) as info:
        services.verifier(session).verify(copy.content, now=later + timedelta(seconds=10))
    assert "revoked" in info.value.code
    with services.session() as session, pytest.raises(InvalidRequest) as refused:
        holder_bound_copy(
            session,
            services,
            credential_id=badge,
            holder_did=did,
            wallet_format=wallet_format,
            channel="oid4vci",
            actor="lea@example.com",
            now=later,
        )
    assert refused.value.code == "credential_revoked"


def test_copy_refuses_unknown_badge_and_format(services) -> None:  # type: ignore[no-untyped-def]
    from passport.errors import NotFound
    from passport.wallets.binding import holder_bound_copy

    did = did_key_from_public_key(generate_key("EdDSA").public)
    badge = _issue(services)
    with services.session() as session:
        with pytest.raises(NotFound):
            holder_bound_copy(
                session,
                services,
                credential_id="urn:uuid:nope",
                holder_did=did,
                wallet_format="ldp_vc",
                channel="lcw",
                actor="x",
                now=services.now(),
            )
        with pytest.raises(InvalidRequest) as info:
            holder_bound_copy(
                session,
                services,
                credential_id=badge,
                holder_did=did,
                wallet_format="mso_mdoc",
                channel="lcw",
                actor="x",
                now=services.now(),
            )
        assert info.value.code == "unsupported_format"
