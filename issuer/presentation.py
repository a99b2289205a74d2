"""Verifiable Presentations (VCDM 2.0 §4.13) of a learner's badges, optionally holder-signed.

The service never holds a learner's private key (checklist §6.3): a presentation is unsigned
unless the holder supplies their own Ed25519 key, whose did:key must be the presentation's
``holder``. Then it carries a Data Integrity ``eddsa-rdfc-2022`` proof with ``proofPurpose``
``authentication`` (VC Data Integrity §2.1), the ``did:key#z…`` verification method, and the
verifier's ``challenge`` / ``domain`` when given, so it cannot be replayed elsewhere.

Badges are embedded exactly as issued: Data Integrity badges as their JSON objects, VC-JWT
badges as ``EnvelopedVerifiableCredential`` objects (VCDM 2.0 requires credential objects here:
a bare string would be read as an IRI by the ``@graph`` container).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from issuer.build import VC2_CONTEXT, new_credential_id
from issuer.clr import EmbeddedBadge
from issuer.dataintegrity import sign_data_integrity
from issuer.errors import DraftInvalid, SelfCheckFailed
from keys import InvalidSignature, SigningKey, b58decode, did_key_from_public_key
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import hash_data, proof_config
from verifier.errors import DataLoss

__all__ = ["AUTHENTICATION", "build_presentation", "sign_presentation"]

AUTHENTICATION = "authentication"


def build_presentation(
    badges: Sequence[EmbeddedBadge], *, holder: str | None, presentation_id: str | None = None
) -> dict[str, Any]:
    """The unsigned presentation of ``badges`` (``holder`` omitted when None)."""
    if not badges:
        raise DraftInvalid("A presentation needs at least one badge.")
    presentation: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": presentation_id or new_credential_id(),
        "type": ["VerifiablePresentation"],
    }
    if holder is not None:
        presentation["holder"] = holder
    presentation["verifiableCredential"] = [badge.embedded() for badge in badges]
    return presentation


def sign_presentation(
    presentation: Mapping[str, Any],
    key: SigningKey,
    *,
    created: datetime,
    canonicalizer: Canonicalizer,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Sign ``presentation`` as its holder and check the signature; return the signed copy.

    The holder must be the did:key of ``key``. Raises :class:`DraftInvalid` (not an Ed25519 key,
    a holder that is not this key's did:key, undefined terms) or :class:`SelfCheckFailed`.
    """
    if key.alg != "EdDSA":
        raise DraftInvalid("A holder key must be an Ed25519 key.")
    did = did_key_from_public_key(key.public)
    if presentation.get("holder") != did:
        raise DraftInvalid("The presentation's holder is not the did:key of this key.")
    verification_method = f"{did}#{did.removeprefix('did:key:')}"
    try:
        signed = sign_data_integrity(
            presentation,
            key,
            verification_method=verification_method,
            created=created,
            canonicalizer=canonicalizer,
            proof_purpose=AUTHENTICATION,
            challenge=challenge,
            domain=domain,
        )
    except DataLoss as exc:
        raise DraftInvalid(f"The presentation would be invalid: {exc.message}") from exc
    _check_signature(signed, key, canonicalizer)
    return signed


def _check_signature(
    signed: Mapping[str, Any], key: SigningKey, canonicalizer: Canonicalizer
) -> None:
    """Re-derive the signed bytes from the released document and check them with the public
    key the holder's did:key names (catches a proof that does not cover what we release)."""
    proof = signed["proof"][-1]
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    data = hash_data(canonicalizer, unsecured, proof_config(unsecured, proof))
    try:
        key.public.verify(b58decode(proof["proofValue"][1:]), data)
    except InvalidSignature as exc:  # pragma: no cover - a signing bug
        raise SelfCheckFailed("The signed presentation did not verify.") from exc
