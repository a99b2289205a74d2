"""The audit log: who did what, when; every change any domain makes leaves one row."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = ["AuditEvent", "record_event"]


class AuditEvent(Base):
    """Who did what, when: issuing, key changes, token changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


def record_event(
    session: Session,
    actor: str,
    action: str,
    subject: object = None,
    detail: object = None,
    *,
    at: datetime,
) -> AuditEvent:
    """Add one audit event: ``subject`` as text, ``detail`` as JSON (both optional)."""
    event = AuditEvent(
        at=at,
        actor=actor[:200],
        action=action,
        subject=None if subject is None else str(subject)[:200],
        detail=None if detail is None else json.dumps(detail, ensure_ascii=False),
    )
    session.add(event)
    return event
