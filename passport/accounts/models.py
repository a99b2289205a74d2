"""Tables of the people who log in and of the integrations that call the API (tokens are
stored as SHA-256 hashes).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
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
    "ScimGroup",
    "ScimGroupMember",
    "User",
    "UserSession",
]


def _scim_id() -> str:
    """A new SCIM ``id``: random, so ids are never reused and reveal nothing (RFC 7643 §3.1)."""
    return uuid.uuid4().hex


class ApiToken(Base):
    """An integration's bearer token; only its SHA-256 is stored.

    ``scopes`` is a space-separated list of :data:`passport.accounts.tokens.SCOPES`; empty
    allows nothing. Names are unique, and stay taken after a revocation, so that an audit
    line ``token:<id>`` and the name it had never mean two integrations.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who made it (a user's e-mail, ``cli``); None for tokens made before this was kept.
    created_by: Mapped[str | None] = mapped_column(String(200))
    #: None: the token does not expire (until revoked).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def scope_set(self) -> tuple[str, ...]:
        """The scopes, in the order stored."""
        return tuple(self.scopes.split())


# -- People -----------------------------------------------------------------------------------


class User(Base):
    """Someone who logs in: staff (admin, mentor, assessor) or a learner.

    Passwords are stored as scrypt hashes (werkzeug); learners are linked to their Holder.
    """

    __tablename__ = "users"
    # One account per person at an identity provider (OpenID Connect: issuer + subject).
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # one of passport.accounts.users.ROLES
    password_hash: Mapped[str | None] = mapped_column(String(300))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when an admin deactivates the account: it can no longer log in; its history stays.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The page language the person chose (``en``/``de``); None: the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(16))
    #: An IANA time zone (``Europe/Berlin``); None: the organisation's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    #: The OpenID provider (``iss``) and the person's stable id there (``sub``) once they
    #: signed in with single sign-on; both None for password-only accounts.
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    #: Set when the account was erased: its personal data is gone, the row stays a pseudonym.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The SCIM ``id`` of the account (``/scim/v2/Users/<scim_id>``).
    scim_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=_scim_id)
    #: The identity provider's ``userName`` when it sent one; None: the e-mail stands for it.
    scim_user_name: Mapped[str | None] = mapped_column(String(320), unique=True)
    #: The identity provider's ``externalId`` (its own id of the person).
    scim_external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: What the identity provider last sent that has no column of its own (``name``,
    #: ``emails`` with their types, whether it sent ``displayName`` / ``active``), as JSON.
    scim_profile: Mapped[str | None] = mapped_column(Text)
    #: When the row last changed (SCIM ``meta.lastModified``); None: never since creation.
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    #: The TOTP secret (RFC 6238), encrypted (:mod:`passport.accounts.mfa`); None: no second
    #: factor.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    #: The time step of the last code accepted, so a code works once (RFC 6238 §5.2).
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)

    holder: Mapped[Holder | None] = relationship()


class UserSession(Base):
    """One server-side browser session (:mod:`passport.accounts.sessions`).

    The cookie holds a random id; only its SHA-256 is stored, so a copy of this table opens no
    session. ``user_id`` is None for an anonymous visitor whose session holds something (a
    CSRF token, a chosen language). ``data`` is the session's contents, serialised by the web
    layer.
    """

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The absolute end: no activity keeps the session past it.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    #: How the person signed in (``password``, ``oidc`` …); None while anonymous.
    method: Mapped[str | None] = mapped_column(String(32))


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


# -- SCIM groups --------------------------------------------------------------------------------


class ScimGroup(Base):
    """A group an identity provider pushes over SCIM; its name may give its members a role
    (``PASSPORT_ROLE_GROUPS``)."""

    __tablename__ = "scim_groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_scim_id)
    display_name: Mapped[str] = mapped_column(String(255), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)


class ScimGroupMember(Base):
    """One user in one SCIM group."""

    __tablename__ = "scim_group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
