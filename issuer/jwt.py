"""Signing a credential as a VC-JWT (OB 3.0 §8.2), with PyJWT.

Output is strict (checklist §2.2, "Interop policy"): header ``{"alg", "kid", "typ": "JWT"}`` and
nothing else; the payload *is* the credential plus ``iss`` (= issuer.id), ``jti`` (= id), ``nbf``
(= validFrom), ``sub`` (= credentialSubject.id, only when the subject has one) and ``exp`` (=
validUntil, when present). ES256 is our default for JWTs; RS256 (OB 3.0 §8.2.1's baseline, "at
least RS256") is the other choice: the 1EdTech validator accepts only these two
(:data:`JWT_ALGS`). The key's own algorithm is the one signed with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt as pyjwt

from keys import SigningKey

__all__ = ["DEFAULT_JWT_ALG", "JWT_ALGS", "jwt_claims", "sign_vc_jwt"]

DEFAULT_JWT_ALG = "ES256"
#: The algorithms we sign VC-JWTs with (the 1EdTech validator's two; EdDSA JWTs it refuses).
JWT_ALGS = ("ES256", "RS256")


def _numeric_date(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Return the registered claims OB 3.0 §8.2.3 derives from the credential."""
    issuer = credential["issuer"]
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, Mapping) else issuer,
        "jti": credential["id"],
        "nbf": _numeric_date(credential["validFrom"]),
    }
    subject_id = credential.get("credentialSubject", {}).get("id")
    if subject_id:
        claims["sub"] = subject_id
    if credential.get("validUntil"):
        claims["exp"] = _numeric_date(credential["validUntil"])
    return claims


def sign_vc_jwt(credential: Mapping[str, Any], key: SigningKey, *, kid: str) -> str:
    """Return the compact JWS of ``credential`` signed with ``key``; ``kid`` names the key.

    The key's algorithm is the one signed with (any of :data:`keys.ALLOWED_ALGORITHMS`: the
    benchmarks sign EdDSA JWTs too); what we *issue* is held to :data:`JWT_ALGS` by the caller.
    """
    payload = {**credential, **jwt_claims(credential)}
    token: str = pyjwt.encode(
        payload, key.private_key, algorithm=key.alg, headers={"kid": kid, "typ": "JWT"}
    )
    return token
