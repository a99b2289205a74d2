"""CLR 2.0 at the outer level: the official ClrCredential vectors load and verify; bad CLRs are
schema errors naming their JSON path (checklist §6).

Vectors: ``tests/assets/clr2`` (origin and sha256 in its PROVENANCE.md).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from issuer import sign_data_integrity
from keys import did_key_from_public_key, generate_key
from tests.unit.verifier.test_di_vectors import NOW, issuer_documents, report_for
from verifier import KeyResolver, Verifier, load_credential
from verifier.canonical import Canonicalizer
from verifier.errors import SchemaError
from verifier.model import AchievementCredential, Association, ClrCredential
from verifier.schemas import load_clr_credential

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "clr2"
VECTORS = ["implguide-clr-eddsa-rdfc-2022.signed.json", "validator-clr-simple.json"]
SIMPLE = "validator-clr-simple.json"

Doc = dict[str, Any]


def read(name: str) -> Doc:
    data: Doc = json.loads((ASSETS / name).read_text())
    return data


@pytest.mark.parametrize("name", VECTORS)
def test_clr_vectors_load_as_clr_credentials(name: str) -> None:
    clr = load_credential(read(name))
    assert isinstance(clr, ClrCredential)
    assert clr.vc_version == "2.0"
    assert clr.name == "Sample Transcript"
    subject = clr.credential_subject
    assert [a.id for a in subject.achievement] == [
        "urn:uuid:a7467ef6-56cb-11ec-bf63-0242ac130002",
        "urn:uuid:dd887f0a-56cb-11ec-bf63-0242ac130002",
    ]
    assert subject.association == (
        Association(
            type=("Association",),
            association_type="isParentOf",
            source_id="urn:uuid:a7467ef6-56cb-11ec-bf63-0242ac130002",
            target_id="urn:uuid:dd887f0a-56cb-11ec-bf63-0242ac130002",
        ),
    )
    (embedded,) = subject.verifiable_credential
    assert isinstance(embedded, dict) or hasattr(embedded, "keys")
    assert isinstance(load_credential(embedded), AchievementCredential)


@pytest.mark.parametrize("name", VECTORS)
def test_clr_vectors_verify_outer_and_embedded(name: str) -> None:
    report = report_for("clr2", name)
    assert report.verified is True
    assert report.check("schema") is not None
    assert report.check("schema").message.startswith("The content is a Comprehensive Learner")  # type: ignore[union-attr]
    assert report.to_dict()["credential"]["type"] == ["VerifiableCredential", "ClrCredential"]
    # Each embedded credential is a credential of its own, checked by its own proof.
    doc = read(name)
    verifier = Verifier(KeyResolver(documents=issuer_documents(doc)))
    embedded = doc["credentialSubject"]["verifiableCredential"]
    assert len(embedded) == len(load_clr_credential(doc).credential_subject.verifiable_credential)
    for item in embedded:
        assert verifier.report(item, now=NOW).verified is True


def test_tampered_clr_is_refused() -> None:
    doc = read(SIMPLE)
    doc["credentialSubject"]["association"][0]["associationType"] = "isChildOf"
    report = Verifier(KeyResolver(documents=issuer_documents(doc))).report(doc, now=NOW)
    assert report.verified is False
    assert report.check("signature").status == "failed"  # type: ignore[union-attr]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


VC2 = "https://www.w3.org/ns/credentials/v2"
CLR201 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

BAD: list[tuple[str, Callable[[Doc], None], str, str]] = [
    (
        "ob-context-second",
        _set(("@context",), [VC2, OB303, CLR201]),
        "bad_context",
        "The credential's @context[1] must be the CLR 2.0 context",
    ),
    (
        "no-ob-context",
        _set(("@context",), [VC2, CLR201]),
        "bad_context",
        "The credential's @context[2] must be the Open Badges 3.0 context",
    ),
    (
        # The VC 1.1 form is read (the 1EdTech validator reads it), with VC 1.1's dates.
        "vc11-without-issuance-date",
        _set(("@context",), ["https://www.w3.org/2018/credentials/v1", CLR201, OB303]),
        "missing_field",
        "The credential's issuanceDate is missing.",
    ),
    (
        "vc11-without-clr-context",
        _set(("@context",), ["https://www.w3.org/2018/credentials/v1", OB303]),
        "bad_context",
        "The credential's @context must include the CLR 2.0 context.",
    ),
    (
        "no-name",
        _delete(("name",)),
        "missing_field",
        "The credential's name is missing.",
    ),
    (
        "no-embedded",
        _delete(("credentialSubject", "verifiableCredential")),
        "missing_field",
        "The credential's credentialSubject.verifiableCredential is missing.",
    ),
    (
        "empty-embedded",
        _set(("credentialSubject", "verifiableCredential"), []),
        "schema_invalid",
        "The credential's credentialSubject.verifiableCredential must not be an empty list.",
    ),
    (
        "embedded-number",
        _set(("credentialSubject", "verifiableCredential"), [42]),
        "wrong_type",
        "The credential's credentialSubject.verifiableCredential[0] must be a credential object",
    ),
    (
        "embedded-not-jws",
        _set(("credentialSubject", "verifiableCredential"), ["not a token"]),
        "schema_invalid",
        "The credential's credentialSubject.verifiableCredential[0] must be a compact JWS",
    ),
    (
        "embedded-untyped",
        _set(("credentialSubject", "verifiableCredential"), [{"id": "urn:x:1"}]),
        "wrong_type",
        "The credential's credentialSubject.verifiableCredential[0] must be a credential object",
    ),
    (
        "subject-type",
        _set(("credentialSubject", "type"), ["AchievementSubject"]),
        "schema_invalid",
        'The credential\'s credentialSubject.type must include "ClrSubject".',
    ),
    (
        "association-type-unknown",
        _set(("credentialSubject", "association", 0, "associationType"), "ext:likes"),
        "schema_invalid",
        "The credential's credentialSubject.association[0].associationType is not a known",
    ),
    (
        "association-type-array",
        _set(("credentialSubject", "association", 0, "type"), ["Association"]),
        "wrong_type",
        "The credential's credentialSubject.association[0].type must be the single string",
    ),
    (
        "association-no-target",
        _delete(("credentialSubject", "association", 0, "targetId")),
        "missing_field",
        "The credential's credentialSubject.association[0].targetId is missing.",
    ),
    (
        "partial-string",
        _set(("partial",), "true"),
        "wrong_type",
        "The credential's partial must be true or false.",
    ),
    (
        "both-kinds",
        _set(("type",), ["VerifiableCredential", "ClrCredential", "OpenBadgeCredential"]),
        "schema_invalid",
        "The credential's type must not name both a ClrCredential and another credential kind.",
    ),
    (
        "achievement-incomplete",
        _delete(("credentialSubject", "achievement", 0, "criteria")),
        "missing_field",
        "The credential's credentialSubject.achievement[0].criteria is missing.",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "code", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_clr(mutate: Callable[[Doc], None], code: str, message: str) -> None:
    doc = copy.deepcopy(read(SIMPLE))
    mutate(doc)
    with pytest.raises(SchemaError) as caught:
        load_credential(doc)
    assert caught.value.code == code
    assert caught.value.message.startswith(message), caught.value.message


def test_embedded_jws_strings_are_kept_as_given() -> None:
    doc = read(SIMPLE)
    token = "eyJhbGciOiJFZERTQSJ9.eyJ0eXAiOiJ4In0.c2ln"
    doc["credentialSubject"]["verifiableCredential"].append(token)
    clr = load_clr_credential(doc)
    assert clr.credential_subject.verifiable_credential[-1] == token


@pytest.mark.parametrize(
    ("base", "clr_context"),
    [
        ("https://www.w3.org/2018/credentials/v1", CLR201),
        (
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
        ),
        (
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
        ),
    ],
)
def test_clr_in_vc11_form_and_with_the_unversioned_context_verifies(
    base: str, clr_context: str
) -> None:
    """The CLR 2.0 VC 1.1 form and the unversioned CLR context, which the 1EdTech validator
    reads: signed here with a fresh did:key, verified with the bundled context only."""
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    clr = read(SIMPLE)
    clr.pop("proof")
    extensions = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    vc11 = base.endswith("/2018/credentials/v1")
    # VC 1.1 credentials pair with an OB context written for VC 1.1 (3.0.1, as the 1EdTech
    # validator's VC 1.1 vector has) and add the proof's context, which VC 1.1 lacks.
    ob = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json" if vc11 else OB303
    clr["@context"] = [base, clr_context, ob, extensions]
    clr["issuer"] = {**clr["issuer"], "id": did}
    if vc11:
        clr["@context"].append("https://w3id.org/security/data-integrity/v1")
        # A VC 2.0 credential cannot sit inside a VC 1.1 document (its context would redefine
        # protected terms): the VC 1.1 form carries VC 1.1 badges, like the validator's.
        vc11_badge = json.loads(
            (ASSETS.parent / "ob3" / "validator-simple-eddsa-2022-vc11.json").read_text()
        )
        clr["credentialSubject"]["verifiableCredential"] = [vc11_badge]
        clr["issuanceDate"] = clr.pop("validFrom")
        if "validUntil" in clr:
            clr["expirationDate"] = clr.pop("validUntil")
    signed = sign_data_integrity(
        clr,
        key,
        verification_method=f"{did}#{did.split(':')[-1]}",
        created=NOW,
        canonicalizer=Canonicalizer(),
    )
    loaded = load_credential(signed)
    assert isinstance(loaded, ClrCredential)
    assert loaded.vc_version == ("1.1" if "2018" in base else "2.0")
    outer = Verifier(KeyResolver(), canonicalizer=Canonicalizer()).report(signed, now=NOW)
    checks = {c.id: (c.status, c.code) for c in outer.checks}
    assert checks["signature"] == ("passed", "signature_valid")
    assert checks["schema"] == ("passed", "ob3_model")
    assert outer.verified, outer.to_dict()
