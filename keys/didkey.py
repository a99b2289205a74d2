"""did:key identifiers and Multikey values for Ed25519, P-256 and P-384 public keys.

Implements the did:key method (W3C CCG did:key spec v0.7: §2 format, §3.1.1 document creation)
and the ``Multikey`` public key encoding of W3C Controlled Identifiers v1.0 §2.2.2: a multibase
``z`` (base58btc) string of the multicodec key-type prefix followed by the raw public key.
Ed25519 keys use multicodec ``ed25519-pub`` (0xed, varint ``ed 01``) and 32 raw bytes, giving
``z6Mk…``; P-256 keys use ``p256-pub`` (0x1200, varint ``80 24``) and the 33-byte compressed
SEC 1 point, giving ``zDn…``; P-384 keys use ``p384-pub`` (0x1201, varint ``81 24``) and the
49-byte compressed point, giving ``z82…``. RSA keys are not supported as Multikey values here.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keys.errors import InvalidDid, InvalidKey
from keys.keypair import PublicKey
from keys.multibase import b58decode, b58encode

__all__ = [
    "DID_KEY_CONTEXT",
    "did_key_document",
    "did_key_from_public_key",
    "multikey_from_public_key",
    "public_key_from_did_key",
    "public_key_from_multikey",
]

#: did:key spec §3.1.1 with W3C Controlled Identifiers §2.2.2: DID Core v1 plus the Multikey
#: vocabulary.
DID_KEY_CONTEXT: tuple[str, ...] = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
)

_DID_KEY_PREFIX = "did:key:"
_MULTIBASE_BASE58BTC = "z"  # multibase table: "z" = base58btc

# Multicodec table, unsigned-varint encoded (did:key spec §2 and Controlled Identifiers §2.2.2).
_ED25519_PUB = b"\xed\x01"  # ed25519-pub 0xed
_P256_PUB = b"\x80\x24"  # p256-pub 0x1200
_P384_PUB = b"\x81\x24"  # p384-pub 0x1201
_ED25519_LEN = 32
# SEC 1 §2.3.3 compressed point: 0x02/0x03 then X (32 octets on P-256, 48 on P-384).
_EC_MULTICODECS: dict[str, tuple[bytes, ec.EllipticCurve, int]] = {
    "secp256r1": (_P256_PUB, ec.SECP256R1(), 33),
    "secp384r1": (_P384_PUB, ec.SECP384R1(), 49),
}
_MAX_MULTIKEY_CHARS = 80  # the supported forms are 48-70 characters; bounds decoding work


def multikey_from_public_key(pk: PublicKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` value of ``pk``.

    Returns:
        ``"z6Mk…"`` for Ed25519, ``"zDn…"`` for P-256, ``"z82…"`` for P-384.

    Raises:
        InvalidKey: ``pk`` is an RSA key (not supported as Multikey here).
    """
    key = pk.key
    if isinstance(key, Ed25519PublicKey):
        raw = _ED25519_PUB + key.public_bytes_raw()
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_MULTICODECS:
        # Controlled Identifiers §2.2.2: P-256 and P-384 Multikeys carry the compressed point.
        prefix = _EC_MULTICODECS[key.curve.name][0]
        raw = prefix + key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    else:
        raise InvalidKey("RSA keys cannot be expressed as a Multikey here.")
    return _MULTIBASE_BASE58BTC + b58encode(raw)


def public_key_from_multikey(value: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` value (Ed25519, P-256 or P-384).

    Returns:
        The :class:`PublicKey` (algorithm EdDSA, ES256 or ES384).

    Raises:
        InvalidDid: ``value`` is not a string, does not start with ``"z"``, is not base58btc,
            has an unknown multicodec prefix, the wrong length, or an invalid P-256 point.
    """
    if not isinstance(value, str) or not value.startswith(_MULTIBASE_BASE58BTC):
        raise InvalidDid("A Multikey value must be a base58btc multibase string starting 'z'.")
    if len(value) > _MAX_MULTIKEY_CHARS:
        raise InvalidDid("The Multikey value is too long.")
    raw = b58decode(value[1:])
    try:
        if raw[:2] == _ED25519_PUB and len(raw) == 2 + _ED25519_LEN:
            return PublicKey("EdDSA", Ed25519PublicKey.from_public_bytes(raw[2:]))
        for prefix, curve, length in _EC_MULTICODECS.values():
            if raw[:2] == prefix and len(raw) == 2 + length and raw[2] in (0x02, 0x03):
                point = ec.EllipticCurvePublicKey.from_encoded_point(curve, raw[2:])
                return PublicKey.from_public_key(point)
    except ValueError as exc:  # not a point on the curve
        raise InvalidDid("The Multikey value does not hold a valid public key.") from exc
    raise InvalidDid("The Multikey value is not an Ed25519, P-256 or P-384 public key.")


def did_key_from_public_key(pk: PublicKey) -> str:
    """Return the did:key DID of ``pk`` (did:key spec §2: ``did:key:`` + Multikey value).

    Raises:
        InvalidKey: ``pk`` is an RSA key.
    """
    return _DID_KEY_PREFIX + multikey_from_public_key(pk)


def _split_did_key(did_or_url: str) -> tuple[str, str]:
    """Return ``(did, multibase)`` for a did:key DID or a DID URL with the key's fragment."""
    if not isinstance(did_or_url, str) or not did_or_url.startswith(_DID_KEY_PREFIX):
        raise InvalidDid("A did:key identifier must start with 'did:key:'.")
    did, sep, fragment = did_or_url.partition("#")
    multibase = did[len(_DID_KEY_PREFIX) :]
    # did:key spec §3.1.1: the only verification method id is did + "#" + multibase value.
    if sep and fragment != multibase:
        raise InvalidDid("The did:key fragment must equal the key's multibase value.")
    return did, multibase


def public_key_from_did_key(did_or_url: str) -> PublicKey:
    """Return the public key named by a did:key DID or DID URL.

    Accepts ``did:key:z…`` and ``did:key:z…#z…`` where the fragment repeats the method-specific
    identifier. Queries, paths and other fragments are rejected.

    Returns:
        The :class:`PublicKey` (EdDSA, ES256 or ES384).

    Raises:
        InvalidDid: not a did:key, the fragment differs, or the key cannot be decoded.
    """
    _, multibase = _split_did_key(did_or_url)
    return public_key_from_multikey(multibase)


def did_key_document(did: str) -> dict[str, Any]:
    """Return the DID document of a did:key (did:key spec §3.1.1, Multikey representation).

    A DID URL with the key's own fragment is accepted; the document is that of the bare DID.
    The one verification method is listed in authentication, assertionMethod,
    capabilityDelegation and capabilityInvocation (no keyAgreement is derived).

    Returns:
        The DID document as a JSON-ready ``dict``.

    Raises:
        InvalidDid: ``did`` is not a decodable did:key.
    """
    bare, multibase = _split_did_key(did)
    public_key_from_multikey(multibase)  # validate before describing it
    vm_id = f"{bare}#{multibase}"
    return {
        "@context": list(DID_KEY_CONTEXT),
        "id": bare,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": bare,
                "publicKeyMultibase": multibase,
            }
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
