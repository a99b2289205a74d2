"""Tests for keys.keypair: PublicKey, SigningKey, JWKs and RFC 7638 thumbprints."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from keys import (
    InvalidKey,
    InvalidSignature,
    KeyAlgorithmNotAllowed,
    KeysError,
    PublicKey,
    SigningKey,
    UnsupportedAlgorithm,
    generate_key,
    jwk_thumbprint,
    jwks,
)
from keys._b64 import b64u_decode, b64u_encode

# RFC 7638 §3.1 example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

# RFC 8037 Appendix A: Ed25519 public key, its thumbprint (A.3) and a signed JWS (A.4).
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

ALGS = ("EdDSA", "ES256", "ES384", "RS256")


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def weak_rsa_private() -> rsa.RSAPrivateKey:
    # A deliberately weak key, to check it is refused.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


@pytest.fixture(scope="module")
def signing_keys(rsa_private: rsa.RSAPrivateKey) -> dict[str, SigningKey]:
    return {
        "EdDSA": generate_key("EdDSA"),
        "ES256": generate_key("ES256"),
        "ES384": generate_key("ES384"),
        "RS256": SigningKey("RS256", rsa_private),
    }


def _flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# ----------------------------------------------------------------------------- sign / verify


@pytest.mark.parametrize("alg", ALGS)
def test_sign_verify_round_trip(signing_keys: dict[str, SigningKey], alg: str) -> None:
    key = signing_keys[alg]
    data = b"header.payload"
    signature = key.sign(data)
    key.public.verify(signature, data)  # returns None, raises on failure
    assert key.alg == key.public.alg == alg


@pytest.mark.parametrize("alg", ALGS)
def test_tampered_data_is_refused(signing_keys: dict[str, SigningKey], alg: str) -> None:
    key = signing_keys[alg]
    signature = key.sign(b"header.payload")
    with pytest.raises(InvalidSignature) as info:
        key.public.verify(signature, b"header.payloae")
    assert info.value.code == "bad_signature"
    assert isinstance(info.value.__cause__, CryptoInvalidSignature)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("index", [0, 31, -1])
def test_tampered_signature_is_refused(
    signing_keys: dict[str, SigningKey], alg: str, index: int
) -> None:
    key = signing_keys[alg]
    signature = key.sign(b"data")
    with pytest.raises(InvalidSignature):
        key.public.verify(_flip(signature, index % len(signature)), b"data")


@pytest.mark.parametrize("alg", ALGS)
def test_signature_from_another_key_is_refused(
    signing_keys: dict[str, SigningKey], alg: str
) -> None:
    other = generate_key(alg, rsa_bits=2048) if alg != "RS256" else None
    if other is None:
        other = SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(InvalidSignature):
        signing_keys[alg].public.verify(other.sign(b"data"), b"data")


@pytest.mark.parametrize("alg", ALGS)
def test_empty_signature_is_refused(signing_keys: dict[str, SigningKey], alg: str) -> None:
    with pytest.raises(InvalidSignature):
        signing_keys[alg].public.verify(b"", b"data")


def test_es256_signature_is_raw_r_s(signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["ES256"]
    signature = key.sign(b"data")
    assert len(signature) == 64
    # The same signature, DER-encoded, verifies with cryptography directly (RFC 7518 §3.4).
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    public = key.private_key.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(der, b"data", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("length", [0, 32, 63, 65, 70, 72, 128])
def test_es256_signature_of_wrong_length_is_refused(
    signing_keys: dict[str, SigningKey], length: int
) -> None:
    signature = signing_keys["ES256"].sign(b"data")
    wrong = (signature * 3)[:length]
    with pytest.raises(InvalidSignature):
        signing_keys["ES256"].public.verify(wrong, b"data")


def test_es256_der_signature_is_refused(signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["ES256"]
    private = key.private_key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    der = private.sign(b"data", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.public.verify(der, b"data")


def test_rfc8037_ed25519_example_verifies() -> None:
    key = PublicKey.from_jwk(RFC8037_JWK)
    header, payload, signature = RFC8037_JWS.split(".")
    raw = b64u_decode(signature)
    assert raw is not None
    key.verify(raw, f"{header}.{payload}".encode())
    with pytest.raises(InvalidSignature):
        key.verify(raw, f"{header}.{payload}x".encode())


# ----------------------------------------------------------------------------- key/alg checks


def test_rsa_key_with_es256_is_refused(rsa_private: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InvalidKey):
        PublicKey("ES256", rsa_private.public_key())
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(rsa_private.public_key(), "ES256")
    with pytest.raises(InvalidKey):
        SigningKey("ES256", rsa_private)


def test_p384_key_is_es384() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert PublicKey.from_public_key(p384.public_key()).alg == "ES384"
    key = SigningKey.from_private_key(p384)
    assert key.alg == "ES384"
    assert key.public.jwk["crv"] == "P-384"
    assert len(key.sign(b"data")) == 96  # RFC 7518 §3.4: R || S, 48 octets each


def test_p384_key_is_refused_for_es256() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(p384.public_key(), "ES256")
    with pytest.raises(InvalidKey):
        SigningKey.from_private_key(p384, "ES256")


def test_p256_key_is_refused_for_es384() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(p256.public_key(), "ES384")
    with pytest.raises(InvalidKey):
        SigningKey.from_private_key(p256, "ES384")


def test_es256_signature_does_not_verify_as_es384(signing_keys: dict[str, SigningKey]) -> None:
    # A 64-byte P-256 signature handed to a P-384 key: refused for its length, before any math.
    with pytest.raises(InvalidSignature, match="96 bytes"):
        signing_keys["ES384"].public.verify(signing_keys["ES256"].sign(b"data"), b"data")
    with pytest.raises(InvalidSignature, match="64 bytes"):
        signing_keys["ES256"].public.verify(signing_keys["ES384"].sign(b"data"), b"data")


def test_p521_key_is_refused() -> None:
    p521 = ec.generate_private_key(ec.SECP521R1())
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(p521.public_key())
    with pytest.raises(InvalidKey):
        SigningKey.from_private_key(p521)


def test_secp256k1_key_is_refused() -> None:
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(ec.generate_private_key(ec.SECP256K1()).public_key())


def test_rsa_1024_is_refused(weak_rsa_private: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(weak_rsa_private.public_key())
    with pytest.raises(InvalidKey):
        SigningKey("RS256", weak_rsa_private)
    numbers = weak_rsa_private.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64u_encode(numbers.n.to_bytes(128, "big")),
        "e": b64u_encode(numbers.e.to_bytes(3, "big")),
    }
    with pytest.raises(InvalidKey):
        PublicKey.from_jwk(jwk)


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_ed25519_key_with_other_alg_is_refused(alg: str) -> None:
    with pytest.raises(InvalidKey):
        PublicKey(alg, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
def test_p256_key_with_other_alg_is_refused(alg: str) -> None:
    with pytest.raises(InvalidKey):
        PublicKey(alg, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_ed448_is_refused() -> None:
    key = ed448.Ed448PrivateKey.generate()
    with pytest.raises(InvalidKey):
        PublicKey.from_public_key(key.public_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        PublicKey("EdDSA", key.public_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        SigningKey.from_private_key(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ["HS256", "none", "ES512", "PS256", 256])
def test_algorithm_outside_allow_list_is_refused(alg: object) -> None:
    public = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(KeyAlgorithmNotAllowed) as info:
        PublicKey(alg, public)  # type: ignore[arg-type]
    # Both an InvalidKey and an UnsupportedAlgorithm, so either kind of handler sees it.
    assert isinstance(info.value, InvalidKey)
    assert isinstance(info.value, UnsupportedAlgorithm)
    assert info.value.code == "unsupported_algorithm"
    with pytest.raises(UnsupportedAlgorithm):
        SigningKey(alg, Ed25519PrivateKey.generate())  # type: ignore[arg-type]


def test_kid_must_be_the_thumbprint(signing_keys: dict[str, SigningKey]) -> None:
    public = signing_keys["EdDSA"].public
    assert PublicKey("EdDSA", public.key, public.kid) == public
    with pytest.raises(InvalidKey):
        PublicKey("EdDSA", public.key, "not-the-thumbprint")


# ----------------------------------------------------------------------------- generate_key


@pytest.mark.parametrize("bits", [512, 1024, 2047, 16384])
def test_generate_rsa_bits_out_of_range(bits: int) -> None:
    with pytest.raises(InvalidKey):
        generate_key("RS256", rsa_bits=bits)


@pytest.mark.parametrize("alg", ["HS256", "none", "ES512"])
def test_generate_unsupported_algorithm(alg: str) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        generate_key(alg)


def test_generate_key_types() -> None:
    assert isinstance(generate_key("EdDSA").private_key, Ed25519PrivateKey)
    es = generate_key("ES256").private_key
    assert isinstance(es, ec.EllipticCurvePrivateKey)
    assert isinstance(es.curve, ec.SECP256R1)


# ----------------------------------------------------------------------------- JWK


def test_rfc7638_example_thumbprint() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    key = PublicKey.from_jwk(RFC7638_JWK)
    assert key.kid == RFC7638_THUMBPRINT
    assert key.alg == "RS256"


def test_rfc8037_okp_thumbprint() -> None:
    assert jwk_thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    assert PublicKey.from_jwk(RFC8037_JWK).kid == RFC8037_THUMBPRINT


def test_thumbprint_ignores_optional_members() -> None:
    extra = {**RFC7638_JWK, "use": "sig", "key_ops": ["verify"], "x5c": ["..."]}
    assert jwk_thumbprint(extra) == RFC7638_THUMBPRINT


@pytest.mark.parametrize(
    "jwk",
    [
        {},
        {"kty": "oct", "k": "AAAA"},
        {"kty": "RSA", "n": "AQAB"},
        {"kty": "RSA", "n": 5, "e": "AQAB"},
        {"kty": "EC", "crv": "P-256", "x": "AA"},
        {"kty": ["OKP"], "crv": "Ed25519", "x": "AA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "\ud800"},
    ],
)
def test_thumbprint_of_malformed_jwk(jwk: dict[str, object]) -> None:
    with pytest.raises(InvalidKey):
        jwk_thumbprint(jwk)


def test_thumbprint_of_non_mapping() -> None:
    with pytest.raises(InvalidKey):
        jwk_thumbprint(["kty", "RSA"])  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ALGS)
def test_jwk_round_trip(signing_keys: dict[str, SigningKey], alg: str) -> None:
    public = signing_keys[alg].public
    jwk = public.jwk
    assert jwk["kid"] == public.kid == jwk_thumbprint(jwk)
    assert jwk["alg"] == alg
    assert jwk["use"] == "sig"
    again = PublicKey.from_jwk(jwk)
    assert again == public
    assert hash(again) == hash(public)
    assert again.kid == public.kid


def test_jwk_members_per_type(signing_keys: dict[str, SigningKey]) -> None:
    assert set(signing_keys["EdDSA"].public.jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert set(signing_keys["ES256"].public.jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert set(signing_keys["RS256"].public.jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    es = signing_keys["ES256"].public.jwk
    assert es["crv"] == "P-256"
    assert len(b64u_decode(es["x"]) or b"") == len(b64u_decode(es["y"]) or b"") == 32
    assert signing_keys["RS256"].public.jwk["e"] == "AQAB"


def test_jwk_is_a_copy(signing_keys: dict[str, SigningKey]) -> None:
    public = signing_keys["EdDSA"].public
    jwk = public.jwk
    jwk["d"] = "secret"
    jwk["kid"] = "changed"
    assert "d" not in public.jwk
    assert public.jwk["kid"] == public.kid


def test_from_jwk_infers_algorithm(signing_keys: dict[str, SigningKey]) -> None:
    for alg in ALGS:
        jwk = signing_keys[alg].public.jwk
        del jwk["alg"]
        assert PublicKey.from_jwk(jwk).alg == alg


def test_from_jwk_alg_agreement(signing_keys: dict[str, SigningKey]) -> None:
    jwk = signing_keys["ES256"].public.jwk
    assert PublicKey.from_jwk(jwk, "ES256").alg == "ES256"
    with pytest.raises(InvalidKey):
        PublicKey.from_jwk(jwk, "RS256")  # the JWK says ES256
    del jwk["alg"]
    with pytest.raises(InvalidKey):
        PublicKey.from_jwk(jwk, "RS256")  # an EC key cannot do RS256
    with pytest.raises(InvalidKey):
        PublicKey.from_jwk({**jwk, "alg": "EdDSA"})
    with pytest.raises(InvalidKey, match="P-384"):
        PublicKey.from_jwk({**jwk, "alg": "ES384"})  # a P-256 key cannot do ES384
    with pytest.raises(KeyAlgorithmNotAllowed):
        PublicKey.from_jwk({**jwk, "alg": "ES512"})
    with pytest.raises(KeyAlgorithmNotAllowed):
        PublicKey.from_jwk(jwk, "HS256")


def test_from_jwk_ignores_a_foreign_kid(signing_keys: dict[str, SigningKey]) -> None:
    public = signing_keys["EdDSA"].public
    assert PublicKey.from_jwk({**public.jwk, "kid": "key-1"}).kid == public.kid


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_is_refused(signing_keys: dict[str, SigningKey], alg: str, member: str) -> None:
    jwk: dict[str, object] = {**signing_keys[alg].public.jwk, member: "AQAB"}
    with pytest.raises(InvalidKey, match="private"):
        PublicKey.from_jwk(jwk)


def test_symmetric_jwk_is_refused() -> None:
    with pytest.raises(InvalidKey):
        PublicKey.from_jwk({"kty": "oct", "alg": "HS256"})


def _ed() -> dict[str, object]:
    return {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_JWK["x"]}


def _ec(signing_keys: dict[str, SigningKey]) -> dict[str, object]:
    return dict(signing_keys["ES256"].public.jwk)


def _rsa(signing_keys: dict[str, SigningKey]) -> dict[str, object]:
    return dict(signing_keys["RS256"].public.jwk)


Mutation = Callable[[dict[str, SigningKey]], object]

GARBAGE: dict[str, Mutation] = {
    "list": lambda k: [_ed()],
    "string": lambda k: "OKP",
    "none": lambda k: None,
    "int": lambda k: 42,
    "kty-missing": lambda k: {"crv": "Ed25519", "x": RFC8037_JWK["x"]},
    "kty-int": lambda k: {**_ed(), "kty": 1},
    "kty-list": lambda k: {**_ed(), "kty": ["OKP"]},
    "kty-dict": lambda k: {**_ed(), "kty": {"a": 1}},
    "kty-unknown": lambda k: {**_ed(), "kty": "XYZ"},
    "crv-int": lambda k: {**_ed(), "crv": 25519},
    "crv-x25519": lambda k: {**_ed(), "crv": "X25519"},
    "crv-ed448": lambda k: {**_ed(), "crv": "Ed448"},
    "x-missing": lambda k: {"kty": "OKP", "crv": "Ed25519"},
    "x-int": lambda k: {**_ed(), "x": 12345},
    "x-list": lambda k: {**_ed(), "x": ["a"]},
    "x-bytes": lambda k: {**_ed(), "x": b"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    "x-none": lambda k: {**_ed(), "x": None},
    "x-empty": lambda k: {**_ed(), "x": ""},
    "x-not-base64": lambda k: {**_ed(), "x": "!!!!not base64!!!!"},
    "x-standard-base64": lambda k: {**_ed(), "x": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    "x-padded": lambda k: {**_ed(), "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
    "x-whitespace": lambda k: {**_ed(), "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo "},
    "x-non-canonical": lambda k: {**_ed(), "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp"},
    "x-short": lambda k: {**_ed(), "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcH"},
    "x-long": lambda k: {**_ed(), "x": "A" * 4000},
    "x-non-ascii": lambda k: {**_ed(), "x": "é" * 43},
    "use-enc": lambda k: {**_ed(), "use": "enc"},
    "use-int": lambda k: {**_ed(), "use": 1},
    "key-ops-sign": lambda k: {**_ed(), "key_ops": ["sign"]},
    "key-ops-string": lambda k: {**_ed(), "key_ops": "verify"},
    "alg-int": lambda k: {**_ed(), "alg": 1},
    "alg-list": lambda k: {**_ed(), "alg": ["EdDSA"]},
    "ec-crv-p384": lambda k: {**_ec(k), "crv": "P-384"},
    "ec-crv-missing": lambda k: {key: v for key, v in _ec(k).items() if key != "crv"},
    "ec-y-missing": lambda k: {key: v for key, v in _ec(k).items() if key != "y"},
    "ec-y-int": lambda k: {**_ec(k), "y": 7},
    "ec-x-short": lambda k: {**_ec(k), "x": b64u_encode(b"\x01" * 31)},
    "ec-not-on-curve": lambda k: {**_ec(k), "y": b64u_encode(b"\x01" * 32)},
    "ec-on-okp": lambda k: {**_ec(k), "kty": "OKP"},
    "rsa-n-missing": lambda k: {key: v for key, v in _rsa(k).items() if key != "n"},
    "rsa-n-int": lambda k: {**_rsa(k), "n": 2**2048 + 1},
    "rsa-e-list": lambda k: {**_rsa(k), "e": [65537]},
    "rsa-e-even": lambda k: {**_rsa(k), "e": b64u_encode(b"\x01\x00\x00")},
    "rsa-e-huge": lambda k: {**_rsa(k), "e": b64u_encode(b"\x01" * 300)},
    "rsa-n-huge": lambda k: {**_rsa(k), "n": b64u_encode(b"\xff" * 2000)},
    "rsa-n-small": lambda k: {**_rsa(k), "n": b64u_encode(b"\xc3" * 64)},
    "rsa-zero": lambda k: {**_rsa(k), "n": "AA"},
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_from_jwk_garbage_raises_invalid_key(
    signing_keys: dict[str, SigningKey], name: str
) -> None:
    jwk = GARBAGE[name](signing_keys)
    with pytest.raises(InvalidKey) as info:
        PublicKey.from_jwk(jwk)  # type: ignore[arg-type]
    assert isinstance(info.value, KeysError)
    assert info.value.message


def test_jwks(signing_keys: dict[str, SigningKey]) -> None:
    keys = [signing_keys[alg].public for alg in ALGS]
    result = jwks(keys)
    assert result == {"keys": [key.jwk for key in keys]}
    assert jwks([]) == {"keys": []}


# ----------------------------------------------------------------------------- SigningKey


@pytest.mark.parametrize("alg", ALGS)
def test_repr_reveals_no_key_material(signing_keys: dict[str, SigningKey], alg: str) -> None:
    key = signing_keys[alg]
    text = repr(key) + str(key)
    assert key.kid in text
    assert alg in text
    assert "private" not in text.lower()
    assert "object at" not in text
    private = key.private_key
    if isinstance(private, rsa.RSAPrivateKey):
        numbers = private.private_numbers()
        for secret in (numbers.d, numbers.p, numbers.q):
            assert str(secret) not in text
            assert b64u_encode(secret.to_bytes((secret.bit_length() + 7) // 8)) not in text
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        assert str(private.private_numbers().private_value) not in text
    else:
        assert b64u_encode(private.private_bytes_raw()) not in text


def test_public_is_computed_once(signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["ES256"]
    assert key.public is key.public
    assert key.kid == key.public.kid


def test_signing_key_from_private_key_infers_alg(rsa_private: rsa.RSAPrivateKey) -> None:
    assert SigningKey.from_private_key(Ed25519PrivateKey.generate()).alg == "EdDSA"
    assert SigningKey.from_private_key(ec.generate_private_key(ec.SECP256R1())).alg == "ES256"
    assert SigningKey.from_private_key(rsa_private).alg == "RS256"


def test_keys_are_immutable(signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["EdDSA"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.alg = "ES256"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.public.kid = "x"  # type: ignore[misc]


def test_equality_is_by_algorithm_and_thumbprint(signing_keys: dict[str, SigningKey]) -> None:
    a = signing_keys["EdDSA"]
    b = SigningKey("EdDSA", a.private_key)
    assert a == b
    assert a.public == b.public
    assert {a.public, b.public} == {a.public}
    assert a.public != signing_keys["ES256"].public


def test_public_key_from_pem_reads_public_keys_only() -> None:
    """OB 2.0 CryptographicKey.publicKeyPem: a SubjectPublicKeyInfo PEM, nothing else."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    signing = generate_key("RS256", rsa_bits=2048)
    pem = signing.public.key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert PublicKey.from_pem(pem.decode()) == signing.public
    assert PublicKey.from_pem(pem, "RS256").alg == "RS256"
    private = signing.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    for bad in (private, b"not a key", pem[:40], b"A" * 20_000):
        with pytest.raises(InvalidKey):
            PublicKey.from_pem(bad)
    with pytest.raises(InvalidKey):
        PublicKey.from_pem(pem, "ES256")  # the key type decides, never the caller's wish
