"""Issuing: build, sign, and check our own output with the verifier before release.

A credential leaves :class:`CredentialIssuer` only after :class:`verifier.Verifier` has accepted
it at the issuing instant — so a signing bug, a wrong key binding or a model mistake is caught
here rather than by a learner's wallet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.build import CredentialDraft, build_credential
from issuer.errors import DraftInvalid, SelfCheckFailed
from issuer.jwt import sign_vc_jwt
from keys import SigningKey
from verifier import SchemaError, VerificationError, Verifier, load_credential

__all__ = ["CredentialIssuer", "IssuedCredential"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A signed credential, exactly as released (``content`` is never re-serialised)."""

    id: str
    proof_format: str  # "vc-jwt" | "data-integrity"
    media_type: str
    content: bytes
    credential: dict[str, Any]
    kid: str


class CredentialIssuer:
    """Builds and signs credentials; ``verifier`` must know the issuer's keys locally."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    def issue_jwt(
        self, draft: CredentialDraft, key: SigningKey, *, kid: str, now: datetime
    ) -> IssuedCredential:
        """Build, sign as VC-JWT and self-verify. Raises DraftInvalid or SelfCheckFailed."""
        credential = build_credential(draft)
        try:
            load_credential(credential)
        except SchemaError as exc:
            raise DraftInvalid(f"The credential would be invalid: {exc.message}") from exc
        token = sign_vc_jwt(credential, key, kid=kid)
        try:
            self._verifier.verify(token, now=now)
        except VerificationError as exc:
            logger.error("self-check failed for %s: %s (%s)", credential["id"], exc.code, exc.hint)
            raise SelfCheckFailed(f"{SelfCheckFailed.default_message} ({exc.message})") from exc
        return IssuedCredential(
            id=credential["id"],
            proof_format="vc-jwt",
            media_type="application/vc+jwt",
            content=token.encode("ascii"),
            credential=credential,
            kid=kid,
        )
