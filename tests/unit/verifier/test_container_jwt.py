"""Presentations and CLRs sent as a compact JWS: split into their credentials like the JSON
forms, the outer JWS checked (the holder's did:key for a VP-JWT, the issuer's for a CLR)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from issuer import sign_data_integrity, sign_vc_jwt
from issuer.clr import ClrDraft, EmbeddedBadge, build_clr, enveloped_credential
from keys import SigningKey, did_key_from_public_key, generate_key, verification_method_id
from verifier import Verifier
from verifier.canonical import Canonicalizer
from verifier.containers import ContainerReport, jwt_container_kind, verify_container_jwt
from verifier.inputs import classify, verify_any

from .conftest import ISSUER, NOW, b64, forge

VC1 = "https://www.w3.org/2018/credentials/v1"
VC2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture(scope="module")
def holder_key() -> SigningKey:
    return generate_key("EdDSA")


@pytest.fixture(scope="module")
def holder(holder_key: SigningKey) -> str:
    return did_key_from_public_key(holder_key.public)


def _kid(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"


@pytest.fixture
def di_badge(credential: Callable[..., dict[str, Any]], ed_key: SigningKey) -> dict[str, Any]:
    return sign_data_integrity(
        credential(),
        ed_key,
        verification_method=verification_method_id(ISSUER, ed_key.kid),
        created=NOW - timedelta(days=1),
        canonicalizer=Canonicalizer(),
    )


@pytest.fixture
def vp_jwt(
    holder_key: SigningKey, holder: str, token: Callable[..., str], di_badge: dict[str, Any]
) -> Callable[..., str]:
    """Factory: a VC 1.1-style VP-JWT (``vp`` claim, ``iss`` the holder) signed by the holder."""

    def make(
        *,
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
        key: SigningKey | None = None,
        credentials: list[Any] | None = None,
    ) -> str:
        payload: dict[str, Any] = {
            "iss": holder,
            "jti": "urn:uuid:7f2b6c1e-8d0a-4e0b-9d55-0f0c2a9a1b11",
            "aud": "https://verifier.example",
            "nonce": "n-1",
            "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(minutes=5)).timestamp()),
            "vp": {
                "@context": [VC1],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": credentials
                if credentials is not None
                else [token(), di_badge],
            },
            **(claims or {}),
        }
        head = {"alg": "EdDSA", "typ": "JWT", "kid": _kid(holder), **(header or {})}
        return forge(head, payload, (key or holder_key).sign)

    return make


def _signature(report: ContainerReport) -> tuple[str, str]:
    check = report.check("signature")
    assert check is not None
    return check.status, check.code


def test_a_vp_jwt_is_split_into_its_credentials_and_the_holder_signature_checked(
    verifier: Verifier, vp_jwt: Callable[..., str], holder: str
) -> None:
    token = vp_jwt()
    assert classify(token, max_bytes=1 << 20).kind == "presentation"
    report = verify_any(verifier, token, now=NOW)
    assert isinstance(report, ContainerReport) and report.kind == "presentation"
    assert _signature(report) == ("passed", "presentation_signed")
    assert holder in (report.check("signature").hint or "")  # type: ignore[union-attr]
    assert [r.proof_format for r in report.credentials] == ["vc-jwt", "data-integrity"]
    assert all(r.verified for r in report.credentials)
    assert report.verified is True
    assert report.to_dict()["kind"] == "presentation"


def test_a_vp_jwt_binds_its_badges_to_the_holder_it_names_in_iss(
    verifier: Verifier,
    vp_jwt: Callable[..., str],
    holder: str,
    token: Callable[..., str],
    credential: Callable[..., dict[str, Any]],
) -> None:
    own = credential()
    own["credentialSubject"]["id"] = holder
    other = credential()
    other["credentialSubject"]["id"] = "did:example:someone-else"
    cases = {
        "passed": [token(credentialSubject=own["credentialSubject"])],
        "failed": [token(credentialSubject=other["credentialSubject"])],
        "could_not_check": [token()],  # named by e-mail only
    }
    for status, credentials in cases.items():
        report = verify_any(verifier, vp_jwt(credentials=credentials), now=NOW)
        assert isinstance(report, ContainerReport)
        binding = report.check("holder_binding")
        assert binding is not None and binding.status == status, report.to_dict()
        assert report.verified is (status != "failed")


def test_a_vc2_jose_presentation_payload_with_enveloped_credentials(
    verifier: Verifier, holder_key: SigningKey, holder: str, token: Callable[..., str]
) -> None:
    payload = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [enveloped_credential(token())],
    }
    vp = forge({"alg": "EdDSA", "typ": "vp+jwt", "kid": _kid(holder)}, payload, holder_key.sign)
    report = verify_any(verifier, vp, now=NOW)
    assert isinstance(report, ContainerReport)
    assert _signature(report) == ("passed", "presentation_signed")
    assert report.verified is True and len(report.credentials) == 1


def test_a_vp_jwt_with_a_bad_signature_fails_but_its_badges_are_still_judged(
    verifier: Verifier, vp_jwt: Callable[..., str]
) -> None:
    head, payload, signature = vp_jwt().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    report = verify_any(verifier, f"{head}.{payload}.{flipped}", now=NOW)
    assert isinstance(report, ContainerReport)
    assert _signature(report) == ("failed", "bad_signature")
    assert report.verified is False
    assert all(r.verified for r in report.credentials)  # each badge proves itself


def test_a_vp_jwt_signed_by_someone_other_than_its_holder(
    verifier: Verifier, vp_jwt: Callable[..., str], holder: str
) -> None:
    thief = generate_key("EdDSA")
    thief_did = did_key_from_public_key(thief.public)
    # Signed with the thief's key but naming the holder: the kid's DID is not the holder's.
    named = verify_any(verifier, vp_jwt(key=thief, header={"kid": _kid(thief_did)}), now=NOW)
    assert isinstance(named, ContainerReport)
    assert _signature(named) == ("failed", "issuer_key_mismatch")
    # The holder's kid but the thief's signature.
    forged = verify_any(verifier, vp_jwt(key=thief), now=NOW)
    assert _signature(forged) == ("failed", "bad_signature")  # type: ignore[arg-type]
    # iss names the thief, the presentation names the holder.
    claims = {"iss": thief_did, "vp": {"type": ["VerifiablePresentation"], "holder": holder}}
    mixed = verify_any(verifier, vp_jwt(claims=claims), now=NOW)
    assert _signature(mixed) == ("failed", "holder_mismatch")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"alg": "HS256"}, "alg_not_allowed"),
        ({"alg": "none"}, "alg_not_allowed"),
        ({"alg": "ES256"}, "key_alg_mismatch"),
        ({"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64(b"\0" * 32)}}, "unexpected_header"),
        ({"crit": ["exp"]}, "unexpected_header"),
        ({"typ": "vc+jwt"}, "bad_typ"),
        ({"typ": ["vp+jwt"]}, "bad_typ"),  # found by tests/fuzz: unhashable, was a TypeError
        ({"kid": "key-1"}, "unknown_kid"),
    ],
)
def test_vp_jwt_header_attacks(
    verifier: Verifier, vp_jwt: Callable[..., str], header: dict[str, Any], code: str
) -> None:
    report = verify_any(verifier, vp_jwt(header=header), now=NOW)
    assert isinstance(report, ContainerReport)
    assert _signature(report) == ("failed", code)
    assert report.verified is False


def test_vp_jwt_challenge_domain_and_times(verifier: Verifier, vp_jwt: Callable[..., str]) -> None:
    token = vp_jwt()
    ok = verify_container_jwt(
        verifier, token, now=NOW, challenge="n-1", domain="https://verifier.example"
    )
    assert _signature(ok) == ("passed", "presentation_signed")
    for kwargs, code in (
        ({"challenge": "replayed"}, "challenge_mismatch"),
        ({"domain": "https://other.example"}, "domain_mismatch"),
    ):
        report = verify_container_jwt(verifier, token, now=NOW, **kwargs)  # type: ignore[arg-type]
        assert _signature(report) == ("failed", code)
    late = verify_container_jwt(verifier, token, now=NOW + timedelta(hours=1))
    assert _signature(late) == ("failed", "presentation_expired")
    early = vp_jwt(claims={"iat": int((NOW + timedelta(hours=1)).timestamp())})
    assert _signature(verify_container_jwt(verifier, early, now=NOW)) == (
        "failed",
        "created_in_future",
    )


def test_a_vp_jwt_with_a_failing_credential(
    verifier: Verifier, vp_jwt: Callable[..., str], di_badge: dict[str, Any]
) -> None:
    bad = {**di_badge, "name": "Edited after signing"}
    report = verify_any(verifier, vp_jwt(credentials=[di_badge, bad]), now=NOW)
    assert isinstance(report, ContainerReport)
    assert _signature(report) == ("passed", "presentation_signed")
    assert [r.verified for r in report.credentials] == [True, False]
    assert report.verified is False


@pytest.fixture
def clr_jwt(
    es_key: SigningKey, token: Callable[..., str], di_badge: dict[str, Any]
) -> Callable[..., str]:
    def make(**changes: Any) -> str:
        draft = ClrDraft(
            issuer={"id": ISSUER, "type": ["Profile"], "name": "Example Org"},
            recipient_email="learner@example.com",
            name="Learner record",
            valid_from=NOW - timedelta(days=1),
            badges=[
                EmbeddedBadge(token(), "vc-jwt"),
                EmbeddedBadge(json.dumps(di_badge), "data-integrity"),
            ],
            partial=False,
        )
        clr = {**build_clr(draft), **changes}
        return sign_vc_jwt(clr, es_key, kid=verification_method_id(ISSUER, es_key.kid))

    return make


def test_a_clr_as_a_vc_jwt_is_verified_outside_and_inside(
    verifier: Verifier, clr_jwt: Callable[..., str]
) -> None:
    token = clr_jwt()
    assert classify(token, max_bytes=1 << 20).kind == "clr"
    report = verify_any(verifier, token, now=NOW)
    assert isinstance(report, ContainerReport) and report.kind == "clr"
    assert report.outer is not None and report.outer.verified, report.outer.to_dict()
    assert report.outer.proof_format == "vc-jwt"
    assert _signature(report) == ("passed", "clr_verified")
    assert [r.verified for r in report.credentials] == [True, True]
    assert report.verified is True


def test_a_clr_jwt_with_a_bad_signature_fails_as_a_container(
    verifier: Verifier, clr_jwt: Callable[..., str]
) -> None:
    head, payload, signature = clr_jwt().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    report = verify_any(verifier, f"{head}.{payload}.{flipped}", now=NOW)
    assert isinstance(report, ContainerReport)
    assert _signature(report) == ("failed", "clr_not_verified")
    assert report.verified is False


def test_a_plain_vc_jwt_stays_a_single_credential(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    plain = token()
    assert jwt_container_kind(plain, max_bytes=1 << 20, max_depth=48) is None
    assert classify(plain, max_bytes=1 << 20).kind == "jwt"
    assert verify_any(verifier, plain, now=NOW).kind == "credential"
    # A badge that merely mentions the words is still one credential.
    sneaky = token(name="VerifiablePresentation ClrCredential")
    assert verify_any(verifier, sneaky, now=NOW).kind == "credential"
