"""A learner's own pages under ``/my``, and the public job-family documents.

``learner`` (``/my``): the logged-in learner's home — their passport, the same page as
``/passport`` (:mod:`passport.web.passport_pages`) — and their cohorts' session schedule.
Every query is scoped to ``g.user`` — there is no id in the URL to change.

``catalog`` (no prefix): ``/job-families`` and ``/job-families/<id>``, the published JSON of
the job families (public, cacheable) — or, for a browser asking for HTML, the same as a page
for people (content negotiation; no ``Accept`` header gets the JSON, as before).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import ROLES
from passport.catalog.achievements import LEVEL_NAMES, achievement_id, job_family_document
from passport.catalog.models import JobFamily
from passport.cohorts.schedule import learner_schedule
from passport.errors import NotFound
from passport.mentoring.events import my_signups
from passport.web.auth import home_of
from passport.web.context import get_services
from passport.web.passport_pages import passport_page
from passport.web.sessions import require_role

__all__ = ["bp", "catalog_bp"]

bp = Blueprint("learner", __name__, url_prefix="/my")
catalog_bp = Blueprint("catalog", __name__)


@bp.get("/account")
@require_role(*ROLES)
def account() -> WerkzeugResponse:
    """Where "My account" leads: learners to their badges, every other role to its home
    (:func:`passport.web.auth.home_of`: the dashboard, the outcomes, the verify page)."""
    if g.user.role == "learner":
        return redirect(url_for("holder.overview"))
    return redirect(home_of(g.user.role))


@bp.get("/")
@require_role("learner")
def badges() -> str:
    """The learner's home: their passport (the same page as ``/passport``)."""
    return passport_page()


@bp.get("/schedule")
@require_role("learner")
def schedule() -> str:
    services = get_services()
    now = services.now()
    with services.session() as db:
        schedule = learner_schedule(db, g.user, now=now)
        return render_template(
            "learner/schedule.html",
            my_events=my_signups(db, g.user, now=now),
            cohorts=schedule.cohorts,
            upcoming=schedule.upcoming,
            past=schedule.past,
            attended=schedule.attended,
            # sessions over, so open to feedback (passport.mentoring.feedback)
            ended={
                s.id for s in schedule.past if s.starts_at + timedelta(minutes=s.minutes) <= now
            },
        )


# -- public job-family documents --------------------------------------------------------------


def _json(document: Any) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _wants_html() -> bool:
    """A person's browser asks for HTML first; programs (and no Accept header) get JSON."""
    best = request.accept_mimetypes.best_match(
        ["application/json", "text/html"], default="application/json"
    )
    return best == "text/html"


def _page(html: str) -> Response:
    # Not cached publicly: the page's header shows whether the visitor is logged in.
    return Response(html, mimetype="text/html")


def _negotiated(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    return response


@catalog_bp.get("/job-families")
def job_families() -> Response:
    services = get_services()
    public_url = services.settings.public_url
    with services.session() as db:
        families = list(db.scalars(select(JobFamily).order_by(JobFamily.id)))
        if _wants_html():
            live = sorted((f for f in families if f.retired_at is None), key=lambda f: f.name)
            return _negotiated(
                _page(render_template("job_families.html", families=live, levels=LEVEL_NAMES))
            )
        documents = [job_family_document(family, public_url=public_url) for family in families]
    return _negotiated(_json({"id": f"{public_url}/job-families", "jobFamilies": documents}))


@catalog_bp.get("/job-families/<family_id>")
def job_family(family_id: str) -> Response:
    services = get_services()
    with services.session() as db:
        family = db.get(JobFamily, family_id)
        if family is None:
            raise NotFound("No job family with that id.", code="unknown_job_family")
        if _wants_html():
            requirements = sorted(
                family.requirements, key=lambda r: (-r.min_level, r.skill.name.lower())
            )
            return _negotiated(
                _page(
                    render_template(
                        "job_family.html",
                        family=family,
                        requirements=requirements,
                        levels=LEVEL_NAMES,
                        achievement_id=achievement_id,
                    )
                )
            )
        document = job_family_document(family, public_url=services.settings.public_url)
    return _negotiated(_json(document))
