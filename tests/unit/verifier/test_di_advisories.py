"""One named regression test per attack on Data Integrity (eddsa-rdfc-2022) credentials.

Each must be refused with its own stable ``code`` — never verified, never an exception.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, build_credential, sign_data_integrity
from keys import PublishedKey, SigningKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Report, Verifier
from verifier.canonical import Canonicalizer
from verifier.fetch import FetchPolicy, SafeFetcher

from .conftest import ACHIEVEMENT, ISSUER, NOW

CANON = Canonicalizer()


@pytest.fixture(scope="module")
def ed_key_module() -> SigningKey:
    return generate_key("EdDSA")


@pytest.fixture(scope="module")
def document(ed_key_module: SigningKey) -> dict[str, Any]:
    return did_web_document(
        ISSUER, [PublishedKey(ed_key_module.public, "active", NOW - timedelta(days=9))]
    )


@pytest.fixture
def di_verifier(document: dict[str, Any]) -> Verifier:
    return Verifier(
        KeyResolver(documents={ISSUER: document}), known_issuers=[ISSUER], canonicalizer=CANON
    )


def sign(key: SigningKey, credential: dict[str, Any], **options: Any) -> dict[str, Any]:
    return sign_data_integrity(
        credential,
        key,
        verification_method=options.pop("vm", verification_method_id(ISSUER, key.kid)),
        created=options.pop("created", NOW - timedelta(hours=1)),
        canonicalizer=CANON,
    )


def unsigned(**changes: Any) -> dict[str, Any]:
    credential = build_credential(
        CredentialDraft(
            issuer={"id": ISSUER, "type": ["Profile"], "name": "Example Org"},
            achievement=ACHIEVEMENT,
            recipient_email="learner@example.com",
            valid_from=NOW - timedelta(days=1),
        )
    )
    credential.update(changes)
    return credential


def first_failure(report: Report) -> tuple[str, str, str]:
    check = report.first_failure
    assert check is not None
    assert report.verified is False
    return check.id, check.status, check.code


def signature(report: Report) -> tuple[str, str]:
    check = report.check("signature")
    assert check is not None
    assert report.verified is False
    return check.status, check.code


def test_our_own_credential_verifies(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    assert di_verifier.report(sign(ed_key_module, unsigned()), now=NOW).verified


def test_tampered_value(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "0" * 64
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "bad_signature")


def test_proof_swapped_from_another_credential(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    first, second = sign(ed_key_module, unsigned()), sign(ed_key_module, unsigned())
    first["proof"] = second["proof"]
    assert signature(di_verifier.report(first, now=NOW)) == ("failed", "bad_signature")


@pytest.mark.parametrize("suite", ["eddsa-rdf-2022", "ecdsa-sd-2019", "", None])
def test_wrong_cryptosuite(ed_key_module: SigningKey, di_verifier: Verifier, suite: Any) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["proof"][0]["cryptosuite"] = suite
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "unknown_cryptosuite")


def test_ed25519_proof_relabelled_as_ecdsa(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    # A known suite, but not one an Ed25519 key signs with: refused before any hashing.
    signed = sign(ed_key_module, unsigned())
    signed["proof"][0]["cryptosuite"] = "ecdsa-rdfc-2019"
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "wrong_key_type")


def test_legacy_suite_name_swapped_in_after_signing(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    # eddsa-2022 is accepted on VC 2.0 (with a note), but the suite name is part of what is
    # signed: relabelling a proof breaks it.
    signed = sign(ed_key_module, unsigned())
    signed["proof"][0]["cryptosuite"] = "eddsa-2022"
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "bad_signature")


@pytest.mark.parametrize("purpose", ["authentication", "capabilityInvocation", None])
def test_wrong_proof_purpose(
    ed_key_module: SigningKey, di_verifier: Verifier, purpose: Any
) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["proof"][0]["proofPurpose"] = purpose
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "wrong_proof_purpose")


def test_created_in_the_future(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    signed = sign(ed_key_module, unsigned(), created=NOW + timedelta(days=1))
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "created_in_future")


def test_verification_method_of_another_controller(di_verifier: Verifier) -> None:
    stranger = generate_key("EdDSA")
    signed = sign(stranger, unsigned(), vm=f"did:web:other.example#{stranger.kid}")
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "issuer_key_mismatch")


def test_key_not_in_the_issuers_document(di_verifier: Verifier) -> None:
    stranger = generate_key("EdDSA")
    signed = sign(stranger, unsigned())  # claims the issuer's DID, with a key it never published
    assert signature(di_verifier.report(signed, now=NOW)) == (
        "failed",
        "unknown_verification_method",
    )


def test_unknown_context_url(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    credential = unsigned()
    credential["@context"] = [*credential["@context"], "https://evil.example/context.json"]
    report = di_verifier.report(
        {**credential, "proof": sign(ed_key_module, unsigned())["proof"]}, now=NOW
    )
    assert first_failure(report) == ("format", "failed", "unknown_context")


def test_context_that_redefines_a_protected_term(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    credential = unsigned()
    credential["@context"] = [
        *credential["@context"],
        {"VerifiableCredential": "https://evil.example/vocab#NotACredential"},
    ]
    report = di_verifier.report(
        {**credential, "proof": sign(ed_key_module, unsigned())["proof"]}, now=NOW
    )
    assert first_failure(report) == ("format", "failed", "protected_term_redefinition")


def test_undefined_term_is_refused_before_signing(ed_key_module: SigningKey) -> None:
    from verifier.errors import DataLoss

    with pytest.raises(DataLoss) as caught:
        sign(ed_key_module, unsigned(jobFamily="SRE"))
    assert caught.value.code == "undefined_term"


def test_undefined_term_added_after_signing(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["credentialSubject"]["jobFamily"] = "Site Reliability Engineering"
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "undefined_term")


def test_relative_iri(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["credentialSubject"]["achievement"]["id"] = "achievements/k8s"
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "relative_iri")


def test_proof_over_an_altered_context(ed_key_module: SigningKey, di_verifier: Verifier) -> None:
    credential = unsigned()
    del credential["awardedDate"]  # a term context 3.0.2 does not define yet
    signed = sign(ed_key_module, credential)
    altered = copy.deepcopy(signed)
    # Same terms, older OB context version: the signed N-Quads differ (IRIs changed in 3.0.3).
    altered["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
    assert signature(di_verifier.report(altered, now=NOW)) == ("failed", "bad_signature")


def test_proof_context_must_prefix_the_documents(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    signed = sign(ed_key_module, unsigned())
    signed["proof"][0]["@context"] = ["https://www.w3.org/2018/credentials/v1"]
    assert signature(di_verifier.report(signed, now=NOW)) == ("failed", "context_mismatch")


def test_did_web_host_resolving_to_a_private_address(ed_key_module: SigningKey) -> None:
    fetcher = SafeFetcher(FetchPolicy(), resolver=lambda host, port: ["10.0.0.5"])
    verifier = Verifier(KeyResolver(fetcher=fetcher), canonicalizer=CANON)
    signed = sign(ed_key_module, unsigned())  # issuer did:web:issuer.example, nothing local
    assert signature(verifier.report(signed, now=NOW)) == ("failed", "fetch_refused_address")


def test_one_valid_proof_in_a_set_suffices(
    ed_key_module: SigningKey, di_verifier: Verifier
) -> None:
    signed = sign(ed_key_module, unsigned())
    bogus = {**signed["proof"][0], "proofValue": "z" + "1" * 86}
    signed["proof"] = [bogus, signed["proof"][0]]
    assert di_verifier.report(signed, now=NOW).verified


def test_no_proof_at_all(di_verifier: Verifier) -> None:
    assert signature(di_verifier.report(unsigned(), now=NOW)) == ("failed", "no_proof")
