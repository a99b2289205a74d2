"""Bundled JSON-LD contexts: pinned bytes, provenance, the offline loader, and PyLD on top of it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from verifier import contexts
from verifier.contexts import (
    KNOWN_CONTEXTS,
    OB_V3P0_CONTEXT_3_0_3,
    clear_cache,
    find_unknown_context,
    load_context,
    pyld_document_loader,
)
from verifier.errors import ContextIntegrityError, FormatError, UnknownContext

CONTEXTS_DIR = Path(contexts.__file__).with_suffix("")
INDEX: dict[str, Any] = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
ENTRIES: dict[str, Any] = INDEX["contexts"]

# The project is cloned beside shared/ (on developer machines and in CI alike).
SHARED = Path(__file__).parents[3].parent / "shared"
VECTORS = SHARED / "ob3" / "vectors"
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(), reason=f"the shared OB 3.0 vectors folder is absent ({VECTORS.name})"
)

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_3_0_0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"

EXPECTED_URLS = {
    "https://www.w3.org/2018/credentials/v1",
    VC_V2,
    "https://www.w3.org/ns/credentials/undefined-terms/v2",
    OB_3_0_0,
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    OB_V3P0_CONTEXT_3_0_3,
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://www.w3.org/ns/credentials/status/v1",
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/v1",  # RsaSignature2018 proof options (Security v2 imports v1)
    "https://w3id.org/security/v2",
}


def bundled_files() -> Iterator[tuple[str, dict[str, Any]]]:
    """(url, {file, sha256, source}) for every bundled document, variants included."""
    for url, entry in ENTRIES.items():
        yield url, entry
        for variant in entry.get("variants", {}).values():
            yield url, variant


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def context_urls(node: Any) -> Iterator[str]:
    """Every context URL named anywhere in a JSON document (nested credentials included)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield item
                    else:
                        yield from context_urls(item)
            else:
                yield from context_urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from context_urls(item)


def load_context_as_json(url: str) -> Any:
    return pyld_document_loader(url)["document"]


def vector_documents() -> list[Any]:
    """Every JSON-LD document in the official vectors: JSON credentials, JWT payloads, mocks."""
    if not VECTORS.is_dir():
        return []
    params = []
    for path in sorted([*VECTORS.glob("ob3/*.json"), *VECTORS.glob("clr2/*.json")]):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "@context" in document:  # the *.intermediates.json files are not credentials
            params.append(pytest.param(document, id=path.name))
    for path in sorted(VECTORS.glob("ob3/*.jwt")):
        payload = path.read_text(encoding="ascii").strip().split(".")[1]
        document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        params.append(pytest.param(document, id=f"{path.name}:payload"))
    mocks = json.loads((VECTORS / "mocks" / "controller-documents.json").read_text("utf-8"))
    for url, document in mocks["documents"].items():
        params.append(pytest.param(document, id=f"controller-document:{url}"))
    return params


VECTOR_DOCUMENTS = vector_documents()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def jsonld() -> ModuleType:
    module: ModuleType = pytest.importorskip(
        "pyld.jsonld", reason="pyld is not installed (it is the verifier's JSON-LD processor)"
    )
    return module


# --- the bundle and its index --------------------------------------------------------------


def test_every_bundled_file_matches_its_recorded_sha256() -> None:
    for _, entry in bundled_files():
        assert sha256(CONTEXTS_DIR / entry["file"]) == entry["sha256"], entry["file"]


def test_the_folder_holds_exactly_the_indexed_files() -> None:
    indexed = {entry["file"] for _, entry in bundled_files()}
    on_disk = {path.name for path in CONTEXTS_DIR.iterdir()} - {"index.json"}
    assert on_disk == indexed
    # package-data ships only these two extensions
    assert all(name.endswith((".json", ".jsonld")) for name in indexed)


def test_index_lists_the_expected_urls_and_known_contexts_agrees() -> None:
    assert set(ENTRIES) == EXPECTED_URLS
    assert frozenset(EXPECTED_URLS) == KNOWN_CONTEXTS


def test_every_entry_records_where_it_came_from_without_machine_paths() -> None:
    def strings(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    for _, entry in bundled_files():
        source = entry["source"]
        if source["kind"] == "npm":
            assert "@" in source["package"][1:], source  # name@version
            assert source["path"].startswith("package/")
            assert source["tarball_integrity"].startswith("sha512-")
        elif source["kind"] == "repository":
            # A public repository's file no registry package ships: "owner/name path @ commit".
            assert re.fullmatch(r"[\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{40}", source["origin"]), source
            assert source["note"]
        else:
            assert source["kind"] == "vectors"
            assert source["shared_file"] == f"ob3/vectors/contexts/{entry['file']}"
            assert source["origin"]
    for text in strings(INDEX):
        assert not text.startswith(("/", "~")), text
        assert "\\" not in text and "/work/" not in text and "/tmp/" not in text, text


@needs_vectors
def test_index_agrees_with_the_shared_vectors_index() -> None:
    shared = json.loads((VECTORS / "contexts" / "index.json").read_text(encoding="utf-8"))
    variant_prefix = "(variant of) "
    for item in shared:
        url = item["url"].removeprefix(variant_prefix)
        if url not in ENTRIES:
            continue
        entry = ENTRIES[url]
        if item["url"].startswith(variant_prefix):
            candidates = list(entry.get("variants", {}).values())
        else:
            candidates = [entry]  # the index's own file is the one the vectors pin
        matching = [c for c in candidates if c["sha256"] == item["sha256"]]
        assert matching, f"{item['url']}: no bundled document with sha256 {item['sha256']}"
        ours = (CONTEXTS_DIR / matching[0]["file"]).read_bytes()
        assert ours == (VECTORS / "contexts" / item["file"]).read_bytes(), item["file"]
    assert {i["url"].removeprefix(variant_prefix) for i in shared} <= set(ENTRIES)


@needs_vectors
def test_every_context_the_vectors_use_is_bundled() -> None:
    used = {url for param in VECTOR_DOCUMENTS for url in context_urls(param.values[0])}
    assert used, "no vectors found"
    assert used <= KNOWN_CONTEXTS, used - KNOWN_CONTEXTS


def test_contexts_that_bundled_contexts_name_are_bundled_too() -> None:
    for url in KNOWN_CONTEXTS:
        assert set(context_urls(load_context_as_json(url))) <= KNOWN_CONTEXTS, url


# --- load_context --------------------------------------------------------------------------


@pytest.mark.parametrize("url", sorted(EXPECTED_URLS))
def test_load_context_returns_the_whole_document(url: str) -> None:
    document = load_context(url)
    assert "@context" in document
    served = ENTRIES[url]
    if url in contexts.SERVED_VARIANTS:
        served = served["variants"][contexts.SERVED_VARIANTS[url]]
    expected = json.loads((CONTEXTS_DIR / served["file"]).read_bytes())
    assert load_context_as_json(url) == expected


def test_load_context_is_cached_and_read_only() -> None:
    document = load_context(VC_V2)
    assert load_context(VC_V2) is document
    with pytest.raises(TypeError):
        document["@context"] = {}  # type: ignore[index]
    inner = document["@context"]
    with pytest.raises(TypeError):
        inner["@protected"] = False
    with pytest.raises(TypeError):
        inner["VerifiableCredential"]["@context"]["id"] = "@type"
    assert load_context(VC_V2)["@context"]["@protected"] is True


def test_frozen_documents_turn_arrays_into_tuples_and_back() -> None:
    # no bundled context has an array today; a future one may (e.g. "@container": [...])
    original = {"@context": {"a": {"@container": ["@graph", "@set"]}, "b": [1, {"c": None}]}}
    frozen = contexts._freeze(original)
    assert frozen["@context"]["a"]["@container"] == ("@graph", "@set")
    with pytest.raises(TypeError):
        frozen["@context"]["b"][1]["c"] = 1
    assert contexts._thaw(frozen) == original


def test_the_3_0_3_validator_variant_is_served_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    variant = load_context(OB_V3P0_CONTEXT_3_0_3)["@context"]
    assert {"jti", "endorsementJwt"} <= set(variant)

    monkeypatch.setattr(contexts, "SERVED_VARIANTS", {})
    spec = load_context(OB_V3P0_CONTEXT_3_0_3)["@context"]
    assert not {"jti", "endorsementJwt"} & set(spec)
    # the variant only adds terms
    assert {k: v for k, v in variant.items() if k not in ("jti", "endorsementJwt")} == dict(spec)


def test_a_served_variant_missing_from_the_index_is_a_programming_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(contexts, "SERVED_VARIANTS", {VC_V2: "nope"})
    with pytest.raises(LookupError, match="nope"):
        load_context(VC_V2)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/contexts/v1",
        "http://www.w3.org/ns/credentials/v2",  # no scheme normalisation
        "http://www.w3.org/2018/credentials/v1",
        "https://www.w3.org/ns/credentials/v2#",
        "https://www.w3.org/ns/credentials/v2?format=jsonld",
        "https://www.w3.org/ns/credentials/v2/",
        "HTTPS://WWW.W3.ORG/ns/credentials/v2",
        " https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/security/jwk/v1",  # no registry package ships it
        "https://w3id.org/security/v3-unstable",
        "OBv3_beta",
        "",
    ],
)
def test_an_unbundled_url_is_unknown(url: str) -> None:
    with pytest.raises(UnknownContext) as caught:
        load_context(url)
    error = caught.value
    assert isinstance(error, FormatError)
    assert (error.check, error.code, error.url) == ("format", "unknown_context", url)
    assert url in error.message
    with pytest.raises(UnknownContext):
        pyld_document_loader(url)


def tampered_copy(tmp_path: Path, file: str) -> Path:
    folder = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, folder)
    data = bytearray((folder / file).read_bytes())
    position = data.index(b"VerifiableCredential")
    data[position] ^= 0x20  # "V" -> "v": still valid JSON, different meaning
    (folder / file).write_bytes(bytes(data))
    return folder


def test_a_tampered_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contexts, "_CONTEXTS_DIR", tampered_copy(tmp_path, "credentials-v2.jsonld"))
    with pytest.raises(ContextIntegrityError) as caught:
        load_context(VC_V2)
    error = caught.value
    assert isinstance(error, FormatError)
    assert (error.check, error.code, error.url) == ("format", "context_integrity", VC_V2)
    assert error.hint is not None and "credentials-v2.jsonld" in error.hint
    # other files in the same folder are intact and still load
    assert "@context" in load_context("https://www.w3.org/ns/did/v1")


def test_a_tampered_variant_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, folder)
    path = folder / "ob-context-3.0.3.validator-variant.json"
    path.write_bytes(path.read_bytes().replace(b"endorsementJwt", b"endorsementJWT", 1))
    monkeypatch.setattr(contexts, "_CONTEXTS_DIR", folder)
    with pytest.raises(ContextIntegrityError):
        load_context(OB_V3P0_CONTEXT_3_0_3)
    monkeypatch.setattr(contexts, "SERVED_VARIANTS", {})
    assert "@context" in load_context(OB_V3P0_CONTEXT_3_0_3)


def test_a_missing_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, folder)
    (folder / "did-v1.jsonld").unlink()
    monkeypatch.setattr(contexts, "_CONTEXTS_DIR", folder)
    with pytest.raises(ContextIntegrityError, match="did/v1"):
        load_context("https://www.w3.org/ns/did/v1")


def test_the_hash_is_checked_on_first_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_context(VC_V2)  # cached from the intact file
    monkeypatch.setattr(contexts, "_CONTEXTS_DIR", tampered_copy(tmp_path, "credentials-v2.jsonld"))
    assert "@context" in load_context(VC_V2)
    clear_cache()
    with pytest.raises(ContextIntegrityError):
        load_context(VC_V2)


# --- the PyLD adapter ----------------------------------------------------------------------


def test_pyld_document_loader_returns_a_fresh_remote_document_each_time() -> None:
    first = pyld_document_loader(VC_V2, {"headers": {"Accept": "application/ld+json"}})
    assert first["contextUrl"] is None
    assert first["documentUrl"] == VC_V2
    assert type(first["document"]) is dict
    assert type(first["document"]["@context"]) is dict
    first["document"]["@context"]["@protected"] = False
    first["document"]["@context"].clear()
    second = pyld_document_loader(VC_V2)
    assert second["document"] is not first["document"]
    assert second["document"]["@context"]["@protected"] is True
    assert load_context(VC_V2)["@context"]["@protected"] is True
    did = pyld_document_loader("https://www.w3.org/ns/did/v1")["document"]
    assert all(type(v) is not tuple for v in did["@context"].values())


def test_find_unknown_context_follows_causes_and_stops_on_cycles() -> None:
    unknown = UnknownContext("https://example.com/x")
    outer = RuntimeError("outer")
    middle = ValueError("middle")
    middle.__cause__ = unknown
    outer.__context__ = middle
    assert find_unknown_context(outer) is unknown
    assert find_unknown_context(unknown) is unknown

    class OldStyle(Exception):
        def __init__(self, cause: BaseException) -> None:
            super().__init__("old")
            self.cause = cause

    assert find_unknown_context(OldStyle(unknown)) is unknown

    a, b = ValueError("a"), ValueError("b")
    a.__cause__, b.__cause__ = b, a
    assert find_unknown_context(a) is None


@pytest.mark.parametrize("document", VECTOR_DOCUMENTS)
def test_pyld_expands_every_vector_with_only_bundled_contexts(
    jsonld: ModuleType, document: Any
) -> None:
    expanded = jsonld.expand(document, {"documentLoader": pyld_document_loader})
    assert expanded and isinstance(expanded, list)


def canonical(jsonld: ModuleType, document: Any) -> set[str]:
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": pyld_document_loader,
    }
    return set(jsonld.normalize(document, options).splitlines())


@needs_vectors
def test_both_3_0_3_documents_give_every_json_vector_the_same_canonical_form(
    jsonld: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a Data Integrity proof signs is the canonical N-Quads: identical with either file.
    # (The expanded JSON is not: dcc-safe-mode-breaker's empty `endorsementJwt: []` arrays are
    # kept under the variant's term and dropped without it; empty arrays make no triples.)
    documents = [p.values[0] for p in VECTOR_DOCUMENTS if not p.id.endswith(":payload")]
    with_variant = [canonical(jsonld, document) for document in documents]
    monkeypatch.setattr(contexts, "SERVED_VARIANTS", {})
    assert [canonical(jsonld, document) for document in documents] == with_variant


@needs_vectors
def test_only_the_3_0_3_variant_defines_the_jti_of_a_vc_jwt_payload(
    jsonld: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OB 3.0 VC-JWT payloads are the credential plus JWT claims; `jti` is the one claim the
    # VC v2 context does not define. With the specification's 3.0.3 file it is silently dropped.
    payloads = [p.values[0] for p in VECTOR_DOCUMENTS if p.id.endswith(":payload")]
    assert payloads
    with_variant = [canonical(jsonld, payload) for payload in payloads]
    monkeypatch.setattr(contexts, "SERVED_VARIANTS", {})
    with_spec_file = [canonical(jsonld, payload) for payload in payloads]
    for payload, ours, spec in zip(payloads, with_variant, with_spec_file, strict=True):
        jti = f"<{payload['jti']}> <https://www.iana.org/assignments/jwt#jti> <{payload['jti']}> ."
        assert ours - spec == {jti}
        assert spec <= ours


def test_an_unknown_context_is_recoverable_from_pyld_error(jsonld: ModuleType) -> None:
    unknown_url = "https://example.com/contexts/not-bundled.jsonld"
    credential = {
        "@context": [VC_V2, OB_V3P0_CONTEXT_3_0_3, unknown_url],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": "did:example:issuer",
    }
    with pytest.raises(jsonld.JsonLdError) as caught:
        jsonld.expand(credential, {"documentLoader": pyld_document_loader})
    error = caught.value
    unknown = find_unknown_context(error)
    assert isinstance(unknown, UnknownContext)
    assert (unknown.code, unknown.url) == ("unknown_context", unknown_url)
    # PyLD 3.x: expand's error <- "jsonld.InvalidUrl" <- ours, chained with ``raise ... from``
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__
    assert chain[-1] is unknown


def test_pyld_refuses_vc_v2_with_the_ob_3_0_0_context(jsonld: ModuleType) -> None:
    # OB 3.0.0's context redefines `name` and `description`, which VC v2 protects. The bundled
    # 3.0.0 file is the real one, so such a credential fails to expand (as it does everywhere).
    credential = {"@context": [VC_V2, OB_3_0_0], "type": ["VerifiableCredential"], "name": "x"}
    with pytest.raises(jsonld.JsonLdError) as caught:
        jsonld.expand(credential, {"documentLoader": pyld_document_loader})
    assert find_unknown_context(caught.value) is None
    assert "protected term redefinition" in str(caught.value)
