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

from issuer.build import CredentialDraft, build_credential, json_bytes
from issuer.dataintegrity import CRYPTOSUITE, sign_data_integrity
from issuer.errors import DraftInvalid, SelfCheckFailed
from issuer.jwt import sign_vc_jwt
from keys import SigningKey
from verifier import SchemaError, VerificationError, Verifier, load_credential
from verifier.errors import DataLoss

__all__ = ["CredentialIssuer", "SignedCredential"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignedCredential:
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

    def issue_data_integrity(
        self,
        draft: CredentialDraft,
        key: SigningKey,
        *,
        verification_method: str,
        now: datetime,
        cryptosuite: str = CRYPTOSUITE,
    ) -> SignedCredential:
        """Build, sign with ``cryptosuite`` (eddsa-rdfc-2022 by default, or ecdsa-rdfc-2019) and
        self-verify. Raises DraftInvalid/SelfCheckFailed, ValueError for a key the suite does
        not sign with."""
        return self._signed_data_integrity(
            self._build(draft), key, verification_method, now=now, cryptosuite=cryptosuite
        )

    def sign_endorsement(
        self,
        endorsement: dict[str, Any],
        key: SigningKey,
        *,
        verification_method: str,
        now: datetime,
    ) -> SignedCredential:
        """Sign an EndorsementCredential (:func:`issuer.build_endorsement`) with an
        eddsa-rdfc-2022 proof and self-verify it. Raises DraftInvalid or SelfCheckFailed."""
        try:
            load_credential(endorsement)
        except SchemaError as exc:
            raise DraftInvalid(f"The endorsement would be invalid: {exc.message}") from exc
        return self.resign(
            endorsement,
            "data-integrity",
            key,
            verification_method=verification_method,
            now=now,
        )

    def _signed_data_integrity(
        self,
        credential: dict[str, Any],
        key: SigningKey,
        verification_method: str,
        *,
        now: datetime,
        cryptosuite: str,
    ) -> SignedCredential:
        """Add a Data Integrity proof to ``credential`` (built, unsigned) and self-verify."""
        try:
            signed = sign_data_integrity(
                credential,
                key,
                verification_method=verification_method,
                created=now,
                canonicalizer=self._verifier.canonicalizer,
                cryptosuite=cryptosuite,
            )
        except DataLoss as exc:
            raise DraftInvalid(f"The credential would be invalid: {exc.message}") from exc
        content = json_bytes(signed)
        self._self_check(content, credential["id"], now)
        return SignedCredential(
            id=credential["id"],
            proof_format="data-integrity",
            media_type="application/vc+ld+json",
            content=content,
            credential=signed,
            kid=key.kid,
        )

    def resign(
        self,
        credential: dict[str, Any],
        proof_format: str,
        key: SigningKey,
        *,
        verification_method: str,
        now: datetime,
        cryptosuite: str = CRYPTOSUITE,
    ) -> SignedCredential:
        """Sign an already built credential again (its old proof dropped) and self-verify.

        Re-issuing a badge with endorsements embedded (OB 3.0 §B.1 ``endorsement``) keeps
        everything the credential says and gives it a new proof in ``proof_format``
        (``data-integrity`` or ``vc-jwt``; ``verification_method`` is the JWT's ``kid``).
        Raises DraftInvalid or SelfCheckFailed.
        """
        unsecured = {k: v for k, v in credential.items() if k != "proof"}
        if proof_format == "vc-jwt":
            token = sign_vc_jwt(unsecured, key, kid=verification_method)
            self._self_check(token.encode("ascii"), unsecured["id"], now)
            return SignedCredential(
                id=unsecured["id"],
                proof_format="vc-jwt",
                media_type="application/vc+jwt",
                content=token.encode("ascii"),
                credential=unsecured,
                kid=key.kid,
            )
        return self._signed_data_integrity(
            unsecured, key, verification_method, now=now, cryptosuite=cryptosuite
        )

    def _build(self, draft: CredentialDraft) -> dict[str, Any]:
        credential = build_credential(draft)
        try:
            load_credential(credential)
        except SchemaError as exc:
            raise DraftInvalid(f"The credential would be invalid: {exc.message}") from exc
        return credential

    def _self_check(self, content: bytes, credential_id: str, now: datetime) -> None:
        try:
            # A credential signed a moment ago has no status to check yet.
            self._verifier.verify(content, now=now, check_status=False)
        except VerificationError as exc:
            logger.error("self-check failed for %s: %s (%s)", credential_id, exc.code, exc.hint)
            raise SelfCheckFailed(f"{SelfCheckFailed.default_message} ({exc.message})") from exc

    def issue_jwt(
        self, draft: CredentialDraft, key: SigningKey, *, kid: str, now: datetime
    ) -> SignedCredential:
        """Build, sign as VC-JWT and self-verify. Raises DraftInvalid or SelfCheckFailed."""
        credential = self._build(draft)
        token = sign_vc_jwt(credential, key, kid=kid)
        self._self_check(token.encode("ascii"), credential["id"], now)
        return SignedCredential(
            id=credential["id"],
            proof_format="vc-jwt",
            media_type="application/vc+jwt",
            content=token.encode("ascii"),
            credential=credential,
            kid=key.kid,
        )
