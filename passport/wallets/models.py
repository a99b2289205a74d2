"""Tables of the wallets domain: every copy of a badge delivered to a wallet or platform;
OpenID4VCI's offers, codes, tokens, nonces and deferred transactions; the Learner Credential
Wallet's exchanges; the Open Badges API's platforms, codes, tokens and the badges platforms
pushed (held credentials).

Every secret a wallet holds (offer reference, pre-authorized code, authorization code, access
token, ``c_nonce``, ``transaction_id``) is stored only as its SHA-256, so a copy of the database
redeems nothing. Each is short-lived and single use where the specification says so; consuming
one is a conditional update (:func:`passport.db.claim`), so two racing requests cannot both
succeed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passport.db import Base, UTCDateTime, utcnow

__all__ = [
    "HeldCredential",
    "LcwExchange",
    "ObApiAuthorizationCode",
    "ObApiClient",
    "ObApiToken",
    "Oid4vciAccessToken",
    "Oid4vciAuthCode",
    "Oid4vciNonce",
    "Oid4vciOffer",
    "Oid4vciTransaction",
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


class Oid4vciOffer(Base):
    """A credential offer for one badge (OpenID4VCI 1.0 §4.1), served by reference.

    The reference in the offer URI is the only secret handed out; the pre-authorized code and
    the ``issuer_state`` are derived from it (HMAC), so the offer document can be served again
    while only hashes are stored. ``tx_code_hash`` is keyed with the service's secret (six
    digits alone would fall to a dictionary); ``tx_attempts`` counts wrong codes and burns the
    offer at the limit.
    """

    __tablename__ = "oid4vci_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64))
    tx_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set when a token was issued for it (either grant): the offer is spent.
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when too many wrong transaction codes were tried.
    burned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Oid4vciAuthCode(Base):
    """An authorization code (RFC 6749 §4.1) a signed-in learner approved for one badge.

    Bound to the client, the exact redirect URI and the PKCE S256 challenge (RFC 7636).
    """

    __tablename__ = "oid4vci_auth_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str] = mapped_column(String(128))
    #: The request asked by ``authorization_details`` (answered with credential_identifiers).
    by_details: Mapped[bool] = mapped_column(default=False)
    #: The credential configurations asked for (space-separated ids; None: every one).
    configurations: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Oid4vciAccessToken(Base):
    """A Bearer access token for the credential endpoint, for one badge only."""

    __tablename__ = "oid4vci_access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    #: The client the token was issued to (None: anonymous pre-authorized code).
    client_id: Mapped[str | None] = mapped_column(String(255))
    #: Credential requests must name a ``credential_identifier`` (OpenID4VCI 1.0 §8.2).
    by_details: Mapped[bool] = mapped_column(default=False)
    #: The credential configurations it may fetch (space-separated ids; None: every one).
    configurations: Mapped[str | None] = mapped_column(String(256))
    grant: Mapped[str] = mapped_column(String(64))
    #: The authorization code it was issued for (revoked when that code is replayed).
    auth_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("oid4vci_auth_codes.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Revoked (RFC 6749 §10.5: its authorization code was used twice).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Oid4vciNonce(Base):
    """A ``c_nonce`` from the nonce endpoint (OpenID4VCI 1.0 §7): single use, short-lived."""

    __tablename__ = "oid4vci_nonces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Oid4vciTransaction(Base):
    """A deferred issuance (OpenID4VCI 1.0 §9): signed by a queued job, handed out once."""

    __tablename__ = "oid4vci_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("oid4vci_access_tokens.id"), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"))
    holder_did: Mapped[str] = mapped_column(String(4096))
    wallet_format: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The signed copy once the job ran (bytes exactly as signed); wiped when delivered.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why the job could not sign (a stable code), then the transaction answers that error.
    failure: Mapped[str | None] = mapped_column(String(64))


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
