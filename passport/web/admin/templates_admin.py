"""Standard-materials pages: session templates (with their version history and the upcoming
sessions still on an older version), template programs, and a new cohort from a program.

The rules live in :mod:`passport.mentoring.templates`; these views read forms and show results.
Administrators and mentors manage templates; administrators manage programs; whoever may start
a cohort may start one from a program.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import JobFamily, Skill
from passport.errors import InvalidRequest
from passport.mentoring import templates as use_cases
from passport.web.admin.common import Page, bp, form_date, form_int, form_text
from passport.web.admin.common import problem as common_problem
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.i18n import ngettext, page_time_zone_name
from passport.web.sessions import require_role

__all__: list[str] = []

#: Empty item rows a program form offers.
PROGRAM_ROWS = 12
WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)
#: The largest id a PostgreSQL integer column holds; a bigger one is a DataError (a 500).
MAX_ID = 2**31 - 1
#: A number typed in a form: ASCII digits only (str.isdigit() accepts "²", which int() refuses).
_DIGITS = re.compile(r"[0-9]{1,9}")
_FIELD_OF_CODE = {
    "bad_pre_reading_url": "pre_reading",
    "too_many_links": "pre_reading",
    "bad_pre_reading": "pre_reading",
    "unknown_criterion": "criteria",
    "bad_format": "format",
    "bad_minutes": "minutes",
    "unknown_skill": "skill",
    "bad_level": "level",
}


def _weekday_names() -> list[str]:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def _format_names() -> dict[str, str]:
    return {
        "talk": _("Talk"),
        "pairing": _("Pairing"),
        "hands_on": _("Hands-on task"),
        "shadow": _("Shadow rotation"),
    }


def _criteria_of(skill: Skill) -> list[tuple[str, str]]:
    import json

    return [
        (c["id"], str(c.get("name", c["id"])))
        for c in json.loads(skill.criteria or "[]")
        if isinstance(c, dict) and isinstance(c.get("id"), str)
    ]


def _parse_links(text: str) -> list[dict[str, str]]:
    """One link a line: ``Title | https://…`` or just the URL."""
    links = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        title, _sep, url = line.rpartition("|")
        links.append({"title": title.strip() or url.strip(), "url": url.strip()})
    return links


def _content_from_form() -> dict[str, Any]:
    minutes = request.form.get("minutes", "").strip()
    return {
        "title": request.form.get("title", ""),
        "learning_outcome": request.form.get("learning_outcome", ""),
        "agenda": request.form.get("agenda", ""),
        "hands_on_task": request.form.get("hands_on_task", ""),
        "pre_reading": _parse_links(request.form.get("pre_reading", "")),
        "criteria": request.form.getlist("criteria"),
        "format": request.form.get("format", ""),
        "minutes": int(minutes) if _DIGITS.fullmatch(minutes) else minutes or None,
    }


def _values(content: use_cases.TemplateContent | None) -> dict[str, Any]:
    if content is None:
        return {
            "title": "",
            "learning_outcome": "",
            "agenda": "",
            "hands_on_task": "",
            "pre_reading": "",
            "criteria": [],
            "format": "talk",
            "minutes": "45",
        }
    return {
        "title": content.title,
        "learning_outcome": content.learning_outcome,
        "agenda": content.agenda,
        "hands_on_task": content.hands_on_task,
        "pre_reading": "\n".join(f"{r.title} | {r.url}" for r in content.pre_reading),
        "criteria": list(content.criteria),
        "format": content.format,
        "minutes": str(content.minutes),
    }


def _form_values() -> dict[str, Any]:
    return {
        "title": request.form.get("title", ""),
        "learning_outcome": request.form.get("learning_outcome", ""),
        "agenda": request.form.get("agenda", ""),
        "hands_on_task": request.form.get("hands_on_task", ""),
        "pre_reading": request.form.get("pre_reading", ""),
        "criteria": request.form.getlist("criteria"),
        "format": request.form.get("format", ""),
        "minutes": request.form.get("minutes", ""),
    }


def problem(exc: InvalidRequest) -> str:
    """The error's sentence in the page's language: the domain writes English, and the codes
    these pages meet are known here; any other falls back to the shared translations."""
    low, high = use_cases.MINUTES
    first, last = use_cases.PROGRAM_WEEKS
    sentences = {
        "missing_field": lambda: _("Fill in the field marked below."),
        "field_too_long": lambda: _("The field marked below is too long."),
        "invalid_field": lambda: _("The field marked below must be text."),
        "bad_pre_reading_url": lambda: _("Each pre-reading link needs an https:// address."),
        "bad_pre_reading": lambda: _("Give pre-reading as links, each with a title and a URL."),
        "too_many_links": lambda: _(
            "A template has at most %(num)d pre-reading links.", num=use_cases.MAX_PRE_READING
        ),
        "unknown_criterion": lambda: _("Choose criteria from the skill's own rubric."),
        "bad_format": lambda: _("Choose one of the formats offered."),
        "bad_minutes": lambda: _(
            "A session lasts from %(low)d to %(high)d minutes.", low=low, high=high
        ),
        "bad_level": lambda: _("The level is a number from 1 to 4."),
        "retired_skill": lambda: _("That skill is retired; choose one that is in use."),
        "unknown_skill": lambda: _("Choose a skill that is in use."),
        "retired_template": lambda: _("This template is retired."),
        "bad_weeks": lambda: _(
            "A program runs %(first)d to %(last)d weeks.", first=first, last=last
        ),
        "unknown_job_family": lambda: _("Choose a job family that is in use."),
        "empty_program": lambda: _("A program needs at least one session."),
        "bad_week": lambda: _("Each session's week must lie within the program's weeks."),
        "bad_weekday": lambda: _("Each session's weekday runs from Monday to Sunday."),
        "retired_program": lambda: _("This program is retired."),
        "bad_start_date": lambda: _("The start date must lie within two years of today."),
        "bad_time_zone": lambda: _(
            "That is not a time zone; use an IANA name such as Europe/Berlin."
        ),
    }
    sentence = sentences.get(exc.code)
    return sentence() if sentence else common_problem(exc)


def _error_field(exc: InvalidRequest) -> str:
    if exc.code in _FIELD_OF_CODE:
        return _FIELD_OF_CODE[exc.code]
    return "learning_outcome" if "outcome" in exc.message else "title"


# -- Templates ---------------------------------------------------------------------------------


@bp.get("/templates")
@require_role("admin", "mentor")
def session_templates() -> Page:
    services = get_services()
    show_retired = request.args.get("retired") == "1"
    with services.session() as db:
        rows = use_cases.list_templates(db, include_retired=show_retired)
        skills = {s.id: s.name for s in db.scalars(select(Skill))}
        return render_template(
            "admin/session_templates.html",
            rows=rows,
            skills=skills,
            levels=LEVEL_NAMES,
            formats=_format_names(),
            show_retired=show_retired,
        )


@bp.route("/templates/new", methods=["GET", "POST"])
@require_role("admin", "mentor")
def session_template_new() -> Page:
    """Two steps: choose the skill and level, then write version 1."""
    services = get_services()
    source = request.form if request.method == "POST" else request.args
    skill_id = source.get("skill", "").strip()
    level_text = source.get("level", "").strip()
    with services.session() as db:
        skills = list(
            db.scalars(select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name))
        )
        skill = next((s for s in skills if s.id == skill_id), None)
        criteria = _criteria_of(skill) if skill else []
        skill_name = skill.name if skill else ""
    level = int(level_text) if _DIGITS.fullmatch(level_text) else None
    if level not in LEVEL_NAMES:
        level = None
    if skill is None or level is None:
        return render_template(
            "admin/session_template_start.html",
            skills=skills,
            levels=LEVEL_NAMES,
            chosen_skill=skill_id,
            chosen_level=level_text,
        )
    error = error_field = None
    values = _values(None)
    if request.method == "POST":
        values = _form_values()
        try:
            with services.session() as db:
                template = use_cases.create_template(
                    db,
                    g.user.email,
                    skill_id=skill_id,
                    level=level,
                    content=_content_from_form(),
                    now=services.now(),
                )
                template_id = template.id
        except InvalidRequest as exc:
            error, error_field = problem(exc), _error_field(exc)
        else:
            flash(_("Template saved as version 1."), "ok")
            return redirect(url_for("admin.session_template", template_id=template_id))
    page = render_template(
        "admin/session_template_form.html",
        heading=_(
            "New session template: %(skill)s, level %(level)s", skill=skill_name, level=level
        ),
        action=url_for("admin.session_template_new"),
        skill_id=skill_id,
        level=level,
        criteria=criteria,
        values=values,
        formats=_format_names(),
        error=error,
        error_field=error_field,
        cancel=url_for("admin.session_templates"),
        minutes=use_cases.MINUTES,
        max_links=use_cases.MAX_PRE_READING,
    )
    return page, 400 if error else 200


@bp.get("/templates/<int:template_id>")
@require_role("admin", "mentor")
def session_template(template_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        template = use_cases.find_template(db, template_id)
        versions = use_cases.versions_of(db, template_id)
        history = [
            (v, use_cases.version_content(v), use_cases.version_diff(db, template_id, v.version))
            for v in versions
        ]
        skill = db.get(Skill, template.skill_id)
        criteria = dict(_criteria_of(skill)) if skill else {}
        outdated = use_cases.outdated_sessions(db, template_id, now=services.now())
        return render_template(
            "admin/session_template.html",
            template=template,
            skill=skill,
            levels=LEVEL_NAMES,
            current=history[0][1],
            history=history,
            criteria=criteria,
            formats=_format_names(),
            outdated=outdated,
            field_names=_field_names(),
        )


def _field_names() -> dict[str, str]:
    return {
        "title": _("Title"),
        "learning_outcome": _("Learning outcome"),
        "agenda": _("Agenda"),
        "hands_on_task": _("Hands-on task"),
        "pre_reading": _("Pre-reading"),
        "criteria": _("Rubric criteria"),
        "format": _("Format"),
        "minutes": _("Minutes"),
    }


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@require_role("admin", "mentor")
def session_template_edit(template_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        template = use_cases.find_template(db, template_id)
        if template.retired_at is not None:
            abort(404)
        current = use_cases.versions_of(db, template_id)[0]
        skill = db.get(Skill, template.skill_id)
        criteria = _criteria_of(skill) if skill else []
        skill_name = skill.name if skill else template.skill_id
        level, number = template.level, template.current_version
        values = _values(use_cases.version_content(current))
    error = error_field = None
    if request.method == "POST":
        values = _form_values()
        try:
            with services.session() as db:
                version = use_cases.update_template(
                    db, template_id, g.user.email, content=_content_from_form(), now=services.now()
                )
                saved = version.version if version else None
        except InvalidRequest as exc:
            error, error_field = problem(exc), _error_field(exc)
        else:
            if saved is None:
                flash(_("Nothing changed; no new version was written."), "ok")
            else:
                flash(_("Saved as version %(number)d.", number=saved), "ok")
            return redirect(url_for("admin.session_template", template_id=template_id))
    page = render_template(
        "admin/session_template_form.html",
        heading=_(
            "Edit the template %(title)s (%(skill)s, level %(level)s, version %(number)d)",
            title=values["title"],
            skill=skill_name,
            level=level,
            number=number,
        ),
        action=url_for("admin.session_template_edit", template_id=template_id),
        skill_id=None,
        level=None,
        criteria=criteria,
        values=values,
        formats=_format_names(),
        error=error,
        error_field=error_field,
        cancel=url_for("admin.session_template", template_id=template_id),
        minutes=use_cases.MINUTES,
        max_links=use_cases.MAX_PRE_READING,
    )
    return page, 400 if error else 200


@bp.post("/templates/<int:template_id>/retire")
@require_role("admin", "mentor")
def session_template_retire(template_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        use_cases.retire_template(db, template_id, g.user.email, now=services.now())
    flash(_("The template was retired; sessions and programs that use it keep it."), "ok")
    return redirect(url_for("admin.session_template", template_id=template_id))


@bp.post("/templates/<int:template_id>/sessions")
@require_role("admin", "mentor")
def session_template_sessions(template_id: int) -> Page:
    """Bring the ticked (or, with ``all``, every) outdated upcoming session to the current
    version."""
    services = get_services()
    chosen: set[int] | None = None
    if request.form.get("scope") != "all":
        chosen = {
            int(v)
            for v in request.form.getlist("session")
            if _DIGITS.fullmatch(v) and int(v) <= MAX_ID
        }
        if not chosen:
            flash(_("Tick the sessions to update, or update them all."), "error")
            return redirect(url_for("admin.session_template", template_id=template_id))
    with services.session() as db:
        count = use_cases.update_sessions_to_current(
            db, template_id, g.user.email, session_ids=chosen, now=services.now()
        )
    flash(
        ngettext(
            "%(num)d session now follows the current version.",
            "%(num)d sessions now follow the current version.",
            count,
        )
        if count
        else _("No session needed updating."),
        "ok",
    )
    return redirect(url_for("admin.session_template", template_id=template_id))


# -- Programs ----------------------------------------------------------------------------------


@bp.get("/programs")
@require_role("admin", "mentor")
def template_programs() -> Page:
    services = get_services()
    with services.session() as db:
        programs = use_cases.list_programs(db)
        counts = {p.id: len(use_cases.program_items(db, p.id)) for p in programs}
        return render_template("admin/template_programs.html", programs=programs, counts=counts)


def _program_form_rows() -> list[dict[str, str]]:
    rows = []
    for index in range(PROGRAM_ROWS):
        rows.append(
            {
                "template": request.form.get(f"template-{index}", ""),
                "week": request.form.get(f"week-{index}", ""),
                "weekday": request.form.get(f"weekday-{index}", "1"),
            }
        )
    return rows


def _draft_from_form() -> use_cases.ProgramDraft:
    name = form_text("name", _("The name"), max_length=200, required=True)
    description = form_text("description", _("The description"), max_length=5000)
    low, high = use_cases.PROGRAM_WEEKS
    weeks = form_int(request.form.get("weeks"), _("The number of weeks"), low=low, high=high)
    items = []
    for row in _program_form_rows():
        if not row["template"]:
            continue
        template_id = form_int(row["template"], _("The template"), low=1, high=MAX_ID)
        week = form_int(row["week"], _("The week"), low=1, high=weeks)
        weekday = form_int(row["weekday"], _("The weekday"), low=0, high=6)
        items.append(use_cases.ProgramItemDraft(template_id, week, weekday))
    family = request.form.get("job_family", "").strip() or None
    return use_cases.ProgramDraft(name, description, weeks, family, tuple(items))


@bp.route("/programs/new", methods=["GET", "POST"])
@require_role("admin")
def template_program_new() -> Page:
    services = get_services()
    error = None
    values = {"name": "", "description": "", "weeks": "7", "job_family": ""}
    rows = [{"template": "", "week": str(n + 1), "weekday": "1"} for n in range(PROGRAM_ROWS)]
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        rows = _program_form_rows()
        try:
            draft = _draft_from_form()
            with services.session() as db:
                program_id = use_cases.create_program(
                    db, g.user.email, draft, now=services.now()
                ).id
        except InvalidRequest as exc:
            error = problem(exc)
        else:
            flash(_("Program %(name)s created.", name=draft.name), "ok")
            return redirect(url_for("admin.template_program", program_id=program_id))
    with services.session() as db:
        templates = use_cases.list_templates(db)
        families = list(db.scalars(select(JobFamily).order_by(JobFamily.name)))
        page = render_template(
            "admin/template_program_new.html",
            values=values,
            rows=rows,
            templates=templates,
            families=families,
            weekdays=_weekday_names(),
            error=error,
            weeks=use_cases.PROGRAM_WEEKS,
        )
    return page, 400 if error else 200


@bp.get("/programs/<int:program_id>")
@require_role("admin", "mentor")
def template_program(program_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        program = use_cases.find_program(db, program_id)
        family = db.get(JobFamily, program.job_family_id) if program.job_family_id else None
        return render_template(
            "admin/template_program.html",
            program=program,
            family=family,
            items=use_cases.program_items(db, program_id),
            weekdays=_weekday_names(),
            formats=_format_names(),
        )


@bp.post("/programs/<int:program_id>/retire")
@require_role("admin")
def template_program_retire(program_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        use_cases.retire_program(db, program_id, g.user.email, now=services.now())
    flash(_("The program was retired; cohorts made from it keep their sessions."), "ok")
    return redirect(url_for("admin.template_programs"))


# -- A cohort from a program -------------------------------------------------------------------


@bp.route("/cohorts/from-program", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cohort_from_program() -> Page:
    services = get_services()
    today = services.now().date()
    next_monday = today + timedelta(days=7 - today.weekday())
    values = {
        "program": request.args.get("program", ""),
        "name": "",
        "starts_on": next_monday.isoformat(),
        "at": "10:00",
        "time_zone": page_time_zone_name(),
    }
    error = error_field = None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in values}
        try:
            program_id = form_int(values["program"], _("The program"), low=1, high=MAX_ID)
            name = form_text("name", _("The name"), max_length=200, required=True)
            starts_on = form_date(values["starts_on"], _("The start date"))
            try:
                at = time.fromisoformat(values["at"])
            except ValueError:
                raise InvalidRequest(
                    _("The time of day must be like 10:00."), code="bad_time"
                ) from None
            with services.session() as db:
                cohort = use_cases.cohort_from_program(
                    db,
                    g.user,
                    program_id=program_id,
                    name=name,
                    starts_on=starts_on,
                    at=at,
                    time_zone=values["time_zone"] or "UTC",
                    now=services.now(),
                )
                cohort_id, sessions = cohort.id, len(cohort.sessions)
        except InvalidRequest as exc:
            error = problem(exc)
            error_field = {
                "bad_time": "at",
                "bad_time_zone": "time_zone",
                "bad_date": "starts_on",
                "bad_start_date": "starts_on",
                "bad_number": "program",
                "unknown_program": "program",
            }.get(exc.code, "name")
        else:
            flash(
                _("Cohort %(name)s created with %(num)d sessions.", name=name, num=sessions),
                "ok",
            )
            return redirect(url_for("admin.cohort", cohort_id=cohort_id))
    with services.session() as db:
        programs = use_cases.list_programs(db)
        page = render_template(
            "admin/cohort_from_program.html",
            programs=programs,
            values=values,
            error=error,
            error_field=error_field,
        )
    return page, 400 if error else 200
