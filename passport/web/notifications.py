"""A person's e-mail choices: ``/my/notifications`` and the unsubscribe link of each mail.

``/my/notifications`` (signed in) shows a checkbox for each optional kind of mail
(:data:`passport.jobs.preferences.OPTIONAL_CATEGORIES`; the failed-jobs report only to
administrators) and saves them. ``/unsubscribe/<token>`` is where the footer link and the
``List-Unsubscribe`` header of optional mail lead: GET asks to confirm with a button, POST turns
that kind of mail off. The POST is exempt from CSRF because mail clients send it without a
session (RFC 8058 one-click: ``List-Unsubscribe=One-Click`` in the body); what protects it is
the token itself, signed with the secret key, which names exactly one person and one kind of
mail and can only turn mail off.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import ROLES
from passport.jobs.preferences import (
    CATEGORY_LABELS,
    N_,
    OPTIONAL_CATEGORIES,
    BadUnsubscribeToken,
    mail_preferences,
    read_unsubscribe_token,
    set_mail_preference,
    unsubscribe,
)
from passport.web.context import get_services
from passport.web.security import csrf_exempt
from passport.web.sessions import require_role

__all__ = ["bp"]

bp = Blueprint("notifications", __name__)

SAVED = N_("Your e-mail choices are saved.")
#: Categories only administrators are offered.
ADMIN_ONLY = frozenset({"failed_report"})


def _offered(role: str) -> list[str]:
    return [name for name in OPTIONAL_CATEGORIES if role == "admin" or name not in ADMIN_ONLY]


@bp.get("/my/notifications")
@require_role(*ROLES)
def show() -> str:
    services = get_services()
    with services.sessions() as db:
        chosen = mail_preferences(db, g.user.id)
    return render_template(
        "my_notifications.html",
        categories=[(name, CATEGORY_LABELS[name], chosen[name]) for name in _offered(g.user.role)],
    )


@bp.post("/my/notifications")
@require_role(*ROLES)
def save() -> WerkzeugResponse:
    services = get_services()
    wanted = set(request.form.getlist("category"))
    with services.session() as db:
        for name in _offered(g.user.role):
            set_mail_preference(db, g.user.id, name, name in wanted, now=services.now())
    flash(SAVED, "ok")
    return redirect(url_for("notifications.show"), 303)


@bp.get("/unsubscribe/<token>")
def confirm_unsubscribe(token: str) -> str | tuple[str, int]:
    services = get_services()
    try:
        wanted = read_unsubscribe_token(services.settings.secret_key, token)
    except BadUnsubscribeToken as exc:
        return render_template("unsubscribe.html", error=exc), 400
    return render_template(
        "unsubscribe.html", token=token, label=CATEGORY_LABELS[wanted.category], done=False
    )


@bp.post("/unsubscribe/<token>")
@csrf_exempt
def do_unsubscribe(token: str) -> str | tuple[str, int]:
    services = get_services()
    try:
        with services.session() as db:
            wanted = unsubscribe(db, services.settings.secret_key, token, now=services.now())
    except BadUnsubscribeToken as exc:
        return render_template("unsubscribe.html", error=exc), 400
    return render_template(
        "unsubscribe.html", token=token, label=CATEGORY_LABELS[wanted.category], done=True
    )
