"""What fuzzing the whole verify path with signed inputs found (issue #15; the properties live in
``tests/fuzz/test_verify_path.py``). Each test fails without its fix.

* A proof whose ``type`` or ``cryptosuite`` is a list raised ``TypeError: unhashable type``.
* A nested ``"@context"`` that is no IRI ("some words") raised PyLD's ``ValueError``.
* A CLR baked into a PNG or SVG was verified at its outer proof only: a badge inside it that
  does not verify was never looked at, so the CLR was reported verified.
* The same for a CLR inside a presentation or a passport export.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer import sign_data_integrity
from issuer.baking import bake_clr_png, bake_clr_svg
from keys import SigningKey, did_key_from_public_key, generate_key
from verifier import KeyResolver, Verifier
from verifier.canonical import Canonicalizer
from verifier.containers import ContainerReport
from verifier.inputs import verify_any

ASSETS = Path(__file__).resolve().parents[2] / "assets"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CANONICALIZER = Canonicalizer()


def _sign(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    did = did_key_from_public_key(key.public)
    document = {**document, "issuer": {"id": did, "type": ["Profile"], "name": "Org"}}
    return sign_data_integrity(
        document,
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=NOW - timedelta(days=1),
        canonicalizer=CANONICALIZER,
    )


def _read(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ASSETS / name).read_text())
    document.pop("proof", None)
    return document


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(KeyResolver(), canonicalizer=CANONICALIZER)


@pytest.fixture(scope="module")
def badge() -> dict[str, Any]:
    return _sign(_read("ob3/validator-simple.json"), generate_key("EdDSA"))


def _clr(members: list[Any]) -> dict[str, Any]:
    clr = _read("clr2/validator-clr-simple.json")
    clr["credentialSubject"]["verifiableCredential"] = members
    return _sign(clr, generate_key("EdDSA"))


def _tampered(badge: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(badge)
    changed["credentialSubject"]["achievement"]["name"] = "Something else"
    return changed


def _verify(verifier: Verifier, data: bytes | str) -> ContainerReport:
    return verify_any(verifier, data, now=NOW)


@pytest.mark.parametrize("name", ["type", "cryptosuite"])
def test_a_proof_naming_its_suite_with_a_list_is_refused_not_a_crash(
    verifier: Verifier, badge: dict[str, Any], name: str
) -> None:
    changed = copy.deepcopy(badge)
    changed["proof"][0][name] = [changed["proof"][0][name]]
    report = _verify(verifier, json.dumps(changed)).credentials[0]
    signature = report.check("signature")
    assert signature is not None
    assert (signature.status, signature.code) == ("failed", "unknown_cryptosuite")
    assert report.verified is False


@pytest.mark.parametrize("context", ["some words", ["x y"], ""])
def test_a_nested_context_that_is_no_iri_is_refused_not_a_crash(
    verifier: Verifier, badge: dict[str, Any], context: Any
) -> None:
    changed = copy.deepcopy(badge)
    changed["credentialSubject"]["@context"] = context
    report = _verify(verifier, json.dumps(changed)).credentials[0]
    assert report.verified is False
    failed = report.first_failure
    assert failed is not None and failed.code == "invalid_jsonld"


def test_the_canonicalizer_translates_pyld_value_errors() -> None:
    from verifier.errors import MalformedJson

    document = _read("ob3/validator-simple.json")
    document["credentialSubject"]["@context"] = "some words"
    with pytest.raises(MalformedJson) as caught:
        CANONICALIZER.canonicalize(document)
    assert caught.value.code == "invalid_jsonld"


@pytest.mark.parametrize("carrier", ["png", "svg"])
def test_a_baked_clr_is_split_into_its_credentials(
    verifier: Verifier, badge: dict[str, Any], carrier: str
) -> None:
    png = (ASSETS / "baked" / "validator-simple-jwt.png").read_bytes()
    svg = (ASSETS / "baked" / "validator-simple-jwt.svg").read_text()

    def bake(clr: dict[str, Any]) -> bytes:
        text = json.dumps(clr)
        if carrier == "png":
            return bake_clr_png(png, text)
        return bake_clr_svg(svg, text, jwt=False).encode()

    good = _verify(verifier, bake(_clr([badge])))
    assert (good.kind, good.verified, len(good.credentials)) == ("clr", True, 1)
    assert good.outer is not None
    assert good.outer.checks[0].message.startswith(f"Read a baked {carrier.upper()} badge")
    # The CLR's issuer signed over a badge that does not verify: the CLR is not verified.
    bad = _verify(verifier, bake(_clr([_tampered(badge)])))
    assert bad.kind == "clr" and bad.outer is not None and bad.outer.verified
    assert bad.verified is False
    assert bad.credentials[0].check("signature").status == "failed"  # type: ignore[union-attr]


@pytest.mark.parametrize("container", ["presentation", "export"])
def test_a_clr_inside_a_container_is_split_into_its_credentials(
    verifier: Verifier, badge: dict[str, Any], container: str
) -> None:
    def wrap(members: list[Any]) -> str:
        if container == "export":
            return json.dumps({"credentials": members})
        return json.dumps(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": members,
            }
        )

    good = _verify(verifier, wrap([badge, _clr([badge])]))
    assert good.verified is True
    assert [r.credential.id for r in good.credentials] == [  # type: ignore[union-attr]
        badge["id"],
        "http://example.edu/credentials/3732",
        badge["id"],
    ]
    assert good.labels == ("1. Teamwork Badge", "2. Sample Transcript", "2.1. Teamwork Badge")
    bad = _verify(verifier, wrap([badge, _clr([_tampered(badge)])]))
    assert bad.verified is False
    assert [r.verified for r in bad.credentials] == [True, True, False]
    members = bad.check("credentials")
    assert members is not None and members.status == "failed"
