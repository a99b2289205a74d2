"""The holder-bound copy: a badge signed again with ``credentialSubject.id`` = the wallet's DID.

A wallet proves control of a key (an OpenID4VCI key proof, a DIDAuth presentation); the badge
it receives names that key's DID as its subject, so the credential verifies *as the holder's*
and the wallet can present it later. The copy keeps everything else the stored badge says —
id, ``credentialStatus``, dates, results, evidence, endorsements, the hashed e-mail identifier —
so revoking or suspending the badge affects every copy (docs/decisions.md, "A wallet's copy
keeps the badge's id").

Holder DIDs: did:key (Ed25519, P-256, P-384) in its one canonical spelling, and did:jwk (any
public key :mod:`keys` allows) exactly as the wallet spells it; without fragment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import (
    KeysError,
    PublicKey,
    did_key_from_public_key,
    public_key_from_did_jwk,
    public_key_from_did_key,
)
from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.credentials.resigning import resign, unsigned_credential
from passport.errors import InvalidRequest, NotFound
from passport.services import Services
from passport.wallets.models import WalletDelivery

__all__ = [
    "CHANNELS",
    "WALLET_FORMATS",
    "WalletCopy",
    "check_deliverable",
    "holder_bound_copy",
    "holder_did_key",
    "validate_holder_did",
]

logger = logging.getLogger(__name__)

#: OpenID4VCI format identifier → (our proof format, the issuer key algorithm it signs with).
WALLET_FORMATS: dict[str, tuple[str, str]] = {
    "ldp_vc": ("data-integrity", "EdDSA"),
    "jwt_vc_json": ("vc-jwt", "ES256"),
}
CHANNELS = ("oid4vci", "lcw", "ob-api")
_MAX_DID = 4096  # WalletDelivery.holder_did


@dataclass(frozen=True, slots=True)
class WalletCopy:
    """A signed holder-bound copy: ``content`` is the JSON document (ldp_vc) or the compact JWT
    (jwt_vc_json), exactly as signed; ``credential`` is the unsecured credential."""

    credential_id: str
    holder_did: str
    wallet_format: str
    content: bytes
    credential: dict[str, Any]

    def for_response(self) -> dict[str, Any] | str:
        """What a JSON response carries: the document as an object, or the JWT as a string."""
        if self.wallet_format == "jwt_vc_json":
            return self.content.decode("ascii")
        document: dict[str, Any] = json.loads(self.content)
        return document


def holder_did_key(did: str) -> PublicKey:
    """The public key of a holder DID (did:key or did:jwk, a ``#fragment`` allowed).

    Raises InvalidRequest (``bad_holder_did``) for anything else.
    """
    try:
        if did.startswith("did:key:"):
            return public_key_from_did_key(did)
        if did.startswith("did:jwk:"):
            return public_key_from_did_jwk(did)
    except KeysError as exc:
        raise InvalidRequest(
            f"The wallet's DID is not usable: {exc.message}", code="bad_holder_did"
        ) from exc
    raise InvalidRequest(
        "The wallet's key must be a did:key, a did:jwk or a JWK.", code="bad_holder_did"
    )


def validate_holder_did(did: str) -> str:
    """``did`` without fragment when it is a canonical did:key or a did:jwk of one allowed public
    key; else InvalidRequest (``bad_holder_did``)."""
    if not isinstance(did, str) or len(did) > _MAX_DID:
        raise InvalidRequest("The wallet's DID is too long.", code="bad_holder_did")
    bare = did.partition("#")[0]
    public = holder_did_key(bare)
    # did:key has one spelling per key. A did:jwk is the wallet's own JSON, in whatever member
    # order (and with whatever "use"/"alg" members) the wallet wrote it: the wallet presents
    # that exact DID later, so it is kept as given once it decodes to one allowed public key.
    if bare.startswith("did:key:") and did_key_from_public_key(public) != bare:
        raise InvalidRequest(
            "The wallet's DID is not in its canonical form.", code="bad_holder_did"
        )
    return bare


def check_deliverable(record: IssuedCredential, now: datetime) -> None:
    """A badge goes to a wallet only while current; InvalidRequest with a stable code else."""
    if record.revoked_at is not None:
        raise InvalidRequest(
            "This badge was revoked and cannot be added to a wallet.", code="credential_revoked"
        )
    if record.suspended_at is not None:
        raise InvalidRequest(
            "This badge is suspended and cannot be added to a wallet.",
            code="credential_suspended",
        )
    if record.valid_until is not None and record.valid_until <= now:
        raise InvalidRequest(
            "This badge has expired and cannot be added to a wallet.", code="credential_expired"
        )


def holder_bound_copy(
    session: Session,
    services: Services,
    *,
    credential_id: str,
    holder_did: str,
    wallet_format: str,
    channel: str,
    actor: str,
    now: datetime,
) -> WalletCopy:
    """Sign the badge again for the wallet holding ``holder_did``, record the delivery, audit.

    Raises NotFound (``unknown_credential``), InvalidRequest (``unsupported_format``,
    ``bad_holder_did``, ``credential_revoked|suspended|expired``). The caller has already
    checked that the requester may receive this badge (an offer, a token, a session).
    """
    if wallet_format not in WALLET_FORMATS:
        raise InvalidRequest(
            f"Badges are delivered as {' or '.join(sorted(WALLET_FORMATS))}.",
            code="unsupported_format",
        )
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    did = validate_holder_did(holder_did)
    record = session.scalar(select(IssuedCredential).where(IssuedCredential.id == credential_id))
    if record is None:
        raise NotFound(f"No badge {credential_id!r} was issued here.", code="unknown_credential")
    check_deliverable(record, now)
    credential, _alg = unsigned_credential(record)
    subject = dict(credential.get("credentialSubject") or {})
    subject["id"] = did
    credential["credentialSubject"] = subject
    proof_format, alg = WALLET_FORMATS[wallet_format]
    signed = resign(
        session,
        services,
        record.issuer_id,
        credential,
        proof_format=proof_format,
        alg=alg,
        now=now,
    )
    session.add(
        WalletDelivery(
            credential_id=record.id,
            holder_did=did,
            wallet_format=wallet_format,
            channel=channel,
            kid=signed.kid,
            delivered_at=now,
        )
    )
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="wallet.deliver",
            subject=record.id,
            detail=f"{channel} {wallet_format} {did[:120]}",
        )
    )
    session.flush()
    logger.info("delivered %s to a wallet via %s as %s", record.id, channel, wallet_format)
    return WalletCopy(
        credential_id=record.id,
        holder_did=did,
        wallet_format=wallet_format,
        content=signed.content,
        credential=signed.credential,
    )
