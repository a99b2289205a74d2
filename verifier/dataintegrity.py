"""Embedded Data Integrity proofs (VC Data Integrity; OB 3.0 §8.3).

This module recognises the proof suites OB 3.0 credentials use — ``DataIntegrityProof`` with
``eddsa-rdfc-2022`` (and the legacy ``eddsa-2022`` name) and ``Ed25519Signature2020`` — and
refuses everything else. Checking the signature itself needs RDF canonicalization and lands with
the eddsa-rdfc-2022 work; until then a recognised proof is reported as *could not check*
(:class:`~verifier.errors.ProofNotChecked`), never as valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keys import PublicKey
from verifier.errors import BadSignature, ProofNotChecked
from verifier.resolve import KeyResolver

__all__ = ["KNOWN_SUITES", "check_data_integrity"]

#: (proof type, cryptosuite) pairs we know; cryptosuite None for suites named by type alone.
KNOWN_SUITES = frozenset(
    {
        ("DataIntegrityProof", "eddsa-rdfc-2022"),
        ("DataIntegrityProof", "eddsa-2022"),
        ("Ed25519Signature2020", None),
    }
)


def _proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        raise BadSignature("The credential carries no proof.", code="no_proof")
    items = proof if isinstance(proof, list) else [proof]
    if not items or not all(isinstance(p, Mapping) for p in items):
        raise BadSignature("The credential's proof is not readable.", code="bad_proof")
    return items


def check_data_integrity(document: Mapping[str, Any], resolver: KeyResolver) -> PublicKey:
    """Check the embedded proofs; return the issuer key of the first valid one.

    Raises :class:`BadSignature` when no proof is of a suite we know, and
    :class:`ProofNotChecked` when a known suite cannot be checked by this version.
    """
    known = []
    for proof in _proofs(document):
        proof_type = proof.get("type")
        suite = proof.get("cryptosuite") if proof_type == "DataIntegrityProof" else None
        if (proof_type, suite) in KNOWN_SUITES:
            known.append(proof)
    if not known:
        raise BadSignature(
            "The credential's proof uses a signature suite that is unknown or not accepted.",
            code="unknown_cryptosuite",
        )
    raise ProofNotChecked(hint="Data Integrity verification is not available in this version.")
