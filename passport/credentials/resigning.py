"""Signing a stored badge again: its credential without the proof, and a new proof over it.

Two features sign a badge we issued a second time, keeping what it says: endorsements embed
EndorsementCredentials in it (:mod:`passport.mentoring.endorsements`), and wallets receive a
copy bound to the wallet's key (:mod:`passport.wallets.binding`). Both start from
:func:`unsigned_credential` and sign with the issuer's current key in the format asked for.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from issuer import CredentialIssuer
from issuer.service import SignedCredential
from keys import verification_method_id
from passport.credentials.issuing import active_signing_key
from passport.credentials.models import IssuedCredential, Issuer
from passport.services import Services
from verifier.jsonparse import b64url_decode

__all__ = ["JWT_REGISTERED_CLAIMS", "SUITE_ALGS", "resign", "unsigned_credential"]

#: The JWT registered claims :func:`issuer.jwt_claims` adds beside the credential's own members.
JWT_REGISTERED_CLAIMS = ("iss", "jti", "nbf", "exp", "sub", "iat")
#: Data Integrity suites we sign with → the key algorithm each one uses.
SUITE_ALGS = {"eddsa-rdfc-2022": "EdDSA", "ecdsa-rdfc-2019": "ES256"}


def unsigned_credential(record: IssuedCredential) -> tuple[dict[str, Any], str]:
    """The badge's credential without its proof, and the key algorithm its proof used."""
    if record.proof_format == "vc-jwt":
        header_part, payload_part, _signature = record.content.split(b".")
        header = json.loads(b64url_decode(header_part, what="header"))
        payload = json.loads(b64url_decode(payload_part, what="payload"))
        # issuer.jwt_claims adds these from the credential: signing again adds them again.
        return {k: v for k, v in payload.items() if k not in JWT_REGISTERED_CLAIMS}, str(
            header["alg"]
        )
    document: dict[str, Any] = json.loads(record.content)
    proofs = document.pop("proof", [])
    first = proofs[0] if isinstance(proofs, list) and proofs else proofs
    suite = first.get("cryptosuite") if isinstance(first, dict) else None
    return document, SUITE_ALGS.get(str(suite), "EdDSA")


def resign(
    session: Session,
    services: Services,
    issuer_id: int,
    credential: dict[str, Any],
    *,
    proof_format: str,
    alg: str,
    now: datetime,
) -> SignedCredential:
    """Sign ``credential`` (no proof) with the issuer's current ``alg`` key in ``proof_format``
    (``data-integrity`` with the suite of that algorithm, or ``vc-jwt``); self-verified."""
    issuer = session.get(Issuer, issuer_id)
    assert issuer is not None  # foreign key
    key = active_signing_key(session, services, issuer, alg)
    cryptosuite = next(
        (suite for suite, suite_alg in SUITE_ALGS.items() if suite_alg == alg), "eddsa-rdfc-2022"
    )
    return CredentialIssuer(services.verifier(session)).resign(
        credential,
        proof_format,
        key,
        verification_method=verification_method_id(issuer.did, key.kid),
        now=now,
        cryptosuite=cryptosuite,
    )
