"""People and their events, as an HR system exports them (``passport people import``).

No names: a person is the HR system's opaque id and, optionally, an e-mail address that links
them to our accounts and badge holders. Erasing a person deletes their row and events, and
keeps only a keyed hash of the HR id (:class:`ErasedPerson`) so a later import cannot bring
them back.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

__all__ = ["EVENTS", "ErasedPerson", "HRPerson", "PeopleEvent"]

#: The events an import may carry, in the order a career goes.
EVENTS = ("hired", "productive", "moved", "left", "cohort_started", "cohort_completed")


class HRPerson(Base):
    """Someone the HR system knows, by its opaque id."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The HR system's ``person_id`` (opaque; never shown outside the import's own errors).
    person_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: Lower-cased; links the person to an account and a badge holder with the same address.
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    events: Mapped[list[PeopleEvent]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True
    )


class PeopleEvent(Base):
    """One row of an import: ``event`` happened to the person on ``occurred_on``."""

    __tablename__ = "people_events"
    __table_args__ = (Index("ix_people_events_event_family", "event", "job_family_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column(Date)
    #: For ``hired`` the family hired into, for ``moved`` the destination; may be set on others.
    job_family_id: Mapped[str | None] = mapped_column(ForeignKey("job_families.id"))
    #: A cohort's name, for ``cohort_started`` and ``cohort_completed``.
    cohort: Mapped[str | None] = mapped_column(String(200))
    #: SHA-256 of the normalised row (person, event, date, family, cohort): the same row
    #: imported twice is one event.
    row_key: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[HRPerson] = relationship(back_populates="events")


class ErasedPerson(Base):
    """A tombstone: HMAC-SHA256 of an erased person's HR id under the instance secret, so a
    later import refuses their rows instead of re-identifying them."""

    __tablename__ = "erased_people"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
