"""Tests for keys.didweb: did:web ↔ URL, our DID document, and reading untrusted documents."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from keys import (
    InvalidDid,
    InvalidKey,
    KeyAlgorithmNotAllowed,
    KeysError,
    PublishedKey,
    SigningKey,
    did_web_document,
    did_web_document_url,
    did_web_from_url,
    find_verification_method,
    generate_key,
    multikey_from_public_key,
    verification_method_id,
    verification_method_revoked_at,
)

DID = "did:web:example.com"
T0 = datetime(2025, 1, 1, tzinfo=UTC)

# ----------------------------------------------------------------------------- did ↔ URL

URL_EXAMPLES = [
    ("https://example.com", "did:web:example.com", "https://example.com/.well-known/did.json"),
    ("https://example.com/", "did:web:example.com", "https://example.com/.well-known/did.json"),
    (
        "http://127.0.0.1:5000",
        "did:web:127.0.0.1%3A5000",
        "http://127.0.0.1:5000/.well-known/did.json",
    ),
    (
        "https://example.com/orgs/acme/",
        "did:web:example.com:orgs:acme",
        "https://example.com/orgs/acme/did.json",
    ),
    (
        "https://w3c-ccg.github.io/user/alice",
        "did:web:w3c-ccg.github.io:user:alice",
        "https://w3c-ccg.github.io/user/alice/did.json",
    ),
    (
        "https://Example.COM:8443/a",
        "did:web:example.com%3A8443:a",
        "https://example.com:8443/a/did.json",
    ),
    (
        "http://localhost:5000/issuers/x",
        "did:web:localhost%3A5000:issuers:x",
        "http://localhost:5000/issuers/x/did.json",
    ),
]
DEV_HOSTS = {"127.0.0.1", "localhost"}


@pytest.mark.parametrize(("url", "did", "document_url"), URL_EXAMPLES)
def test_did_web_from_url(url: str, did: str, document_url: str) -> None:
    assert did_web_from_url(url) == did


@pytest.mark.parametrize(("url", "did", "document_url"), URL_EXAMPLES)
def test_did_web_document_url(url: str, did: str, document_url: str) -> None:
    assert did_web_document_url(did, allow_http_hosts=DEV_HOSTS) == document_url


def test_http_only_for_allowed_hosts() -> None:
    assert did_web_document_url("did:web:127.0.0.1%3A5000") == (
        "https://127.0.0.1:5000/.well-known/did.json"
    )
    assert did_web_document_url("did:web:example.com", allow_http_hosts=DEV_HOSTS).startswith(
        "https://"
    )
    # A bare string is one host, not a set of characters.
    assert did_web_document_url("did:web:l", allow_http_hosts="localhost").startswith("https:")
    assert did_web_document_url("did:web:LOCALHOST", allow_http_hosts=["localhost"]) == (
        "http://localhost/.well-known/did.json"
    )


def test_did_url_query_and_fragment_are_stripped() -> None:
    expected = "https://example.com/orgs/acme/did.json"
    assert did_web_document_url("did:web:example.com:orgs:acme#key-1") == expected
    assert did_web_document_url("did:web:example.com:orgs:acme?versionId=1") == expected
    assert did_web_document_url("did:web:example.com:orgs:acme?v=1#k") == expected


def test_path_segments_are_percent_encoded() -> None:
    did = did_web_from_url("https://example.com/~alice/a%20b")
    assert did == "did:web:example.com:%7Ealice:a%20b"
    assert did_web_document_url(did) == "https://example.com/%7Ealice/a%20b/did.json"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/?a=1",
        "https://example.com?",
        "https://example.com/#frag",
        "https://user@example.com",
        "https://user:pw@example.com",
        "ftp://example.com",
        "example.com",
        "//example.com",
        "https:///path",
        "https://[::1]:5000",
        "https://exa_mple.com",
        "https://example.com:0",
        "https://example.com:99999",
        "https://example.com:abc",
        "https://example.com:",
        "https://example.com:05000",
        "https://example.com/a//b",
        "https://example.com/a/../b",
        "https://example.com/./b",
        "https://exa mple.com",
        "https://example.com/\ta",
        "https://example.com/%ff",
        "https://bücher.example",
        "",
    ],
)
def test_did_web_from_url_refuses(url: str) -> None:
    with pytest.raises(InvalidDid):
        did_web_from_url(url)


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "did:web:example.com:",
        "did:web:example.com::a",
        "did:web:example.com:..",
        "did:web:example.com:a/b",
        "did:web:example.com%3A",
        "did:web:example.com%3A0",
        "did:web:example.com%3A70000",
        "did:web:example.com%3Aabc",
        "did:web:example.com%2Fevil",
        "did:web:user@example.com",
    ],
)
def test_did_web_document_url_refuses(did: str) -> None:
    with pytest.raises(InvalidDid):
        did_web_document_url(did)


@pytest.mark.parametrize("did", [None, 1, ["did:web:example.com"], b"did:web:example.com"])
def test_did_web_non_strings(did: object) -> None:
    with pytest.raises(InvalidDid):
        did_web_document_url(did)  # type: ignore[arg-type]
    with pytest.raises(InvalidDid):
        did_web_from_url(did)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- our document


@pytest.fixture(scope="module")
def rsa_signing() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def published(rsa_signing: SigningKey) -> dict[str, PublishedKey]:
    return {
        "active": PublishedKey(generate_key("EdDSA").public, "active", T0),
        "active-es": PublishedKey(generate_key("ES256").public, "active", T0),
        "retired": PublishedKey(generate_key("ES256").public, "retired", T0, T0 + timedelta(1)),
        "retired-rsa": PublishedKey(rsa_signing.public, "retired", T0, T0 + timedelta(2)),
        "compromised": PublishedKey(
            generate_key("EdDSA").public, "compromised", T0, compromised_at=T0 + timedelta(days=1)
        ),
    }


@pytest.fixture
def document(published: dict[str, PublishedKey]) -> dict[str, Any]:
    return did_web_document(DID, list(published.values()))


def _vm(key: PublishedKey) -> str:
    return verification_method_id(DID, key.public.kid)


def test_verification_method_id() -> None:
    assert verification_method_id(DID, "abc") == "did:web:example.com#abc"


def test_document_lists_every_key(
    document: dict[str, Any], published: dict[str, PublishedKey]
) -> None:
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/jwk/v1",
    ]
    assert document["id"] == DID
    ids = [method["id"] for method in document["verificationMethod"]]
    assert ids == [_vm(key) for key in published.values()]
    assert document["assertionMethod"] == [_vm(key) for key in published.values()]
    assert document["authentication"] == [_vm(published[name]) for name in ("active", "active-es")]


def test_one_key_form_per_type(
    document: dict[str, Any], published: dict[str, PublishedKey]
) -> None:
    methods = {method["id"]: method for method in document["verificationMethod"]}
    ed = published["active"]
    assert methods[_vm(ed)] == {
        "id": _vm(ed),
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": multikey_from_public_key(ed.public),
    }
    for name in ("active-es", "retired-rsa"):
        key = published[name]
        assert methods[_vm(key)] == {
            "id": _vm(key),
            "type": "JsonWebKey",
            "controller": DID,
            "publicKeyJwk": key.public.jwk,
        }
        assert "d" not in methods[_vm(key)]["publicKeyJwk"]


def test_document_refuses_duplicates_and_bad_dids(published: dict[str, PublishedKey]) -> None:
    key = published["active"]
    with pytest.raises(InvalidKey):
        did_web_document(DID, [key, key])
    for did in ("did:web:example.com#k", "did:key:z6Mk", "https://example.com", "did:web:"):
        with pytest.raises(InvalidDid):
            did_web_document(did, [key])


def test_empty_document() -> None:
    document = did_web_document(DID, [])
    assert document["verificationMethod"] == []
    assert document["assertionMethod"] == []


def test_published_key_validation(published: dict[str, PublishedKey]) -> None:
    public = published["active"].public
    with pytest.raises(InvalidKey):
        PublishedKey(public, "revoked", T0)
    with pytest.raises(InvalidKey):
        PublishedKey(public, "active", datetime(2025, 1, 1))  # naive on purpose
    with pytest.raises(InvalidKey):
        PublishedKey(public, "retired", T0, datetime(2025, 1, 2))
    paris = timezone(timedelta(hours=1))
    key = PublishedKey(public, "retired", datetime(2025, 1, 1, 1, tzinfo=paris), T0)
    assert key.created == T0
    assert key.created.tzinfo is UTC


# ----------------------------------------------------------------------------- lookup


@pytest.mark.parametrize("name", ["active", "active-es", "retired", "retired-rsa"])
def test_find_active_and_retired_keys(
    document: dict[str, Any], published: dict[str, PublishedKey], name: str
) -> None:
    key = published[name]
    found = find_verification_method(document, _vm(key))
    assert found == key.public
    assert found.alg == key.public.alg


def test_compromised_key_is_marked_revoked(
    document: dict[str, Any], published: dict[str, PublishedKey]
) -> None:
    compromised = published["compromised"]
    method = next(m for m in document["verificationMethod"] if m["id"] == _vm(compromised))
    assert method["revoked"] == "2025-01-02T00:00:00Z"
    with pytest.raises(InvalidKey) as info:
        find_verification_method(document, _vm(compromised))
    assert info.value.message == "The key has been revoked."
    found = find_verification_method(document, _vm(compromised), allow_revoked=True)
    assert found == compromised.public
    assert verification_method_revoked_at(document, _vm(compromised)) == T0 + timedelta(days=1)
    assert verification_method_revoked_at(document, _vm(published["active"])) is None


def test_compromised_status_needs_a_time(published: dict[str, PublishedKey]) -> None:
    public = published["active"].public
    with pytest.raises(InvalidKey):
        PublishedKey(public, "compromised", T0)
    with pytest.raises(InvalidKey):
        PublishedKey(public, "active", T0, compromised_at=T0)


def test_relationship_is_respected(
    document: dict[str, Any], published: dict[str, PublishedKey]
) -> None:
    active, retired = published["active"], published["retired"]
    assert find_verification_method(document, _vm(active), relationship="authentication")
    with pytest.raises(InvalidKey, match="authentication"):
        find_verification_method(document, _vm(retired), relationship="authentication")
    with pytest.raises(InvalidKey, match="capabilityInvocation"):
        find_verification_method(document, _vm(active), relationship="capabilityInvocation")
    with pytest.raises(InvalidDid):
        find_verification_method(document, _vm(active), relationship="verificationMethod")


def test_controller_must_be_the_document(
    document: dict[str, Any], published: dict[str, PublishedKey]
) -> None:
    document["verificationMethod"][0]["controller"] = "did:web:evil.example"
    with pytest.raises(InvalidKey, match="controller"):
        find_verification_method(document, _vm(published["active"]))


def test_key_not_in_document(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidKey, match="not in"):
        find_verification_method(document, DID + "#unknown")


def test_key_of_another_did(document: dict[str, Any], published: dict[str, PublishedKey]) -> None:
    other = "did:web:evil.example#" + published["active"].public.kid
    with pytest.raises(InvalidKey, match="belong"):
        find_verification_method(document, other)


def test_relative_ids(published: dict[str, PublishedKey]) -> None:
    key = published["active"]
    document = {
        "id": DID,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": multikey_from_public_key(key.public),
            }
        ],
        "assertionMethod": ["#key-1"],
    }
    assert find_verification_method(document, DID + "#key-1") == key.public
    assert find_verification_method(document, "#key-1") == key.public


def test_embedded_verification_method(published: dict[str, PublishedKey]) -> None:
    key = published["active-es"]
    document = {
        "id": DID,
        "assertionMethod": [
            {
                "id": DID + "#k",
                "type": "JsonWebKey2020",
                "controller": DID,
                "publicKeyJwk": key.public.jwk,
            }
        ],
    }
    assert find_verification_method(document, DID + "#k") == key.public
    with pytest.raises(InvalidKey):
        find_verification_method(document, DID + "#k", relationship="authentication")


def test_ed25519_verification_key_2020(published: dict[str, PublishedKey]) -> None:
    ed, es = published["active"], published["active-es"]
    document = {
        "id": DID,
        "verificationMethod": [
            {
                "id": DID + "#ed",
                "type": "Ed25519VerificationKey2020",
                "controller": DID,
                "publicKeyMultibase": multikey_from_public_key(ed.public),
            },
            {
                "id": DID + "#es",
                "type": "Ed25519VerificationKey2020",
                "controller": DID,
                "publicKeyMultibase": multikey_from_public_key(es.public),
            },
        ],
        "assertionMethod": [DID + "#ed", DID + "#es"],
    }
    assert find_verification_method(document, DID + "#ed") == ed.public
    with pytest.raises(InvalidKey):
        find_verification_method(document, DID + "#es")


def test_https_controller_document(published: dict[str, PublishedKey]) -> None:
    issuer = "https://example.com/issuers/1"
    key = published["retired-rsa"]
    document = {
        "id": issuer,
        "verificationMethod": [
            {
                "id": issuer + "#k",
                "type": "JsonWebKey",
                "controller": issuer,
                "publicKeyJwk": key.public.jwk,
            }
        ],
        "assertionMethod": [issuer + "#k"],
    }
    assert find_verification_method(document, issuer + "#k") == key.public


def _single(method: dict[str, Any]) -> dict[str, Any]:
    return {"id": DID, "verificationMethod": [method], "assertionMethod": [method["id"]]}


def _method(published: dict[str, PublishedKey], **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": DID + "#k",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": multikey_from_public_key(published["active"].public),
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def test_revoked_method_is_refused(published: dict[str, PublishedKey]) -> None:
    document = _single(_method(published, revoked="2025-01-01T00:00:00Z"))
    with pytest.raises(InvalidKey, match="revoked"):
        find_verification_method(document, DID + "#k")


def test_unsupported_method_type(published: dict[str, PublishedKey]) -> None:
    document = _single(_method(published, type="EcdsaSecp256k1VerificationKey2019"))
    with pytest.raises(InvalidKey, match="type"):
        find_verification_method(document, DID + "#k")


def test_two_keys_in_one_method(published: dict[str, PublishedKey]) -> None:
    jwk = published["active-es"].public.jwk
    document = _single(_method(published, publicKeyJwk=jwk))
    with pytest.raises(InvalidDid):
        find_verification_method(document, DID + "#k")


def test_a_method_defined_twice_identically_is_accepted(
    published: dict[str, PublishedKey],
) -> None:
    """Published did:web documents list the same method twice (8 of DCC's 83 fixtures):
    harmless, since both definitions say the same thing."""
    method = _method(published)
    relative = {**method, "id": "#k"}
    for document in (
        {"id": DID, "verificationMethod": [method, method], "assertionMethod": [DID + "#k"]},
        {"id": DID, "verificationMethod": [method], "assertionMethod": [relative]},
    ):
        key = find_verification_method(document, DID + "#k")
        assert key == published["active"].public


def test_a_method_defined_twice_differently_is_refused(
    published: dict[str, PublishedKey],
) -> None:
    method = _method(published)
    other = _method(
        published, publicKeyMultibase=multikey_from_public_key(published["active-es"].public)
    )
    for document in (
        {"id": DID, "verificationMethod": [method, other], "assertionMethod": [DID + "#k"]},
        {"id": DID, "verificationMethod": [other], "assertionMethod": [method]},
        {
            "id": DID,
            "verificationMethod": [method, {**method, "revoked": "2025-01-01T00:00:00Z"}],
            "assertionMethod": [DID + "#k"],
        },
    ):
        with pytest.raises(InvalidDid, match="more than once, differently"):
            find_verification_method(document, DID + "#k")


def test_jwk_with_disallowed_algorithm(published: dict[str, PublishedKey]) -> None:
    jwk = {**published["active-es"].public.jwk, "alg": "ES512"}
    document = _single(_method(published, type="JsonWebKey", publicKeyMultibase=None))
    document["verificationMethod"][0]["publicKeyJwk"] = jwk
    with pytest.raises(KeyAlgorithmNotAllowed):
        find_verification_method(document, DID + "#k")


def test_private_jwk_in_document(published: dict[str, PublishedKey]) -> None:
    jwk = {**published["active-es"].public.jwk, "d": "AAAA"}
    document = _single(_method(published, type="JsonWebKey", publicKeyMultibase=None))
    document["verificationMethod"][0]["publicKeyJwk"] = jwk
    with pytest.raises(InvalidKey, match="private"):
        find_verification_method(document, DID + "#k")


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "did:web:example.com",
        {},
        {"id": 5},
        {"id": ["did:web:example.com"]},
        {"id": ""},
        {"id": DID + "#frag"},
        {"id": DID, "verificationMethod": {"id": DID + "#k"}, "assertionMethod": [DID + "#k"]},
        {"id": DID, "verificationMethod": [5], "assertionMethod": [DID + "#k"]},
        {"id": DID, "verificationMethod": [{"id": 5}], "assertionMethod": [DID + "#k"]},
        {"id": DID, "verificationMethod": [], "assertionMethod": DID + "#k"},
        {"id": DID, "verificationMethod": [], "assertionMethod": [5]},
        {"id": DID, "verificationMethod": [], "assertionMethod": [{"type": "Multikey"}]},
    ],
)
def test_malformed_documents_raise_invalid_did(document: object) -> None:
    with pytest.raises(InvalidDid):
        find_verification_method(document, DID + "#k")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"controller": 5},
        {"controller": None},
        {"type": None},
        {"type": ["Multikey"]},
        {"publicKeyMultibase": 5},
        {"publicKeyMultibase": None},
        {"publicKeyMultibase": "zNotAKey"},
        {"type": "JsonWebKey", "publicKeyMultibase": None, "publicKeyJwk": "not a jwk"},
        {"type": "JsonWebKey", "publicKeyMultibase": None, "publicKeyJwk": ["kty"]},
        {"type": "JsonWebKey", "publicKeyMultibase": None},
    ],
)
def test_malformed_methods_raise_invalid_did(
    published: dict[str, PublishedKey], changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidDid):
        find_verification_method(_single(_method(published, **changes)), DID + "#k")


@pytest.mark.parametrize("vm_id", [None, 5, "", ["#k"]])
def test_bad_vm_id(document: dict[str, Any], vm_id: object) -> None:
    with pytest.raises(InvalidDid):
        find_verification_method(document, vm_id)  # type: ignore[arg-type]


def _mutations(value: object) -> Iterator[tuple[object, str]]:
    """Yield (mutated copy, description) with each node in turn replaced by a wrong type."""
    replacements: list[object] = [None, 0, 1.5, True, "x", [], {}, [None], {"id": None}]
    if isinstance(value, dict):
        for name in list(value):
            for replacement in replacements:
                mutated = copy.copy(value)
                mutated[name] = replacement
                yield mutated, f"{name}={replacement!r}"
            for inner, description in _mutations(value[name]):
                mutated = copy.copy(value)
                mutated[name] = inner
                yield mutated, f"{name}.{description}"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for replacement in replacements:
                mutated_list = list(value)
                mutated_list[index] = replacement
                yield mutated_list, f"[{index}]={replacement!r}"
            for inner, description in _mutations(item):
                mutated_list = list(value)
                mutated_list[index] = inner
                yield mutated_list, f"[{index}].{description}"


def test_wrong_types_anywhere_raise_keys_errors_only(published: dict[str, PublishedKey]) -> None:
    document = did_web_document(DID, [published["active"], published["retired"]])
    targets = [_vm(published["active"]), _vm(published["retired"])]
    count = 0
    for mutated, description in _mutations(document):
        for target in targets:
            count += 1
            try:
                find_verification_method(mutated, target)  # type: ignore[arg-type]
            except KeysError:
                pass
            except Exception as exc:  # noqa: BLE001 - the point is to catch anything else
                pytest.fail(f"{description}: {type(exc).__name__}: {exc}")
    assert count > 500


# ------------------------------------------------------------------ RsaVerificationKey2018


def _rsa_2018_document(method: dict[str, object]) -> dict[str, object]:
    vm_id = DID + "#rsa"
    return {
        "id": DID,
        "verificationMethod": [
            {"id": vm_id, "type": "RsaVerificationKey2018", "controller": DID, **method}
        ],
        "assertionMethod": [vm_id],
    }


def test_rsa_verification_key_2018_from_pem_or_jwk() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = generate_key("RS256", rsa_bits=2048)
    pem = key.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    by_pem = find_verification_method(
        _rsa_2018_document({"publicKeyPem": pem.decode()}), DID + "#rsa"
    )
    by_jwk = find_verification_method(
        _rsa_2018_document({"publicKeyJwk": key.public.jwk}), DID + "#rsa"
    )
    assert by_pem == by_jwk == key.public
    with pytest.raises(InvalidDid, match="more than one key"):
        find_verification_method(
            _rsa_2018_document({"publicKeyPem": pem.decode(), "publicKeyJwk": key.public.jwk}),
            DID + "#rsa",
        )


@pytest.mark.parametrize(
    "pem",
    [
        None,
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "x" * 5000,
    ],
)
def test_rsa_verification_key_2018_bad_pem(pem: object) -> None:
    with pytest.raises(InvalidKey):
        find_verification_method(_rsa_2018_document({"publicKeyPem": pem}), DID + "#rsa")


def test_rsa_verification_key_2018_holding_an_ec_key() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = generate_key("ES256")
    pem = key.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKey, match="RSA"):
        find_verification_method(_rsa_2018_document({"publicKeyPem": pem.decode()}), DID + "#rsa")
