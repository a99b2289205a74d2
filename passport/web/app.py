"""The application factory: ``create_app(settings)`` registers everything; import time is inert."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from passport.services import Services
from passport.settings import Settings
from passport.web.converters import BoundedIntegerConverter

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
        TEMPLATES_AUTO_RELOAD=not settings.is_production,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Before any blueprint's rules are built: <int:…> is bounded (404 beyond any id).
    app.url_map.converters["int"] = BoundedIntegerConverter
    if settings.proxy_hops:
        # Behind a TLS proxy: believe exactly that many hops about the client's address (rate
        # limits, logs) and scheme (HSTS); never a header a client could set itself.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    app.extensions["passport"] = Services.from_settings(settings)

    from passport.web import (
        account,
        admin,
        api,
        auth,
        calendar_feed,
        errors,
        events,
        events_api,
        freshness_api,
        health,
        hiring,
        i18n,
        lcw,
        learner,
        learner_roles,
        materials_api,
        mentors,
        mobility_api,
        notifications,
        outcomes_api,
        passport_pages,
        pipeline_api,
        public,
        scim,
        security,
        sessions,
        sso,
        wellknown,
    )

    sessions.register(app, app.extensions["passport"])
    # Work a request records (a bulk job, a badge's e-mail) goes to the queue at commit.
    from passport.jobs.queue import queue_for

    queue_for(app.extensions["passport"])
    security.register(app, settings)
    errors.register(app)
    i18n.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(outcomes_api.bp)
    app.register_blueprint(mobility_api.bp)
    app.register_blueprint(pipeline_api.bp)
    app.register_blueprint(materials_api.bp)
    app.register_blueprint(freshness_api.bp)
    app.register_blueprint(scim.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(wellknown.bp)
    # Mentor endorsements: /mentors/<slug>/did.json and /api/v1/credentials/<id>/endorsements.
    from passport.web import endorsements

    app.register_blueprint(endorsements.bp)
    app.register_blueprint(endorsements.api_bp)
    auth.register(app, settings)
    app.register_blueprint(sso.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(hiring.bp)
    app.register_blueprint(learner.bp)
    app.register_blueprint(learner.catalog_bp)
    app.register_blueprint(learner_roles.bp)
    app.register_blueprint(passport_pages.bp)
    app.register_blueprint(passport_pages.share_bp)
    app.register_blueprint(lcw.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(calendar_feed.bp)
    app.register_blueprint(mentors.bp)
    app.register_blueprint(mentors.api_bp)
    # Micro-mentoring events (issue #21): /events, /admin/events and their API.
    app.register_blueprint(events.bp)
    app.register_blueprint(events.admin_bp)
    app.register_blueprint(events_api.bp)
    # OpenID4VCI (issue #22): wallets' endpoints, and "Add to wallet" for the learner.
    from passport.web import oid4vci

    app.register_blueprint(oid4vci.bp)
    app.register_blueprint(oid4vci.wallet_bp)
    # The 1EdTech Open Badges 3.0 API (issue #22): /ims/ob/v3p0, its OAuth 2.0 server, the
    # learner's and the admins' platforms pages.
    from passport.web import ob_api

    app.register_blueprint(ob_api.api_bp)
    app.register_blueprint(ob_api.oauth_bp)
    app.register_blueprint(ob_api.pages_bp)
    return app
