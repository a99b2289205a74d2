"""The request's view of the application: the :class:`~passport.services.Services` of the
current Flask app."""

from __future__ import annotations

from flask import Flask, current_app

from passport.services import Services

__all__ = ["get_services"]


def get_services(app: Flask | None = None) -> Services:
    """Return the :class:`Services` of ``app`` (default: the current app)."""
    services: Services = (app or current_app).extensions["passport"]
    return services
