"""An endorsement a mentor signed with their own did:key (issue #21, item 6), in the
JavaScript reference stack (Digital Bazaar, eddsa-rdfc-2022) and in ours: the submitted
endorsement verifies in both (the did:key resolved offline), a changed comment fails both, and
the badge re-issued with it embedded verifies in both."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from issuer import build_endorsement, sign_data_integrity
from keys import did_key_from_public_key, generate_key
from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.mentoring.endorsements import set_mentor_did, submit_signed_endorsement
from passport.services import Services
from tests.interop.harness import harness, requires_node

pytestmark = requires_node


def js_verify(credential: dict[str, Any], documents: dict[str, Any]) -> dict[str, Any]:
    return harness(
        "verify",
        {
            "credential": credential,
            "documents": documents,
            "skipStatus": "credentialStatus" in credential,
        },
    )


def test_a_did_key_endorsement_verifies_in_the_reference_stack_and_in_ours(
    services: Services,
) -> None:
    now = services.now()
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    with services.session() as session:
        mentor = create_user(
            session, email="mo@example.com", name="Mo Mentor", role="mentor", password=None
        )
        set_mentor_did(session, services, mentor, did, actor="test", now=now)
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "lea@example.com"),
            now=now - timedelta(minutes=5),
        )
        badge_id = record.id
        endorsement = sign_data_integrity(
            build_endorsement(
                endorsement_id="urn:uuid:5d0c1c52-7a0e-4d1e-9f57-0c8e2f1b6a11",
                endorser={"id": did, "type": ["Profile"], "name": "Mo Mentor"},
                subject_id=badge_id,
                name="Endorsement of Incident response by Mo Mentor",
                comment="Signed in my own wallet.",
                valid_from=now - timedelta(minutes=1),
            ),
            key,
            verification_method=f"{did}#{did.removeprefix('did:key:')}",
            created=now - timedelta(minutes=1),
            canonicalizer=services.canonicalizer,
        )
        submit_signed_endorsement(
            session,
            services,
            credential_id=badge_id,
            mentor=mentor,
            submitted=json.dumps(endorsement).encode(),
            now=now,
        )
        stored = session.get(IssuedCredential, badge_id)
        assert stored is not None
        endorsed = json.loads(stored.content)
        verifier = services.verifier(session)
        documents = {d.did: d.did_document for d in services.issuer_documents(session)}

    # 1. The endorsement alone: its did:key needs no document.
    assert js_verify(endorsement, {}) == {"verified": True, "errors": []}
    assert verifier.report(json.dumps(endorsement), now=now).verified

    # 2. Its comment changed: both refuse it.
    tampered = json.loads(json.dumps(endorsement))
    tampered["credentialSubject"]["endorsementComment"] = "The best engineer we ever had."
    assert js_verify(tampered, {})["verified"] is False
    assert not verifier.report(json.dumps(tampered), now=now).verified

    # 3. The badge re-issued with it embedded.
    assert endorsed["endorsement"] == [endorsement]
    assert js_verify(endorsed, documents) == {"verified": True, "errors": []}
    report = verifier.report(json.dumps(endorsed), now=now)
    assert report.verified
    check = next(c for c in report.checks if c.id == "endorsements")
    assert (check.status, check.code) == ("passed", "endorsements_verified")
