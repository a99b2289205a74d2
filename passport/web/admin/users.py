"""User pages: search and page through accounts, add one, edit one, deactivate/reactivate,
delete (erase, behind a confirmation page that says what goes and what stays).

The rules (the last active administrator stays, a deactivated account cannot log in) live in
:mod:`passport.accounts.users`.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.invitations import invite_user
from passport.accounts.mfa import disable_totp_for
from passport.accounts.models import User
from passport.accounts.users import (
    ROLES,
    count_users,
    create_user,
    erase_user,
    search_users,
    set_user_active,
    update_user,
)
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import Page, actor_email, bp, pager, problem, search_text
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

#: Which form field an error code is about (its message is tied to that field).
ERROR_FIELDS = {
    "bad_email": "email",
    "duplicate_user": "email",
    "unknown_role": "role",
    "last_admin": "role",
    "weak_password": "password",
}

USER_STATUSES = ("active", "deactivated")


def _role_names() -> dict[str, str]:
    return {
        "admin": _("Administrator"),
        "assessor": _("Assessor"),
        "mentor": _("Mentor"),
        "hiring_manager": _("Hiring manager"),
        "analyst": _("Analyst"),
        "learner": _("Learner"),
    }


@bp.route("/users", methods=["GET", "POST"])
@require_role("admin")
def users() -> Page:
    services = get_services()
    values = {"email": "", "name": "", "role": "learner"}
    error = error_field = None
    status = 200
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in values})
        password = request.form.get("password", "")
        try:
            with services.session() as db:
                user = create_user(
                    db,
                    email=values["email"],
                    name=values["name"][:200],
                    role=values["role"],
                    password=password or None,  # none given: the person chooses one
                    actor=actor_email(),
                )
                invited = not password and invite_user(
                    db, services, user, inviter_name=g.user.name, now=services.now()
                )
                created = user.email
        except InvalidRequest as exc:
            error, status = problem(exc, email=values["email"]), 400
            error_field = ERROR_FIELDS.get(exc.code, "email")
        else:
            if invited:
                flash(
                    _(
                        "User %(email)s created. An e-mail with a link to choose a password "
                        "is on its way to them.",
                        email=created,
                    ),
                    "ok",
                )
            else:
                flash(_("User %(email)s created.", email=created), "ok")
            return redirect(url_for("admin.users"))
    query = search_text()
    role = request.args.get("role", "")
    state = request.args.get("status", "")
    with services.session() as db:
        total = count_users(db, query=query, role=role, status=state)
        paging = pager(total, "q", "role", "status")
        rows = search_users(
            db, query=query, role=role, status=state, limit=paging.limit, offset=paging.offset
        )
        page = render_template(
            "admin/users.html",
            rows=rows,
            pager=paging,
            query=query,
            role=role if role in ROLES else "",
            state=state if state in USER_STATUSES else "",
            roles=ROLES,
            role_names=_role_names(),
            values=values,
            error=error,
            error_field=error_field,
            password_login=services.settings.password_login,
        )
        return page, status


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_("No user with that id."), code="unknown_user")
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role("admin")
def user_edit(user_id: int) -> Page:
    services = get_services()
    error = error_field = None
    with services.session() as db:
        user = _user(db, user_id)
        values = {"email": user.email, "name": user.name, "role": user.role}
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in values})
        try:
            with services.session() as db:
                update_user(
                    db,
                    _user(db, user_id),
                    email=values["email"],
                    name=values["name"][:200],
                    role=values["role"],
                    actor=actor_email(),
                    now=services.now(),
                    password=request.form.get("password", "") or None,
                )
        except InvalidRequest as exc:
            error = problem(exc, email=values["email"])
            error_field = ERROR_FIELDS.get(exc.code, "email")
        else:
            flash(_("Changes to %(email)s saved.", email=values["email"].lower()), "ok")
            return redirect(url_for("admin.user_edit", user_id=user_id))
    with services.session() as db:
        page = render_template(
            "admin/user_edit.html",
            user=_user(db, user_id),
            values=values,
            roles=ROLES,
            role_names=_role_names(),
            error=error,
            error_field=error_field,
        )
    return page, 400 if error else 200


@bp.post("/users/<int:user_id>/active")
@require_role("admin")
def user_active(user_id: int) -> WerkzeugResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) an account."""
    services = get_services()
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        raise InvalidRequest(_("Choose whether to deactivate or reactivate."), code="bad_action")
    try:
        with services.session() as db:
            user = _user(db, user_id)
            email = user.email
            set_user_active(db, user, active=active == "1", actor=actor_email(), now=services.now())
    except InvalidRequest as exc:
        flash(problem(exc), "error")
    else:
        if active == "1":
            flash(_("%(email)s is active again and can log in.", email=email), "ok")
        else:
            flash(
                _("%(email)s is deactivated: they can no longer log in.", email=email),
                "ok",
            )
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@require_role("admin")
def user_delete(user_id: int) -> Page | WerkzeugResponse:
    """Erase an account (:func:`passport.accounts.users.erase_user`), after a confirmation."""
    services = get_services()
    if request.method == "POST":
        try:
            with services.session() as db:
                erase_user(
                    db,
                    _user(db, user_id),
                    actor=actor_email(),
                    now=services.now(),
                    secret_key=services.settings.secret_key,
                )
        except InvalidRequest as exc:
            flash(problem(exc), "error")
            return redirect(url_for("admin.user_edit", user_id=user_id))
        flash(_("The account is deleted: its personal data is erased."), "ok")
        return redirect(url_for("admin.users"))
    with services.session() as db:
        user = _user(db, user_id)
        if user.erased_at is not None:
            flash(_("This account was deleted already."), "error")
            return redirect(url_for("admin.user_edit", user_id=user_id))
        name, learner = user.name, user.holder_id is not None
    removes = [
        _(
            "The name %(name)s and the e-mail address: the account keeps only a pseudonym "
            "(erased-…@invalid).",
            name=name,
        ),
        _("The password, the second factor, the language and time zone."),
        _("Every open session: the person is signed out at once and can never log in again."),
        _("In the audit log, the e-mail address is replaced by the pseudonym."),
    ]
    if learner:
        removes.append(
            _("The name, e-mail and DID on their badge record; their share links are revoked.")
        )
    keeps = [
        _(
            "Every badge issued to the person stays valid: it still verifies, and its status "
            "(revoked or not) does not change."
        ),
        _("Assessments, cohort attendance, notes and audit entries stay, under the pseudonym."),
    ]
    page = render_template(
        "admin/confirm.html",
        title=_("Delete the account of %(name)s?", name=name),
        removes=removes,
        keeps=keeps,
        action=url_for("admin.user_delete", user_id=user_id),
        button=_("Delete %(name)s and erase their data", name=name),
        cancel=url_for("admin.user_edit", user_id=user_id),
        cancel_label=_("Keep the account"),
    )
    return page, 200


@bp.post("/users/<int:user_id>/mfa-off")
@require_role("admin")
def user_mfa_off(user_id: int) -> WerkzeugResponse:
    """Turn off a user's lost second factor (audited under the admin's name)."""
    services = get_services()
    with services.session() as db:
        user = _user(db, user_id)
        email = user.email
        disable_totp_for(db, user, actor=actor_email(), now=services.now())
    flash(_("Two-factor sign-in is off for %(email)s.", email=email), "ok")
    return redirect(url_for("admin.user_edit", user_id=user_id))
