"""issuer.clr and issuer.presentation: a CLR 2.0 of issued badges, and holder presentations."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, CredentialIssuer, DraftInvalid, SelfCheckFailed
from issuer.clr import (
    CLR_CONTEXT,
    ClrDraft,
    ClrIssuer,
    EmbeddedBadge,
    JobFamilyGoal,
    build_clr,
    enveloped_credential,
)
from issuer.presentation import build_presentation, sign_presentation
from keys import (
    InvalidSignature,
    PublishedKey,
    SigningKey,
    b58decode,
    did_key_from_public_key,
    did_web_document,
    generate_key,
    verification_method_id,
)
from verifier import KeyResolver, Verifier, identity_hash, load_credential
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import hash_data, proof_config
from verifier.model import ClrCredential

ISSUER = "did:web:issuer.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PROFILE = {"id": ISSUER, "type": ["Profile"], "name": "Org"}
EMAIL = "ada@example.com"
SRE = "https://issuer.example/job-families/sre"


def achievement(slug: str) -> dict[str, Any]:
    return {
        "id": f"https://issuer.example/achievements/{slug}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": slug,
        "description": f"The {slug} skill.",
        "criteria": {"narrative": "Assessed."},
    }


class Org:
    """An issuer with an EdDSA and an ES256 key, and a verifier that knows them."""

    def __init__(self) -> None:
        self.ed = generate_key("EdDSA")
        self.es = generate_key("ES256")
        published = [
            PublishedKey(k.public, "active", NOW - timedelta(days=1)) for k in (self.ed, self.es)
        ]
        self.verifier = Verifier(
            KeyResolver(documents={ISSUER: did_web_document(ISSUER, published)}),
            known_issuers=[ISSUER],
        )
        self.issuer = CredentialIssuer(self.verifier)

    def badge(self, slug: str, *, email: str = EMAIL, jwt: bool = False) -> EmbeddedBadge:
        draft = CredentialDraft(
            issuer=PROFILE, achievement=achievement(slug), recipient_email=email, valid_from=NOW
        )
        if jwt:
            issued = self.issuer.issue_jwt(
                draft, self.es, kid=verification_method_id(ISSUER, self.es.kid), now=NOW
            )
            return EmbeddedBadge(issued.content.decode(), "vc-jwt")
        issued = self.issuer.issue_data_integrity(
            draft, self.ed, verification_method=verification_method_id(ISSUER, self.ed.kid), now=NOW
        )
        return EmbeddedBadge(issued.content.decode(), "data-integrity")

    def issue(self, draft: ClrDraft) -> dict[str, Any]:
        issued = ClrIssuer(self.verifier).issue(
            draft, self.ed, verification_method=verification_method_id(ISSUER, self.ed.kid), now=NOW
        )
        out: dict[str, Any] = json.loads(issued.content)
        return out


@pytest.fixture(scope="module")
def org() -> Org:
    return Org()


@pytest.fixture(scope="module")
def badges(org: Org) -> list[EmbeddedBadge]:
    return [org.badge("linux-l2"), org.badge("observability-l2", jwt=True), org.badge("k8s-l3")]


def sre() -> JobFamilyGoal:
    return JobFamilyGoal(
        id=SRE,
        name="Site Reliability Engineering",
        description="Keeps services reliable.",
        criteria_narrative="Linux administration at level 2 and observability at level 2.",
        skill_achievement_ids=[
            "https://issuer.example/achievements/linux-l2",
            "https://issuer.example/achievements/observability-l2",
            "https://issuer.example/achievements/not-held",
        ],
        alignment=[
            {
                "type": ["Alignment"],
                "targetType": "ext:JobFamily",
                "targetName": "Site Reliability Engineers",
                "targetFramework": "O*NET-SOC 2019",
                "targetCode": "15-1244.00",
                "targetUrl": "https://www.onetonline.org/link/summary/15-1244.00",
            }
        ],
    )


def clr_draft(badges: list[EmbeddedBadge], **changes: Any) -> ClrDraft:
    base: dict[str, Any] = {
        "issuer": PROFILE,
        "recipient_email": " Ada@Example.com ",
        "name": "Skill passport",
        "valid_from": NOW,
        "badges": badges,
        "partial": False,
        "job_families": [sre()],
        "salt": "Kosher",
    }
    base.update(changes)
    return ClrDraft(**base)


def test_build_follows_the_clr_output_rules(badges: list[EmbeddedBadge]) -> None:
    clr = build_clr(clr_draft(badges))
    assert clr["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        CLR_CONTEXT,
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    # The official CLR 2.0 JSON Schema, for the 1EdTech validator (checklist §3.1).
    assert clr["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert clr["id"].startswith("urn:uuid:")
    assert clr["partial"] is False
    assert clr["validFrom"] == "2026-06-01T12:00:00Z"
    subject = clr["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": identity_hash(EMAIL, "Kosher"),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "Kosher",
        }
    ]
    # Badges exactly as issued: DI objects unchanged, the VC-JWT enveloped.
    di, jwt, di2 = subject["verifiableCredential"]
    assert di == json.loads(badges[0].content) and di2 == json.loads(badges[2].content)
    assert jwt == {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": "data:application/vc+jwt," + badges[1].content,
        "type": "EnvelopedVerifiableCredential",
    }
    ids = [a["id"] for a in subject["achievement"]]
    assert ids == [
        "https://issuer.example/achievements/linux-l2",
        "https://issuer.example/achievements/observability-l2",  # read from the JWT payload
        "https://issuer.example/achievements/k8s-l3",
        SRE,
    ]
    family = subject["achievement"][-1]
    assert family["achievementType"] == "ext:JobFamily"
    assert family["criteria"] == {"id": SRE, "narrative": sre().criteria_narrative}
    # Only achievements the CLR holds are linked; the family is their parent.
    assert subject["association"] == [
        {
            "type": "Association",
            "associationType": "isParentOf",
            "sourceId": SRE,
            "targetId": f"https://issuer.example/achievements/{slug}",
        }
        for slug in ("linux-l2", "observability-l2")
    ]
    assert isinstance(load_credential(clr), ClrCredential)


def test_a_family_no_badge_serves_is_left_out(badges: list[EmbeddedBadge]) -> None:
    clr = build_clr(clr_draft(badges[2:]))
    subject = clr["credentialSubject"]
    assert [a["id"] for a in subject["achievement"]] == [
        "https://issuer.example/achievements/k8s-l3"
    ]
    assert "association" not in subject  # no empty arrays


def test_issued_clr_verifies_outer_and_embedded(org: Org, badges: list[EmbeddedBadge]) -> None:
    clr = org.issue(clr_draft(badges, partial=True))
    assert clr["partial"] is True
    (proof,) = clr["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    verified = org.verifier.verify(clr, now=NOW)
    assert isinstance(verified.credential, ClrCredential)
    for item in clr["credentialSubject"]["verifiableCredential"]:
        if item["type"] == "EnvelopedVerifiableCredential":
            item = item["id"].removeprefix("data:application/vc+jwt,")
        assert org.verifier.report(item, now=NOW).verified is True


def test_tampered_clr_is_refused(org: Org, badges: list[EmbeddedBadge]) -> None:
    clr = org.issue(clr_draft(badges))
    clr["partial"] = True  # hide that badges are missing? the signature says otherwise
    report = org.verifier.report(clr, now=NOW)
    assert report.verified is False
    assert report.check("signature").code == "bad_signature"  # type: ignore[union-attr]


def test_another_learners_badge_is_refused(org: Org, badges: list[EmbeddedBadge]) -> None:
    other = org.badge("linux-l2", email="grace@example.com")
    with pytest.raises(DraftInvalid, match="not issued to this learner"):
        org.issue(clr_draft([badges[0], other]))


def test_a_badge_that_does_not_verify_stops_the_clr(org: Org, badges: list[EmbeddedBadge]) -> None:
    doc = json.loads(badges[0].content)
    doc["name"] = "Changed after signing"
    tampered = EmbeddedBadge(json.dumps(doc), "data-integrity")
    with pytest.raises(SelfCheckFailed, match="A badge in the CLR does not verify"):
        org.issue(clr_draft([tampered]))


def test_a_foreign_key_cannot_sign_a_clr(org: Org, badges: list[EmbeddedBadge]) -> None:
    stranger = generate_key("EdDSA")
    with pytest.raises(SelfCheckFailed):
        ClrIssuer(org.verifier).issue(
            clr_draft(badges),
            stranger,
            verification_method=verification_method_id(ISSUER, stranger.kid),
            now=NOW,
        )


def test_empty_clr_and_undefined_terms_are_refused(org: Org, badges: list[EmbeddedBadge]) -> None:
    with pytest.raises(DraftInvalid, match="at least one badge"):
        build_clr(clr_draft([]))
    odd = replace(sre(), alignment=[{"type": ["Alignment"], "targetName": "x", "notATerm": 1}])
    with pytest.raises(DraftInvalid):
        org.issue(clr_draft(badges, job_families=[odd]))


def test_enveloped_credential_shape() -> None:
    assert enveloped_credential("a.b.c")["id"] == "data:application/vc+jwt,a.b.c"


# -- presentations -------------------------------------------------------------------------


def holder_key() -> tuple[SigningKey, str]:
    key = generate_key("EdDSA")
    return key, did_key_from_public_key(key.public)


def test_unsigned_presentation(badges: list[EmbeddedBadge]) -> None:
    vp = build_presentation(badges[:2], holder=None)
    assert vp["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert vp["type"] == ["VerifiablePresentation"]
    assert "holder" not in vp and "proof" not in vp
    assert vp["verifiableCredential"][1]["type"] == "EnvelopedVerifiableCredential"
    with pytest.raises(DraftInvalid):
        build_presentation([], holder=None)


def test_holder_signed_presentation(badges: list[EmbeddedBadge]) -> None:
    key, did = holder_key()
    canonicalizer = Canonicalizer()
    vp = sign_presentation(
        build_presentation(badges, holder=did),
        key,
        created=NOW,
        canonicalizer=canonicalizer,
        challenge="nonce-123",
        domain="https://verifier.example",
    )
    (proof,) = vp["proof"]
    assert proof["proofPurpose"] == "authentication"
    assert proof["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    assert (proof["challenge"], proof["domain"]) == ("nonce-123", "https://verifier.example")
    unsecured = {k: v for k, v in vp.items() if k != "proof"}
    unsecured["holder"] = "did:key:z6MkSomeoneElse"
    with pytest.raises(InvalidSignature):
        key.public.verify(
            b58decode(proof["proofValue"][1:]),
            hash_data(canonicalizer, unsecured, proof_config(unsecured, proof)),
        )


def test_a_key_that_is_not_the_holder_cannot_sign(badges: list[EmbeddedBadge]) -> None:
    key, _ = holder_key()
    _, other_did = holder_key()
    with pytest.raises(DraftInvalid, match="not the did:key"):
        sign_presentation(
            build_presentation(badges[:1], holder=other_did),
            key,
            created=NOW,
            canonicalizer=Canonicalizer(),
        )
    with pytest.raises(DraftInvalid, match="Ed25519"):
        sign_presentation(
            build_presentation(badges[:1], holder=other_did),
            generate_key("ES256"),
            created=NOW,
            canonicalizer=Canonicalizer(),
        )
