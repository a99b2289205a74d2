"""``GET /api/v1/outcomes``: the outcome measures for an integration (API token scope
``outcomes:read``), as JSON (``Outcomes.to_json()``, the shape of issue #19) or, with
``Accept: text/csv`` or ``format=csv``, as the tidy CSV. Groups under 5 are suppressed in
both; ``docs/outcomes.md`` defines each figure."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request

from passport.accounts.tokens import authenticate, token_actor
from passport.errors import InvalidRequest
from passport.outcomes.measures import default_as_of, outcomes_csv, read_outcomes
from passport.outcomes.report import Filters
from passport.web.context import get_services
from passport.web.security import rate_limited

__all__ = ["bp"]

bp = Blueprint("outcomes_api", __name__, url_prefix="/api/v1")

#: The query parameters the operation reads (anything else is refused, not ignored).
PARAMETERS = frozenset({"asOf", "jobFamily", "cohort", "since", "until", "format"})


def _date(name: str) -> date | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"The parameter {name!r} must be a date like 2026-03-31.", code="invalid_date"
        ) from None


def _wants_csv() -> bool:
    fmt = request.args.get("format")
    if fmt is not None and fmt not in ("json", "csv"):
        raise InvalidRequest(
            "The parameter 'format' must be 'json' or 'csv'.", code="invalid_format"
        )
    if fmt is not None:
        return fmt == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@bp.get("/outcomes")
@rate_limited("api", methods=("GET",))
def outcomes() -> Response:
    """Every outcome measure as of ``asOf`` (today in the organisation's time zone), limited
    to ``jobFamily``, ``cohort`` and the period ``since``..``until``."""
    services = get_services()
    with services.session() as session:
        token = authenticate(
            session, request.headers.get("Authorization"), now=services.now(), scope="outcomes:read"
        )
        unknown = sorted(set(request.args) - PARAMETERS)
        if unknown:
            raise InvalidRequest(
                f"Unknown query parameter {unknown[0]!r}.", code="unknown_parameter"
            )
        filters = Filters(
            job_family=request.args.get("jobFamily") or None,
            cohort=request.args.get("cohort") or None,
            since=_date("since"),
            until=_date("until"),
        )
        csv_wanted = _wants_csv()
        today = default_as_of(session, services.now())
        as_of = _date("asOf") or today
        report = read_outcomes(
            session,
            actor=token_actor(token),
            as_of=as_of,
            filters=filters,
            today=today,
            now=services.now(),
        )
    if csv_wanted:
        response = Response(outcomes_csv(report), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    else:
        response = jsonify(report.to_json())
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response
