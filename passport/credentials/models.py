"""Tables of issued credentials: our issuers and their signing keys, holders, every credential
exactly as signed (``content`` bytes, never re-serialised), and the Bitstring Status Lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.catalog.models import AchievementDefinition

__all__ = [
    "Holder",
    "IssuedCredential",
    "Issuer",
    "SigningKeyRecord",
    "StatusEntry",
    "StatusList",
    "StatusListSnapshot",
]


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
    #: The badge this one renews (a passed re-assessment): named in the credential's
    #: ``evidence`` (docs/decisions.md, "How a renewed badge names its predecessor"), kept
    #: here so the passport can show the history.
    supersedes_id: Mapped[str | None] = mapped_column(String(100), index=True)

    achievement: Mapped[AchievementDefinition] = relationship()
    holder: Mapped[Holder] = relationship()
    issuer: Mapped[Issuer] = relationship()


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
