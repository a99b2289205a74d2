"""Cohort pages: plan a cohort, its members, target skills, sessions, attendance and notes.

The rules live in :mod:`passport.cohorts.cohorts`; these views read the forms and show results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.catalog.skills import assessable_achievements
from passport.cohorts import cohorts as use_cases
from passport.cohorts.models import Cohort
from passport.errors import InvalidRequest
from passport.web.admin.common import (
    Page,
    bp,
    form_date,
    form_datetime,
    form_int,
    form_text,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []

_Action = Callable[[Session, Cohort], str | None]


@bp.get("/cohorts")
@require_role("admin", "mentor")
def cohorts() -> Page:
    services = get_services()
    with services.session() as db:
        rows = use_cases.visible_cohorts(db, g.user)
        return render_template("admin/cohorts.html", rows=rows)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_new() -> Page:
    services = get_services()
    today = services.now().date()
    values = {
        "name": "",
        "description": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(weeks=use_cases.DEFAULT_COHORT_WEEKS)).isoformat(),
    }
    if request.method == "GET":
        return render_template("admin/cohort_new.html", values=values, error=None)
    values.update({k: request.form.get(k, "") for k in values})
    try:
        name = form_text("name", "The name", max_length=200, required=True)
        description = form_text("description", "The description", max_length=5000)
        starts_on = form_date(request.form.get("starts_on"), "The start date")
        ends_on = (
            form_date(request.form.get("ends_on"), "The end date")
            if request.form.get("ends_on", "").strip()
            else None
        )
        with services.session() as db:
            cohort = use_cases.create_cohort(
                db,
                g.user,
                name=name,
                description=description,
                starts_on=starts_on,
                ends_on=ends_on,
                now=services.now(),
            )
            cohort_id, ends_on = cohort.id, cohort.ends_on
    except InvalidRequest as exc:
        return render_template("admin/cohort_new.html", values=values, error=exc.message), 400
    flash(f"Cohort {name} created.", "ok")
    warning = use_cases.duration_warning(starts_on, ends_on)
    if warning:
        flash(warning, "warning")
    return redirect(url_for("admin.cohort", cohort_id=cohort_id))


@bp.get("/cohorts/<int:cohort_id>")
@require_role("admin", "mentor")
def cohort(cohort_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        overview = use_cases.cohort_overview(db, use_cases.managed_cohort(db, cohort_id, g.user))
        targeted = {t.achievement_id for t in overview.cohort.target_skills}
        groups = [
            (skill, [a for a in levels if a.id not in targeted])
            for skill, levels in assessable_achievements(db)
        ]
        return render_template(
            "admin/cohort.html",
            cohort=overview.cohort,
            mentors=overview.mentors,
            learners=overview.learners,
            present=overview.present,
            attended=overview.attended,
            notes=overview.notes,
            people=overview.people,
            groups=[group for group in groups if group[1]],
            warnings=overview.warnings,
            now=services.now(),
        )


def _cohort_action(cohort_id: int, action: _Action, done: str) -> WerkzeugResponse:
    """Run ``action(db, cohort)`` for a cohort form; show its problem, or ``done`` and the
    warning it returned."""
    services = get_services()
    try:
        with services.session() as db:
            message = action(db, use_cases.managed_cohort(db, cohort_id, g.user))
    except InvalidRequest as exc:
        flash(exc.message, "error")
    else:
        flash(done, "ok")
        if message:
            flash(message, "warning")
    return redirect(url_for("admin.cohort", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/members")
@require_role("admin", "mentor")
def cohort_member_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> None:
        role = request.form.get("role", "")
        email = form_text("email", "The e-mail address", max_length=320, required=True)
        use_cases.add_member(db, cohort, g.user, email=email, role=role, now=get_services().now())

    return _cohort_action(cohort_id, add, "Member added.")


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@require_role("admin", "mentor")
def cohort_member_remove(cohort_id: int, user_id: int) -> WerkzeugResponse:
    def remove(db: Session, cohort: Cohort) -> None:
        use_cases.remove_member(db, cohort, g.user, user_id=user_id, now=get_services().now())

    return _cohort_action(cohort_id, remove, "Member removed.")


@bp.post("/cohorts/<int:cohort_id>/skills")
@require_role("admin", "mentor")
def cohort_skill_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> None:
        use_cases.add_target(
            db,
            cohort,
            g.user,
            achievement_id=request.form.get("achievement", ""),
            now=get_services().now(),
        )

    return _cohort_action(cohort_id, add, "Target skill added.")


@bp.post("/cohorts/<int:cohort_id>/skills/remove")
@require_role("admin", "mentor")
def cohort_skill_remove(cohort_id: int) -> WerkzeugResponse:
    def remove(db: Session, cohort: Cohort) -> None:
        use_cases.remove_target(
            db,
            cohort,
            g.user,
            achievement_id=request.form.get("achievement", ""),
            now=get_services().now(),
        )

    return _cohort_action(cohort_id, remove, "Target skill removed.")


@bp.post("/cohorts/<int:cohort_id>/sessions")
@require_role("admin", "mentor")
def cohort_session_add(cohort_id: int) -> WerkzeugResponse:
    low, high = use_cases.SESSION_MINUTES

    def add(db: Session, cohort: Cohort) -> str | None:
        return use_cases.add_session(
            db,
            cohort,
            g.user,
            title=form_text("title", "The title", max_length=200, required=True),
            learning_outcome=form_text(
                "learning_outcome", "The learning outcome", max_length=2000, required=True
            ),
            starts_at=form_datetime(request.form.get("starts_at"), "The start"),
            minutes=form_int(
                request.form.get("minutes", "60"), "The length in minutes", low=low, high=high
            ),
            now=get_services().now(),
        )

    return _cohort_action(cohort_id, add, "Session added.")


@bp.post("/cohorts/<int:cohort_id>/sessions/<int:session_id>/attendance")
@require_role("admin", "mentor")
def cohort_attendance(cohort_id: int, session_id: int) -> WerkzeugResponse:
    def record(db: Session, cohort: Cohort) -> None:
        present = {
            member.user_id
            for member in use_cases.learners(cohort)
            if request.form.get(f"present-{member.user_id}")
        }
        use_cases.record_attendance(
            db, cohort, g.user, session_id=session_id, present=present, now=get_services().now()
        )

    return _cohort_action(cohort_id, record, "Attendance saved.")


@bp.post("/cohorts/<int:cohort_id>/notes")
@require_role("admin", "mentor")
def cohort_note_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> None:
        text = form_text("text", "The note", max_length=5000, required=True)
        learner_id = None
        if request.form.get("learner", "").strip():
            learner_id = form_int(request.form.get("learner"), "The learner", low=1, high=2**31)
        use_cases.add_note(
            db, cohort, g.user, text=text, learner_id=learner_id, now=get_services().now()
        )

    return _cohort_action(cohort_id, add, "Note saved.")
