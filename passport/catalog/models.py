"""Tables of the skills catalog: job families, skills, the skills each family requires, and
the published OB 3.0 Achievement definitions (one per skill at a level).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

__all__ = [
    "AchievementDefinition",
    "JobFamily",
    "JobFamilySkill",
    "Skill",
]


class AchievementDefinition(Base):
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
    #: Retired: kept for the badges and history that name it, offered for nothing new.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: The skill this achievement is a level of (None for achievements outside the catalog).
    skill: Mapped[Skill | None] = relationship()

    def document(self) -> dict[str, Any]:
        """``definition`` parsed: a new dict on every call (callers build credentials from it).

        Read by the standard library, which keeps every integer exact (orjson would turn one
        beyond 64 bits into a float, changing the published definition).
        """
        document: dict[str, Any] = json.loads(self.definition)
        return document


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
    #: What "productive" means in this family (e.g. "first solo on-call shift"): the event
    #: that ends ramp time (docs/outcomes.md).
    productive_definition: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Retired: kept for the badges and history that name it, offered for nothing new.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

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
    #: Retired: kept for the badges and history that name it, offered for nothing new.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


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
