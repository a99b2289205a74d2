"""OpenID for Verifiable Credential Issuance 1.0, issuer side: a badge goes into a wallet.

The credential issuer is ``PASSPORT_PUBLIC_URL`` and is its own authorization server.

- **Offers** (§4.1): :func:`create_offer` makes a single-use offer for one badge, valid
  :data:`OFFER_TTL`, served by reference (:func:`offer_document`); the wallet gets
  ``openid-credential-offer://?credential_offer_uri=…``. Its grants: the pre-authorized code
  (optionally with a six-digit transaction code e-mailed only to the holder) and the
  authorization code (``issuer_state``).
- **Token endpoint** (§6, RFC 6749 §4.1.3, RFC 7636): :func:`exchange_token` for the
  pre-authorized code grant (anonymous access) and for the authorization code grant (PKCE S256
  required, the exact redirect URI). An access token is good for :data:`TOKEN_TTL` and for the
  one badge it was issued for.
- **Authorization endpoint** (RFC 6749 §4.1.1): :func:`parse_authorization_request` checks the
  request; a signed-in learner approves (:func:`approve_authorization`) or denies it.
- **Nonce endpoint** (§7): :func:`new_nonce`; each ``c_nonce`` is single use.
- **Credential endpoint** (§8): :func:`request_credential` checks the token, the request and
  the key proof (:mod:`passport.wallets.oid4vci_proof`), consumes the nonce and hands out the
  holder-bound copy (:func:`passport.wallets.binding.holder_bound_copy`), or — when
  ``PASSPORT_OID4VCI_DEFERRED`` is on — queues its signing and answers with a
  ``transaction_id`` for the **deferred credential endpoint** (§9, :func:`deferred_credential`).

Every secret is stored hashed (:mod:`passport.wallets.models`); every step is audited.

Why one module of about 1,250 lines: the endpoints are one protocol's states over the same
rows and the same private rules (secret derivation and hashing, the token's badge and
configurations, the deliverable check), and each endpoint's refusals read best beside the state
they guard. The key proof already stands apart (:mod:`passport.wallets.oid4vci_proof`). The next
cuts, when the module grows: the authorization endpoint and the deferred endpoint with the purge,
each behind the private helpers made public to the package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.db import claim
from passport.errors import InvalidRequest, NotFound
from passport.jobs.messages import translate
from passport.jobs.notify import notify_person
from passport.jobs.queue import after_commit
from passport.jobs.recipients import holder_recipient
from passport.services import Services
from passport.settings import Settings
from passport.wallets.binding import check_deliverable, holder_bound_copy
from passport.wallets.models import (
    Oid4vciAccessToken,
    Oid4vciAuthCode,
    Oid4vciNonce,
    Oid4vciOffer,
    Oid4vciTransaction,
)
from passport.wallets.oid4vci_errors import Oid4vciError
from passport.wallets.oid4vci_proof import PROOF_ALGORITHMS, check_key_proof

__all__ = [
    "CONFIGURATIONS",
    "OFFER_TTL",
    "PRE_AUTHORIZED_GRANT",
    "TOKEN_TTL",
    "CreatedCredentialOffer",
    "Oid4vciAnswer",
    "WalletAuthorizationRequest",
    "approve_authorization",
    "authorization_server_metadata",
    "check_redirect_uri",
    "create_offer",
    "credential_issuer_metadata",
    "deferred_credential",
    "denied_redirect",
    "deny_authorization",
    "exchange_token",
    "new_nonce",
    "offer_document",
    "offer_uri",
    "offer_url",
    "parse_authorization_request",
    "purge_expired",
    "request_credential",
    "sign_deferred",
]

logger = logging.getLogger(__name__)

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
BADGE_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]

#: credential_configuration_id → OpenID4VCI format identifier (Appendix A.1).
CONFIGURATIONS: dict[str, str] = {
    "OpenBadgeCredential_ldp_vc": "ldp_vc",
    "OpenBadgeCredential_jwt_vc_json": "jwt_vc_json",
}

OFFER_TTL = timedelta(minutes=10)
AUTH_CODE_TTL = timedelta(minutes=2)
TOKEN_TTL = timedelta(minutes=5)
NONCE_TTL = timedelta(minutes=5)
TRANSACTION_TTL = timedelta(hours=1)
#: Seconds a wallet waits between deferred requests (§9.2 ``interval``).
DEFERRED_INTERVAL = 5
#: Wrong transaction codes before the offer is burned (§6.3 leaves the limit to the issuer).
MAX_TX_CODE_ATTEMPTS = 5
TX_CODE_LENGTH = 6

_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,255}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url(SHA-256): RFC 7636 §4.2
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_FORBIDDEN_SCHEMES = frozenset(
    {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem", "ftp", "ws", "wss"}
)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _derive(ref: str, purpose: str) -> str:
    digest = hmac.new(ref.encode("ascii"), purpose.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _tx_hash(settings: Settings, code_hash: str, tx_code: str) -> str:
    """Six digits are a small dictionary: keyed with the service's secret and the offer."""
    key = hashlib.sha256(b"passport oid4vci tx_code\x00" + settings.secret_key.encode()).digest()
    return hmac.new(key, f"{code_hash}:{tx_code}".encode(), hashlib.sha256).hexdigest()


def _issuer(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


# -- metadata ---------------------------------------------------------------------------------


def credential_issuer_metadata(settings: Settings) -> dict[str, Any]:
    """The Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)."""
    issuer = _issuer(settings)
    proof_types = {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}}
    binding = ["did:key", "did:jwk", "jwk"]
    display = [
        {"name": "Open Badge", "locale": "en", "description": "A skill badge (Open Badges 3.0)"},
        {
            "name": "Open Badge",
            "locale": "de",
            "description": "Ein Kompetenz-Abzeichen (Open Badges 3.0)",
        },
    ]
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/oid4vci/credential",
        "nonce_endpoint": f"{issuer}/oid4vci/nonce",
        "deferred_credential_endpoint": f"{issuer}/oid4vci/deferred",
        "display": [
            {"name": "Skill Passport", "locale": "en"},
            {"name": "Skill Passport", "locale": "de"},
        ],
        "credential_configurations_supported": {
            "OpenBadgeCredential_ldp_vc": {
                "format": "ldp_vc",
                "scope": "OpenBadgeCredential_ldp_vc",
                "cryptographic_binding_methods_supported": binding,
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                "proof_types_supported": proof_types,
                "credential_definition": {
                    "@context": [VC_CONTEXT, OB_CONTEXT],
                    "type": BADGE_TYPES,
                },
                "credential_metadata": {"display": display},
            },
            "OpenBadgeCredential_jwt_vc_json": {
                "format": "jwt_vc_json",
                "scope": "OpenBadgeCredential_jwt_vc_json",
                "cryptographic_binding_methods_supported": binding,
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": proof_types,
                "credential_definition": {"type": BADGE_TYPES},
                "credential_metadata": {"display": display},
            },
        },
    }


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414 §2; OpenID4VCI 1.0 §12.3)."""
    issuer = _issuer(settings)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oid4vci/authorize",
        "token_endpoint": f"{issuer}/oid4vci/token",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", PRE_AUTHORIZED_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": list(CONFIGURATIONS),
        "authorization_details_types_supported": ["openid_credential"],
        "pre-authorized_grant_anonymous_access_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }


# -- offers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedCredentialOffer:
    """A new offer: the reference is the only time it exists outside the wallet."""

    ref: str
    #: ``openid-credential-offer://?credential_offer_uri=…``: what a wallet opens or scans.
    deep_link: str
    #: Where the offer document is served (the ``credential_offer_uri``).
    offer_url: str
    expires_at: datetime
    with_tx_code: bool


def offer_url(settings: Settings, ref: str) -> str:
    """Where the offer document is served (``credential_offer_uri``)."""
    return f"{_issuer(settings)}/oid4vci/offers/{ref}"


def offer_uri(settings: Settings, ref: str) -> str:
    """The deep link a wallet opens (§4.1.3, the ``openid-credential-offer://`` scheme)."""
    return "openid-credential-offer://?" + urlencode(
        {"credential_offer_uri": offer_url(settings, ref)}, quote_via=quote
    )


def create_offer(
    session: Session,
    services: Services,
    *,
    credential_id: str,
    actor: str,
    with_tx_code: bool,
    now: datetime,
) -> CreatedCredentialOffer:
    """A single-use offer of ``credential_id`` (both formats), valid :data:`OFFER_TTL`.

    With ``with_tx_code`` a six-digit transaction code is e-mailed to the holder only (never
    returned). Raises NotFound (``unknown_credential``), InvalidRequest (``credential_revoked``,
    ``credential_suspended``, ``credential_expired``, ``no_holder_email``).
    """
    record = session.get(IssuedCredential, credential_id)
    if record is None:
        raise NotFound(f"No badge {credential_id!r} was issued here.", code="unknown_credential")
    check_deliverable(record, now)
    ref = secrets.token_urlsafe(32)
    code_hash = _hash(_derive(ref, "pre-authorized_code"))
    tx_code = None
    if with_tx_code:
        recipient = holder_recipient(session, record.holder)
        if recipient is None:
            raise InvalidRequest(
                "The holder of this badge has no e-mail address to send a transaction code to.",
                code="no_holder_email",
            )
        tx_code = "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))
    offer = Oid4vciOffer(
        ref_hash=_hash(ref),
        code_hash=code_hash,
        state_hash=_hash(_derive(ref, "issuer_state")),
        credential_id=record.id,
        tx_code_hash=_tx_hash(services.settings, code_hash, tx_code) if tx_code else None,
        tx_attempts=0,
        created_by=actor[:320],
        created_at=now,
        expires_at=now + OFFER_TTL,
    )
    session.add(offer)
    session.flush()
    if tx_code is not None:
        recipient = holder_recipient(session, record.holder)
        assert recipient is not None  # checked above
        notify_person(
            session,
            services,
            recipient,
            kind="wallet_tx_code",
            key=f"wallet_tx_code:{offer.id}:{now.isoformat()}",
            context={
                "credential_id": record.id,
                "achievement_name": record.achievement.name,
                "minutes": int(OFFER_TTL.total_seconds() // 60),
            },
            secret=tx_code,
        )
    session.add(
        AuditEvent(
            at=now,
            actor=actor[:200],
            action="oid4vci.offer",
            subject=record.id,
            detail=f"offer {offer.id}" + (" with transaction code" if tx_code else ""),
        )
    )
    return CreatedCredentialOffer(
        ref=ref,
        deep_link=offer_uri(services.settings, ref),
        offer_url=offer_url(services.settings, ref),
        expires_at=offer.expires_at,
        with_tx_code=tx_code is not None,
    )


def _live_offer(offer: Oid4vciOffer | None, now: datetime) -> Oid4vciOffer:
    if offer is None:
        raise Oid4vciError("invalid_grant", "The credential offer is not known.")
    if offer.burned_at is not None:
        raise Oid4vciError(
            "invalid_grant", "The credential offer was blocked after too many wrong codes."
        )
    if offer.redeemed_at is not None:
        raise Oid4vciError("invalid_grant", "The credential offer was used already.")
    if offer.expires_at <= now:
        raise Oid4vciError("invalid_grant", "The credential offer has expired.")
    return offer


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; translated where it is sent."""
    return message


#: The offer's ``tx_code.description`` (§4.1.1: at most 300 characters), in the holder's
#: language.
TX_CODE_DESCRIPTION = N_("The six-digit code we e-mailed to you")


def offer_document(session: Session, services: Services, ref: str, now: datetime) -> dict[str, Any]:
    """The Credential Offer (§4.1.1) behind a ``credential_offer_uri``; the transaction
    code's description is in the holder's account language, else English.

    Raises Oid4vciError (404 ``offer_not_found``; 410 ``offer_gone`` when used, expired or
    burned).
    """
    offer = (
        session.scalar(select(Oid4vciOffer).where(Oid4vciOffer.ref_hash == _hash(ref)))
        if _SECRET.fullmatch(ref)
        else None
    )
    if offer is None:
        raise Oid4vciError("offer_not_found", "There is no such credential offer.", status=404)
    try:
        _live_offer(offer, now)
    except Oid4vciError as exc:
        raise Oid4vciError("offer_gone", exc.message, status=410) from exc
    pre_authorized: dict[str, Any] = {"pre-authorized_code": _derive(ref, "pre-authorized_code")}
    if offer.tx_code_hash is not None:
        record = session.get(IssuedCredential, offer.credential_id)
        recipient = holder_recipient(session, record.holder) if record is not None else None
        locale = recipient.locale if recipient is not None else "en"
        pre_authorized["tx_code"] = {
            "input_mode": "numeric",
            "length": TX_CODE_LENGTH,
            "description": translate(services, locale, TX_CODE_DESCRIPTION)[:300],
        }
    return {
        "credential_issuer": _issuer(services.settings),
        "credential_configuration_ids": list(CONFIGURATIONS),
        "grants": {
            PRE_AUTHORIZED_GRANT: pre_authorized,
            "authorization_code": {"issuer_state": _derive(ref, "issuer_state")},
        },
    }


# -- token endpoint ---------------------------------------------------------------------------


def _details(raw: str | None) -> list[dict[str, Any]] | None:
    """``authorization_details`` (RFC 9396) of type openid_credential, each naming a
    configuration we have (§5.1.1); None when absent."""
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise Oid4vciError(
            "invalid_authorization_details", "authorization_details is not JSON."
        ) from exc
    if not isinstance(value, list) or not value:
        raise Oid4vciError(
            "invalid_authorization_details", "authorization_details must be a non-empty array."
        )
    for entry in value:
        if (
            not isinstance(entry, dict)
            or entry.get("type") != "openid_credential"
            or entry.get("credential_configuration_id") not in CONFIGURATIONS
        ):
            raise Oid4vciError(
                "invalid_authorization_details",
                "Each authorization detail must be of type openid_credential and name one of "
                + ", ".join(CONFIGURATIONS)
                + ".",
            )
    return value


def _configurations_of(details: list[dict[str, Any]] | None) -> tuple[str, ...] | None:
    """The configurations ``authorization_details`` name (None: not limited by them)."""
    if details is None:
        return None
    return tuple(dict.fromkeys(str(entry["credential_configuration_id"]) for entry in details))


def _joined(configurations: tuple[str, ...] | None) -> str | None:
    return " ".join(configurations) if configurations is not None else None


def _split(stored: str | None) -> tuple[str, ...] | None:
    return tuple(stored.split()) if stored is not None else None


def _answer_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # §6.2: credential_identifiers name what the token may fetch; here one per configuration.
    return [
        {
            "type": "openid_credential",
            "credential_configuration_id": entry["credential_configuration_id"],
            "credential_identifiers": [entry["credential_configuration_id"]],
        }
        for entry in details
    ]


def _issue_token(
    session: Session,
    *,
    credential_id: str,
    client_id: str | None,
    grant: str,
    details: list[dict[str, Any]] | None,
    configurations: tuple[str, ...] | None,
    auth_code_id: int | None = None,
    now: datetime,
) -> dict[str, Any]:
    token = secrets.token_urlsafe(32)
    session.add(
        Oid4vciAccessToken(
            token_hash=_hash(token),
            credential_id=credential_id,
            client_id=client_id,
            by_details=details is not None,
            configurations=_joined(configurations),
            grant=grant,
            auth_code_id=auth_code_id,
            created_at=now,
            expires_at=now + TOKEN_TTL,
        )
    )
    session.add(
        AuditEvent(
            at=now,
            actor=f"wallet:{(client_id or 'anonymous')[:180]}",
            action="oid4vci.token",
            subject=credential_id,
            detail=grant,
        )
    )
    answer: dict[str, Any] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(TOKEN_TTL.total_seconds()),
    }
    if details is not None:
        answer["authorization_details"] = _answer_details(details)
    return answer


def exchange_token(
    session: Session, services: Services, form: dict[str, str], now: datetime
) -> dict[str, Any]:
    """The Token Response (§6.2) for a form-encoded Token Request; Oid4vciError (§6.3) else.

    Wrong transaction codes are counted (committed before the error goes out); the offer is
    burned at :data:`MAX_TX_CODE_ATTEMPTS`.
    """
    grant = form.get("grant_type")
    if grant == PRE_AUTHORIZED_GRANT:
        return _pre_authorized(session, services, form, now)
    if grant == "authorization_code":
        return _authorization_code(session, form, now)
    if not grant:
        raise Oid4vciError("invalid_request", "grant_type is missing.")
    raise Oid4vciError(
        "unsupported_grant_type",
        "Only the pre-authorized code and the authorization code grants are supported.",
    )


def _pre_authorized(
    session: Session, services: Services, form: dict[str, str], now: datetime
) -> dict[str, Any]:
    code = form.get("pre-authorized_code")
    if not code:
        raise Oid4vciError("invalid_request", "pre-authorized_code is missing.")
    client_id = form.get("client_id") or None
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        raise Oid4vciError("invalid_request", "client_id is not a usable identifier.")
    details = _details(form.get("authorization_details"))
    offer = _live_offer(
        session.scalar(select(Oid4vciOffer).where(Oid4vciOffer.code_hash == _hash(code))), now
    )
    tx_code = form.get("tx_code")
    if offer.tx_code_hash is None and tx_code is not None:
        raise Oid4vciError("invalid_request", "This offer has no transaction code; send none.")
    if offer.tx_code_hash is not None:
        if not tx_code:
            raise Oid4vciError("invalid_request", "This offer needs its transaction code.")
        expected = offer.tx_code_hash
        # Reserve an attempt before comparing, in one conditional UPDATE: of N guesses in
        # flight at most the attempts left are compared (the row lock orders them).
        reserved = session.execute(
            update(Oid4vciOffer)
            .where(
                Oid4vciOffer.id == offer.id,
                Oid4vciOffer.tx_attempts < MAX_TX_CODE_ATTEMPTS,
                Oid4vciOffer.burned_at.is_(None),
                Oid4vciOffer.redeemed_at.is_(None),
            )
            .values(tx_attempts=Oid4vciOffer.tx_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(reserved, "rowcount", 0) != 1:
            session.commit()
            raise Oid4vciError(
                "invalid_grant", "The credential offer was blocked after too many wrong codes."
            )
        if not hmac.compare_digest(
            _tx_hash(services.settings, offer.code_hash, tx_code[:64]), expected
        ):
            attempts = session.scalar(
                select(Oid4vciOffer.tx_attempts).where(Oid4vciOffer.id == offer.id)
            )
            session.add(
                AuditEvent(
                    at=now,
                    actor=f"wallet:{(client_id or 'anonymous')[:180]}",
                    action="oid4vci.tx_code_wrong",
                    subject=offer.credential_id,
                    detail=f"offer {offer.id}: wrong transaction code ({attempts} so far)",
                )
            )
            if attempts is not None and attempts >= MAX_TX_CODE_ATTEMPTS:
                claim(session, offer, Oid4vciOffer.burned_at.is_(None), burned_at=now)
                session.add(
                    AuditEvent(
                        at=now,
                        actor="wallet:anonymous",
                        action="oid4vci.offer_burned",
                        subject=offer.credential_id,
                        detail=f"offer {offer.id}: {attempts} wrong transaction codes",
                    )
                )
            session.commit()  # the count survives the error response
            raise Oid4vciError("invalid_grant", "The transaction code is wrong.")
    # Single use: of two racing requests exactly one redeems the offer.
    if not claim(
        session,
        offer,
        Oid4vciOffer.redeemed_at.is_(None),
        Oid4vciOffer.burned_at.is_(None),
        redeemed_at=now,
    ):
        raise Oid4vciError("invalid_grant", "The credential offer was used already.")
    record = session.get(IssuedCredential, offer.credential_id)
    assert record is not None  # a foreign key
    _deliverable(record, now)
    return _issue_token(
        session,
        credential_id=offer.credential_id,
        client_id=client_id,
        grant=PRE_AUTHORIZED_GRANT,
        details=details,
        # An offer lists both configurations: only authorization_details narrows the token.
        configurations=_configurations_of(details),
        now=now,
    )


def _deliverable(record: IssuedCredential, now: datetime) -> None:
    try:
        check_deliverable(record, now)
    except InvalidRequest as exc:
        raise Oid4vciError("invalid_grant", exc.message) from exc


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)


def _authorization_code(session: Session, form: dict[str, str], now: datetime) -> dict[str, Any]:
    code = form.get("code")
    verifier = form.get("code_verifier")
    redirect_uri = form.get("redirect_uri")
    client_id = form.get("client_id")
    if not code or not redirect_uri or not client_id:
        raise Oid4vciError("invalid_request", "code, redirect_uri and client_id are required.")
    if not verifier or not _VERIFIER.fullmatch(verifier):
        raise Oid4vciError("invalid_request", "A PKCE code_verifier (RFC 7636) is required.")
    row = session.scalar(select(Oid4vciAuthCode).where(Oid4vciAuthCode.code_hash == _hash(code)))
    if row is None or row.expires_at <= now:
        raise Oid4vciError("invalid_grant", "The authorization code is not known or has expired.")
    if row.used_at is not None:
        _code_replayed(session, row, now)
    if row.client_id != client_id:
        raise Oid4vciError("invalid_grant", "The authorization code was issued to another client.")
    if row.redirect_uri != redirect_uri:
        raise Oid4vciError(
            "invalid_grant", "redirect_uri is not the one of the authorization request."
        )
    if not _pkce_matches(verifier, row.code_challenge):
        raise Oid4vciError("invalid_grant", "The PKCE code_verifier does not match.")
    if not claim(session, row, Oid4vciAuthCode.used_at.is_(None), used_at=now):
        _code_replayed(session, row, now)
    record = session.get(IssuedCredential, row.credential_id)
    assert record is not None  # a foreign key
    _deliverable(record, now)
    approved = _split(row.configurations)
    details = _details(form.get("authorization_details"))
    if (
        details is not None
        and approved is not None
        and not set(_configurations_of(details) or ()) <= set(approved)
    ):
        raise Oid4vciError(
            "invalid_authorization_details",
            "authorization_details asks for more than the learner approved.",
        )
    if details is None and row.by_details:
        details = [
            {"type": "openid_credential", "credential_configuration_id": configuration}
            for configuration in (approved or tuple(CONFIGURATIONS))
        ]
    return _issue_token(
        session,
        credential_id=row.credential_id,
        client_id=client_id,
        grant="authorization_code",
        details=details,
        configurations=_configurations_of(details) if details is not None else approved,
        auth_code_id=row.id,
        now=now,
    )


def _code_replayed(session: Session, row: Oid4vciAuthCode, now: datetime) -> None:
    """RFC 6749 §10.5 / §4.1.2: a code used twice is refused and every token issued for it is
    revoked (committed before the error goes out)."""
    revoked = session.execute(
        update(Oid4vciAccessToken)
        .where(Oid4vciAccessToken.auth_code_id == row.id, Oid4vciAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(
        AuditEvent(
            at=now,
            actor=f"wallet:{row.client_id[:180]}",
            action="oid4vci.code_replayed",
            subject=row.credential_id,
            detail=f"authorization code {row.id} used again; "
            f"{getattr(revoked, 'rowcount', 0)} token(s) revoked",
        )
    )
    session.commit()
    raise Oid4vciError("invalid_grant", "The authorization code was used already.")


# -- authorization endpoint -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletAuthorizationRequest:
    """An authorization request that passed every check but the learner's decision."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    state: str | None
    #: The badge an offer's ``issuer_state`` named (None: the learner chooses).
    offered_credential_id: str | None
    by_details: bool
    #: The configurations asked for (authorization_details or scope); None: every one.
    configurations: tuple[str, ...] | None = None

    @property
    def redirect_host(self) -> str:
        parts = urlsplit(self.redirect_uri)
        return parts.netloc or f"{parts.scheme}:"

    def as_query(self) -> dict[str, str]:
        """What to carry through the consent form (checked again when it comes back)."""
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.state is not None:
            query["state"] = self.state
        return query


def check_redirect_uri(uri: object) -> str:
    """A public wallet's redirect URI (RFC 8252 §7): https; http only to a loopback host; or a
    private-use scheme with a dot (``com.example.wallet:/cb``). No fragment, no credentials,
    never javascript:/data:/file:. Raises InvalidRequest (``bad_redirect_uri``)."""
    bad = InvalidRequest("The wallet's redirect_uri cannot be used.", code="bad_redirect_uri")
    if not isinstance(uri, str) or not uri or len(uri) > 2048 or uri != uri.strip():
        raise bad
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in uri):
        raise bad
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError as exc:
        raise bad from exc
    scheme = parts.scheme.lower()
    if not scheme or scheme in _FORBIDDEN_SCHEMES or parts.fragment or "#" in uri:
        raise bad
    if parts.username is not None or parts.password is not None:
        raise bad
    if scheme == "https":
        if not host:
            raise bad
        return uri
    if scheme == "http":
        if host not in _LOOPBACK:
            raise bad
        return uri
    if "." in scheme and re.fullmatch(r"[a-z][a-z0-9.+-]*", scheme):
        return uri
    raise bad


def parse_authorization_request(
    session: Session, params: dict[str, str], now: datetime
) -> WalletAuthorizationRequest:
    """Check an authorization request (RFC 6749 §4.1.1, RFC 7636, OpenID4VCI 1.0 §5.1).

    Errors that must not be sent to the redirect URI (bad client or redirect) and every other
    error are raised as InvalidRequest with a stable code; nothing is redirected before the
    learner decided.
    """
    client_id = params.get("client_id") or ""
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidRequest("The wallet did not say who it is (client_id).", code="bad_client_id")
    redirect_uri = check_redirect_uri(params.get("redirect_uri"))
    if params.get("response_type") != "code":
        raise InvalidRequest("Only response_type=code is supported.", code="bad_response_type")
    if params.get("code_challenge_method") != "S256" or not _CHALLENGE.fullmatch(
        params.get("code_challenge") or ""
    ):
        raise InvalidRequest("The wallet must use PKCE with S256 (RFC 7636).", code="pkce_required")
    scope = params.get("scope")
    details_raw = params.get("authorization_details")
    try:
        details = _details(details_raw)
    except Oid4vciError as exc:
        raise InvalidRequest(exc.message, code="bad_authorization_details") from exc
    if details is None and scope is not None and not set(scope.split()) & set(CONFIGURATIONS):
        raise InvalidRequest("The requested scope names no credential we issue.", code="bad_scope")
    offered = None
    issuer_state = params.get("issuer_state")
    if issuer_state:
        offer = session.scalar(
            select(Oid4vciOffer).where(Oid4vciOffer.state_hash == _hash(issuer_state))
        )
        try:
            offered = _live_offer(offer, now).credential_id
        except Oid4vciError as exc:
            raise InvalidRequest(exc.message, code="offer_gone") from exc
    if details is None and scope is None and offered is None:
        raise InvalidRequest(
            "Say which credential: authorization_details, scope or issuer_state.",
            code="bad_scope",
        )
    state = params.get("state")
    if state is not None and len(state) > 512:
        raise InvalidRequest("state is too long.", code="bad_state")
    configurations = _configurations_of(details)
    if configurations is None and scope is not None:
        configurations = tuple(c for c in dict.fromkeys(scope.split()) if c in CONFIGURATIONS)
    return WalletAuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=params["code_challenge"],
        state=state,
        offered_credential_id=offered,
        by_details=details is not None,
        configurations=configurations or None,
    )


def _with_query(uri: str, values: dict[str, str]) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(values)


def approve_authorization(
    session: Session,
    services: Services,
    request: WalletAuthorizationRequest,
    *,
    holder_id: int,
    credential_id: str,
    actor: str,
    issuer_state: str | None,
    now: datetime,
) -> str:
    """The learner approved: a single-use code for ``credential_id`` (theirs, deliverable),
    bound to the client, redirect URI and PKCE challenge. Returns the redirect (RFC 6749
    §4.1.2 with ``iss``, RFC 9207)."""
    record = session.get(IssuedCredential, credential_id)
    if record is None or record.holder_id != holder_id:
        raise NotFound("You have no badge with that id.", code="unknown_badge")
    if request.offered_credential_id is not None and credential_id != (
        request.offered_credential_id
    ):
        raise InvalidRequest("The offer was for another badge.", code="offer_mismatch")
    check_deliverable(record, now)
    if issuer_state:
        offer = session.scalar(
            select(Oid4vciOffer).where(Oid4vciOffer.state_hash == _hash(issuer_state))
        )
        if offer is None or not claim(
            session,
            offer,
            Oid4vciOffer.redeemed_at.is_(None),
            Oid4vciOffer.burned_at.is_(None),
            redeemed_at=now,
        ):
            raise InvalidRequest("The credential offer was used already.", code="offer_gone")
    code = secrets.token_urlsafe(32)
    session.add(
        Oid4vciAuthCode(
            code_hash=_hash(code),
            credential_id=credential_id,
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            by_details=request.by_details,
            configurations=_joined(request.configurations),
            created_at=now,
            expires_at=now + AUTH_CODE_TTL,
        )
    )
    session.add(
        AuditEvent(
            at=now,
            actor=actor[:200],
            action="oid4vci.authorize",
            subject=credential_id,
            detail=f"client {request.client_id[:120]} → {request.redirect_host[:200]}",
        )
    )
    values = {"code": code, "iss": _issuer(services.settings)}
    if request.state is not None:
        values["state"] = request.state
    return _with_query(request.redirect_uri, values)


def deny_authorization(
    session: Session,
    settings: Settings,
    request: WalletAuthorizationRequest,
    *,
    actor: str,
    now: datetime,
) -> str:
    """The learner said no: audited, and ``access_denied`` to the wallet (RFC 6749 §4.1.2.1)."""
    session.add(
        AuditEvent(
            at=now,
            actor=actor[:200],
            action="oid4vci.deny",
            subject=request.offered_credential_id or "",
            detail=f"client {request.client_id[:120]} → {request.redirect_host[:200]}",
        )
    )
    return denied_redirect(settings, request)


def denied_redirect(settings: Settings, request: WalletAuthorizationRequest) -> str:
    """The ``access_denied`` redirect to the wallet (RFC 6749 §4.1.2.1)."""
    values = {"error": "access_denied", "iss": _issuer(settings)}
    if request.state is not None:
        values["state"] = request.state
    return _with_query(request.redirect_uri, values)


# -- nonce, credential and deferred endpoints -------------------------------------------------


def new_nonce(session: Session, now: datetime) -> str:
    """A fresh single-use ``c_nonce`` (§7.2), valid :data:`NONCE_TTL`."""
    nonce = secrets.token_urlsafe(32)
    session.add(Oid4vciNonce(nonce_hash=_hash(nonce), created_at=now, expires_at=now + NONCE_TTL))
    return nonce


def _access_token(
    session: Session,
    bearer: str | None,
    now: datetime,
    *,
    expired_ok: bool = False,
) -> Oid4vciAccessToken:
    """The live token ``bearer`` names; with ``expired_ok`` an expired one too (the deferred
    endpoint honours a transaction with the token it was issued to until the transaction
    expires). A revoked token is never accepted."""
    if not bearer:
        raise Oid4vciError("invalid_token", "A Bearer access token is required.", status=401)
    row = (
        session.scalar(
            select(Oid4vciAccessToken).where(Oid4vciAccessToken.token_hash == _hash(bearer))
        )
        if _SECRET.fullmatch(bearer)
        else None
    )
    if row is None or row.revoked_at is not None or (row.expires_at <= now and not expired_ok):
        raise Oid4vciError(
            "invalid_token", "The access token is not known or has expired.", status=401
        )
    return row


def _consume_nonce(session: Session, nonce: str, now: datetime) -> None:
    row = session.scalar(select(Oid4vciNonce).where(Oid4vciNonce.nonce_hash == _hash(nonce)))
    if row is None or row.expires_at <= now or row.used_at is not None:
        raise Oid4vciError(
            "invalid_nonce", "The key proof's nonce is not a fresh c_nonce; get a new one."
        )
    if not claim(session, row, Oid4vciNonce.used_at.is_(None), used_at=now):
        raise Oid4vciError("invalid_nonce", "The key proof's nonce was used already.")


@dataclass(frozen=True, slots=True)
class Oid4vciAnswer:
    """What the credential or deferred endpoint answers: 200 with a credential, 202 pending."""

    status: int
    body: dict[str, Any]


def _wallet_format(token: Oid4vciAccessToken, body: dict[str, Any]) -> str:
    identifier = body.get("credential_identifier")
    configuration = body.get("credential_configuration_id")
    for name, value in (
        ("credential_identifier", identifier),
        ("credential_configuration_id", configuration),
    ):
        if value is not None and not isinstance(value, str):
            raise Oid4vciError("invalid_credential_request", f"{name} must be a string.")
    if identifier is not None and configuration is not None:
        raise Oid4vciError(
            "invalid_credential_request",
            "Send credential_identifier or credential_configuration_id, not both.",
        )
    if token.by_details:
        if identifier is None:
            raise Oid4vciError(
                "invalid_credential_request",
                "This token was issued with credential_identifiers: send credential_identifier.",
            )
        if identifier not in CONFIGURATIONS or not _allowed(token, identifier):
            raise Oid4vciError(
                "unknown_credential_identifier", "There is no credential with this identifier."
            )
        return CONFIGURATIONS[identifier]
    if configuration is None:
        raise Oid4vciError("invalid_credential_request", "credential_configuration_id is required.")
    if identifier is not None:
        raise Oid4vciError(
            "invalid_credential_request", "This token has no credential identifiers."
        )
    if configuration not in CONFIGURATIONS:
        raise Oid4vciError(
            "unknown_credential_configuration",
            "The credential configuration is not one this issuer offers.",
        )
    if not _allowed(token, configuration):
        raise Oid4vciError(
            "unknown_credential_configuration",
            "This access token was not issued for that credential configuration.",
        )
    return CONFIGURATIONS[configuration]


def _allowed(token: Oid4vciAccessToken, configuration: str) -> bool:
    allowed = _split(token.configurations)
    return allowed is None or configuration in allowed


def _one_proof(body: dict[str, Any]) -> object:
    if "proof" in body:
        raise Oid4vciError(
            "invalid_credential_request",
            'Send the key proof as proofs: {"jwt": [...]} (OpenID4VCI 1.0).',
        )
    proofs = body.get("proofs")
    if not isinstance(proofs, dict) or list(proofs) != ["jwt"]:
        raise Oid4vciError("invalid_proof", "One key proof of type jwt is required (proofs.jwt).")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or len(jwts) != 1:
        raise Oid4vciError(
            "invalid_proof", "Send exactly one jwt key proof: one badge per request."
        )
    return jwts[0]


def request_credential(
    session: Session,
    services: Services,
    *,
    bearer: str | None,
    body: object,
    now: datetime,
) -> Oid4vciAnswer:
    """Answer a Credential Request (§8): the holder-bound badge, or a deferred transaction."""
    token = _access_token(session, bearer, now)
    if not isinstance(body, dict):
        raise Oid4vciError("invalid_credential_request", "The request body must be a JSON object.")
    if "credential_response_encryption" in body:
        raise Oid4vciError(
            "invalid_encryption_parameters", "Encrypted credential responses are not offered."
        )
    wallet_format = _wallet_format(token, body)
    try:
        proof = check_key_proof(
            _one_proof(body),
            audience=_issuer(services.settings),
            client_id=token.client_id,
            now=now,
        )
        _consume_nonce(session, proof.nonce, now)
    except Oid4vciError as exc:
        # Nothing was written yet (a refused nonce claim changes no row): record the refusal.
        session.add(
            AuditEvent(
                at=now,
                actor=f"wallet:{(token.client_id or 'anonymous')[:180]}",
                action="oid4vci.proof_refused",
                subject=token.credential_id,
                detail=f"{exc.code}: {exc.message}"[:500],  # our sentence, never the proof
            )
        )
        session.commit()
        raise
    record = session.get(IssuedCredential, token.credential_id)
    assert record is not None  # a foreign key
    try:
        check_deliverable(record, now)
    except InvalidRequest as exc:
        raise Oid4vciError("credential_request_denied", exc.message) from exc
    if services.settings.oid4vci_deferred:
        transaction_id = secrets.token_urlsafe(32)
        row = Oid4vciTransaction(
            transaction_hash=_hash(transaction_id),
            token_id=token.id,
            credential_id=record.id,
            holder_did=proof.holder_did,
            wallet_format=wallet_format,
            created_at=now,
            expires_at=now + TRANSACTION_TTL,
        )
        session.add(row)
        session.flush()
        after_commit(session, "wallet_sign", row.id)
        return Oid4vciAnswer(202, {"transaction_id": transaction_id, "interval": DEFERRED_INTERVAL})
    copy = holder_bound_copy(
        session,
        services,
        credential_id=record.id,
        holder_did=proof.holder_did,
        wallet_format=wallet_format,
        channel="oid4vci",
        actor=f"wallet:{(token.client_id or 'anonymous')[:180]}",
        now=now,
    )
    return Oid4vciAnswer(200, {"credentials": [{"credential": copy.for_response()}]})


def sign_deferred(services: Services, transaction_row_id: int) -> None:
    """The queued job: sign the copy a deferred transaction waits for (once)."""
    now = services.now()
    with services.session() as session:
        row = session.get(Oid4vciTransaction, transaction_row_id)
        if row is None or row.signed_at is not None or row.failure is not None:
            return
        token = session.get(Oid4vciAccessToken, row.token_id)
        client = token.client_id if token is not None else None
        try:
            with session.begin_nested():
                copy = holder_bound_copy(
                    session,
                    services,
                    credential_id=row.credential_id,
                    holder_did=row.holder_did,
                    wallet_format=row.wallet_format,
                    channel="oid4vci",
                    actor=f"wallet:{(client or 'anonymous')[:180]}",
                    now=now,
                )
        except (InvalidRequest, NotFound) as exc:
            row.failure = exc.code[:64]
            logger.info("deferred OpenID4VCI issuance %s refused: %s", row.id, exc.code)
            return
        except Exception:  # the task boundary: the wallet must not poll for ever
            row.failure = "signing_failed"
            logger.exception("deferred OpenID4VCI issuance %s failed", row.id)
            return
        row.content = copy.content
        row.signed_at = now


def deferred_credential(
    session: Session,
    services: Services,
    *,
    bearer: str | None,
    body: object,
    now: datetime,
) -> Oid4vciAnswer:
    """Answer a Deferred Credential Request (§9): 202 with ``interval`` while the job has not
    signed yet, then the credential once (the transaction is consumed).

    The token the transaction was issued to is honoured after its own expiry, until the
    transaction's; the badge is checked again when handed out."""
    token = _access_token(session, bearer, now, expired_ok=True)
    if not isinstance(body, dict) or not isinstance(body.get("transaction_id"), str):
        raise Oid4vciError("invalid_credential_request", "transaction_id is required.")
    transaction_id = body["transaction_id"]
    row = (
        session.scalar(
            select(Oid4vciTransaction).where(
                Oid4vciTransaction.transaction_hash == _hash(transaction_id)
            )
        )
        if _SECRET.fullmatch(transaction_id)
        else None
    )
    if (
        row is None
        or row.token_id != token.id
        or row.delivered_at is not None
        or row.expires_at <= now
    ):
        raise Oid4vciError("invalid_transaction_id", "The transaction is not known or is over.")
    if row.failure is not None:
        claim(session, row, Oid4vciTransaction.delivered_at.is_(None), delivered_at=now)
        session.commit()  # the transaction is over, whatever the error response does
        raise Oid4vciError(
            "credential_request_denied", "The badge can no longer be added to a wallet."
        )
    if row.content is None:
        return Oid4vciAnswer(202, {"transaction_id": transaction_id, "interval": DEFERRED_INTERVAL})
    content = row.content
    if not claim(
        session, row, Oid4vciTransaction.delivered_at.is_(None), delivered_at=now, content=None
    ):
        raise Oid4vciError("invalid_transaction_id", "The transaction is over.")
    record = session.get(IssuedCredential, row.credential_id)
    assert record is not None  # a foreign key
    try:
        check_deliverable(record, now)
    except InvalidRequest as exc:
        session.add(_deferred_event(token, row, now, f"refused: {exc.code}"))
        session.commit()  # the transaction is over and its signed copy gone
        raise Oid4vciError("credential_request_denied", exc.message) from exc
    session.add(_deferred_event(token, row, now, f"delivered ({row.wallet_format})"))
    credential: Any = (
        content.decode("ascii") if row.wallet_format == "jwt_vc_json" else json.loads(content)
    )
    return Oid4vciAnswer(200, {"credentials": [{"credential": credential}]})


def _deferred_event(
    token: Oid4vciAccessToken, row: Oid4vciTransaction, now: datetime, what: str
) -> AuditEvent:
    return AuditEvent(
        at=now,
        actor=f"wallet:{(token.client_id or 'anonymous')[:180]}",
        action="oid4vci.deferred",
        subject=row.credential_id,
        detail=f"transaction {row.id} {what}"[:500],
    )


#: How long after it expired a row is kept (a wallet's late call still finds "expired").
PURGE_AFTER = timedelta(days=1)


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """Delete nonces, transactions, tokens, codes and offers expired more than
    :data:`PURGE_AFTER` ago; a transaction's signed copy goes as soon as it expired. The audit
    log and the wallet deliveries stay. Idempotent."""
    cutoff = now - PURGE_AFTER
    counts: dict[str, int] = {}

    def run(name: str, statement: Any) -> None:
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)

    run(
        "transaction_contents",
        update(Oid4vciTransaction)
        .where(Oid4vciTransaction.expires_at <= now, Oid4vciTransaction.content.is_not(None))
        .values(content=None),
    )
    run("nonces", delete(Oid4vciNonce).where(Oid4vciNonce.expires_at < cutoff))
    run("transactions", delete(Oid4vciTransaction).where(Oid4vciTransaction.expires_at < cutoff))
    in_use = select(Oid4vciTransaction.token_id)
    run(
        "tokens",
        delete(Oid4vciAccessToken).where(
            Oid4vciAccessToken.expires_at < cutoff, Oid4vciAccessToken.id.not_in(in_use)
        ),
    )
    issued = select(Oid4vciAccessToken.auth_code_id).where(
        Oid4vciAccessToken.auth_code_id.is_not(None)
    )
    run(
        "codes",
        delete(Oid4vciAuthCode).where(
            Oid4vciAuthCode.expires_at < cutoff, Oid4vciAuthCode.id.not_in(issued)
        ),
    )
    run("offers", delete(Oid4vciOffer).where(Oid4vciOffer.expires_at < cutoff))
    return counts
