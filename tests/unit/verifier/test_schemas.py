"""verifier.schemas: OB 3.0 vectors load, bad input is a SchemaError naming its JSON path.

Vectors are byte-for-byte copies in ``tests/assets/ob3`` (origin and sha256 in PROVENANCE.md).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier import model, schema_fields
from verifier.errors import SchemaError, SchemaViolation
from verifier.model import AchievementCredential, EndorsementCredential
from verifier.schemas import (
    MAX_ENDORSEMENT_DEPTH,
    MAX_PARENT_ORG_DEPTH,
    load_achievement,
    load_achievement_credential,
    load_credential,
    load_endorsement_credential,
    load_profile,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ob3"

CODES = {
    "schema_invalid",
    "missing_field",
    "wrong_type",
    "bad_context",
    "bad_date",
    "too_deep",
}


def read_vector(name: str) -> Any:
    """A vector as parsed JSON; for a ``.jwt`` the decoded payload (the credential)."""
    raw = (ASSETS / name).read_bytes()
    if name.endswith(".jwt"):
        payload = raw.decode("ascii").strip().split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return json.loads(raw)


#: Vectors that load: file → (class, VC version).
LOADS: dict[str, tuple[type, str]] = {
    "dcc-obspec-example-didkey.json": (AchievementCredential, "2.0"),
    "dcc-safe-mode-breaker.json": (AchievementCredential, "2.0"),
    # Its subject has neither id nor identifier: loaded, and noted by the conformance review.
    "dcc-not-yet-valid-didkey.json": (AchievementCredential, "2.0"),
    "derived-implguide-ob.injected-undefined-term.json": (AchievementCredential, "2.0"),
    "derived-implguide-ob.tampered-name.json": (AchievementCredential, "2.0"),
    "implguide-ob-eddsa-rdfc-2022.signed.json": (AchievementCredential, "2.0"),
    "spec-basic.di.json": (AchievementCredential, "2.0"),
    "spec-basic.jwt": (AchievementCredential, "2.0"),
    "spec-complete.di.json": (AchievementCredential, "2.0"),
    "spec-complete.jwt": (AchievementCredential, "2.0"),
    "spec-endorsement.di.json": (EndorsementCredential, "2.0"),
    "spec-endorsement.jwt": (EndorsementCredential, "2.0"),
    "spec-skill-assertion-case.di.json": (AchievementCredential, "2.0"),
    "spec-skill-assertion-case.jwt": (AchievementCredential, "2.0"),
    "spec-skill-assertion-ctdl.di.json": (AchievementCredential, "2.0"),
    "spec-skill-assertion-ctdl.jwt": (AchievementCredential, "2.0"),
    "validator-bitstring-revoked.credential.json": (AchievementCredential, "2.0"),
    "validator-complete.json": (AchievementCredential, "2.0"),
    "validator-endorsement-valid.json": (EndorsementCredential, "2.0"),
    "validator-simple-context-3.0.2.json": (AchievementCredential, "2.0"),
    "validator-simple-did-key.json": (AchievementCredential, "2.0"),
    "validator-simple-eddsa-2022-vc11.json": (AchievementCredential, "1.1"),
    "validator-simple-err-expired.json": (AchievementCredential, "2.0"),
    "validator-simple-err-proof-value.json": (AchievementCredential, "2.0"),
    "validator-simple.json": (AchievementCredential, "2.0"),
}

#: Vectors the data model rejects: file → (code, message). The validator's "not yet valid"
#: vector has no achievement (checklist §1.7), and the status list is not an OB credential.
REJECTS: dict[str, tuple[str, str]] = {
    "validator-simple-err-not-yet-valid.json": (
        "missing_field",
        "The credential's credentialSubject.achievement is missing.",
    ),
    "validator-bitstring-revoked.statuslist.json": (
        "schema_invalid",
        "The credential's type must include"
        ' "OpenBadgeCredential", "AchievementCredential" or "EndorsementCredential".',
    ),
}


def test_every_asset_is_classified_and_matches_its_provenance_hash() -> None:
    files = sorted(p.name for p in ASSETS.iterdir() if p.suffix in {".json", ".jwt"})
    assert set(files) == set(LOADS) | set(REJECTS)
    assert not set(LOADS) & set(REJECTS)
    provenance = (ASSETS / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in files:
        digest = hashlib.sha256((ASSETS / name).read_bytes()).hexdigest()
        assert re.search(rf"\| `{re.escape(name)}` \|.*\| `{digest}` \|", provenance), name


@pytest.mark.parametrize("name", sorted(LOADS))
def test_vector_loads(name: str) -> None:
    cls, version = LOADS[name]
    data = read_vector(name)
    credential = load_credential(data)
    assert type(credential) is cls
    assert credential.vc_version == version
    assert credential.id == data["id"]
    assert credential.raw == data
    if cls is AchievementCredential:
        assert load_achievement_credential(data) == credential
    else:
        assert load_endorsement_credential(data) == credential


@pytest.mark.parametrize("name", sorted(REJECTS))
def test_vector_rejected(name: str) -> None:
    code, message = REJECTS[name]
    with pytest.raises(SchemaError) as caught:
        load_credential(read_vector(name))
    assert caught.value.code == code
    assert caught.value.message == message


def test_jwt_payloads_load_like_their_data_integrity_twins() -> None:
    for stem in ("spec-basic", "spec-complete", "spec-endorsement", "spec-skill-assertion-case"):
        jwt = load_credential(read_vector(f"{stem}.jwt"))
        di = load_credential(read_vector(f"{stem}.di.json"))
        assert jwt.credential_subject == di.credential_subject
        assert jwt.issuer == di.issuer
        assert jwt.proof == ()
        assert di.proof


# ---------------------------------------------------------------------------------------------
# A table of bad inputs.

Doc = dict[str, Any]


def _walk(doc: Any, path: str) -> tuple[Any, str | int]:
    """The container and last key of a dotted path such as ``credentialSubject.result.0``."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def setv(path: str, value: Any) -> Callable[[Doc], Doc]:
    def mutate(doc: Doc) -> Doc:
        node, last = _walk(doc, path)
        node[last] = value
        return doc

    return mutate


def delv(path: str) -> Callable[[Doc], Doc]:
    def mutate(doc: Doc) -> Doc:
        node, last = _walk(doc, path)
        del node[last]
        return doc

    return mutate


def whole(value: Any) -> Callable[[Doc], Any]:
    return lambda _doc: value


def both(*mutations: Callable[[Doc], Doc]) -> Callable[[Doc], Doc]:
    def mutate(doc: Doc) -> Doc:
        for m in mutations:
            doc = m(doc)
        return doc

    return mutate


def _endorsement(depth: int) -> Doc:
    """An EndorsementCredential carrying ``depth - 1`` nested endorsements."""
    doc = read_vector("validator-endorsement-valid.json")
    if depth > 1:
        doc["endorsement"] = [_endorsement(depth - 1)]
    return doc


def _parent_chain(length: int) -> Doc:
    profile: Doc = {"id": "https://example.org/org/0", "type": ["Profile"]}
    for n in range(1, length + 1):
        profile = {"id": f"https://example.org/org/{n}", "type": "Profile", "parentOrg": profile}
    return profile


def _deep_endorsements(length: int) -> Doc:
    """``length`` endorsements nested through ``endorsement``, built without recursion."""
    inner: Doc = read_vector("validator-endorsement-valid.json")
    for _ in range(length - 1):
        outer = read_vector("validator-endorsement-valid.json")
        outer["endorsement"] = [inner]
        inner = outer
    return inner


SIMPLE = "validator-simple.json"
COMPLETE = "validator-complete.json"
VC11 = "validator-simple-eddsa-2022-vc11.json"
ENDORSE = "validator-endorsement-valid.json"
IMPL = "implguide-ob-eddsa-rdfc-2022.signed.json"  # "proof" is a single object
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC2 = "https://www.w3.org/ns/credentials/v2"
ACH = "credentialSubject.achievement"
IDENT = "credentialSubject.identifier.0"

#: (case id, base vector, mutation, code, message: the whole sentence when it ends with ".",
#: else its start). One case per line reads better than what the formatter makes of it.
# fmt: off
BAD: list[tuple[str, str, Callable[[Doc], Any], str, str]] = [
    ("top-list", SIMPLE, whole([]), "wrong_type", "The credential must be a JSON object."),
    ("top-string", SIMPLE, whole("{}"), "wrong_type", "The credential must be a JSON object."),
    ("top-none", SIMPLE, whole(None), "wrong_type", "The credential must be a JSON object."),
    ("top-int-key", SIMPLE, lambda d: {**d, 1: "x"}, "wrong_type",
     "The credential has a property name that is not a string."),
    ("missing-id", SIMPLE, delv("id"), "missing_field", "The credential's id is missing."),
    ("id-number", SIMPLE, setv("id", 42), "wrong_type", "The credential's id must be a string."),
    ("id-no-scheme", SIMPLE, setv("id", "credentials/3527"), "schema_invalid",
     "The credential's id "),
    ("id-space", SIMPLE, setv("id", "urn:uuid:a b"), "schema_invalid", "The credential's id "),
    ("id-null", SIMPLE, setv("id", None), "wrong_type", "The credential's id is null"),
    ("naive-valid-from", SIMPLE, setv("validFrom", "2010-01-01T00:00:00"), "bad_date",
     "The credential's validFrom must end with a time zone such as Z or +02:00."),
    ("date-only", SIMPLE, setv("validFrom", "2010-01-01"), "bad_date",
     "The credential's validFrom "),
    ("month-13", SIMPLE, setv("validFrom", "2010-13-01T00:00:00Z"), "bad_date",
     "The credential's validFrom "),
    ("space-not-T", SIMPLE, setv("validFrom", "2010-01-01 00:00:00Z"), "bad_date",
     "The credential's validFrom "),
    ("valid-from-number", SIMPLE, setv("validFrom", 1262304000), "wrong_type",
     "The credential's validFrom must be a string."),
    ("naive-valid-until", SIMPLE, setv("validUntil", "2030-01-01T00:00:00.5"), "bad_date",
     "The credential's validUntil "),
    ("missing-valid-from", SIMPLE, delv("validFrom"), "missing_field",
     "The credential's validFrom is missing."),
    ("vc11-missing-issuance", VC11, delv("issuanceDate"), "missing_field",
     "The credential's issuanceDate is missing."),
    ("vc11-naive-expiration", VC11, setv("expirationDate", "2030-01-01T00:00:00"), "bad_date",
     "The credential's expirationDate "),
    ("type-missing-ob", SIMPLE, setv("type", ["VerifiableCredential"]), "schema_invalid",
     "The credential's type must include"),
    ("type-missing-vc", SIMPLE, setv("type", ["OpenBadgeCredential"]), "schema_invalid",
     'The credential\'s type must include "VerifiableCredential".'),
    ("type-missing", SIMPLE, delv("type"), "missing_field", "The credential's type is missing."),
    ("type-empty", SIMPLE, setv("type", []), "schema_invalid", "The credential's type "),
    ("type-number", SIMPLE, setv("type", 3), "wrong_type", "The credential's type "),
    ("type-ambiguous", SIMPLE,
     setv("type", ["VerifiableCredential", "OpenBadgeCredential", "EndorsementCredential"]),
     "schema_invalid", "The credential's type must not name both"),
    ("issuer-number", SIMPLE, setv("issuer", 7), "wrong_type",
     "The credential's issuer must be a URI string or a Profile object."),
    ("issuer-list", SIMPLE, setv("issuer", ["https://example.org"]), "wrong_type",
     "The credential's issuer "),
    ("issuer-missing", SIMPLE, delv("issuer"), "missing_field",
     "The credential's issuer is missing."),
    ("issuer-no-id", SIMPLE, delv("issuer.id"), "missing_field",
     "The credential's issuer.id is missing."),
    ("issuer-bad-uri", SIMPLE, setv("issuer", "example.org"), "schema_invalid",
     "The credential's issuer "),
    ("issuer-not-profile", SIMPLE, setv("issuer.type", ["Organization"]), "schema_invalid",
     'The credential\'s issuer.type must include "Profile".'),
    ("issuer-no-type", SIMPLE, delv("issuer.type"), "missing_field",
     "The credential's issuer.type is missing."),
    ("subject-list", SIMPLE, lambda d: {**d, "credentialSubject": [d["credentialSubject"]]},
     "wrong_type", "The credential's credentialSubject must be a JSON object."),
    ("subject-missing", SIMPLE, delv("credentialSubject"), "missing_field",
     "The credential's credentialSubject is missing."),
    ("subject-type", SIMPLE, setv("credentialSubject.type", ["Person"]), "schema_invalid",
     "The credential's credentialSubject.type "),
    ("achievement-missing-name", SIMPLE, delv(f"{ACH}.name"), "missing_field",
     "The credential's credentialSubject.achievement.name is missing."),
    ("achievement-missing-criteria", SIMPLE, delv(f"{ACH}.criteria"), "missing_field",
     "The credential's credentialSubject.achievement.criteria is missing."),
    ("achievement-missing-description", SIMPLE, delv(f"{ACH}.description"), "missing_field",
     "The credential's credentialSubject.achievement.description is missing."),
    ("achievement-wrong-type", SIMPLE, setv(f"{ACH}.type", ["Badge"]), "schema_invalid",
     'The credential\'s credentialSubject.achievement.type must include "Achievement".'),
    ("achievement-as-string", SIMPLE, setv(ACH, "https://example.org/a"), "wrong_type",
     "The credential's credentialSubject.achievement must be a JSON object."),
    ("criteria-narrative-list", SIMPLE, setv(f"{ACH}.criteria.narrative", ["x"]), "wrong_type",
     "The credential's credentialSubject.achievement.criteria.narrative must be a string."),
    ("achievement-type-unknown", SIMPLE, setv(f"{ACH}.achievementType", "Diploma2"),
     "schema_invalid", "The credential's credentialSubject.achievement.achievementType "),
    ("achievement-type-unanchored-ext", SIMPLE, setv(f"{ACH}.achievementType", "fooext:bar"),
     "schema_invalid", "The credential's credentialSubject.achievement.achievementType "),
    ("achievement-type-ext-newline", SIMPLE, setv(f"{ACH}.achievementType", "ext:Bar\n"),
     "schema_invalid", "The credential's credentialSubject.achievement.achievementType "),
    ("achievement-type-ext-empty", SIMPLE, setv(f"{ACH}.achievementType", "ext:"),
     "schema_invalid", "The credential's credentialSubject.achievement.achievementType "),
    ("credits-string", COMPLETE, setv(f"{ACH}.creditsAvailable", "36"), "wrong_type",
     "The credential's credentialSubject.achievement.creditsAvailable must be a finite number."),
    ("credits-bool", COMPLETE, setv(f"{ACH}.creditsAvailable", True), "wrong_type",
     "The credential's credentialSubject.achievement.creditsAvailable "),
    ("credits-huge-int", COMPLETE, setv(f"{ACH}.creditsAvailable", 10**400), "wrong_type",
     "The credential's credentialSubject.achievement.creditsAvailable "),
    ("credits-inf", COMPLETE, setv("credentialSubject.creditsEarned", float("inf")), "wrong_type",
     "The credential's credentialSubject.creditsEarned "),
    ("identity-hash-int", COMPLETE, setv(f"{IDENT}.identityHash", 12345), "wrong_type",
     "The credential's credentialSubject.identifier[0].identityHash must be a string."),
    ("identity-extra-key", COMPLETE, setv(f"{IDENT}.note", "x"), "schema_invalid",
     "The credential's credentialSubject.identifier[0].note is not allowed here"),
    ("identity-type-email", COMPLETE, setv(f"{IDENT}.identityType", "email"), "schema_invalid",
     "The credential's credentialSubject.identifier[0].identityType is not a known"),
    ("identity-type-unanchored", COMPLETE, setv(f"{IDENT}.identityType", "fooext:bar"),
     "schema_invalid", "The credential's credentialSubject.identifier[0].identityType "),
    ("identity-hashed-string", COMPLETE, setv(f"{IDENT}.hashed", "false"), "wrong_type",
     "The credential's credentialSubject.identifier[0].hashed must be true or false."),
    ("identity-missing-hashed", COMPLETE, delv(f"{IDENT}.hashed"), "missing_field",
     "The credential's credentialSubject.identifier[0].hashed is missing."),
    ("identity-type-array", COMPLETE, setv(f"{IDENT}.type", ["IdentityObject"]), "wrong_type",
     "The credential's credentialSubject.identifier[0].type "),
    ("identity-single-object-bad", COMPLETE,
     setv("credentialSubject.identifier", {"type": "IdentityObject"}), "missing_field",
     "The credential's credentialSubject.identifier.hashed is missing."),
    ("image-extra-key", COMPLETE, setv("image.url", "https://x.org"), "schema_invalid",
     "The credential's image.url is not allowed here"),
    ("image-type-array", COMPLETE, setv("image.type", ["Image"]), "wrong_type",
     'The credential\'s image.type must be the single string "Image".'),
    ("image-type-other", COMPLETE, setv("image.type", "Picture"), "schema_invalid",
     'The credential\'s image.type must be "Image".'),
    ("image-string", COMPLETE, setv("image", "https://x.org/i.png"), "wrong_type",
     "The credential's image must be a JSON object."),
    ("context-missing", SIMPLE, delv("@context"), "missing_field",
     "The credential's @context is missing."),
    ("context-string", SIMPLE, setv("@context", VC2), "wrong_type",
     "The credential's @context must be a list."),
    ("context-first", SIMPLE, setv("@context", [OB303, VC2]), "bad_context",
     "The credential's @context[0] must start with"),
    ("context-no-ob", SIMPLE, setv("@context", [VC2]), "bad_context",
     "The credential's @context[1] must be the Open Badges 3.0 context"),
    ("context-ob-third", SIMPLE, setv("@context", [VC2, "https://example.org/ctx.json", OB303]),
     "bad_context", "The credential's @context[1] "),
    ("context-ob-bad-version", SIMPLE,
     setv("@context", [VC2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.10.json"]),
     "bad_context", "The credential's @context[1] "),
    ("context-item-number", SIMPLE, setv("@context", [VC2, OB303, 5]), "wrong_type",
     "The credential's @context[2] must be a string or a JSON object."),
    ("context-empty", SIMPLE, setv("@context", []), "bad_context", "The credential's @context[0] "),
    ("vc11-no-ob-context", VC11,
     setv("@context", ["https://www.w3.org/2018/credentials/v1",
                       "https://w3id.org/security/data-integrity/v1"]),
     "bad_context", "The credential's @context must include the Open Badges 3.0 context."),
    ("alignment-missing-url", COMPLETE, delv(f"{ACH}.alignment.0.targetUrl"), "missing_field",
     "The credential's credentialSubject.achievement.alignment[0].targetUrl is missing."),
    ("alignment-target-type", COMPLETE, setv(f"{ACH}.alignment.1.targetType", "fooext:bar"),
     "schema_invalid", "The credential's credentialSubject.achievement.alignment[1].targetType "),
    ("alignment-object-not-list", COMPLETE,
     setv(f"{ACH}.alignment", {"type": "Alignment", "targetName": "x"}), "missing_field",
     "The credential's credentialSubject.achievement.alignment.targetUrl is missing."),
    ("result-status", COMPLETE, setv("credentialSubject.result.2.status", "Done"),
     "schema_invalid", "The credential's credentialSubject.result[2].status "),
    ("result-status-ext", COMPLETE, setv("credentialSubject.result.2.status", "ext:Done"),
     "schema_invalid", "The credential's credentialSubject.result[2].status "),
    ("result-description-missing-type", COMPLETE,
     delv(f"{ACH}.resultDescription.0.resultType"), "missing_field",
     "The credential's credentialSubject.achievement.resultDescription[0].resultType is missing."),
    ("rubric-points-number", COMPLETE,
     setv(f"{ACH}.resultDescription.1.rubricCriterionLevel.0.points", 4), "wrong_type",
     "The credential's credentialSubject.achievement.resultDescription[1]"
     ".rubricCriterionLevel[0].points must be a string."),
    ("tag-number", COMPLETE, setv(f"{ACH}.tag", ["ok", 1]), "wrong_type",
     "The credential's credentialSubject.achievement.tag[1] must be a string."),
    ("name-null", SIMPLE, setv("name", None), "wrong_type", "The credential's name is null"),
    ("proof-naive-created", IMPL, setv("proof.created", "2010-01-01T19:23:24"), "bad_date",
     "The credential's proof.created "),
    ("proof-list-naive-created", COMPLETE, setv("proof.0.created", "2010-01-01T19:23:24"),
     "bad_date", "The credential's proof[0].created "),
    ("proof-no-type", IMPL, delv("proof.type"), "missing_field",
     "The credential's proof.type is missing."),
    ("endorsement-jwt-bad", SIMPLE, setv("endorsementJwt", ["not a jws"]), "schema_invalid",
     "The credential's endorsementJwt[0] "),
    ("status-no-id", COMPLETE, delv("credentialStatus.id"), "missing_field",
     "The credential's credentialStatus.id is missing."),
    # VC 2.0 allows a list of status entries (revocation + suspension); each must be an object.
    ("status-list-item", COMPLETE, setv("credentialStatus", ["urn:x:1"]),
     "wrong_type", "The credential's credentialStatus[0] must be a JSON object."),
    ("schema-no-type", COMPLETE, delv("credentialSchema.0.type"), "missing_field",
     "The credential's credentialSchema[0].type is missing."),
    ("terms-of-use-string", SIMPLE, setv("termsOfUse", "https://example.org/terms"),
     "wrong_type", "The credential's termsOfUse must be a JSON object."),
    ("refresh-service-list", SIMPLE, setv("refreshService", []), "wrong_type",
     "The credential's refreshService must be a JSON object."),
    ("evidence-type", COMPLETE, setv("evidence.1.type", ["Proof"]), "schema_invalid",
     'The credential\'s evidence[1].type must include "Evidence".'),
    ("endorsement-no-name", COMPLETE, delv("endorsement.0.name"), "missing_field",
     "The credential's endorsement[0].name is missing."),
    ("endorsement-subject-no-id", COMPLETE, delv("endorsement.0.credentialSubject.id"),
     "missing_field", "The credential's endorsement[0].credentialSubject.id is missing."),
    ("endorsement-not-endorsement", COMPLETE, setv("endorsement.0", read_vector(SIMPLE)),
     "schema_invalid",
     'The credential\'s endorsement[0].type must include "EndorsementCredential"'),
    ("endorsement-too-deep", SIMPLE,
     setv("endorsement", [_endorsement(MAX_ENDORSEMENT_DEPTH + 1)]),
     "too_deep", "The credential's endorsement[0]"),
    ("endorsement-1000-deep", SIMPLE, setv("endorsement", [_deep_endorsements(1000)]),
     "too_deep", "The credential's endorsement[0]"),
    ("parent-org-too-deep", SIMPLE, setv("issuer", _parent_chain(MAX_PARENT_ORG_DEPTH + 1)),
     "too_deep", "The credential's issuer.parentOrg"),
    ("parent-org-1000-deep", SIMPLE, setv("issuer", _parent_chain(1000)), "too_deep",
     "The credential's issuer.parentOrg"),
    ("nested-int-key", SIMPLE, setv(f"{ACH}.criteria", {"narrative": "x", 7: "y"}), "wrong_type",
     "The credential's credentialSubject.achievement.criteria has a property name that is not"),
]
# fmt: on


def _bad_input(base: str, mutate: Callable[[Doc], Any]) -> Any:
    return mutate(copy.deepcopy(read_vector(base)))


@pytest.mark.parametrize(
    ("base", "mutate", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD],
)
def test_bad_input(base: str, mutate: Callable[[Doc], Any], code: str, message: str) -> None:
    data = _bad_input(base, mutate)
    with pytest.raises(SchemaError) as caught:
        load_credential(data)
    error = caught.value
    assert error.code == code, error.message
    if message.endswith("."):  # the whole sentence
        assert error.message == message
    else:  # the start of it, up to the path and verb
        assert error.message.startswith(message), error.message
    assert error.check == "schema"
    assert isinstance(error, SchemaViolation)
    assert error.details  # the full marshmallow error dict for operators
    assert error.__cause__ is None


def test_message_is_one_sentence_with_the_path() -> None:
    doc = read_vector(COMPLETE)
    del doc["credentialSubject"]["achievement"]["name"]
    doc["credentialSubject"]["identifier"][1]["identityHash"] = 5
    with pytest.raises(SchemaViolation) as caught:
        load_credential(doc)
    # the first problem in document order (marshmallow's field order): achievement before
    # identifier in AchievementSubject
    assert caught.value.message == "The credential's credentialSubject.achievement.name is missing."
    # every problem is in details, in marshmallow's nested shape
    assert caught.value.details == {
        "credentialSubject": {
            "identifier": {1: {"identityHash": ["must be a string."]}},
            "achievement": {"name": ["is missing."]},
        }
    }


def test_sender_chosen_property_names_are_quoted_and_cut_in_messages() -> None:
    doc = read_vector(COMPLETE)
    doc["image"]["<b>x</b>\n" + "y" * 100] = 1
    with pytest.raises(SchemaError) as caught:
        load_credential(doc)
    assert caught.value.message == (
        "The credential's image[\"<b>x</b>\\n" + "y" * 31 + '..."] is not allowed here.'
    )


def test_deep_extension_objects_are_ignored_not_walked() -> None:
    """OB classes are open: an unknown property is excluded, so its depth never matters (the
    edge parser limits depth; this loader never recurses into what it ignores)."""
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = {"x": deep}
    doc = read_vector(SIMPLE)
    doc["credentialSubject"]["achievement"]["extension"] = deep
    doc["termsOfUse"] = {"type": "X", "deep": deep}  # kept raw, not walked
    credential = load_achievement_credential(doc)
    assert credential.terms_of_use[0]["deep"] is deep


def test_endorsements_nest_up_to_the_limit() -> None:
    doc = read_vector(SIMPLE)
    doc["endorsement"] = [_endorsement(MAX_ENDORSEMENT_DEPTH)]
    credential = load_achievement_credential(doc)
    depth, node = 0, credential.endorsement
    while node:
        depth += 1
        node = node[0].endorsement
    assert depth == MAX_ENDORSEMENT_DEPTH
    # an empty list at the last level is fine
    doc["endorsement"] = [_endorsement(MAX_ENDORSEMENT_DEPTH)]
    last = doc["endorsement"][0]
    for _ in range(MAX_ENDORSEMENT_DEPTH - 1):
        last = last["endorsement"][0]
    last["endorsement"] = []
    load_achievement_credential(doc)


def test_endorsement_depth_counts_through_profiles_and_achievements() -> None:
    nested = _endorsement(MAX_ENDORSEMENT_DEPTH)
    doc = read_vector(SIMPLE)
    doc["issuer"]["endorsement"] = [nested]
    load_achievement_credential(doc)
    doc["credentialSubject"]["achievement"]["creator"] = {
        "id": "https://example.org/creator",
        "type": ["Profile"],
        "endorsement": [_endorsement(MAX_ENDORSEMENT_DEPTH + 1)],
    }
    with pytest.raises(SchemaError) as caught:
        load_achievement_credential(doc)
    assert caught.value.code == "too_deep"
    assert caught.value.message.startswith(
        "The credential's credentialSubject.achievement.creator.endorsement[0]."
    )


def test_parent_org_chain_up_to_the_limit() -> None:
    profile = load_profile(_parent_chain(MAX_PARENT_ORG_DEPTH))
    links = 0
    while profile.parent_org is not None:
        profile = profile.parent_org
        links += 1
    assert links == MAX_PARENT_ORG_DEPTH


def test_recursion_error_never_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Any, value: object) -> Any:
        raise RecursionError

    monkeypatch.setattr(schema_fields.ModelSchema, "parse", explode)
    with pytest.raises(SchemaError) as caught:
        load_credential(read_vector(SIMPLE))
    assert caught.value.code == "too_deep"


def test_internal_errors_become_schema_errors_but_stay_chained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Any, value: object) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(schema_fields.ModelSchema, "parse", broken)
    with pytest.raises(SchemaError) as caught:
        load_credential(read_vector(SIMPLE))
    assert caught.value.code == "schema_invalid"
    assert isinstance(caught.value.__cause__, KeyError)


def test_load_credential_dispatches_by_type() -> None:
    endorsement = read_vector(ENDORSE)
    assert isinstance(load_credential(endorsement), EndorsementCredential)
    endorsement["type"] = "EndorsementCredential"  # compacted single value; lacks VC
    with pytest.raises(SchemaError, match='must include "VerifiableCredential"'):
        load_credential(endorsement)
    with pytest.raises(SchemaError, match='must include "EndorsementCredential"'):
        load_endorsement_credential(read_vector(SIMPLE))
    with pytest.raises(SchemaError, match='must include "OpenBadgeCredential" or'):
        load_achievement_credential(read_vector(ENDORSE))


def test_endorsement_credential_requires_name_and_ob_context() -> None:
    doc = read_vector(ENDORSE)
    del doc["name"]
    with pytest.raises(SchemaError, match=r"^The credential's name is missing\.$"):
        load_credential(doc)
    doc = read_vector(ENDORSE)
    doc["@context"] = [VC2]
    with pytest.raises(SchemaError) as caught:
        load_credential(doc)
    assert caught.value.code == "bad_context"


def test_load_profile_and_load_achievement() -> None:
    complete = read_vector(COMPLETE)
    profile = load_profile(complete["issuer"])
    assert profile.id == "https://1edtech.edu/issuers/565049"
    assert profile.parent_org is not None
    assert profile.parent_org.id == "did:example:123456789"
    achievement = load_achievement(complete["credentialSubject"]["achievement"])
    assert achievement.achievement_type == "Degree"
    with pytest.raises(SchemaError, match=r"^The profile's id is missing\.$"):
        load_profile({"type": "Profile"})
    with pytest.raises(SchemaError, match=r"^The achievement's criteria is missing\.$"):
        load_achievement({k: v for k, v in achievement_json().items() if k != "criteria"})
    with pytest.raises(SchemaError, match=r"^The profile must be a JSON object\.$"):
        load_profile("https://example.org")


def achievement_json() -> Doc:
    return read_vector(COMPLETE)["credentialSubject"]["achievement"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("achievementType", "ext:SkillBadge"),
        ("achievementType", "ext:a.b-c_d"),
        ("achievementType", "MicroCredential"),
    ],
)
def test_enum_ext_terms_accepted(field: str, value: str) -> None:
    doc = achievement_json()
    doc[field] = value
    assert getattr(load_achievement(doc), "achievement_type") == value  # noqa: B009


def test_identity_ext_type_and_alignment_ext_type_accepted() -> None:
    doc = read_vector(COMPLETE)
    doc["credentialSubject"]["identifier"][0]["identityType"] = "ext:employeeNumber"
    doc["credentialSubject"]["achievement"]["alignment"][0]["targetType"] = "ext:JobFamily"
    credential = load_achievement_credential(doc)
    assert credential.credential_subject.identifier[0].identity_type == "ext:employeeNumber"
    assert credential.credential_subject.achievement.alignment[0].target_type == "ext:JobFamily"


# ---------------------------------------------------------------------------------------------
# Fuzzing: only SchemaError ever escapes.

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["Image", "Profile", "ext:x", "2010-01-01T00:00:00Z", VC2, OB303])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.integers(), children, max_size=4)
    ),
    max_leaves=25,
)


def _assert_only_schema_errors(data: Any) -> None:
    """Anything but a SchemaError fails the test (pytest reports the escaped exception)."""
    try:
        load_credential(data)
    except SchemaError as exc:
        error = exc
    else:
        return
    assert error.code in CODES
    assert error.message.startswith("The credential")
    assert error.__cause__ is None, repr(error.__cause__)  # no internal error was masked


FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(JSON_VALUES)
def test_fuzz_random_json(data: Any) -> None:
    _assert_only_schema_errors(data)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


FUZZ_BASE = read_vector(COMPLETE)
FUZZ_PATHS = list(_paths(FUZZ_BASE))


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(FUZZ_PATHS), st.booleans(), JSON_VALUES), min_size=1, max_size=3
    )
)
def test_fuzz_mutated_credential(mutations: list[tuple[tuple[Any, ...], bool, Any]]) -> None:
    doc = copy.deepcopy(FUZZ_BASE)
    for path, delete, value in mutations:
        node = doc
        try:
            for part in path[:-1]:
                node = node[part]
            if delete:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _assert_only_schema_errors(doc)


# ---------------------------------------------------------------------------------------------
# One path: marshmallow's Schema.load, then the model class's own constructor.


def test_the_loader_builds_objects_through_their_constructors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    original = model.AchievementCredential.__post_init__

    def spy(self: model.AchievementCredential) -> None:
        built.append(self.credential_subject.achievement.name)
        original(self)

    monkeypatch.setattr(model.AchievementCredential, "__post_init__", spy)
    credential = load_achievement_credential(read_vector(COMPLETE))
    assert built == [credential.credential_subject.achievement.name]


def test_an_invariant_the_constructor_refuses_is_a_schema_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should the loader ever build what a constructor refuses, the caller still gets a
    SchemaViolation (the constructor's ValueError chained for debugging), never a ValueError."""

    def refuse(self: object) -> None:
        raise ValueError("refused")

    monkeypatch.setattr(model.AchievementCredential, "__post_init__", refuse)
    with pytest.raises(SchemaViolation) as caught:
        load_achievement_credential(read_vector(COMPLETE))
    assert caught.value.code == "schema_invalid"
    assert isinstance(caught.value.__cause__, ValueError)


def test_shared_achievement_and_profile_are_validated_once() -> None:
    first = read_vector(SIMPLE)
    second = copy.deepcopy(first)
    second["id"] = "urn:uuid:5c2d4bd6-3c8e-4f4b-9d43-bd3a7b1d1d90"
    one = load_credential(first)
    two = load_credential(second)
    # the same achievement and issuer JSON: later credentials get the cached objects
    assert two.credential_subject.achievement == one.credential_subject.achievement
    assert two.issuer == one.issuer
    # what the cache holds is the model's own: changing a caller's dicts changes nothing later
    first["credentialSubject"]["achievement"]["criteria"]["narrative"] = "changed afterwards"
    first["issuer"]["name"] = "changed afterwards"
    three = load_credential(copy.deepcopy(second))
    assert three.credential_subject.achievement is two.credential_subject.achievement
    assert three.issuer is two.issuer
    assert three.credential_subject.achievement.criteria.narrative != "changed afterwards"
    assert three.issuer.name != "changed afterwards"
    # an issuer carrying endorsements is parsed each time (its endorsements are verified
    # against the caller's own document)
    endorsed = read_vector(COMPLETE)
    assert load_credential(endorsed).issuer is not load_credential(endorsed).issuer


def test_a_changed_achievement_is_validated_afresh() -> None:
    good = read_vector(COMPLETE)
    load_credential(good)
    bad = copy.deepcopy(good)
    bad["credentialSubject"]["achievement"]["criteria"] = "not an object"
    with pytest.raises(SchemaError):
        load_credential(bad)
    bad_issuer = copy.deepcopy(good)
    bad_issuer["issuer"]["name"] = 5
    with pytest.raises(SchemaError):
        load_credential(bad_issuer)
