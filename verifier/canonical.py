"""JSON-LD → RDF Dataset Canonicalization (RDFC-1.0) with safe mode, for Data Integrity proofs.

Three steps, each chosen for correctness first and speed second:

1. **Expansion in safe mode.** PyLD silently drops terms no context defines and resolves relative
   ``@type``s against a made-up base (checklist §2.4, "Python pitfalls"); VC Data Integrity
   requires such data loss to be an error. We expand once with a sentinel ``@vocab`` appended
   to the document's ``@context``: a term no context defines then expands to the sentinel
   namespace instead of vanishing, and we refuse the document (``undefined_term``). Relative
   ``@id``/``@type`` values are refused too (``relative_iri``). A valid document expands exactly
   as it would without the sentinel, because the sentinel only catches what would be dropped.
2. **To RDF** with PyLD, from the already-expanded form, with no base IRI.
3. **Canonical labels** with Oxigraph's RDFC-1.0 (Rust) — about 15× faster than PyLD's pure
   Python URDNA2015 on credential-sized datasets — and N-Quads sorted in code point order.
   Datasets with blank-node graph names (embedded proofs) use PyLD's URDNA2015, because
   Oxigraph 0.5 labels those differently from PyLD and jsonld.js. Literals with C0 control
   characters are escaped as RDFC-1.0 and jsonld.js do (Oxigraph); PyLD differs there, so the
   rare dataset with both is refused as inconclusive (differential tests against PyLD:
   ``tests/unit/verifier/test_canonical.py``; against jsonld.js: ``tests/interop``).

RDFC-1.0 hashes blank-node descriptions with SHA-256 by default; ``ecdsa-rdfc-2019`` with P-384
keys canonicalizes with SHA-384 instead (VC DI ECDSA §3.2.3: "a hash algorithm that has an
appropriate security level for the curve used", as Digital Bazaar's suite does), which both
Oxigraph and our PyLD subclass support (``rdfc_hash="sha384"``).

Contexts come only from the bundled, hash-pinned loader (:mod:`verifier.contexts`); processed
contexts are cached per :class:`Canonicalizer`, which is what makes repeated canonicalization of
credentials that share contexts cheap. This module uses PyLD's public API only; those caches need
PyLD's private API, and :mod:`verifier._pyld_adapter` is the one place that uses it (which names,
why, and the test that fails when PyLD changes them).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from typing import Any

import orjson
import pyoxigraph as ox
from cachetools import LRUCache
from pyld import jsonld
from pyld.canon import URDNA2015

from verifier._pyld_adapter import CachingProcessor
from verifier.contexts import find_unknown_context
from verifier.errors import CanonicalizationUnsupported, DataLoss, MalformedJson

__all__ = ["RDFC_HASHES", "Canonicalizer", "labelled_canonical_dataset"]

#: The hash functions RDFC-1.0 may use here (RDF Dataset Canonicalization §4.2 allows others).
RDFC_HASHES: tuple[str, ...] = ("sha256", "sha384")
_OXIGRAPH_ALGORITHMS = {
    "sha256": ox.CanonicalizationAlgorithm.RDFC_1_0,
    "sha384": ox.CanonicalizationAlgorithm.RDFC_1_0_SHA_384,
}


class _Urdna2015Sha384(URDNA2015):  # type: ignore[misc]  # PyLD is untyped
    """PyLD's URDNA2015 (= RDFC-1.0) hashing with SHA-384 instead of SHA-256."""

    def create_hash(self) -> Any:
        return hashlib.sha384()


#: Where undefined terms land during the safe-mode expansion. Never appears in valid output.
SENTINEL_VOCAB = "urn:x-skill-passport:undefined-term:"
_SENTINEL_CONTEXT = {"@vocab": SENTINEL_VOCAB}
_PROCESSING_MODE = "json-ld-1.1"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Characters whose N-Quads escaping differs between PyLD and RDFC-1.0 / jsonld.js (C0 controls
# other than TAB/LF/CR, and DEL). Oxigraph escapes them as RDFC-1.0 requires.
_ESCAPE_SENSITIVE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Oxigraph writes U+FFFE/U+FFFF as \uFFFE/\uFFFF; PyLD and jsonld.js write them raw.
_OXIGRAPH_ESCAPES = re.compile("[\ufffe\uffff]")
# Characters no IRI may hold (RFC 3987): PyLD drops IRIs with whitespace without a word, and the
# serialisers disagree on the others, so a proof over them cannot be checked the same way twice.
_BAD_IRI_CHARACTER = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_KEYWORD_LIKE = re.compile(r"^@[A-Za-z]+$")
_KEYWORDS = frozenset(
    [
        "@base",
        "@container",
        "@context",
        "@direction",
        "@graph",
        "@id",
        "@import",
        "@included",
        "@index",
        "@json",
        "@language",
        "@list",
        "@nest",
        "@none",
        "@prefix",
        "@propagate",
        "@protected",
        "@reverse",
        "@set",
        "@type",
        "@value",
        "@version",
        "@vocab",
    ]
)

#: What PyLD raises for input it cannot process: its own error, and a ValueError for a context
#: reference that is no IRI (a nested ``"@context": "some words"``, which its IRI resolver
#: refuses outside the JsonLdError hierarchy).
_PYLD_ERRORS: tuple[type[Exception], ...] = (jsonld.JsonLdError, ValueError)


class Canonicalizer:
    """Safe-mode JSON-LD canonicalization with a private, bounded context cache (thread-safe)."""

    def __init__(self, *, cache_size: int = 256, results_cache_size: int = 512) -> None:
        self._processor = CachingProcessor(cache_size=cache_size)
        # A null local context is the initial context (JSON-LD 1.1 API §4.1.2, "Context
        # Processing Algorithm" step 5.1); PyLD makes it once per processing mode, frozen.
        self._initial_context = self._processor.process_context(
            {}, None, {"processingMode": _PROCESSING_MODE}
        )
        self._results: LRUCache[bytes, str] | None = (
            LRUCache(maxsize=results_cache_size) if results_cache_size > 0 else None
        )
        self._lock = threading.Lock()

    def expand(self, document: Mapping[str, Any]) -> list[Any]:
        """Expand ``document`` in safe mode; raise :class:`~verifier.errors.DataLoss` or a
        FormatError."""
        context = document.get("@context")
        if context is None:
            raise DataLoss(
                "The credential has no @context, so its terms are undefined.", term="@context"
            )
        contexts = list(context) if isinstance(context, list) else [context]
        _check_keyword_like_keys(document)
        with self._lock:
            try:
                options = {**self._processor.options(), "processingMode": _PROCESSING_MODE}
                active = self._processor.process_context(self._initial_context, contexts, options)
                # The document's own @vocab gives undefined terms real IRIs: nothing is lost.
                # Otherwise the sentinel catches the terms that would be dropped.
                if active.get("@vocab") is None:
                    contexts = [*contexts, _SENTINEL_CONTEXT]
                probe = {**document, "@context": contexts}
                expanded: list[Any] = self._processor.expand(probe, self._processor.options())
            except _PYLD_ERRORS as exc:
                raise _translate(exc) from exc
        _check_loss(expanded)
        return expanded

    def canonicalize(self, document: Mapping[str, Any], *, rdfc_hash: str = "sha256") -> str:
        """Return the RDFC-1.0 canonical N-Quads of ``document`` (safe mode enforced).

        ``rdfc_hash`` is the hash RDFC-1.0 labels blank nodes with: ``"sha256"`` (the default)
        or ``"sha384"``; anything else is a programming error (``ValueError``).

        Results are remembered under the document's exact JSON bytes (bounded LRU): the form is
        a pure function of those bytes and the pinned contexts, so an issuer's self-check of a
        credential it just signed does not pay for canonicalization twice. Failures are not
        remembered.
        """
        if rdfc_hash not in RDFC_HASHES:
            raise ValueError(f"RDFC-1.0 hash {rdfc_hash!r} is not one of {RDFC_HASHES}.")
        if self._results is None:
            return self._canonicalize(document, rdfc_hash)
        try:
            key = orjson.dumps(document)
        except (TypeError, orjson.JSONEncodeError):
            return self._canonicalize(document, rdfc_hash)
        if orjson.loads(key) != document:  # datetime, tuple, UUID…: not plain JSON, no caching
            return self._canonicalize(document, rdfc_hash)
        if rdfc_hash != "sha256":
            key = rdfc_hash.encode("ascii") + b"\0" + key  # JSON never holds a NUL byte
        results = self._results
        with self._lock:
            cached = results.get(key)
        if cached is not None:
            return cached
        result = self._canonicalize(document, rdfc_hash)
        with self._lock:
            results[key] = result
        return result

    def _canonicalize(self, document: Mapping[str, Any], rdfc_hash: str) -> str:
        expanded = self.expand(document)
        with self._lock:
            try:
                dataset = self._processor.expanded_to_rdf(expanded, self._processor.options())
            except _PYLD_ERRORS as exc:
                raise _translate(exc) from exc
        nquads: str = jsonld.JsonLdProcessor.to_nquads(dataset)
        lines = nquads.split("\n")
        try:
            quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)) if nquads else []
        except SyntaxError as exc:  # a language tag or literal Oxigraph refuses
            raise MalformedJson(
                "The credential holds a value that has no RDF form.", code="invalid_jsonld"
            ) from exc
        pyld_path = (
            any(isinstance(q.graph_name, ox.BlankNode) for q in quads)  # embedded proofs
            or len(set(lines)) != len(lines)  # PyLD keeps duplicate quads; a Dataset does not
            or _OXIGRAPH_ESCAPES.search(nquads) is not None
        )
        if pyld_path:
            if _ESCAPE_SENSITIVE.search(nquads):
                raise CanonicalizationUnsupported()
            return reference_canonical_dataset(dataset, rdfc_hash)
        return canonical_nquads(quads, rdfc_hash)

    def expanded_dataset(self, expanded: list[Any]) -> dict[str, Any]:
        """PyLD's RDF dataset of a document :meth:`expand` returned (graph name → triples).

        For suites that must see blank-node labels (``ecdsa-sd-2023``,
        :func:`labelled_canonical_dataset`).
        """
        with self._lock:
            try:
                dataset: dict[str, Any] = self._processor.expanded_to_rdf(
                    expanded, self._processor.options()
                )
            except _PYLD_ERRORS as exc:
                raise _translate(exc) from exc
        return dataset

    def compact(self, expanded: list[Any], context: Any) -> dict[str, Any]:
        """Compact an expanded document with ``context`` (bundled contexts only)."""
        with self._lock:
            try:
                options = {**self._processor.options(), "processingMode": _PROCESSING_MODE}
                compacted: dict[str, Any] = self._processor.compact(
                    expanded, {"@context": context}, options
                )
            except _PYLD_ERRORS as exc:
                raise _translate(exc) from exc
        return compacted


def reference_canonical_dataset(dataset: dict[str, Any], rdfc_hash: str = "sha256") -> str:
    """URDNA2015 with PyLD, straight from PyLD's dataset (never via N-Quads text: PyLD's N-Quads
    parser splits on U+2028 and friends and misreads an escaped backslash before t/n/r)."""
    algorithm = _Urdna2015Sha384() if rdfc_hash == "sha384" else URDNA2015()
    normalized: str = algorithm.main(dataset, {"format": "application/n-quads"})
    return normalized


def labelled_canonical_dataset(dataset: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """URDNA2015 (PyLD) of ``dataset`` as sorted N-Quad lines (each ending in LF), and the map
    from each input blank-node label to its canonical label, both without ``_:``.

    Selective-disclosure suites relabel blank nodes after canonicalization and need to know
    which input node became which canonical one (VC DI ECDSA §3.4, "canonicalizeAndGroup").
    ``canonical_issuer`` is the public attribute of PyLD's ``URDNA2015`` holding that map.
    ``dataset`` is relabelled in place.
    """
    if _ESCAPE_SENSITIVE.search(jsonld.JsonLdProcessor.to_nquads(dataset)):
        raise CanonicalizationUnsupported()
    canon = URDNA2015()
    normalized: str = canon.main(dataset, {"format": "application/n-quads"})
    existing: dict[str, str] = canon.canonical_issuer.existing
    labels = {old.removeprefix("_:"): new.removeprefix("_:") for old, new in existing.items()}
    lines = sorted(line + "\n" for line in normalized.split("\n") if line)
    return lines, labels


def canonical_nquads(quads: list[Any], rdfc_hash: str = "sha256") -> str:
    """Canonically label (RDFC-1.0) and sort quads, with Oxigraph (no blank-node graphs)."""
    if not quads:
        return ""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(_OXIGRAPH_ALGORITHMS[rdfc_hash])
    out = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    text = out.decode("utf-8") if isinstance(out, bytes) else str(out)
    # Split on LF only: literals may hold U+2028 and friends, which str.splitlines breaks on.
    lines = sorted(line + "\n" for line in text.split("\n") if line)
    return "".join(lines)


def _check_loss(node: Any) -> None:
    """Walk expanded JSON-LD; refuse sentinel terms and relative IRIs."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key.startswith(SENTINEL_VOCAB):
                term = key[len(SENTINEL_VOCAB) :]
                raise DataLoss(
                    f"The credential uses the term '{term}', which no context defines.", term=term
                )
            if not key.startswith("@"):
                _check_iri(key, "property")
            if key == "@type" and "@value" not in item:
                for iri in value if isinstance(value, list) else [value]:
                    _check_iri(iri, "type")
            elif key == "@type" and value != "@json":
                _check_iri(value, "datatype")
            elif key == "@language" and not _LANGUAGE_TAG.match(str(value)):
                raise DataLoss(
                    f"The credential uses the language tag '{value}', which is not well formed.",
                    code="invalid_iri",
                    term=str(value),
                )
            elif key == "@id":
                _check_iri(value, "identifier")
            elif key != "@value" and isinstance(value, (list, dict)):
                stack.append(value)


def _check_iri(value: Any, what: str) -> None:
    if not isinstance(value, str):
        return
    if value.startswith(SENTINEL_VOCAB):
        term = value[len(SENTINEL_VOCAB) :]
        raise DataLoss(
            f"The credential uses the {what} '{term}', which no context defines.", term=term
        )
    if what == "property" and value.startswith("_:"):
        raise DataLoss(
            f"The credential uses the property '{value}', a blank node, which RDF drops.",
            code="invalid_iri",
            term=value,
        )
    if _BAD_IRI_CHARACTER.search(value):
        raise DataLoss(
            f"The credential uses the {what} '{value}', which is not a valid IRI.",
            code="invalid_iri",
            term=value,
        )
    if not value.startswith("_:") and not _ABSOLUTE_IRI.match(value):
        raise DataLoss(
            f"The credential uses a relative {what} '{value}', which has no fixed meaning.",
            code="relative_iri",
            term=value,
        )


def _translate(exc: Exception) -> Exception:
    """Turn a PyLD error into one of ours (an unknown context keeps its own error)."""
    unknown = find_unknown_context(exc)
    if unknown is not None:
        return unknown
    code = str(getattr(exc, "code", None) or "")
    if code == "protected term redefinition":
        return MalformedJson(
            "The credential's context tries to redefine a term that a standard context protects.",
            code="protected_term_redefinition",
        )
    return MalformedJson(
        "The credential is not valid JSON-LD.",
        code="invalid_jsonld",
        hint=f"JSON-LD error: {code[:120] or type(exc).__name__}",
    )


def _check_keyword_like_keys(document: Any) -> None:
    """JSON-LD silently ignores keys shaped like keywords ("@claim"): refuse them."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            for key, value in item.items():
                if key == "@context":
                    continue
                if isinstance(key, str) and _KEYWORD_LIKE.match(key) and key not in _KEYWORDS:
                    raise DataLoss(
                        f"The credential uses the key '{key}', which JSON-LD ignores.", term=key
                    )
                stack.append(value)
