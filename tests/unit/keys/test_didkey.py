"""Tests for keys.didkey: Multikey values, did:key identifiers and their DID documents."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keys import (
    InvalidDid,
    InvalidKey,
    PublicKey,
    b58decode,
    b58encode,
    did_key_document,
    did_key_from_public_key,
    generate_key,
    multikey_from_public_key,
    public_key_from_did_key,
    public_key_from_multikey,
)

# did:key spec test vector (Ed25519).
ED25519_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
ED25519_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
# did:key spec example (P-256).
P256_DID = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"


@pytest.fixture(scope="module")
def ed25519_vector() -> PublicKey:
    return PublicKey.from_public_key(Ed25519PublicKey.from_public_bytes(bytes.fromhex(ED25519_HEX)))


def test_ed25519_known_vector(ed25519_vector: PublicKey) -> None:
    assert multikey_from_public_key(ed25519_vector) == ED25519_MULTIKEY
    assert did_key_from_public_key(ed25519_vector) == "did:key:" + ED25519_MULTIKEY
    back = public_key_from_multikey(ED25519_MULTIKEY)
    assert back == ed25519_vector
    assert back.alg == "EdDSA"
    key = back.key
    assert isinstance(key, Ed25519PublicKey)
    assert key.public_bytes_raw().hex() == ED25519_HEX


def test_p256_known_vector() -> None:
    key = public_key_from_did_key(P256_DID)
    assert key.alg == "ES256"
    assert did_key_from_public_key(key) == P256_DID


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES384"])
def test_round_trip(alg: str) -> None:
    public = generate_key(alg).public
    did = did_key_from_public_key(public)
    prefix = {"EdDSA": "did:key:z6Mk", "ES256": "did:key:zDn", "ES384": "did:key:z82"}[alg]
    assert did.startswith(prefix)
    assert public_key_from_did_key(did) == public
    assert public_key_from_did_key(f"{did}#{did.removeprefix('did:key:')}") == public
    assert public_key_from_multikey(multikey_from_public_key(public)) == public


def test_p256_uses_the_compressed_point() -> None:
    public = generate_key("ES256").public
    raw = b58decode(multikey_from_public_key(public)[1:])
    assert raw[:2] == b"\x80\x24"
    assert len(raw) == 35
    assert raw[2] in (2, 3)


def test_p384_uses_p384_pub_and_the_compressed_point() -> None:
    public = generate_key("ES384").public
    raw = b58decode(multikey_from_public_key(public)[1:])
    assert raw[:2] == b"\x81\x24"  # p384-pub 0x1201 as an unsigned varint
    assert len(raw) == 2 + 49
    assert raw[2] in (2, 3)
    assert public_key_from_multikey(multikey_from_public_key(public)).alg == "ES384"


@pytest.fixture(scope="module")
def rsa_public() -> PublicKey:
    return PublicKey.from_public_key(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    )


def test_rsa_is_not_a_multikey(rsa_public: PublicKey) -> None:
    public = rsa_public
    with pytest.raises(InvalidKey):
        multikey_from_public_key(public)
    with pytest.raises(InvalidKey):
        did_key_from_public_key(public)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "z",
        ED25519_MULTIKEY[1:],  # no multibase prefix
        "u" + ED25519_MULTIKEY[1:],  # another multibase
        ED25519_MULTIKEY + "1",  # too long by a byte
        ED25519_MULTIKEY[:-1],  # too short
        ED25519_MULTIKEY + "0",  # not base58
        "z" + b58encode(b"\xed\x01" + b"\x00" * 31),  # 31-byte Ed25519
        "z" + b58encode(b"\xec\x01" + b"\x01" * 32),  # x25519-pub, not a signing key
        "z" + b58encode(b"\xe7\x01" + b"\x02" * 33),  # secp256k1-pub
        "z" + b58encode(b"\x80\x24" + b"\x04" + b"\x01" * 32),  # bad point prefix
        "z" + b58encode(b"\x80\x24" + b"\x02" + b"\x01" * 31),  # short point
        "z" + b58encode(b"\x81\x24" + b"\x02" + b"\x01" * 32),  # p384-pub, a P-256-sized point
        "z" + b58encode(b"\x80\x24" + b"\x02" + b"\x01" * 48),  # p256-pub, a P-384-sized point
        "z" + b58encode(b"\x82\x24" + b"\x02" + b"\x01" * 66),  # p521-pub
        "z" + "2" * 5000,  # long input is refused before decoding
    ],
)
def test_bad_multikey_values(value: str) -> None:
    with pytest.raises(InvalidDid):
        public_key_from_multikey(value)


@pytest.mark.parametrize("value", [None, 1, b"z6Mk", ["z6Mk"]])
def test_non_string_multikey(value: object) -> None:
    with pytest.raises(InvalidDid):
        public_key_from_multikey(value)  # type: ignore[arg-type]


def test_point_not_on_curve_is_refused() -> None:
    for x in range(1, 100):
        candidate = b"\x02" + x.to_bytes(32, "big")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), candidate)
        except ValueError:
            break
    else:  # pragma: no cover - about half of all x values have no point
        pytest.fail("no invalid x found")
    with pytest.raises(InvalidDid):
        public_key_from_multikey("z" + b58encode(b"\x80\x24" + candidate))


@pytest.mark.parametrize(
    "did",
    [
        ED25519_MULTIKEY,
        "did:web:" + ED25519_MULTIKEY,
        "did:key:",
        "DID:KEY:" + ED25519_MULTIKEY,
        "did:key:" + ED25519_MULTIKEY + "#key-1",
        "did:key:" + ED25519_MULTIKEY + "#",
        "did:key:" + ED25519_MULTIKEY + "#" + P256_DID.removeprefix("did:key:"),
        "did:key:" + ED25519_MULTIKEY + "?service=x",
        "did:key:" + ED25519_MULTIKEY + "/path",
        "did:key:1.0:" + ED25519_MULTIKEY,
    ],
)
def test_bad_did_key(did: str) -> None:
    with pytest.raises(InvalidDid):
        public_key_from_did_key(did)


@pytest.mark.parametrize("did", [None, 5, ["did:key:z6Mk"]])
def test_non_string_did_key(did: object) -> None:
    with pytest.raises(InvalidDid):
        public_key_from_did_key(did)  # type: ignore[arg-type]
    with pytest.raises(InvalidDid):
        did_key_document(did)  # type: ignore[arg-type]


def test_did_key_document() -> None:
    did = "did:key:" + ED25519_MULTIKEY
    vm_id = f"{did}#{ED25519_MULTIKEY}"
    assert did_key_document(did) == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": ED25519_MULTIKEY,
            }
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
    assert did_key_document(vm_id) == did_key_document(did)


def test_did_key_document_refuses_bad_dids() -> None:
    with pytest.raises(InvalidDid):
        did_key_document("did:key:zNotAKey")
    with pytest.raises(InvalidDid):
        did_key_document("did:key:" + ED25519_MULTIKEY + "#other")
