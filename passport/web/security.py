"""Web defences that are on unless a view opts out: CSRF on unsafe methods, strict headers.

CSRF: a per-session random token, sent back in a form field ``csrf_token`` or an
``X-CSRF-Token`` header, compared in constant time. Views that authenticate without cookies
(bearer-token API, the public verify API) opt out with :func:`csrf_exempt`.
Headers: a strict Content-Security-Policy without inline script, no framing, no sniffing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request, session

from passport.errors import Forbidden

__all__ = ["CSP", "csrf_exempt", "csrf_token", "register"]

F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_exempt(view: F) -> F:
    """Mark a view as not needing a CSRF token (it must not rely on cookies)."""
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf_token")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def _check_csrf() -> None:
    if request.method in _SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_csrf_exempt", False):
        return
    expected = session.get("csrf_token")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        raise Forbidden(
            "The form expired or did not come from this site; reload the page and try again.",
            code="csrf_failed",
        )


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
