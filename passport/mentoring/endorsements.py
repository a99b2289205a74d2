"""Mentor endorsements: an OB 3.0 EndorsementCredential a mentor signs for a learner's badge,
attached the OB 3.0 way by re-issuing the badge with it embedded (issue #21, item 6).

The mentor's endorser identity is a did:web under this organisation's domain,
``did:web:<our host>:mentors:<slug>``, with an Ed25519 key the service holds (an
:class:`~passport.credentials.models.Issuer` row linked from
:attr:`~passport.mentoring.models.MentorProfile.issuer_id`, made on the first endorsement).
The slug is random and stored, never the e-mail or the user id: a published DID must not
reveal an address, nor let anyone count or enumerate our staff.

Re-issuing keeps everything the badge says (id, ``credentialStatus``, ``validFrom``,
``validUntil``, subject …), sets ``endorsement`` to every endorsement still in force (oldest
first; none: the property is left out) and signs again with our current key in the badge's own
proof format. A copy handed out before stays valid: its status entry and its key are unchanged.
Withdrawing an endorsement re-issues the badge without it; the endorsement's own credential
has no status entry, so a copy of it alone stays verifiable (documented in
``docs/mentoring/endorsements.md``).
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import CredentialIssuer, build_endorsement
from keys import verification_method_id
from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.catalog.models import AchievementDefinition
from passport.credentials.holders import validate_did_key
from passport.credentials.issuing import active_signing_key
from passport.credentials.keyring import create_signing_key
from passport.credentials.models import Holder, IssuedCredential, Issuer, SigningKeyRecord
from passport.credentials.resigning import resign, unsigned_credential
from passport.errors import Conflict, Forbidden, InvalidRequest, NotFound
from passport.mentoring.models import Endorsement, MentorProfile
from passport.services import Services
from verifier import VerificationError, normalize_email, parse_json
from verifier.model import EndorsementCredential

__all__ = [
    "ENDORSER_ROLES",
    "MAX_COMMENT",
    "EndorsementView",
    "badge_named",
    "endorse_badge",
    "endorsements_of",
    "endorser_document",
    "endorser_named",
    "mentor_endorser",
    "mentor_own_did",
    "mentor_with_did",
    "reissue_with_endorsements",
    "set_mentor_did",
    "submit_signed_endorsement",
    "withdraw_endorsement",
]

logger = logging.getLogger(__name__)

#: Who may endorse: mentors and admins (kept simple on purpose; docs/mentoring/endorsements.md).
ENDORSER_ROLES = ("mentor", "admin")
#: An endorsement's comment: 1 to 2,000 characters after trimming.
MAX_COMMENT = 2000
#: Endorsement ids are stored in a 100-character column (a urn:uuid is 45).
_MAX_ENDORSEMENT_ID = 100


@dataclass(frozen=True, slots=True)
class EndorsementView:
    """One endorsement as pages, the API and the CLI show it."""

    id: str
    credential_id: str
    endorser_did: str
    endorser_name: str
    comment: str
    created_at: datetime
    withdrawn_at: datetime | None
    mentor_id: int | None
    content: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "credential_id": self.credential_id,
            "endorser": {"id": self.endorser_did, "name": self.endorser_name},
            "comment": self.comment,
            "created_at": self.created_at.isoformat(),
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "endorsement": self.content,
        }


# -- the mentor's endorser identity ------------------------------------------------------------


def mentor_endorser(session: Session, services: Services, mentor: User, *, now: datetime) -> Issuer:
    """The mentor's endorser :class:`Issuer` (did:web under our domain, Ed25519 key we hold).

    Made on first use and linked in the mentor's profile; later calls return the same row, so
    the DID stays stable. The name follows the mentor's current name.
    """
    profile = session.get(MentorProfile, mentor.id)
    if profile is None:
        try:
            with session.begin_nested():
                profile = MentorProfile(user_id=mentor.id, updated_at=now)
                session.add(profile)
                session.flush()
        except IntegrityError:  # made by a concurrent request a moment ago
            profile = session.get(MentorProfile, mentor.id)
            assert profile is not None
    # Locked (PostgreSQL): two first endorsements at once make one identity, not two.
    session.refresh(profile, with_for_update=True)
    if profile.issuer_id is not None:
        issuer = session.get(Issuer, profile.issuer_id)
        assert issuer is not None  # foreign key
        if issuer.name != mentor.name:
            issuer.name = mentor.name
        active = select(SigningKeyRecord.kid).where(
            SigningKeyRecord.issuer_id == issuer.id,
            SigningKeyRecord.status == "active",
            SigningKeyRecord.alg == "EdDSA",
        )
        if session.scalar(active.limit(1)) is None:
            # Every key it had is gone (compromised without a successor, or retired by hand):
            # a new one under the same DID, so the mentor can endorse again.
            create_signing_key(session, services, issuer, "EdDSA", now=now, actor=mentor.email)
            session.flush()
            services.invalidate_keys()
        return issuer
    did = services.endorser_did_prefix + secrets.token_hex(8)
    issuer = Issuer(did=did, name=mentor.name, created_at=now)
    session.add(issuer)
    session.flush()
    create_signing_key(session, services, issuer, "EdDSA", now=now, actor=mentor.email)
    profile.issuer_id = issuer.id
    profile.updated_at = now
    session.add(
        AuditEvent(at=now, actor=mentor.email, action="mentor.endorser_create", subject=did)
    )
    session.flush()
    services.invalidate_keys()
    return issuer


def mentor_own_did(session: Session, mentor: User) -> str | None:
    """The did:key the mentor registered as their own, if any."""
    profile = session.get(MentorProfile, mentor.id)
    return profile.did if profile is not None else None


def mentor_with_did(session: Session, did: str) -> User | None:
    """The mentor (or admin) who registered ``did`` as their own, if any."""
    user_id = session.scalar(select(MentorProfile.user_id).where(MentorProfile.did == did))
    return session.get(User, user_id) if user_id is not None else None


def set_mentor_did(
    session: Session,
    services: Services,
    mentor: User,
    did: str | None,
    *,
    actor: str,
    now: datetime,
) -> MentorProfile:
    """Register (or with ``did=None`` clear) the mentor's own did:key; audited.

    Validated exactly as a learner's (:func:`~passport.credentials.holders.validate_did_key`:
    a bare Ed25519 did:key in canonical form). Raises Forbidden (``not_an_endorser``: not a
    mentor or admin), InvalidRequest (``bad_did``) and Conflict (``did_taken``: another
    mentor registered that did:key). The service never holds its key: endorsements under it
    are signed by the mentor and submitted (:func:`submit_signed_endorsement`).
    """
    if mentor.role not in ENDORSER_ROLES:
        raise Forbidden(
            "Only mentors and admins can register an endorser did:key.", code="not_an_endorser"
        )
    value = None if did is None else validate_did_key(did)
    if value is not None:
        other = session.scalar(
            select(MentorProfile.user_id).where(
                MentorProfile.did == value, MentorProfile.user_id != mentor.id
            )
        )
        if other is not None:
            raise Conflict("Another mentor registered that did:key.", code="did_taken")
    profile = session.get(MentorProfile, mentor.id)
    if profile is None:
        profile = MentorProfile(user_id=mentor.id, updated_at=now)
        session.add(profile)
    profile.did = value
    profile.updated_at = now
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="mentor.did.set" if value else "mentor.did.clear",
            subject=mentor.email,
            detail=value,
        )
    )
    session.flush()
    services.invalidate_keys()  # the verifier knows registered did:keys as endorsers
    return profile


def endorser_document(session: Session, services: Services, slug: str) -> dict[str, Any]:
    """The DID document of the mentor endorser ``did:web:<host>:mentors:<slug>``.

    Every key the endorser has had is listed (retired ones still verify what they signed;
    compromised ones carry ``revoked``), as in our organisation's document. Raises NotFound.
    """
    did = services.endorser_did_prefix + slug
    issuer = session.scalar(select(Issuer).where(Issuer.did == did))
    if issuer is None:
        raise NotFound("No mentor endorser with that id.", code="unknown_endorser")
    return services.documents_of(issuer).did_document


def endorser_named(session: Session, email: str) -> User:
    """The account of ``email`` (NotFound ``unknown_user``); the role is checked on endorsing."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"No account with the e-mail {email!r}.", code="unknown_user")
    return user


# -- endorsing ---------------------------------------------------------------------------------


def badge_named(session: Session, credential_id: str) -> IssuedCredential:
    """The badge we issued with that id; NotFound (``unknown_credential``) otherwise."""
    return _badge(session, credential_id)


def _badge(session: Session, credential_id: str, *, lock: bool = False) -> IssuedCredential:
    query = select(IssuedCredential).where(IssuedCredential.id == credential_id)
    if lock:  # one re-issue at a time per badge: each embeds every endorsement in force
        query = query.with_for_update()
    record = session.scalar(query)
    if record is None:
        raise NotFound(f"No badge {credential_id!r} was issued here.", code="unknown_credential")
    return record


def _check_current(record: IssuedCredential, now: datetime) -> None:
    """The current-badge rule (not revoked, not suspended, not expired); InvalidRequest else."""
    if record.revoked_at is not None:
        raise InvalidRequest("A revoked badge cannot be endorsed.", code="badge_revoked")
    if record.suspended_at is not None:
        raise InvalidRequest("A suspended badge cannot be endorsed.", code="badge_suspended")
    if record.valid_until is not None and record.valid_until <= now:
        raise InvalidRequest("An expired badge cannot be endorsed.", code="badge_expired")


def _is_holder(session: Session, user: User, record: IssuedCredential) -> bool:
    if user.holder_id is not None and user.holder_id == record.holder_id:
        return True
    holder = session.get(Holder, record.holder_id)
    return holder is not None and holder.email == normalize_email(user.email)


def _checked_comment(comment: str) -> str:
    text = comment.strip()
    if not text:
        raise InvalidRequest("Write a comment: what the learner showed you.", code="no_comment")
    if len(text) > MAX_COMMENT:
        raise InvalidRequest(
            f"The comment is too long: at most {MAX_COMMENT:,} characters.",
            code="comment_too_long",
        )
    return text


def _check_endorser(mentor: User) -> None:
    if mentor.role not in ENDORSER_ROLES or mentor.deactivated_at is not None:
        raise Forbidden("Only mentors and admins can endorse badges.", code="not_an_endorser")


def _endorsable_badge(
    session: Session, services: Services, mentor: User, credential_id: str, *, now: datetime
) -> IssuedCredential:
    """The badge, locked, once the rules every endorsement path shares hold: ours, not the
    mentor's own, current, and no endorsement of this mentor in force on it."""
    record = _badge(session, credential_id, lock=True)
    if services.is_endorser_did(record.issuer.did):  # not one of our badges
        raise NotFound(f"No badge {credential_id!r} was issued here.", code="unknown_credential")
    if _is_holder(session, mentor, record):
        raise Forbidden("Nobody can endorse their own badge.", code="own_badge")
    _check_current(record, now)
    existing = session.scalar(
        select(Endorsement.id).where(
            Endorsement.credential_id == record.id,
            Endorsement.mentor_id == mentor.id,
            Endorsement.withdrawn_at.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(
            "You have endorsed this badge already; withdraw that endorsement to write another.",
            code="already_endorsed",
        )
    return record


def endorse_badge(
    session: Session,
    services: Services,
    *,
    credential_id: str,
    mentor: User,
    comment: str,
    now: datetime,
    actor: str | None = None,
) -> Endorsement:
    """Sign an EndorsementCredential of ``mentor`` for the badge and re-issue the badge with it.

    Raises NotFound (``unknown_credential``), Forbidden (``not_an_endorser``: not a mentor or
    admin, or deactivated; ``own_badge``: the badge's own holder), InvalidRequest (a comment
    empty or over 2,000 characters; a badge revoked, suspended or expired) and Conflict
    (``already_endorsed``: this mentor's endorsement of the badge is in force already).
    ``actor`` is who is audited (an API token, the CLI); the mentor by default.
    """
    _check_endorser(mentor)
    text = _checked_comment(comment)
    record = _endorsable_badge(session, services, mentor, credential_id, now=now)
    endorser = mentor_endorser(session, services, mentor, now=now)
    achievement = session.get(AchievementDefinition, record.achievement_id)
    assert achievement is not None  # foreign key
    document = build_endorsement(
        endorsement_id=f"urn:uuid:{uuid.uuid4()}",
        endorser={"id": endorser.did, "type": ["Profile"], "name": endorser.name},
        subject_id=record.id,
        name=f"Endorsement of {achievement.name} by {endorser.name}",
        comment=text,
        valid_from=now,
    )
    key = active_signing_key(session, services, endorser, "EdDSA")
    signed = CredentialIssuer(services.verifier(session)).sign_endorsement(
        document, key, verification_method=verification_method_id(endorser.did, key.kid), now=now
    )
    return _attach(
        session,
        services,
        record,
        Endorsement(
            id=signed.id,
            credential_id=record.id,
            mentor_id=mentor.id,
            endorser_did=endorser.did,
            comment=text,
            content=signed.content,
            created_at=now,
        ),
        actor=actor or mentor.email,
        now=now,
    )


def submit_signed_endorsement(
    session: Session,
    services: Services,
    *,
    credential_id: str,
    mentor: User,
    submitted: bytes,
    now: datetime,
    actor: str | None = None,
) -> Endorsement:
    """Accept an EndorsementCredential the mentor signed with their own did:key, and re-issue
    the badge with it embedded (stored exactly as ``submitted``).

    Accepted only when all hold: the mentor registered a did:key (``no_own_did``); it verifies
    in our verifier (``endorsement_not_verified``); it is an EndorsementCredential
    (``not_an_endorsement``) whose issuer is exactly that did:key (``endorser_mismatch``),
    whose subject is this badge with type EndorsementSubject (``wrong_subject``) and whose
    ``endorsementComment`` is 1 to 2,000 characters; plus every rule of :func:`endorse_badge`
    (mentor or admin, not the holder, badge ours and current, one per mentor per badge). An
    endorsement id already stored here is refused (``endorsement_exists``).
    """
    _check_endorser(mentor)
    own_did = mentor_own_did(session, mentor)
    if own_did is None:
        raise InvalidRequest(
            "Register your own did:key before submitting an endorsement you signed.",
            code="no_own_did",
        )
    try:
        unverified = parse_json(submitted, what="endorsement")
    except VerificationError as exc:
        raise InvalidRequest(
            f"The endorsement is not readable: {exc.message}", code="bad_endorsement"
        ) from exc
    types = unverified.get("type") if isinstance(unverified, dict) else None
    if not isinstance(types, list) or "EndorsementCredential" not in types:
        raise InvalidRequest(
            "That is not an EndorsementCredential (its type must include it).",
            code="not_an_endorsement",
        )
    record = _endorsable_badge(session, services, mentor, credential_id, now=now)
    try:
        verified = services.verifier(session).verify(submitted, now=now)
    except VerificationError as exc:
        raise InvalidRequest(
            f"The endorsement did not verify: {exc.message}", code="endorsement_not_verified"
        ) from exc
    credential = verified.credential
    if not isinstance(credential, EndorsementCredential):
        raise InvalidRequest("That is not an EndorsementCredential.", code="not_an_endorsement")
    if credential.issuer.id != own_did:
        raise InvalidRequest(
            "The endorsement was signed by another identity than your registered did:key.",
            code="endorser_mismatch",
        )
    subject = credential.credential_subject
    if subject.id != record.id or "EndorsementSubject" not in subject.type:
        raise InvalidRequest(
            "The endorsement is not about this badge: its credentialSubject must be an "
            "EndorsementSubject whose id is the badge's id.",
            code="wrong_subject",
        )
    comment = subject.endorsement_comment or ""
    _checked_comment(comment)
    if len(credential.id) > _MAX_ENDORSEMENT_ID:  # the column's width
        raise InvalidRequest(
            f"The endorsement's id is too long: at most {_MAX_ENDORSEMENT_ID} characters.",
            code="bad_endorsement",
        )
    if session.get(Endorsement, credential.id) is not None:
        raise Conflict(
            "An endorsement with this id was submitted before; sign a new one.",
            code="endorsement_exists",
        )
    return _attach(
        session,
        services,
        record,
        Endorsement(
            id=credential.id,
            credential_id=record.id,
            mentor_id=mentor.id,
            endorser_did=own_did,
            comment=comment,
            content=submitted,
            created_at=now,
        ),
        actor=actor or mentor.email,
        now=now,
    )


def _attach(
    session: Session,
    services: Services,
    record: IssuedCredential,
    endorsement: Endorsement,
    *,
    actor: str,
    now: datetime,
) -> Endorsement:
    """Keep a checked endorsement, re-issue the badge with it embedded, and audit it."""
    session.add(endorsement)
    session.flush()
    reissue_with_endorsements(session, services, record, now=now)
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="credential.endorse",
            subject=record.id,
            detail=endorsement.id,
        )
    )
    return endorsement


def withdraw_endorsement(
    session: Session,
    services: Services,
    *,
    endorsement_id: str,
    actor: User,
    now: datetime,
    audit_actor: str | None = None,
) -> Endorsement:
    """Withdraw an endorsement (its mentor or an admin) and re-issue the badge without it.

    Raises NotFound (``unknown_endorsement``), Forbidden (``not_your_endorsement``) and
    Conflict (``already_withdrawn``).
    """
    endorsement = session.get(Endorsement, endorsement_id)
    if endorsement is None:
        raise NotFound("No endorsement with that id.", code="unknown_endorsement")
    if actor.role != "admin" and endorsement.mentor_id != actor.id:
        raise Forbidden(
            "Only the endorsement's mentor or an admin can withdraw it.",
            code="not_your_endorsement",
        )
    record = _badge(session, endorsement.credential_id, lock=True)
    if endorsement.withdrawn_at is not None:
        raise Conflict("This endorsement was withdrawn already.", code="already_withdrawn")
    endorsement.withdrawn_at = now
    session.flush()
    reissue_with_endorsements(session, services, record, now=now)
    session.add(
        AuditEvent(
            at=now,
            actor=audit_actor or actor.email,
            action="credential.endorsement_withdraw",
            subject=record.id,
            detail=endorsement.id,
        )
    )
    return endorsement


# -- re-issuing --------------------------------------------------------------------------------


def reissue_with_endorsements(
    session: Session, services: Services, record: IssuedCredential, *, now: datetime
) -> IssuedCredential:
    """Sign the badge again with every endorsement in force embedded (oldest first).

    Same id, ``credentialStatus``, dates and subject; a new proof by the issuer's current key
    in the badge's own format; ``record.content`` and ``record.kid`` become the new version.
    """
    credential, alg = unsigned_credential(record)
    in_force = session.scalars(
        select(Endorsement)
        .where(Endorsement.credential_id == record.id, Endorsement.withdrawn_at.is_(None))
        .order_by(Endorsement.created_at, Endorsement.id)
    ).all()
    credential.pop("endorsement", None)
    if in_force:
        credential["endorsement"] = [json.loads(e.content) for e in in_force]
    signed = resign(
        session,
        services,
        record.issuer_id,
        credential,
        proof_format=record.proof_format,
        alg=alg,
        now=now,
    )
    record.content = signed.content
    record.kid = signed.kid
    session.flush()
    logger.info("re-issued %s with %d endorsement(s)", record.id, len(in_force))
    return record


# -- reading -----------------------------------------------------------------------------------


def endorsements_of(
    session: Session, credential_id: str, *, include_withdrawn: bool = False
) -> list[EndorsementView]:
    """The badge's endorsements, oldest first (those in force, or all)."""
    query = select(Endorsement).where(Endorsement.credential_id == credential_id)
    if not include_withdrawn:
        query = query.where(Endorsement.withdrawn_at.is_(None))
    views = []
    for row in session.scalars(query.order_by(Endorsement.created_at, Endorsement.id)):
        content = json.loads(row.content)
        issuer = content.get("issuer")
        name = issuer.get("name") if isinstance(issuer, dict) else None
        views.append(
            EndorsementView(
                id=row.id,
                credential_id=row.credential_id,
                endorser_did=row.endorser_did,
                endorser_name=str(name or row.endorser_did),
                comment=row.comment,
                created_at=row.created_at,
                withdrawn_at=row.withdrawn_at,
                mentor_id=row.mentor_id,
                content=content,
            )
        )
    return views
