"""Mentor endorsements without a request: the endorser identity, signing, re-issuing the badge
with the endorsement embedded, withdrawing, and who may endorse (issue #21, item 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import sign_data_integrity
from keys import verification_method_id
from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.credentials.issuing import IssueRequest, active_signing_key, issue_credential
from passport.credentials.keyring import (
    bundle_verifier,
    mark_compromised,
    offline_bundle,
    rotate_keys,
)
from passport.credentials.models import IssuedCredential, Issuer, SigningKeyRecord
from passport.credentials.status import change_status
from passport.errors import Conflict, Forbidden, InvalidRequest, NotFound
from passport.mentoring import endorsements
from passport.mentoring.models import MentorProfile
from passport.services import Services
from tests.conftest import ISSUER_DID

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class People:
    admin: User
    mentor: User
    other_mentor: User
    learner: User
    assessor: User


def _after_lists(services: Services) -> datetime:
    """A moment to verify a badge at, after its status list was last signed: the lists are
    signed by the service clock (now), and NOW was fixed when this module was imported, which
    in a long run can be minutes earlier (a list not yet valid cannot be checked)."""
    return services.now() + timedelta(seconds=10)


@pytest.fixture
def db(services: Services) -> Iterator[Session]:
    with services.session() as session:
        yield session


@pytest.fixture
def people(db: Session) -> People:
    def user(email: str, role: str, name: str) -> User:
        return create_user(db, email=email, name=name, role=role, password=None)

    return People(
        admin=user("admin@example.com", "admin", "Ada Admin"),
        mentor=user("mo@example.com", "mentor", "Mo Mentor"),
        other_mentor=user("max@example.com", "mentor", "Max Mentor"),
        learner=user("lea@example.com", "learner", "Lea Learner"),
        assessor=user("ana@example.com", "assessor", "Ana Assessor"),
    )


def _badge(db: Session, services: Services, email: str = "lea@example.com", **kw: Any) -> str:
    record = issue_credential(
        db,
        services,
        IssueRequest("incident-response-l2", email, **kw),
        now=NOW - timedelta(hours=1),
    )
    return record.id


def _document(db: Session, credential_id: str) -> dict[str, Any]:
    record = db.get(IssuedCredential, credential_id)
    assert record is not None
    document: dict[str, Any] = json.loads(record.content)
    return document


def test_endorsement_is_an_ob3_endorsement_credential_verifying_alone(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services)
    row = endorsements.endorse_badge(
        db,
        services,
        credential_id=badge,
        mentor=people.mentor,
        comment="Led a clean postmortem.",
        now=NOW,
    )
    content = json.loads(row.content)
    assert content["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert content["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert content["id"].startswith("urn:uuid:") and content["id"] == row.id
    assert content["credentialSubject"] == {
        "id": badge,
        "type": ["EndorsementSubject"],
        "endorsementComment": "Led a clean postmortem.",
    }
    assert content["issuer"]["type"] == ["Profile"]
    assert content["issuer"]["name"] == "Mo Mentor"
    assert content["issuer"]["id"].startswith(ISSUER_DID + ":mentors:")
    assert "mo@example.com" not in content["issuer"]["id"]
    assert content["name"]
    (proof,) = content["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"].startswith(content["issuer"]["id"] + "#")
    report = services.verifier(db).report(row.content, now=NOW)
    assert report.verified, report.to_dict()
    issuer_check = next(c for c in report.checks if c.id == "issuer")
    assert (issuer_check.status, issuer_check.code) == ("passed", "endorser_known")
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "credential.endorse")).all()
    assert [(a.actor, a.subject, a.detail) for a in audit] == [("mo@example.com", badge, row.id)]


def test_tampered_comment_fails_our_verifier(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services)
    row = endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="Solid work.", now=NOW
    )
    tampered = json.loads(row.content)
    tampered["credentialSubject"]["endorsementComment"] = "Best engineer ever."
    report = services.verifier(db).report(json.dumps(tampered), now=NOW)
    assert not report.verified
    assert next(c for c in report.checks if c.id == "signature").status == "failed"


def test_badge_is_reissued_with_the_endorsement_and_old_copy_stays_valid(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services)
    before = db.get(IssuedCredential, badge)
    assert before is not None
    old_content, old_kid = before.content, before.kid
    old = json.loads(old_content)
    endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="First.", now=NOW
    )
    endorsements.endorse_badge(
        db,
        services,
        credential_id=badge,
        mentor=people.admin,
        comment="Second.",
        now=NOW + timedelta(seconds=5),
    )
    new = _document(db, badge)
    for same in ("id", "credentialStatus", "validFrom", "issuer", "credentialSubject", "type"):
        assert new[same] == old[same], same
    assert new.get("validUntil") == old.get("validUntil")
    assert [e["credentialSubject"]["endorsementComment"] for e in new["endorsement"]] == [
        "First.",
        "Second.",
    ]
    assert new["proof"] != old["proof"]
    verifier = services.verifier(db)
    report = verifier.report(json.dumps(new), now=_after_lists(services))
    assert report.verified, report.to_dict()
    check = next(c for c in report.checks if c.id == "endorsements")
    assert (check.status, check.code) == ("passed", "endorsements_verified")
    assert len(report.children) == 2
    status = next(c for c in report.checks if c.id == "status")
    assert status.status == "passed"
    # The copy handed out before still verifies: same status entry, same (unchanged) key.
    old_report = verifier.report(old_content, now=_after_lists(services))
    assert old_report.verified, old_report.to_dict()
    assert next(c for c in old_report.checks if c.id == "endorsements").code == "no_endorsements"
    assert db.get(IssuedCredential, badge).kid == old_kid  # type: ignore[union-attr]


def test_a_vc_jwt_badge_is_reissued_as_a_vc_jwt(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services, proof_format="vc-jwt")
    endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="Calm on call.", now=NOW
    )
    record = db.get(IssuedCredential, badge)
    assert record is not None and record.proof_format == "vc-jwt"
    assert record.content.count(b".") == 2
    verified = services.verifier(db).verify(record.content, now=_after_lists(services))
    assert verified.credential.id == badge
    assert len(verified.credential.endorsement) == 1
    check = next(c for c in verified.report.checks if c.id == "endorsements")
    assert check.code == "endorsements_verified"


def test_withdraw_reissues_without_it_and_keeps_the_others(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services)
    first = endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="One.", now=NOW
    )
    endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.other_mentor, comment="Two.", now=NOW
    )
    with pytest.raises(Forbidden) as denied:
        endorsements.withdraw_endorsement(
            db, services, endorsement_id=first.id, actor=people.other_mentor, now=NOW
        )
    assert denied.value.code == "not_your_endorsement"
    endorsements.withdraw_endorsement(
        db, services, endorsement_id=first.id, actor=people.mentor, now=NOW
    )
    document = _document(db, badge)
    assert [e["credentialSubject"]["endorsementComment"] for e in document["endorsement"]] == [
        "Two."
    ]
    assert services.verifier(db).report(json.dumps(document), now=_after_lists(services)).verified
    with pytest.raises(Conflict):
        endorsements.withdraw_endorsement(
            db, services, endorsement_id=first.id, actor=people.admin, now=NOW
        )
    (second,) = endorsements.endorsements_of(db, badge)
    endorsements.withdraw_endorsement(
        db, services, endorsement_id=second.id, actor=people.admin, now=NOW
    )
    assert "endorsement" not in _document(db, badge)
    assert len(endorsements.endorsements_of(db, badge, include_withdrawn=True)) == 2
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "credential.endorsement_withdraw")
    ).all()
    assert len(actions) == 2


def test_the_holder_cannot_endorse_their_own_badge(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services, email="mo@example.com")
    with pytest.raises(Forbidden) as denied:
        endorsements.endorse_badge(
            db, services, credential_id=badge, mentor=people.mentor, comment="Me!", now=NOW
        )
    assert denied.value.code == "own_badge"


@pytest.mark.parametrize(
    ("who", "comment", "error", "code"),
    [
        ("learner", "Nice.", Forbidden, "not_an_endorser"),
        ("assessor", "Nice.", Forbidden, "not_an_endorser"),
        ("mentor", "   ", InvalidRequest, "no_comment"),
        ("mentor", "x" * 2001, InvalidRequest, "comment_too_long"),
    ],
)
def test_who_and_what_may_not_endorse(
    db: Session, services: Services, people: People, who: str, comment: str, error: type, code: str
) -> None:
    badge = _badge(db, services)
    with pytest.raises(error) as refused:
        endorsements.endorse_badge(
            db, services, credential_id=badge, mentor=getattr(people, who), comment=comment, now=NOW
        )
    assert refused.value.code == code
    assert "endorsement" not in _document(db, badge)


def test_a_comment_of_2000_characters_is_accepted(
    db: Session, services: Services, people: People
) -> None:
    badge = _badge(db, services)
    row = endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="y" * 2000, now=NOW
    )
    assert len(row.comment) == 2000


def test_unknown_revoked_and_repeated(db: Session, services: Services, people: People) -> None:
    with pytest.raises(NotFound):
        endorsements.endorse_badge(
            db, services, credential_id="urn:uuid:nope", mentor=people.mentor, comment="x", now=NOW
        )
    badge = _badge(db, services)
    endorsements.endorse_badge(
        db, services, credential_id=badge, mentor=people.mentor, comment="x", now=NOW
    )
    with pytest.raises(Conflict):
        endorsements.endorse_badge(
            db, services, credential_id=badge, mentor=people.mentor, comment="y", now=NOW
        )
    change_status(db, services, badge, "revoke", reason="test", actor="admin", now=NOW)
    with pytest.raises(InvalidRequest) as refused:
        endorsements.endorse_badge(
            db, services, credential_id=badge, mentor=people.other_mentor, comment="z", now=NOW
        )
    assert refused.value.code == "badge_revoked"


def test_endorser_identity_is_stable_and_never_our_issuer(
    db: Session, services: Services, people: People
) -> None:
    first = endorsements.mentor_endorser(db, services, people.mentor, now=NOW)
    again = endorsements.mentor_endorser(db, services, people.mentor, now=NOW)
    assert first.id == again.id
    profile = db.get(MentorProfile, people.mentor.id)
    assert profile is not None and profile.issuer_id == first.id
    slug = first.did.rsplit(":", 1)[1]
    document = endorsements.endorser_document(db, services, slug)
    assert document["id"] == first.did
    assert len(document["assertionMethod"]) == 1
    with pytest.raises(NotFound):
        endorsements.endorser_document(db, services, "nobody")
    # Our issuer stays ours: the org's document, rotation and the verifier's known issuers.
    assert services.own_issuer_documents(db).did == ISSUER_DID
    rotated = list(rotate_keys(db, services, alg="EdDSA", now=NOW))
    mentor_kids = {k.kid for k in first.keys}
    assert rotated and not {old for old, _new in rotated} & mentor_kids
    assert services.verifier(db).known_issuers == {ISSUER_DID}
    assert services.verifier(db).known_endorsers == {first.did}
    bundle = offline_bundle(db, services)
    assert bundle["endorsers"] == [first.did]
    assert db.scalars(select(Issuer.did).order_by(Issuer.id)).all() == [ISSUER_DID, first.did]
    # Judged by shape, so identities made under an earlier domain stay endorsers after a move.
    assert services.is_endorser_did("did:web:old.example:mentors:0123456789abcdef")
    assert not services.is_endorser_did(ISSUER_DID)


def test_a_mentor_whose_key_was_compromised_gets_a_new_one(
    db: Session, services: Services, people: People
) -> None:
    endorser = endorsements.mentor_endorser(db, services, people.mentor, now=NOW)
    (old,) = endorser.keys
    mark_compromised(db, services, old.kid, at=NOW, now=NOW)
    again = endorsements.mentor_endorser(db, services, people.mentor, now=NOW)
    assert again.id == endorser.id  # the same DID
    active = db.scalars(
        select(SigningKeyRecord.kid).where(
            SigningKeyRecord.issuer_id == endorser.id, SigningKeyRecord.status == "active"
        )
    ).all()
    assert len(active) == 1 and active[0] != old.kid
    endorsements.endorse_badge(
        db,
        services,
        credential_id=_badge(db, services),
        mentor=people.mentor,
        comment="Still here.",
        now=NOW,
    )


def test_a_badge_signed_under_a_mentor_did_is_not_from_a_known_issuer(
    db: Session, services: Services, people: People
) -> None:
    endorser = endorsements.mentor_endorser(db, services, people.mentor, now=NOW)
    forged = _document(db, _badge(db, services))
    forged.pop("proof")
    forged["issuer"] = {"id": endorser.did, "type": ["Profile"], "name": "Mo Mentor"}
    key = active_signing_key(db, services, endorser, "EdDSA")
    signed = sign_data_integrity(
        forged,
        key,
        verification_method=verification_method_id(endorser.did, key.kid),
        created=NOW,
        canonicalizer=services.canonicalizer,
    )
    report = services.verifier(db).report(json.dumps(signed), now=NOW)
    check = next(c for c in report.checks if c.id == "issuer")
    assert (check.status, check.code) == ("could_not_check", "issuer_unknown")
    # The same from the offline bundle: the mentor is an endorser there, not an issuer.
    bundled = bundle_verifier(json.dumps(offline_bundle(db, services)).encode(), offline=True)
    assert endorser.did in bundled.known_endorsers
    assert endorser.did not in bundled.known_issuers
    assert ISSUER_DID in bundled.known_issuers
