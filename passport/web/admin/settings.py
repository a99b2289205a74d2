"""``/admin/settings``: the organisation's settings — its time zone, in which every page shows
times to people who have not chosen their own (stored times stay UTC), and whether assessors may
assess themselves (not by default). Administrators only.

The use cases are :func:`passport.accounts.preferences.set_org_time_zone` and
:func:`passport.accounts.separation.set_self_assessment_allowed` (both audited).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from passport.accounts.preferences import (
    N_,
    org_time_zone,
    set_org_time_zone,
    time_zone_names,
)
from passport.accounts.separation import self_assessment_allowed, set_self_assessment_allowed
from passport.errors import InvalidRequest
from passport.web.admin.common import Page, actor_email, bp
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []

SAVED = N_("The organisation's settings are saved.")


def _page(time_zone: str, allow_self: bool, error: InvalidRequest | None = None) -> str:
    return render_template(
        "admin/settings.html",
        time_zone=time_zone,
        zones=time_zone_names(),
        allow_self_assessment=allow_self,
        error=error,
    )


@bp.get("/settings")
@require_role("admin")
def settings() -> Page:
    services = get_services()
    with services.sessions() as db:
        return _page(org_time_zone(db), self_assessment_allowed(db))


@bp.post("/settings")
@require_role("admin")
def save_settings() -> Page:
    value = request.form.get("time_zone", "").strip()[:64]
    allow_self = request.form.get("allow_self_assessment") == "yes"
    services = get_services()
    try:
        with services.session() as db:
            set_org_time_zone(db, value, actor=actor_email(), at=services.now())
            set_self_assessment_allowed(db, allow_self, actor=actor_email(), at=services.now())
    except InvalidRequest as exc:
        return _page(value, allow_self, exc), 400
    flash(SAVED, "ok")
    return redirect(url_for("admin.settings"), 303)
