"""``GET /api/v1/job-families/<id>/pipeline``: one job family's build-or-buy figures for an
integration (API token scope ``roles:read``). Counts of people below 5 are
``{"suppressed": true}``; ``docs/mobility.md`` defines each figure."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from passport.accounts.tokens import authenticate
from passport.mobility.pipeline import family_pipeline, pipeline_json
from passport.web.context import get_services
from passport.web.hiring.pipeline import pipeline_sentence
from passport.web.security import rate_limited

__all__ = ["bp"]

bp = Blueprint("pipeline_api", __name__, url_prefix="/api/v1")


@bp.get("/job-families/<job_family_id>/pipeline")
@rate_limited("api", methods=("GET",))
def job_family_pipeline(job_family_id: str) -> Response:
    """Openings, ready now, within one cohort, in a cohort now, the recommendation and the
    skills that would unlock the most ready candidates (NotFound ``unknown_job_family``)."""
    services = get_services()
    with services.session() as session:
        authenticate(
            session, request.headers.get("Authorization"), now=services.now(), scope="roles:read"
        )
        found = family_pipeline(session, job_family_id, now=services.now())
    # Dates in the API's sentence are ISO 8601, as everywhere in the API.
    response = jsonify(pipeline_json(found, pipeline_sentence(found, lambda d: d.isoformat())))
    response.headers["Cache-Control"] = "no-store"
    return response
