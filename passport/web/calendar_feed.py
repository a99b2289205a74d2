"""A person's calendar feed: ``/calendar/<secret>.ics`` and the "Your calendar" section.

The feed needs no sign-in: calendar programs fetch it on their own, so the secret in the URL
is the credential (:mod:`passport.mentoring.calendar` derives and checks it). Every failure is
the same 404. Answers carry ``ETag``/``Last-Modified`` and ``Cache-Control: private,
max-age=300``; a conditional GET that matches gets 304. The feed counts against the ``api``
rate limit. ``POST /my/calendar/rotate`` (signed in, CSRF) makes a new link; the old one stops
working at once. The section is ``_calendar_feed.html``, shown on ``/my/preferences``; it reads
the URL through the ``calendar_feed_link()`` template global.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import ROLES
from passport.jobs.preferences import N_
from passport.mentoring.calendar import feed_document, feed_url, rotate_feed
from passport.web.context import get_services
from passport.web.security import rate_limited
from passport.web.sessions import require_role

__all__ = ["bp", "calendar_feed_link"]

bp = Blueprint("calendar_feed", __name__)

ROTATED = N_("Your calendar has a new link. The old link no longer works: add the new one.")


@bp.app_template_global()
def calendar_feed_link() -> dict[str, str]:
    """The signed-in person's feed URL and its ``webcal://`` form (for the include)."""
    services = get_services()
    settings = services.settings
    with services.sessions() as db:
        url = feed_url(db, settings.secret_key, settings.public_url, g.user.id)
    scheme, _, rest = url.partition("://")
    return {"url": url, "webcal": f"webcal://{rest}" if scheme in ("http", "https") else url}


@bp.get("/calendar/<secret>.ics")
@rate_limited("api", methods=("GET",))
def feed(secret: str) -> WerkzeugResponse:
    services = get_services()
    settings = services.settings
    with services.sessions() as db:
        document = feed_document(
            db, settings.secret_key, secret, base=settings.public_url, now=services.now()
        )
    response = Response(document.body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="skill-passport.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(document.etag)
    if document.last_modified is not None:
        response.last_modified = document.last_modified
    return response.make_conditional(request)


@bp.post("/my/calendar/rotate")
@require_role(*ROLES)
def rotate() -> WerkzeugResponse:
    services = get_services()
    with services.session() as db:
        rotate_feed(db, g.user.id, actor=g.user.email, now=services.now())
    flash(ROTATED, "ok")
    return redirect(url_for("preferences.show") + "#calendar-heading", 303)
