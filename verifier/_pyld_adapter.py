"""The one module that reaches into PyLD's private API: the context caches canonicalization needs.

:mod:`verifier.canonical` uses only PyLD's public API (``JsonLdProcessor.expand``, ``to_rdf``,
``process_context``, ``to_nquads``, the ``documentLoader`` option, ``pyld.canon.URDNA2015``) and
this module. What is here is speed, not meaning: without it every answer is the same, and
expanding a credential costs several times as much (``docs/decisions.md``, "Speed without a
different answer"; the differential tests in ``tests/unit/verifier/test_canonical.py`` hold the
answers to plain PyLD's).

Why no public API does it. PyLD caches a processed context under the ``_uuid`` of the active
context it was processed against. (1) For a type-scoped context (``propagate=False``) PyLD
first clones the active context to record ``previousContext``, giving the clone a fresh random
``_uuid``: the cache never hits, and every typed node of a credential re-processes its type's
context. (2) PyLD keys every local (object) context by its canonical JSON, recomputed each time a
type-scoped context applies — the largest cost of expanding a credential. (3) ``to_rdf`` always
expands its input, and ours is already expanded (and checked for data loss). PyLD's public
functions take a document and options only; none of the three can be changed through them.

Private names and behaviour relied on, checked on PyLD 3.3.0 (``pyproject.toml`` allows
``pyld>=3.3,<4``):

1. ``JsonLdProcessor._process_context(self, active_ctx, local_ctx, options, override_protected,
   propagate, validate_scoped, cycles)`` — overridden by :class:`CachingProcessor` to give the
   type-scoped clone a stable identity (derived from its parent's ``_uuid``).
2. ``JsonLdProcessor._clone_active_context(self, active_ctx)`` — called to make that clone.
3. Active contexts are dicts whose ``_uuid`` keys PyLD's processed-context cache and whose
   ``previousContext`` holds the context a type-scoped one reverts to.
4. ``JsonLdProcessor.to_rdf`` expands its input through ``self.expand(input_, options)`` with the
   options it was given — :class:`CachingProcessor` overrides the public ``expand`` to hand back
   input marked as already expanded.
5. The ``contextResolver`` option (PyLD: "internal use only") and
   ``ContextResolver.__init__(self, shared_cache, document_loader, …)`` /
   ``ContextResolver.resolve(self, active_ctx, context, base, cycles=None)`` — overridden by
   :class:`_MemoisingResolver` to remember resolutions of context objects by identity.
6. A loader answer carrying ``"tag"`` is kept in the resolver's shared cache under that tag;
   ``"static"`` is the tag PyLD reads back (:func:`_static_loader`).

:func:`pyld_problems` lists whatever of 1, 2, 4 and 5 no longer holds for the installed PyLD, and
``tests/unit/verifier/test_pyld_adapter.py`` fails with that list — and also when the hooks
stop running (a renamed private method would otherwise be skipped silently: same answers,
slower). Nothing is checked at import or per call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from verifier.contexts import pyld_document_loader

__all__ = ["CHECKED_PYLD_VERSIONS", "CachingProcessor", "pyld_problems"]

#: PyLD versions this module's use of private names was checked against.
CHECKED_PYLD_VERSIONS: Final = ("3.3.0",)

#: Option that marks ``to_rdf``'s input as already expanded (4.).
_ALREADY_EXPANDED: Final = "x-skill-passport-already-expanded"


class _Memo:
    """Bounded identity-keyed memo; holds a reference so an ``id`` is never reused while cached."""

    def __init__(self, size: int) -> None:
        self._entries: LRUCache[Any, tuple[Any, Any]] = LRUCache(maxsize=size)

    def get(self, key: Any, owner: object) -> Any:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] is owner else None

    def put(self, key: Any, owner: object, value: Any) -> None:
        self._entries[key] = (owner, value)


class _MemoisingResolver(ContextResolver):  # type: ignore[misc]
    """PyLD's resolver, remembering resolutions of context *objects* by identity (5., reason 2).

    The scoped contexts live inside our cached, immutable context documents, so their identity
    is a sound key.
    """

    def __init__(self, shared_cache: Any, loader: Any, memo: _Memo) -> None:
        super().__init__(shared_cache, loader)
        self._memo = memo

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        if isinstance(context, dict) and "@context" not in context:
            hit = self._memo.get(id(context), context)
            if hit is not None:
                return hit
            resolved = super().resolve(active_ctx, context, base, cycles)
            self._memo.put(id(context), context, resolved)
            return resolved
        return super().resolve(active_ctx, context, base, cycles)


def _static_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    # "tag: static" lets PyLD keep the processed context in its resolver cache (6.): our
    # contexts are pinned by hash and never change while the process runs.
    document = pyld_document_loader(url, options)
    document["tag"] = "static"
    return document


class CachingProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """PyLD's processor with stable identities for type-scoped contexts and private caches.

    Use :meth:`options` for every operation and :meth:`expanded_to_rdf` instead of ``to_rdf``.
    Not thread-safe (PyLD's caches are plain dicts): :class:`~verifier.canonical.Canonicalizer`
    holds a lock around each operation.
    """

    def __init__(self, *, cache_size: int) -> None:
        super().__init__()
        self._contexts: LRUCache[str, Any] = LRUCache(maxsize=cache_size)
        self._memo = _Memo(cache_size * 8)

    def options(self) -> dict[str, Any]:
        """Options for one PyLD operation: bundled contexts only, our caches, no base IRI."""
        return {
            "documentLoader": _static_loader,
            "contextResolver": _MemoisingResolver(self._contexts, _static_loader, self._memo),
            "base": None,
        }

    def expanded_to_rdf(self, expanded: list[Any], options: Mapping[str, Any]) -> Any:
        """``to_rdf`` of a document this processor already expanded, without expanding again."""
        return self.to_rdf(expanded, {**options, _ALREADY_EXPANDED: True})

    def expand(self, input_: Any, options: Any) -> Any:
        # to_rdf() expands its input first (4.); ours is already expanded (and checked) by us.
        if options.get(_ALREADY_EXPANDED):
            return input_
        return super().expand(input_, options)

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        # Reason 1: make the clone PyLD would make for a type-scoped context once per parent
        # context, with a uuid derived from the parent's. The clone's content is a function of
        # the parent alone, so equal uuids mean equal contexts.
        parent_uuid = active_ctx.get("_uuid")
        if (
            not propagate
            and parent_uuid
            and isinstance(local_ctx, dict)
            and "@propagate" not in local_ctx
            and not active_ctx.get("previousContext")
        ):
            key = ("previous", parent_uuid)
            clone = self._memo.get(key, active_ctx)
            if clone is None:
                clone = self._clone_active_context(active_ctx)
                clone["previousContext"] = active_ctx
                clone["_uuid"] = f"{parent_uuid}/previous"
                self._memo.put(key, active_ctx, clone)
            active_ctx = clone
        return super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )


#: (owner, method name, the parameter names this module relies on, in order).
_SIGNATURES: Final[tuple[tuple[type[Any], str, tuple[str, ...]], ...]] = (
    (
        jsonld.JsonLdProcessor,
        "_process_context",
        (
            "self",
            "active_ctx",
            "local_ctx",
            "options",
            "override_protected",
            "propagate",
            "validate_scoped",
            "cycles",
        ),
    ),
    (jsonld.JsonLdProcessor, "_clone_active_context", ("self", "active_ctx")),
    (jsonld.JsonLdProcessor, "expand", ("self", "input_", "options")),
    (jsonld.JsonLdProcessor, "to_rdf", ("self", "input_", "options")),
    (ContextResolver, "__init__", ("self", "shared_cache", "document_loader")),
    (ContextResolver, "resolve", ("self", "active_ctx", "context", "base", "cycles")),
)


def pyld_problems() -> list[str]:
    """What of this module's assumptions about PyLD's private API no longer holds (empty: all).

    Checks names and parameter lists (1, 2, 5 in the module docstring) and that ``to_rdf`` still
    expands through ``self.expand`` (4). Meant for tests, not for every call.
    """
    problems: list[str] = []
    for owner, name, expected in _SIGNATURES:
        method: Callable[..., Any] | None = getattr(owner, name, None)
        if method is None:
            problems.append(f"{owner.__qualname__}.{name} is gone")
            continue
        found = tuple(inspect.signature(method).parameters)
        if found[: len(expected)] != expected:
            problems.append(
                f"{owner.__qualname__}.{name} takes {found}, not {expected} (first parameters)"
            )
    try:
        to_rdf_source = inspect.getsource(jsonld.JsonLdProcessor.to_rdf)
    except (OSError, TypeError):  # pragma: no cover - source not installed
        problems.append("the source of JsonLdProcessor.to_rdf cannot be read")
    else:
        if "self.expand(input_, options)" not in to_rdf_source:
            problems.append("JsonLdProcessor.to_rdf no longer expands through self.expand")
    return problems
