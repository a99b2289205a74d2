"""Authenticity and conformance, separated (issue #15, "What to build" 1).

Each test signs a credential with a fresh did:key (Data Integrity, eddsa-rdfc-2022) so the
signature is never in doubt, then checks what the report says of its content: a benign deviation
is a ``conformance`` note and the credential stays ``verified``; a deviation that makes the claim
ambiguous stays a failure of ``schema``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer import sign_data_integrity
from keys import SigningKey, did_key_from_public_key, generate_key
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.conformance import json_path, review_credential
from verifier.errors import SchemaViolation
from verifier.inputs import verify_any
from verifier.report import Report

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ob3"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CANONICALIZER = Canonicalizer()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("EdDSA")


def _badge() -> dict[str, Any]:
    document = json.loads((ASSETS / "validator-simple.json").read_text())
    for name in ("proof", "credentialStatus"):
        document.pop(name, None)
    return document


def _signed(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    did = did_key_from_public_key(key.public)
    issuer = document.get("issuer")
    issuer = {**issuer, "id": did} if isinstance(issuer, dict) else {"id": did, "type": ["Profile"]}
    return sign_data_integrity(
        {**document, "issuer": issuer},
        key,
        verification_method=f"{did}#{did.split(':')[-1]}",
        created=NOW,
        canonicalizer=CANONICALIZER,
    )


def _report(document: dict[str, Any]) -> Report:
    verifier = Verifier(KeyResolver(), canonicalizer=CANONICALIZER)
    return verifier.report(document, now=NOW)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(document: dict[str, Any]) -> None:
        node = document
        for step in parents:
            node = node[step]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()


#: name → (change, [(path, code)] expected under conformance)
NOTES: dict[str, tuple[Callable[[dict[str, Any]], None], list[tuple[str, str]]]] = {
    "issuer image as a URL": (
        _set("issuer.image", "https://example.com/logo.png"),
        [("$.issuer.image", "image_not_object")],
    ),
    "achievement image as a URL": (
        _set("credentialSubject.achievement.image", "https://example.com/badge.png"),
        [("$.credentialSubject.achievement.image", "image_not_object")],
    ),
    "achievementType without ext:": (
        _set("credentialSubject.achievement.achievementType", "Program"),
        [("$.credentialSubject.achievement.achievementType", "achievement_type_not_ext")],
    ),
    "subject with neither id nor identifier": (
        _set("credentialSubject.id", _DELETE),
        [("$.credentialSubject", "no_subject_identifier")],
    ),
    "issuer type without Profile": (
        _set("issuer.type", ["https://schema.org/Organization"]),
        [("$.issuer.type", "missing_type")],
    ),
}


@pytest.mark.parametrize("name", sorted(NOTES))
def test_an_authentic_badge_with_a_benign_deviation_is_verified_with_notes(
    name: str, key: SigningKey
) -> None:
    change, expected = NOTES[name]
    document = _badge()
    change(document)
    signed = _signed(document, key)
    before = copy.deepcopy(signed)
    report = _report(signed)
    checks = {c.id: (c.status, c.code) for c in report.checks}
    assert checks["signature"] == ("passed", "signature_valid")
    assert checks["schema"] == ("passed", "ob3_model")
    assert checks["conformance"] == ("failed", "deviations")
    assert [(d.path, d.code) for d in report.deviations] == expected
    assert all(d.message.endswith(".") for d in report.deviations)
    assert report.verified is True and report.with_notes is True
    assert report.first_failure is None
    # The signed document is read, never changed: what was signed is what is kept.
    assert signed == before
    out = report.to_dict()
    conformance = next(c for c in out["checks"] if c["id"] == "conformance")
    assert [(d["path"], d["code"]) for d in conformance["deviations"]] == expected


def test_several_deviations_are_all_listed(key: SigningKey) -> None:
    document = _badge()
    for change, _ in NOTES.values():
        change(document)
    report = _report(_signed(document, key))
    assert report.verified is True
    assert sorted(d.code for d in report.deviations) == sorted(
        code for _, pairs in NOTES.values() for _, code in pairs
    )


def test_a_conformant_badge_has_a_passed_conformance_check(key: SigningKey) -> None:
    report = _report(_signed(_badge(), key))
    conformance = report.check("conformance")
    assert conformance is not None
    assert (conformance.status, conformance.code) == ("passed", "conformant")
    assert conformance.deviations == ()
    assert report.verified is True and report.with_notes is False
    assert (
        next(c for c in report.to_dict()["checks"] if c["id"] == "conformance")["deviations"] == []
    )


def test_the_read_value_is_what_the_deviation_plainly_means(key: SigningKey) -> None:
    document = _badge()
    _set("issuer.image", "https://example.com/logo.png")(document)
    _set("credentialSubject.achievement.achievementType", "Module")(document)
    reviewed = review_credential(_signed(document, key))
    credential = reviewed.credential
    assert credential.issuer.image is not None
    assert credential.issuer.image.id == "https://example.com/logo.png"
    assert credential.credential_subject.achievement.achievement_type == "ext:Module"


#: Deviations that make the claim ambiguous or unsafe: still failures of `schema`.
FAILURES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "achievement without a name": (
        _set("credentialSubject.achievement.name", _DELETE),
        "missing_field",
    ),
    "validFrom without a time zone": (_set("validFrom", "2010-01-01T00:00:00"), "bad_date"),
    "achievementType that cannot be a term": (
        _set("credentialSubject.achievement.achievementType", "Not a term!"),
        "schema_invalid",
    ),
    "credential type without OpenBadgeCredential": (
        _set("type", ["VerifiableCredential"]),
        "schema_invalid",
    ),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_an_ambiguous_claim_stays_a_schema_failure(name: str, key: SigningKey) -> None:
    change, code = FAILURES[name]
    document = _badge()
    change(document)
    report = _report(_signed(document, key))
    checks = {c.id: (c.status, c.code) for c in report.checks}
    assert checks["signature"] == ("passed", "signature_valid")
    assert checks["schema"] == ("failed", code)
    assert checks["conformance"] == ("could_not_check", "not_reviewed")
    assert report.verified is False


def test_a_benign_deviation_does_not_hide_a_real_failure(key: SigningKey) -> None:
    document = _badge()
    _set("issuer.image", "https://example.com/logo.png")(document)
    _set("credentialSubject.achievement.name", _DELETE)(document)
    with pytest.raises(SchemaViolation) as caught:
        review_credential(_signed(document, key))
    assert "achievement.name" in caught.value.message


def test_a_tampered_badge_with_deviations_is_refused(key: SigningKey) -> None:
    document = _badge()
    _set("issuer.image", "https://example.com/logo.png")(document)
    signed = _signed(document, key)
    signed["credentialSubject"]["achievement"]["name"] = "Something else"
    report = _report(signed)
    assert report.check("signature").status == "failed"  # type: ignore[union-attr]
    assert report.verified is False


def test_an_endorsement_with_notes_does_not_fail_the_badge(key: SigningKey) -> None:
    endorsement = json.loads((ASSETS / "spec-endorsement.di.json").read_text())
    for name in ("proof", "credentialStatus", "refreshService", "credentialSchema"):
        endorsement.pop(name)
    endorsement["issuer"] = {"id": "x", "type": ["Profile"], "image": "https://e.example/i.png"}
    badge = _badge()
    endorsement["credentialSubject"]["id"] = badge["id"]  # it endorses this badge
    signed_endorsement = _signed(endorsement, generate_key("EdDSA"))
    badge["endorsement"] = [signed_endorsement]
    report = verify_any(
        Verifier(KeyResolver(), canonicalizer=CANONICALIZER),
        json.dumps(_signed(badge, key)),
        now=NOW,
    ).credentials[0]
    assert report.check("endorsements").status == "passed"  # type: ignore[union-attr]
    assert [d.code for d in report.children[0].deviations] == ["image_not_object"]
    assert report.verified is True


def test_json_path_quotes_names_it_cannot_show_plainly() -> None:
    assert json_path(("issuer", "image")) == "$.issuer.image"
    assert json_path(("endorsement", 0, "name")) == "$.endorsement[0].name"
    assert json_path(("a b",)) == '$["a b"]'
