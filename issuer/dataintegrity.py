"""Signing with a Data Integrity ``eddsa-rdfc-2022`` proof (W3C VC DI EdDSA §3.3).

The document (a credential, or a presentation with ``proof_purpose="authentication"``) is
canonicalized in safe mode before signing — a term no context defines is an
error, never silently unsigned data — with no base IRI. The proof is emitted as an array (OB 3.0
serialization rules: proof is a set). Nothing here checks the result; the caller
(:class:`issuer.CredentialIssuer`) verifies it with :mod:`verifier` before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from issuer.build import format_datetime
from keys import SigningKey, b58encode
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import hash_data, proof_config

__all__ = ["CRYPTOSUITE", "sign_data_integrity"]

CRYPTOSUITE = "eddsa-rdfc-2022"


def sign_data_integrity(
    credential: Mapping[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    created: datetime,
    canonicalizer: Canonicalizer,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an ``eddsa-rdfc-2022`` proof appended.

    ``challenge`` and ``domain`` (VC Data Integrity §2.1, for ``authentication`` proofs on a
    presentation) are signed as part of the proof options when given.

    Raises :class:`ValueError` for a non-Ed25519 key and
    :class:`verifier.errors.DataLoss` when the credential has undefined terms.
    """
    if key.alg != "EdDSA":
        raise ValueError("eddsa-rdfc-2022 needs an Ed25519 key")
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    signature = key.sign(hash_data(canonicalizer, unsecured, proof_config(unsecured, options)))
    proof = {**options, "proofValue": "z" + b58encode(signature)}
    existing = credential.get("proof")
    proofs = [] if existing is None else existing if isinstance(existing, list) else [existing]
    return {**unsecured, "proof": [*proofs, proof]}
