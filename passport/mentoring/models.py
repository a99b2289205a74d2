"""Tables of mentoring as a product: sign-ups, mentor profiles and exceptions, session templates
(versioned) and template programs, calendar feeds, session feedback, endorsements and mentor
recognition.

The session itself is :class:`passport.cohorts.models.MentoringSession`: a session in a cohort,
or a standalone event open to sign-up (``cohort_id`` is None).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = [
    "CalendarFeed",
    "Endorsement",
    "LearnerTarget",
    "MentorException",
    "MentorProfile",
    "MentorRecognition",
    "ProgramItem",
    "SessionFeedback",
    "SessionSignup",
    "SessionTemplate",
    "TemplateProgram",
    "TemplateVersion",
]


# -- Sign-ups ---------------------------------------------------------------------------------


class SessionSignup(Base):
    """One person's place at an event: ``confirmed`` (holds a seat), ``waitlisted`` (in
    ``created_at``, then ``id`` order) or ``cancelled`` (kept, so the calendar can say so).

    Seats are counted in ``MentoringSession.seats_taken``, raised by one conditional UPDATE
    (``seats_taken < capacity``), so concurrent sign-ups never exceed the capacity.
    """

    __tablename__ = "session_signups"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_session_signups_waitlist", "session_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed | waitlisted | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When a waitlisted place became a seat (None if it never did, or was confirmed at once).
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LearnerTarget(Base):
    """The job family a learner is working towards: events are suggested for the skills it
    still needs (their level below the family's minimum, counting current badges only)."""

    __tablename__ = "learner_targets"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    job_family_id: Mapped[str] = mapped_column(
        ForeignKey("job_families.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Mentors ----------------------------------------------------------------------------------


class MentorProfile(Base):
    """A mentor's capacity, and the endorser identity their endorsements are issued under.

    ``issuer_id`` names an :class:`~passport.credentials.models.Issuer` row whose DID is a
    did:web under this organisation's domain (key held by the service), created on the
    mentor's first endorsement. ``did`` is the mentor's own did:key, when they register one.
    """

    __tablename__ = "mentor_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    hours_per_month: Mapped[int] = mapped_column(Integer, default=8)
    max_learners_per_cohort: Mapped[int] = mapped_column(Integer, default=5)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"))
    did: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MentorException(Base):
    """An admin's exception: this mentor may teach the skill up to ``max_level`` without a
    current badge one level above it (audited when granted and when withdrawn)."""

    __tablename__ = "mentor_exceptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    max_level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(320))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Standard materials -----------------------------------------------------------------------


class SessionTemplate(Base):
    """A reusable session for a skill at a level; its content lives in versions."""

    __tablename__ = "session_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TemplateVersion(Base):
    """One version of a template, never changed once written (a change writes a new one)."""

    __tablename__ = "session_template_versions"

    template_id: Mapped[int] = mapped_column(
        ForeignKey("session_templates.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200))
    learning_outcome: Mapped[str] = mapped_column(Text)
    agenda: Mapped[str] = mapped_column(Text, default="")
    hands_on_task: Mapped[str] = mapped_column(Text, default="")
    #: JSON list of {"title", "url"} (https links only).
    pre_reading: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON list of the skill's rubric criterion ids this session serves.
    criteria: Mapped[str] = mapped_column(Text, default="[]")
    format: Mapped[str] = mapped_column(String(16), default="talk")
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TemplateProgram(Base):
    """A cohort's plan made of templates, e.g. "SRE foundations, 7 weeks"."""

    __tablename__ = "template_programs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    weeks: Mapped[int] = mapped_column(Integer)
    job_family_id: Mapped[str | None] = mapped_column(ForeignKey("job_families.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProgramItem(Base):
    """One session of a program: a template in a week (1-based) on a weekday (0 = Monday)."""

    __tablename__ = "template_program_items"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("template_programs.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    template_id: Mapped[int] = mapped_column(ForeignKey("session_templates.id"), index=True)
    week: Mapped[int] = mapped_column(Integer)
    weekday: Mapped[int] = mapped_column(Integer, default=1)


# -- Calendars --------------------------------------------------------------------------------


class CalendarFeed(Base):
    """A user's iCalendar feed. The URL's secret is derived from ``generation`` (HMAC with the
    instance secret), so no secret is stored; rotating raises ``generation``."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(Integer, default=1)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Feedback ---------------------------------------------------------------------------------


class SessionFeedback(Base):
    """An attendee's feedback on a session: outcome reached (yes/partly/no), usefulness 1–5."""

    __tablename__ = "session_feedback"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(8))  # yes | partly | no
    usefulness: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- Endorsements and recognition -------------------------------------------------------------


class Endorsement(Base):
    """An OB 3.0 EndorsementCredential a mentor signed for one of our badges.

    ``content`` is the endorsement exactly as signed (Data Integrity, JSON); the endorsed badge
    is re-issued with it embedded in ``endorsement`` (same id, same status entry, new proof).
    """

    __tablename__ = "endorsements"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # urn:uuid:…
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("issued_credentials.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    endorser_did: Mapped[str] = mapped_column(String(400))
    comment: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MentorRecognition(Base):
    """A mentoring badge issued to a mentor (e.g. "Mentor — Incident response, 20 sessions"),
    once per mentor and achievement."""

    __tablename__ = "mentor_recognitions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), primary_key=True)
    credential_id: Mapped[str | None] = mapped_column(String(100))
    sessions: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
