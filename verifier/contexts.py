"""Bundled JSON-LD context documents and a static, offline document loader.

A Data Integrity proof (``eddsa-rdfc-2022``) signs the RDF form of a credential, and that form
depends on the JSON-LD context documents the credential names in ``@context``. Fetching them at
verification time would let whoever serves (or intercepts) a context URL change what a signature
covers, and would make verification depend on the network. So the verifier ships the exact
documents it accepts in ``verifier/contexts/``, each pinned by SHA-256 in
``verifier/contexts/index.json`` (which also records where each file came from), and never
fetches anything: a URL that is not bundled raises :class:`UnknownContext`.

* :func:`load_context` returns the parsed document for a URL (the whole document, including its
  top-level ``"@context"`` key). Each file is read lazily, once, checked against its recorded
  hash (:class:`ContextIntegrityError` if it differs) and cached as a deep read-only view:
  objects are :class:`types.MappingProxyType`, arrays are tuples.
* :func:`pyld_document_loader` is the same data in the shape PyLD expects from a
  ``documentLoader``. It hands PyLD a fresh plain ``dict`` on every call, because PyLD only accepts
  ``dict`` / ``frozendict`` objects and ``list`` arrays, and its context resolver rewrites relative
  ``@context`` URLs inside the document it is given, in place.

URLs are matched exactly, as strings: ``http://`` and ``https://`` are different URLs, and a URL
with a trailing ``#``, a query or a different case is unknown. No credential we know of needs an
alias, so there is none.

The one URL with two bundled documents is OB ``context-3.0.3.json``: the specification
repository's file, and the newer one the 1EdTech validator ships (the same terms plus top-level
``jti`` and ``endorsementJwt``), which the live URL now serves. :data:`SERVED_VARIANTS` picks the
newer one; every official test vector expands identically with either.

Using it with PyLD::

    from pyld import jsonld

    try:
        expanded = jsonld.expand(credential, {"documentLoader": pyld_document_loader})
    except jsonld.JsonLdError as error:
        unknown = find_unknown_context(error)
        if unknown is not None:
            raise unknown from error  # check "format", code "unknown_context"
        raise

PyLD wraps whatever the loader raises in its own ``JsonLdError``, sometimes twice (PyLD 3.x:
``expand`` error -> ``jsonld.InvalidUrl`` error -> our error, linked by ``__cause__``; PyLD 2.x
also sets a ``cause`` attribute). :func:`find_unknown_context` follows those links.

PyLD keeps a process-wide cache of resolved contexts. It caches a remote context by URL only when
the loader's answer carries a ``"tag"`` key; this loader never sets one, so every PyLD operation
asks this module again. Other code in the same process that does use such a tag for a URL we
bundle could bypass this loader for that URL.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, Final

from verifier.errors import ContextIntegrityError, UnknownContext

__all__ = [
    "KNOWN_CONTEXTS",
    "OB_V3P0_CONTEXT_3_0_3",
    "SERVED_VARIANTS",
    "clear_cache",
    "find_unknown_context",
    "load_context",
    "pyld_document_loader",
]

#: The OB 3.0 context URL that has two bundled documents (see the module docstring).
OB_V3P0_CONTEXT_3_0_3: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

#: Which bundled variant to serve for a URL whose index entry has ``variants`` (URL -> variant
#: name). A URL not listed here is served the entry's own ``file``. Tests switch this with
#: ``monkeypatch.setattr(contexts, "SERVED_VARIANTS", {})`` to serve the specification's files.
SERVED_VARIANTS: Mapping[str, str] = MappingProxyType({OB_V3P0_CONTEXT_3_0_3: "validator"})

#: Where the bundled files and their index live (a package resource folder).
_CONTEXTS_DIR: Traversable = files("verifier").joinpath("contexts")
_INDEX_FILE: Final = "index.json"


@dataclass(frozen=True, slots=True)
class _Bundled:
    file: str
    sha256: str


@dataclass(frozen=True, slots=True)
class _Entry:
    bundled: _Bundled
    variants: Mapping[str, _Bundled]


def _bundled(raw: Mapping[str, Any]) -> _Bundled:
    return _Bundled(file=str(raw["file"]), sha256=str(raw["sha256"]).lower())


def _read_index() -> Mapping[str, _Entry]:
    raw = json.loads(_CONTEXTS_DIR.joinpath(_INDEX_FILE).read_bytes())
    return MappingProxyType(
        {
            url: _Entry(
                bundled=_bundled(entry),
                variants=MappingProxyType(
                    {name: _bundled(v) for name, v in entry.get("variants", {}).items()}
                ),
            )
            for url, entry in raw["contexts"].items()
        }
    )


_INDEX: Final = _read_index()

#: Every context URL :func:`load_context` answers (exact strings).
KNOWN_CONTEXTS: Final[frozenset[str]] = frozenset(_INDEX)

_cache: dict[str, Mapping[str, Any]] = {}
_lock = threading.Lock()


def load_context(url: str) -> Mapping[str, Any]:
    """Return the bundled context document for ``url`` as a deep read-only view.

    Raises :class:`UnknownContext` for any URL that is not bundled (exact string match; never a
    network request) and :class:`ContextIntegrityError` if the bundled file fails its hash check.
    The same object is returned on every call: it cannot be mutated (objects are read-only
    mappings, arrays are tuples). Use :func:`pyld_document_loader` to get mutable plain JSON.
    """
    bundled = _select(url)
    cached = _cache.get(bundled.file)
    if cached is None:
        with _lock:
            cached = _cache.get(bundled.file)
            if cached is None:
                cached = _freeze(_read_verified(url, bundled))
                _cache[bundled.file] = cached
    return cached


def pyld_document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A PyLD ``documentLoader``: bundled contexts only, a fresh deep copy on every call.

    Raises :class:`UnknownContext` for a URL that is not bundled; PyLD wraps it in a
    ``JsonLdError``, from which :func:`find_unknown_context` recovers it. ``options`` (PyLD passes
    request headers there) is ignored.
    """
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": _thaw(load_context(url)),
        "contentType": "application/ld+json",
    }


def find_unknown_context(error: BaseException) -> UnknownContext | None:
    """Find the :class:`UnknownContext` behind an error PyLD raised, or ``None``.

    Follows ``__cause__`` and ``__context__`` (PyLD 3.x chains its errors with ``raise ... from``)
    and the ``cause`` attribute (PyLD 2.x).
    """
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UnknownContext):
            return current
        for linked in (current.__cause__, current.__context__, getattr(current, "cause", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def clear_cache() -> None:
    """Forget every loaded document, so the next load re-reads and re-checks its file."""
    with _lock:
        _cache.clear()


def _select(url: str) -> _Bundled:
    entry = _INDEX.get(url)
    if entry is None:
        raise UnknownContext(url)
    variant = SERVED_VARIANTS.get(url)
    if variant is None:
        return entry.bundled
    try:
        return entry.variants[variant]
    except KeyError:
        message = f"SERVED_VARIANTS names variant {variant!r} for {url}, not in the index"
        raise LookupError(message) from None


def _read_verified(url: str, bundled: _Bundled) -> Any:
    try:
        data = _CONTEXTS_DIR.joinpath(bundled.file).read_bytes()
    except OSError:
        raise ContextIntegrityError(url, bundled.file, "is missing or unreadable") from None
    if hashlib.sha256(data).hexdigest() != bundled.sha256:
        raise ContextIntegrityError(url, bundled.file, "does not match its recorded SHA-256")
    try:
        document = json.loads(data)
    except ValueError:
        raise ContextIntegrityError(url, bundled.file, "is not valid JSON") from None
    if not isinstance(document, dict) or "@context" not in document:
        raise ContextIntegrityError(url, bundled.file, "is not a JSON-LD context document")
    return document


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value
