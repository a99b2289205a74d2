"""Log in and out (HTML forms, CSRF-protected)."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.users import authenticate_user
from passport.audit import AuditEvent
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.security import rate_limited
from passport.web.sessions import login_user, logout_user, safe_next

__all__ = ["bp"]

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("login")
def login() -> str | Response | WerkzeugResponse:
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        return render_template("login.html", next=request.args.get("next", ""))
    services = get_services()
    if not services.settings.password_login:
        # PASSPORT_PASSWORD_LOGIN=off: single sign-on is the only way in.
        page = render_template(
            "login.html",
            error=_("Logging in with a password is turned off here; use single sign-on."),
            error_code="password_login_disabled",
            next=request.form.get("next", ""),
        )
        return Response(page, status=403)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    with services.session() as db:
        user = authenticate_user(db, email, password)
        if user is None:
            db.add(AuditEvent(actor=email[:200] or "?", action="login.failed"))
        else:
            login_user(user)
            db.add(AuditEvent(actor=user.email, action="login"))
            role = user.role
    if user is None:
        page = render_template(
            "login.html",
            error=_("That e-mail and password do not match."),
            email=email[:320],
            next=request.form.get("next", ""),
        )
        return Response(page, status=401)
    default = url_for("admin.dashboard") if role != "learner" else url_for("learner.badges")
    return redirect(safe_next(request.form.get("next")) or default)


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    logout_user()
    return redirect(url_for("public.home"))
