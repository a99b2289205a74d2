"""Tables of micro-mentoring cohorts: members, target skills, sessions, attendance, notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.accounts.models import User
    from passport.catalog.models import AchievementDefinition

__all__ = [
    "Attendance",
    "Cohort",
    "CohortMember",
    "CohortSkill",
    "MentorNote",
    "MentoringSession",
]


# -- Cohorts and micro-mentoring --------------------------------------------------------------


class Cohort(Base):
    """A 6–8 week micro-mentoring cohort with mentors, learners, target skills and sessions."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: The template program it was created from, if any (``passport.mentoring.templates``).
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_programs.id", ondelete="SET NULL")
    )
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
    achievement: Mapped[AchievementDefinition] = relationship()


class MentoringSession(Base):
    """One micro-mentoring session: a stated learning outcome, and who attended.

    A session belongs to a cohort, or stands alone (``cohort_id`` None) as an event open to
    sign-up (``passport.mentoring.events``). ``format`` is talk | pairing | hands_on | shadow
    (a shadow rotation: ``shadow_slot`` names the on-call or incident slot). ``capacity`` None
    means unlimited; ``seats_taken`` counts confirmed sign-ups. ``time_zone`` is the IANA zone
    the session is held in (``starts_at`` is UTC). ``sequence`` is the iCalendar SEQUENCE,
    raised by every change a calendar shows; ``cancelled_at`` keeps a cancelled session for the
    calendars that must say so. ``template_id``/``template_version`` name the standard
    material it was made from.
    """

    __tablename__ = "mentoring_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    learning_outcome: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    skill_id: Mapped[str | None] = mapped_column(ForeignKey("skills.id"), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16), default="talk")
    shadow_slot: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    place: Mapped[str | None] = mapped_column(String(400))
    meeting_url: Mapped[str | None] = mapped_column(String(400))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_templates.id", ondelete="SET NULL"), index=True
    )
    template_version: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort | None] = relationship(back_populates="sessions")
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
