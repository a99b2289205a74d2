"""Selective disclosure (``ecdsa-sd-2023``) against the Digital Bazaar reference suite.

Each test has the reference stack (``tests/interop/sd.mjs``: ``@digitalbazaar/vc``,
``data-integrity``, ``ecdsa-sd-2023-cryptosuite``, ``ecdsa-multikey``) make a FRESH P-256
did:key, sign a base proof over an Open Badges 3.0 credential (VC 2.0) and derive a disclosure.
Our verifier must accept both; one changed value must fail in ours and in theirs. We verify
only: issuing this suite is not something we do (``docs/decisions.md``).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from issuer import CredentialDraft, build_credential
from tests.interop.harness import HERE, requires_node, run_node
from verifier import KeyResolver, Verifier

pytestmark = requires_node
NOW = datetime.now(UTC).replace(microsecond=0)
MANDATORY = ["/issuer", "/validFrom", "/credentialSubject/type"]
ACHIEVEMENT: dict[str, Any] = {
    "id": "https://badges.example.org/achievements/k8s-l2",
    "type": ["Achievement"],
    "achievementType": "Competency",
    "name": "Kubernetes Operations — Practitioner",
    "description": "Deploys and troubleshoots workloads on Kubernetes.",
    "criteria": {"narrative": "Passed a hands-on assessment."},
}


def sd(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``node sd.mjs COMMAND`` with ``payload`` on stdin; return its JSON answer."""
    output: dict[str, Any] = run_node(HERE / "sd.mjs", payload, command)
    return output


def unsigned() -> dict[str, Any]:
    return build_credential(
        CredentialDraft(
            issuer={"id": "did:example:replaced", "type": ["Profile"], "name": "Badges Org"},
            achievement=ACHIEVEMENT,
            recipient_email="ada@example.com",
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=365),
        )
    )


def issue(mandatory: list[str], selective: list[str]) -> dict[str, Any]:
    made = sd(
        "issue",
        {"credential": unsigned(), "mandatoryPointers": mandatory, "selectivePointers": selective},
    )
    assert made["issuer"].startswith("did:key:zDn")  # a fresh P-256 did:key
    return made


def checks(credential: dict[str, Any]) -> tuple[bool, dict[str, tuple[str, str]]]:
    # The clock now, not at import: the JavaScript side stamps `created` when it signs, which in
    # a full run is many minutes after this module was collected.
    report = Verifier(KeyResolver()).report(credential, now=datetime.now(UTC))
    return report.verified, {c.id: (c.status, c.code) for c in report.checks}


def test_a_disclosure_keeping_the_required_fields_is_verified_in_both() -> None:
    made = issue(
        MANDATORY,
        [
            "/name",
            "/credentialSubject/identifier",
            "/credentialSubject/achievement/name",
            "/credentialSubject/achievement/description",
            "/credentialSubject/achievement/criteria",
        ],
    )
    derived = made["derived"]
    # withheld: the award date and the achievement type (both optional in OB 3.0)
    assert "awardedDate" not in derived
    assert "achievementType" not in derived["credentialSubject"]["achievement"]
    verified, by_id = checks(derived)
    assert by_id["signature"] == ("passed", "signature_valid")
    assert verified is True, by_id
    assert sd("verify", {"credential": derived}) == {"verified": True, "errors": []}

    tampered = copy.deepcopy(derived)
    tampered["credentialSubject"]["achievement"]["name"] = "Kubernetes Operations — Expert"
    assert checks(tampered)[1]["signature"] == ("failed", "bad_signature")
    assert sd("verify", {"credential": tampered})["verified"] is False


def test_a_disclosure_hiding_required_fields_keeps_a_valid_signature() -> None:
    made = issue(MANDATORY, ["/credentialSubject/achievement/name"])
    derived = made["derived"]
    assert "description" not in derived["credentialSubject"]["achievement"]
    _, by_id = checks(derived)
    # Authentic; the hidden description and criteria fail OB 3.0's schema for now.
    assert by_id["signature"] == ("passed", "signature_valid")
    assert by_id["schema"][0] == "failed"
    assert sd("verify", {"credential": derived}) == {"verified": True, "errors": []}

    tampered = copy.deepcopy(derived)
    tampered["validFrom"] = (NOW - timedelta(days=400)).isoformat().replace("+00:00", "Z")
    assert checks(tampered)[1]["signature"] == ("failed", "bad_signature")
    assert sd("verify", {"credential": tampered})["verified"] is False


def test_the_base_proof_is_verified_in_ours_and_confirmed_in_theirs() -> None:
    # The reference "confirm" suite canonicalizes the mandatory selection on its own, which
    # only matches when the pointers select no blank node: keep them to named nodes here.
    made = issue(["/issuer", "/validFrom"], [])
    base = made["base"]
    verified, by_id = checks(base)
    assert verified is True, by_id
    assert sd("confirm", {"credential": base}) == {"verified": True, "errors": []}

    for path, value in (("name", "Another badge"), ("validFrom", "2020-01-01T00:00:00Z")):
        tampered = copy.deepcopy(base)
        tampered[path] = value
        assert checks(tampered)[1]["signature"] == ("failed", "bad_signature"), path
        assert sd("confirm", {"credential": tampered})["verified"] is False, path


def test_a_base_proof_whose_pointers_select_a_blank_node_is_verified() -> None:
    made = issue(MANDATORY, ["/credentialSubject/achievement/name"])
    verified, by_id = checks(made["base"])
    assert verified is True, by_id
    tampered = copy.deepcopy(made["base"])
    tampered["credentialSubject"]["achievement"]["description"] = "Changed."
    assert checks(tampered)[1]["signature"] == ("failed", "bad_signature")


def test_their_verifier_refuses_a_count_mismatch_as_ours_does() -> None:
    made = issue(MANDATORY, ["/name", "/credentialSubject/achievement/name"])
    stripped = copy.deepcopy(made["derived"])
    del stripped["name"]
    assert checks(stripped)[1]["signature"] == ("failed", "signature_count_mismatch")
    assert sd("verify", {"credential": stripped})["verified"] is False
