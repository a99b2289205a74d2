"""A signed-in person's own account pages under ``/my``: their sessions and their password.

``/my/sessions`` lists the person's open sessions (device, address, how and when they signed
in, last activity) and ends one other session or all others; ``/my/password`` changes the
password (the current one required) and ends every other session. The rules live in
:mod:`passport.accounts.sessions` and :func:`passport.accounts.users.change_password`.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.models import User
from passport.accounts.sessions import (
    Timeouts,
    end_other_session,
    end_user_sessions,
    hash_session_id,
    session_handle,
    user_sessions,
)
from passport.accounts.users import ROLES, change_password
from passport.errors import InvalidRequest, NotFound, TooManyAttempts
from passport.web.auth import check_current_password, too_many_sentence
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import current_session_id, require_role

__all__ = ["bp"]

bp = Blueprint("account", __name__, url_prefix="/my")


def _method_names() -> dict[str, str]:
    return {
        "password": _("password"),
        "password+totp": _("password and authenticator code"),
        "password+recovery_code": _("password and recovery code"),
        "oidc": _("single sign-on"),
        "oidc+totp": _("single sign-on and authenticator code"),
        "oidc+recovery_code": _("single sign-on and recovery code"),
    }


@bp.get("/sessions")
@require_role(*ROLES)
def sessions() -> str:
    services = get_services()
    current = current_session_id()
    current_hash = hash_session_id(current) if current else None
    with services.session() as db:
        rows = user_sessions(
            db, g.user.id, now=services.now(), timeouts=Timeouts.from_settings(services.settings)
        )
    return render_template(
        "my_sessions.html",
        rows=[
            {
                "handle": session_handle(row),
                "current": row.id_hash == current_hash,
                "device": row.user_agent or _("Unknown device"),
                "ip": row.ip or _("Unknown address"),
                "method": _method_names().get(row.method or "", row.method or _("unknown")),
                "created_at": row.created_at,
                "last_seen_at": row.last_seen_at,
            }
            for row in rows
        ],
        idle_minutes=services.settings.session_idle_minutes,
        max_hours=services.settings.session_max_hours,
    )


@bp.post("/sessions/end")
@require_role(*ROLES)
def end_session() -> WerkzeugResponse:
    """End one other session (``session``: its handle) or all others (``all=1``)."""
    services = get_services()
    current = current_session_id()
    with services.session() as db:
        if request.form.get("all") == "1":
            ended = end_user_sessions(db, g.user.id, reason="user_request", keep=current)
            if ended:
                flash(_("Every other session of yours has ended."), "ok")
            else:
                flash(_("You had no other session open."), "ok")
        else:
            try:
                end_other_session(
                    db,
                    g.user.id,
                    request.form.get("session", "")[:64],
                    current=current,
                    now=services.now(),
                    timeouts=Timeouts.from_settings(services.settings),
                )
            except NotFound:
                flash(_("That session has ended already."), "error")
            else:
                flash(_("The session has ended."), "ok")
    return redirect(url_for("account.sessions"))


ERROR_FIELDS = {"wrong_password": "current_password", "weak_password": "new_password"}


@bp.route("/password", methods=["GET", "POST"])
@require_role(*ROLES)
def password() -> WerkzeugResponse | tuple[str, int]:
    """Change the password; a wrong current password counts against the account like a
    failed login (429 with ``Retry-After`` once its allowance is used up)."""
    services = get_services()
    error: str | None = None
    field = ""
    if request.method == "POST":
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        try:
            with services.session() as db:
                user = db.get(User, g.user.id)
                if user is None or not user.password_hash:
                    raise InvalidRequest(
                        _("Your account has no password to change; ask an administrator."),
                        code="no_password",
                    )
                if not check_current_password(user, current, now=services.now()):
                    raise InvalidRequest(
                        _("Your current password is not correct."), code="wrong_password"
                    )
                if new != request.form.get("confirm_password", ""):
                    raise InvalidRequest(
                        _("The two new passwords are not the same."), code="password_mismatch"
                    )
                change_password(
                    db,
                    user,
                    new,
                    actor=user.email,
                    now=services.now(),
                    keep_session=current_session_id(),
                )
        except TooManyAttempts as exc:
            page = render_template(
                "my_password.html", error=too_many_sentence(exc), error_field="current_password"
            )
            return Response(page, status=429, headers={"Retry-After": str(exc.retry_after)})
        except InvalidRequest as exc:
            error = _(exc.message)
            field = ERROR_FIELDS.get(exc.code, "new_password" if exc.code != "no_password" else "")
        else:
            flash(_("Your password is changed. Every other session of yours has ended."), "ok")
            return redirect(url_for("account.password"))
    page = render_template("my_password.html", error=error, error_field=field)
    return page, 400 if error else 200
