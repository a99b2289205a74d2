"""Fixtures for the fuzz suite: a fresh issuer key, a verifier that knows it, valid inputs.

Session-scoped so hypothesis can call a property many times without rebuilding them (they are
never mutated: every property copies before changing anything).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer import CredentialDraft, build_credential, jwt_claims, sign_vc_jwt
from keys import PublishedKey, SigningKey, did_web_document, generate_key, verification_method_id
from verifier import KeyResolver, Verifier

ISSUER = "did:web:issuer.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

ACHIEVEMENT: dict[str, Any] = {
    "id": "https://issuer.example/achievements/fuzz",
    "type": ["Achievement"],
    "achievementType": "Competency",
    "name": "Fuzzing — Practitioner",
    "description": "Writes properties that find crashes.",
    "criteria": {"narrative": "Passed a hands-on assessment."},
}


@pytest.fixture(scope="session")
def issuer_key() -> SigningKey:
    return generate_key("ES256")


@pytest.fixture(scope="session")
def kid(issuer_key: SigningKey) -> str:
    return verification_method_id(ISSUER, issuer_key.kid)


@pytest.fixture(scope="session")
def verifier(issuer_key: SigningKey) -> Verifier:
    published = [
        PublishedKey(public=issuer_key.public, status="active", created=NOW - timedelta(days=30))
    ]
    document = did_web_document(ISSUER, published)
    return Verifier(KeyResolver(documents={ISSUER: document}), known_issuers=[ISSUER])


@pytest.fixture(scope="session")
def credential() -> dict[str, Any]:
    """An unsigned OB 3.0 credential from the fuzz issuer."""
    return build_credential(
        CredentialDraft(
            issuer={"id": ISSUER, "type": ["Profile"], "name": "Fuzz Org"},
            achievement=ACHIEVEMENT,
            recipient_email="learner@example.com",
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=365),
        )
    )


@pytest.fixture(scope="session")
def token(credential: dict[str, Any], issuer_key: SigningKey, kid: str) -> str:
    """A valid VC-JWT (the properties check it verifies before mutating it)."""
    return sign_vc_jwt(credential, issuer_key, kid=kid)


@pytest.fixture(scope="session")
def jwt_payload(credential: dict[str, Any]) -> dict[str, Any]:
    """The payload of :func:`token`: the credential plus its registered claims."""
    return {**credential, **jwt_claims(credential)}
