"""Interop of the issue #6 exports with the JavaScript reference stack (Digital Bazaar, as run by
VerifierPlus and the Learner Credential Wallet): our signed CLR 2.0 verifies there (outer proof,
and the Data Integrity badge inside it, each as a credential of its own), and so does a
presentation the learner signed with their own key — with the verifier's challenge and domain.
Tampered copies fail there too. The CLR context is handed to the offline loader from our
bundled, hash-pinned copy (no npm package ships it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keys import did_key_from_public_key, generate_key
from passport.credentials.exports import export_clr, export_vp, select_credentials
from passport.credentials.holders import find_holder, set_holder_did
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from tests.interop.harness import HERE, harness, requires_node, run_node

pytestmark = requires_node

CLR_CONTEXT_URL = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXT = json.loads(
    (Path(__file__).parents[2] / "verifier" / "contexts" / "clr-context-2.0.1.json").read_text()
)
LEARNER = "ada@example.com"


def js_verify(credential: dict[str, Any], documents: dict[str, Any]) -> dict[str, Any]:
    return harness(
        "verify",
        {
            "credential": credential,
            "documents": documents,
            "contexts": {CLR_CONTEXT_URL: CLR_CONTEXT},
            "skipStatus": "credentialStatus" in credential,
        },
    )


def js_verify_presentation(payload: dict[str, Any]) -> dict[str, Any]:
    output: dict[str, Any] = run_node(HERE / "vp.mjs", payload)
    return output


@pytest.fixture
def exported(services: Services) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CLR of the learner's two badges (one Data Integrity, one VC-JWT) and our DID docs."""
    with services.session() as session:
        for achievement, fmt in (("incident-response-l2", "di"), ("observability-l2", "jwt")):
            issue_credential(
                session, services, IssueRequest(achievement, LEARNER, fmt), now=services.now()
            )
    with services.session() as session:
        holder = find_holder(session, LEARNER)
        clr = json.loads(export_clr(services, session, holder, select_credentials(session, holder)))
        documents = {d.did: d.did_document for d in services.issuer_documents(session)}
    return clr, documents


def test_our_clr_verifies_in_the_reference_stack(
    exported: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    clr, documents = exported
    assert js_verify(clr, documents) == {"verified": True, "errors": []}
    di_badge, enveloped = clr["credentialSubject"]["verifiableCredential"]
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert js_verify(di_badge, documents) == {"verified": True, "errors": []}
    tampered = json.loads(json.dumps(clr))
    tampered["credentialSubject"]["association"][0]["associationType"] = "isChildOf"
    outcome = js_verify(tampered, documents)
    assert outcome["verified"] is False
    assert outcome["errors"] == ["Invalid signature."]


def test_holder_signed_presentation_verifies_in_the_reference_stack(
    services: Services, exported: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, documents = exported
    key = generate_key("EdDSA")
    challenge, domain = "8f1c2e7a-challenge", "https://hiring.example"
    with services.session() as session:
        set_holder_did(
            session, LEARNER, did_key_from_public_key(key.public), actor="t", now=services.now()
        )
    with services.session() as session:
        holder = find_holder(session, LEARNER)
        di_only = [r for r in select_credentials(session, holder) if r.proof_format != "vc-jwt"]
        vp = json.loads(
            export_vp(session, holder, di_only, holder_key=key, challenge=challenge, domain=domain)
        )
    payload = {"presentation": vp, "documents": documents, "challenge": challenge, "domain": domain}
    assert js_verify_presentation(payload) == {
        "verified": True,
        "presentationVerified": True,
        "credentialsVerified": [True],
        "errors": [],
    }
    # Replayed to another verifier (other challenge): refused.
    replay = js_verify_presentation({**payload, "challenge": "another-challenge"})
    assert replay["verified"] is False and replay["presentationVerified"] is False
    # A badge swapped in after signing: refused.
    tampered = json.loads(json.dumps(vp))
    tampered["verifiableCredential"][0]["name"] = "Something else"
    outcome = js_verify_presentation({**payload, "presentation": tampered})
    assert outcome["verified"] is False
