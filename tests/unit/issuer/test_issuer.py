"""Building and signing: OB 3.0 output rules, the identity hash, and PyJWT interop both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest

from issuer import (
    CredentialDraft,
    CredentialIssuer,
    DraftInvalid,
    SelfCheckFailed,
    build_credential,
    json_bytes,
    sign_vc_jwt,
)
from keys import PublishedKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier, identity_hash

ISSUER = "did:web:issuer.example"
NOW = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
ACHIEVEMENT = {
    "id": "https://issuer.example/achievements/a",
    "type": ["Achievement"],
    "name": "A",
    "description": "An achievement.",
    "criteria": {"narrative": "Did it."},
}


def draft(**changes: Any) -> CredentialDraft:
    base: dict[str, Any] = {
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Org"},
        "achievement": ACHIEVEMENT,
        "recipient_email": "  Ada@Example.COM ",
        "valid_from": NOW,
        "salt": "Kosher",
    }
    base.update(changes)
    return CredentialDraft(**base)


def test_identity_hash_matches_the_spec_example() -> None:
    # OB 3.0 §B "IdentityHash" example, recomputed in the checklist.
    assert identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_build_follows_ob3_output_rules() -> None:
    cred = build_credential(draft())
    assert cred["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        # defines the credentialSchema type below (checklist §1.2)
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert "credentialStatus" not in cred and "image" not in cred  # none given: none written
    assert cred["id"].startswith("urn:uuid:")
    assert cred["validFrom"] == "2026-06-01T12:00:00Z"  # whole seconds, Z
    assert "validUntil" not in cred  # no nulls
    subject = cred["credentialSubject"]
    assert "result" not in subject and "id" not in subject  # no empty arrays, no nulls
    (ident,) = subject["identifier"]
    assert ident == {
        "type": "IdentityObject",
        "identityHash": identity_hash("ada@example.com", "Kosher"),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "Kosher",
    }


def test_every_credential_gets_its_own_salt_and_id() -> None:
    a = build_credential(draft(salt="x"))
    b1 = CredentialDraft(
        issuer={"id": ISSUER}, achievement=ACHIEVEMENT, recipient_email="a@b.c", valid_from=NOW
    )
    b2 = CredentialDraft(
        issuer={"id": ISSUER}, achievement=ACHIEVEMENT, recipient_email="a@b.c", valid_from=NOW
    )
    assert b1.salt != b2.salt and b1.credential_id != b2.credential_id
    assert a["credentialSubject"]["identifier"][0]["salt"] == "x"


@pytest.mark.parametrize("email", ["", "no-at-sign", "two words@example.com", "a@" + "b" * 400])
def test_bad_recipient_is_refused(email: str) -> None:
    with pytest.raises(DraftInvalid):
        build_credential(draft(recipient_email=email))


@pytest.fixture(scope="module")
def es_key():  # type: ignore[no-untyped-def]
    return generate_key("ES256")


@pytest.fixture(scope="module")
def verifier(es_key):  # type: ignore[no-untyped-def]
    doc = did_web_document(
        ISSUER, [PublishedKey(public=es_key.public, status="active", created=NOW)]
    )
    return Verifier(KeyResolver(documents={ISSUER: doc}), known_issuers=[ISSUER])


def test_jwt_claims_and_header(es_key) -> None:  # type: ignore[no-untyped-def]
    cred = build_credential(draft(valid_until=NOW + timedelta(days=10), subject_id="did:example:1"))
    token = sign_vc_jwt(cred, es_key, kid=verification_method_id(ISSUER, es_key.kid))
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": f"{ISSUER}#{es_key.kid}", "typ": "JWT"}
    # Interop: PyJWT, an independent implementation, accepts what we sign.
    claims = pyjwt.decode(
        token,
        es_key.public.key,
        algorithms=["ES256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims["iss"] == ISSUER and claims["jti"] == cred["id"]
    assert claims["sub"] == "did:example:1"
    assert claims["nbf"] == int(NOW.replace(microsecond=0).timestamp())
    assert claims["exp"] == int((NOW + timedelta(days=10)).timestamp())


def test_a_token_made_by_pyjwt_verifies_in_ours(es_key, verifier) -> None:  # type: ignore[no-untyped-def]
    cred = build_credential(draft())
    payload = {**cred, "iss": ISSUER, "jti": cred["id"], "nbf": int(NOW.timestamp())}
    token = pyjwt.encode(
        payload, es_key.private_key, algorithm="ES256", headers={"kid": f"{ISSUER}#{es_key.kid}"}
    )
    assert verifier.verify(token, now=NOW).credential.id == cred["id"]


def test_issuer_self_checks_its_output(es_key, verifier) -> None:  # type: ignore[no-untyped-def]
    issued = CredentialIssuer(verifier).issue_jwt(
        draft(), es_key, kid=verification_method_id(ISSUER, es_key.kid), now=NOW
    )
    assert issued.proof_format == "vc-jwt"
    assert issued.content.count(b".") == 2


def test_self_check_failure_stops_release(es_key) -> None:  # type: ignore[no-untyped-def]
    stranger = Verifier(KeyResolver())  # knows no key of ours: the signature cannot be checked
    with pytest.raises(SelfCheckFailed):
        CredentialIssuer(stranger).issue_jwt(
            draft(), es_key, kid=verification_method_id(ISSUER, es_key.kid), now=NOW
        )


def test_invalid_draft_is_refused_before_signing(es_key, verifier) -> None:  # type: ignore[no-untyped-def]
    broken = {**ACHIEVEMENT}
    del broken["criteria"]
    with pytest.raises(DraftInvalid):
        CredentialIssuer(verifier).issue_jwt(
            draft(achievement=broken), es_key, kid=f"{ISSUER}#{es_key.kid}", now=NOW
        )


def test_json_bytes_is_the_standard_librarys_text_for_a_credential() -> None:
    credential = build_credential(draft())
    credential["name"] = "Kubernetes — Praktiker ✓"
    expected = json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")
    assert json_bytes(credential) == expected


def test_json_bytes_falls_back_for_what_orjson_refuses() -> None:
    document = {"big": 2**70, "nested": {"list": [1, 2.5, "é"]}}
    assert json_bytes(document) == json.dumps(document, ensure_ascii=False, indent=2).encode()
