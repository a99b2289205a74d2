"""Errors raised by :mod:`keys`.

Every error carries a stable machine-readable ``code`` and a ``message`` that is safe to show a
user (no key material, no paths beyond what the caller supplied). The tree::

    KeysError                 code: keys_error
    ├── UnsupportedAlgorithm  code: unsupported_algorithm  alg not in ALLOWED_ALGORITHMS
    ├── InvalidKey            code: invalid_key            malformed/weak/private JWK, type mismatch
    │   └── KeyAlgorithmNotAllowed  code: unsupported_algorithm  (also an UnsupportedAlgorithm)
    ├── InvalidDid            code: invalid_did            a DID or multibase value we cannot decode
    ├── InvalidSignature      code: bad_signature          the signature does not match
    └── KeyStoreError         code: key_store              storage problems
        ├── KeyNotFound       code: unknown_key
        ├── BadPassphrase     code: bad_passphrase
        └── WeakPassphrase    code: weak_passphrase        a new store's passphrase is too weak
"""

from __future__ import annotations


class KeysError(Exception):
    """Root of every error raised by :mod:`keys`."""

    code = "keys_error"
    default_message = "A key could not be used."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class UnsupportedAlgorithm(KeysError):
    code = "unsupported_algorithm"
    default_message = "The signing algorithm is not allowed."


class InvalidKey(KeysError):
    code = "invalid_key"
    default_message = "The key is malformed or not acceptable."


class InvalidDid(KeysError):
    code = "invalid_did"
    default_message = "The decentralised identifier could not be decoded."


class InvalidSignature(KeysError):
    code = "bad_signature"
    default_message = "The signature does not match the signed data."


class KeyStoreError(KeysError):
    code = "key_store"
    default_message = "The key store could not be read or written."


class KeyNotFound(KeyStoreError):
    code = "unknown_key"
    default_message = "No key with that identifier is in the key store."


class BadPassphrase(KeyStoreError):
    code = "bad_passphrase"
    default_message = "The key store passphrase does not decrypt the stored key."


class WeakPassphrase(KeyStoreError):
    """A key store may not be created with this passphrase (too little entropy)."""

    code = "weak_passphrase"
    default_message = (
        "The key store passphrase is too weak; make one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'."
    )


class KeyAlgorithmNotAllowed(InvalidKey, UnsupportedAlgorithm):
    """A key (e.g. a JWK or a verification method) names an algorithm outside the allow-list.

    It is both an :class:`InvalidKey` (the key is not acceptable) and an
    :class:`UnsupportedAlgorithm` (the reason), so callers catching either see it.
    """

    code = "unsupported_algorithm"
    default_message = "The key is for a signing algorithm that is not allowed."
