"""Tables of assessments: rubric levels per criterion, evidence, uploaded evidence files."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.catalog.models import AchievementDefinition
    from passport.credentials.models import Holder, IssuedCredential

__all__ = [
    "Assessment",
    "EvidenceItem",
    "StoredFile",
]


# -- Assessments ------------------------------------------------------------------------------


#: The longest idempotency key the assessments table stores.
IDEMPOTENCY_KEY_LENGTH = 200


class Assessment(Base):
    """An assessor's record of one learner against one achievement's rubric.

    ``levels`` is a JSON object: ResultDescription id → achieved RubricCriterionLevel id.
    ``idempotency_key`` makes re-submission (API retries, CSV re-uploads) issue nothing twice.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    #: Who recorded it: a user's e-mail, or ``token:<id>`` for an API token (the audit actor).
    assessor: Mapped[str] = mapped_column(String(200))
    #: The assessor an API caller named in its request: kept beside ``assessor``, never in
    #: its place, since a token holder could name anyone (security review, finding 6).
    assessor_named: Mapped[str | None] = mapped_column(String(200))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    levels: Mapped[str] = mapped_column(Text)
    passed: Mapped[bool] = mapped_column(Boolean)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), unique=True)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("issued_credentials.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[Holder] = relationship()
    achievement: Mapped[AchievementDefinition] = relationship()
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
