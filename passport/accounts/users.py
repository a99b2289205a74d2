"""Users: the people who log in, their roles, and checking who they are.

Passwords are hashed with scrypt (:mod:`passport.accounts.passwords`). Roles: ``admin``
(everything), ``assessor`` (assessments and bulk results), ``mentor`` (their cohorts: sessions,
attendance, notes), ``learner`` (their own badges).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    hash_password,
    password_matches,
)
from passport.audit import AuditEvent, record_event
from passport.credentials.issuing import checked_email
from passport.credentials.models import Holder
from passport.errors import InvalidRequest
from verifier import normalize_email

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "STAFF_ROLES",
    "authenticate_user",
    "change_password",
    "count_users",
    "create_user",
    "is_active",
    "search_users",
    "set_user_active",
    "update_user",
]


ROLES = ("admin", "assessor", "mentor", "learner")
STAFF_ROLES = ("admin", "assessor", "mentor")


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
    if password is not None:
        check_new_password(password, email=email, name=name)
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    if role == "learner":
        _link_holder(session, user)
    session.add(user)
    session.add(AuditEvent(actor=actor, action="user.create", subject=email, detail=role))
    session.flush()
    return user


def _link_holder(session: Session, user: User) -> None:
    """Give a learner the Holder record of their e-mail (made if there is none yet)."""
    if user.holder_id is not None:
        return
    holder = session.scalar(select(Holder).where(Holder.email == user.email))
    if holder is None:
        holder = Holder(email=user.email, name=user.name)
        session.add(holder)
        session.flush()
    user.holder_id = holder.id


def is_active(user: User) -> bool:
    """Whether ``user`` may log in and use a session (not deactivated)."""
    return user.deactivated_at is None


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """Return the active user whose e-mail and password match, else None (constant-ish time).

    A deactivated account is refused like a wrong password, after the same password check.
    """
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.password_hash:
        password_matches(_dummy_hash(), password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    return user if is_active(user) else None


def _other_active_admins(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.deactivated_at.is_(None), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the last active administrator."""
    if user.role == "admin" and is_active(user) and _other_active_admins(session, user) == 0:
        raise InvalidRequest(
            "This is the last active administrator. Make another user an administrator "
            "first, so someone can still manage this instance.",
            code="last_admin",
        )


def update_user(
    session: Session,
    user: User,
    *,
    email: str,
    name: str,
    role: str,
    actor: str,
    now: datetime,
    password: str | None = None,
) -> User:
    """Change a user's e-mail, name, role and (when given) password; the last active admin
    keeps the admin role."""
    if role not in ROLES:
        raise InvalidRequest(
            f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", code="unknown_role"
        )
    email = checked_email(email)
    if email != user.email:
        taken = session.scalar(select(User).where(User.email == email, User.id != user.id))
        if taken is not None:
            raise InvalidRequest(
                f"A user with e-mail {email} already exists.", code="duplicate_user"
            )
    if role != user.role:
        _keep_an_admin(session, user)
    if password:
        check_new_password(password, email=email, name=name)
    changes: dict[str, object] = {
        key: [old, new]
        for key, old, new in (
            ("email", user.email, email),
            ("name", user.name, name.strip() or email),
            ("role", user.role, role),
        )
        if old != new
    }
    user.email, user.name, user.role = email, name.strip() or email, role
    if password:
        user.password_hash = hash_password(password)
        changes["password_changed"] = True
    if role == "learner":
        _link_holder(session, user)
    if changes:
        record_event(session, actor, "user.update", user.email, changes, at=now)
    session.flush()
    return user


def set_user_active(
    session: Session, user: User, *, active: bool, actor: str, now: datetime
) -> None:
    """Deactivate (no more logins, open sessions end) or reactivate an account.

    The history stays: badges, assessments and notes keep pointing at the user.
    """
    if active == is_active(user):
        return
    if not active:
        _keep_an_admin(session, user)
        user.deactivated_at = now
    else:
        user.deactivated_at = None
    action = "user.reactivate" if active else "user.deactivate"
    record_event(session, actor, action, user.email, at=now)
    session.flush()


# placeholder: sessions slice provides the real one
def change_password(
    db: Session,
    user: User,
    new_password: str,
    *,
    actor: str,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """Check ``new_password`` against the policy, store its hash, end the user's other
    sessions and audit the change (the password itself is never recorded)."""
    from passport.accounts.sessions import end_user_sessions

    check_new_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    end_user_sessions(db, user.id, reason="password_changed", keep=keep_session)
    record_event(db, actor, "user.password_change", user.email, at=now)
    db.flush()


def _user_filters(query: str, role: str, status: str) -> list[Any]:
    where: list[Any] = []
    text = query.strip().lower()
    if text:
        pattern = f"%{_escape_like(text)}%"
        where.append(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if role in ROLES:
        where.append(User.role == role)
    if status == "active":
        where.append(User.deactivated_at.is_(None))
    elif status == "deactivated":
        where.append(User.deactivated_at.is_not(None))
    return where


def count_users(session: Session, *, query: str = "", role: str = "", status: str = "") -> int:
    """How many users :func:`search_users` finds with these filters."""
    where = _user_filters(query, role, status)
    return int(session.scalar(select(func.count()).select_from(User).where(*where)) or 0)


def search_users(
    session: Session,
    *,
    query: str = "",
    role: str = "",
    status: str = "",
    limit: int,
    offset: int,
) -> Sequence[User]:
    """Users whose name or e-mail contains ``query``, optionally of one role and status
    (``active``/``deactivated``), ordered by e-mail."""
    where = _user_filters(query, role, status)
    return session.scalars(
        select(User).where(*where).order_by(User.email).limit(limit).offset(offset)
    ).all()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
