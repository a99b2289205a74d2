"""Tables of the wallets domain: every copy of a badge delivered to a wallet or platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = ["LcwExchange", "WalletDelivery"]


class WalletDelivery(Base):
    """One holder-bound copy of a badge, as handed to a wallet (who got what, when, how).

    The copy itself is not kept: it says what the stored badge says, with
    ``credentialSubject.id`` set to ``holder_did``, and shares the badge's id and status
    entries, so revoking the badge revokes every copy.
    """

    __tablename__ = "wallet_deliveries"
    __table_args__ = (Index("ix_wallet_deliveries_credential", "credential_id", "delivered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"))
    holder_did: Mapped[str] = mapped_column(String(4096))
    #: ``ldp_vc`` (Data Integrity, eddsa-rdfc-2022) or ``jwt_vc_json`` (VC-JWT, ES256).
    wallet_format: Mapped[str] = mapped_column(String(32))
    #: ``oid4vci`` | ``lcw`` (VC-API exchange) | ``ob-api`` (1EdTech Open Badges API).
    channel: Mapped[str] = mapped_column(String(16))
    kid: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LcwExchange(Base):
    """One "Add to Learner Credential Wallet" click: a VC-API exchange the wallet completes once.

    ``id`` is the exchange's random local id (it names the exchange URL, so it is a bearer
    secret for ``expires_at - created_at``); ``challenge`` is the one the wallet's DIDAuth
    presentation must answer. ``state`` goes ``pending`` → ``complete`` exactly once (then
    ``holder_did`` says which wallet got the badge); ``attempts`` counts presentations refused.
    """

    __tablename__ = "lcw_exchanges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    challenge: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(300))
    #: ``pending`` | ``complete``
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holder_did: Mapped[str | None] = mapped_column(String(4096))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
