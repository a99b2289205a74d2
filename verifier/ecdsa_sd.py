"""Selective-disclosure Data Integrity proofs: ``DataIntegrityProof`` + ``ecdsa-sd-2023``.

W3C Data Integrity ECDSA Cryptosuites v1.0, §3.4–3.6 (ecdsa-sd-2023). An issuer signs a
*base proof*: a P-256 signature over SHA-256(canonical proof options) ‖ an ephemeral,
proof-scoped P-256 public key ‖ SHA-256(the *mandatory* statements), plus one signature per
other (*non-mandatory*) statement made with the proof-scoped key. Blank nodes are relabelled
with HMAC-SHA-256 of their canonical labels so that labels leak nothing. The holder then
*derives* a proof that discloses the mandatory statements and a chosen subset of the others,
carrying only the signatures and HMAC labels of what is disclosed.

``proofValue`` is multibase base64url-no-pad (``u``) of a three-byte header and CBOR
(RFC 8949, no tags):

* base (``0xd9 0x5d 0x00``): ``[baseSignature(64), publicKey(35), hmacKey(32),
  signatures[64…], mandatoryPointers[str…]]``;
* derived (``0xd9 0x5d 0x01``): ``[baseSignature(64), publicKey(35), signatures[64…],
  {int: bytes(32)} compressed label map, mandatoryIndexes[int…]]``.

Verifying a derived proof (§3.6.7 createVerifyData, §3.6.8 verify): canonicalize the disclosed
document (RDFC-1.0), replace each ``_:c14nN`` with its label from the proof's label map, sort;
the statements at ``mandatoryIndexes`` are the mandatory ones, the others must match the
signatures one to one. A base proof is verified the way its holder checks it before deriving:
the labels are recomputed with the proof's HMAC key, and the mandatory statements are the ones
the ``mandatoryPointers`` select (JSON pointers into the skolemized document, §3.4.11
canonicalizeAndGroup). Either way the issuer's key must be P-256 and so must the proof-scoped
key. Verify-only: we do not issue this suite (``docs/decisions.md``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import io
import itertools
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec
from pyld import jsonld

from keys import PublicKey
from keys.errors import InvalidSignature
from verifier.canonical import Canonicalizer, labelled_canonical_dataset
from verifier.errors import BadSignature

__all__ = [
    "SUITE",
    "SdBaseProof",
    "SdDerivedProof",
    "check_ecdsa_sd",
    "parse_sd_proof_value",
]

SUITE: Final = "ecdsa-sd-2023"
_BASE_HEADER: Final = b"\xd9\x5d\x00"
_DERIVED_HEADER: Final = b"\xd9\x5d\x01"
_P256_MULTIKEY_PREFIX: Final = b"\x80\x24"  # multicodec p256-pub 0x1200, unsigned varint
_PUBLIC_KEY_BYTES: Final = 35  # prefix + 33-byte SEC 1 compressed point
_SIGNATURE_BYTES: Final = 64
_HMAC_KEY_BYTES: Final = 32
_LABEL_BYTES: Final = 32
#: Bounds the work a hostile proofValue can cause (a derived proof of a few thousand
#: statements is well under this).
_MAX_PROOF_VALUE_CHARS: Final = 1_000_000
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_CANONICAL_LABEL: Final = re.compile(r"c14n(0|[1-9][0-9]*)")
_MAX_CBOR_DEPTH: Final = 4
#: RFC 8949 tag 64 (uint8 typed array): the reference implementation reads it as a byte
#: string, so some issuers emit it; no other tag is accepted (§3.5.2: "CBOR tagging MUST NOT
#: be used").
_UINT8_ARRAY_TAG: Final = 64


@dataclass(frozen=True, slots=True)
class SdBaseProof:
    """The components of a base ``proofValue`` (header ``0xd9 0x5d 0x00``), types checked."""

    base_signature: bytes
    public_key: bytes
    hmac_key: bytes
    signatures: tuple[bytes, ...]
    mandatory_pointers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SdDerivedProof:
    """The components of a derived ``proofValue`` (header ``0xd9 0x5d 0x01``), types checked.

    ``label_map`` maps a canonical label (``c14nN``) to its replacement (``u`` + base64url of
    the 32-byte HMAC); ``mandatory_indexes`` are distinct, non-negative and ascending.
    """

    base_signature: bytes
    public_key: bytes
    signatures: tuple[bytes, ...]
    label_map: Mapping[str, str]
    mandatory_indexes: tuple[int, ...]


def _bad_value(message: str) -> BadSignature:
    return BadSignature(message, code="bad_proof_value")


def _bad_cbor(message: str) -> BadSignature:
    return BadSignature(message, code="bad_proof_cbor")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_sd_proof_value(value: object) -> SdBaseProof | SdDerivedProof:
    """Decode an ecdsa-sd-2023 ``proofValue`` (§3.5.2 parseBaseProofValue, §3.5.7
    parseDerivedProofValue).

    Raises :class:`BadSignature` with code ``bad_proof_value`` (not a ``u`` multibase
    base64url-no-pad string), ``bad_proof_header`` (neither header) or ``bad_proof_cbor`` (not
    CBOR, tagged, trailing bytes, or components of the wrong shape).
    """
    if not isinstance(value, str) or not value.startswith("u"):
        raise _bad_value("The proof's value is not multibase base64url (it must start with 'u').")
    if len(value) > _MAX_PROOF_VALUE_CHARS:
        raise _bad_value("The proof's value is too long.")
    body = value[1:]
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise _bad_value("The proof's value is not base64url without padding.")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _bad_value("The proof's value is not base64url without padding.") from exc
    header, payload = raw[:3], raw[3:]
    if header not in (_BASE_HEADER, _DERIVED_HEADER):
        raise BadSignature(
            "The proof's value does not start with an ecdsa-sd-2023 base or derived header.",
            code="bad_proof_header",
        )
    components = _decode_cbor(payload)
    if not isinstance(components, list) or len(components) != 5:
        raise _bad_cbor("The proof's value is not the five components ecdsa-sd-2023 defines.")
    if header == _BASE_HEADER:
        return _base_components(components)
    return _derived_components(components)


def _no_tags(tag: cbor2.CBORTag, _immutable: bool) -> Any:
    # Tags cbor2 decodes itself (dates, bignums, sets…) yield types the shape checks refuse.
    if tag.tag == _UINT8_ARRAY_TAG and isinstance(tag.value, bytes):
        return tag.value
    raise cbor2.CBORDecodeError(f"CBOR tag {tag.tag} is not allowed")


def _decode_cbor(payload: bytes) -> object:
    stream = io.BytesIO(payload)
    try:
        decoder = cbor2.CBORDecoder(
            stream,
            tag_hook=_no_tags,
            read_size=1,
            max_depth=_MAX_CBOR_DEPTH,
            allow_duplicate_keys=False,
        )
        decoded: object = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _bad_cbor("The proof's value is not readable CBOR.") from exc
    if stream.tell() != len(payload):
        raise _bad_cbor("The proof's value has bytes after its CBOR data.")
    return decoded


def _as_bytes(value: object, length: int, what: str) -> bytes:
    if isinstance(value, cbor2.CBORTag) and value.tag == _UINT8_ARRAY_TAG:
        value = value.value
    if not isinstance(value, bytes) or len(value) != length:
        raise _bad_cbor(f"The proof's {what} is not {length} bytes.")
    return value


def _signature_list(value: object) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise _bad_cbor("The proof's statement signatures are not a list.")
    return tuple(_as_bytes(item, _SIGNATURE_BYTES, "statement signature") for item in value)


def _base_components(components: list[Any]) -> SdBaseProof:
    base_signature, public_key, hmac_key, signatures, pointers = components
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise _bad_cbor("The proof's mandatory pointers are not a list of strings.")
    return SdBaseProof(
        base_signature=_as_bytes(base_signature, _SIGNATURE_BYTES, "base signature"),
        public_key=_as_bytes(public_key, _PUBLIC_KEY_BYTES, "proof-scoped key"),
        hmac_key=_as_bytes(hmac_key, _HMAC_KEY_BYTES, "HMAC key"),
        signatures=_signature_list(signatures),
        mandatory_pointers=tuple(pointers),
    )


def _derived_components(components: list[Any]) -> SdDerivedProof:
    base_signature, public_key, signatures, compressed, indexes = components
    if not isinstance(compressed, dict):
        raise _bad_cbor("The proof's label map is not a map.")
    label_map: dict[str, str] = {}
    for key, label in compressed.items():
        # bool is an int in Python; CBOR true/false are not labels.
        if not isinstance(key, int) or isinstance(key, bool) or key < 0:
            raise _bad_cbor("The proof's label map has a key that is not a canonical index.")
        label_map[f"c14n{key}"] = "u" + _b64url(_as_bytes(label, _LABEL_BYTES, "blank-node label"))
    if len(set(label_map.values())) != len(label_map):
        raise BadSignature(
            "The proof's label map gives two blank nodes the same label.", code="bad_label_map"
        )
    if not isinstance(indexes, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in indexes
    ):
        raise _bad_cbor("The proof's mandatory indexes are not a list of integers.")
    if any(i < 0 for i in indexes) or any(a >= b for a, b in itertools.pairwise(indexes)):
        raise BadSignature(
            "The proof's mandatory indexes are not distinct, ascending statement numbers.",
            code="bad_mandatory_indexes",
        )
    return SdDerivedProof(
        base_signature=_as_bytes(base_signature, _SIGNATURE_BYTES, "base signature"),
        public_key=_as_bytes(public_key, _PUBLIC_KEY_BYTES, "proof-scoped key"),
        signatures=_signature_list(signatures),
        label_map=label_map,
        mandatory_indexes=tuple(indexes),
    )


def _proof_scoped_key(raw: bytes) -> PublicKey:
    """The ephemeral key: a P-256 Multikey (``0x80 0x24`` + compressed point), §3.5.2."""
    if raw[:2] != _P256_MULTIKEY_PREFIX or raw[2] not in (0x02, 0x03):
        raise BadSignature(
            "The proof's proof-scoped key is not a P-256 public key.", code="bad_proof_scoped_key"
        )
    try:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
    except ValueError as exc:
        raise BadSignature(
            "The proof's proof-scoped key is not a point on the P-256 curve.",
            code="bad_proof_scoped_key",
        ) from exc
    return PublicKey("ES256", point)


def check_ecdsa_sd(
    unsecured: Mapping[str, Any],
    proof: Mapping[str, Any],
    key: PublicKey,
    canonicalizer: Canonicalizer,
) -> None:
    """Verify one ``ecdsa-sd-2023`` proof (base or derived) of ``unsecured`` (the document
    without ``proof``) with the issuer's resolved ``key``.

    The caller has checked suite, purpose, dates and that ``key`` belongs to the issuer.

    Raises :class:`BadSignature` — codes ``wrong_key_type`` (the issuer key is not P-256),
    ``context_mismatch``, the parse codes of :func:`parse_sd_proof_value`,
    ``bad_proof_scoped_key``, ``bad_label_map``, ``bad_mandatory_indexes``,
    ``bad_mandatory_pointer``, ``signature_count_mismatch``, or ``bad_signature`` (a statement
    or the base signature does not match) — or :class:`~verifier.errors.DataLoss` /
    another :class:`~verifier.errors.VerificationError` from canonicalization.
    """
    if key.alg != "ES256":
        raise BadSignature(
            "The proof's key is not a P-256 key, which ecdsa-sd-2023 requires.",
            code="wrong_key_type",
        )
    _check_proof_context(unsecured, proof)
    parsed = parse_sd_proof_value(proof.get("proofValue"))
    scoped_key = _proof_scoped_key(parsed.public_key)
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = unsecured["@context"]
    proof_hash = hashlib.sha256(canonicalizer.canonicalize(config).encode("utf-8")).digest()
    if isinstance(parsed, SdDerivedProof):
        mandatory, non_mandatory = _derived_statements(unsecured, parsed, canonicalizer)
    else:
        mandatory, non_mandatory = _base_statements(unsecured, parsed, canonicalizer)
    if len(parsed.signatures) != len(non_mandatory):
        raise BadSignature(
            f"The proof carries {len(parsed.signatures)} statement signatures for "
            f"{len(non_mandatory)} disclosed statements: statements were added or removed.",
            code="signature_count_mismatch",
        )
    # §3.6.8 verify: every non-mandatory statement with the proof-scoped key…
    for signature, statement in zip(parsed.signatures, non_mandatory, strict=True):
        try:
            scoped_key.verify(signature, statement.encode("utf-8"))
        except InvalidSignature as exc:
            raise BadSignature(
                "A disclosed statement does not match its signature: the credential was "
                "changed after it was signed."
            ) from exc
    # …and the issuer's signature over the proof options, that key and the mandatory ones.
    mandatory_hash = hashlib.sha256("".join(mandatory).encode("utf-8")).digest()
    try:
        key.verify(parsed.base_signature, proof_hash + parsed.public_key + mandatory_hash)
    except InvalidSignature as exc:
        raise BadSignature() from exc


def _check_proof_context(unsecured: Mapping[str, Any], proof: Mapping[str, Any]) -> None:
    proof_context = proof.get("@context")
    if proof_context is None:
        return
    # VC Data Integrity §4.3 step 4: the document's @context must start with the proof's.
    doc_context = unsecured.get("@context")
    doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    if doc_list[: len(proof_list)] != proof_list:
        raise BadSignature(
            "The proof was made over a different @context than the credential's.",
            code="context_mismatch",
        )


# --------------------------------------------------------------------------------------------
# Derived proofs


def _derived_statements(
    unsecured: Mapping[str, Any], parsed: SdDerivedProof, canonicalizer: Canonicalizer
) -> tuple[list[str], list[str]]:
    """§3.6.7 createVerifyData steps 3–5: relabel, sort, split by the mandatory indexes."""
    canonical = canonicalizer.canonicalize(unsecured)
    lines = [line + "\n" for line in canonical.split("\n") if line]
    labels = {label for line in lines for label in _blank_labels(line)}
    missing = labels - parsed.label_map.keys()
    if missing:
        raise BadSignature(
            "The proof's label map does not cover every blank node of the disclosed credential.",
            code="bad_label_map",
        )
    statements = sorted(_relabel(line, parsed.label_map) for line in lines)
    indexes = parsed.mandatory_indexes
    if indexes and indexes[-1] >= len(statements):
        raise BadSignature(
            "The proof names a mandatory statement the credential does not have.",
            code="bad_mandatory_indexes",
        )
    chosen = set(indexes)
    mandatory = [s for i, s in enumerate(statements) if i in chosen]
    non_mandatory = [s for i, s in enumerate(statements) if i not in chosen]
    return mandatory, non_mandatory


def _split_terms(line: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the blank-node terms of one canonical N-Quad line.

    Canonical N-Quads (RDFC-1.0 §4.4): ``S P O [G] .`` with single spaces; only S, O and G may
    be blank nodes, and a literal O may itself contain text that looks like one, so the literal
    is skipped by its escapes, not by searching.
    """
    spans: list[tuple[int, int]] = []
    end = line.index(" ")
    if line.startswith("_:"):
        spans.append((0, end))
    pos = line.index(" ", end + 1) + 1  # skip the predicate IRI (no spaces in an IRI)
    if line.startswith('"', pos):
        i = pos + 1
        while line[i] != '"':
            i += 2 if line[i] == "\\" else 1
        pos = line.index(" ", i + 1)
    else:
        obj_end = line.index(" ", pos)
        if line.startswith("_:", pos):
            spans.append((pos, obj_end))
        pos = obj_end
    rest = line[pos + 1 :]
    if rest.startswith("_:"):
        spans.append((pos + 1, pos + 1 + rest.index(" ")))
    return spans


def _blank_labels(line: str) -> Iterable[str]:
    return (line[start + 2 : end] for start, end in _split_terms(line))


def _relabel(line: str, labels: Mapping[str, str]) -> str:
    out: list[str] = []
    last = 0
    for start, end in _split_terms(line):
        out.append(line[last:start])
        out.append("_:" + labels[line[start + 2 : end]])
        last = end
    out.append(line[last:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Base proofs


def _base_statements(
    unsecured: Mapping[str, Any], parsed: SdBaseProof, canonicalizer: Canonicalizer
) -> tuple[list[str], list[str]]:
    """§3.4.11 canonicalizeAndGroup with the proof's HMAC key and mandatory pointers.

    The document is skolemized (every blank node gets a unique ``urn:bnid:`` IRI) so that the
    statements the pointers select can be found among the document's own, then deskolemized and
    canonicalized; each canonical label ``c14nN`` becomes ``u`` + base64url(HMAC(hmacKey,
    "c14nN")).
    """
    prefix = f"urn:bnid:{uuid.uuid4().hex}_"
    expanded = canonicalizer.expand(unsecured)
    skolemized = _skolemize(expanded, prefix)
    dataset = canonicalizer.expanded_dataset(skolemized)
    _deskolemize_dataset(dataset, prefix)
    canonical, c14n_of = labelled_canonical_dataset(dataset)

    def hmac_label(c14n: str) -> str:
        return "u" + _b64url(hmac.new(parsed.hmac_key, c14n.encode("utf-8"), "sha256").digest())

    final = {c14n: hmac_label(c14n) for c14n in c14n_of.values()}
    statements = sorted(_relabel(line, final) for line in canonical)
    if not parsed.mandatory_pointers:
        return [], statements
    compact = canonicalizer.compact(skolemized, unsecured["@context"])
    selection = _select(compact, parsed.mandatory_pointers)
    selected_rdf = canonicalizer.expanded_dataset(canonicalizer.expand(selection))
    text: str = jsonld.JsonLdProcessor.to_nquads(selected_rdf)
    skolem_iri = re.compile("<" + re.escape(prefix) + r"(\d+)>")

    def to_label(match: re.Match[str]) -> str:
        c14n = c14n_of.get(f"s{match.group(1)}")
        if c14n is None:  # pragma: no cover - every skolem IRI came from the full document
            raise BadSignature("A mandatory pointer selects no statement.", code="bad_signature")
        return "_:" + final[c14n]

    selected = {skolem_iri.sub(to_label, line) + "\n" for line in text.split("\n") if line}
    mandatory = [s for s in statements if s in selected]
    non_mandatory = [s for s in statements if s not in selected]
    return mandatory, non_mandatory


def _skolemize(expanded: list[Any], prefix: str) -> list[Any]:
    """Give every node object of expanded JSON-LD an IRI ``prefix`` + n (explicit ``_:x``
    ids keep one IRI per label); value objects are left as they are."""
    counter = 0
    explicit: dict[str, str] = {}

    def new_iri() -> str:
        nonlocal counter
        iri = f"{prefix}{counter}"
        counter += 1
        return iri

    def walk(element: Any) -> Any:
        if isinstance(element, list):
            return [walk(item) for item in element]
        if not isinstance(element, dict) or "@value" in element:
            return element
        node = {key: walk(value) if key != "@type" else value for key, value in element.items()}
        if "@list" in node or "@set" in node:
            return node
        node_id = node.get("@id")
        if node_id is None:
            node["@id"] = new_iri()
        elif isinstance(node_id, str) and node_id.startswith("_:"):
            if node_id not in explicit:
                explicit[node_id] = new_iri()
            node["@id"] = explicit[node_id]
        return node

    result: list[Any] = walk(expanded)
    return result


def _deskolemize_dataset(dataset: dict[str, Any], prefix: str) -> None:
    """Turn the skolem IRIs back into blank nodes ``_:s<n>``, in place (graph names too)."""

    def term(value: Any) -> None:
        if (
            isinstance(value, dict)
            and value.get("type") == "IRI"
            and value.get("value", "").startswith(prefix)
        ):
            value["type"] = "blank node"
            value["value"] = "_:s" + value["value"][len(prefix) :]

    for name in list(dataset):
        triples = dataset[name]
        for triple in triples:
            term(triple.get("subject"))
            term(triple.get("object"))
        if name.startswith(prefix):
            dataset["_:s" + name[len(prefix) :]] = dataset.pop(name)


def _parse_pointer(pointer: str) -> list[str]:
    """RFC 6901 reference tokens; ``""`` (the whole document) is the empty list."""
    if pointer == "":
        return []
    if not pointer.startswith("/") or re.search(r"~(?![01])", pointer):
        raise BadSignature(
            f"The proof's mandatory pointer {pointer[:80]!r} is not a JSON pointer.",
            code="bad_mandatory_pointer",
        )
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


class _SparseArray(dict[int, Any]):
    """A selected array while pointers fill it: index → value, made dense (in order) at the end."""


def _init_selection(source: Any) -> dict[str, Any]:
    selection: dict[str, Any] = {}
    if isinstance(source, Mapping):
        node_id = source.get("id")
        if isinstance(node_id, str) and not node_id.startswith("_:"):
            selection["id"] = node_id
        if "type" in source:
            selection["type"] = source["type"]
    return selection


def _select(document: Mapping[str, Any], pointers: Iterable[str]) -> dict[str, Any]:
    """§3.4.13 selectJsonLd: the pointed-at values, with each ancestor's ``id`` and ``type``."""
    selection: dict[str, Any] = {"@context": document["@context"], **_init_selection(document)}
    for pointer in pointers:
        tokens = _parse_pointer(pointer)
        if not tokens:
            return copy.deepcopy(dict(document))
        value: Any = document
        parent: Any = selection
        for position, token in enumerate(tokens, start=1):
            value = _step(value, token, pointer)
            key: Any = int(token) if isinstance(parent, _SparseArray | list) else token
            existing = parent[key] if isinstance(parent, list) else parent.get(key)
            if position == len(tokens):
                if isinstance(value, Mapping) and type(existing) is dict:
                    parent[key] = {**existing, **copy.deepcopy(dict(value))}
                else:
                    parent[key] = copy.deepcopy(value)
            elif existing is None:
                existing = _SparseArray() if isinstance(value, list) else _init_selection(value)
                parent[key] = existing
            parent = existing
    dense: dict[str, Any] = _densify(selection)
    return dense


def _step(value: Any, token: str, pointer: str) -> Any:
    if isinstance(value, list):
        if token.isdigit() and int(token) < len(value):
            return value[int(token)]
    elif isinstance(value, Mapping) and token in value:
        return value[token]
    raise BadSignature(
        f"The proof's mandatory pointer {pointer[:80]!r} does not match the credential.",
        code="bad_mandatory_pointer",
    )


def _densify(value: Any) -> Any:
    if isinstance(value, _SparseArray):
        return [_densify(value[i]) for i in sorted(value)]
    if isinstance(value, dict):
        return {k: _densify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_densify(v) for v in value]
    return value
