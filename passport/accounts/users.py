"""Users: the people who log in, their roles, and checking who they are.

Passwords are hashed with scrypt (:mod:`passport.accounts.passwords`). Roles: ``admin``
(everything), ``assessor`` (assessments and bulk results), ``mentor`` (their cohorts: sessions,
attendance, notes), ``learner`` (their own badges).
"""

from __future__ import annotations

import functools

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.passwords import hash_password, password_matches
from passport.audit import AuditEvent
from passport.credentials.issuing import checked_email
from passport.credentials.models import Holder
from passport.errors import InvalidRequest
from verifier import normalize_email

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "STAFF_ROLES",
    "authenticate_user",
    "create_user",
]


ROLES = ("admin", "assessor", "mentor", "learner")
STAFF_ROLES = ("admin", "assessor", "mentor")
MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so timing does not reveal which accounts
    exist. Made on first use: an import costs no scrypt run."""
    return hash_password("not-a-real-password-just-for-timing")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    actor: str = "admin",
) -> User:
    """Create a user; learners get (or are linked to) their Holder record."""
    if role not in ROLES:
        raise InvalidRequest(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    email = checked_email(email)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise InvalidRequest(f"A user with e-mail {email} already exists.", code="duplicate_user")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password"
        )
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    if role == "learner":
        holder = session.scalar(select(Holder).where(Holder.email == email))
        if holder is None:
            holder = Holder(email=email, name=user.name)
            session.add(holder)
            session.flush()
        user.holder_id = holder.id
    session.add(user)
    session.add(AuditEvent(actor=actor, action="user.create", subject=email, detail=role))
    session.flush()
    return user


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match, else None (constant-ish time)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.password_hash:
        password_matches(_dummy_hash(), password)
        return None
    return user if password_matches(user.password_hash, password) else None
