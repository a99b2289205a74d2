"""``GET /api/v1/job-families/<id>/freshness?days=60``: per required skill of one job family,
how many people hold it now and how many of them hold it only until the window ends (API token
scope ``read``). Counts only, each under 5 as ``{"suppressed": true}``;
``docs/mentoring/freshness.md`` defines the figures."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from passport.accounts.tokens import authenticate
from passport.errors import InvalidRequest
from passport.mentoring.freshness import stale_days, stale_soon, stale_soon_json
from passport.web.context import get_services
from passport.web.security import rate_limited

__all__ = ["bp"]

bp = Blueprint("freshness_api", __name__, url_prefix="/api/v1")


@bp.get("/job-families/<job_family_id>/freshness")
@rate_limited("api", methods=("GET",))
def job_family_freshness(job_family_id: str) -> Response:
    """The family's required skills going stale within ``days`` (30, 60 or 90; default 60).
    NotFound ``unknown_job_family``; InvalidRequest ``invalid_days``, ``unknown_parameter``."""
    services = get_services()
    now = services.now()
    with services.session() as session:
        authenticate(session, request.headers.get("Authorization"), now=now, scope="read")
        unknown = sorted(set(request.args) - {"days"})
        if unknown:
            raise InvalidRequest(
                f"Unknown query parameter {unknown[0]!r}.", code="unknown_parameter"
            )
        found = stale_soon(
            session, job_family_id, now=now, days=stale_days(request.args.get("days"))
        )
    response = jsonify(stale_soon_json(found))
    response.headers["Cache-Control"] = "no-store"
    return response
