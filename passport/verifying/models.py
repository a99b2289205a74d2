"""The table of presentation requests: a challenge a visitor of the verify page asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = ["PresentationRequest"]


class PresentationRequest(Base):
    """A challenge (and the domain it is for) handed to a candidate's wallet.

    It belongs to the browser session that asked for it (``visitor_hash``: the SHA-256 of a
    random token kept in that session's signed cookie), lasts until ``expires_at`` and answers
    one presentation: ``used_at`` is set when one was checked against it.
    """

    __tablename__ = "presentation_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(300))
    visitor_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
