"""A mentor's own did:key: registering it, and endorsements they sign themselves and submit
(issue #21, item 6: "or the mentor's own did:key when they register one, as holders can").

The mentor's wallet is played by a real Ed25519 key generated here, signing with our
``issuer`` code; the service never holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import build_endorsement, sign_data_integrity
from keys import SigningKey, did_key_from_public_key, generate_key
from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.keyring import bundle_verifier, offline_bundle
from passport.credentials.models import IssuedCredential
from passport.errors import Conflict, Forbidden, InvalidRequest
from passport.mentoring import endorsements
from passport.mentoring.models import Endorsement
from passport.services import Services

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def db(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


@pytest.fixture
def mentor(db: Session) -> User:
    return create_user(db, email="mo@example.com", name="Mo Mentor", role="mentor", password=None)


@pytest.fixture
def wallet() -> SigningKey:
    return generate_key("EdDSA")


def _did(key: SigningKey) -> str:
    return did_key_from_public_key(key.public)


def _badge(db: Session, services: Services) -> str:
    record = issue_credential(
        db,
        services,
        IssueRequest("incident-response-l2", "lea@example.com"),
        now=NOW - timedelta(hours=1),
    )
    return record.id


def _sign(
    services: Services,
    key: SigningKey,
    subject: str,
    *,
    comment: str = "Ran the incident review calmly.",
    endorser: str | None = None,
) -> dict[str, Any]:
    """What the mentor's wallet does: build an EndorsementCredential and sign it."""
    did = endorser or _did(key)
    document = build_endorsement(
        endorsement_id=f"urn:uuid:{did[-12:]}-{subject[-12:]}-{len(comment)}",
        endorser={"id": did, "type": ["Profile"], "name": "Mo Mentor"},
        subject_id=subject,
        name="Endorsement of Incident response by Mo Mentor",
        comment=comment,
        valid_from=NOW - timedelta(minutes=1),
    )
    return sign_data_integrity(
        document,
        key,
        verification_method=f"{_did(key)}#{_did(key).removeprefix('did:key:')}",
        created=NOW - timedelta(minutes=1),
        canonicalizer=services.canonicalizer,
    )


def _submit(db: Session, services: Services, mentor: User, badge: str, signed: Any) -> Endorsement:
    return endorsements.submit_signed_endorsement(
        db,
        services,
        credential_id=badge,
        mentor=mentor,
        submitted=json.dumps(signed).encode(),
        now=NOW,
    )


def test_register_validate_and_clear_the_own_did(
    db: Session, services: Services, mentor: User, wallet: SigningKey
) -> None:
    did = _did(wallet)
    endorsements.set_mentor_did(db, services, mentor, did, actor="mo@example.com", now=NOW)
    assert endorsements.mentor_own_did(db, mentor) == did
    for bad in ("did:web:example.com", did + "#x", "did:key:zNope", _did(generate_key("ES256"))):
        with pytest.raises(InvalidRequest) as caught:
            endorsements.set_mentor_did(db, services, mentor, bad, actor="t", now=NOW)
        assert caught.value.code == "bad_did"
    other = create_user(db, email="max@example.com", name="Max", role="mentor", password=None)
    with pytest.raises(Conflict) as taken:
        endorsements.set_mentor_did(db, services, other, did, actor="t", now=NOW)
    assert taken.value.code == "did_taken"
    learner = create_user(db, email="lea@example.com", name="Lea", role="learner", password=None)
    with pytest.raises(Forbidden):
        endorsements.set_mentor_did(db, services, learner, did, actor="t", now=NOW)
    endorsements.set_mentor_did(db, services, mentor, None, actor="admin@example.com", now=NOW)
    assert endorsements.mentor_own_did(db, mentor) is None
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("mentor.did.%")).order_by(AuditEvent.id)
    ).all()
    assert [(a.action, a.actor, a.detail) for a in audit] == [
        ("mentor.did.set", "mo@example.com", did),
        ("mentor.did.clear", "admin@example.com", None),
    ]


def test_a_self_signed_endorsement_is_embedded_and_the_badge_verifies(
    db: Session, services: Services, mentor: User, wallet: SigningKey
) -> None:
    badge = _badge(db, services)
    endorsements.set_mentor_did(db, services, mentor, _did(wallet), actor="t", now=NOW)
    signed = _sign(services, wallet, badge)
    submitted = json.dumps(signed).encode()
    row = endorsements.submit_signed_endorsement(
        db, services, credential_id=badge, mentor=mentor, submitted=submitted, now=NOW
    )
    assert row.content == submitted  # exactly as submitted
    assert row.endorser_did == _did(wallet) and row.id == signed["id"]
    record = db.get(IssuedCredential, badge)
    assert record is not None
    assert json.loads(record.content)["endorsement"] == [signed]
    report = services.verifier(db).report(
        record.content, now=services.now() + timedelta(seconds=10)
    )  # after the status list's signing (NOW was fixed at import)
    assert report.verified, report.to_dict()
    check = next(c for c in report.checks if c.id == "endorsements")
    assert (check.status, check.code) == ("passed", "endorsements_verified")
    (child,) = report.children
    issuer = next(c for c in child.checks if c.id == "issuer")
    assert (issuer.status, issuer.code) == ("passed", "endorser_known")
    (view,) = endorsements.endorsements_of(db, badge)
    assert view.comment == "Ran the incident review calmly."
    assert view.endorser_did == _did(wallet)
    # The offline bundle knows the did:key as an endorser too.
    bundled = bundle_verifier(json.dumps(offline_bundle(db, services)).encode(), offline=True)
    assert _did(wallet) in bundled.known_endorsers
    # One per mentor per badge, as on the service-signed path.
    with pytest.raises(Conflict) as again:
        _submit(db, services, mentor, badge, _sign(services, wallet, badge, comment="Again."))
    assert again.value.code == "already_endorsed"
    with pytest.raises(Conflict) as service_signed:  # across both paths
        endorsements.endorse_badge(
            db, services, credential_id=badge, mentor=mentor, comment="Also.", now=NOW
        )
    assert service_signed.value.code == "already_endorsed"
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "credential.endorse")).all()
    assert [(a.actor, a.subject, a.detail) for a in audit] == [("mo@example.com", badge, row.id)]


def test_a_badge_issued_by_the_registered_did_key_is_not_from_a_known_issuer(
    db: Session, services: Services, mentor: User, wallet: SigningKey
) -> None:
    endorsements.set_mentor_did(db, services, mentor, _did(wallet), actor="t", now=NOW)
    record = db.get(IssuedCredential, _badge(db, services))
    assert record is not None
    forged = json.loads(record.content)
    forged.pop("proof")
    forged.pop("credentialStatus", None)
    forged["issuer"] = {"id": _did(wallet), "type": ["Profile"], "name": "Mo Mentor"}
    signed = sign_data_integrity(
        forged,
        wallet,
        verification_method=f"{_did(wallet)}#{_did(wallet).removeprefix('did:key:')}",
        created=NOW,
        canonicalizer=services.canonicalizer,
    )
    report = services.verifier(db).report(json.dumps(signed), now=NOW)
    check = next(c for c in report.checks if c.id == "issuer")
    assert (check.status, check.code) == ("could_not_check", "issuer_unknown")


def _refused(db: Session, services: Services, mentor: User, badge: str, signed: Any) -> str:
    with pytest.raises((InvalidRequest, Forbidden, Conflict)) as caught:
        _submit(db, services, mentor, badge, signed)
    assert db.scalar(select(Endorsement.id)) is None
    return str(caught.value.code)


def test_refusals(db: Session, services: Services, mentor: User, wallet: SigningKey) -> None:
    badge = _badge(db, services)
    # Not registered yet.
    assert _refused(db, services, mentor, badge, _sign(services, wallet, badge)) == "no_own_did"
    endorsements.set_mentor_did(db, services, mentor, _did(wallet), actor="t", now=NOW)
    # The comment changed after signing.
    tampered = _sign(services, wallet, badge)
    tampered["credentialSubject"]["endorsementComment"] = "The best engineer we ever had."
    assert _refused(db, services, mentor, badge, tampered) == "endorsement_not_verified"
    # A valid endorsement by another did:key.
    stranger = generate_key("EdDSA")
    assert _refused(db, services, mentor, badge, _sign(services, stranger, badge)) == (
        "endorser_mismatch"
    )
    # About another badge (ours, current) or about something else.
    other_badge = _badge(db, services)
    assert _refused(db, services, mentor, badge, _sign(services, wallet, other_badge)) == (
        "wrong_subject"
    )
    # A comment too long, or only spaces.
    long_one = _sign(services, wallet, badge, comment="x" * 2001)
    assert _refused(db, services, mentor, badge, long_one) == "comment_too_long"
    blank = _sign(services, wallet, badge, comment="   ")
    assert _refused(db, services, mentor, badge, blank) == "no_comment"
    # An id longer than we store.
    long_id = _sign(services, wallet, badge, endorser=None)
    long_id.pop("proof")
    long_id["id"] = "urn:example:" + "x" * 100
    signed_long_id = sign_data_integrity(
        long_id,
        wallet,
        verification_method=f"{_did(wallet)}#{_did(wallet).removeprefix('did:key:')}",
        created=NOW,
        canonicalizer=services.canonicalizer,
    )
    assert _refused(db, services, mentor, badge, signed_long_id) == "bad_endorsement"
    # Not an endorsement at all; not JSON.
    record = db.get(IssuedCredential, badge)
    assert record is not None
    assert _refused(db, services, mentor, badge, json.loads(record.content)) == "not_an_endorsement"
    with pytest.raises(InvalidRequest) as unreadable:
        endorsements.submit_signed_endorsement(
            db, services, credential_id=badge, mentor=mentor, submitted=b"{nope", now=NOW
        )
    assert unreadable.value.code == "bad_endorsement"
    # The shared rules: the holder may not endorse, a learner is no endorser.
    learner = create_user(db, email="lea@example.com", name="Lea", role="learner", password=None)
    assert _refused(db, services, learner, badge, _sign(services, wallet, badge)) == (
        "not_an_endorser"
    )
