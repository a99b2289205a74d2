"""Mentor endorsements in the JavaScript reference stack (Digital Bazaar: @digitalbazaar/vc with
the eddsa-rdfc-2022 cryptosuite), as issue #21 asks: an endorsement verifies alone there and
here; a changed comment fails both; the badge re-issued with it embedded verifies in both (our
``endorsements`` check passing); and the copy handed out before still verifies.

The mentor's did:web and our own are resolved offline: the harness is given the DID documents
the service publishes (``/mentors/<slug>/did.json`` and ``/.well-known/did.json``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.mentoring.endorsements import endorse_badge, withdraw_endorsement
from passport.services import Services
from tests.interop.harness import harness, requires_node

pytestmark = requires_node


def js_verify(credential: dict[str, Any], documents: dict[str, Any]) -> dict[str, Any]:
    # Status interop has its own tests (test_statuslist_interop.py); the reference stack
    # refuses credentials with credentialStatus unless given a status checker.
    return harness(
        "verify",
        {
            "credential": credential,
            "documents": documents,
            "skipStatus": "credentialStatus" in credential,
        },
    )


def _documents(services: Services) -> dict[str, Any]:
    with services.session() as session:
        return {d.did: d.did_document for d in services.issuer_documents(session)}


def test_endorsements_verify_in_the_reference_stack_and_in_ours(services: Services) -> None:
    now = services.now()
    with services.session() as session:
        mentor = create_user(
            session, email="mo@example.com", name="Mo Mentor", role="mentor", password=None
        )
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "lea@example.com"),
            now=now - timedelta(minutes=5),
        )
        badge_id, before = record.id, json.loads(record.content)
        row = endorse_badge(
            session,
            services,
            credential_id=badge_id,
            mentor=mentor,
            comment="Ran the incident review calmly and thoroughly.",
            now=now,
        )
        endorsement = json.loads(row.content)
        stored = session.get(IssuedCredential, badge_id)
        assert stored is not None
        endorsed = json.loads(stored.content)
        verifier = services.verifier(session)
    documents = _documents(services)
    assert endorsement["issuer"]["id"] in documents  # the mentor's did:web, resolved offline

    # 1. The endorsement alone.
    assert js_verify(endorsement, documents) == {"verified": True, "errors": []}
    assert verifier.report(json.dumps(endorsement), now=now).verified

    # 2. Its comment changed: both refuse it.
    tampered = json.loads(json.dumps(endorsement))
    tampered["credentialSubject"]["endorsementComment"] = "The best engineer we ever had."
    outcome = js_verify(tampered, documents)
    assert outcome["verified"] is False
    assert outcome["errors"] == ["Invalid signature."]
    ours = verifier.report(json.dumps(tampered), now=now)
    assert not ours.verified
    assert next(c for c in ours.checks if c.id == "signature").status == "failed"

    # 3. The badge re-issued with the endorsement embedded.
    assert endorsed["id"] == before["id"]
    assert endorsed["credentialStatus"] == before["credentialStatus"]
    assert endorsed["endorsement"] == [endorsement]
    assert js_verify(endorsed, documents) == {"verified": True, "errors": []}
    report = verifier.report(json.dumps(endorsed), now=now)
    assert report.verified
    check = next(c for c in report.checks if c.id == "endorsements")
    assert (check.status, check.code) == ("passed", "endorsements_verified")
    # An embedded endorsement with a changed comment fails in both too.
    broken = json.loads(json.dumps(endorsed))
    broken["endorsement"][0]["credentialSubject"]["endorsementComment"] = "Changed."
    assert js_verify(broken, documents)["verified"] is False
    broken_report = verifier.report(json.dumps(broken), now=now)
    assert not broken_report.verified

    # 4. The copy handed out before stays valid in both.
    assert js_verify(before, documents) == {"verified": True, "errors": []}
    assert verifier.report(json.dumps(before), now=now).verified

    # 5. Withdrawn: the badge is re-issued without it and still verifies in both.
    with services.session() as session:
        admin = create_user(
            session, email="admin@example.com", name="Ada Admin", role="admin", password=None
        )
        withdraw_endorsement(session, services, endorsement_id=row.id, actor=admin, now=now)
        stored = session.get(IssuedCredential, badge_id)
        assert stored is not None
        plain = json.loads(stored.content)
    assert "endorsement" not in plain
    assert js_verify(plain, documents) == {"verified": True, "errors": []}
