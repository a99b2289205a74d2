"""Who is asking: the server-side session behind Flask's ``session``, and the role check on views.

The cookie carries only an opaque random id; the session lives in the store
:mod:`passport.accounts.sessions` chose (the database, or Redis). :class:`ServerSessionInterface`
plugs that into Flask, so code reading and writing ``session[...]`` (the CSRF token, the chosen
language, flashed messages) works as before. An anonymous visitor costs nothing until something
is stored in their session: a GET without a cookie neither reads nor writes the store. Logging
in starts a new session id (no fixation); logging out removes the session, so a copied cookie
opens nothing afterwards.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, g, redirect, request, session, url_for
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from passport.accounts.models import User
from passport.accounts.sessions import (
    STORE_ERRORS,
    StoredSession,
    Timeouts,
    install_store,
    live_session,
    new_session_id,
    purge_expired_sessions,
    session_store,
)
from passport.errors import Forbidden, Unauthorized
from passport.services import Services

__all__ = [
    "ServerSession",
    "ServerSessionInterface",
    "current_session_id",
    "current_user",
    "login_user",
    "logout_user",
    "register",
    "require_role",
    "safe_next",
    "signed_in_role",
]

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: One new session in this many also removes the expired ones from the database.
_PURGE_ONE_IN = 50
_MAX_COOKIE_CHARS = 128


class ServerSession(SecureCookieSession):
    """Flask's session dict, plus which stored session it is (``record``) and what to do with
    it when the response goes out."""

    def __init__(
        self,
        initial: Any = None,
        *,
        session_id: str | None = None,
        record: StoredSession | None = None,
    ) -> None:
        super().__init__(initial)
        self.session_id = session_id
        self.record = record
        #: Start a new id when saved (login, logout): the old one is removed.
        self.rotate_requested = False
        #: How the person signed in, for the new session (``password``, ``oidc`` …).
        self.login_method: str | None = None
        #: The browser sent an id that names no live session: forget the cookie.
        self.stale_cookie = False
        #: The store could not be read: leave the cookie alone and store nothing.
        self.unavailable = False

    def rotate(self) -> None:
        self.rotate_requested = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    """Flask's session, kept server-side in a :class:`~passport.accounts.sessions.SessionStore`."""

    serializer = TaggedJSONSerializer()

    def __init__(self, services: Services) -> None:
        self.services = services
        self.timeouts = Timeouts.from_settings(services.settings)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(self.get_cookie_name(app))
        if not session_id:
            return ServerSession()
        if len(session_id) > _MAX_COOKIE_CHARS or (
            app.static_url_path and request.path.startswith(app.static_url_path + "/")
        ):
            # Static files need no session; an overlong id names none.
            fresh = ServerSession()
            fresh.stale_cookie = len(session_id) > _MAX_COOKIE_CHARS
            return fresh
        try:
            with self.services.session() as db:
                record = live_session(
                    db, session_id, now=self.services.now(), timeouts=self.timeouts
                )
        except STORE_ERRORS:
            logger.warning("could not read the session store", exc_info=True)
            broken = ServerSession()
            broken.unavailable = True
            return broken
        if record is None:
            stale = ServerSession()
            stale.stale_cookie = True
            return stale
        try:
            data = self.serializer.loads(record.data)
        except ValueError:
            data = {}
        return ServerSession(data, session_id=session_id, record=record)

    def save_session(  # type: ignore[override]
        self, app: Flask, session: ServerSession, response: BaseResponse
    ) -> None:
        if session.unavailable:
            return
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        try:
            if not session:
                if session.record is not None:
                    with self.services.session() as db:
                        session_store(db).delete(db, [session.record.id_hash])
                if session.record is not None or session.stale_cookie:
                    response.delete_cookie(
                        name,
                        domain=domain,
                        path=path,
                        secure=secure,
                        samesite=samesite,
                        httponly=httponly,
                    )
                return
            new_id = self._store(session)
        except STORE_ERRORS:
            logger.error("could not save the session", exc_info=True)
            return
        if new_id is not None:
            response.set_cookie(
                name,
                new_id,
                domain=domain,
                path=path,
                secure=secure,
                samesite=samesite,
                httponly=httponly,
            )

    def _store(self, session: ServerSession) -> str | None:
        """Write what changed; returns the new session id when the cookie must change."""
        now = self.services.now()
        data = self.serializer.dumps(dict(session))
        user_id = session.get("user_id")
        user_id = user_id if isinstance(user_id, int) else None
        old = session.record
        with self.services.session() as db:
            store = session_store(db)
            if old is None or session.rotate_requested:
                if old is not None:
                    store.delete(db, [old.id_hash])
                session_id = new_session_id()
                store.put(
                    db,
                    StoredSession.begin(
                        session_id,
                        now=now,
                        timeouts=self.timeouts,
                        data=data,
                        user_id=user_id,
                        ip=request.remote_addr,
                        user_agent=request.user_agent.string,
                        method=session.login_method if user_id is not None else None,
                    ),
                )
                if random.randrange(_PURGE_ONE_IN) == 0:  # noqa: S311 - not a secret
                    purge_expired_sessions(db, now=now, timeouts=self.timeouts)
                session.session_id = session_id
                return session_id
            if session.modified:
                store.update(
                    db,
                    StoredSession(
                        id_hash=old.id_hash,
                        user_id=user_id,
                        data=data,
                        created_at=old.created_at,
                        last_seen_at=now,
                        expires_at=old.expires_at,
                        ip=old.ip,
                        user_agent=old.user_agent,
                        method=old.method if user_id is not None else None,
                    ),
                )
            elif old.needs_touch(now):
                store.touch(db, old, now)
        return None


def register(app: Flask, services: Services) -> None:
    """Keep ``app``'s sessions server-side, in the store the settings choose."""
    install_store(services.sessions, services.settings)
    app.session_interface = ServerSessionInterface(services)
    app.add_template_global(signed_in_role)


def current_session_id() -> str | None:
    """The id of this request's stored session (None before anything was stored)."""
    return getattr(session, "session_id", None)


def login_user(user: User, *, method: str = "password") -> None:
    """Start a fresh session for ``user``: a new id (no fixation); the old session, its CSRF
    token and its data are dropped. ``method`` is shown on "My sessions"."""
    session.clear()
    if isinstance(session, ServerSession):
        session.rotate()
        session.login_method = method
    session["user_id"] = user.id
    session.permanent = False


def logout_user() -> None:
    """End this session: it is removed from the store, so a copy of the cookie opens nothing."""
    session.clear()
    if isinstance(session, ServerSession):
        session.rotate()
    g.pop("passport_user", None)


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


def signed_in_role() -> str | None:
    """The signed-in user's role, for a template on any page (public ones included), or None.

    Pages behind :func:`require_role` already know it; elsewhere it costs one look-up by
    primary key, made only when the session names a user and cached for the request.
    """
    if "user_id" not in session:
        return None
    from passport.web.context import get_services

    try:
        with get_services().sessions() as db:
            user = current_user(db)
            return user.role if user is not None else None
    except DBAPIError:
        # The page may be the "database unavailable" answer itself: no role, not a second error.
        return None


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
