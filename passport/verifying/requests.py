"""Presentation requests: the verify page asks a candidate's wallet for a presentation bound to a
fresh challenge, then checks the presentation handed back against it (issue #15, item 5).

A visitor (a hiring manager) asks for a request; it gets a challenge of 192 random bits and the
domain of this service (its public origin), kept in ``presentation_requests`` for
:data:`REQUEST_TTL` and tied to the visitor's browser session (the SHA-256 of a random token
that lives only in that session's signed cookie). The wallet receives a W3C VC-API
*Verifiable Presentation Request* (:func:`request_document`) and signs its presentation with
that challenge and domain (VC Data Integrity §2.1, ``proofPurpose`` ``authentication``).

:func:`check_presentation` then answers one presentation per request. It refuses, with a stable
code and before verifying anything, a challenge that is unknown or another session's
(``unknown_challenge``), expired (``challenge_expired``) or already answered
(``challenge_used``): a presentation handed over again is a replay. Input that is not a
presentation at all leaves the request open (``not_a_presentation``). A presentation is checked
with the request's challenge and domain; its holder's proof must pass, so one signed for
another challenge (``challenge_mismatch``) or another verifier (``domain_mismatch``) is not
verified, and neither is an unsigned one, which answers no challenge
(``presentation_not_bound``). The request is used up atomically, so two submissions racing for
one challenge get one answer and one ``challenge_used``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from passport.errors import ChallengeExpired, ChallengeUsed, InvalidRequest, NotFound
from passport.services import Services
from passport.settings import Settings
from passport.verifying.models import PresentationRequest
from passport.verifying.verify import verify_input
from verifier.containers import ContainerCheck, ContainerReport

__all__ = [
    "KEEP_ANSWERED",
    "REQUEST_TTL",
    "AnsweredRequest",
    "check_presentation",
    "create_presentation_request",
    "new_visitor_token",
    "open_presentation_request",
    "request_document",
    "request_text",
    "service_domain",
]

#: How long a candidate has to answer (long enough to find the wallet, short enough that a
#: leaked challenge is soon worthless).
REQUEST_TTL: Final = timedelta(minutes=15)
#: Expired and answered requests are kept this long, so a late or repeated presentation is told
#: "expired" or "already used" rather than "unknown"; then they are deleted.
KEEP_ANSWERED: Final = timedelta(days=1)
#: ``secrets.token_urlsafe(24)``: 32 characters of the URL-safe alphabet; anything else is forged.
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9_-]{32}")
_OB3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"


@dataclass(frozen=True, slots=True)
class AnsweredRequest:
    """A presentation checked against a request: the request's challenge and domain, and the
    report (``verified`` only when the holder's proof answers this very request)."""

    challenge: str
    domain: str
    outcome: ContainerReport


def new_visitor_token() -> str:
    """A random token naming one browser session (kept in its signed cookie, never stored)."""
    return secrets.token_urlsafe(32)


def _visitor_hash(visitor: str) -> str:
    return hashlib.sha256(visitor.encode("utf-8")).hexdigest()


def service_domain(settings: Settings) -> str:
    """The domain presentations must be made for: this service's public origin
    (``scheme://host[:port]``, no path), as wallets see it in the address bar."""
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}"


def request_document(request: PresentationRequest) -> dict[str, Any]:
    """The request as a wallet reads it: a W3C VC-API Verifiable Presentation Request.

    ``DIDAuthentication`` asks the holder to sign with a did:key (eddsa-rdfc-2022, what this
    verifier checks on presentations); ``QueryByExample`` asks for Open Badges.
    """
    return {
        "verifiablePresentationRequest": {
            "query": [
                {
                    "type": "DIDAuthentication",
                    "acceptedMethods": [{"method": "key"}],
                    "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}],
                },
                {
                    "type": "QueryByExample",
                    "credentialQuery": [
                        {
                            "reason": "Show the Open Badges you hold, signed for this request.",
                            "example": {
                                "@context": [_VC2_CONTEXT, _OB3_CONTEXT],
                                "type": "OpenBadgeCredential",
                            },
                        }
                    ],
                },
            ],
            "challenge": request.challenge,
            "domain": request.domain,
        }
    }


def request_text(request: PresentationRequest) -> str:
    """:func:`request_document` as compact JSON (what the QR code holds)."""
    return json.dumps(request_document(request), separators=(",", ":"), ensure_ascii=False)


def create_presentation_request(
    session: Session, settings: Settings, *, visitor: str, now: datetime
) -> PresentationRequest:
    """A new request for ``visitor``'s session, valid for :data:`REQUEST_TTL` from ``now``.

    Requests expired or answered more than :data:`KEEP_ANSWERED` ago are deleted on the way.
    """
    if not visitor:
        raise InvalidRequest("This browser session has no identity yet.", code="no_session")
    session.execute(
        delete(PresentationRequest).where(PresentationRequest.expires_at < now - KEEP_ANSWERED)
    )
    request = PresentationRequest(
        challenge=secrets.token_urlsafe(24),
        domain=service_domain(settings),
        visitor_hash=_visitor_hash(visitor),
        created_at=now,
        expires_at=now + REQUEST_TTL,
    )
    session.add(request)
    session.flush()
    return request


def open_presentation_request(
    session: Session, *, visitor: str | None, now: datetime
) -> PresentationRequest | None:
    """``visitor``'s newest request that can still be answered, or None."""
    if not visitor:
        return None
    return session.scalar(
        select(PresentationRequest)
        .where(
            PresentationRequest.visitor_hash == _visitor_hash(visitor),
            PresentationRequest.used_at.is_(None),
            PresentationRequest.expires_at > now,
        )
        .order_by(PresentationRequest.created_at.desc(), PresentationRequest.id.desc())
        .limit(1)
    )


def _usable(
    session: Session, *, visitor: str | None, challenge: str, now: datetime
) -> PresentationRequest:
    """The request ``challenge`` names, if ``visitor`` made it and it can still be answered.

    Raises :class:`NotFound` (``unknown_challenge``: never made, malformed, or another
    session's — the same answer for all three), :class:`ChallengeUsed` or
    :class:`ChallengeExpired`.
    """
    unknown = NotFound(
        "This page did not make that presentation request (or it was deleted); make a new one.",
        code="unknown_challenge",
    )
    if not visitor or not _CHALLENGE.fullmatch(challenge):
        raise unknown
    request = session.scalar(
        select(PresentationRequest).where(PresentationRequest.challenge == challenge)
    )
    if request is None or not hmac.compare_digest(request.visitor_hash, _visitor_hash(visitor)):
        raise unknown
    if request.used_at is not None:
        raise ChallengeUsed()
    if request.expires_at <= now:
        raise ChallengeExpired()
    return request


def check_presentation(
    services: Services, *, visitor: str | None, challenge: str, data: bytes | str
) -> AnsweredRequest:
    """Check the presentation ``data`` against ``visitor``'s request ``challenge``.

    Returns the answered request (its report says whether the presentation verified); the
    request is used up. Raises :class:`NotFound` (``unknown_challenge``),
    :class:`ChallengeExpired`, :class:`ChallengeUsed` — nothing is verified then — or
    :class:`InvalidRequest` (``not_a_presentation``; the request stays open).
    """
    challenge = challenge.strip()
    now = services.now()
    with services.session() as session:
        request = _usable(session, visitor=visitor, challenge=challenge, now=now)
        domain = request.domain
        request_id = request.id
    outcome = verify_input(services, data, challenge=challenge, domain=domain)
    if outcome.kind != "presentation":
        raise InvalidRequest(
            "This is not a presentation. Paste or upload what the candidate's wallet made for "
            "this request (a Verifiable Presentation, as JSON or as a JWT).",
            code="not_a_presentation",
        )
    with services.session() as session:
        # One presentation per request, even when two arrive at once: only the first UPDATE
        # finds the row unused and unexpired.
        used = cast(
            "CursorResult[Any]",
            session.execute(
                update(PresentationRequest)
                .where(
                    PresentationRequest.id == request_id,
                    PresentationRequest.used_at.is_(None),
                    PresentationRequest.expires_at > now,
                )
                .values(used_at=now)
            ),
        )
        if used.rowcount != 1:
            _usable(session, visitor=visitor, challenge=challenge, now=now)  # says why
            raise ChallengeUsed()  # pragma: no cover - _usable raised
    return AnsweredRequest(challenge=challenge, domain=domain, outcome=_bound(outcome))


def _bound(outcome: ContainerReport) -> ContainerReport:
    """The report as an answer to a request: ``verified`` only when the holder's proof, made
    for this challenge and domain, passed. An unsigned presentation answers no challenge."""
    signature = outcome.check("signature")
    if signature is not None and signature.status == "passed":
        return outcome
    if signature is None or signature.code == "presentation_unsigned":
        signature = ContainerCheck(
            "signature",
            "failed",
            "presentation_not_bound",
            "The presentation is not signed by its holder, so it does not answer your "
            "request: it could be a copy made for someone else.",
        )
    checks = tuple(signature if c.id == "signature" else c for c in outcome.checks)
    if outcome.check("signature") is None:
        checks = (signature, *checks)
    return replace(outcome, verified=False, checks=checks)
