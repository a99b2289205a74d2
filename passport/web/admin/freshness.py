"""The "stale soon" page (``/admin/freshness``) and its CSV (``/admin/freshness.csv``).

Per job family, the required skills whose holders' current badges all expire within the
chosen window (30, 60 or 90 days). Administrators see the people, their expiry dates and
whether they are booked on a matching event or in a cohort that ends with the re-assessment;
analysts (who read outcomes) see the counts only, those under 5 as "fewer than 5". The figures
come from :func:`passport.mentoring.freshness.stale_soon`; ``docs/mentoring/freshness.md``
defines them.
"""

from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import select

from passport.catalog.models import JobFamily
from passport.errors import InvalidRequest
from passport.mentoring.freshness import (
    STALE_WINDOWS,
    stale_days,
    stale_soon,
    stale_soon_csv,
)
from passport.web.admin.common import Page, audit_event, bp, download
from passport.web.admin.outcomes import OUTCOMES_ROLES
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []


def _days() -> int:
    try:
        return stale_days(request.args.get("days"))
    except InvalidRequest as exc:
        raise InvalidRequest(_("Choose a window of 30, 60 or 90 days."), code=exc.code) from exc


@bp.get("/freshness")
@require_role(*OUTCOMES_ROLES)
def freshness() -> Page:
    """Every job family's required skills going stale within the window."""
    services = get_services()
    days = _days()
    now = services.now()
    with services.session() as db:
        families = db.scalars(select(JobFamily.id).order_by(JobFamily.name, JobFamily.id)).all()
        results = [stale_soon(db, family, now=now, days=days) for family in families]
    return render_template(
        "admin/freshness.html",
        results=results,
        days=days,
        windows=STALE_WINDOWS,
        names_shown=g.user.role == "admin",
    )


@bp.get("/freshness/<job_family_id>.csv")
@require_role("admin")
def freshness_csv(job_family_id: str) -> Page:
    """One family's list with names, for administrators (cells neutralised); audited."""
    services = get_services()
    days = _days()
    now = services.now()
    with services.session() as db:
        result = stale_soon(db, job_family_id, now=now, days=days)
        audit_event(db, "freshness.export", job_family_id, {"days": days})
    body = stale_soon_csv(result)
    return download(body, mimetype="text/csv", filename=f"stale-soon-{result.id}-{days}d.csv")
