"""The web skin: the app factory, blueprints, templates and static files, error pages, and
the web defences. Views only translate HTTP into use-case calls and results into pages or JSON."""

from __future__ import annotations

from passport.web.app import create_app

__all__ = ["create_app"]
