"""Skill Passport: the web application, database, use cases and CLI."""

from __future__ import annotations

from passport.app import create_app
from passport.settings import Settings

__all__ = ["Settings", "create_app"]
