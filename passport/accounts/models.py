"""Tables of the people who log in and of the integrations that call the API (tokens are
stored as SHA-256 hashes).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passport.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from passport.credentials.models import Holder

__all__ = [
    "ApiToken",
    "OrgSetting",
    "ScimGroup",
    "ScimGroupMember",
    "User",
]


def _scim_id() -> str:
    """A new SCIM ``id``: random, so ids are never reused and reveal nothing (RFC 7643 §3.1)."""
    return uuid.uuid4().hex


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

    holder: Mapped[Holder | None] = relationship()


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
