"""The suite matrix against Digital Bazaar's implementations, both ways, with fresh keys.

For each suite × VC version (1.1, 2.0) × issuer DID method (did:key, did:web):

* Digital Bazaar signs (``@digitalbazaar/eddsa-rdfc-2022-cryptosuite``,
  ``@digitalbazaar/ecdsa-rdfc-2019-cryptosuite`` with P-256 and P-384 keys from
  ``@digitalbazaar/ecdsa-multikey``, ``@digitalbazaar/ed25519-signature-2020``) and we verify;
* we sign (eddsa-rdfc-2022, ecdsa-rdfc-2019 P-256 and P-384: the suites we issue with) and
  Digital Bazaar's ``@digitalbazaar/vc`` verifies;
* one changed value fails on both sides.

Every key is generated afresh on each run, on both sides. A did:web issuer's DID document is
handed to each side's resolver / document loader (no network): ours is
:func:`keys.did_web_document` (keys as JsonWebKey / Multikey), theirs a Multikey document made
by the harness. All the JavaScript work runs in one Node process (``suites.mjs``) per module.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, build_credential, sign_data_integrity
from keys import (
    PublishedKey,
    SigningKey,
    did_key_from_public_key,
    did_web_document,
    generate_key,
    verification_method_id,
)
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from tests.interop.harness import HERE, requires_node, run_node
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer

pytestmark = requires_node

NOW = datetime.now(UTC).replace(microsecond=0)
CANON = Canonicalizer()
VC11 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
OUR_DID_WEB = "did:web:badges.example.org"
THEIR_DID_WEB = "did:web:other.example"
TAMPER_PATH = ["credentialSubject", "achievement", "name"]
TAMPER_VALUE = "Kubernetes Operations — Expert"
LEGACY_NOTE = "an older signature suite that is still accepted"

# suite label -> (suite, curve or None, the key algorithm on our side)
THEIR_SUITES = {
    "eddsa-rdfc-2022": ("eddsa-rdfc-2022", None),
    "ecdsa-rdfc-2019-P-256": ("ecdsa-rdfc-2019", "P-256"),
    "ecdsa-rdfc-2019-P-384": ("ecdsa-rdfc-2019", "P-384"),
    "Ed25519Signature2020": ("Ed25519Signature2020", None),
}
OUR_SUITES = {
    "eddsa-rdfc-2022": ("eddsa-rdfc-2022", "EdDSA"),
    "ecdsa-rdfc-2019-P-256": ("ecdsa-rdfc-2019", "ES256"),
    "ecdsa-rdfc-2019-P-384": ("ecdsa-rdfc-2019", "ES384"),
}
VERSIONS = ("1.1", "2.0")
METHODS = ("did:key", "did:web")


def unsigned(version: str, issuer: str) -> dict[str, Any]:
    credential = build_credential(
        CredentialDraft(
            issuer={"id": issuer, "type": ["Profile"], "name": "Example Org"},
            achievement={
                "id": "https://badges.example.org/achievements/k8s-l2",
                "type": ["Achievement"],
                "achievementType": "Competency",
                "name": "Kubernetes Operations — Practitioner",
                "description": "Deploys and troubleshoots workloads.",
                "criteria": {"narrative": "Passed a hands-on assessment."},
            },
            recipient_email="learner@example.com",
            valid_from=NOW - timedelta(days=1),
        )
    )
    if version == "1.1":
        # VC 1.1 predates DataIntegrityProof: its own context defines the proof terms.
        credential["@context"] = [VC11, *credential["@context"][1:], DATA_INTEGRITY_V2]
        credential["issuanceDate"] = credential.pop("validFrom")
    return credential


def tampered(credential: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    node = changed
    for name in TAMPER_PATH[:-1]:
        node = node[name]
    node[TAMPER_PATH[-1]] = TAMPER_VALUE
    return changed


def cases(suites: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s, v, m) for s in suites for v in VERSIONS for m in METHODS]


def case_id(case: tuple[str, str, str]) -> str:
    return "-".join(case).replace("did:", "")


# -- one Node process for the whole module ----------------------------------------------------


def our_signed(suite: str, alg: str, version: str, method: str) -> tuple[dict[str, Any], Any]:
    """A credential we sign with a fresh key, and the documents a verifier needs for it."""
    key: SigningKey = generate_key(alg)
    if method == "did:key":
        issuer = did_key_from_public_key(key.public)
        vm = f"{issuer}#{issuer.removeprefix('did:key:')}"
        documents: dict[str, Any] = {}
    else:
        issuer = OUR_DID_WEB
        vm = verification_method_id(issuer, key.kid)
        published = PublishedKey(key.public, "active", NOW - timedelta(days=1))
        documents = {issuer: did_web_document(issuer, [published])}
    signed = sign_data_integrity(
        unsigned(version, issuer),
        key,
        verification_method=vm,
        created=NOW - timedelta(minutes=5),
        canonicalizer=CANON,
        cryptosuite=suite,
    )
    return signed, documents


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    ours: dict[tuple[str, str, str], tuple[dict[str, Any], Any]] = {}
    verify_jobs: list[dict[str, Any]] = []
    for case in cases(OUR_SUITES):
        label, version, method = case
        suite, alg = OUR_SUITES[label]
        signed, documents = our_signed(suite, alg, version, method)
        ours[case] = (signed, documents)
        verify_jobs.append({"credential": signed, "documents": documents})
        verify_jobs.append({"credential": tampered(signed), "documents": documents})
    sign_jobs: list[dict[str, Any]] = []
    their_cases = cases(THEIR_SUITES)
    for label, version, method in their_cases:
        suite, curve = THEIR_SUITES[label]
        job: dict[str, Any] = {
            "suite": suite,
            "credential": unsigned(version, "did:example:replaced"),
            "tamper": {"path": TAMPER_PATH, "value": TAMPER_VALUE},
        }
        if curve is not None:
            job["curve"] = curve
        if method == "did:web":
            job["did"] = THEIR_DID_WEB
        sign_jobs.append(job)
    output = run_node(HERE / "suites.mjs", {"sign": sign_jobs, "verify": verify_jobs}, timeout=300)
    verified = output["verified"]
    return {
        "ours": ours,
        "js_verified": {
            case: (verified[2 * i], verified[2 * i + 1]) for i, case in enumerate(ours)
        },
        "theirs": dict(zip(their_cases, output["signed"], strict=True)),
    }


# -- Digital Bazaar signs, we verify -----------------------------------------------------------


@pytest.mark.parametrize("case", cases(THEIR_SUITES), ids=case_id)
def test_reference_signed_verifies_here(matrix: dict[str, Any], case: tuple[str, str, str]) -> None:
    label, version, method = case
    outcome = matrix["theirs"][case]
    assert "error" not in outcome, outcome
    # The reference stack accepts its own credential and refuses it with one value changed.
    assert outcome["verified"] is True, outcome["errors"]
    assert outcome["tamperedVerified"] is False
    signed = outcome["signed"]
    proof = signed["proof"] if isinstance(signed["proof"], dict) else signed["proof"][0]
    suite, curve = THEIR_SUITES[label]
    assert proof.get("cryptosuite", proof["type"]) == suite
    issuer = signed["issuer"]["id"]
    if method == "did:key":
        prefix = {None: "did:key:z6Mk", "P-256": "did:key:zDn", "P-384": "did:key:z82"}[curve]
        assert issuer.startswith(prefix)
        documents = {}
    else:
        assert issuer == THEIR_DID_WEB
        documents = {issuer: outcome["document"]}
    first_context = signed["@context"][0]
    assert first_context == (VC11 if version == "1.1" else "https://www.w3.org/ns/credentials/v2")

    verifier = Verifier(KeyResolver(documents=documents), canonicalizer=CANON)
    # The clock now, not at import: Node stamps `created` as it signs, which in a full run is
    # many minutes after this module was collected.
    now = datetime.now(UTC)
    report = verifier.report(signed, now=now)
    assert report.verified, report.to_dict()
    assert report.check("signature").code == "signature_valid"  # type: ignore[union-attr]
    legacy = [n for n in report.notes if LEGACY_NOTE in n]
    assert len(legacy) == (1 if label == "Ed25519Signature2020" else 0)

    bad = verifier.report(tampered(signed), now=now)
    assert bad.verified is False
    assert bad.check("signature").code == "bad_signature"  # type: ignore[union-attr]


# -- we sign, Digital Bazaar verifies ----------------------------------------------------------


@pytest.mark.parametrize("case", cases(OUR_SUITES), ids=case_id)
def test_we_sign_and_the_reference_verifies(
    matrix: dict[str, Any], case: tuple[str, str, str]
) -> None:
    signed, documents = matrix["ours"][case]
    ours = Verifier(KeyResolver(documents=documents), canonicalizer=CANON)
    assert ours.report(signed, now=NOW).verified
    assert ours.report(tampered(signed), now=NOW).verified is False
    good, bad = matrix["js_verified"][case]
    assert good == {"verified": True, "errors": []}
    assert bad["verified"] is False
    assert "Invalid signature." in bad["errors"]


# -- a badge our service issues with --suite ecdsa-rdfc-2019 ------------------------------------


def test_an_ecdsa_badge_we_issue_verifies_in_the_reference_stack(services: Services) -> None:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "ada@example.com", suite="ecdsa-rdfc-2019"),
            now=NOW,
        )
        credential = json.loads(record.content)
        documents = {d.did: d.did_document for d in services.issuer_documents(session)}
    (proof,) = credential["proof"]
    assert proof["cryptosuite"] == "ecdsa-rdfc-2019"
    jobs = [
        {"credential": credential, "documents": documents},
        {"credential": tampered(credential), "documents": documents},
    ]
    good, bad = run_node(HERE / "suites.mjs", {"verify": jobs})["verified"]
    # The reference stack's status check is stubbed (status interop has its own tests).
    assert good == {"verified": True, "errors": []}
    assert bad["verified"] is False and "Invalid signature." in bad["errors"]
