"""People who log in: password hashing, sessions, and role checks.

Passwords are hashed with scrypt (werkzeug's default: a memory-hard, modern KDF). Sessions are
Flask's signed cookies holding only the user id and a CSRF token; logging in clears the session
first (no fixation). Roles: ``admin`` (everything), ``assessor`` (assessments and bulk
results), ``mentor`` (their cohorts: sessions, attendance, notes), ``learner`` (their own badges).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from passport.errors import Forbidden, InvalidRequest, Unauthorized
from passport.issuing import checked_email
from passport.models import AuditEvent, Holder, User
from verifier import normalize_email

__all__ = [
    "ROLES",
    "STAFF_ROLES",
    "authenticate_user",
    "create_user",
    "current_user",
    "login_user",
    "logout_user",
    "require_role",
]

F = TypeVar("F", bound=Callable[..., Any])

ROLES = ("admin", "assessor", "mentor", "learner")
STAFF_ROLES = ("admin", "assessor", "mentor")
MIN_PASSWORD_LENGTH = 10
# Checked against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


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
        password_hash=generate_password_hash(password) if password else None,
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
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (the old session, and its CSRF token, are dropped)."""
    session.clear()
    session["user_id"] = user.id
    session.permanent = False


def logout_user() -> None:
    session.clear()


def current_user(db: Session) -> User | None:
    """The logged-in user for this request (cached on ``g``), or None."""
    if "passport_user" in g:
        cached: User | None = g.passport_user
        return cached
    user_id = session.get("user_id")
    user = db.get(User, user_id) if isinstance(user_id, int) else None
    g.passport_user = user
    return user


def require_role(*roles: str) -> Callable[[F], F]:
    """Allow the view only to users with one of ``roles`` (admins are always allowed).

    Browsers without a session are sent to the login page; others get 401/403 errors.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from passport.services import get_services

            services = get_services()
            with services.sessions() as db:
                user = current_user(db)
                if user is not None:
                    db.expunge(user)
            if user is None:
                if request.accept_mimetypes.accept_html and request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path))
                raise Unauthorized("Please log in.", code="login_required")
            if user.role != "admin" and user.role not in roles:
                raise Forbidden("Your role does not allow this.", code="role_forbidden")
            g.user = user
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
