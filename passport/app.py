"""The application factory: ``create_app(settings)`` registers everything; import time is inert."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from keys import KeyStore
from passport import errors
from passport.db import make_engine
from passport.services import Services, configured_trust_list
from passport.settings import Settings
from verifier.fetch import FetchPolicy, SafeFetcher

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for ``settings`` (default: :meth:`Settings.from_env`)."""
    settings = settings or Settings.from_env()
    app = Flask(
        "passport",
        root_path=str(Path(__file__).parent),
        instance_path=str(settings.instance_path),
    )
    # Session cookies are Secure in production whatever the URL says (TLS may end at a proxy);
    # an http public URL in development keeps them usable on a laptop.
    secure = settings.is_production or settings.public_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="__Host-passport" if secure else "passport",
        JSON_SORT_KEYS=False,
        TEMPLATES_AUTO_RELOAD=not settings.is_production,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.proxy_hops:
        # Behind a TLS proxy: believe exactly that many hops about the client's address (rate
        # limits, logs) and scheme (HSTS); never a header a client could set itself.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    engine = make_engine(settings.database_url)
    app.extensions["passport"] = Services(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        fetcher=SafeFetcher(FetchPolicy(allow_loopback_http=not settings.is_production)),
        key_store_or_none=(
            KeyStore(settings.key_store_path, settings.key_passphrase.encode("utf-8"))
            if settings.key_passphrase
            else None
        ),
        trust_list=configured_trust_list(settings),
    )

    from passport.web import (
        admin,
        api,
        auth,
        health,
        learner,
        passport_pages,
        public,
        security,
        wellknown,
    )

    security.register(app, settings)
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(wellknown.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(learner.bp)
    app.register_blueprint(learner.catalog_bp)
    app.register_blueprint(passport_pages.bp)
    app.register_blueprint(passport_pages.share_bp)
    return app
