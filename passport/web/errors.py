"""Every error becomes an HTTP answer here, and only here.

Statuses of the application's errors (:mod:`passport.errors`), most specific class first::

    InvalidRequest 400 · Unauthorized 401 · Forbidden 403 · NotFound 404 · NotAcceptable 406
    ShareLinkGone, PresentationRequestGone 410
    UnsupportedMediaType 415 · TooManyAttempts 429 (with ``Retry-After``) ·
    ConfigError, BackupError 500 · SsoFailed 400, but SsoProviderUnavailable 502 ·
    any other PassportError 400

A database that cannot be reached (down, restarting, refusing connections: SQLAlchemy's
``OperationalError``, or any DBAPI error that invalidated the connection) is answered 503
``database_unavailable`` with ``Retry-After``; the pool pings connections before use, so the
service recovers by itself once the database is back.

Errors from the library packages (``issuer.IssuerError``, ``verifier.VerificationError``,
``keys.errors.KeysError``) carry their own ``code`` and ``message`` and are mapped too. JSON
clients (``/api/…`` or ``Accept: application/json``) get ``{"error": {"code", "message"}}``;
browsers get a plain page. Nothing ever shows a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from passport.errors import (
    BackupError,
    ConfigError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotAcceptable,
    NotFound,
    PassportError,
    PresentationRequestGone,
    ShareLinkGone,
    SsoFailed,
    SsoProviderUnavailable,
    TooManyAttempts,
    Unauthorized,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = [
    "error_response",
    "register",
]


logger = logging.getLogger(__name__)

#: The HTTP status of each application error; the first class an error is an instance of wins.
STATUSES: tuple[tuple[type[PassportError], int], ...] = (
    (InvalidRequest, 400),
    (SsoProviderUnavailable, 502),  # before SsoFailed, its parent
    (SsoFailed, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (NotAcceptable, 406),
    (ShareLinkGone, 410),
    (PresentationRequestGone, 410),
    (UnsupportedMediaType, 415),
    (TooManyAttempts, 429),
    (ConfigError, 500),
    (BackupError, 500),
)


def status_of(exc: PassportError) -> int:
    """The HTTP status that answers ``exc``."""
    return next((status for cls, status in STATUSES if isinstance(exc, cls)), 400)


def _wants_json() -> bool:
    from flask import request

    if request.path.startswith(("/api/", "/.well-known/", "/workflows/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message: str) -> Response:
    """Render an error as JSON or HTML, whichever the client wants (SCIM clients: a SCIM
    Error body, RFC 7644 §3.12)."""
    from flask import jsonify, make_response, render_template, request

    from passport.web.scim import is_scim_path, scim_error

    if is_scim_path(request.path):
        return scim_error(status, message)

    if _wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = make_response(
            render_template("error.html", status=status, code=code, message=message)
        )
    response.status_code = status
    return response


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    from sqlalchemy.exc import DataError, DBAPIError, OperationalError
    from werkzeug.exceptions import HTTPException

    from issuer import IssuerError
    from keys.errors import KeysError
    from verifier import VerificationError

    @app.errorhandler(PassportError)
    def _passport(exc: PassportError) -> Any:
        response = error_response(status_of(exc), exc.code, exc.message)
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(IssuerError)
    def _issuer(exc: IssuerError) -> Any:
        # A draft that fails the model is the request's fault; an unbakeable credential (not
        # one of ours, or not a badge) too; anything else went wrong on our side.
        status = {"draft_invalid": 422, "unbakeable": 400}.get(exc.code, 500)
        return error_response(status, exc.code, exc.message)

    @app.errorhandler(VerificationError)
    def _verification(exc: VerificationError) -> Any:
        return error_response(400, exc.code, exc.message)

    @app.errorhandler(KeysError)
    def _keys(exc: KeysError) -> Any:
        logger.error("key error: %s", exc.code)
        return error_response(500, exc.code, "The service's signing keys are not usable.")

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> Any:
        if isinstance(exc, DataError):
            # A value the database refuses to store or compare (PostgreSQL: a NUL character,
            # text longer than its column, a number out of range): the request's fault.
            logger.info("database refused a value: %s", type(exc.orig).__name__)
            return error_response(
                400,
                "unstorable_value",
                "The request holds a value that cannot be stored or looked up (for example a "
                "NUL character or an over-long text).",
            )
        if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
            raise exc  # a bug, not an outage: the 500 handler logs it
        # The class name only: the driver's text names hosts and ports.
        logger.warning("database unavailable: %s", type(exc.orig).__name__)
        response = error_response(
            503, "database_unavailable", "The database is unavailable; try again shortly."
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        code = {
            400: "bad_request",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "unsupported_media_type",
            429: "rate_limited",
        }.get(status, "http_error")
        message = {
            413: "The request body is larger than the limit.",
            404: "There is nothing here.",
            405: "That method is not allowed here.",
        }.get(status, exc.description or "The request could not be handled.")
        response = error_response(status, code, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        if status == 429 and exc.response is not None and exc.response.headers.get("Retry-After"):
            response.headers["Retry-After"] = exc.response.headers["Retry-After"]
        return response

    @app.errorhandler(500)
    def _internal(exc: Any) -> Any:
        # Unhandled exceptions arrive here wrapped by Flask; log them, never show them.
        logger.error("internal error", exc_info=getattr(exc, "original_exception", None))
        return error_response(500, "internal_error", "Something went wrong on our side.")
