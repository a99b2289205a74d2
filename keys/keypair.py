"""Signing keys, public keys and their JWK form (RFC 7517, RFC 7518, RFC 7638, RFC 8037).

A :class:`PublicKey` pairs a ``cryptography`` public key with the JWS algorithm it may be used
with and its ``kid``, which everywhere in Skill Passport is the RFC 7638 JWK thumbprint of the
public key. Construction validates that key type and algorithm match (EdDSA ↔ Ed25519,
ES256 ↔ P-256, ES384 ↔ P-384, RS256 ↔ RSA of at least 2048 bits), so that a ``PublicKey`` that
exists is one that may be used. Signatures use the JWS encodings of RFC 7518 §3 (ES256 is the
raw 64-byte ``R || S``, ES384 the 96-byte one, not DER). :class:`SigningKey` adds the private
half; it never shows key material in its ``repr``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from keys._b64 import b64u_decode, b64u_encode
from keys.algorithms import MAX_RSA_BITS, MIN_RSA_BITS, check_algorithm
from keys.errors import InvalidKey, InvalidSignature, KeyAlgorithmNotAllowed, UnsupportedAlgorithm

__all__ = [
    "PrivateKeyTypes",
    "PublicKey",
    "PublicKeyTypes",
    "SigningKey",
    "generate_key",
    "jwk_thumbprint",
    "jwks",
]

PublicKeyTypes: TypeAlias = Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKeyTypes: TypeAlias = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# Shared, immutable parameter objects: built once so signing and verifying allocate nothing extra.
_SHA256 = hashes.SHA256()
_PKCS1V15 = padding.PKCS1v15()


@dataclass(frozen=True, slots=True)
class _Curve:
    """An ECDSA JWS algorithm's curve, JWK name, coordinate size and hash (RFC 7518 §3.4)."""

    alg: str
    curve: type[ec.EllipticCurve]
    name: str  # cryptography's name of the curve
    crv: str
    size: int  # octets of one coordinate, and of R and of S
    ecdsa: ec.ECDSA


# RFC 7518 §3.4: an ES256 JWS signature is R || S, each a 32-octet big-endian integer; ES384's
# are 48 octets each. §6.2.1.1: the JWK "crv" names are "P-256" and "P-384".
_CURVES: dict[str, _Curve] = {
    "ES256": _Curve("ES256", ec.SECP256R1, "secp256r1", "P-256", 32, ec.ECDSA(_SHA256)),
    "ES384": _Curve("ES384", ec.SECP384R1, "secp384r1", "P-384", 48, ec.ECDSA(hashes.SHA384())),
}
_CURVE_BY_CRV = {c.crv: c for c in _CURVES.values()}
_CURVE_BY_NAME = {c.name: c for c in _CURVES.values()}


def _curve_of(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> _Curve:
    curve = _CURVE_BY_NAME.get(key.curve.name)
    if curve is None:
        raise InvalidKey("Only the P-256 and P-384 curves are accepted for EC keys.")
    return curve


_ED25519_BYTES = 32  # RFC 8032 §5.1.5 / RFC 8037 §2: "x" is the 32-octet public key
#: An RSA-8192 public key in PEM is about 1.5 KB; anything far larger is not one key.
_MAX_PEM_BYTES = 16 * 1024
_MAX_RSA_E_BYTES = 8  # public exponents in use are 3 or 65537; bounds the cost of hostile JWKs

# RFC 7518 §6.2.2, §6.3.2 and §6.4, RFC 8037 §2: members that carry private or secret key
# material. A public JWK must contain none of them.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# RFC 7638 §3.2: the required members of each key type, already in lexicographic order.
_THUMBPRINT_MEMBERS: dict[str, tuple[str, ...]] = {
    "OKP": ("crv", "kty", "x"),  # RFC 8037 §2
    "EC": ("crv", "kty", "x", "y"),  # RFC 7638 §3.2
    "RSA": ("e", "kty", "n"),  # RFC 7638 §3.2
}


# --------------------------------------------------------------------------------------------
# JWK helpers


def jwk_thumbprint(jwk: Mapping[str, object]) -> str:
    """Return the RFC 7638 JWK thumbprint of ``jwk`` (SHA-256, base64url without padding).

    RFC 7638 §3: only the required members of the key type are hashed (OKP: crv, kty, x;
    EC: crv, kty, x, y; RSA: e, kty, n), serialised as JSON with the member names in
    lexicographic order, no whitespace, UTF-8 encoded. Other members ("kid", "alg", ...) are
    ignored, so a private JWK and its public JWK have the same thumbprint.

    Returns:
        The 43-character base64url thumbprint.

    Raises:
        InvalidKey: ``jwk`` is not a mapping, its ``kty`` is unknown (symmetric ``oct`` keys are
            not accepted by this package), or a required member is missing or not a string.
    """
    if not isinstance(jwk, Mapping):
        raise InvalidKey("A JWK must be a JSON object.")
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in _THUMBPRINT_MEMBERS:
        raise InvalidKey("The JWK key type (kty) must be OKP, EC or RSA.")
    members: dict[str, str] = {}
    for name in _THUMBPRINT_MEMBERS[kty]:
        value = jwk.get(name)
        if not isinstance(value, str):
            raise InvalidKey(f"The JWK member {name!r} is missing or not a string.")
        members[name] = value
    # RFC 7638 §3.3: lexicographic member order (sort_keys sorts by code point), no whitespace,
    # UTF-8 (§3 step 2). Members are in order already; sort_keys keeps that explicit.
    try:
        canonical = json.dumps(
            members, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8 encoded
        raise InvalidKey("The JWK contains text that is not valid Unicode.") from exc
    return b64u_encode(hashlib.sha256(canonical).digest())


def _uint_bytes(value: int) -> bytes:
    # RFC 7518 §6.3.1.1: Base64urlUInt uses the minimum number of octets for the value.
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _public_members(key: PublicKeyTypes) -> dict[str, str]:
    """Return the public JWK members of ``key`` (RFC 8037 §2, RFC 7518 §6.2.1 and §6.3.1)."""
    if isinstance(key, Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(key.public_bytes_raw())}
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        curve = _curve_of(key)
        # RFC 7518 §6.2.1.2/§6.2.1.3: coordinates are the full size for the curve (32 octets
        # for P-256, 48 for P-384).
        return {
            "kty": "EC",
            "crv": curve.crv,
            "x": b64u_encode(numbers.x.to_bytes(curve.size, "big")),
            "y": b64u_encode(numbers.y.to_bytes(curve.size, "big")),
        }
    rsa_numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "n": b64u_encode(_uint_bytes(rsa_numbers.n)),
        "e": b64u_encode(_uint_bytes(rsa_numbers.e)),
    }


def _decode_member(jwk: Mapping[str, object], name: str, *, max_len: int) -> bytes:
    data = b64u_decode(jwk.get(name), max_len=max_len)
    if data is None or not data:
        raise InvalidKey(f"The JWK member {name!r} is missing or not a base64url string.")
    return data


def _key_from_jwk(jwk: Mapping[str, object], kty: str) -> PublicKeyTypes:
    """Build the ``cryptography`` public key described by a public JWK of type ``kty``."""
    crv = jwk.get("crv")
    try:
        if kty == "OKP":
            # RFC 8037 §2: OKP keys name their curve; only Ed25519 signs here (not Ed448/X25519).
            if crv != "Ed25519":
                raise InvalidKey("Only the Ed25519 curve is accepted for OKP keys.")
            x = _decode_member(jwk, "x", max_len=_ED25519_BYTES)
            if len(x) != _ED25519_BYTES:
                raise InvalidKey("An Ed25519 public key must be 32 bytes.")
            return Ed25519PublicKey.from_public_bytes(x)
        if kty == "EC":
            curve = _CURVE_BY_CRV.get(crv) if isinstance(crv, str) else None
            if curve is None:
                raise InvalidKey("Only the P-256 and P-384 curves are accepted for EC keys.")
            x = _decode_member(jwk, "x", max_len=curve.size)
            y = _decode_member(jwk, "y", max_len=curve.size)
            # RFC 7518 §6.2.1.2: "MUST be the full size of a coordinate for the curve".
            if len(x) != curve.size or len(y) != curve.size:
                raise InvalidKey(f"{curve.crv} coordinates must be {curve.size} bytes each.")
            # SEC 1 §2.3.4 uncompressed point; cryptography checks the point is on the curve.
            return ec.EllipticCurvePublicKey.from_encoded_point(curve.curve(), b"\x04" + x + y)
        # kty == "RSA", RFC 7518 §6.3.1. One leading zero octet is tolerated in "n".
        n = _decode_member(jwk, "n", max_len=MAX_RSA_BITS // 8 + 1)
        e = _decode_member(jwk, "e", max_len=_MAX_RSA_E_BYTES)
        return rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big")).public_key()
    except ValueError as exc:
        raise InvalidKey("The JWK does not describe a valid public key.") from exc
    except _CryptoUnsupportedAlgorithm as exc:
        raise InvalidKey("The JWK key type is not supported by this system.") from exc


# --------------------------------------------------------------------------------------------
# Algorithm ↔ key type


def _alg_for_key(key: object) -> str:
    """Return the JWS algorithm implied by a public key's type."""
    if isinstance(key, Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _curve_of(key).alg
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    raise InvalidKey("The key type is not supported (Ed25519, P-256, P-384 or RSA expected).")


def _check_key_matches(alg: str, key: object) -> None:
    """Raise :class:`InvalidKey` unless ``key`` is the key type ``alg`` signs with."""
    if alg == "EdDSA":
        # RFC 8037 §3.1: EdDSA with the Ed25519 curve (Ed448 is not on our allow-list).
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidKey("EdDSA requires an Ed25519 key.")
    elif alg in _CURVES:
        # RFC 7518 §3.4: ES256 is ECDSA using P-256 and SHA-256, ES384 P-384 and SHA-384; no
        # other pairing of curve and hash.
        curve = _CURVES[alg]
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve.curve):
            raise InvalidKey(f"{alg} requires an EC key on the {curve.crv} curve.")
    elif alg == "RS256":
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidKey("RS256 requires an RSA key.")
        # RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used".
        if key.key_size < MIN_RSA_BITS:
            raise InvalidKey(f"RSA keys must be at least {MIN_RSA_BITS} bits.")
        if key.key_size > MAX_RSA_BITS:
            raise InvalidKey(f"RSA keys larger than {MAX_RSA_BITS} bits are not accepted.")
    else:  # pragma: no cover - check_algorithm has already rejected anything else
        raise InvalidKey("The key type does not match the algorithm.")


def _make_verifier(key: PublicKeyTypes) -> Callable[[bytes, bytes], None]:
    """Return a function checking a JWS signature with ``key``, raising cryptography's error."""
    if isinstance(key, Ed25519PublicKey):
        # RFC 8037 §3.1: pure Ed25519 (RFC 8032 §5.1.7) over the signing input.
        return key.verify
    if isinstance(key, ec.EllipticCurvePublicKey):
        ec_key = key
        curve = _curve_of(key)

        def verify_ecdsa(signature: bytes, data: bytes) -> None:
            # RFC 7518 §3.4: the signature is R || S (32 octets each for ES256, 48 for ES384);
            # cryptography wants DER.
            if len(signature) != 2 * curve.size:
                raise InvalidSignature(
                    f"An {curve.alg} signature must be exactly {2 * curve.size} bytes (R || S)."
                )
            der = encode_dss_signature(
                int.from_bytes(signature[: curve.size], "big"),
                int.from_bytes(signature[curve.size :], "big"),
            )
            ec_key.verify(der, data, curve.ecdsa)

        return verify_ecdsa
    rsa_key = key

    def verify_rs256(signature: bytes, data: bytes) -> None:
        # RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256.
        rsa_key.verify(signature, data, _PKCS1V15, _SHA256)

    return verify_rs256


# --------------------------------------------------------------------------------------------
# PublicKey


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A validated public key, the JWS algorithm it verifies, and its RFC 7638 ``kid``.

    Two ``PublicKey`` values are equal (and hash alike) when algorithm and thumbprint match.
    ``kid`` may be omitted: it is computed. If given it must equal the thumbprint.

    Raises (on construction):
        KeyAlgorithmNotAllowed: ``alg`` is not in :data:`keys.ALLOWED_ALGORITHMS` (this is both
            an :class:`InvalidKey` and an :class:`UnsupportedAlgorithm`).
        InvalidKey: the key type does not match ``alg`` (EdDSA ↔ Ed25519, ES256 ↔ P-256,
            ES384 ↔ P-384, RS256 ↔ RSA of 2048 to 8192 bits), or ``kid`` is not the key's
            thumbprint.
    """

    alg: str
    key: PublicKeyTypes = field(repr=False, compare=False)
    kid: str = ""
    _jwk: dict[str, str] = field(init=False, repr=False, compare=False)
    _verifier: Callable[[bytes, bytes], None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            check_algorithm(self.alg)
        except UnsupportedAlgorithm as exc:
            raise KeyAlgorithmNotAllowed(exc.message) from exc
        _check_key_matches(self.alg, self.key)
        members = _public_members(self.key)
        kid = jwk_thumbprint(members)
        if self.kid and self.kid != kid:
            raise InvalidKey("The kid is not the RFC 7638 thumbprint of the key.")
        object.__setattr__(self, "kid", kid)
        # RFC 7517 §4.2, §4.4, §4.5: "use", "alg" and "kid" describe how the key is used.
        members.update(kid=kid, alg=self.alg, use="sig")
        object.__setattr__(self, "_jwk", members)
        object.__setattr__(self, "_verifier", _make_verifier(self.key))

    def verify(self, signature: bytes, data: bytes) -> None:
        """Check a JWS ``signature`` (RFC 7518 §3 encoding) over ``data``.

        ES256 signatures are the raw 64-byte ``R || S``, ES384 the 96-byte one; RS256 is
        RSASSA-PKCS1-v1_5 with SHA-256; EdDSA is pure Ed25519.

        Returns:
            ``None`` when the signature is valid.

        Raises:
            InvalidSignature: the signature does not match (or, for ES256/ES384, is not 64/96
                bytes).
        """
        try:
            self._verifier(signature, data)
        except _CryptoInvalidSignature as exc:
            raise InvalidSignature() from exc

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK: public members plus ``kid``, ``alg`` and ``use: "sig"``.

        Built once at construction; each access returns a fresh shallow copy, so callers may
        modify the result without affecting the key.
        """
        return dict(self._jwk)

    @classmethod
    def from_public_key(cls, key: PublicKeyTypes, alg: str | None = None) -> PublicKey:
        """Wrap a ``cryptography`` public key.

        When ``alg`` is ``None`` it is implied by the key type (Ed25519 → EdDSA, P-256 → ES256,
        P-384 → ES384, RSA → RS256), and then checked like any other algorithm.

        Returns:
            The validated :class:`PublicKey`.

        Raises:
            InvalidKey: the key type is unsupported or does not match ``alg``; or ``alg`` is not
                allowed (:class:`KeyAlgorithmNotAllowed`, also an ``UnsupportedAlgorithm``).
        """
        return cls(_alg_for_key(key) if alg is None else alg, key)

    @classmethod
    def from_pem(cls, pem: object, alg: str | None = None) -> PublicKey:
        """Parse a PEM ``SubjectPublicKeyInfo`` (``-----BEGIN PUBLIC KEY-----``, RFC 7468 §13),
        as ``publicKeyPem`` holds it (Open Badges 2.0 ``CryptographicKey``,
        ``RsaVerificationKey2018``).

        ``alg`` as in :meth:`from_public_key`: by default implied by the key type, then checked
        like any other (an RSA key must be 2048 to 8192 bits). Private keys and certificates are
        not read.

        Raises:
            InvalidKey: not a string or bytes of bounded size, not one PEM public key, private
                key material, a key type we do not support, or a type that does not match
                ``alg`` (:class:`KeyAlgorithmNotAllowed` outside the allow-list).
        """
        if isinstance(pem, str):
            data = pem.encode("utf-8", "replace")
        elif isinstance(pem, bytes):
            data = pem
        else:
            raise InvalidKey("A PEM public key must be text.")
        if len(data) > _MAX_PEM_BYTES:
            raise InvalidKey("A PEM public key must be at most a few kilobytes.")
        if b"PRIVATE KEY" in data:
            raise InvalidKey("The PEM value contains private key material.")
        try:
            key = load_pem_public_key(data)
        except (ValueError, TypeError, _CryptoUnsupportedAlgorithm) as exc:
            raise InvalidKey("The PEM text is not a public key we can read.") from exc
        if not isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise InvalidKey(
                "The key type is not supported (Ed25519, P-256, P-384 or RSA expected)."
            )
        return cls.from_public_key(key, alg)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, object], alg: str | None = None) -> PublicKey:
        """Parse a public JWK (RFC 7517) of type OKP/Ed25519, EC/P-256, EC/P-384 or RSA.

        The algorithm is ``alg`` if given, else the JWK's ``"alg"`` member, else implied by the
        key type (OKP/Ed25519 → EdDSA, EC/P-256 → ES256, EC/P-384 → ES384, RSA → RS256). The
        JWK's own ``"kid"`` is not trusted or used: the returned key's ``kid`` is always its RFC
        7638 thumbprint.

        Returns:
            The validated :class:`PublicKey`.

        Raises:
            InvalidKey: ``jwk`` is not a mapping; it carries private or secret members (``d``,
                ``p``, ``q``, ``dp``, ``dq``, ``qi``, ``oth``, ``k``); its ``kty`` is ``oct`` or
                unknown; its curve is not Ed25519/P-256/P-384; a required member is missing or not
                canonical base64url; the point is not on the curve; RSA is under 2048 bits; ``use``
                is not ``"sig"``; ``key_ops`` does not allow ``"verify"``; its ``"alg"`` is not
                a string or disagrees with ``alg``; or the key type does not match the algorithm.
                An algorithm outside the allow-list raises :class:`KeyAlgorithmNotAllowed`,
                which is both an ``InvalidKey`` and an ``UnsupportedAlgorithm``.
        """
        if not isinstance(jwk, Mapping):
            raise InvalidKey("A JWK must be a JSON object.")
        # RFC 7517 §7 / RFC 7518 §6: a published key must never carry private material.
        if not _PRIVATE_MEMBERS.isdisjoint(jwk.keys()):
            raise InvalidKey("The JWK contains private key material.")
        kty = jwk.get("kty")
        if kty == "oct":
            raise InvalidKey("Symmetric keys (kty 'oct') are not accepted.")
        if not isinstance(kty, str) or kty not in _THUMBPRINT_MEMBERS:
            raise InvalidKey("The JWK key type (kty) must be OKP, EC or RSA.")
        # RFC 7517 §4.2: "use" other than "sig" means the key is not for signatures.
        if "use" in jwk and jwk["use"] != "sig":
            raise InvalidKey("The JWK is not meant for signatures (use is not 'sig').")
        # RFC 7517 §4.3: when present, "key_ops" must allow verification.
        if "key_ops" in jwk:
            ops = jwk["key_ops"]
            if not isinstance(ops, list | tuple) or "verify" not in ops:
                raise InvalidKey("The JWK's key_ops do not allow 'verify'.")
        # RFC 7517 §4.4: "alg" names the one algorithm the key is intended for.
        jwk_alg = jwk.get("alg")
        if jwk_alg is not None and not isinstance(jwk_alg, str):
            raise InvalidKey("The JWK member 'alg' must be a string.")
        if alg is not None and jwk_alg is not None and alg != jwk_alg:
            raise InvalidKey("The JWK's algorithm does not match the expected algorithm.")
        chosen = alg if alg is not None else jwk_alg
        key = _key_from_jwk(jwk, kty)
        if chosen is None:
            chosen = _alg_for_key(key)
        return cls(chosen, key)


# --------------------------------------------------------------------------------------------
# SigningKey


@dataclass(frozen=True, slots=True, repr=False)
class SigningKey:
    """A private signing key with its algorithm and (computed once) :class:`PublicKey`.

    Build it as ``SigningKey(alg, private_key)``; ``public`` is derived. Equality compares the
    algorithm and public key. ``repr()`` shows only the algorithm and ``kid``.

    Raises (on construction):
        UnsupportedAlgorithm: ``alg`` is not allowed.
        InvalidKey: the private key type is unsupported or does not match ``alg``.
    """

    alg: str
    private_key: PrivateKeyTypes = field(compare=False)
    public: PublicKey = field(init=False)

    def __post_init__(self) -> None:
        check_algorithm(self.alg)
        private_key: object = self.private_key
        if not isinstance(
            private_key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        ):
            raise InvalidKey(
                "The key type is not supported (Ed25519, P-256, P-384 or RSA expected)."
            )
        object.__setattr__(self, "public", PublicKey(self.alg, private_key.public_key()))

    def __repr__(self) -> str:
        return f"SigningKey(alg={self.alg!r}, kid={self.public.kid!r})"

    @classmethod
    def from_private_key(cls, key: PrivateKeyTypes, alg: str | None = None) -> SigningKey:
        """Wrap a ``cryptography`` private key; ``alg`` defaults to the one its type implies.

        Returns:
            The validated :class:`SigningKey`.

        Raises:
            UnsupportedAlgorithm: ``alg`` is not allowed.
            InvalidKey: the key type is unsupported or does not match ``alg``.
        """
        private_key: object = key
        if alg is None:
            if not isinstance(
                private_key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
            ):
                raise InvalidKey(
                    "The key type is not supported (Ed25519, P-256, P-384 or RSA expected)."
                )
            alg = _alg_for_key(private_key.public_key())
        return cls(alg, key)

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        return self.public.kid

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` and return the JWS signature (RFC 7518 §3 encoding).

        Returns:
            EdDSA: the 64-byte Ed25519 signature; ES256/ES384: the 64/96-byte ``R || S``; RS256: the
            RSASSA-PKCS1-v1_5 SHA-256 signature (modulus length).

        Raises:
            Nothing beyond ``TypeError`` for non-bytes input.
        """
        key = self.private_key
        if isinstance(key, Ed25519PrivateKey):
            return key.sign(data)  # RFC 8037 §3.1
        if isinstance(key, ec.EllipticCurvePrivateKey):
            # RFC 7518 §3.4: convert cryptography's DER signature to fixed-size R || S.
            curve = _curve_of(key)
            r, s = decode_dss_signature(key.sign(data, curve.ecdsa))
            return r.to_bytes(curve.size, "big") + s.to_bytes(curve.size, "big")
        return key.sign(data, _PKCS1V15, _SHA256)  # RFC 7518 §3.3


def generate_key(alg: str, *, rsa_bits: int = 3072) -> SigningKey:
    """Generate a new key for ``alg``: Ed25519 (EdDSA), P-256 (ES256), P-384 (ES384) or RSA
    (RS256).

    ``rsa_bits`` is only used for RS256 (public exponent 65537).

    Returns:
        The new :class:`SigningKey`.

    Raises:
        UnsupportedAlgorithm: ``alg`` is not allowed.
        InvalidKey: ``rsa_bits`` is below 2048 or above 8192 (RS256 only).
    """
    alg = check_algorithm(alg)
    private_key: PrivateKeyTypes
    if alg == "EdDSA":
        private_key = Ed25519PrivateKey.generate()
    elif alg in _CURVES:
        private_key = ec.generate_private_key(_CURVES[alg].curve())
    else:
        if not MIN_RSA_BITS <= rsa_bits <= MAX_RSA_BITS:
            raise InvalidKey(f"RSA keys must be {MIN_RSA_BITS} to {MAX_RSA_BITS} bits.")
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return SigningKey(alg, private_key)


def jwks(keys: Iterable[PublicKey]) -> dict[str, list[dict[str, str]]]:
    """Return a JWK Set (RFC 7517 §5): ``{"keys": [jwk, ...]}`` in the order given."""
    return {"keys": [key.jwk for key in keys]}
