"""Tables of the wallets domain: every copy of a badge delivered to a wallet or platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = [
    "HeldCredential",
    "ObApiAuthorizationCode",
    "ObApiClient",
    "ObApiToken",
    "WalletDelivery",
]


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


# -- the 1EdTech Open Badges 3.0 API (passport.wallets.obapi_*) --------------------------------


class ObApiClient(Base):
    """A platform registered through OAuth 2.0 Dynamic Client Registration (RFC 7591), as the
    Open Badges 3.0 API's security section asks. The secret is kept only as a SHA-256 hash."""

    __tablename__ = "ob_api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    client_name: Mapped[str] = mapped_column(String(200))
    client_uri: Mapped[str] = mapped_column(String(2048))
    #: The redirect URIs, one per line (each compared exactly).
    redirect_uris: Mapped[str] = mapped_column(Text)
    #: Space-separated scopes the platform registered for.
    scope: Mapped[str] = mapped_column(Text)
    #: The registered metadata as answered (JSON), for the admin page and the consent page.
    metadata_json: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ObApiAuthorizationCode(Base):
    """A one-time authorization code (hashed) a learner's consent produced."""

    __tablename__ = "ob_api_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("ob_api_clients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ObApiToken(Base):
    """An access token (and its refresh token) issued to a platform for one learner, both kept
    only as SHA-256 hashes. Refreshing revokes the old pair (rotation)."""

    __tablename__ = "ob_api_tokens"
    __table_args__ = (Index("ix_ob_api_tokens_user_client", "user_id", "client_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("ob_api_clients.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The code it was exchanged for (a replayed code revokes what it gave, RFC 6749 §4.1.2).
    code_id: Mapped[int | None] = mapped_column(ForeignKey("ob_api_codes.id"))


class HeldCredential(Base):
    """A credential a platform pushed into a learner's account (``POST /credentials``), kept
    exactly as received. One per learner and (issuer id, credential id) — the OB 3.0
    equality rule — hashed into ``identity_key``."""

    __tablename__ = "held_credentials"
    __table_args__ = (UniqueConstraint("user_id", "identity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    identity_key: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str] = mapped_column(String(2048))
    issuer_id: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str | None] = mapped_column(String(500))
    #: ``application/json`` (a JSON credential) or ``text/plain`` (a compact JWS).
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: The credential's own ``validFrom`` (``since`` filters on it).
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client_pk: Mapped[int | None] = mapped_column(ForeignKey("ob_api_clients.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
