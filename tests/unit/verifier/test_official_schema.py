"""The official OB 3.0 JSON Schema check: compacted single values pass, failures name a path."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from verifier import Verifier, official_schema
from verifier.errors import SchemaViolation
from verifier.official_schema import SCHEMA_FILES, check_official_schema

from .conftest import NOW

ASSETS = Path(__file__).parents[2] / "assets"
SCHEMAS = Path(__file__).parents[3] / "verifier" / "official_schemas"


def _vector(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((ASSETS / "ob3" / name).read_text("utf-8"))
    return value


def test_bundled_schemas_match_their_recorded_hashes() -> None:
    provenance = (SCHEMAS / "PROVENANCE.md").read_text("utf-8")
    for name, digest in SCHEMA_FILES.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest
        assert digest in provenance


def test_bundled_schemas_are_valid_draft_2019_09_schemas() -> None:
    # The runtime pins these exact bytes by hash and compiles them without this check.
    for name in SCHEMA_FILES:
        Draft201909Validator.check_schema(json.loads((SCHEMAS / name).read_bytes()))


def test_single_proof_object_is_wrapped_not_refused() -> None:
    # The impl-guide vector has `proof` as one object (JSON-LD compacted form, OB 3.0 §A).
    document = _vector("implguide-ob-eddsa-rdfc-2022.signed.json")
    assert isinstance(document["proof"], dict)
    check_official_schema(document)
    assert isinstance(document["proof"], dict)  # the caller's document is not changed


def test_single_values_are_wrapped_without_the_reference_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # jsonschema-rs makes the repairs a credential from the JavaScript libraries needs; the
    # pure-Python jsonschema (~100x slower) is left for what stays refused.
    compiled = official_schema._validators()

    class Unused:
        def iter_errors(self, _: object) -> Any:
            raise AssertionError("the reference validator was consulted")

    monkeypatch.setattr(
        official_schema,
        "_validators",
        lambda: (dataclasses.replace(compiled[0], reference=Unused()), compiled[1]),
    )
    document = _vector("implguide-ob-eddsa-rdfc-2022.signed.json")
    document["credentialSubject"]["type"] = "AchievementSubject"
    before = json.dumps(document)
    check_official_schema(document)
    assert json.dumps(document) == before  # the caller's document is not changed


def _verdict(document: dict[str, Any]) -> str:
    try:
        check_official_schema(document)
    except SchemaViolation as exc:
        return f"{exc.message} {exc.details}"
    return "passed"


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ASSETS / "ob3").glob("*.json") if "vc11" not in p.name)
)
def test_fast_repairs_give_the_reference_verdict(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [_vector(name)]
    if isinstance(documents[0].get("credentialSubject"), dict):
        single = _vector(name)
        single["credentialSubject"]["type"] = "AchievementSubject"
        documents.append(single)
    verdicts = [_verdict(d) for d in documents]
    monkeypatch.setattr(official_schema, "_repaired_passes", lambda *_: False)
    assert [_verdict(d) for d in documents] == verdicts


def test_missing_required_property_is_reported_with_its_json_path() -> None:
    document = _vector("validator-simple.json")
    del document["credentialSubject"]["achievement"]["criteria"]
    with pytest.raises(SchemaViolation) as caught:
        check_official_schema(document)
    assert caught.value.code == "official_schema"
    assert "$.credentialSubject.achievement" in caught.value.message
    assert "criteria" in caught.value.message


def test_any_of_failures_name_the_nested_path() -> None:
    document = _vector("validator-simple.json")
    document["issuer"]["address"] = {"type": ["Address"], "geo": {"latitude": "north"}}
    with pytest.raises(SchemaViolation) as caught:
        check_official_schema(document)
    assert "$.issuer.address.geo" in caught.value.message


def test_wrong_value_type_is_not_repaired() -> None:
    document = _vector("validator-simple.json")
    document["credentialSubject"]["achievement"]["name"] = ["not", "a", "string"]
    with pytest.raises(SchemaViolation) as caught:
        check_official_schema(document)
    assert "$.credentialSubject.achievement.name" in caught.value.message


def test_vc11_credentials_are_left_to_the_data_model() -> None:
    check_official_schema(_vector("validator-simple-eddsa-2022-vc11.json"))


def test_endorsement_schema_is_used_for_endorsements() -> None:
    check_official_schema(_vector("validator-endorsement-valid.json"), endorsement=True)


def test_report_names_the_path_when_only_the_official_schema_refuses(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    # Our model leaves termsOfUse alone; the official schema requires each entry's `type`. Who
    # issued what to whom is plain, so it is a conformance note, not a failure of `schema`.
    report_input = token(termsOfUse=[{"id": "https://issuer.example/terms"}])
    report = verifier.report(report_input, now=NOW)
    schema = report.check("schema")
    assert schema is not None and schema.status == "passed"
    conformance = report.check("conformance")
    assert conformance is not None and conformance.status == "failed"
    assert [(d.path, d.code) for d in conformance.deviations] == [
        ("$.termsOfUse[0]", "official_schema")
    ]
    assert "type" in conformance.deviations[0].message
    assert report.verified is True and report.with_notes is True
    assert report.to_dict()["checks"][-1]["deviations"][0]["path"] == "$.termsOfUse[0]"
