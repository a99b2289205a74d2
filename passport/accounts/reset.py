"""Password reset by an e-mailed one-time link.

:func:`request_reset` makes a random token (256 bits) for an active account and stores only
its SHA-256 in ``password_resets``; the caller mails ``/login/reset/<token>``. A link:

- lasts :data:`RESET_LIFETIME` (30 minutes);
- works once: :func:`complete_reset` claims it with a conditional UPDATE, so of two requests
  racing with one link only one sets a password;
- is voided by a newer link for the same account, and by a successful login (someone who
  remembered their password does not need a link lying in a mailbox);
- sets the password through :func:`passport.accounts.users.change_password`: the policy is
  checked, every session of the account ends, the change is audited.

An invitation (:func:`invitation_link`) is the same kind of link for an account an admin made
without a password: it lasts :data:`INVITATION_LIFETIME` (72 hours), and the person chooses their
first password on the same page.

Nothing here tells a caller whether an e-mail address has an account: :func:`request_reset`
returns None for an unknown or deactivated one, and for an account without a password (single
sign-on only), and the page says the same either way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from passport.accounts.models import PasswordReset, User
from passport.accounts.users import change_password, is_active
from passport.audit import record_event
from passport.db import claim
from passport.errors import InvalidRequest
from verifier import normalize_email

__all__ = [
    "INVITATION_LIFETIME",
    "RESET_LIFETIME",
    "ResetLink",
    "complete_reset",
    "invitation_link",
    "request_reset",
    "reset_for",
    "void_resets",
]

RESET_LIFETIME = timedelta(minutes=30)
#: How long an invitation to a new account (choose your password) lasts.
INVITATION_LIFETIME = timedelta(hours=72)
LINK_INVALID = (
    "This password-reset link is not valid any more: it was used, replaced by a newer one, or "
    "it expired. Ask for a new link."
)


@dataclass(frozen=True, slots=True)
class ResetLink:
    """A link made for ``user``: ``token`` goes into the mailed URL, and nowhere else."""

    user: User
    token: str
    expires_at: datetime
    #: The row's id (names the link's e-mail: ``password_reset:<id>``).
    id: int = 0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def void_resets(db: Session, user_id: int, *, now: datetime) -> None:
    """Make every unused link of the user void (a newer link, a login, a password change)."""
    db.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def request_reset(db: Session, email: str, *, now: datetime) -> ResetLink | None:
    """A new link for the active account of ``email`` that has a password (older links become
    void), or None."""
    try:
        address = normalize_email(email)
    except ValueError:
        return None
    user = db.scalar(select(User).where(User.email == address))
    # An account that signs in only through single sign-on has no password to reset (a link
    # would give it one, a way in around the identity provider).
    if user is None or not is_active(user) or not user.password_hash:
        return None
    void_resets(db, user.id, now=now)
    token = secrets.token_urlsafe(32)
    expires = now + RESET_LIFETIME
    row = PasswordReset(
        user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=expires
    )
    db.add(row)
    record_event(db, "system", "password_reset.request", user.email, at=now)
    db.flush()
    return ResetLink(user=user, token=token, expires_at=expires, id=row.id)


def invitation_link(db: Session, user: User, *, now: datetime) -> tuple[ResetLink, int] | None:
    """A link for a new account without a password to choose one (it lasts
    :data:`INVITATION_LIFETIME`; older links become void), and the link's id; None for an
    account that has a password already or is deactivated. The page behind it is the reset
    page: choosing a first password is setting one by a mailed link."""
    if user.password_hash or not is_active(user) or user.erased_at is not None:
        return None
    void_resets(db, user.id, now=now)
    token = secrets.token_urlsafe(32)
    expires = now + INVITATION_LIFETIME
    row = PasswordReset(
        user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=expires
    )
    db.add(row)
    record_event(db, "system", "invitation.link", user.email, at=now)
    db.flush()
    return ResetLink(user=user, token=token, expires_at=expires), row.id


def reset_for(db: Session, token: str, *, now: datetime) -> PasswordReset:
    """The usable link ``token`` stands for.

    Raises :class:`~passport.errors.InvalidRequest` (code ``reset_link_invalid``) when it is
    unknown, used, voided, expired or its account deactivated.
    """
    row = db.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token[:200])))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidRequest(LINK_INVALID, code="reset_link_invalid")
    user = db.get(User, row.user_id)
    if user is None or not is_active(user):
        raise InvalidRequest(LINK_INVALID, code="reset_link_invalid")
    return row


def complete_reset(db: Session, token: str, new_password: str, *, now: datetime) -> User:
    """Set the password of the link's account and use the link up.

    Raises :class:`~passport.errors.InvalidRequest`: ``reset_link_invalid`` (see
    :func:`reset_for`) or ``weak_password`` (the link stays usable, so the person can try a
    better password).
    """
    row = reset_for(db, token, now=now)
    user = db.get(User, row.user_id)
    assert user is not None  # reset_for checked it
    # Claim the link with one conditional UPDATE: of two requests racing with the same link,
    # only one changes a row (the other's read above may already be stale).
    if not claim(db, row, PasswordReset.used_at.is_(None), used_at=now):
        raise InvalidRequest(LINK_INVALID, code="reset_link_invalid")
    # A weak password raises here and the caller's transaction rolls the claim back.
    change_password(db, user, new_password, actor=user.email, now=now)
    void_resets(db, user.id, now=now)
    record_event(db, user.email, "password_reset.complete", user.email, at=now)
    db.flush()
    return user
