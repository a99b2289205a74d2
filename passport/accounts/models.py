"""Tables of the people who log in and of the integrations that call the API (tokens are
stored as SHA-256 hashes).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.credentials.models import Holder

__all__ = [
    "ApiToken",
    "LoginThrottle",
    "OrgSetting",
    "PasswordReset",
    "RecoveryCode",
    "User",
]


class ApiToken(Base):
    """An integration's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# -- People -----------------------------------------------------------------------------------


class User(Base):
    """Someone who logs in: staff (admin, mentor, assessor) or a learner.

    Passwords are stored as scrypt hashes (werkzeug); learners are linked to their Holder.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | mentor | assessor | learner
    password_hash: Mapped[str | None] = mapped_column(String(300))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when an admin deactivates the account: it can no longer log in; its history stays.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The page language the person chose (``en``/``de``); None: the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(16))
    #: An IANA time zone (``Europe/Berlin``); None: the organisation's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    #: The TOTP secret (RFC 6238), encrypted (:mod:`passport.accounts.mfa`); None: no second
    #: factor.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    #: The time step of the last code accepted, so a code works once (RFC 6238 §5.2).
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)

    holder: Mapped[Holder | None] = relationship()


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code when the phone is lost (SHA-256 only)."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(Base):
    """A password-reset link sent by e-mail: only the SHA-256 of its token is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Set when the link was used, or when a newer link or a login made it void.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failed sign-in attempts per account or address (when Redis is not configured).

    ``key`` is ``account:<sha256 of the normalised e-mail>`` or ``ip:<address>``: the table
    names no e-mail address.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: No attempt is looked at before this time.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrgSetting(Base):
    """One setting of the organisation that runs this instance (``time_zone``, …), set by admins."""

    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
