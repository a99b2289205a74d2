"""Applications pages of the hiring blueprint: a role's applications, one application's fit
report, and the decision on it (shortlist, decline, moved). Hiring managers and admins only.

The views only translate HTTP: the rules are :mod:`passport.mobility.applications`.
"""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import JobFamily
from passport.errors import Conflict, InvalidRequest
from passport.mobility.applications import (
    DECISIONS,
    MAX_NOTE_CHARS,
    application_fit,
    applications_for,
    decide,
)
from passport.mobility.roles import find_managed_role
from passport.web.application_status import application_status_names
from passport.web.context import get_services
from passport.web.hiring.common import HIRING_ROLES
from passport.web.hiring.common import bp as bp
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__ = ["bp"]


@bp.get("/roles/<int:role_id>/applications")
@require_role(*HIRING_ROLES)
def applications(role_id: int) -> str:
    """The role's applications: applicant, date, status, badges shared, a link to each."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        role = find_managed_role(db, role_id, g.user)
        rows = applications_for(db, role_id, now=now, manager=g.user)
        family = db.get(JobFamily, role.job_family_id)
        return render_template(
            "hiring/applications_list.html",
            role=role,
            rows=rows,
            family_name=family.name if family is not None else role.job_family_id,
            status_names=application_status_names(for_hiring=True),
        )


def _fit_page(application_id: int, *, error: str | None = None, note: str = "") -> str:
    services = get_services()
    with services.session() as db:
        report = application_fit(services, db, application_id, manager=g.user)
        return render_template(
            "hiring/applications_detail.html",
            report=report,
            error=error,
            note=note,
            decisions=DECISIONS,
            status_names=application_status_names(for_hiring=True),
            level_names=LEVEL_NAMES,
            max_note=MAX_NOTE_CHARS,
        )


@bp.get("/applications/<int:application_id>")
@require_role(*HIRING_ROLES)
def application(application_id: int) -> str:
    """One application's fit report and the decision form."""
    return _fit_page(application_id)


@bp.post("/applications/<int:application_id>/decision")
@require_role(*HIRING_ROLES)
def decide_application(application_id: int) -> Response:
    """Record a decision; ``moved`` writes a ``moved`` people event."""
    services = get_services()
    status = request.form.get("decision", "")
    note = request.form.get("note", "")
    try:
        with services.session() as db:
            decide(
                db,
                application_id,
                status,
                actor=g.user.email,
                note=note,
                now=services.now(),
                secret_key=services.settings.secret_key,
                manager=g.user,
            )
    except (InvalidRequest, Conflict) as exc:
        code = 409 if isinstance(exc, Conflict) else 400
        return make_response(_fit_page(application_id, error=_(exc.message), note=note), code)
    flash(
        {
            "shortlisted": _("Shortlisted."),
            "declined": _("Declined."),
            "moved": _("Recorded: the applicant moved to the role. The outcomes count the move."),
        }[status],
        "ok",
    )
    return redirect(url_for("hiring.application", application_id=application_id))
