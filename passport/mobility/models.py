"""Open roles, consent to be discoverable, applications, and external candidates.

Consent is a row: a learner without a :class:`Discoverability` row has not opted in and is in
no list or count. Withdrawing deletes the row (and its families), so every list built after
that leaves them out; nothing caches a ranking.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

__all__ = [
    "APPLICATION_STATUSES",
    "Application",
    "Discoverability",
    "DiscoverableFamily",
    "ExternalCandidate",
    "OpenRole",
    "RoleLevel",
]

#: What a hiring manager records about an application (``applied`` until they do): ``moved``
#: is the decision that writes a ``moved`` people event; ``withdrawn`` is the applicant's.
APPLICATION_STATUSES = ("applied", "shortlisted", "declined", "moved", "withdrawn")


class OpenRole(Base):
    """A role to fill in a job family, with the levels it requires (:class:`RoleLevel`)."""

    __tablename__ = "open_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    job_family_id: Mapped[str] = mapped_column(ForeignKey("job_families.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    openings: Mapped[int] = mapped_column(Integer, default=1)
    #: ``open`` or ``closed``.
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Who opened it, as the audit log names actors (a user's e-mail or a token's name).
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    levels: Mapped[list[RoleLevel]] = relationship(
        back_populates="role", cascade="all, delete-orphan", passive_deletes=True
    )


class RoleLevel(Base):
    """A skill the role asks for, at a level (1 up to the top level; a skill the role does
    not need is simply absent — a level of 0 given for it removes it)."""

    __tablename__ = "open_role_levels"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("open_roles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer)

    role: Mapped[OpenRole] = relationship(back_populates="levels")


class Discoverability(Base):
    """A learner's consent to be found for internal moves: for every job family when
    ``all_families``, else for those in :class:`DiscoverableFamily`."""

    __tablename__ = "discoverability"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    all_families: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    families: Mapped[list[DiscoverableFamily]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class DiscoverableFamily(Base):
    """One job family a learner is discoverable for (when not for all)."""

    __tablename__ = "discoverable_families"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("discoverability.user_id", ondelete="CASCADE"), primary_key=True
    )
    job_family_id: Mapped[str] = mapped_column(
        ForeignKey("job_families.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Application(Base):
    """A learner's application to a role, with the share link of the badges they chose."""

    __tablename__ = "role_applications"
    __table_args__ = (UniqueConstraint("role_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("open_roles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    share_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("share_links.id", ondelete="SET NULL")
    )
    #: One of :data:`APPLICATION_STATUSES`.
    status: Mapped[str] = mapped_column(String(16), default="applied")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(320))


class ExternalCandidate(Base):
    """Another organisation's passport, uploaded to a role by a hiring manager and checked
    against the trust list each time the role's candidates are ranked."""

    __tablename__ = "role_external_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("open_roles.id", ondelete="CASCADE"), index=True
    )
    #: What the hiring manager calls the candidate (a name or an agency reference).
    label: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(200))
    #: The upload exactly as received (a JSON credential or presentation, a JWT, a baked image).
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: One of :data:`APPLICATION_STATUSES` (never ``withdrawn``).
    status: Mapped[str] = mapped_column(String(16), default="applied")
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
