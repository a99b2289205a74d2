"""Embedded Data Integrity proofs: every suite we verify, and the steps they share.

Verification follows W3C VC Data Integrity §4.2 and each suite's own "verify proof" section:
for a proof set, each proof is checked against the document with the whole ``proof`` property
removed, and any one valid proof suffices (OB 3.0 §8.1). For one proof:

1. The suite — (``type``, ``cryptosuite``) — must be a row of :data:`SUITES`, and the row must
   allow the credential's VC version (VC 1.1 when the first @context is the VC 1.1 one).
2. ``proofPurpose`` must be the expected one (``assertionMethod`` for credentials);
   ``created`` must be a date-time not in the future (clock skew allowed); ``expires``, if
   present, not past.
3. The verification method is dereferenced — never read from a URL fragment — and must be a
   key that the *issuer* controls and lists under the purpose
   (:meth:`verifier.resolve.KeyResolver.verification_method`), of a type the suite signs with.
4. The suite's checker (:mod:`verifier.suites`) decodes the proof value, hashes what the suite
   signs and checks the signature.

A valid proof of a legacy suite (``eddsa-2022``, ``Ed25519Signature2020``,
``RsaSignature2018``) is verified with a note saying so, never failed for it.

**Adding a suite**: write a checker ``(ProofJob) -> None`` that raises
:class:`~verifier.errors.BadSignature` (see :mod:`verifier.suites`; import the seam types from
there, not from here, so that the suite's module can be imported by this one) and add one row
to :data:`SUITES`, keyed by (proof type, cryptosuite or None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keys import PublicKey
from verifier.canonical import Canonicalizer
from verifier.ecdsa_sd import check_ecdsa_sd
from verifier.errors import BadSignature, DataLoss, VerificationError
from verifier.resolve import KeyResolver
from verifier.suites import (
    DocumentDigests,
    ProofJob,
    Suite,
    check_ecdsa_rdfc_2019,
    check_eddsa_rdfc,
    check_rsa_signature_2018,
    hash_data,
    proof_config,
)

__all__ = [
    "SUITES",
    "CheckedProof",
    "check_data_integrity",
    "hash_data",
    "proof_config",
    "suite_of",
]

_VC11_CONTEXT = "https://www.w3.org/2018/credentials/v1"

_ED25519 = frozenset({"EdDSA"})


def _check_ecdsa_sd(job: ProofJob) -> None:
    check_ecdsa_sd(job.unsecured, job.proof, job.key, job.canonicalizer)


#: Every suite we verify: (proof type, cryptosuite — None for suites that have none) → Suite.
SUITES: Mapping[tuple[str, str | None], Suite] = {
    ("DataIntegrityProof", "eddsa-rdfc-2022"): Suite(
        "eddsa-rdfc-2022", check_eddsa_rdfc, _ED25519, "an Ed25519 key"
    ),
    ("DataIntegrityProof", "ecdsa-rdfc-2019"): Suite(
        "ecdsa-rdfc-2019",
        check_ecdsa_rdfc_2019,
        frozenset({"ES256", "ES384"}),
        "a P-256 or P-384 key",
    ),
    # Selective disclosure: base and derived proofs (verifier.ecdsa_sd), P-256 only.
    ("DataIntegrityProof", "ecdsa-sd-2023"): Suite(
        "ecdsa-sd-2023", _check_ecdsa_sd, frozenset({"ES256"}), "a P-256 key"
    ),
    # The 2022 draft name of eddsa-rdfc-2022: the same algorithm.
    ("DataIntegrityProof", "eddsa-2022"): Suite(
        "eddsa-2022", check_eddsa_rdfc, _ED25519, "an Ed25519 key", legacy=True
    ),
    ("Ed25519Signature2020", None): Suite(
        "Ed25519Signature2020", check_eddsa_rdfc, _ED25519, "an Ed25519 key", legacy=True
    ),
    # Linked Data Signatures 2018: VC 1.1 only (the VC 2.0 context does not define it).
    ("RsaSignature2018", None): Suite(
        "RsaSignature2018",
        check_rsa_signature_2018,
        frozenset({"RS256"}),
        "an RSA key",
        on_vc2=False,
        legacy=True,
    ),
}


@dataclass(frozen=True, slots=True)
class CheckedProof:
    """The proof that held: the key that made it, its ``created`` time (None when it states
    none), its suite, and notes for the report (e.g. that the suite is legacy)."""

    key: PublicKey
    created: datetime | None
    suite: str
    notes: tuple[str, ...] = ()


def suite_of(proof: Mapping[str, Any]) -> Suite | None:
    """The :data:`SUITES` row of ``proof``, or None when we do not know its suite."""
    proof_type = proof.get("type")
    if not isinstance(proof_type, str):
        return None
    # Only DataIntegrityProof names a cryptosuite; the older proof types are their own suite.
    suite = proof.get("cryptosuite") if proof_type == "DataIntegrityProof" else None
    if not isinstance(suite, str | None):
        return None
    return SUITES.get((proof_type, suite))


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


def check_data_integrity(
    document: Mapping[str, Any],
    resolver: KeyResolver,
    canonicalizer: Canonicalizer,
    *,
    now: datetime,
    leeway: timedelta,
    purpose: str = "assertionMethod",
    controller: str | None = None,
) -> CheckedProof:
    """Verify the document's embedded proofs; return the first valid one as a
    :class:`CheckedProof`.

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
    digests = DocumentDigests(canonicalizer, unsecured)
    # Data loss is a property of the document: find it before judging any key or proof.
    digests.digest()
    first_error: VerificationError | None = None
    for proof in proofs:
        suite = suite_of(proof)
        if suite is None:
            continue
        try:
            if not suite.on_vc2 and not is_vc11:
                raise BadSignature(
                    f"The {suite.name} signature suite is only accepted on VC 1.1 credentials.",
                    code="legacy_suite_on_vc2",
                )
            return _check_one(
                suite,
                proof,
                digests,
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
    suite: Suite,
    proof: Mapping[str, Any],
    digests: DocumentDigests,
    resolver: KeyResolver,
    canonicalizer: Canonicalizer,
    issuer_id: str,
    *,
    now: datetime,
    leeway: timedelta,
    purpose: str,
) -> CheckedProof:
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
    if key.alg not in suite.key_algs:
        raise BadSignature(
            f"The {suite.name} proof's key is not {suite.key_words}.", code="wrong_key_type"
        )
    suite.check(ProofJob(proof, key, canonicalizer, digests))
    notes = (
        (
            f"Signed with {suite.name}, an older signature suite that is still accepted; "
            "newer credentials use Data Integrity eddsa-rdfc-2022 or ecdsa-rdfc-2019.",
        )
        if suite.legacy
        else ()
    )
    return CheckedProof(key, created, suite.name, notes)
