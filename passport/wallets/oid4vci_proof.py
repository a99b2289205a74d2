"""OpenID4VCI key proofs of type ``jwt`` (OpenID4VCI 1.0 Appendix F.1), checked with :mod:`keys`.

A wallet proves it holds the key the badge will be bound to by signing a small JWT:
header ``typ`` = ``openid4vci-proof+jwt``, ``alg`` from our allow-list, and the key named by
exactly one of ``kid`` (a did:key or did:jwk DID URL) or ``jwk`` (a bare public JWK, which
then names the holder as its did:jwk); claims ``aud`` = the credential issuer, ``iat`` (a
recent time), ``nonce`` (a ``c_nonce`` we issued) and ``iss`` (the client id, when there is
one). Nothing in the header is trusted before it is checked: the algorithm must be allowed and
match the key's type, and the key comes from the DID or JWK, never from a URL.

:func:`check_key_proof` returns the unverified nonce together with the verified holder: the
caller consumes the nonce in its own transaction (a replay then finds it used).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keys import (
    KeysError,
    PublicKey,
    check_algorithm,
    did_jwk_from_public_key,
)
from passport.errors import InvalidRequest
from passport.wallets.binding import holder_did_key, validate_holder_did
from passport.wallets.oid4vci_errors import Oid4vciError

__all__ = [
    "PROOF_ALGORITHMS",
    "PROOF_TYP",
    "VerifiedKeyProof",
    "check_key_proof",
]

#: JWS algorithms a wallet may sign its key proof with (a narrowing of keys.ALLOWED_ALGORITHMS:
#: RS256 holders are not offered, wallets do not use them).
PROOF_ALGORITHMS: tuple[str, ...] = ("EdDSA", "ES256", "ES384")
PROOF_TYP = "openid4vci-proof+jwt"
#: How old a proof's ``iat`` may be, and how far ahead of our clock.
MAX_PROOF_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)
_MAX_PROOF = 16_384
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_B64U = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class VerifiedKeyProof:
    """A key proof whose signature, header and claims were checked; ``nonce`` is still to be
    consumed by the caller."""

    holder_did: str
    nonce: str


def _invalid(message: str) -> Oid4vciError:
    return Oid4vciError("invalid_proof", message)


def _b64u(part: str) -> bytes:
    if not _B64U.fullmatch(part):
        raise _invalid("The key proof is not a compact JWT.")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _invalid("The key proof is not a compact JWT.") from exc


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64u(part))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _invalid(f"The key proof's {what} is not JSON.") from exc
    if not isinstance(value, dict):
        raise _invalid(f"The key proof's {what} is not a JSON object.")
    return value


def _holder_key(header: Mapping[str, Any], alg: str) -> tuple[PublicKey, str]:
    """The key that must have signed, and the holder DID it names (kid XOR jwk)."""
    has_kid, has_jwk = "kid" in header, "jwk" in header
    if "x5c" in header or "trust_chain" in header:
        raise _invalid("Key proofs here name their key by 'kid' (a DID URL) or 'jwk' only.")
    if has_kid == has_jwk:
        raise _invalid("The key proof must name its key by exactly one of 'kid' and 'jwk'.")
    if has_jwk:
        jwk = header["jwk"]
        if not isinstance(jwk, Mapping):
            raise _invalid("The key proof's 'jwk' is not a JSON object.")
        if _PRIVATE_MEMBERS & jwk.keys():
            raise _invalid("The key proof's 'jwk' holds a private key; only public keys are sent.")
        try:
            public = PublicKey.from_jwk(jwk, alg)
        except KeysError as exc:
            raise _invalid(f"The key proof's 'jwk' is not usable: {exc.message}") from exc
        return public, did_jwk_from_public_key(public)
    kid = header["kid"]
    if not isinstance(kid, str) or "#" not in kid:
        raise _invalid("The key proof's 'kid' must be a DID URL (a did:key or did:jwk with '#').")
    try:
        public = holder_did_key(kid)
        did = validate_holder_did(kid)
    except InvalidRequest as exc:
        raise _invalid(exc.message) from exc
    if kid.startswith("did:key:") and kid.partition("#")[2] != did.removeprefix("did:key:"):
        raise _invalid("A did:key's only verification method is '#' and its own key.")
    if public.alg != alg:
        raise _invalid("The key proof's 'alg' does not match its key.")
    return public, did


def check_key_proof(
    jwt: object,
    *,
    audience: str,
    client_id: str | None,
    now: datetime,
) -> VerifiedKeyProof:
    """Check one ``jwt`` key proof; return the holder DID and the (unconsumed) nonce.

    Raises :class:`Oid4vciError` ``invalid_proof`` for anything wrong but the nonce, and
    ``invalid_nonce`` for a proof without one.
    """
    if not isinstance(jwt, str) or len(jwt) > _MAX_PROOF or jwt.count(".") != 2:
        raise _invalid("The key proof is not a compact JWT.")
    header_part, payload_part, signature_part = jwt.split(".")
    header = _json_object(header_part, "header")
    # F.1: typ MUST be openid4vci-proof+jwt (a JWT made for something else is not a proof).
    if header.get("typ") != PROOF_TYP:
        raise _invalid(f"The key proof's 'typ' must be '{PROOF_TYP}'.")
    if "crit" in header:
        raise _invalid("The key proof names critical header parameters we do not process.")
    try:
        alg = check_algorithm(header.get("alg"), PROOF_ALGORITHMS)
    except KeysError as exc:
        raise _invalid(
            f"The key proof's 'alg' must be one of {', '.join(PROOF_ALGORITHMS)}."
        ) from exc
    public, holder_did = _holder_key(header, alg)
    signature = _b64u(signature_part)
    try:
        public.verify(signature, f"{header_part}.{payload_part}".encode("ascii"))
    except KeysError as exc:
        raise _invalid("The key proof's signature does not match its key.") from exc
    claims = _json_object(payload_part, "payload")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise _invalid("The key proof's 'aud' must be this credential issuer.")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise _invalid("The key proof needs 'iat', the time it was made.")
    stamp = now.timestamp()
    if iat < stamp - MAX_PROOF_AGE.total_seconds():
        raise _invalid("The key proof is too old; make a new one.")
    if iat > stamp + CLOCK_SKEW.total_seconds():
        raise _invalid("The key proof was made in the future; check the wallet's clock.")
    exp = claims.get("exp")
    if exp is not None and (
        isinstance(exp, bool)
        or not isinstance(exp, int | float)
        or not math.isfinite(exp)
        or exp <= stamp
    ):
        raise _invalid("The key proof has expired.")
    iss = claims.get("iss")
    if client_id is None and iss is not None:
        raise _invalid("The key proof names a client ('iss'), but the token was issued to none.")
    if client_id is not None and iss is not None and iss != client_id:
        raise _invalid("The key proof's 'iss' is not the client the token was issued to.")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise Oid4vciError("invalid_nonce", "The key proof must carry a fresh c_nonce.")
    return VerifiedKeyProof(holder_did=holder_did, nonce=nonce)
