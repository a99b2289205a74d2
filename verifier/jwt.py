"""VC-JWT as Open Badges 3.0 §8.2 profiles it: decoding, signature and claim checks.

The lean path: the token is split and decoded once, the key is resolved once per (issuer, kid)
and cached by :class:`~verifier.resolve.KeyResolver`, and the signature is checked with
``cryptography`` directly through :meth:`keys.PublicKey.verify`. Nothing here trusts the header's
``alg``: it must be in the allow-list *and* match the resolved key's type.

Leniency on input, strictness on output (checklist §2.2): the spec's own signed examples lack
``nbf`` and the 1EdTech validator's baked tokens lack ``sub``, so a missing ``nbf``/``sub``/``exp``
is accepted and recorded as a note, while a *present* claim that disagrees with the credential
always fails. ``iss`` and ``jti`` are required.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keys import ALLOWED_ALGORITHMS, PublicKey, check_algorithm
from keys.errors import InvalidSignature, UnsupportedAlgorithm
from verifier.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    ClaimsMismatch,
    InputTooLarge,
    MalformedJwt,
)
from verifier.jsonparse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, b64url_decode, b64url_json
from verifier.model import AnyCredential
from verifier.resolve import KeyResolver

__all__ = [
    "ACCEPTED_TYP",
    "UnverifiedJwt",
    "check_jose_header",
    "check_jwt_claims",
    "check_jwt_signature",
    "decode_vc_jwt",
]

#: `typ` values we accept on input (checklist §2.3): OB 3.0, VC-JOSE-COSE and its drafts.
ACCEPTED_TYP = frozenset({"JWT", "vc+jwt", "vc+ld+jwt", "vc+ld+json+jwt"})

#: JOSE header parameters we understand. OB 3.0 §8.2.2: "Additional JOSE Headers are NOT
#: allowed"; we tolerate ``cty`` (VC-JOSE-COSE) but refuse ``crit`` (RFC 7515 §4.1.11).
_KNOWN_HEADERS = frozenset({"alg", "kid", "jwk", "typ", "cty"})

_VC11_CONTEXT = "https://www.w3.org/2018/credentials/v1"
_VC20_CONTEXT = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True, slots=True)
class UnverifiedJwt:
    """A decoded compact JWS whose signature has not been checked yet."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    #: The credential inside: the payload itself (VC 2.0) or its ``vc`` claim (VC 1.1).
    unverified_credential: dict[str, Any]
    signing_input: bytes
    signature: bytes
    compact: str
    vc_claim: bool

    @property
    def unverified_issuer_id(self) -> str | None:
        """The issuer id the payload claims, before any check (for key lookup only)."""
        issuer = self.unverified_credential.get("issuer")
        if isinstance(issuer, Mapping):
            issuer = issuer.get("id")
        if isinstance(issuer, str):
            return issuer
        iss = self.claims.get("iss")
        return iss if isinstance(iss, str) else None


def decode_vc_jwt(
    token: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> UnverifiedJwt:
    """Split and decode a compact VC-JWT without checking anything cryptographic.

    Returns an :class:`UnverifiedJwt`. Raises :class:`~verifier.errors.FormatError` subclasses
    for size, base64url, JSON and structure problems.
    """
    raw = token.encode("ascii", "replace") if isinstance(token, str) else token
    raw = raw.strip()
    if len(raw) > max_bytes:
        raise InputTooLarge(f"The token is larger than the limit of {max_bytes} bytes.")
    # Two dots, found with memchr (bytes.split walks every byte of a token of kilobytes).
    first = raw.find(b".")
    second = raw.find(b".", first + 1) if first >= 0 else -1
    if second < 0 or raw.find(b".", second + 1) >= 0:
        raise MalformedJwt(
            "The token does not have the three dot-separated parts of a signed JWT.",
            hint=f"Found {raw.count(b'.') + 1} part(s); encrypted (5-part) tokens are not "
            "supported.",
        )
    header_b64, payload_b64 = raw[:first], raw[first + 1 : second]
    signature_b64 = raw[second + 1 :]
    header = b64url_json(header_b64, what="header", max_bytes=max_bytes, max_depth=8)
    claims = b64url_json(payload_b64, what="payload", max_bytes=max_bytes, max_depth=max_depth)
    signature = b64url_decode(signature_b64, what="signature")
    if not signature:
        # An empty signature is what `alg: none` produces; refuse it as a format error early.
        raise MalformedJwt("The token carries no signature.", code="missing_signature")
    vc = claims.get("vc")
    vc_claim = vc is not None
    if vc_claim:
        if not isinstance(vc, dict):
            raise MalformedJwt("The token's vc claim is not a JSON object.")
        credential = _vc11_credential(vc, claims)
    else:
        credential = dict(claims)
    _check_context_location(credential, vc_claim)
    return UnverifiedJwt(
        header=header,
        claims=claims,
        unverified_credential=credential,
        signing_input=raw[:second],
        signature=signature,
        compact=raw.decode("ascii"),
        vc_claim=vc_claim,
    )


def _vc11_credential(vc: dict[str, Any], claims: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a VC 1.1 credential from the ``vc`` claim and the registered claims.

    VC Data Model 1.1 §6.3.1: ``iss``, ``jti``, ``nbf``, ``exp`` and ``sub`` stand for
    ``issuer``, ``id``, ``issuanceDate``, ``expirationDate`` and ``credentialSubject.id``; a
    credential may omit those members and rely on the claims. Present members are kept, and
    :func:`check_jwt_claims` later requires them to agree.
    """
    credential = dict(vc)
    if "id" not in credential and isinstance(claims.get("jti"), str):
        credential["id"] = claims["jti"]
    if "issuer" not in credential and isinstance(claims.get("iss"), str):
        credential["issuer"] = claims["iss"]
    if "issuanceDate" not in credential and _is_numeric_date(claims.get("nbf")):
        credential["issuanceDate"] = _iso(claims["nbf"])
    if "expirationDate" not in credential and _is_numeric_date(claims.get("exp")):
        credential["expirationDate"] = _iso(claims["exp"])
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and "id" not in subject and isinstance(claims.get("sub"), str):
        credential["credentialSubject"] = {**subject, "id": claims["sub"]}
    return credential


def _check_context_location(credential: Mapping[str, Any], vc_claim: bool) -> None:
    """The ``vc`` claim and ``@context`` must agree (OB 3.0 impl guide, "VC v1.1")."""
    context = credential.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if vc_claim and first == _VC20_CONTEXT:
        raise MalformedJwt(
            "The token wraps a VC 2.0 credential in a VC 1.1 'vc' claim.", code="vc_claim_mismatch"
        )
    if not vc_claim and first == _VC11_CONTEXT:
        raise MalformedJwt(
            "The token carries a VC 1.1 credential outside the 'vc' claim VC 1.1 requires.",
            code="vc_claim_mismatch",
        )


def check_jose_header(
    header: Mapping[str, Any],
    *,
    algorithms: Collection[str],
    known: Collection[str],
    accepted_typ: Collection[str],
    what: str,
    allowed_by: str,
) -> str:
    """Check a JWS header's ``alg`` (allow-list), parameters and ``typ``; return the alg.

    ``what`` names the signed thing in messages ("credential", "presentation"). Raises
    :class:`AlgorithmNotAllowed` or :class:`MalformedJwt`.
    """
    try:
        alg = check_algorithm(header.get("alg"), algorithms)
    except UnsupportedAlgorithm as exc:
        raise AlgorithmNotAllowed(
            f"The {what} is signed with an algorithm we do not accept.",
            hint=f"alg {header.get('alg')!r}; allowed: {', '.join(sorted(algorithms))}.",
        ) from exc
    unknown = set(header) - set(known)
    if unknown:
        raise MalformedJwt(
            f"The token's header has parameters {allowed_by} does not allow.",
            code="unexpected_header",
            hint=f"Unexpected header parameters: {', '.join(sorted(unknown))}.",
        )
    typ = header.get("typ")
    # Any JSON may sit in ``typ``: a list or object is no type name (and is unhashable).
    if typ is not None and (not isinstance(typ, str) or typ not in accepted_typ):
        raise MalformedJwt(f"The token's type (typ) is not a {what} type.", code="bad_typ")
    return alg


def check_jwt_signature(
    jwt: UnverifiedJwt,
    resolver: KeyResolver,
    *,
    algorithms: Collection[str] = ALLOWED_ALGORITHMS,
) -> PublicKey:
    """Check the JOSE header and the signature; return the issuer key that made it.

    Raises :class:`AlgorithmNotAllowed`, :class:`~verifier.errors.KeyNotResolved` (or its
    inconclusive subclass ``KeyUnreachable``), :class:`MalformedJwt` or :class:`BadSignature`.
    """
    header = jwt.header
    alg = check_jose_header(
        header,
        algorithms=algorithms,
        known=_KNOWN_HEADERS,
        accepted_typ=ACCEPTED_TYP,
        what="credential",
        allowed_by="Open Badges 3.0",
    )
    issuer_id = jwt.unverified_issuer_id
    if issuer_id is None:
        raise ClaimsMismatch("The token does not say who issued it.", code="missing_issuer")
    key = resolver.jwt_key(header, issuer_id, alg)
    try:
        key.verify(jwt.signature, jwt.signing_input)
    except InvalidSignature as exc:
        raise BadSignature() from exc
    return key


def check_jwt_claims(jwt: UnverifiedJwt, credential: AnyCredential) -> tuple[str, ...]:
    """Check the registered claims against the credential (OB 3.0 §8.2.4 steps 5–9).

    Returns notes describing the leniencies applied (missing ``nbf``/``sub``/``exp``). Raises
    :class:`ClaimsMismatch` when a claim is missing that we require or disagrees.
    """
    claims = jwt.claims
    notes: list[str] = []
    iss = claims.get("iss")
    if iss is None:
        raise ClaimsMismatch("The token has no iss (issuer) claim.", code="missing_iss")
    if iss != credential.issuer.id:
        raise ClaimsMismatch(
            "The token's issuer claim differs from the credential's issuer.", code="iss_mismatch"
        )
    jti = claims.get("jti")
    if jti is None:
        raise ClaimsMismatch("The token has no jti (credential id) claim.", code="missing_jti")
    if jti != credential.id:
        raise ClaimsMismatch(
            "The token's id claim differs from the credential's id.", code="jti_mismatch"
        )
    sub = claims.get("sub")
    subject_id = credential.credential_subject.id
    if sub is None:
        if subject_id is not None:
            notes.append("The token has no sub claim; the credential subject's id was used.")
    elif sub != subject_id:
        raise ClaimsMismatch(
            "The token's subject claim differs from the credential's subject.", code="sub_mismatch"
        )
    _check_date_claim(claims, "nbf", credential.valid_from, notes, "validFrom")
    _check_date_claim(claims, "exp", credential.valid_until, notes, "validUntil")
    return tuple(notes)


def _check_date_claim(
    claims: Mapping[str, Any],
    name: str,
    value: datetime | None,
    notes: list[str],
    field: str,
) -> None:
    claim = claims.get(name)
    if claim is None:
        if value is not None:
            notes.append(f"The token has no {name} claim; the credential's {field} was used.")
        return
    if not _is_numeric_date(claim):
        raise ClaimsMismatch(f"The token's {name} claim is not a date.", code=f"bad_{name}")
    # NumericDate has whole seconds (RFC 7519 §2); the credential may carry fractions.
    if value is None or int(claim) != int(value.timestamp()):
        raise ClaimsMismatch(
            f"The token's {name} claim differs from the credential's {field}.",
            code=f"{name}_mismatch",
        )


def _is_numeric_date(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value == value  # not NaN
        and -62135596800 <= value <= 253402300799  # years 1..9999
    )


def _iso(numeric: float) -> str:
    return datetime.fromtimestamp(numeric, UTC).isoformat().replace("+00:00", "Z")
