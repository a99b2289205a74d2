"""verifier/_pyld_adapter.py: PyLD's private API is still what the adapter relies on.

If a test here fails after a PyLD upgrade, canonicalization is probably still *correct* (the
differential tests in test_canonical.py say so) but the context caches may be off or broken:
read the adapter's module docstring, adapt the named hook, and add the version to
``CHECKED_PYLD_VERSIONS``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from verifier import _pyld_adapter
from verifier._pyld_adapter import CHECKED_PYLD_VERSIONS, CachingProcessor, pyld_problems
from verifier.canonical import Canonicalizer

VECTOR = Path(__file__).parents[2] / "assets" / "ob3" / "implguide-ob-eddsa-rdfc-2022.signed.json"
V2 = "https://www.w3.org/ns/credentials/v2"
HINT = (
    f"PyLD {jsonld.__version__} changed a private API verifier/_pyld_adapter.py relies on "
    f"(checked on {', '.join(CHECKED_PYLD_VERSIONS)}); see that module's docstring"
)


def credential() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(VECTOR.read_text(encoding="utf-8"))
    document.pop("proof", None)
    return document


def test_the_private_names_and_signatures_are_still_there() -> None:
    problems = pyld_problems()
    assert not problems, f"{HINT}: " + "; ".join(problems)


def test_type_scoped_contexts_get_stable_clones() -> None:
    canonicalizer = Canonicalizer(results_cache_size=0)
    canonicalizer.canonicalize(credential())
    memo = canonicalizer._processor._memo._entries
    clones = [key for key in memo if isinstance(key, tuple) and key[0] == "previous"]
    assert clones, (
        f"{HINT}: JsonLdProcessor._process_context is no longer called for type-scoped "
        "contexts, so their processed contexts are never reused"
    )
    for key in clones:
        assert memo[key][1]["_uuid"] == f"{key[1]}/previous", HINT


def test_context_objects_are_resolved_once() -> None:
    canonicalizer = Canonicalizer(results_cache_size=0)
    canonicalizer.canonicalize(credential())
    memo = canonicalizer._processor._memo._entries
    assert any(isinstance(key, int) for key in memo), (
        f"{HINT}: ContextResolver.resolve is no longer given the context objects, so they are "
        "canonicalized on every use"
    )


def test_bundled_contexts_stay_in_the_resolver_cache() -> None:
    canonicalizer = Canonicalizer(results_cache_size=0)
    canonicalizer.canonicalize(credential())
    cached = canonicalizer._processor._contexts.get(V2)
    assert cached is not None and "static" in cached, (
        f"{HINT}: a loader answer tagged 'static' is no longer kept in the shared resolver cache"
    )


def test_to_rdf_does_not_expand_again(monkeypatch: pytest.MonkeyPatch) -> None:
    processor = CachingProcessor(cache_size=8)
    expanded = processor.expand(credential(), processor.options())
    calls: list[Any] = []
    original = jsonld.JsonLdProcessor.expand

    def counting(self: Any, input_: Any, options: Any) -> Any:
        calls.append(input_)
        return original(self, input_, options)

    monkeypatch.setattr(jsonld.JsonLdProcessor, "expand", counting)
    seen: list[Any] = []
    ours = CachingProcessor.expand

    def spying(self: Any, input_: Any, options: Any) -> Any:
        seen.append(input_)
        return ours(self, input_, options)

    monkeypatch.setattr(CachingProcessor, "expand", spying)
    dataset = processor.expanded_to_rdf(copy.deepcopy(expanded), processor.options())
    assert seen, f"{HINT}: JsonLdProcessor.to_rdf no longer expands through self.expand"
    assert calls == [], f"{HINT}: to_rdf expanded an already expanded document again"
    reference = jsonld.to_rdf(copy.deepcopy(expanded), {"base": None})
    assert jsonld.JsonLdProcessor.to_nquads(dataset) == jsonld.JsonLdProcessor.to_nquads(reference)


def test_the_adapter_is_the_only_module_naming_pyld_private_members() -> None:
    root = Path(_pyld_adapter.__file__).parent
    for path in sorted(root.glob("*.py")):
        if path.name == "_pyld_adapter.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name in ("_process_context", "_clone_active_context", "_get_initial_context"):
            assert name not in text, f"{path.name} uses PyLD's private {name}"
        assert "context_resolver" not in text, f"{path.name} imports PyLD's ContextResolver"
