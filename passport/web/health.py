"""Health endpoints for load balancers and orchestrators.

``GET /healthz`` — liveness: the process answers; touches nothing else (no database), so a
slow database never gets a healthy worker restarted.

``GET /readyz`` — readiness: may this instance take traffic? Three checks, in order:

1. ``database``: a ``SELECT 1`` on a pooled connection;
2. ``migrations``: the database's Alembic revision is the head of this code's migrations
   (an instance that has not run ``passport init`` after an upgrade is not ready);
3. ``keys``: every active signing key of the database decrypts from the key store with the
   configured passphrase (a wrong passphrase or a missing key file would fail every issuance).

200 ``{"status": "ok", "checks": {...}}`` when all pass; otherwise 503 with
``"status": "unavailable"``, ``"failed": [names]`` and each check's ``status`` (``ok``,
``failed`` or ``skipped`` when an earlier check failed) and a stable ``code``. Messages are
fixed sentences: no exception text, so no database URL or path, ever reaches the response;
the cause is logged (redacted by :mod:`passport.logs`).
"""

from __future__ import annotations

import logging
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from keys.errors import KeysError
from passport.credentials.models import SigningKeyRecord
from passport.db import alembic_config
from passport.services import Services
from passport.web.context import get_services

__all__ = ["bp"]

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

_HEADS_KEY = "passport.migration_heads"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify({"status": "ok"}))


def _ok(**extra: Any) -> dict[str, Any]:
    return {"status": "ok", **extra}


def _failed(code: str, message: str) -> dict[str, Any]:
    return {"status": "failed", "code": code, "message": message}


def _script_heads(services: Services) -> set[str]:
    """The head revision(s) of our migrations (read from disk once per app)."""
    heads = current_app.extensions.get(_HEADS_KEY)
    if heads is None:
        script = ScriptDirectory.from_config(alembic_config(services.engine))
        heads = frozenset(script.get_heads())
        current_app.extensions[_HEADS_KEY] = heads
    return set(heads)


def _check_database_and_migrations(services: Services) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        logger.exception("readiness: the database is not reachable")
        return (
            _failed("database_unreachable", "The database cannot be reached."),
            {"status": "skipped"},
        )
    expected = _script_heads(services)
    if current != expected:
        migrations = _failed(
            "migrations_not_at_head",
            "The database schema is not at this version's migrations; run `passport init`.",
        )
        migrations.update(current=sorted(current), expected=sorted(expected))
        return _ok(), migrations
    return _ok(), _ok(revision=",".join(sorted(current)))


def _check_keys(services: Services) -> dict[str, Any]:
    store = services.key_store_or_none
    if store is None:
        return _failed("no_passphrase", "No key-store passphrase is configured.")
    try:
        with services.sessions() as session:
            kids = list(
                session.scalars(
                    select(SigningKeyRecord.kid).where(SigningKeyRecord.status == "active")
                )
            )
    except SQLAlchemyError:
        logger.exception("readiness: the signing keys could not be listed")
        return _failed("database_unreachable", "The signing keys could not be listed.")
    if not kids:
        return _failed("no_active_keys", "There is no active signing key; run `passport init`.")
    for kid in kids:
        try:
            store.load(kid)  # decrypted once per process, then cached by the store
        except KeysError as exc:
            logger.error("readiness: signing key %s is not loadable (%s)", kid, exc.code)
            return _failed(exc.code, "An active signing key cannot be loaded from the key store.")
    return _ok(active=len(kids))


@bp.get("/readyz")
def readyz() -> Response:
    services = get_services()
    database, migrations = _check_database_and_migrations(services)
    keys = _check_keys(services) if database["status"] == "ok" else {"status": "skipped"}
    checks = {"database": database, "migrations": migrations, "keys": keys}
    failed = [name for name, check in checks.items() if check["status"] != "ok"]
    body: dict[str, Any] = {"status": "unavailable" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    return _no_store(response)
