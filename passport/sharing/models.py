"""Tables of share links: the link (token hash), the badges it shows, and its view log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.credentials.models import Holder, IssuedCredential

__all__ = [
    "ShareLink",
    "ShareLinkCredential",
    "ShareLinkView",
]


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
