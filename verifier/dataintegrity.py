"""Embedded Data Integrity proofs: ``eddsa-rdfc-2022`` and the legacy Ed25519 suites.

Verification follows W3C VC Data Integrity EdDSA §3.3 (eddsa-rdfc-2022): for a proof set, each
proof is checked against the document with the whole ``proof`` property removed, and any one
valid proof suffices (OB 3.0 §8.1). For one proof:

1. The suite must be one we know: ``DataIntegrityProof`` + ``eddsa-rdfc-2022`` (any VC
   version); ``DataIntegrityProof`` + ``eddsa-2022`` or ``Ed25519Signature2020`` only on VC 1.1
   credentials (legacy, verify-only).
2. ``proofPurpose`` must be the expected one (``assertionMethod`` for credentials);
   ``created`` must be a date-time not in the future (clock skew allowed); ``expires``, if
   present, not past.
3. The verification method is dereferenced — never read from a URL fragment — and must be an
   Ed25519 key that the *issuer* controls and lists under ``assertionMethod``
   (:meth:`verifier.resolve.KeyResolver.verification_method`).
4. ``proofConfig`` = the proof without ``proofValue``, with the document's ``@context`` (if the
   proof carries its own ``@context``, the document's must start with it, §3.3.2 step 4).
5. ``hashData`` = SHA-256(canonical proofConfig) ‖ SHA-256(canonical document), RDFC-1.0 in safe
   mode (:mod:`verifier.canonical`); the Ed25519 signature is the base58btc ``proofValue``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from keys import PublicKey, b58decode
from keys.errors import InvalidDid, InvalidSignature
from verifier.canonical import Canonicalizer
from verifier.ecdsa_sd import check_ecdsa_sd
from verifier.errors import BadSignature, DataLoss, VerificationError
from verifier.resolve import KeyResolver

__all__ = ["KNOWN_SUITES", "check_data_integrity", "hash_data", "proof_config"]

_VC11_CONTEXT = "https://www.w3.org/2018/credentials/v1"

#: (proof type, cryptosuite) → True when allowed on VC 2.0 credentials too.
KNOWN_SUITES: Mapping[tuple[str, str | None], bool] = {
    ("DataIntegrityProof", "eddsa-rdfc-2022"): True,
    ("DataIntegrityProof", "ecdsa-sd-2023"): True,  # base and derived (verifier.ecdsa_sd)
    ("DataIntegrityProof", "eddsa-2022"): False,
    ("Ed25519Signature2020", None): False,
}


def proof_config(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """The proof options that are signed: the proof minus ``proofValue``, in the doc's context."""
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    return config


def hash_data(
    canonicalizer: Canonicalizer, document: Mapping[str, Any], config: Mapping[str, Any]
) -> bytes:
    """SHA-256(canonical proof config) ‖ SHA-256(canonical document): 64 bytes, proof first."""
    return (
        hashlib.sha256(canonicalizer.canonicalize(config).encode("utf-8")).digest()
        + hashlib.sha256(canonicalizer.canonicalize(document).encode("utf-8")).digest()
    )


def _proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        raise BadSignature("The credential carries no proof.", code="no_proof")
    items = proof if isinstance(proof, list) else [proof]
    if not items or not all(isinstance(p, Mapping) for p in items):
        raise BadSignature("The credential's proof is not readable.", code="bad_proof")
    return items


def _issuer_id(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise BadSignature("The credential does not say who issued it.", code="missing_issuer")
    return issuer


def _parse_datetime(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise BadSignature(f"The proof's {what} is not a date.", code="bad_proof")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadSignature(f"The proof's {what} is not a date.", code="bad_proof") from exc
    if parsed.tzinfo is None:
        raise BadSignature(f"The proof's {what} has no time zone.", code="bad_proof")
    return parsed


class _DocumentHash:
    """Canonicalizes the unsecured document once, however many proofs it carries."""

    def __init__(self, canonicalizer: Canonicalizer, document: Mapping[str, Any]) -> None:
        self._canonicalizer = canonicalizer
        self._document = document
        self._digest: bytes | None = None

    def digest(self) -> bytes:
        if self._digest is None:
            canonical = self._canonicalizer.canonicalize(self._document)
            self._digest = hashlib.sha256(canonical.encode("utf-8")).digest()
        return self._digest


def check_data_integrity(
    document: Mapping[str, Any],
    resolver: KeyResolver,
    canonicalizer: Canonicalizer,
    *,
    now: datetime,
    leeway: timedelta,
    purpose: str = "assertionMethod",
    controller: str | None = None,
) -> tuple[PublicKey, datetime | None]:
    """Verify the document's embedded proofs; return the issuer key of a valid one and its
    proof's ``created`` time (None when the proof states none).

    The key must belong to ``controller`` — by default the document's issuer (a presentation
    passes its holder, with ``purpose`` "authentication").

    Raises :class:`~verifier.errors.DataLoss` (undefined terms, relative IRIs),
    :class:`~verifier.errors.KeyNotResolved` / ``KeyUnreachable`` (key problems), or
    :class:`BadSignature` with a code naming the failed rule; with several proofs, the error of
    the first proof of a known suite.
    """
    proofs = _proofs(document)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    issuer_id = controller if controller is not None else _issuer_id(unsecured)
    context = unsecured.get("@context")
    first_context = context[0] if isinstance(context, list) and context else context
    is_vc11 = first_context == _VC11_CONTEXT
    doc_hash = _DocumentHash(canonicalizer, unsecured)
    # Data loss is a property of the document: find it before judging any key or proof.
    doc_hash.digest()
    first_error: VerificationError | None = None
    for proof in proofs:
        proof_type = proof.get("type")
        suite = proof.get("cryptosuite") if proof_type == "DataIntegrityProof" else None
        if not isinstance(proof_type, str) or not isinstance(suite, str | None):
            continue  # a list or object where a name belongs (unhashable): no suite we know
        allowed_on_vc2 = KNOWN_SUITES.get((proof_type, suite))
        if allowed_on_vc2 is None:
            continue
        try:
            if not allowed_on_vc2 and not is_vc11:
                raise BadSignature(
                    "This legacy signature suite is only accepted on VC 1.1 credentials.",
                    code="legacy_suite_on_vc2",
                )
            return _check_one(
                unsecured,
                proof,
                doc_hash,
                resolver,
                canonicalizer,
                issuer_id,
                now=now,
                leeway=leeway,
                purpose=purpose,
            )
        except DataLoss:
            raise  # a property of the document, not of this proof
        except VerificationError as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    raise BadSignature(
        "The credential's proof uses a signature suite that is unknown or not accepted.",
        code="unknown_cryptosuite",
    )


def _check_one(
    unsecured: Mapping[str, Any],
    proof: Mapping[str, Any],
    doc_hash: _DocumentHash,
    resolver: KeyResolver,
    canonicalizer: Canonicalizer,
    issuer_id: str,
    *,
    now: datetime,
    leeway: timedelta,
    purpose: str,
) -> tuple[PublicKey, datetime | None]:
    if proof.get("proofPurpose") != purpose:
        raise BadSignature(
            f"The proof was made for another purpose than {purpose}.", code="wrong_proof_purpose"
        )
    created = _parse_datetime(proof["created"], "creation date") if "created" in proof else None
    if created is not None and created > now + leeway:
        raise BadSignature("The proof says it was created in the future.", code="created_in_future")
    if "expires" in proof and _parse_datetime(proof["expires"], "expiry date") < now - leeway:
        raise BadSignature("The proof has expired.", code="proof_expired")
    vm = proof.get("verificationMethod")
    if isinstance(vm, Mapping):
        vm = vm.get("id")
    if not isinstance(vm, str):
        raise BadSignature("The proof does not name its key.", code="bad_proof")
    key = resolver.verification_method(vm, issuer_id, relationship=purpose)
    if (proof.get("type"), proof.get("cryptosuite")) == ("DataIntegrityProof", "ecdsa-sd-2023"):
        check_ecdsa_sd(unsecured, proof, key, canonicalizer)
        return key, created
    if key.alg != "EdDSA":
        raise BadSignature("The proof's key is not an Ed25519 key.", code="wrong_key_type")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise BadSignature("The proof's value is not base58btc multibase.", code="bad_proof_value")
    try:
        signature = b58decode(value[1:])
    except InvalidDid as exc:
        raise BadSignature("The proof's value is not base58btc.", code="bad_proof_value") from exc
    if len(signature) != 64:
        raise BadSignature("The proof's value is not an Ed25519 signature.", code="bad_proof_value")
    document = unsecured
    proof_context = proof.get("@context")
    if proof_context is not None:
        # §3.3.2 step 4: the document's @context must start with the proof's @context.
        doc_context = unsecured.get("@context")
        doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
        proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
        if doc_list[: len(proof_list)] != proof_list:
            raise BadSignature(
                "The proof was made over a different @context than the credential's.",
                code="context_mismatch",
            )
    config = proof_config(document, proof)
    data = hashlib.sha256(canonicalizer.canonicalize(config).encode("utf-8")).digest()
    try:
        key.verify(signature, data + doc_hash.digest())
    except InvalidSignature as exc:
        raise BadSignature() from exc
    return key, created
