"""Who is asking: the signed session cookie and the role check on views.

Sessions are Flask's signed cookies holding only the user id and a CSRF token; logging in
clears the session first (no fixation).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.errors import Forbidden, Unauthorized

__all__ = [
    "current_user",
    "login_user",
    "logout_user",
    "require_role",
    "safe_next",
]


F = TypeVar("F", bound=Callable[..., Any])


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
    if user is not None and user.deactivated_at is not None:
        # Deactivated since logging in: the session ends on its next request.
        session.clear()
        user = None
    g.passport_user = user
    return user


def require_role(*roles: str) -> Callable[[F], F]:
    """Allow the view only to users with one of ``roles`` (admins are always allowed).

    Browsers without a session are sent to the login page; others get 401/403 errors.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from passport.web.context import get_services

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
    """Only a same-origin path is followed after login (no open redirect); None otherwise.

    Browsers drop tabs and line breaks from a URL (WHATWG URL parsing) and read a backslash as
    a slash, so ``/\\t/evil.example`` (a tab) is ``//evil.example``: no control character, space or
    backslash is allowed. What is left is parsed (``urllib.parse.urlsplit``) and must have
    neither a scheme nor a host, and its path must start with one ``/`` (``//host`` is a
    network-path reference, RFC 3986 section 4.2).
    """
    from urllib.parse import urlsplit

    if not target or len(target) > 2048:
        return None
    if any(ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F or ch == "\\" for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced '[' read as an IPv6 host
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//") or not target.startswith("/") or target.startswith("//"):
        return None
    return target
