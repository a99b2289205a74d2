"""The Learner Credential Wallet's VC-API exchange: "Add to Learner Credential Wallet".

The holder clicks the button on a badge; :func:`create_exchange` opens an exchange (random id,
a single-use challenge, :data:`EXCHANGE_TTL`). The page shows the wallet's deep link — its
universal link ``https://lcw.app/request.html?request=<JSON>`` with ``credentialRequestOrigin``
and ``protocols.vcapi`` = the exchange URL (:func:`deep_link`) — as a button and a QR code.

The wallet then talks to the exchange URL (W3C VC-API "exchanges", as the Digital Credentials
Consortium's transaction-service answers it; docs/wallets/learner-credential-wallet.md):

1. ``POST {}`` → a Verifiable Presentation Request asking for ``DIDAuthentication`` with our
   challenge and domain (:func:`presentation_request`);
2. ``POST {"verifiablePresentation": <DIDAuth VP>}`` (or the bare VP, as the DCC
   transaction-service also reads it) → :func:`complete_exchange` checks the holder's
   ``authentication`` proof (Ed25519Signature2020 on a VC 1.1 presentation, as the wallet
   signs, or eddsa-rdfc-2022), that the key is the holder's did:key, and the challenge and
   domain; then it consumes the exchange atomically and answers ``{"verifiablePresentation":
   {…, "verifiableCredential": [the badge bound to the holder's DID]}}``.

Refusals carry stable codes: ``unknown_exchange`` (404), ``exchange_expired``,
``exchange_complete`` (a replay) and ``exchange_locked`` (after :data:`MAX_ATTEMPTS` refused
presentations; 410), ``bad_exchange_body``/``not_a_presentation``/``bad_holder_did`` (400), and
the proof's own (``presentation_not_bound``, ``challenge_mismatch``, ``domain_mismatch``,
``holder_key_mismatch``, ``wrong_proof_purpose``, ``unknown_cryptosuite``, the verifier's
signature codes; 401).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast
from urllib.parse import quote, urlencode

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.errors import (
    ChallengeExpired,
    ChallengeUsed,
    InvalidRequest,
    NotFound,
    PresentationRequestGone,
    Unauthorized,
)
from passport.services import Services
from passport.settings import Settings
from passport.verifying.requests import service_domain
from passport.wallets.binding import check_deliverable, holder_bound_copy, validate_holder_did
from passport.wallets.models import LcwExchange
from verifier.dataintegrity import check_data_integrity
from verifier.errors import VerificationError

__all__ = [
    "EXCHANGE_TTL",
    "LCW_REQUEST_URL",
    "MAX_ATTEMPTS",
    "ExchangeView",
    "check_did_auth",
    "complete_exchange",
    "create_exchange",
    "deep_link",
    "direct_link",
    "exchange_of_user",
    "presentation_request",
    "service_origin",
    "unverified_presentation",
]

logger = logging.getLogger(__name__)

#: How long the QR code / link works: long enough to open the wallet, short enough that a
#: photographed code is soon worthless (the exchange URL is a bearer secret while pending).
EXCHANGE_TTL: Final = timedelta(minutes=15)
#: Presentations refused before the exchange stops answering (guessing is pointless anyway:
#: a proof must be made by the holder's key for our challenge).
MAX_ATTEMPTS: Final = 5
#: A finished or expired exchange is kept this long (its page says which DID collected it).
KEEP_FINISHED: Final = timedelta(days=30)
#: Opening an exchange again reuses a live one with at least this long left.
REUSE_MIN_LEFT: Final = timedelta(minutes=5)
#: The wallet's universal link (what DCC's transaction-service hands out; the app registers it
#: with Android and iOS, and its web page offers the app stores when it is not installed).
LCW_REQUEST_URL: Final = "https://lcw.app/request.html"
_VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
_AUTHENTICATION: Final = "authentication"
#: The proofs a DIDAuth presentation may carry: the wallet signs with Ed25519Signature2020
#: (@digitalcredentials/ed25519-signature-2020); eddsa-rdfc-2022 is its successor.
_SUITES: Final = (("Ed25519Signature2020", None), ("DataIntegrityProof", "eddsa-rdfc-2022"))


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """What the holder's page shows about one exchange."""

    id: str
    credential_id: str
    state: str
    expires_at: datetime
    holder_did: str | None
    expired: bool
    #: pending, but refused :data:`MAX_ATTEMPTS` presentations
    locked: bool
    #: shown only in the older direct link, on the holder's own page
    challenge: str


def service_origin(settings: Settings) -> str:
    """This service's origin (``scheme://host[:port]``): the DIDAuth ``domain`` and the
    ``credentialRequestOrigin`` the wallet shows — the domain presentation requests use too."""
    return service_domain(settings)


def deep_link(exchange_url: str, origin: str) -> str:
    """The wallet's deep link for ``exchange_url``: ``https://lcw.app/request.html?request=``
    and the URL-encoded JSON ``{"credentialRequestOrigin", "protocols": {"vcapi"}}``."""
    request = json.dumps(
        {"credentialRequestOrigin": origin, "protocols": {"vcapi": exchange_url}},
        separators=(",", ":"),
    )
    return f"{LCW_REQUEST_URL}?request={quote(request, safe='')}"


def direct_link(request_url: str, *, issuer_host: str, challenge: str) -> str:
    """The wallet's older, one-step deep link (DCC's "directDeepLink"): the wallet signs a
    DIDAuth for ``challenge`` (without a domain) and posts it straight to ``request_url``."""
    query = urlencode(
        {
            "issuer": issuer_host,
            "auth_type": "bearer",
            "challenge": challenge,
            "vc_request_url": request_url,
        },
        quote_via=quote,
    )
    return f"{LCW_REQUEST_URL}?{query}"


def create_exchange(
    session: Session,
    settings: Settings,
    *,
    user_id: int,
    holder_id: int | None,
    credential_id: str,
    actor: str,
    now: datetime,
) -> LcwExchange:
    """Open an exchange for the holder's badge ``credential_id``, valid :data:`EXCHANGE_TTL`.

    Raises NotFound (``unknown_badge``: not theirs or no such badge) or InvalidRequest
    (``credential_revoked|suspended|expired``).
    """
    record = session.get(IssuedCredential, credential_id)
    if record is None or holder_id is None or record.holder_id != holder_id:
        raise NotFound("You have no badge with that id.", code="unknown_badge")
    check_deliverable(record, now)
    # Old exchanges go on the way (the page shows a finished one for KEEP_FINISHED), and a
    # live one for the same badge is reused: clicking again never piles up open exchanges.
    session.execute(delete(LcwExchange).where(LcwExchange.expires_at < now - KEEP_FINISHED))
    live = session.scalar(
        select(LcwExchange)
        .where(
            LcwExchange.user_id == user_id,
            LcwExchange.credential_id == record.id,
            LcwExchange.state == "pending",
            LcwExchange.attempts < MAX_ATTEMPTS,
            LcwExchange.expires_at > now + REUSE_MIN_LEFT,
        )
        .order_by(LcwExchange.expires_at.desc())
        .limit(1)
    )
    if live is not None:
        return live
    exchange = LcwExchange(
        id=secrets.token_urlsafe(32),
        credential_id=record.id,
        user_id=user_id,
        challenge=secrets.token_urlsafe(24),
        domain=service_origin(settings),
        state="pending",
        attempts=0,
        created_at=now,
        expires_at=now + EXCHANGE_TTL,
    )
    session.add(exchange)
    session.add(
        AuditEvent(at=now, actor=actor, action="wallet.lcw.open", subject=record.id, detail=None)
    )
    session.flush()
    return exchange


def exchange_of_user(
    session: Session, *, user_id: int, exchange_id: str, now: datetime
) -> ExchangeView:
    """The user's own exchange; another user's answers exactly like an unknown one (NotFound
    ``unknown_exchange``)."""
    exchange = session.get(LcwExchange, exchange_id) if len(exchange_id) <= 64 else None
    if exchange is None or exchange.user_id != user_id:
        raise NotFound("There is no such wallet exchange.", code="unknown_exchange")
    return ExchangeView(
        id=exchange.id,
        credential_id=exchange.credential_id,
        state=exchange.state,
        expires_at=exchange.expires_at,
        holder_did=exchange.holder_did,
        expired=exchange.state == "pending" and exchange.expires_at <= now,
        locked=exchange.state == "pending" and exchange.attempts >= MAX_ATTEMPTS,
        challenge=exchange.challenge,
    )


def _usable(session: Session, exchange_id: str, now: datetime) -> LcwExchange:
    """The exchange, if the wallet may still talk to it; else the stable refusal."""
    exchange = session.get(LcwExchange, exchange_id) if 0 < len(exchange_id) <= 64 else None
    if exchange is None:
        raise NotFound("There is no such exchange.", code="unknown_exchange")
    if exchange.state != "pending":
        raise ChallengeUsed(
            "This badge was already added to a wallet through this exchange; "
            "start a new one from the passport.",
            code="exchange_complete",
        )
    if exchange.expires_at <= now:
        raise ChallengeExpired(
            "This exchange has expired; start a new one from the passport.",
            code="exchange_expired",
        )
    if exchange.attempts >= MAX_ATTEMPTS:
        raise PresentationRequestGone(
            "Too many presentations were refused for this exchange; start a new one.",
            code="exchange_locked",
        )
    owner_active = session.scalar(
        select(User.id).where(User.id == exchange.user_id, User.deactivated_at.is_(None))
    )
    if owner_active is None:  # deactivated or erased since it was opened
        raise ChallengeExpired(
            "This exchange has ended: the account that opened it is closed.",
            code="exchange_expired",
        )
    return exchange


def presentation_request(
    services: Services, *, exchange_id: str, exchange_url: str
) -> dict[str, Any]:
    """The answer to the wallet's first ``POST {}``: a Verifiable Presentation Request
    (W3C VP Request Spec, DID Authentication) for our challenge and domain, whose
    interaction service is this same exchange URL."""
    with services.session() as session:
        exchange = _usable(session, exchange_id, services.now())
        challenge, domain = exchange.challenge, exchange.domain
    return {
        "verifiablePresentationRequest": {
            "query": [
                {
                    "type": "DIDAuthentication",
                    "acceptedMethods": [{"method": "key"}],
                    # VP Request Spec: cryptosuite names only. The wallet signs with the
                    # Ed25519Signature2020 proof type, which is not a cryptosuite and is
                    # accepted all the same (docs/wallets/learner-credential-wallet.md).
                    "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}],
                }
            ],
            "challenge": challenge,
            "domain": domain,
            "interact": {
                "service": [
                    {
                        "type": "UnmediatedHttpPresentationService2021",
                        "serviceEndpoint": exchange_url,
                    }
                ]
            },
        }
    }


def unverified_presentation(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The DIDAuth presentation in a wallet's message: ``{"verifiablePresentation": vp}``
    (VC-API) or the bare presentation (the wallets' direct post). InvalidRequest else."""
    if "verifiablePresentation" in body:
        vp = body["verifiablePresentation"]
    elif "proof" in body or "holder" in body or "type" in body:
        vp = body
    else:
        raise InvalidRequest(
            'Send {} to start the exchange, then {"verifiablePresentation": …} signed for '
            "its challenge.",
            code="bad_exchange_body",
        )
    types = vp.get("type") if isinstance(vp, Mapping) else None
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise InvalidRequest(
            "The wallet did not send a Verifiable Presentation.", code="not_a_presentation"
        )
    return cast("Mapping[str, Any]", vp)


def _holder_of(vp: Mapping[str, Any]) -> str:
    holder = vp.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if not isinstance(holder, str):
        raise Unauthorized("The presentation does not name its holder.", code="no_holder")
    did = validate_holder_did(holder)
    if not did.startswith("did:key:"):
        raise InvalidRequest("The wallet must authenticate with a did:key.", code="bad_holder_did")
    return did


def _single_proof(vp: Mapping[str, Any]) -> Mapping[str, Any]:
    proof = vp.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if proof is None or proof == []:
        raise Unauthorized(
            "The presentation is not signed by its holder, so it does not answer the "
            "exchange's challenge.",
            code="presentation_not_bound",
        )
    if not isinstance(proof, Mapping):
        raise Unauthorized(
            "The presentation must carry exactly one proof by its holder.", code="bad_proof"
        )
    return proof


def check_did_auth(
    services: Services,
    session: Session,
    vp: Mapping[str, Any],
    *,
    challenge: str,
    domain: str,
    now: datetime,
    domain_required: bool = True,
) -> str:
    """The holder DID a DIDAuth presentation proves, for ``challenge`` and ``domain``.

    With ``domain_required`` False (the older direct link, whose wallet signs no domain), a
    presentation without a domain is accepted; one with a domain must still name ours.

    Checked in order (VC Data Integrity §2.1 and the VP Request Spec's DID Authentication):
    a did:key holder, one proof of an accepted suite, purpose ``authentication``, our
    challenge and domain, a key that is the holder's, then the signature itself. Raises
    InvalidRequest (``bad_holder_did``) or Unauthorized with the failed rule's code.
    """
    holder = _holder_of(vp)
    proof = _single_proof(vp)
    if (proof.get("type"), proof.get("cryptosuite")) not in _SUITES:
        raise Unauthorized(
            "The presentation is signed with a suite we do not accept "
            "(Ed25519Signature2020 or eddsa-rdfc-2022).",
            code="unknown_cryptosuite",
        )
    if proof.get("proofPurpose") != _AUTHENTICATION:
        raise Unauthorized(
            "The presentation's proof was not made for authentication.",
            code="wrong_proof_purpose",
        )
    given = proof.get("challenge")
    if not isinstance(given, str) or not hmac.compare_digest(
        given.encode("utf-8"), challenge.encode("utf-8")
    ):
        raise Unauthorized(
            "The presentation was made for another exchange (its challenge differs).",
            code="challenge_mismatch",
        )
    if proof.get("domain") != domain and (domain_required or "domain" in proof):
        raise Unauthorized(
            "The presentation was made for another service (its domain differs).",
            code="domain_mismatch",
        )
    method = proof.get("verificationMethod")
    if isinstance(method, Mapping):
        method = method.get("id")
    if not isinstance(method, str) or method.partition("#")[0] != holder:
        raise Unauthorized(
            "The presentation is signed with a key that is not its holder's.",
            code="holder_key_mismatch",
        )
    verifier = services.verifier(session)
    single = {**{k: v for k, v in vp.items() if k != "proof"}, "proof": dict(proof)}
    try:
        check_data_integrity(
            single,
            verifier.resolver,
            verifier.canonicalizer,
            now=now,
            leeway=verifier.leeway,
            purpose=_AUTHENTICATION,
            controller=holder,
        )
    except VerificationError as exc:
        raise Unauthorized(exc.message, code=exc.code) from exc
    return holder


def _refused(services: Services, exchange_id: str, code: str) -> None:
    """Count a refused presentation and audit it (its own transaction: the refusal stands)."""
    now = services.now()
    with services.session() as session:
        session.execute(
            update(LcwExchange)
            .where(LcwExchange.id == exchange_id)
            .values(attempts=LcwExchange.attempts + 1)
        )
        credential_id = session.scalar(
            select(LcwExchange.credential_id).where(LcwExchange.id == exchange_id)
        )
        session.add(
            AuditEvent(
                at=now,
                actor="lcw-wallet",
                action="wallet.lcw.refused",
                subject=credential_id,
                detail=code,
            )
        )


def complete_exchange(
    services: Services,
    *,
    exchange_id: str,
    body: Mapping[str, Any],
    direct: bool = False,
) -> dict[str, Any]:
    """Answer the wallet's DIDAuth presentation with its badge, bound to the holder's DID.

    ``direct``: the presentation came through the older direct link, so it may lack a domain
    (the challenge, single-use and this exchange's own, still binds it here).

    Returns ``{"verifiablePresentation": {…, "verifiableCredential": [badge]}}``. Raises the
    refusals listed in the module docstring; a refused presentation counts as an attempt,
    and the exchange is consumed only by a delivered badge.
    """
    now = services.now()
    with services.session() as session:
        exchange = _usable(session, exchange_id, now)
        challenge, domain = exchange.challenge, exchange.domain
        credential_id, user_id = exchange.credential_id, exchange.user_id
    try:
        vp = unverified_presentation(body)
        with services.session() as session:
            holder = check_did_auth(
                services,
                session,
                vp,
                challenge=challenge,
                domain=domain,
                now=now,
                domain_required=not direct,
            )
    except (InvalidRequest, Unauthorized) as exc:
        _refused(services, exchange_id, exc.code)
        raise
    with services.session() as session:
        # One badge per exchange, even when two presentations race: only the first UPDATE
        # finds the exchange pending.
        done = cast(
            "CursorResult[Any]",
            session.execute(
                update(LcwExchange)
                .where(
                    LcwExchange.id == exchange_id,
                    LcwExchange.state == "pending",
                    LcwExchange.expires_at > now,
                    # the owner still has an account: deactivating or erasing it ends the
                    # exchanges they opened
                    LcwExchange.user_id.in_(
                        select(User.id).where(User.id == user_id, User.deactivated_at.is_(None))
                    ),
                )
                .values(state="complete", holder_did=holder, completed_at=now)
            ),
        )
        if done.rowcount != 1:
            _usable(session, exchange_id, now)  # says why

            raise ChallengeUsed(
                "This exchange is complete.", code="exchange_complete"
            )  # pragma: no cover - _usable raised
        actor = session.scalar(select(User.email).where(User.id == user_id)) or "lcw-wallet"
        copy = holder_bound_copy(
            session,
            services,
            credential_id=credential_id,
            holder_did=holder,
            wallet_format="ldp_vc",
            channel="lcw",
            actor=actor,
            now=now,
        )
    logger.info("LCW exchange completed for %s", credential_id)
    return {
        "verifiablePresentation": {
            "@context": [_VC2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [copy.for_response()],
        }
    }
