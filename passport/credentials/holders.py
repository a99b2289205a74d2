"""Learners as holders: the did:key a learner registers, and reading the learner's own key.

A learner may register one Ed25519 did:key (``Holder.did``). Presentations exported for them name
it as ``holder``; they are signed only with the learner's own private key, which the learner
passes for one export and the service never stores (checklist §6.3). Only Ed25519 keys are
accepted: presentations are signed with ``eddsa-rdfc-2022``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import SigningKey, did_key_from_public_key, public_key_from_did_key
from keys.errors import KeysError
from passport.audit import AuditEvent
from passport.credentials.models import Holder
from passport.errors import InvalidRequest, NotFound
from verifier import normalize_email

__all__ = [
    "MAX_KEY_FILE_BYTES",
    "clear_holder_did",
    "find_holder",
    "read_holder_key",
    "set_holder_did",
    "validate_did_key",
]

#: A PEM or JWK file of one Ed25519 key is a few hundred bytes.
MAX_KEY_FILE_BYTES = 16 * 1024
_DID_MAX = 200  # Holder.did column width; an Ed25519 did:key is 56 characters


def find_holder(session: Session, email: str) -> Holder:
    """The learner with this e-mail (normalised); NotFound when there is none."""
    holder = session.scalar(select(Holder).where(Holder.email == normalize_email(email)))
    if holder is None:
        raise NotFound("No learner with that e-mail has badges here.", code="unknown_holder")
    return holder


def validate_did_key(did: str) -> str:
    """Return ``did`` when it is a bare, well-formed Ed25519 did:key; else InvalidRequest."""
    text = did.strip()
    if not text.startswith("did:key:") or "#" in text or len(text) > _DID_MAX:
        raise InvalidRequest(
            "That is not a did:key identifier (did:key:z6Mk…, without a #fragment).",
            code="bad_did",
        )
    try:
        public = public_key_from_did_key(text)
    except KeysError as exc:
        raise InvalidRequest(f"That did:key is malformed: {exc.message}", code="bad_did") from exc
    if public.alg != "EdDSA":
        raise InvalidRequest("Only Ed25519 did:keys (did:key:z6Mk…) are accepted.", code="bad_did")
    if did_key_from_public_key(public) != text:  # one spelling per key
        raise InvalidRequest("That did:key is not in its canonical form.", code="bad_did")
    return text


def set_holder_did(
    session: Session, email: str, did: str | None, *, actor: str, now: datetime
) -> Holder:
    """Register (or with ``did=None`` clear) the learner's did:key; audited."""
    holder = find_holder(session, email)
    value = None if did is None else validate_did_key(did)
    holder.did = value
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="holder.did.set" if value else "holder.did.clear",
            subject=holder.email,
            detail=value,
        )
    )
    return holder


def clear_holder_did(session: Session, email: str, *, actor: str, now: datetime) -> Holder:
    """Forget the learner's registered did:key."""
    return set_holder_did(session, email, None, actor=actor, now=now)


def read_holder_key(data: bytes) -> SigningKey:
    """The learner's Ed25519 private key from an unencrypted PKCS#8 PEM or a JWK (OKP) file.

    Raises InvalidRequest (code ``bad_holder_key``) for anything else. The key is used for one
    signature and never stored.
    """
    if len(data) > MAX_KEY_FILE_BYTES:
        raise InvalidRequest("The key file is too large to be one key.", code="bad_holder_key")
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            private = load_pem_private_key(text, password=None)
        except TypeError as exc:
            raise InvalidRequest(
                "The key file is encrypted; give an unencrypted PKCS#8 PEM or a JWK.",
                code="bad_holder_key",
            ) from exc
        except ValueError as exc:
            raise InvalidRequest(
                "The key file is not a readable PEM private key.", code="bad_holder_key"
            ) from exc
    else:
        private = _jwk_private_key(text)
    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidRequest("The holder key must be an Ed25519 key.", code="bad_holder_key")
    return SigningKey.from_private_key(private)


def _b64url(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _jwk_private_key(text: bytes) -> Ed25519PrivateKey:
    bad = InvalidRequest(
        "The key file is neither a PKCS#8 PEM nor an Ed25519 JWK with its private part (d).",
        code="bad_holder_key",
    )
    try:
        jwk = json.loads(text)
    except ValueError as exc:
        raise bad from exc
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise bad
    try:
        private = Ed25519PrivateKey.from_private_bytes(_b64url(jwk.get("d")))
        public = _b64url(jwk["x"]) if "x" in jwk else None
    except (ValueError, binascii.Error) as exc:
        raise bad from exc
    if public is not None and public != private.public_key().public_bytes_raw():
        raise InvalidRequest(
            "The JWK's public part (x) does not belong to its private part (d).",
            code="bad_holder_key",
        )
    return private
