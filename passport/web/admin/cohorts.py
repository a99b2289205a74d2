"""Cohort pages: plan a cohort, its members, target skills, sessions, attendance and notes.

The rules live in :mod:`passport.cohorts.cohorts`; these views read the forms and show results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.models import User
from passport.catalog.skills import assessable_achievements
from passport.cohorts import cohorts as use_cases
from passport.cohorts.models import Cohort, MentoringSession
from passport.errors import InvalidRequest
from passport.mentoring import matching
from passport.web.admin.common import (
    Page,
    bp,
    form_date,
    form_datetime,
    form_int,
    form_text,
    pager,
    problem,
    search_text,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.i18n import ngettext, to_local
from passport.web.sessions import require_role

__all__: list[str] = []

_Action = Callable[[Session, Cohort], str | None]


@bp.get("/cohorts")
@require_role("admin", "mentor")
def cohorts() -> Page:
    services = get_services()
    query = search_text()
    with services.session() as db:
        paging = pager(use_cases.count_cohorts(db, g.user, query=query), "q")
        rows = use_cases.visible_cohorts(
            db, g.user, query=query, limit=paging.limit, offset=paging.offset
        )
        return render_template("admin/cohorts.html", rows=rows, pager=paging, query=query)


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
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        return render_template("admin/cohort_new.html", values=values, error=None)
    error_fields = {"bad_dates": "ends_on", "missing_field": "name", "field_too_long": "name"}
    values.update({k: request.form.get(k, "") for k in values})
    try:
        name = form_text("name", _("The name"), max_length=200, required=True)
        description = form_text("description", _("The description"), max_length=5000)
        starts_on = form_date(request.form.get("starts_on"), _("The start date"))
        ends_on = (
            form_date(request.form.get("ends_on"), _("The end date"))
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
        field = error_fields.get(exc.code, "starts_on")
        if exc.code == "bad_date" and "end" in exc.message:
            field = "ends_on"
        page = render_template(
            "admin/cohort_new.html", values=values, error=problem(exc), error_field=field
        )
        return page, 400
    flash(_("Cohort %(name)s created.", name=name), "ok")
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
        # Retired skills and skill levels are not offered as new targets.
        groups = [
            (skill, [a for a in levels if a.id not in targeted and a.retired_at is None])
            for skill, levels in assessable_achievements(db)
            if skill.retired_at is None
        ]
        targets = matching.cohort_targets(overview.cohort)
        members = {m.user_id for m in overview.cohort.members}
        suggested = (
            [
                s
                for s in matching.suggest_mentors(db, targets, now=services.now())
                if s.user_id not in members
            ]
            if targets
            else []
        )
        choices = _session_choices(db, overview.cohort)
        return render_template(
            "admin/cohort.html",
            suggested=suggested,
            target_names={
                (t.achievement.skill_id, t.achievement.level): t.achievement.name
                for t in overview.cohort.target_skills
            },
            feedback_minimum=matching.FEEDBACK_MIN_RESPONSES,
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
            session_mentors=choices[0],
            session_targets=choices[1],
            default_mentor=str(use_cases.default_mentor(overview.cohort) or ""),
            default_target="|".join(map(str, use_cases.default_target(overview.cohort) or ())),
        )


def _session_choices(
    db: Session, cohort: Cohort, meeting: MentoringSession | None = None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The options of a session form: its mentor (the cohort's mentors, and the session's own
    if no longer one) and what it teaches (the cohort's targets, and the session's own), as
    (value, label)."""
    people = [(str(m.user_id), m.user.name) for m in use_cases.mentors(cohort)]
    listed = {value for value, _label in people}
    if (
        meeting is not None
        and meeting.mentor_id is not None
        and str(meeting.mentor_id) not in listed
    ):
        user = db.get(User, meeting.mentor_id)
        people.append((str(meeting.mentor_id), user.name if user else ""))
    targets = [(f"{s}|{lv}", name) for s, lv, name in use_cases.session_targets(cohort)]
    if meeting is not None and meeting.skill_id is not None and meeting.level is not None:
        own = f"{meeting.skill_id}|{meeting.level}"
        if own not in {value for value, _label in targets}:
            label = _("%(skill)s, level %(level)d", skill=meeting.skill_id, level=meeting.level)
            targets.append((own, label))
    return people, targets


def _session_lead_form() -> tuple[int | None, str | None, int | None]:
    """The mentor id, skill id and level a session form chose (each None for none)."""
    mentor = request.form.get("mentor", "").strip()
    mentor_id = None
    if mentor:
        if not mentor.isdigit():
            raise InvalidRequest(
                _("Choose the session's mentor from the list."), code="not_a_mentor"
            )
        mentor_id = int(mentor)
    skill, _sep, level = request.form.get("target", "").strip().rpartition("|")
    if not skill:
        return mentor_id, None, None
    if not level.isdigit():
        raise InvalidRequest(_("Choose what the session teaches from the list."), code="bad_level")
    return mentor_id, skill, int(level)


def _cohort_action(cohort_id: int, action: _Action, done: str) -> WerkzeugResponse:
    """Run ``action(db, cohort)`` for a cohort form; show its problem, or ``done`` and the
    warning it returned."""
    services = get_services()
    try:
        with services.session() as db:
            message = action(db, use_cases.managed_cohort(db, cohort_id, g.user))
    except InvalidRequest as exc:
        flash(problem(exc), "error")
    else:
        flash(done, "ok")
        if message:
            flash(message, "warning")
    return redirect(url_for("admin.cohort", cohort_id=cohort_id))


@bp.post("/cohorts/<int:cohort_id>/members")
@require_role("admin", "mentor")
def cohort_member_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> str | None:
        role = request.form.get("role", "")
        email = form_text("email", "The e-mail address", max_length=320, required=True)
        try:
            over = matching.add_cohort_member(
                db, cohort, g.user, email=email, role=role, now=get_services().now()
            )
        except InvalidRequest as exc:
            if exc.code != "mentor_not_eligible":
                raise
            raise InvalidRequest(
                _(
                    "This person holds no current badge one level above any of this cohort's "
                    "target skills and has no exception for them, so cannot mentor it."
                ),
                code=exc.code,
            ) from exc
        if over is None:
            return None
        return _(
            "This cohort now has %(learners)d learners, more than its mentors take together "
            "(%(cap)d). Add a mentor or raise a mentor's cap.",
            learners=over.learners,
            cap=over.cap,
        )

    return _cohort_action(cohort_id, add, _("Member added."))


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@require_role("admin", "mentor")
def cohort_member_remove(cohort_id: int, user_id: int) -> WerkzeugResponse:
    def remove(db: Session, cohort: Cohort) -> None:
        use_cases.remove_member(db, cohort, g.user, user_id=user_id, now=get_services().now())

    return _cohort_action(cohort_id, remove, _("Member removed."))


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

    return _cohort_action(cohort_id, add, _("Target skill added."))


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

    return _cohort_action(cohort_id, remove, _("Target skill removed."))


@bp.post("/cohorts/<int:cohort_id>/sessions")
@require_role("admin", "mentor")
def cohort_session_add(cohort_id: int) -> WerkzeugResponse:
    low, high = use_cases.SESSION_MINUTES

    def add(db: Session, cohort: Cohort) -> str | None:
        mentor_id, skill_id, level = _session_lead_form()
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
            mentor_id=mentor_id,
            skill_id=skill_id,
            level=level,
        )

    return _cohort_action(cohort_id, add, _("Session added."))


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

    return _cohort_action(cohort_id, record, _("Attendance saved."))


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

    return _cohort_action(cohort_id, add, _("Note saved."))


# -- edit and delete (#16) --------------------------------------------------------------------


def _cohort_values(cohort: Cohort) -> dict[str, str]:
    return {
        "name": cohort.name,
        "description": cohort.description or "",
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
    }


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_edit(cohort_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        cohort = use_cases.managed_cohort(db, cohort_id, g.user)
        values = _cohort_values(cohort)
        name = cohort.name
    error = error_field = None
    if request.method == "POST":
        values.update({k: request.form.get(k, "") for k in values})
        try:
            new_name = form_text("name", _("The name"), max_length=200, required=True)
            description = form_text("description", _("The description"), max_length=5000)
            starts_on = form_date(request.form.get("starts_on"), _("The start date"))
            ends_on = form_date(request.form.get("ends_on"), _("The end date"))
            with services.session() as db:
                warning = use_cases.update_cohort(
                    db,
                    use_cases.managed_cohort(db, cohort_id, g.user),
                    g.user,
                    name=new_name,
                    description=description,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    now=services.now(),
                )
        except InvalidRequest as exc:
            error = problem(exc)
            error_field = {"bad_dates": "ends_on", "bad_date": "starts_on"}.get(exc.code, "name")
            if exc.code == "bad_date" and "end" in exc.message:
                error_field = "ends_on"
        else:
            flash(_("Changes to %(name)s saved.", name=new_name), "ok")
            if warning:
                flash(warning, "warning")
            return redirect(url_for("admin.cohort", cohort_id=cohort_id))
    page = render_template(
        "admin/cohort_edit.html",
        cohort_id=cohort_id,
        name=name,
        values=values,
        error=error,
        error_field=error_field,
    )
    return page, 400 if error else 200


def _consequences(summary: use_cases.DeletionSummary) -> list[str]:
    return [
        ngettext("%(num)d session", "%(num)d sessions", summary.sessions),
        ngettext("%(num)d attendance mark", "%(num)d attendance marks", summary.attendance),
        ngettext("%(num)d mentor note", "%(num)d mentor notes", summary.notes),
        ngettext("%(num)d membership", "%(num)d memberships", summary.members),
        ngettext("%(num)d target skill", "%(num)d target skills", summary.targets),
    ]


@bp.route("/cohorts/<int:cohort_id>/delete", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_delete(cohort_id: int) -> Page:
    """GET: what deleting the cohort removes and keeps; POST (the confirmation): delete it."""
    services = get_services()
    if request.method == "POST":
        with services.session() as db:
            name = use_cases.delete_cohort(
                db, use_cases.managed_cohort(db, cohort_id, g.user), g.user, now=services.now()
            )
        flash(_("The cohort %(name)s was deleted.", name=name), "ok")
        return redirect(url_for("admin.cohorts"))
    with services.session() as db:
        cohort = use_cases.managed_cohort(db, cohort_id, g.user)
        summary = use_cases.deletion_summary(db, cohort)
        return render_template(
            "admin/confirm.html",
            title=_("Delete the cohort %(name)s?", name=cohort.name),
            removes=_consequences(summary),
            keeps=[
                _("Every badge stays valid: badges are never deleted."),
                ngettext(
                    "%(num)d assessment recorded in this cohort stays, without the link to it.",
                    "%(num)d assessments recorded in this cohort stay, without the link to it.",
                    summary.assessments,
                ),
                _("The people stay: their accounts are not touched."),
            ],
            action=url_for("admin.cohort_delete", cohort_id=cohort_id),
            button=_("Delete the cohort for good"),
            cancel=url_for("admin.cohort", cohort_id=cohort_id),
            cancel_label=_("Cancel and keep the cohort"),
        )


@bp.route("/cohorts/<int:cohort_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_session_edit(cohort_id: int, session_id: int) -> Page:
    services = get_services()
    low, high = use_cases.SESSION_MINUTES
    with services.session() as db:
        cohort = use_cases.managed_cohort(db, cohort_id, g.user)
        meeting = use_cases.managed_session(cohort, session_id)
        values = {
            "title": meeting.title,
            "learning_outcome": meeting.learning_outcome,
            "starts_at": to_local(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "minutes": str(meeting.minutes),
            "mentor": str(meeting.mentor_id or ""),
            "target": f"{meeting.skill_id}|{meeting.level}" if meeting.skill_id else "",
        }
        mentor_choices, target_choices = _session_choices(db, cohort, meeting)
        cohort_name = cohort.name
    error = error_field = None
    if request.method == "POST":
        values.update({k: request.form.get(k, "") for k in values})
        fields = {
            "title": "title",
            "learning_outcome": "learning_outcome",
            "bad_datetime": "starts_at",
            "bad_number": "minutes",
            "not_a_mentor": "mentor",
            "bad_skill": "target",
            "unknown_skill": "target",
            "bad_level": "target",
        }
        try:
            title = form_text("title", _("The title"), max_length=200, required=True)
            outcome = form_text(
                "learning_outcome", _("The learning outcome"), max_length=2000, required=True
            )
            starts_at = form_datetime(request.form.get("starts_at"), _("The start"))
            minutes = form_int(
                request.form.get("minutes"), _("The length in minutes"), low=low, high=high
            )
            mentor_id, skill_id, level = _session_lead_form()
            with services.session() as db:
                warning = use_cases.update_session(
                    db,
                    use_cases.managed_cohort(db, cohort_id, g.user),
                    g.user,
                    session_id=session_id,
                    title=title,
                    learning_outcome=outcome,
                    starts_at=starts_at,
                    minutes=minutes,
                    now=services.now(),
                    mentor_id=mentor_id,
                    skill_id=skill_id,
                    level=level,
                )
        except InvalidRequest as exc:
            error = problem(exc)
            error_field = fields.get(exc.code)
            if error_field is None:
                error_field = "learning_outcome" if "outcome" in exc.message else "title"
        else:
            flash(_("Session %(title)s saved.", title=title), "ok")
            if warning:
                flash(warning, "warning")
            return redirect(url_for("admin.cohort", cohort_id=cohort_id, _anchor="sessions"))
    page = render_template(
        "admin/session_edit.html",
        cohort_id=cohort_id,
        cohort_name=cohort_name,
        session_id=session_id,
        values=values,
        error=error,
        error_field=error_field,
        low=low,
        high=high,
        mentor_choices=mentor_choices,
        target_choices=target_choices,
    )
    return page, 400 if error else 200


@bp.route("/cohorts/<int:cohort_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_session_delete(cohort_id: int, session_id: int) -> Page:
    """GET: what deleting the session removes; POST (the confirmation): delete it."""
    services = get_services()
    if request.method == "POST":
        with services.session() as db:
            title = use_cases.delete_session(
                db,
                use_cases.managed_cohort(db, cohort_id, g.user),
                g.user,
                session_id=session_id,
                now=services.now(),
            )
        flash(_("The session %(title)s was deleted.", title=title), "ok")
        return redirect(url_for("admin.cohort", cohort_id=cohort_id, _anchor="sessions"))
    with services.session() as db:
        cohort = use_cases.managed_cohort(db, cohort_id, g.user)
        meeting = use_cases.managed_session(cohort, session_id)
        marks = use_cases.session_deletion_summary(meeting)
        return render_template(
            "admin/confirm.html",
            title=_("Delete the session %(title)s?", title=meeting.title),
            removes=[
                _("The session on %(when)s and its learning outcome", when=_when(meeting)),
                ngettext("%(num)d attendance mark", "%(num)d attendance marks", marks),
            ],
            keeps=[
                _("The cohort %(name)s, its other sessions and its notes", name=cohort.name),
                _("Every badge stays valid: badges are never deleted."),
            ],
            action=url_for(
                "admin.cohort_session_delete", cohort_id=cohort_id, session_id=session_id
            ),
            button=_("Delete the session for good"),
            cancel=url_for("admin.cohort", cohort_id=cohort_id, _anchor="sessions"),
            cancel_label=_("Cancel and keep the session"),
        )


def _when(meeting: MentoringSession) -> str:
    from passport.web.i18n import format_datetime

    return format_datetime(meeting.starts_at)
