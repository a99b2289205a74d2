"""SQLAlchemy 2 models (typed ORM). Schema changes go through Alembic migrations only.

Issued credentials are stored exactly as signed (``content`` bytes) and never re-serialised; the
other columns are an index over them. API tokens are stored as SHA-256 hashes.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Achievement",
    "ApiToken",
    "Assessment",
    "Attendance",
    "AuditEvent",
    "Base",
    "Cohort",
    "CohortMember",
    "CohortSkill",
    "EvidenceItem",
    "Holder",
    "IssuedCredential",
    "Issuer",
    "JobFamily",
    "JobFamilySkill",
    "MentorNote",
    "MentoringSession",
    "ShareLink",
    "ShareLinkCredential",
    "ShareLinkView",
    "SigningKeyRecord",
    "Skill",
    "StatusEntry",
    "StatusList",
    "StatusListSnapshot",
    "StoredFile",
    "User",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Issuer(Base):
    """An issuing organisation; ``did`` is its OB issuer id (did:web of the public URL)."""

    __tablename__ = "issuers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    did: Mapped[str] = mapped_column(String(400), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    keys: Mapped[list[SigningKeyRecord]] = relationship(back_populates="issuer")


class SigningKeyRecord(Base):
    """Metadata of a signing key; the private key lives encrypted in the key store."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    alg: Mapped[str] = mapped_column(String(16))
    #: The public JWK, so publishing keys never needs the key-store passphrase.
    public_jwk: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|retired|compromised
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    issuer: Mapped[Issuer] = relationship(back_populates="keys")


class Achievement(Base):
    """An OB 3.0 Achievement definition; ``definition`` is its JSON as published.

    One per skill at a level (``skill_id``, ``level``) for assessed competencies.
    """

    __tablename__ = "achievements"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    skill_id: Mapped[str | None] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    achievement_type: Mapped[str] = mapped_column(String(64), default="Competency")
    definition: Mapped[str] = mapped_column(Text)
    valid_for_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def document(self) -> dict[str, Any]:
        """``definition`` parsed: a new dict on every call (callers build credentials from it).

        Read by the standard library, which keeps every integer exact (orjson would turn one
        beyond 64 bits into a float, changing the published definition).
        """
        document: dict[str, Any] = json.loads(self.definition)
        return document


class Holder(Base):
    """A learner; ``email`` is normalised (trimmed, lower-cased)."""

    __tablename__ = "holders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A did:key the learner registered: verifiable presentations they export name it as
    # ``holder`` and are expected to be signed with its key (by the learner, never by us).
    did: Mapped[str | None] = mapped_column(String(200))


class IssuedCredential(Base):
    """A credential exactly as signed and released."""

    __tablename__ = "issued_credentials"
    __table_args__ = (Index("ix_issued_credentials_holder_issued", "holder_id", "issued_at"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # urn:uuid:…
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    proof_format: Mapped[str] = mapped_column(String(32))  # vc-jwt | data-integrity
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    award_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str | None] = mapped_column(Text)

    achievement: Mapped[Achievement] = relationship()
    holder: Mapped[Holder] = relationship()
    issuer: Mapped[Issuer] = relationship()


class ApiToken(Base):
    """An integration's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who did what, when: issuing, key changes, token changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


# -- The skills catalog -----------------------------------------------------------------------


class JobFamily(Base):
    """A job family (SRE, platform, security …): required skills at minimum levels.

    ``framework``/``code``/``occupation`` name the public occupation it maps to (O*NET-SOC 2019).
    """

    __tablename__ = "job_families"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    framework: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(64))
    occupation: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    requirements: Mapped[list[JobFamilySkill]] = relationship(
        back_populates="job_family",
        cascade="all, delete-orphan",
        order_by="JobFamilySkill.skill_id",
    )


class Skill(Base):
    """A skill, with alignments to public frameworks (JSON list of OB Alignment objects)."""

    __tablename__ = "skills"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: Rubric criteria, JSON list of {id, name}; every criterion is scored on the same levels.
    criteria: Mapped[str] = mapped_column(Text, default="[]")
    alignments: Mapped[str] = mapped_column(Text, default="[]")
    tags: Mapped[str] = mapped_column(Text, default="[]")
    #: Freshness: credentials for this skill are valid this many days (None: no expiry).
    valid_for_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class JobFamilySkill(Base):
    """One requirement of a job family: a skill at a minimum level (1–4)."""

    __tablename__ = "job_family_skills"

    job_family_id: Mapped[str] = mapped_column(
        ForeignKey("job_families.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer)

    job_family: Mapped[JobFamily] = relationship(back_populates="requirements")
    skill: Mapped[Skill] = relationship()


# -- People -----------------------------------------------------------------------------------


class User(Base):
    """Someone who logs in: staff (admin, mentor, assessor) or a learner.

    Passwords are stored as scrypt hashes (werkzeug); learners are linked to their Holder.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | mentor | assessor | learner
    password_hash: Mapped[str | None] = mapped_column(String(300))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[Holder | None] = relationship()


# -- Cohorts and micro-mentoring --------------------------------------------------------------


class Cohort(Base):
    """A 6–8 week micro-mentoring cohort with mentors, learners, target skills and sessions."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    target_skills: Mapped[list[CohortSkill]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    sessions: Mapped[list[MentoringSession]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="MentoringSession.starts_at"
    )


class CohortMember(Base):
    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # mentor | learner

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class CohortSkill(Base):
    __tablename__ = "cohort_skills"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), primary_key=True)

    cohort: Mapped[Cohort] = relationship(back_populates="target_skills")
    achievement: Mapped[Achievement] = relationship()


class MentoringSession(Base):
    """One micro-mentoring session: a stated learning outcome, and who attended."""

    __tablename__ = "mentoring_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    learning_outcome: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer, default=60)

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )


class Attendance(Base):
    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)

    session: Mapped[MentoringSession] = relationship(back_populates="attendance")


class MentorNote(Base):
    __tablename__ = "mentor_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Assessments ------------------------------------------------------------------------------


class Assessment(Base):
    """An assessor's record of one learner against one achievement's rubric.

    ``levels`` is a JSON object: ResultDescription id → achieved RubricCriterionLevel id.
    ``idempotency_key`` makes re-submission (API retries, CSV re-uploads) issue nothing twice.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    assessor: Mapped[str] = mapped_column(String(200))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    levels: Mapped[str] = mapped_column(Text)
    passed: Mapped[bool] = mapped_column(Boolean)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[Holder] = relationship()
    achievement: Mapped[Achievement] = relationship()
    credential: Mapped[IssuedCredential | None] = relationship()
    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class EvidenceItem(Base):
    """Evidence for an assessment: a narrative, a URL, or an uploaded file kept by its hash."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    narrative: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str | None] = mapped_column(String(100))

    assessment: Mapped[Assessment] = relationship(back_populates="evidence")


class StoredFile(Base):
    """An uploaded evidence file, content-addressed (sha256), stored once."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Status lists (W3C Bitstring Status List) -------------------------------------------------


class StatusList(Base):
    """One Bitstring Status List of an issuer for one purpose (revocation or suspension).

    The bits live in :class:`StatusEntry` rows (updated atomically, so concurrent revocations
    never lose one another); ``version`` grows with every change; ``snapshot`` holds the signed
    list credential.
    """

    __tablename__ = "status_lists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    snapshot: Mapped[StatusListSnapshot | None] = relationship(
        cascade="all, delete-orphan", lazy="select"
    )


class StatusListSnapshot(Base):
    """The signed list credential of a :class:`StatusList` at ``version``.

    Kept apart from the list row, so the per-issuance ``used`` counter never rewrites it.
    """

    __tablename__ = "status_list_snapshots"

    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class StatusEntry(Base):
    """An allocated index of a status list. The primary key makes allocation race-free."""

    __tablename__ = "status_entries"

    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credential_id: Mapped[str] = mapped_column(String(100), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    is_set: Mapped[bool] = mapped_column(Boolean, default=False)


# -- Share links ------------------------------------------------------------------------------


class ShareLink(Base):
    """A learner's share link ``/p/<token>``; only the token's SHA-256 is stored.

    Revoking a link deletes what it shared (its credential list, audience note and view log);
    the row stays as a tombstone so the old URL can say "revoked" rather than "not found".
    """

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    audience: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    holder: Mapped[Holder] = relationship()
    credentials: Mapped[list[ShareLinkCredential]] = relationship(
        back_populates="share_link", cascade="all, delete-orphan"
    )
    views: Mapped[list[ShareLinkView]] = relationship(
        back_populates="share_link", cascade="all, delete-orphan"
    )


class ShareLinkCredential(Base):
    """One badge a share link shows."""

    __tablename__ = "share_link_credentials"

    share_link_id: Mapped[int] = mapped_column(
        ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True
    )
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("issued_credentials.id", ondelete="CASCADE"), primary_key=True
    )

    share_link: Mapped[ShareLink] = relationship(back_populates="credentials")
    credential: Mapped[IssuedCredential] = relationship()


class ShareLinkView(Base):
    """One view of a share link, for the holder's view log (no IP address is kept)."""

    __tablename__ = "share_link_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    share_link_id: Mapped[int] = mapped_column(
        ForeignKey("share_links.id", ondelete="CASCADE"), index=True
    )
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(300))

    share_link: Mapped[ShareLink] = relationship(back_populates="views")
