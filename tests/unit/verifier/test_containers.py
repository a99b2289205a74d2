"""Containers: each credential verified on its own, and the container judged too."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from issuer import sign_data_integrity
from issuer.clr import EmbeddedBadge
from issuer.presentation import build_presentation, sign_presentation
from keys import SigningKey, did_key_from_public_key, generate_key, verification_method_id
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.containers import ContainerReport, container_kind, verify_container

from .conftest import ISSUER, NOW
from .test_di_vectors import issuer_documents, load


@pytest.fixture(scope="module")
def holder_key() -> SigningKey:
    return generate_key("EdDSA")


@pytest.fixture
def di_badge(
    credential: Callable[..., dict[str, Any]], ed_key: SigningKey
) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        return sign_data_integrity(
            credential(**overrides),
            ed_key,
            verification_method=verification_method_id(ISSUER, ed_key.kid),
            created=NOW - timedelta(days=1),
            canonicalizer=Canonicalizer(),
        )

    return make


def _badges(di_badge: Callable[..., dict[str, Any]], token: Callable[..., str]) -> list[Any]:
    return [
        EmbeddedBadge(json.dumps(di_badge()), "data-integrity"),
        EmbeddedBadge(token(), "vc-jwt"),
    ]


def _checks(report: ContainerReport) -> dict[str, tuple[str, str]]:
    return {c.id: (c.status, c.code) for c in report.checks}


def test_unsigned_presentation_says_so_and_never_passes_its_signature(
    verifier: Verifier, di_badge: Callable[..., dict[str, Any]], token: Callable[..., str]
) -> None:
    vp = build_presentation(_badges(di_badge, token), holder=None)
    report = verify_container(verifier, vp, now=NOW)
    assert report.kind == "presentation"
    assert _checks(report)["signature"] == ("could_not_check", "presentation_unsigned")
    assert [r.verified for r in report.credentials] == [True, True]
    assert {r.proof_format for r in report.credentials} == {"data-integrity", "vc-jwt"}
    assert report.verified is True  # the badges are proven; the holder binding is not claimed
    body = report.to_dict()
    assert set(body) == {"verified", "kind", "container", "credentials"}
    assert body["container"]["checks"][0]["status"] == "could_not_check"


def test_signed_presentation_is_checked_with_the_holders_key(
    verifier: Verifier,
    di_badge: Callable[..., dict[str, Any]],
    token: Callable[..., str],
    holder_key: SigningKey,
) -> None:
    holder = did_key_from_public_key(holder_key.public)
    vp = build_presentation(_badges(di_badge, token), holder=holder)
    signed = sign_presentation(
        vp, holder_key, created=NOW, canonicalizer=Canonicalizer(), challenge="c-1", domain="d"
    )
    report = verify_container(verifier, signed, now=NOW, challenge="c-1", domain="d")
    assert _checks(report)["signature"] == ("passed", "presentation_signed")
    assert report.verified is True
    replayed = verify_container(verifier, signed, now=NOW, challenge="other")
    assert _checks(replayed)["signature"] == ("failed", "challenge_mismatch")
    assert replayed.verified is False
    tampered = {**signed, "id": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    assert _checks(verify_container(verifier, tampered, now=NOW))["signature"] == (
        "failed",
        "bad_signature",
    )


@pytest.mark.parametrize(
    ("subjects", "expected", "verified"),
    [
        (["holder", "holder"], ("passed", "holder_is_subject"), True),
        (["holder", None], ("could_not_check", "subject_not_a_did"), True),
        (["holder", "did:example:someone-else"], ("failed", "subject_not_holder"), False),
    ],
)
def test_a_signed_presentation_binds_its_badges_to_the_holder(
    verifier: Verifier,
    credential: Callable[..., dict[str, Any]],
    ed_key: SigningKey,
    holder_key: SigningKey,
    subjects: list[str | None],
    expected: tuple[str, str],
    verified: bool,
) -> None:
    """Issue #15: badges name the holder's DID as subject, so a hiring manager can see that a
    presentation signed by that DID hands over the holder's own badges, not someone else's."""
    holder = did_key_from_public_key(holder_key.public)
    badges = []
    for subject in subjects:
        document = credential()
        if subject is not None:
            document["credentialSubject"]["id"] = holder if subject == "holder" else subject
        signed_badge = sign_data_integrity(
            document,
            ed_key,
            verification_method=verification_method_id(ISSUER, ed_key.kid),
            created=NOW - timedelta(days=1),
            canonicalizer=Canonicalizer(),
        )
        badges.append(EmbeddedBadge(json.dumps(signed_badge), "data-integrity"))
    vp = build_presentation(badges, holder=holder)
    signed = sign_presentation(vp, holder_key, created=NOW, canonicalizer=Canonicalizer())
    report = verify_container(verifier, signed, now=NOW)
    assert all(r.verified for r in report.credentials)  # each badge is authentic on its own
    assert _checks(report)["holder_binding"] == expected
    assert report.verified is verified
    # An unsigned presentation claims no holder, so nothing is bound and nothing is said.
    unsigned = verify_container(verifier, build_presentation(badges, holder=None), now=NOW)
    assert "holder_binding" not in _checks(unsigned)


def test_an_unsigned_presentation_answers_no_challenge(
    verifier: Verifier, di_badge: Callable[..., dict[str, Any]], token: Callable[..., str]
) -> None:
    vp = build_presentation(_badges(di_badge, token), holder=None)
    for asked in ({"challenge": "c-1"}, {"domain": "verifier.example"}):
        report = verify_container(verifier, vp, now=NOW, **asked)
        assert _checks(report)["signature"] == ("failed", "presentation_not_bound")
        assert report.verified is False  # the badges alone cannot answer a challenge
    assert verify_container(verifier, vp, now=NOW).verified is True  # nothing was asked


def test_a_passport_export_is_never_judged_by_holder_binding(
    verifier: Verifier, credential: Callable[..., dict[str, Any]], token: Callable[..., str]
) -> None:
    document = credential()
    document["credentialSubject"]["id"] = "did:example:learner"
    export = {"holder": "learner@example.com", "count": 1, "credentials": [token(**document)]}
    report = verify_container(verifier, export, now=NOW)
    assert "holder_binding" not in _checks(report)  # an export names its holder by e-mail


def test_presentation_with_a_failing_credential_shows_the_good_ones_verified(
    verifier: Verifier, di_badge: Callable[..., dict[str, Any]], token: Callable[..., str]
) -> None:
    bad = di_badge()
    bad["name"] = "Changed after signing"
    badges = [*_badges(di_badge, token), EmbeddedBadge(json.dumps(bad), "data-integrity")]
    report = verify_container(verifier, build_presentation(badges, holder=None), now=NOW)
    assert [r.verified for r in report.credentials] == [True, True, False]
    assert _checks(report)["credentials"] == ("failed", "some_not_verified")
    assert report.verified is False


def test_passport_export_checks_each_badge_against_the_holder_email(
    verifier: Verifier, di_badge: Callable[..., dict[str, Any]], token: Callable[..., str]
) -> None:
    export = {"holder": "learner@example.com", "count": 2, "credentials": [di_badge(), token()]}
    assert container_kind(export) == "passport_export"
    report = verify_container(verifier, export, now=NOW)
    assert report.verified is True
    for item in report.credentials:
        check = item.check("recipient")
        assert check is not None and check.status == "passed"
    someone_else = verify_container(verifier, {**export, "holder": "x@example.com"}, now=NOW)
    assert someone_else.verified is False
    miscounted = verify_container(verifier, {**export, "count": 3}, now=NOW)
    assert _checks(miscounted)["credentials"] == ("failed", "count_mismatch")


def test_empty_and_junk_containers_fail_plainly(verifier: Verifier) -> None:
    empty = verify_container(verifier, {"type": ["VerifiablePresentation"]}, now=NOW)
    assert _checks(empty)["credentials"] == ("failed", "no_credentials")
    assert empty.verified is False
    junk = verify_container(
        verifier, {"type": "VerifiablePresentation", "verifiableCredential": [42]}, now=NOW
    )
    assert junk.verified is False
    assert junk.credentials[0].check("format").status == "failed"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["implguide-clr-eddsa-rdfc-2022.signed.json", "validator-clr-simple.json"]
)
def test_clr_vectors_verify_outer_and_every_embedded_credential(name: str) -> None:
    clr = load("clr2", name)
    verifier = Verifier(KeyResolver(documents=issuer_documents(clr)))
    report = verify_container(verifier, clr, now=NOW)
    assert report.kind == "clr"
    assert report.outer is not None and report.outer.verified, report.outer.to_dict()
    assert _checks(report)["signature"] == ("passed", "clr_verified")
    assert report.credentials and all(r.verified for r in report.credentials)
    assert report.verified is True


def test_tampered_clr_fails_as_a_container() -> None:
    clr = load("clr2", "validator-clr-simple.json")
    clr["name"] = "Tampered"
    verifier = Verifier(KeyResolver(documents=issuer_documents(clr)))
    report = verify_container(verifier, clr, now=NOW)
    assert _checks(report)["signature"] == ("failed", "clr_not_verified")
    assert report.verified is False
    assert all(r.verified for r in report.credentials)  # its badges are still good on their own


def _wallet_didauth() -> dict[str, Any]:
    """The DIDAuth presentation the Learner Credential Wallet's mock documents (verbatim, with
    its provenance in tests/assets/lcw/wallet_requests.json): VC 1.1, Ed25519Signature2020."""
    from pathlib import Path

    path = Path(__file__).parents[2] / "assets" / "lcw" / "wallet_requests.json"
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))["documentedDidAuth"]
    return document


def test_a_presentation_the_learner_credential_wallet_signs_is_accepted(
    verifier: Verifier,
) -> None:
    """The wallet signs presentations with Ed25519Signature2020: a hiring manager's request
    answered from it, or a file it exports, must not fail as an unknown suite."""
    vp = _wallet_didauth()
    challenge = vp["proof"]["challenge"]
    signed_at = NOW.replace(year=2024, month=2, day=24)
    report = verify_container(verifier, vp, now=signed_at, challenge=challenge)
    assert _checks(report)["signature"] == ("passed", "presentation_signed")
    # a DIDAuth carries no badges: the holder is proven, the file verifies nothing else
    assert report.verified is False
    other = verify_container(verifier, vp, now=signed_at, challenge="another-challenge")
    assert _checks(other)["signature"] == ("failed", "challenge_mismatch")
    tampered = {**vp, "holder": vp["holder"], "id": "urn:uuid:00000000-0000-4000-8000-0000000000aa"}
    assert _checks(verify_container(verifier, tampered, now=signed_at))["signature"][0] == "failed"
    unknown = {**vp, "proof": {**vp["proof"], "type": "Ed25519Signature2018"}}
    assert _checks(verify_container(verifier, unknown, now=signed_at))["signature"] == (
        "failed",
        "unknown_cryptosuite",
    )


@pytest.mark.parametrize(
    "proof_type",
    [
        {"type": "DataIntegrityProof", "cryptosuite": ["eddsa-rdfc-2022"]},
        {"type": ["Ed25519Signature2020"]},
        {"type": {}, "cryptosuite": {}},
        {"type": 7, "cryptosuite": None},
    ],
)
def test_a_presentation_proof_of_junk_types_fails_as_unknown_suite(
    verifier: Verifier, proof_type: dict[str, Any]
) -> None:
    """Found by review: a list or object where the suite's name goes raised TypeError (a 500
    at /api/v1/verify) instead of failing the signature check."""
    vp = _wallet_didauth()
    vp["proof"] = {**vp["proof"], **proof_type}
    if "cryptosuite" not in proof_type:
        vp["proof"].pop("cryptosuite", None)
    assert _checks(verify_container(verifier, vp, now=NOW))["signature"] == (
        "failed",
        "unknown_cryptosuite",
    )
