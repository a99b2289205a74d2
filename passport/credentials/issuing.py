"""Issuing use case: achievement + recipient → a signed, self-verified, stored credential.

Without an assessment (:mod:`passport.assessments.record`), an award is an administrator's
decision: it needs a written reason, which goes into the audit log and the stored record.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import DEFAULT_JWT_ALG, JWT_ALGS, CredentialDraft, CredentialIssuer, new_credential_id
from keys import SigningKey, verification_method_id
from passport.audit import AuditEvent
from passport.catalog.models import AchievementDefinition
from passport.credentials.images import achievement_with_image, credential_image
from passport.credentials.issuers import issuer_profile
from passport.credentials.models import Holder, IssuedCredential, Issuer, SigningKeyRecord
from passport.credentials.status import draw_status, purposes_for, store_status
from passport.errors import InvalidRequest, NotFound
from passport.jobs.notify import notify_person
from passport.jobs.recipients import Recipient, holder_recipient
from passport.services import Services
from verifier import normalize_email

__all__ = [
    "DEFAULT_DI_SUITE",
    "DEFAULT_FORMAT",
    "DI_SUITE_KEYS",
    "JWT_ALGS",
    "PROOF_FORMATS",
    "SHORT_FORMAT_NAMES",
    "IssueRequest",
    "active_signing_key",
    "checked_email",
    "issue_credential",
    "pin_holders",
    "pinned_get",
    "pinned_holders",
    "proof_format_named",
]

logger = logging.getLogger(__name__)

_M = TypeVar("_M")

#: Draw-sign-store rounds before giving up (a collision needs a concurrent draw of the same
#: index out of 131,072 between our draw and our store).
_SIGN_ATTEMPTS = 3

#: Proof formats, as stored and as the CLI, the API and the forms name them. Data Integrity
#: (eddsa-rdfc-2022) is the default: what wallets verify. ``di`` and ``jwt`` are accepted short
#: names (scripts written against earlier versions send them).
PROOF_FORMATS = ("data-integrity", "vc-jwt")
SHORT_FORMAT_NAMES = {"di": "data-integrity", "jwt": "vc-jwt"}
DEFAULT_FORMAT = "data-integrity"
#: Data Integrity suites we issue with → the issuer key ring's algorithm each one signs with
#: (ecdsa-rdfc-2019 uses the issuer's P-256 key, the one its VC-JWTs use).
DI_SUITE_KEYS = {"eddsa-rdfc-2022": "EdDSA", "ecdsa-rdfc-2019": "ES256"}
DEFAULT_DI_SUITE = "eddsa-rdfc-2022"
DEFAULT_AWARD_REASON = "issued by an administrator from the command line"


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """What to issue. Without ``assessment_id`` it is an admin award and needs ``reason``."""

    achievement_id: str
    recipient_email: str
    proof_format: str = DEFAULT_FORMAT
    reason: str = DEFAULT_AWARD_REASON
    actor: str = "admin"
    recipient_name: str | None = None
    results: tuple[Mapping[str, Any], ...] = ()
    evidence: tuple[Mapping[str, Any], ...] = ()
    assessment_id: int | None = None
    awarded_at: datetime | None = None
    #: Set by a bulk batch that reserved this id's status entries in advance.
    credential_id: str | None = None
    #: Give the badge a suspension status entry too (a second ``credentialStatus`` entry,
    #: beside revocation; see :mod:`passport.credentials.status`).
    suspendable: bool = False
    #: The VC-JWT signing algorithm (ES256 by default, or RS256); None for Data Integrity.
    alg: str | None = None
    #: The Data Integrity suite (data-integrity only): a key of :data:`DI_SUITE_KEYS`.
    suite: str = DEFAULT_DI_SUITE
    #: A re-assessment: the id of the badge this one renews (its predecessor), stored as
    #: ``supersedes_id``; the caller names it in ``evidence`` too
    #: (:func:`passport.mentoring.freshness.predecessor_evidence`, docs/decisions.md).
    supersedes_id: str | None = None


_PINNED = "pinned"
_HOLDERS = "holders_by_email"


def pinned_get(session: Session, model: type[_M], key: Any) -> _M | None:
    """``session.get`` that keeps the object for the rest of the transaction.

    The session's identity map holds objects weakly, so a row loaded for one bulk row is
    garbage and loaded again for the next; a transaction that issues many credentials keeps
    its achievements, skills and issuer here instead (the session's ``info`` ends with it).
    """
    pinned: dict[tuple[type[Any], Any], Any] = session.info.setdefault(_PINNED, {})
    found = pinned.get((model, key))
    if found is None:
        found = session.get(model, key)
        if found is not None:
            pinned[(model, key)] = found
    return found


def pin_holders(session: Session, emails: Iterable[str]) -> None:
    """Load (or create) the holders for normalised ``emails`` in two statements, and keep them.

    :func:`get_or_create_holder` then answers from memory for the rest of the transaction.
    """
    wanted = set(emails)
    holders: dict[str, Holder] = session.info.setdefault(_HOLDERS, {})
    wanted -= holders.keys()
    if not wanted:
        return
    for holder in session.scalars(select(Holder).where(Holder.email.in_(wanted))):
        holders[holder.email] = holder
    missing = sorted(wanted - holders.keys())
    if not missing:
        return
    try:
        with session.begin_nested():
            created = [Holder(email=email) for email in missing]
            session.add_all(created)
            session.flush()
    except IntegrityError:  # a concurrent transaction created some: fall back to one by one
        return
    holders.update((holder.email, holder) for holder in created)


#: What we accept as a learner's e-mail address: one "@", a local part and a dotted domain,
#: no whitespace or control characters (RFC 5321 lengths). Deliberately plain: the address only
#: has to be the one the learner signs in with; nothing is sent to it.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")


def pinned_holders(session: Session) -> list[Holder]:
    """The holders :func:`pin_holders` keeps for this transaction."""
    return list(session.info.get(_HOLDERS, {}).values())


def checked_email(value: str) -> str:
    """The address normalised (trimmed, lower-cased); InvalidRequest if it is not an address."""
    email = normalize_email(value)
    if len(email) > 254 or _EMAIL.fullmatch(email) is None:
        raise InvalidRequest(
            "The recipient is not an e-mail address (name@example.org).", code="bad_email"
        )
    return email


def get_or_create_holder(session: Session, email: str, *, name: str | None = None) -> Holder:
    """The learner record for ``email`` (normalised), created race-free when missing."""
    pinned = session.info.get(_HOLDERS)
    if pinned is not None and email in pinned:
        return pinned[email]  # type: ignore[no-any-return]
    holder = session.scalar(select(Holder).where(Holder.email == email))
    if holder is not None:
        return holder
    try:
        with session.begin_nested():
            holder = Holder(email=email, name=name)
            session.add(holder)
            session.flush()
    except IntegrityError:  # created by a concurrent transaction a moment ago
        holder = session.scalar(select(Holder).where(Holder.email == email))
        assert holder is not None
    return holder


def active_signing_key(
    session: Session, services: Services, issuer: Issuer, alg: str
) -> SigningKey:
    """The issuer's active key for ``alg`` (InvalidRequest ``no_active_key`` when none)."""
    cache_key = ("active_key", issuer.id, alg)
    kid = session.info.get(cache_key)  # one lookup per transaction (a bulk batch shares it)
    if kid is not None:
        return services.key_store.load(kid)
    record = session.scalar(
        select(SigningKeyRecord)
        .where(
            SigningKeyRecord.issuer_id == issuer.id,
            SigningKeyRecord.alg == alg,
            SigningKeyRecord.status == "active",
        )
        .order_by(SigningKeyRecord.created_at.desc())
    )
    if record is None:
        raise InvalidRequest(
            f"The issuer has no active {alg} signing key; run `passport init`.",
            code="no_active_key",
        )
    session.info[cache_key] = record.kid
    return services.key_store.load(record.kid)


def signing_alg(proof_format: str, alg: str | None) -> str:
    """The key algorithm a credential of ``proof_format`` is signed with (``alg`` if given).

    Raises :class:`InvalidRequest` (``bad_alg``) for an algorithm the format does not take.
    """
    if proof_format == "data-integrity":
        if alg not in (None, "EdDSA"):
            raise InvalidRequest(
                "Data Integrity badges are signed with Ed25519 (eddsa-rdfc-2022); "
                f"{alg} is for VC-JWTs (--format jwt).",
                code="bad_alg",
            )
        return "EdDSA"
    if alg is None:
        return DEFAULT_JWT_ALG
    if alg not in JWT_ALGS:
        raise InvalidRequest(
            f"VC-JWTs are signed with {' or '.join(JWT_ALGS)}, not {alg!r}.", code="bad_alg"
        )
    return alg


def proof_format_named(name: str) -> str:
    """The proof format ``name`` stands for (a short name too); :class:`InvalidRequest` else."""
    proof_format = SHORT_FORMAT_NAMES.get(name, name)
    if proof_format not in PROOF_FORMATS:
        raise InvalidRequest(
            f"Unknown credential format {name!r}; use one of: {', '.join(PROOF_FORMATS)}.",
            code="bad_format",
        )
    return proof_format


def _tell_holder(
    session: Session,
    services: Services,
    record: IssuedCredential,
    recipient: Recipient | None,
    achievement_name: str,
    issuer_name: str,
) -> None:
    """Record the "your badge is here" e-mail in the issuing transaction (sent after commit)."""
    if recipient is None:
        return
    notify_person(
        session,
        services,
        recipient,
        kind="badge_issued",
        key=f"badge_issued:{record.id}",
        context={
            "credential_id": record.id,
            "achievement_id": record.achievement_id,
            "achievement_name": achievement_name,
            "issuer_name": issuer_name,
        },
        known_new=True,  # a credential id made in this transaction
    )


def issue_credential(
    session: Session, services: Services, request: IssueRequest, *, now: datetime
) -> IssuedCredential:
    """Build, sign, self-check and store one credential; return the stored record.

    Raises :class:`NotFound` for an unknown achievement, :class:`InvalidRequest` for a bad
    recipient, format or reason, and :class:`issuer.IssuerError` if signing or the self-check fails.
    """
    proof_format = proof_format_named(request.proof_format)
    signing_alg(proof_format, request.alg)  # refuses an algorithm the format does not take
    suite_alg = DI_SUITE_KEYS.get(request.suite)
    if suite_alg is None:
        raise InvalidRequest(
            f"Unknown signature suite {request.suite!r}; use one of: {', '.join(DI_SUITE_KEYS)}.",
            code="bad_suite",
        )
    if proof_format != "data-integrity" and request.suite != DEFAULT_DI_SUITE:
        raise InvalidRequest(
            "A signature suite can only be chosen for Data Integrity credentials.",
            code="bad_suite",
        )
    if proof_format == "data-integrity" and request.alg not in (None, suite_alg):
        raise InvalidRequest(
            f"The {request.suite} suite signs with {suite_alg}, not {request.alg}.",
            code="bad_alg",
        )
    reason = request.reason.strip()
    if request.assessment_id is None and not reason:
        raise InvalidRequest(
            "An award without an assessment needs a written reason.", code="no_reason"
        )
    achievement = pinned_get(session, AchievementDefinition, request.achievement_id)
    if achievement is None:
        raise NotFound(
            f"No achievement with id {request.achievement_id!r}.", code="unknown_achievement"
        )
    if achievement.retired_at is not None:
        raise InvalidRequest(
            f"The achievement {achievement.name!r} is retired: it certifies nothing new. "
            "Bring it back in the catalog first, or choose another.",
            code="retired_achievement",
        )
    issuer = pinned_get(session, Issuer, achievement.issuer_id)
    assert issuer is not None  # foreign key
    email = checked_email(request.recipient_email)
    holder = get_or_create_holder(session, email, name=request.recipient_name)
    # Looked up before signing: on SQLite the write lock is held from storing the status
    # entries to the commit, and that stretch should hold writes only.
    recipient = holder_recipient(session, holder)
    valid_until = (
        now + timedelta(days=achievement.valid_for_days) if achievement.valid_for_days else None
    )
    if request.supersedes_id is not None:
        earlier = session.get(IssuedCredential, request.supersedes_id)
        if earlier is None or earlier.holder_id != holder.id:
            raise InvalidRequest(
                "A renewal must name an earlier badge of the same person.", code="bad_predecessor"
            )
    credential_id = request.credential_id or new_credential_id()
    issuer_service = CredentialIssuer(services.verifier(session))
    alg = suite_alg if proof_format == "data-integrity" else signing_alg(proof_format, request.alg)
    key = active_signing_key(session, services, issuer, alg)
    method = verification_method_id(issuer.did, key.kid)
    public_url = services.settings.public_url
    purposes = purposes_for(services, suspendable=request.suspendable)
    # Draw status indexes, sign, then store the entries: a write lock is taken only after the
    # signing. Should another credential take a drawn index meanwhile (rare), draw and sign again.
    for _ in range(_SIGN_ATTEMPTS):
        claim = draw_status(session, services, issuer, credential_id, purposes=purposes)
        draft = CredentialDraft(
            credential_id=credential_id,
            credential_status=claim.entries,
            issuer=issuer_profile(issuer, public_url=public_url),
            achievement=achievement_with_image(achievement, public_url=public_url),
            image=credential_image(credential_id, achievement.name, public_url=public_url),
            # OB 3.0 §8.2.4 / VC-JWT: the subject's id (and the JWT's sub) is the holder's DID.
            subject_id=holder.did,
            recipient_email=email,
            valid_from=now,
            valid_until=valid_until,
            awarded_date=request.awarded_at or now,
            results=request.results,
            evidence=request.evidence,
        )
        if proof_format == "data-integrity":
            issued = issuer_service.issue_data_integrity(
                draft, key, verification_method=method, now=now, cryptosuite=request.suite
            )
        else:
            issued = issuer_service.issue_jwt(draft, key, kid=method, now=now)
        if store_status(session, claim):
            break
    else:
        raise InvalidRequest(
            "Status-list indexes were taken while signing, three times over; try again.",
            code="status_contention",
        )
    record = IssuedCredential(
        id=issued.id,
        issuer_id=issuer.id,
        achievement_id=achievement.id,
        holder_id=holder.id,
        proof_format=issued.proof_format,
        media_type=issued.media_type,
        content=issued.content,
        kid=key.kid,
        issued_at=now,
        valid_until=valid_until,
        award_reason=None if request.assessment_id is not None else reason,
        supersedes_id=request.supersedes_id,
    )
    session.add(record)
    session.add(
        AuditEvent(
            at=now,
            actor=request.actor,
            action="credential.issue",
            subject=issued.id,
            detail=json.dumps(
                {"achievement": achievement.id, "kind": "admin_award", "reason": reason}
                if request.assessment_id is None
                else {
                    "achievement": achievement.id,
                    "kind": "assessment",
                    "assessment": request.assessment_id,
                },
                ensure_ascii=False,
            ),
        )
    )
    # No flush here: the caller's commit writes the record (a bulk batch writes many at once),
    # and the badge_issued notification with it.
    _tell_holder(session, services, record, recipient, achievement.name, issuer.name)
    logger.info("issued %s (%s) for achievement %s", issued.id, issued.proof_format, achievement.id)
    return record
