"""Status lists interoperate with the JavaScript reference stack (Digital Bazaar @digitalbazaar/vc).

A ``BitstringStatusListCredential`` we build (issuer.statuslist) and sign (Data Integrity
``eddsa-rdfc-2022``, did:key issuer so the harness resolves the key offline) must verify there;
a tampered copy must not. The other way round, a list the reference stack signs must verify in
our :class:`verifier.status.StatusChecker`. And a badge carrying our ``BitstringStatusListEntry``
(``statusListIndex`` as a string) must canonicalize identically on both sides.

Runs offline (``tests/interop/di.mjs``); skips only where Node.js is absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from issuer import CredentialDraft, build_credential, sign_data_integrity
from issuer.statuslist import (
    build_status_list_credential,
    encode_bitstring,
    new_bitstring,
    set_bit,
    status_entry,
)
from keys import SigningKey, did_key_from_public_key, generate_key
from tests.interop.harness import harness, requires_node
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.errors import Revoked
from verifier.status import DataIntegrityListVerifier, StatusChecker

pytestmark = requires_node
NOW = datetime.now(UTC).replace(microsecond=0)
LIST_URL = "https://badges.example.org/status/revocation/1"


def did_key_signer() -> tuple[SigningKey, str, str]:
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    return key, did, f"{did}#{did.removeprefix('did:key:')}"


def revocation_bits(*indexes: int) -> bytearray:
    bits = new_bitstring()
    for index in indexes:
        set_bit(bits, index, True)
    return bits


def test_a_status_list_we_sign_verifies_in_the_reference_stack() -> None:
    key, did, vm = did_key_signer()
    unsigned = build_status_list_credential(
        list_url=LIST_URL,
        issuer={"id": did},
        purpose="revocation",
        bits=revocation_bits(23, 94567),
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=30),
        ttl_ms=300_000,
    )
    signed = sign_data_integrity(
        unsigned, key, verification_method=vm, created=NOW, canonicalizer=Canonicalizer()
    )
    assert "credentialStatus" not in signed  # so the harness needs no skipStatus
    assert harness("verify", {"credential": signed, "documents": {}}) == {
        "verified": True,
        "errors": [],
    }
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["encodedList"] = encode_bitstring(new_bitstring())
    outcome = harness("verify", {"credential": tampered, "documents": {}})
    assert outcome["verified"] is False
    assert outcome["errors"] == ["Invalid signature."]


def test_a_status_list_the_reference_stack_signs_verifies_here() -> None:
    unsigned = build_status_list_credential(
        list_url=LIST_URL,
        issuer="did:example:replaced-by-the-harness",
        purpose="revocation",
        bits=revocation_bits(7),
        valid_from=NOW - timedelta(days=1),
    )
    signed = harness("sign", {"credential": unsigned, "seed": "3c" * 32})["signed"]
    did = signed["issuer"] if isinstance(signed["issuer"], str) else signed["issuer"]["id"]
    assert did.startswith("did:key:z6Mk")
    checker = StatusChecker(DataIntegrityListVerifier(KeyResolver()), documents={LIST_URL: signed})
    entry = status_entry(LIST_URL, 6, "revocation")
    assert checker.check(entry, credential_id=None, issuer_id=did, now=datetime.now(UTC)).entries[
        0
    ].state == ("clear")
    with pytest.raises(Revoked):
        checker.check(
            status_entry(LIST_URL, 7, "revocation"),
            credential_id=None,
            issuer_id=did,
            now=datetime.now(UTC),
        )


def test_a_badge_with_our_status_entry_verifies_in_both_stacks() -> None:
    key, did, vm = did_key_signer()
    draft = CredentialDraft(
        issuer={"id": did, "type": ["Profile"], "name": "Example Org"},
        achievement={
            "id": "https://badges.example.org/achievements/sre-l2",
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": "Site Reliability — Practitioner",
            "description": "Runs production services.",
            "criteria": {"narrative": "Passed a hands-on assessment."},
        },
        recipient_email="learner@example.com",
        valid_from=NOW - timedelta(days=1),
    )
    credential = build_credential(draft)
    credential["credentialStatus"] = status_entry(LIST_URL, 94567, "revocation")
    signed = sign_data_integrity(
        credential, key, verification_method=vm, created=NOW, canonicalizer=Canonicalizer()
    )
    outcome = harness("verify", {"credential": signed, "documents": {}, "skipStatus": True})
    assert outcome == {"verified": True, "errors": []}
    report = Verifier(KeyResolver()).report(signed, now=datetime.now(UTC))
    assert report.check("signature").status == "passed"  # type: ignore[union-attr]
