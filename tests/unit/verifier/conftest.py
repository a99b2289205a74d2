"""Factories for verifier tests: an issuer with a did:web document known locally."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, build_credential, sign_vc_jwt
from keys import PublishedKey, SigningKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier

ISSUER = "did:web:issuer.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

ACHIEVEMENT: dict[str, Any] = {
    "id": "https://issuer.example/achievements/k8s-l2",
    "type": ["Achievement"],
    "achievementType": "Competency",
    "name": "Kubernetes Operations — Practitioner",
    "description": "Deploys and troubleshoots workloads on Kubernetes.",
    "criteria": {"narrative": "Passed a hands-on assessment."},
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return generate_key("ES256")


@pytest.fixture(scope="session")
def ed_key() -> SigningKey:
    return generate_key("EdDSA")


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return generate_key("RS256", rsa_bits=2048)


@pytest.fixture(scope="session")
def attacker_key() -> SigningKey:
    return generate_key("ES256")


@pytest.fixture(scope="session")
def did_document(es_key: SigningKey, ed_key: SigningKey, rsa_key: SigningKey) -> dict[str, Any]:
    published = [
        PublishedKey(public=k.public, status="active", created=NOW - timedelta(days=30))
        for k in (es_key, ed_key, rsa_key)
    ]
    return did_web_document(ISSUER, published)


@pytest.fixture
def verifier(did_document: dict[str, Any]) -> Verifier:
    return Verifier(KeyResolver(documents={ISSUER: did_document}), known_issuers=[ISSUER])


@pytest.fixture
def credential() -> Callable[..., dict[str, Any]]:
    """Factory: an unsigned credential from our issuer, with overrides."""

    def make(**overrides: Any) -> dict[str, Any]:
        draft = CredentialDraft(
            issuer={"id": ISSUER, "type": ["Profile"], "name": "Example Org"},
            achievement=ACHIEVEMENT,
            recipient_email="learner@example.com",
            valid_from=overrides.pop("valid_from", NOW - timedelta(days=1)),
            valid_until=overrides.pop("valid_until", NOW + timedelta(days=365)),
        )
        built = build_credential(draft)
        built.update(overrides)
        return built

    return make


@pytest.fixture
def token(credential: Callable[..., dict[str, Any]], es_key: SigningKey) -> Callable[..., str]:
    """Factory: a VC-JWT signed by the issuer's ES256 key."""

    def make(key: SigningKey | None = None, kid: str | None = None, **overrides: Any) -> str:
        signer = key or es_key
        return sign_vc_jwt(
            credential(**overrides),
            signer,
            kid=kid or verification_method_id(ISSUER, signer.kid),
        )

    return make


def forge(header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A hand-made compact JWS, for attacks no library would produce."""
    signing_input = f"{b64json(header)}.{b64json(payload)}".encode()
    return f"{signing_input.decode()}.{b64(sign(signing_input))}"
