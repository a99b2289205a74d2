"""The Data Integrity suites we verify, each one's own checks, and the seam between them.

:mod:`verifier.dataintegrity` does what every embedded proof shares — proof purpose, dates, the
verification method dereferenced and proven the issuer's — and then hands the proof to the
suite's *checker* (a :data:`SuiteCheck`) as a :class:`ProofJob`. A checker decodes the proof
value, hashes what the suite signs and checks the signature; it raises
:class:`~verifier.errors.BadSignature` (or returns). The checkers here:

* :func:`check_eddsa_rdfc` — ``eddsa-rdfc-2022`` (W3C VC DI EdDSA §3.3), also ``eddsa-2022``
  and ``Ed25519Signature2020`` (the same transformation and hashing, §3.1 of the 2020 suite):
  SHA-256(canonical proofConfig) ‖ SHA-256(canonical document), Ed25519 over those 64 bytes,
  the signature a base58btc ``proofValue``.
* :func:`check_ecdsa_rdfc_2019` — ``ecdsa-rdfc-2019`` (W3C VC DI ECDSA §3.2): the same shape
  with SHA-256 for P-256 keys and SHA-384 for P-384 keys (RDFC-1.0 itself hashes with the same
  function, §3.2.3), the signature IEEE P1363 ``r ‖ s`` (64 or 96 bytes) in base58btc.
* :func:`check_rsa_signature_2018` — ``RsaSignature2018`` (Linked Data Signatures 2018, W3C
  CCG "RSA Signature Suite 2018"): a detached JWS with unencoded payload (RFC 7797) over
  SHA-256(canonical proof options) ‖ SHA-256(canonical document).

A new suite is one function taking a :class:`ProofJob` plus one row in
:data:`verifier.dataintegrity.SUITES`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from keys import PublicKey, b58decode
from keys.errors import InvalidDid, InvalidSignature
from verifier.canonical import Canonicalizer
from verifier.errors import BadSignature

__all__ = [
    "DocumentDigests",
    "ProofJob",
    "Suite",
    "SuiteCheck",
    "check_ecdsa_rdfc_2019",
    "check_eddsa_rdfc",
    "check_rsa_signature_2018",
    "hash_data",
    "multibase_signature",
    "proof_config",
]

# The hash each ECDSA key signs with (VC DI ECDSA §3.2.4: P-256 → SHA-256, P-384 → SHA-384).
_ECDSA_HASHES = {"ES256": "sha256", "ES384": "sha384"}
_ECDSA_SIGNATURE_BYTES = {"ES256": 64, "ES384": 96}  # IEEE P1363 r ‖ s
_ED25519_SIGNATURE_BYTES = 64
_MAX_JWS_CHARS = 4096  # an 8192-bit RSA signature is 1,366 base64url characters
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class DocumentDigests:
    """The unsecured document's canonical hash, computed once per hash function however many
    proofs ask for it. RDFC-1.0 labels blank nodes with the same function as the outer hash."""

    def __init__(self, canonicalizer: Canonicalizer, document: Mapping[str, Any]) -> None:
        self._canonicalizer = canonicalizer
        self._document = document
        self._digests: dict[str, bytes] = {}

    @property
    def document(self) -> Mapping[str, Any]:
        """The unsecured document (without ``proof``)."""
        return self._document

    def digest(self, algorithm: str = "sha256") -> bytes:
        """``algorithm`` ("sha256" or "sha384") of the document's canonical N-Quads."""
        cached = self._digests.get(algorithm)
        if cached is None:
            canonical = self._canonicalizer.canonicalize(self._document, rdfc_hash=algorithm)
            cached = hashlib.new(algorithm, canonical.encode("utf-8")).digest()
            self._digests[algorithm] = cached
        return cached


@dataclass(frozen=True, slots=True)
class ProofJob:
    """One proof for a suite's checker to decide.

    ``key`` is already the issuer's (or the holder's) key, listed for the proof's purpose and of
    a type the suite accepts; ``proof`` is the one proof (a mapping, other proofs of a set
    removed); ``digests`` hashes the unsecured document.
    """

    proof: Mapping[str, Any]
    key: PublicKey
    canonicalizer: Canonicalizer
    digests: DocumentDigests

    @property
    def unsecured(self) -> Mapping[str, Any]:
        """The document without its ``proof``."""
        return self.digests.document


#: A suite's own checks: return when the proof holds, raise BadSignature otherwise.
SuiteCheck = Callable[[ProofJob], None]


@dataclass(frozen=True, slots=True)
class Suite:
    """One row of the suite table: how to check it and where it is accepted.

    ``name`` is what reports say; ``key_algs`` the key algorithms (:mod:`keys.algorithms`) the
    suite signs with; ``on_vc2`` whether VC 2.0 credentials may carry it (VC 1.1 always may);
    ``legacy`` whether a valid proof is reported with a note that the suite is superseded.
    """

    name: str
    check: SuiteCheck = field(repr=False)
    key_algs: frozenset[str]
    key_words: str
    on_vc2: bool = True
    legacy: bool = False


# -- shared steps --------------------------------------------------------------------------


def proof_config(document: Mapping[str, Any], proof: Mapping[str, Any]) -> dict[str, Any]:
    """The proof options that are signed: the proof minus ``proofValue``, in the doc's context."""
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    return config


def hash_data(
    canonicalizer: Canonicalizer,
    document: Mapping[str, Any],
    config: Mapping[str, Any],
    algorithm: str = "sha256",
) -> bytes:
    """H(canonical proof config) ‖ H(canonical document), proof first; H is ``algorithm``
    (SHA-256 gives 64 bytes, SHA-384 96), which RDFC-1.0 uses for its blank-node labels too."""

    def digest(doc: Mapping[str, Any]) -> bytes:
        canonical = canonicalizer.canonicalize(doc, rdfc_hash=algorithm)
        return hashlib.new(algorithm, canonical.encode("utf-8")).digest()

    return digest(config) + digest(document)


def multibase_signature(proof: Mapping[str, Any], length: int, what: str) -> bytes:
    """The bytes of a base58btc multibase ``proofValue`` of exactly ``length`` bytes.

    Raises :class:`BadSignature` (``bad_proof_value``) naming ``what`` signature was expected.
    """
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise BadSignature("The proof's value is not base58btc multibase.", code="bad_proof_value")
    if len(value) > 2 * length:  # base58 needs < 1.37 characters a byte; bounds decoding work
        raise BadSignature(f"The proof's value is not {what}.", code="bad_proof_value")
    try:
        signature = b58decode(value[1:])
    except InvalidDid as exc:
        raise BadSignature("The proof's value is not base58btc.", code="bad_proof_value") from exc
    if len(signature) != length:
        raise BadSignature(f"The proof's value is not {what}.", code="bad_proof_value")
    return signature


def _check_context_prefix(job: ProofJob) -> None:
    """VC DI §4.2 (verify proof) step: the document's @context must start with the proof's."""
    proof_context = job.proof.get("@context")
    if proof_context is None:
        return
    doc_context = job.unsecured.get("@context")
    doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    if doc_list[: len(proof_list)] != proof_list:
        raise BadSignature(
            "The proof was made over a different @context than the credential's.",
            code="context_mismatch",
        )


def _b64url(segment: str) -> bytes | None:
    """Unpadded base64url (RFC 7515 §2) bytes of ``segment``, or None if it is not that."""
    if _BASE64URL.fullmatch(segment) is None or len(segment) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _verify(key: PublicKey, signature: bytes, data: bytes) -> None:
    try:
        key.verify(signature, data)
    except InvalidSignature as exc:
        raise BadSignature() from exc


# -- the suites ------------------------------------------------------------------------------


def check_eddsa_rdfc(job: ProofJob) -> None:
    """eddsa-rdfc-2022 (VC DI EdDSA §3.3), eddsa-2022 and Ed25519Signature2020: Ed25519 over
    SHA-256(canonical proofConfig) ‖ SHA-256(canonical document)."""
    signature = multibase_signature(job.proof, _ED25519_SIGNATURE_BYTES, "an Ed25519 signature")
    _check_context_prefix(job)
    config = proof_config(job.unsecured, job.proof)
    canonical = job.canonicalizer.canonicalize(config)
    data = hashlib.sha256(canonical.encode("utf-8")).digest() + job.digests.digest("sha256")
    _verify(job.key, signature, data)


def check_ecdsa_rdfc_2019(job: ProofJob) -> None:
    """ecdsa-rdfc-2019 (VC DI ECDSA §3.2.2–§3.2.7): ECDSA over H(canonical proofConfig) ‖
    H(canonical document), H and the RDFC-1.0 hash being SHA-256 for P-256 and SHA-384 for
    P-384; the signature is P1363 ``r ‖ s``."""
    algorithm = _ECDSA_HASHES[job.key.alg]
    length = _ECDSA_SIGNATURE_BYTES[job.key.alg]
    curve = "P-256" if job.key.alg == "ES256" else "P-384"
    signature = multibase_signature(job.proof, length, f"a {curve} ECDSA signature")
    _check_context_prefix(job)
    config = proof_config(job.unsecured, job.proof)
    canonical = job.canonicalizer.canonicalize(config, rdfc_hash=algorithm)
    data = hashlib.new(algorithm, canonical.encode("utf-8")).digest()
    _verify(job.key, signature, data + job.digests.digest(algorithm))


# RsaSignature2018: the JWS header must be exactly this, but for the algorithm. The CCG suite
# and the Java implementations (danubetech, behind the 1EdTech validator) sign RS256; Digital
# Bazaar's jsonld-signatures (≤ v6, the suite's original implementation) signs PS256.
_RSA_2018_HEADER_KEYS = frozenset({"alg", "b64", "crit"})
SECURITY_V2_CONTEXT = "https://w3id.org/security/v2"
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def check_rsa_signature_2018(job: ProofJob) -> None:
    """RsaSignature2018: a detached, unencoded-payload JWS (RFC 7797) over
    SHA-256(canonical proof options) ‖ SHA-256(canonical document).

    The proof options are the proof without ``jws`` (and without ``proofValue`` and
    ``signatureValue``) in the Security v2 context, as Linked Data Signatures and Digital
    Bazaar's jsonld-signatures canonicalize them (not the document's: the VC 1.1 context's
    RsaSignature2018 terms use ``sec:`` and ``xsd:`` prefixes it never defines). The header is
    exactly ``{"alg": "RS256" | "PS256", "b64": false, "crit": ["b64"]}``; the JWS signing
    input is the ASCII base64url header, a ``.`` and the 64 hash bytes.
    """
    jws = job.proof.get("jws")
    if not isinstance(jws, str) or len(jws) > _MAX_JWS_CHARS or jws.count(".") != 2:
        raise BadSignature("The proof has no detached JWS.", code="bad_proof_value")
    encoded_header, payload, encoded_signature = jws.split(".")
    header_bytes = _b64url(encoded_header) if len(encoded_header) <= 256 else None
    signature = _b64url(encoded_signature)
    if payload or header_bytes is None or not signature:
        raise BadSignature("The proof's JWS is not a detached JWS.", code="bad_proof_value")
    try:
        header = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadSignature("The proof's JWS header is not JSON.", code="bad_proof_value") from exc
    if (
        not isinstance(header, dict)
        or header.keys() != _RSA_2018_HEADER_KEYS
        or header["b64"] is not False
        or header["crit"] != ["b64"]
        or header["alg"] not in ("RS256", "PS256")
    ):
        raise BadSignature(
            "The proof's JWS header is not the one RsaSignature2018 uses.", code="bad_proof_value"
        )
    options = {
        k: v for k, v in job.proof.items() if k not in ("jws", "proofValue", "signatureValue")
    }
    options["@context"] = SECURITY_V2_CONTEXT
    canonical = job.canonicalizer.canonicalize(options)
    verify_data = hashlib.sha256(canonical.encode("utf-8")).digest() + job.digests.digest()
    signing_input = encoded_header.encode("ascii") + b"." + verify_data
    if header["alg"] == "RS256":
        _verify(job.key, signature, signing_input)
        return
    key = job.key.key
    assert isinstance(key, rsa.RSAPublicKey)  # the suite's key_algs admit RS256 keys only
    try:
        key.verify(signature, signing_input, _PSS_SHA256, hashes.SHA256())
    except _CryptoInvalidSignature as exc:
        raise BadSignature() from exc
