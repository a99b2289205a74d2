"""``/my/preferences``: a signed-in person's page language and time zone.

The form itself is ``_preferences.html``, an include any account page can show (it reads its
values through the ``preference_choices()`` template global); this page shows it on its own.
Saving forgets a language picked from the language links in this session, so the saved setting
applies at once. The use case is :func:`passport.accounts.preferences.set_user_preferences`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.preferences import (
    LOCALES,
    N_,
    org_time_zone,
    set_user_preferences,
    time_zone_names,
)
from passport.accounts.users import ROLES
from passport.errors import InvalidRequest
from passport.web.context import get_services
from passport.web.i18n import SESSION_KEY
from passport.web.sessions import require_role

__all__ = ["bp", "preference_choices"]

bp = Blueprint("preferences", __name__, url_prefix="/my")

SAVED = N_("Your language and time zone are saved.")


def preference_choices(
    values: dict[str, str] | None = None, error: InvalidRequest | None = None
) -> dict[str, Any]:
    """What ``_preferences.html`` shows: the signed-in user's values (or the ones just sent
    back with ``error``), the organisation's zone, the zones to pick from, and the time now (a
    sample of how the pages show times)."""
    services = get_services()
    with services.sessions() as db:
        organisation = org_time_zone(db)
        if values is None:
            from passport.accounts.models import User

            user = db.get(User, session.get("user_id"))
            values = {
                "locale": (user.locale or "") if user else "",
                "time_zone": (user.time_zone or "") if user else "",
            }
    return {
        "values": values,
        "error": error,
        "org_time_zone": organisation,
        "zones": time_zone_names(),
        "locales": LOCALES,
        "now": services.now(),
    }


@bp.get("/preferences")
@require_role(*ROLES)
def show() -> str:
    return render_template("preferences.html", prefs=preference_choices())


@bp.post("/preferences")
@require_role(*ROLES)
def save() -> WerkzeugResponse | tuple[str, int]:
    values = {name: request.form.get(name, "").strip()[:64] for name in ("locale", "time_zone")}
    services = get_services()
    try:
        with services.session() as db:
            set_user_preferences(
                db, g.user.id, locale=values["locale"], time_zone=values["time_zone"]
            )
    except InvalidRequest as exc:
        page = render_template("preferences.html", prefs=preference_choices(values, exc))
        return page, 400
    session.pop(SESSION_KEY, None)
    flash(SAVED, "ok")
    return redirect(url_for("preferences.show"), 303)
