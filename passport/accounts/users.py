"""Users: the people who log in, their roles, checking who they are, and their account's life.

Passwords are hashed with scrypt (:mod:`passport.accounts.passwords`). Roles: ``admin``
(everything), ``assessor`` (assessments and bulk results), ``mentor`` (their cohorts: sessions,
attendance, notes), ``learner`` (their own badges).

Lifecycle: a role change, deactivation, a password change and erasure end the person's open
sessions (:func:`passport.accounts.sessions.end_user_sessions`; a password change keeps the
session it was made in). Erasure (:func:`erase_user`) removes the personal data and keeps a
pseudonym in the account row and the audit log; the badges issued to the person stay valid.
The last active administrator can be neither demoted, deactivated nor erased, checked under a
lock so that two admins removing each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from passport.accounts.models import PasswordReset, RecoveryCode, User
from passport.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    check_new_password,
    hash_password,
    password_matches,
)
from passport.accounts.sessions import end_user_sessions
from passport.audit import AuditEvent, record_event
from passport.credentials.issuing import checked_email
from passport.credentials.models import Holder
from passport.errors import InvalidRequest, NotFound
from passport.sharing.links import revoke_share_link
from passport.sharing.models import ShareLink
from verifier import normalize_email

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "STAFF_ROLES",
    "authenticate_user",
    "change_password",
    "count_users",
    "create_user",
    "erase_user",
    "is_active",
    "search_users",
    "set_user_active",
    "update_user",
    "user_by_email",
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


def _lock_admins(session: Session) -> None:
    """Serialise every change that could remove an administrator, before counting them.

    PostgreSQL: lock the admin rows, in id order (two such transactions wait for each other
    instead of deadlocking). SQLite: take the database's write lock (a write that changes
    nothing starts the write transaction; SQLite has one writer at a time).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE users SET role = role WHERE 0 = 1"))
        return
    session.execute(
        select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
    ).all()


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the last active administrator (under :func:`_lock_admins`)."""
    if user.role != "admin" or not is_active(user):
        return
    _lock_admins(session)
    session.refresh(user)
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
    keeps the admin role. An erased account cannot be edited (``user_erased``)."""
    if user.erased_at is not None:
        raise InvalidRequest(
            "This account was erased; it cannot be reactivated.", code="user_erased"
        )
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
    if "role" in changes:
        # What the person may do changed: their open sessions end (they log in again).
        end_user_sessions(session, user.id, reason="role_change")
    elif password:
        end_user_sessions(session, user.id, reason="password_change")
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
    elif user.erased_at is not None:
        raise InvalidRequest(
            "This account was erased; it cannot be reactivated.", code="user_erased"
        )
    else:
        user.deactivated_at = None
    action = "user.reactivate" if active else "user.deactivate"
    record_event(session, actor, action, user.email, at=now)
    session.flush()
    if not active:
        end_user_sessions(session, user.id, reason="deactivated")


def user_by_email(session: Session, email: str) -> User:
    """The user with ``email``; raises NotFound (``unknown_user``) if there is none."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"There is no user with e-mail {email.strip()}.", code="unknown_user")
    return user


def change_password(
    session: Session,
    user: User,
    new_password: str,
    *,
    actor: str,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """Set ``user``'s password after the policy check; every other session of theirs ends.

    ``keep_session`` is the cookie id of the session the change was made in (it stays open).
    Raises InvalidRequest (``weak_password``) for a password the policy refuses.
    """
    if user.erased_at is not None:
        raise InvalidRequest("This account was erased.", code="user_erased")
    check_new_password(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    record_event(session, actor, "user.password_change", user.email, at=now)
    session.flush()
    end_user_sessions(session, user.id, reason="password_change", keep=keep_session)


#: Columns of personal data beside name and e-mail, cleared by erasure: the second factor,
#: single sign-on and SCIM identities (an identity provider re-provisioning the person gets a
#: new account).
_PERSONAL_COLUMNS = (
    "totp_secret",
    "totp_last_counter",
    "oidc_issuer",
    "oidc_subject",
    "scim_user_name",
    "scim_external_id",
    "scim_profile",
)


def erase_user(session: Session, user: User, *, actor: str, now: datetime) -> None:
    """Erase ``user``'s personal data; what they were issued stays valid.

    Removed: name, e-mail (replaced by a pseudonym ``erased-<random>@invalid``), password,
    second factor, language and time zone, every session; for a learner also the name, e-mail
    and DID on their holder record, and their share links (revoked). The account row stays,
    deactivated, so history (assessments, notes, audit) keeps pointing at it; the audit log's
    mentions of the e-mail become the pseudonym. Issued credentials, their status entries and
    status lists are untouched: the badges the person holds keep verifying. The last active
    administrator cannot be erased. Irreversible.
    """
    if user.erased_at is not None:
        return
    _keep_an_admin(session, user)
    old_email, old_name = user.email, user.name
    pseudonym = f"erased-{secrets.token_hex(8)}@invalid"
    end_user_sessions(session, user.id, reason="erased")
    user.email = pseudonym
    user.name = pseudonym.split("@")[0]
    user.password_hash = None
    user.locale = user.time_zone = None
    for column in _PERSONAL_COLUMNS:
        setattr(user, column, None)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    user.deactivated_at = user.deactivated_at or now
    user.erased_at = now
    holder = session.get(Holder, user.holder_id) if user.holder_id is not None else None
    if holder is not None:
        links = session.scalars(
            select(ShareLink.id).where(
                ShareLink.holder_id == holder.id, ShareLink.revoked_at.is_(None)
            )
        ).all()
        for link_id in links:
            revoke_share_link(session, holder_id=holder.id, link_id=link_id, now=now)
        holder.email = pseudonym
        holder.name = None
        holder.did = None
    session.flush()
    _pseudonymise_audit(session, old_email, old_name, pseudonym)
    record_event(session, actor, "user.erase", pseudonym, at=now)
    session.flush()


def _pseudonymise_audit(session: Session, email: str, name: str, pseudonym: str) -> None:
    """Replace the e-mail everywhere in the audit log, and the name in the rows about them."""
    session.execute(update(AuditEvent).where(AuditEvent.actor == email).values(actor=pseudonym))
    session.execute(update(AuditEvent).where(AuditEvent.subject == email).values(subject=pseudonym))
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.detail.contains(email, autoescape=True))
        .values(detail=func.replace(AuditEvent.detail, email, pseudonym))
    )
    if name and name != email:
        # Only where the row is about them: a name alone may be a word in other rows.
        quoted = json.dumps(name, ensure_ascii=False)
        session.execute(
            update(AuditEvent)
            .where(
                AuditEvent.subject == pseudonym,
                AuditEvent.detail.contains(quoted, autoescape=True),
            )
            .values(detail=func.replace(AuditEvent.detail, quoted, json.dumps(pseudonym)))
        )


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
