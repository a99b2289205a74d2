"""Key material and identity for Skill Passport: keys, JWKs, did:key, did:web, key storage.

This package knows nothing of credentials, HTTP or databases. It provides validated public and
signing keys restricted to the JWS algorithms EdDSA (Ed25519), ES256 (P-256), ES384 (P-384) and
RS256 (RSA of at least 2048 bits); RFC 7638 thumbprints, which serve as ``kid`` everywhere;
did:key and Multikey encoding; did:web identifiers and DID documents; and an encrypted on-disk
key store.
Every error raised derives from :class:`keys.errors.KeysError` and carries ``code`` and
``message``.
"""

from __future__ import annotations

from keys.algorithms import ALLOWED_ALGORITHMS, MAX_RSA_BITS, MIN_RSA_BITS, check_algorithm
from keys.didjwk import did_jwk_from_public_key, public_key_from_did_jwk
from keys.didkey import (
    did_key_document,
    did_key_from_public_key,
    multikey_from_public_key,
    public_key_from_did_key,
    public_key_from_multikey,
)
from keys.didweb import (
    KEY_STATUSES,
    PublishedKey,
    did_web_document,
    did_web_document_url,
    did_web_from_url,
    find_verification_method,
    verification_method_id,
    verification_method_revoked_at,
)
from keys.errors import (
    BadPassphrase,
    InvalidDid,
    InvalidKey,
    InvalidSignature,
    KeyAlgorithmNotAllowed,
    KeyNotFound,
    KeysError,
    KeyStoreError,
    UnsupportedAlgorithm,
    WeakPassphrase,
)
from keys.keypair import PublicKey, SigningKey, generate_key, jwk_thumbprint, jwks
from keys.multibase import b58decode, b58encode
from keys.store import KeyStore

__all__ = [
    "ALLOWED_ALGORITHMS",
    "KEY_STATUSES",
    "MAX_RSA_BITS",
    "MIN_RSA_BITS",
    "BadPassphrase",
    "InvalidDid",
    "InvalidKey",
    "InvalidSignature",
    "KeyAlgorithmNotAllowed",
    "KeyNotFound",
    "KeyStore",
    "KeyStoreError",
    "KeysError",
    "PublicKey",
    "PublishedKey",
    "SigningKey",
    "UnsupportedAlgorithm",
    "WeakPassphrase",
    "b58decode",
    "b58encode",
    "check_algorithm",
    "did_jwk_from_public_key",
    "did_key_document",
    "did_key_from_public_key",
    "did_web_document",
    "did_web_document_url",
    "did_web_from_url",
    "find_verification_method",
    "generate_key",
    "jwk_thumbprint",
    "jwks",
    "multikey_from_public_key",
    "public_key_from_did_jwk",
    "public_key_from_did_key",
    "public_key_from_multikey",
    "verification_method_id",
    "verification_method_revoked_at",
]
