"""Signing with a Data Integrity proof: ``eddsa-rdfc-2022`` (W3C VC DI EdDSA §3.3, the default)
or ``ecdsa-rdfc-2019`` (W3C VC DI ECDSA §3.2: P-256 with SHA-256, P-384 with SHA-384, the
signature IEEE P1363 ``r ‖ s``).

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

__all__ = ["CRYPTOSUITE", "CRYPTOSUITES", "sign_data_integrity"]

#: The default suite.
CRYPTOSUITE = "eddsa-rdfc-2022"

#: The suites we sign with → the key algorithms each takes and the hash each of those uses.
CRYPTOSUITES: dict[str, dict[str, str]] = {
    "eddsa-rdfc-2022": {"EdDSA": "sha256"},
    "ecdsa-rdfc-2019": {"ES256": "sha256", "ES384": "sha384"},
}


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
    cryptosuite: str = CRYPTOSUITE,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with a ``cryptosuite`` proof appended.

    ``challenge`` and ``domain`` (VC Data Integrity §2.1, for ``authentication`` proofs on a
    presentation) are signed as part of the proof options when given.

    Raises :class:`ValueError` for an unknown suite or a key the suite does not sign with
    (eddsa-rdfc-2022: Ed25519; ecdsa-rdfc-2019: P-256 or P-384), and
    :class:`verifier.errors.DataLoss` when the credential has undefined terms.
    """
    hashes = CRYPTOSUITES.get(cryptosuite)
    if hashes is None:
        raise ValueError(f"unknown cryptosuite {cryptosuite!r}")
    algorithm = hashes.get(key.alg)
    if algorithm is None:
        raise ValueError(f"{cryptosuite} cannot sign with a {key.alg} key")
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    config = proof_config(unsecured, options)
    signature = key.sign(hash_data(canonicalizer, unsecured, config, algorithm))
    proof = {**options, "proofValue": "z" + b58encode(signature)}
    existing = credential.get("proof")
    proofs = [] if existing is None else existing if isinstance(existing, list) else [existing]
    return {**unsecured, "proof": [*proofs, proof]}
