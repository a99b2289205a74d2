"""The hiring blueprint (``/hiring``) and what its pages share."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["HIRING_ROLES", "bp"]

bp = Blueprint("hiring", __name__, url_prefix="/hiring")

#: Who uses the hiring pages (administrators pass every role check).
HIRING_ROLES = ("hiring_manager",)
