"""The learner's side of open roles (``/my/roles``): the open roles with how their own current
badges fit each, applying with chosen badges, and their applications (withdraw at any time).

Any signed-in learner may see the open roles; every query is scoped to ``g.user``, and another
person's application answers like an unknown one. The rules are
:mod:`passport.mobility.applications`; these views only translate HTTP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from passport.catalog.models import JobFamily, Skill
from passport.errors import Conflict, InvalidRequest
from passport.mobility.applications import (
    DEFAULT_DAYS,
    MAX_MESSAGE_CHARS,
    apply,
    my_applications,
    open_roles_for,
    own_current_badges,
    withdraw,
)
from passport.mobility.ranking import assess, requirements_of
from passport.mobility.roles import find_role
from passport.web.application_status import application_status_names
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__ = ["bp"]

bp = Blueprint("learner_roles", __name__, url_prefix="/my/roles")

EXPIRY_CHOICES = (7, 14, 30, 60, 90)


@bp.get("")
@require_role("learner")
def roles() -> str:
    """Open roles with the learner's fit (met x of y), and their applications."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        fits = open_roles_for(db, g.user, now=now)
        mine = my_applications(db, g.user)
        families = {i: n for i, n in db.execute(select(JobFamily.id, JobFamily.name))}
        return render_template(
            "learner/roles_list.html",
            fits=fits,
            mine=mine,
            families=families,
            status_names=application_status_names(for_hiring=False),
        )


def _apply_page(
    role_id: int, *, error: str | None = None, form: dict[str, Any] | None = None
) -> str:
    services = get_services()
    now = services.now()
    with services.session() as db:
        role = find_role(db, role_id)
        badges = own_current_badges(db, g.user, now=now)
        requirements = requirements_of(role)
        counting = {
            s.credential_id
            for s in assess(requirements, [b.held for b in badges])
            if s.credential_id is not None
        }
        skills = {i: n for i, n in db.execute(select(Skill.id, Skill.name))}
        family = db.get(JobFamily, role.job_family_id)
        if form is None:
            form = {"credential": sorted(counting), "message": "", "days": str(DEFAULT_DAYS)}
        return render_template(
            "learner/roles_apply.html",
            role=role,
            family_name=family.name if family is not None else role.job_family_id,
            badges=badges,
            counting=counting,
            requirements=requirements,
            skills=skills,
            form=form,
            error=error,
            expiry_choices=EXPIRY_CHOICES,
            max_message=MAX_MESSAGE_CHARS,
        )


@bp.get("/<int:role_id>/apply")
@require_role("learner")
def apply_form(role_id: int) -> str:
    """The apply form: the learner's current badges, those that count for the role checked."""
    return _apply_page(role_id)


@bp.post("/<int:role_id>/apply")
@require_role("learner")
def apply_to_role(role_id: int) -> Response:
    services = get_services()
    chosen = request.form.getlist("credential")
    message = request.form.get("message", "")
    form: dict[str, Any] = {
        "credential": chosen,
        "message": message,
        "days": request.form.get("days", str(DEFAULT_DAYS)),
    }
    try:
        try:
            days = int(str(form["days"]).strip())
        except ValueError as exc:
            raise InvalidRequest(
                _("Choose how many days the link lasts (1 to %(max)d).", max=365),
                code="invalid_expiry",
            ) from exc
        with services.session() as db:
            apply(
                db,
                services,
                g.user,
                role_id,
                chosen,
                message=message,
                expires_days=days,
                now=services.now(),
            )
    except (InvalidRequest, Conflict) as exc:
        code = 409 if isinstance(exc, Conflict) else 400
        return make_response(_apply_page(role_id, error=_(exc.message), form=form), code)
    flash(
        _(
            "Applied. The hiring manager now sees the badges you chose; "
            "you can withdraw at any time."
        ),
        "ok",
    )
    return redirect(url_for("learner_roles.roles") + "#my-applications")


@bp.post("/applications/<int:application_id>/withdraw")
@require_role("learner")
def withdraw_application(application_id: int) -> Response:
    services = get_services()
    with services.session() as db:
        withdraw(db, g.user, application_id, now=services.now())
    flash(_("Application withdrawn: its share link no longer opens."), "ok")
    return redirect(url_for("learner_roles.roles") + "#my-applications")
