"""Web defences that are on unless a view opts out: CSRF on unsafe methods, strict headers,
rate limits on the views that invite abuse.

CSRF: a per-session random token, sent back in a form field ``csrf_token`` or an
``X-CSRF-Token`` header, compared in constant time. Views that authenticate without cookies
(bearer-token API, the public verify API) opt out with :func:`csrf_exempt`.
Headers: a strict Content-Security-Policy without inline script, no framing, no sniffing,
HSTS when the request came over TLS or the public URL is https.
Rate limits: a view declares its category with :func:`rate_limited` (``verify``, ``login``,
``api``); the limit per client address comes from ``PASSPORT_RATE_LIMITS``
(:func:`passport.settings.parse_rate_limits`), counted in Redis when ``PASSPORT_REDIS_URL`` is
set (shared by every worker) and in memory otherwise. A limited request gets 429 with
``Retry-After`` and the usual error body. If Redis is unreachable a limited request fails
closed: 503 ``rate_limit_unavailable`` with ``Retry-After``, and an error in the log for each
(an unreachable counter store must not switch the limits off; docs/decisions.md). Requests
outside the limited categories never touch the store. Several gunicorn workers counting in
memory are refused in production (:meth:`passport.settings.Settings.check_serving`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request, session
from flask_limiter import Limit, Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from passport.errors import Forbidden
from passport.settings import Settings
from passport.web.errors import error_response
from passport.web.i18n import gettext as _
from passport.web.links import safe_href

__all__ = ["CSP", "csrf_exempt", "csrf_token", "rate_limited", "register"]

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_exempt(view: F) -> F:
    """Mark a view as not needing a CSRF token (it must not rely on cookies)."""
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def rate_limited(category: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable[[F], F]:
    """Count requests to a view against the ``category`` limit (only for ``methods``)."""

    def mark(view: F) -> F:
        view._rate_limit = (category, frozenset(methods))  # type: ignore[attr-defined]
        return view

    return mark


def _category() -> str | None:
    """The rate-limit category of the current request, if its view declared one."""
    view = current_app.view_functions.get(request.endpoint or "")
    marked = getattr(view, "_rate_limit", None)
    if marked is None or request.method not in marked[1]:
        return None
    category: str = marked[0]
    return category


def _not_in(category: str) -> bool:
    return _category() != category


def _too_many(limit: RequestLimit) -> Response:
    """Carry ``Retry-After`` (whole seconds until the window resets) to the 429 handler."""
    response = Response(status=429)
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
    return response


def _limiter(settings: Settings) -> Limiter | None:
    rules = {name: value for name, value in settings.rate_limit_rules.items() if value}
    if not rules:
        return None
    storage_options: dict[str, str | int] = {}
    if settings.redis_url:
        # Fail fast when Redis is away (the request then fails closed: _store_unavailable).
        storage_options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    return Limiter(
        key_func=get_remote_address,
        default_limits=[
            Limit(
                value,
                scope=name,
                shared=True,  # one bucket per category, whichever view of it was called
                exempt_when=partial(_not_in, name),
                error_message=("Too many requests from your address; wait a little and try again."),
            )
            for name, value in rules.items()
        ],
        storage_uri=settings.redis_url or "memory://",
        storage_options=storage_options,
        strategy="moving-window",
        key_prefix="passport",
        on_breach=_too_many,
        # Errors of the counter store reach _store_unavailable: a limited request fails closed.
        swallow_errors=False,
    )


def _store_unavailable(exc: Exception) -> Response:
    """Answer a limited request whose counter store cannot be reached: fail closed, loudly.

    Registered for Redis errors when ``PASSPORT_REDIS_URL`` is set; a Redis error in a request
    that is not rate-limited (another use of the same Redis) gets a plain 503.
    """
    if _category() is None:
        logger.error("Redis is unreachable (%s)", type(exc).__name__)
        response = error_response(
            503,
            "service_unavailable",
            _("A service this request needs is unavailable; try again shortly."),
        )
        response.headers["Retry-After"] = "5"
        return response
    # The class name only: the client library's text names hosts and ports.
    logger.error(
        "RATE LIMITS FAIL CLOSED: the rate-limit store (PASSPORT_REDIS_URL) is unreachable "
        "(%s); limited requests get 503 until it is back",
        type(exc).__name__,
    )
    response = error_response(
        503,
        "rate_limit_unavailable",
        _(
            "Requests of this kind are paused because their rate limit cannot be counted right "
            "now; try again shortly."
        ),
    )
    response.headers["Retry-After"] = "5"
    return response


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
    # HSTS means nothing over plain http (RFC 6797 §7.2): send it over TLS, or when the public
    # URL is https (TLS ends at a proxy in front of us).
    if request.is_secure or current_app.config.get("PASSPORT_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register(app: Flask, settings: Settings) -> None:
    """Install CSRF, the security headers and the rate limits on ``app``."""
    app.config["PASSPORT_HTTPS"] = settings.public_url.startswith("https://")
    limiter = _limiter(settings)
    if limiter is not None:
        # Before the CSRF check, so that requests without a token count too.
        limiter.init_app(app)
        app.extensions["passport.limiter"] = limiter
        if settings.redis_url:
            from redis.exceptions import RedisError

            app.register_error_handler(RedisError, _store_unavailable)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    # Only http(s) URLs from data become links (passport/web/links.py).
    app.jinja_env.filters["safe_href"] = safe_href
