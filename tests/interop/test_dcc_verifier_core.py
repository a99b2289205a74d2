"""DCC ``verifier-core`` over badges we issue: its OB schema step passes our default badge
(issue #15 §4), and its signature, expiry and status steps pass too.

verifier-core (``tests/interop/dcc``, pinned) runs offline here: ``dcc/verify.mjs`` answers its
fetches with what this service publishes — the did:web document, the status list — and the
official OB 3.0 JSON Schema as bundled in ``verifier/official_schemas``; any other URL is refused
and the test fails if one was asked for.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flask.testing import FlaskClient

from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from tests.interop.harness import HERE, requires_node, run_node

pytestmark = requires_node

DCC = HERE / "dcc"
OB_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def verifier_core(credential: dict[str, Any], documents: dict[str, Any]) -> dict[str, Any]:
    """Run verifier-core's ``verifyCredential`` on ``credential``; its answer and refused URLs."""
    answer: dict[str, Any] = run_node(
        DCC / "verify.mjs", {"credential": credential, "documents": documents}
    )
    return answer


def official_schema() -> Any:
    raw = resources.files("verifier").joinpath(
        "official_schemas", "ob_v3p0_achievementcredential.json"
    )
    return json.loads(raw.read_bytes())


def published(
    client: FlaskClient, services: Services, credential: dict[str, Any]
) -> dict[str, Any]:
    """What verifier-core fetches, as this service serves it (did:web → https, per did:web)."""
    base = services.settings.public_url
    host = base.split("://", 1)[1]
    status = credential["credentialStatus"]
    entries = status if isinstance(status, list) else [status]
    documents: dict[str, Any] = {
        f"https://{host}/.well-known/did.json": client.get("/.well-known/did.json").get_json(),
        OB_SCHEMA_URL: official_schema(),
    }
    for entry in entries:
        url = entry["statusListCredential"]
        documents[url] = json.loads(client.get(url.removeprefix(base)).data)
    return documents


def issue_di(services: Services, **options: Any) -> dict[str, Any]:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", "ada@example.com", "di", **options),
            now=services.now(),
        )
    credential: dict[str, Any] = json.loads(record.content)
    return credential


def steps(answer: dict[str, Any]) -> dict[str, Any]:
    return {step["id"]: step for step in answer["result"].get("log", [])}


def schema_results(answer: dict[str, Any]) -> list[dict[str, Any]]:
    info = {i["id"]: i for i in answer["result"].get("additionalInformation", [])}
    results: list[dict[str, Any]] = info["schema_check"]["results"]
    return results


def test_verifier_core_passes_our_default_badge(client: FlaskClient, services: Services) -> None:
    credential = issue_di(services)
    answer = verifier_core(credential, published(client, services, credential))
    assert answer["refused"] == []
    assert "errors" not in answer["result"], answer["result"]
    log = steps(answer)
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is True
    assert log["revocation_status"]["valid"] is True
    (result,) = schema_results(answer)
    assert result["schema"] == OB_SCHEMA_URL
    assert result["source"] == "Schema was listed in the credentialSchema property of the VC"
    assert result["result"] == {"valid": True}


def test_verifier_core_schema_step_fails_a_two_entry_status(
    client: FlaskClient, services: Services
) -> None:
    """The control: the same step refuses the opt-in suspendable shape (two status entries),
    which is why it is not our default. The signature still verifies."""
    credential = issue_di(services, suspendable=True)
    answer = verifier_core(credential, published(client, services, credential))
    assert answer["refused"] == []
    assert steps(answer)["valid_signature"]["valid"] is True
    (result,) = schema_results(answer)
    assert result["result"]["valid"] is False
    assert any(e["instancePath"] == "/credentialStatus" for e in result["result"]["errors"])


def test_verifier_core_sees_a_changed_value(client: FlaskClient, services: Services) -> None:
    credential = issue_di(services)
    documents = published(client, services, credential)
    credential["name"] = credential["name"] + "!"
    answer = verifier_core(credential, documents)
    assert any(e["name"] == "invalid_signature" for e in answer["result"].get("errors", []))
