"""Badges that carry validly signed Data Integrity endorsements (issue #15, finding 1).

Any credential with a signed EndorsementCredential embedded at ``endorsement`` or
``credentialSubject.achievement.endorsement`` used to raise ``ValueError: Unsupported type:
'mappingproxy'`` out of the official-schema step (the model keeps embedded objects as read-only
views, which jsonschema-rs does not read): a traceback in the CLI and a 500 from the API.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from issuer import sign_data_integrity
from keys import SigningKey, did_key_from_public_key, generate_key
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.inputs import verify_any
from verifier.official_schema import check_official_schema

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ob3"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CANONICALIZER = Canonicalizer()


def _method(key: SigningKey) -> tuple[str, str]:
    did = did_key_from_public_key(key.public)
    return did, f"{did}#{did.split(':')[-1]}"


def _signed(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    did, method = _method(key)
    document = {**document, "issuer": {"id": did, "type": ["Profile"], "name": "Org " + did[-6:]}}
    return sign_data_integrity(
        document, key, verification_method=method, created=NOW, canonicalizer=CANONICALIZER
    )


def _endorsement(key: SigningKey, about: str | None = None) -> dict[str, Any]:
    """The spec's endorsement, signed by ``key``; ``about`` replaces what it endorses."""
    document = json.loads((ASSETS / "spec-endorsement.di.json").read_text())
    for name in ("proof", "credentialStatus", "refreshService", "credentialSchema"):
        document.pop(name)
    if about is not None:
        document["credentialSubject"]["id"] = about
    return _signed(document, key)


def _badge() -> dict[str, Any]:
    document = json.loads((ASSETS / "validator-simple.json").read_text())
    document.pop("proof", None)
    document.pop("credentialStatus", None)
    return document


@pytest.mark.parametrize("where", ["credential", "achievement"])
def test_a_signed_endorsement_embedded_in_a_badge_verifies(where: str) -> None:
    badge = _badge()
    if where == "credential":
        badge["endorsement"] = [_endorsement(generate_key("EdDSA"), about=badge["id"])]
    else:
        achievement = badge["credentialSubject"]["achievement"]
        achievement["endorsement"] = [_endorsement(generate_key("EdDSA"), about=achievement["id"])]
    signed = _signed(badge, generate_key("EdDSA"))
    outcome = verify_any(
        Verifier(KeyResolver(), canonicalizer=CANONICALIZER), json.dumps(signed), now=NOW
    )
    report = outcome.credentials[0]
    assert report.verified, report.to_dict()
    check = report.check("endorsements")
    assert check is not None and (check.status, check.code) == ("passed", "endorsements_verified")


def test_a_tampered_embedded_endorsement_fails_its_check_without_a_crash() -> None:
    endorsement = _endorsement(generate_key("EdDSA"))
    tampered = copy.deepcopy(endorsement)
    tampered["credentialSubject"]["endorsementComment"] = "Not in good standing"
    badge = _badge()
    badge["endorsement"] = [tampered]
    signed = _signed(badge, generate_key("EdDSA"))
    report = Verifier(KeyResolver(), canonicalizer=CANONICALIZER).report(signed, now=NOW)
    check = report.check("endorsements")
    assert check is not None and check.status == "failed"


def test_an_endorsement_of_something_else_copied_into_a_badge_fails_its_check() -> None:
    """A genuine endorsement lends its word only to what it endorses: one made for another
    badge and pasted into this one fails the endorsements check (and so the badge)."""
    badge = _badge()
    badge["endorsement"] = [
        _endorsement(generate_key("EdDSA"), about="urn:uuid:5e0f5c3e-0000-4000-8000-000000000001")
    ]
    signed = _signed(badge, generate_key("EdDSA"))
    report = Verifier(KeyResolver(), canonicalizer=CANONICALIZER).report(signed, now=NOW)
    assert report.children and report.children[0].verified  # its own signature holds
    check = report.check("endorsements")
    assert check is not None
    assert (check.status, check.code) == ("failed", "endorsement_unrelated")
    assert not report.verified


def test_an_endorsement_of_the_issuer_on_the_credential_is_about_it() -> None:
    """The spec's own example puts an endorsement of the issuer on the credential."""
    badge = _badge()
    key = generate_key("EdDSA")
    issuer_did, _ = _method(key)
    badge["endorsement"] = [_endorsement(generate_key("EdDSA"), about=issuer_did)]
    signed = _signed(badge, key)
    report = Verifier(KeyResolver(), canonicalizer=CANONICALIZER).report(signed, now=NOW)
    check = report.check("endorsements")
    assert check is not None and (check.status, check.code) == ("passed", "endorsements_verified")


def test_the_official_schema_reads_a_read_only_view_like_the_dict() -> None:
    endorsement = _endorsement(generate_key("EdDSA"))
    check_official_schema(endorsement, endorsement=True)
    check_official_schema(MappingProxyType(endorsement), endorsement=True)
