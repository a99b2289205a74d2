"""The mobility API (issue #20): open roles and their candidates (API token scopes ``roles:write``
and ``roles:read``), a signed-in person's consent to be discoverable, and the build-or-buy
pipeline of a job family."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("mobility_api", __name__, url_prefix="/api/v1")
