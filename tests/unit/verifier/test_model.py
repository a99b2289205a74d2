"""verifier.model: the typed objects keep their promises (frozen, slotted, hashable, tuples,
aware dates, read-only raw JSON), and compacted JSON is normalised on the way in."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from verifier import model
from verifier.model import (
    Achievement,
    AchievementCredential,
    Alignment,
    ClrSubject,
    EndorsementCredential,
    IdentityObject,
    Image,
    Profile,
    Proof,
)
from verifier.schemas import (
    load_achievement,
    load_achievement_credential,
    load_credential,
    load_profile,
)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ob3"


def vector(name: str) -> Any:
    raw = (ASSETS / name).read_bytes()
    if name.endswith(".jwt"):
        payload = raw.decode("ascii").strip().split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return json.loads(raw)


def complete() -> AchievementCredential:
    return load_achievement_credential(vector("spec-complete.di.json"))


MODEL_CLASSES = [
    getattr(model, name) for name in model.__all__ if dataclasses.is_dataclass(getattr(model, name))
]


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_classes_are_frozen_slotted_dataclasses(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in cls.__dict__
    for f in dataclasses.fields(cls):
        assert f.name == f.name.lower(), f"{cls.__name__}.{f.name} is not snake_case"


def test_objects_cannot_be_changed() -> None:
    credential = complete()
    with pytest.raises(dataclasses.FrozenInstanceError):
        credential.name = "other"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        credential.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(credential, "__dict__")
    with pytest.raises(TypeError):
        credential.raw["name"] = "other"  # type: ignore[index]
    assert isinstance(credential.credential_subject.result, tuple)


def test_everything_is_hashable_and_equal_json_gives_equal_objects() -> None:
    first, second = complete(), complete()
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    # raw is not compared: same fields → same credential
    other = vector("spec-complete.di.json")
    other["someExtension"] = "ignored"
    assert load_achievement_credential(other) == first


def test_raw_is_a_read_only_view_of_the_input_not_a_copy() -> None:
    data = vector("validator-simple.json")
    credential = load_achievement_credential(data)
    assert isinstance(credential.raw, MappingProxyType)
    assert credential.raw == data
    data["late"] = 1  # a view, not a copy
    assert credential.raw["late"] == 1
    assert load_credential(credential.raw) == credential  # a view loads like the dict


def test_context_is_a_tuple_with_read_only_objects() -> None:
    data = vector("validator-simple.json")
    data["@context"].append({"ex": "https://example.org/vocab#"})
    credential = load_achievement_credential(data)
    assert credential.context[:2] == (
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    )
    assert isinstance(credential.context[2], MappingProxyType)
    assert hash(credential) == hash(load_achievement_credential(data))


def test_complete_credential_maps_every_class() -> None:
    credential = complete()
    assert credential.type == ("VerifiableCredential", "OpenBadgeCredential")
    assert credential.image == Image(
        id="https://1edtech.edu/credentials/3732/image",
        caption="1EdTech University Degree for Example Student",
    )
    assert credential.valid_until == datetime(2030, 1, 1, tzinfo=UTC)
    subject = credential.credential_subject
    assert subject.id == "did:example:ebfeb1f712ebc6f1c276e12ec21"
    assert subject.credits_earned == 42.0
    assert isinstance(subject.credits_earned, float)
    assert subject.source == Profile(
        id="https://school.edu/issuers/201234", name="1EdTech College of Arts"
    )
    assert subject.identifier[0] == IdentityObject(
        type=("IdentityObject",),
        hashed=False,
        identity_hash="student@1edtech.edu",
        identity_type="emailAddress",
        salt="not-used",
    )
    achievement = subject.achievement
    assert achievement.achievement_type == "Degree"
    assert achievement.credits_available == 36.0
    assert achievement.tag == ("research", "computer science")
    assert achievement.criteria.narrative is not None
    assert achievement.alignment[1].target_type == "CTDL"
    assert achievement.alignment[0].target_name == "1EdTech University Degree"
    rubric = achievement.result_description[1]
    assert rubric.result_type == "RubricCriterionLevel"
    assert rubric.required_level == "urn:uuid:d05a0867-d0ad-4b03-bdb5-28fb5d2aab7a"
    assert rubric.allowed_value == ("D", "C", "B", "A")  # order kept (low → high)
    assert [level.name for level in rubric.rubric_criterion_level] == ["Mastery", "Basic"]
    assert rubric.rubric_criterion_level[0].points == "4"
    results = subject.result
    assert results[0].result_description == achievement.result_description[0].id
    assert results[0].value == "A"
    assert results[1].achieved_level == rubric.required_level
    assert results[2].status == "Completed"
    creator = achievement.creator
    assert creator is not None
    assert creator.parent_org == Profile(id="did:example:123456789", name="Universal Universities")
    assert [e.id for e in creator.endorsement] == [
        "http://1edtech.edu/endorsementcredential/3732",
        "http://1edtech.edu/endorsementcredential/3733",
    ]
    assert len(achievement.endorsement) == 1
    assert len(credential.issuer.endorsement) == 1
    endorsement = credential.endorsement[0]
    assert isinstance(endorsement, EndorsementCredential)
    assert endorsement.name == "EAA endorsement"
    assert endorsement.credential_subject.endorsement_comment is not None
    assert endorsement.raw["id"] == endorsement.id  # what a verifier re-checks
    assert credential.evidence[0].genre == "Research"
    assert credential.credential_schema[0].type == ("1EdTechJsonSchemaValidator2019",)
    assert credential.credential_status is not None
    assert credential.credential_status.type == ("1EdTechRevocationList",)
    assert credential.refresh_service == {
        "id": "http://1edtech.edu/credentials/3732",
        "type": "1EdTechCredentialRefresh",
    }
    proof = credential.proof[0]
    assert proof.cryptosuite == "eddsa-rdfc-2022"
    assert proof.proof_purpose == "assertionMethod"
    assert proof.verification_method is not None
    assert proof.created == datetime(2024, 4, 3, 13, 53, 29, tzinfo=UTC)
    assert proof.raw["proofValue"] == proof.proof_value


def test_single_values_become_tuples() -> None:
    data = vector("implguide-ob-eddsa-rdfc-2022.signed.json")
    assert isinstance(data["proof"], dict)
    data["type"] = ["VerifiableCredential", "OpenBadgeCredential"]
    data["credentialSubject"]["type"] = "AchievementSubject"
    achievement = data["credentialSubject"]["achievement"]
    achievement["type"] = "Achievement"
    achievement["tag"] = "teamwork"
    achievement["alignment"] = {
        "type": "Alignment",
        "targetName": "Teamwork",
        "targetUrl": "https://example.org/skills/teamwork",
    }
    data["credentialSchema"] = {
        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        "type": "1EdTechJsonSchemaValidator2019",
    }
    data["termsOfUse"] = {"type": "IssuerPolicy"}
    data["evidence"] = {"type": "Evidence", "narrative": "Observed in a team project."}
    credential = load_achievement_credential(data)
    assert credential.proof == (
        Proof(
            type=("DataIntegrityProof",),
            cryptosuite="eddsa-rdfc-2022",
            created=datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC),
            verification_method=data["proof"]["verificationMethod"],
            proof_purpose="assertionMethod",
            proof_value=data["proof"]["proofValue"],
            raw=data["proof"],
        ),
    )
    subject = credential.credential_subject
    assert subject.type == ("AchievementSubject",)
    assert subject.achievement.type == ("Achievement",)
    assert subject.achievement.tag == ("teamwork",)
    assert subject.achievement.alignment == (
        Alignment(
            type=("Alignment",),
            target_name="Teamwork",
            target_url="https://example.org/skills/teamwork",
        ),
    )
    assert len(credential.credential_schema) == 1
    assert credential.terms_of_use == ({"type": "IssuerPolicy"},)
    assert credential.evidence[0].type == ("Evidence",)


def test_empty_arrays_become_empty_tuples() -> None:
    credential = load_achievement_credential(vector("dcc-safe-mode-breaker.json"))
    assert credential.endorsement == ()
    assert credential.endorsement_jwt == ()
    assert credential.evidence == ()
    assert credential.credential_schema == ()
    assert credential.terms_of_use == ()
    assert credential.credential_subject.result == ()
    assert credential.credential_subject.achievement.alignment == ()
    assert credential.credential_subject.id == "urn:uuid:d1f916d3-3446-420f-afd4-6acd440cb6c5"


def test_issuer_uri_becomes_a_profile() -> None:
    data = vector("validator-simple.json")
    data["issuer"] = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    issuer = load_achievement_credential(data).issuer
    assert issuer == Profile(id=data["issuer"], type=("Profile",))
    assert issuer.name is None
    assert issuer.image is None


def test_dates_are_timezone_aware() -> None:
    fractional = load_achievement_credential(vector("dcc-safe-mode-breaker.json"))
    assert fractional.valid_from == datetime(2025, 7, 14, 20, 59, 7, 322000, tzinfo=UTC)
    assert fractional.awarded_date == fractional.valid_from
    offset = load_achievement_credential(vector("validator-simple-did-key.json"))
    assert offset.valid_from.utcoffset() == timedelta(hours=-8)
    assert offset.valid_from == datetime(2022, 11, 10, 15, 38, tzinfo=UTC)
    data = vector("validator-simple.json")
    data["validFrom"] = "2010-01-01T00:00:00.123456789+02:00"  # digits past µs are dropped
    assert load_achievement_credential(data).valid_from == datetime(
        2010, 1, 1, 0, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))
    )
    expired = load_achievement_credential(vector("validator-simple-err-expired.json"))
    assert expired.valid_until == datetime(2010, 1, 1, tzinfo=UTC)


def test_activity_dates_may_be_naive() -> None:
    """OB ``DateTime`` (activity dates) has no mandatory zone, unlike DateTimeZ."""
    data = vector("spec-complete.di.json")
    data["credentialSubject"]["activityStartDate"] = "2010-01-01T09:00:00"
    subject = load_achievement_credential(data).credential_subject
    assert subject.activity_start_date == datetime(2010, 1, 1, 9, 0)
    assert subject.activity_end_date == datetime(2010, 1, 2, tzinfo=UTC)


def test_vc11_dates_map_to_valid_from_and_valid_until() -> None:
    data = vector("validator-simple-eddsa-2022-vc11.json")
    data["expirationDate"] = "2030-01-01T00:00:00Z"
    credential = load_achievement_credential(data)
    assert credential.vc_version == "1.1"
    assert credential.valid_from == datetime(2022, 11, 27, tzinfo=UTC)
    assert credential.valid_until == datetime(2030, 1, 1, tzinfo=UTC)
    assert credential.proof[0].cryptosuite == "eddsa-2022"


def test_credential_status_keeps_method_properties() -> None:
    status = load_achievement_credential(
        vector("validator-bitstring-revoked.credential.json")
    ).credential_status
    assert status is not None
    assert status.type == ("BitstringStatusListEntry",)
    assert status.raw["statusListIndex"] == 23
    assert status.raw["statusPurpose"] == "revocation"


def test_endorsement_credential_model() -> None:
    credential = load_credential(vector("spec-endorsement.di.json"))
    assert isinstance(credential, EndorsementCredential)
    assert credential.credential_subject.type == ("EndorsementSubject",)
    assert credential.name
    assert credential.endorsement == ()
    assert len(credential.credential_schema) == 2


def test_profile_and_achievement_loaders() -> None:
    data = vector("spec-complete.di.json")
    profile = load_profile(data["issuer"])
    assert profile.image == Image(
        id="https://1edtech.edu/logo.png", caption="1EdTech University logo"
    )
    assert profile.email == "registrar@1edtech.edu"
    achievement = load_achievement(data["credentialSubject"]["achievement"])
    assert isinstance(achievement, Achievement)
    assert achievement == complete().credential_subject.achievement
    assert achievement.field_of_study == "Research"
    assert achievement.human_code == "R1"
    assert achievement.specialization == "Computer Science Research"


def _all_objects(node: Any) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            found.append(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple):
            stack.extend(item)
    return found


@pytest.mark.parametrize(
    "name", ["spec-complete.di.json", "validator-simple-eddsa-2022-vc11.json", "spec-basic.jwt"]
)
def test_loaded_objects_are_what_the_dataclass_constructor_makes(name: str) -> None:
    """Rebuilding each loaded object through the class's own ``__init__`` gives an equal object
    with the same hash: the loader adds nothing a constructor would not."""
    objects = _all_objects(load_credential(vector(name)))
    assert len({type(o) for o in objects}) >= 5
    for obj in objects:
        rebuilt = dataclasses.replace(obj)
        assert rebuilt == obj
        assert hash(rebuilt) == hash(obj)
        assert repr(rebuilt) == repr(obj)
        assert all(
            getattr(rebuilt, f.name) is getattr(obj, f.name) for f in dataclasses.fields(obj)
        )


def test_constructors_keep_the_cross_property_promises() -> None:
    loaded = complete()
    # A subject with neither id nor identifier is a model object (verifier.conformance notes it).
    anonymous = dataclasses.replace(loaded.credential_subject, id=None, identifier=())
    assert anonymous.id is None and anonymous.identifier == ()
    with pytest.raises(ValueError, match="time zone"):
        dataclasses.replace(loaded, valid_from=loaded.valid_from.replace(tzinfo=None))
    with pytest.raises(ValueError, match="time zone"):
        dataclasses.replace(loaded, valid_until=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="version"):
        dataclasses.replace(loaded, vc_version="3.0")  # type: ignore[arg-type]
    clr_subject = ClrSubject(type=("ClrSubject",), id="did:example:1", verifiable_credential=("a",))
    with pytest.raises(ValueError, match="at least one"):
        dataclasses.replace(clr_subject, verifiable_credential=())
