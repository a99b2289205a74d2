"""did:jwk identifiers (the did:jwk method specification): a DID that *is* a public JWK.

``did:jwk:`` + base64url (no padding) of the UTF-8 JSON of the public JWK. Its one verification
method is ``<did>#0``. Wallets that hold a bare key (OpenID4VCI key proofs with a ``jwk`` header,
EUDI-style wallets) are named this way. Only public members are allowed: a JWK carrying a
private part (``d``, or RSA's ``p``/``q``…) is refused, not stripped, because whoever sent it
leaked their key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from keys._b64 import b64u_decode, b64u_encode
from keys.errors import InvalidDid, KeysError
from keys.keypair import PublicKey

__all__ = ["did_jwk_from_public_key", "public_key_from_did_jwk"]

_PREFIX = "did:jwk:"
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: A P-384 JWK is under 300 bytes; RSA 8192 about 1,500. Anything far larger is not one key.
_MAX_LEN = 4096


def did_jwk_from_public_key(pk: PublicKey) -> str:
    """The did:jwk of ``pk``: its public JWK members only (``kty``, ``crv``, ``x``, ``y``, ``n``,
    ``e``), in sorted order, so one key has one spelling here."""
    members = {k: v for k, v in pk.jwk.items() if k not in {"kid", "alg", "use"}}
    text = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return _PREFIX + b64u_encode(text.encode("utf-8"))


def public_key_from_did_jwk(did_or_url: str) -> PublicKey:
    """The public key a did:jwk DID (or its ``#0`` DID URL) names.

    Raises:
        InvalidDid: not a did:jwk, another fragment, not base64url JSON of one public JWK, a
            private member present, or a key this package does not allow.
    """
    if not isinstance(did_or_url, str) or not did_or_url.startswith(_PREFIX):
        raise InvalidDid("A did:jwk identifier must start with 'did:jwk:'.")
    if len(did_or_url) > _MAX_LEN:
        raise InvalidDid("The did:jwk is too long to be one public key.")
    did, sep, fragment = did_or_url.partition("#")
    if sep and fragment != "0":
        raise InvalidDid("The only verification method of a did:jwk is '#0'.")
    raw = b64u_decode(did[len(_PREFIX) :], max_len=_MAX_LEN)
    if raw is None:
        raise InvalidDid("The did:jwk is not canonical base64url.")
    try:
        jwk = json.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidDid("The did:jwk is not base64url-encoded JSON.") from exc
    if not isinstance(jwk, Mapping):
        raise InvalidDid("The did:jwk does not hold a JSON object.")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidDid(
            "The did:jwk holds a private or symmetric key; only public keys are allowed."
        )
    try:
        return PublicKey.from_jwk(jwk)
    except KeysError as exc:
        raise InvalidDid(f"The did:jwk's key is not usable: {exc.message}") from exc
