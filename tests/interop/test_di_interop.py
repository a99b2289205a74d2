"""Interop with the JavaScript reference stack (Digital Bazaar: @digitalbazaar/vc,
data-integrity, eddsa-rdfc-2022-cryptosuite) — what VerifierPlus and the Learner Credential
Wallet run. Credentials we issue must verify there; credentials it signs must verify here;
tampered copies must fail on both sides.

The harness (``tests/interop/di.mjs``) runs offline with its own pinned context packages.
`make test` installs it (``npm ci``); these tests skip only where Node.js itself is absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, CredentialIssuer
from keys import PublishedKey, did_web_document, generate_key, verification_method_id
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from tests.interop.harness import harness, requires_node
from verifier import KeyResolver, Verifier

pytestmark = requires_node
NOW = datetime.now(UTC).replace(microsecond=0)


def js_verify(
    credential: dict[str, Any], documents: dict[str, Any] | None = None
) -> dict[str, Any]:
    # @digitalbazaar/vc refuses credentials with credentialStatus unless given a status
    # checker; status interop has its own tests (test_statuslist_interop.py).
    return harness(
        "verify",
        {
            "credential": credential,
            "documents": documents or {},
            "skipStatus": "credentialStatus" in credential,
        },
    )


def test_a_credential_we_issue_verifies_in_the_reference_stack(services: Services) -> None:
    with services.session() as session:
        record = issue_credential(
            session, services, IssueRequest("incident-response-l2", "ada@example.com"), now=NOW
        )
        credential = json.loads(record.content)
        documents = {d.did: d.did_document for d in services.issuer_documents(session)}
    assert js_verify(credential, documents) == {"verified": True, "errors": []}
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["achievement"]["name"] = "Incident Response — Expert"
    outcome = js_verify(tampered, documents)
    assert outcome["verified"] is False
    assert outcome["errors"] == ["Invalid signature."]


@pytest.fixture(scope="module")
def issuer_setup() -> tuple[CredentialIssuer, Any, str, dict[str, Any]]:
    did = "did:web:badges.example.org"
    key = generate_key("EdDSA")
    document = did_web_document(did, [PublishedKey(key.public, "active", NOW - timedelta(days=1))])
    verifier = Verifier(KeyResolver(documents={did: document}), known_issuers=[did])
    return CredentialIssuer(verifier), key, did, document


@pytest.mark.parametrize(
    "name",
    [
        "Kubernetes Operations — Practitioner",
        'Quotes "inside", back\\slash, emoji 🚀, combining é, line sep \u2028 end',
        "Tabs\tand\nnewlines\r\nin text",
        "Control characters \x07 \x1b and DEL \x7f",
    ],
)
def test_unusual_text_canonicalizes_the_same_in_both_stacks(
    issuer_setup: tuple[CredentialIssuer, Any, str, dict[str, Any]], name: str
) -> None:
    issuer, key, did, document = issuer_setup
    draft = CredentialDraft(
        issuer={"id": did, "type": ["Profile"], "name": "Example Org"},
        achievement={
            "id": "https://badges.example.org/achievements/x",
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": name,
            "description": name,
            "criteria": {"narrative": name},
        },
        recipient_email="learner@example.com",
        valid_from=NOW,
    )
    issued = issuer.issue_data_integrity(
        draft, key, verification_method=verification_method_id(did, key.kid), now=NOW
    )
    assert js_verify(issued.credential, {did: document})["verified"] is True


def test_a_credential_the_reference_stack_signs_verifies_here(
    issuer_setup: tuple[CredentialIssuer, Any, str, dict[str, Any]],
) -> None:
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f0fd3b4-6a43-4b38-9ad8-2b1e0ad3c9a1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Observability — Practitioner",
        "issuer": {"id": "did:example:replaced", "type": ["Profile"], "name": "Other Org"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:learner",
            "achievement": {
                "id": "https://other.example/achievements/obs",
                "type": ["Achievement"],
                "name": "Observability — Practitioner",
                "description": "Instruments services.",
                "criteria": {"narrative": "Passed."},
            },
        },
    }
    signed = harness("sign", {"credential": unsigned, "seed": "5a" * 32})["signed"]
    assert signed["issuer"]["id"].startswith("did:key:z6Mk")
    verifier = Verifier(KeyResolver())  # did:key resolves offline; nothing else is known
    report = verifier.report(signed, now=datetime.now(UTC))
    assert report.verified, report.to_dict()
    assert report.check("signature").status == "passed"  # type: ignore[union-attr]
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    bad = verifier.report(tampered, now=datetime.now(UTC))
    assert bad.verified is False
    assert bad.check("signature").code == "bad_signature"  # type: ignore[union-attr]
    assert js_verify(tampered)["verified"] is False


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_our_baked_badge_verifies_in_the_reference_stack_after_extraction(
    services: Services, kind: str
) -> None:
    from passport.credentials.exports import baked_image
    from verifier.baked import extract_baked

    with services.session() as session:
        record = issue_credential(
            session, services, IssueRequest("networking-l2", "radia@example.com"), now=NOW
        )
        image = baked_image(session, record, kind)
        documents = {d.did: d.did_document for d in services.issuer_documents(session)}
    credential = json.loads(extract_baked(image).content)
    assert js_verify(credential, documents) == {"verified": True, "errors": []}
