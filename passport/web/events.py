"""Event pages: browse and sign up (``/events``), and run events (``/admin/events``).

``events`` (any signed-in person): ``/events`` lists upcoming events soonest first (filters
``skill``, ``level`` — that level or above — and ``format``), with the section "For your
target" when a learner chose a target job family (``POST /events/target``); ``/events/<id>``
shows one, with sign-up and cancel buttons, and the people signed up for its mentor and
administrators. ``events_admin`` (mentors and administrators): ``/admin/events`` lists the
events the person runs (administrators: all), with pages to create, edit and cancel one.

The rules live in :mod:`passport.mentoring.events`; these views read forms and show results.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.models import User
from passport.accounts.preferences import org_time_zone, time_zone_names
from passport.accounts.users import ROLES
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import JobFamily, Skill
from passport.cohorts.models import MentoringSession
from passport.errors import Conflict, Forbidden, InvalidRequest, PassportError
from passport.mentoring import events as use_cases
from passport.mentoring.models import LearnerTarget
from passport.web.admin.common import Page, pager
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.i18n import ngettext
from passport.web.sessions import require_role

__all__ = ["admin_bp", "bp"]

bp = Blueprint("events", __name__, url_prefix="/events")
admin_bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")


def format_names() -> dict[str, str]:
    return {
        "talk": _("Talk"),
        "pairing": _("Pairing"),
        "hands_on": _("Hands-on task"),
        "shadow": _("Shadow rotation"),
    }


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd … in English; Nr. 1, Nr. 2 … in German."""
    if str(get_locale()) == "de":
        return f"Nr. {number}"
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def waitlist_text(position: int | None) -> str:
    return _("%(ordinal)s on the waitlist", ordinal=ordinal(position or 0))


def event_local(event: MentoringSession) -> str:
    """The event's start in its own time zone ("Dec 8, 2026, 10:00 (Europe/Berlin)")."""
    zone = ZoneInfo(event.time_zone or "UTC")
    local = event.starts_at.astimezone(zone)
    locale = get_locale() or "en"
    day = babel_dates.format_skeleton("yMMMd", local, locale=locale)
    clock = babel_dates.format_time(local, "short", locale=locale)
    return f"{day}, {clock} ({zone.key})"


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "event_formats": format_names,
        "event_local": event_local,
        "waitlist_text": waitlist_text,
    }


def _sentence(exc: PassportError) -> str:
    """The error's sentence in the page's language (by code; else as the domain wrote it)."""
    sentences = {
        "event_started": lambda: (
            _("This event has started; it cannot be changed.")
            if "cannot be changed" in exc.message
            else _("This event has started; sign-up is closed.")
        ),
        "mentor_not_eligible": lambda: _(
            "The mentor holds no current badge one level above this skill and level and has no "
            "exception for it, so cannot run this event."
        ),
        "event_cancelled": lambda: _("This event was cancelled."),
        "own_event": lambda: _("You run this event; you cannot sign up to it."),
        "bad_duration": lambda: _("An event lasts from 15 to 90 minutes."),
        "bad_time_zone": lambda: _(
            "That is not a time zone we know; choose one from the list, such as Europe/Berlin."
        ),
        "missing_shadow_slot": lambda: _(
            "A shadow rotation needs its on-call or incident shadow slot."
        ),
        "bad_meeting_url": lambda: _(
            "The meeting link must be an https:// address (at most 400 characters)."
        ),
        "missing_place": lambda: _("Give a place, a meeting link, or both."),
        "bad_capacity": lambda: _(
            "The capacity must be from 1 to 500 seats, or blank for no limit."
        ),
        "bad_level": lambda: _("The level must be from 1 to 4."),
        "unknown_skill": lambda: _("Choose a skill that is in use."),
        "event_in_past": lambda: _("An event must start in the future."),
        "bad_mentor": lambda: _("The mentor must be an active mentor or administrator."),
        "bad_title": lambda: _("Give the event a title of 1 to 200 characters."),
        "bad_outcome": lambda: _("Say what the event's learning outcome is."),
        "capacity_below_seats": lambda: _(
            "More seats are taken than that capacity; the capacity cannot be lower than the "
            "seats taken."
        ),
        "unknown_job_family": lambda: _("Choose a job family that is in use."),
        "bad_start": lambda: _("Give the start as a date and a time, at most two years from now."),
    }
    sentence = sentences.get(exc.code)
    return sentence() if sentence else exc.message


# -- browsing ---------------------------------------------------------------------------------


@bp.get("")
@require_role(*ROLES)
def browse() -> Page:
    services = get_services()
    now = services.now()
    try:
        wanted = use_cases.check_filter(
            request.args.get("skill", "").strip()[:64] or None,
            request.args.get("level"),
            request.args.get("format"),
        )
    except InvalidRequest as exc:
        flash(_sentence(exc), "error")
        wanted = use_cases.EventFilter()
    with services.session() as db:
        paging = pager(
            use_cases.count_events(db, now=now, wanted=wanted), "skill", "level", "format"
        )
        rows = use_cases.upcoming_events(
            db, now=now, wanted=wanted, limit=paging.limit, offset=paging.offset
        )
        suggestions = use_cases.target_suggestions(db, g.user, now=now)
        states = use_cases.signup_states(
            db, g.user, [e.id for e in rows] + [e.id for e in suggestions.events]
        )
        skills = list(
            db.scalars(select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name))
        )
        families = list(
            db.scalars(
                select(JobFamily).where(JobFamily.retired_at.is_(None)).order_by(JobFamily.name)
            )
        )
        target = db.get(LearnerTarget, g.user.id)
        skill_names = {s.id: s.name for s in db.scalars(select(Skill))}
        return render_template(
            "events/list.html",
            rows=rows,
            pager=paging,
            wanted=wanted,
            suggestions=suggestions,
            states=states,
            skills=skills,
            skill_names=skill_names,
            families=families,
            target=target.job_family_id if target else "",
            levels=LEVEL_NAMES,
        )


@bp.post("/target")
@require_role(*ROLES)
def choose_target() -> WerkzeugResponse:
    services = get_services()
    try:
        with services.session() as db:
            use_cases.set_target(
                db, g.user, request.form.get("job_family", "").strip() or None, now=services.now()
            )
    except InvalidRequest as exc:
        flash(_sentence(exc), "error")
    else:
        flash(_("Your target job family is saved."), "ok")
    return redirect(url_for("events.browse"))


@bp.get("/<int:event_id>")
@require_role(*ROLES)
def show(event_id: int) -> Page:
    services = get_services()
    now = services.now()
    with services.session() as db:
        event = use_cases.find_event(db, event_id)
        states = use_cases.signup_states(db, g.user, [event.id])
        manages = g.user.role == "admin" or event.mentor_id == g.user.id
        people = use_cases.roster(db, event) if manages else None
        mentor = db.get(User, event.mentor_id) if event.mentor_id else None
        skill = db.get(Skill, event.skill_id) if event.skill_id else None
        return render_template(
            "events/show.html",
            event=event,
            state=states.get(event.id),
            people=people,
            mentor=mentor,
            skill=skill,
            manages=manages,
            started=event.starts_at <= now,
            ended=event.starts_at + timedelta(minutes=event.minutes) <= now,
            levels=LEVEL_NAMES,
        )


@bp.post("/<int:event_id>/signup")
@require_role(*ROLES)
def signup(event_id: int) -> WerkzeugResponse:
    services = get_services()
    try:
        with services.session() as db:
            outcome = use_cases.sign_up(db, services, event_id, g.user, now=services.now())
    except (InvalidRequest, Conflict) as exc:
        flash(_sentence(exc), "error")
    else:
        if outcome.status == "confirmed":
            flash(_("You have a seat. A calendar invitation is on its way by e-mail."), "ok")
        else:
            flash(
                _("The event is full: you are %(place)s.", place=waitlist_text(outcome.position)),
                "ok",
            )
    return redirect(url_for("events.show", event_id=event_id))


@bp.post("/<int:event_id>/cancel")
@require_role(*ROLES)
def cancel(event_id: int) -> WerkzeugResponse:
    services = get_services()
    try:
        with services.session() as db:
            use_cases.find_event(db, event_id)
            use_cases.cancel_signup(db, services, event_id, g.user, now=services.now())
    except (InvalidRequest, Conflict) as exc:
        flash(_sentence(exc), "error")
    else:
        flash(_("Your place is cancelled."), "ok")
    return redirect(url_for("events.show", event_id=event_id))


# -- running events ---------------------------------------------------------------------------


@admin_bp.get("")
@require_role("admin", "mentor")
def manage() -> Page:
    services = get_services()
    with services.session() as db:
        total, _rows = use_cases.managed_events(db, g.user, limit=0)
        paging = pager(total)
        _total, rows = use_cases.managed_events(
            db, g.user, limit=paging.limit, offset=paging.offset
        )
        return render_template("events/manage.html", rows=rows, pager=paging, now=services.now())


def _mentors(db: Any) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .where(
                User.role.in_(("mentor", "admin")),
                User.deactivated_at.is_(None),
                User.erased_at.is_(None),
            )
            .order_by(User.email)
        )
    )


def _values_of(event: MentoringSession | None, default_zone: str) -> dict[str, str]:
    if event is None:
        return {
            "title": "",
            "learning_outcome": "",
            "skill_id": "",
            "level": "2",
            "format": "talk",
            "shadow_slot": "",
            "capacity": "8",
            "place": "",
            "meeting_url": "",
            "start_date": "",
            "start_time": "10:00",
            "minutes": "45",
            "time_zone": default_zone,
            "mentor_id": str(g.user.id),
        }
    local = event.starts_at.astimezone(ZoneInfo(event.time_zone or "UTC"))
    return {
        "title": event.title,
        "learning_outcome": event.learning_outcome,
        "skill_id": event.skill_id or "",
        "level": str(event.level or ""),
        "format": event.format,
        "shadow_slot": event.shadow_slot or "",
        "capacity": "" if event.capacity is None else str(event.capacity),
        "place": event.place or "",
        "meeting_url": event.meeting_url or "",
        "start_date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "minutes": str(event.minutes),
        "time_zone": event.time_zone,
        "mentor_id": str(event.mentor_id or ""),
    }


#: A number typed in the form: ASCII digits only (``int()`` takes "٣"; a long id overflows).
_DIGITS = re.compile(r"[0-9]{1,9}")


def _number(value: str, code: str, *, blank: bool = False) -> int | None:
    value = value.strip()
    if not value and blank:
        return None
    if not _DIGITS.fullmatch(value):
        # ASCII digits, at most 9: a longer id overflowed a PostgreSQL integer (a 500).
        raise InvalidRequest("Give a whole number.", code=code)
    return int(value)


def _draft(values: dict[str, str]) -> use_cases.EventDraft:
    try:
        starts = datetime.combine(
            date.fromisoformat(values["start_date"].strip()),
            time.fromisoformat(values["start_time"].strip()),
        )
    except ValueError:
        raise InvalidRequest(
            "Give the start as a date and a time, at most two years from now.", code="bad_start"
        ) from None
    mentor = _number(values["mentor_id"], "bad_mentor", blank=True)
    return use_cases.EventDraft(
        title=values["title"],
        learning_outcome=values["learning_outcome"],
        skill_id=values["skill_id"],
        level=_number(values["level"], "bad_level") or 0,
        format=values["format"],
        starts_local=starts,
        minutes=_number(values["minutes"], "bad_duration") or 0,
        time_zone=values["time_zone"],
        capacity=_number(values["capacity"], "bad_capacity", blank=True),
        shadow_slot=values["shadow_slot"],
        place=values["place"],
        meeting_url=values["meeting_url"],
        mentor_id=mentor,
    )


#: The form field an error code is about (for aria-invalid).
_FIELD_OF = {
    "bad_title": "title",
    "bad_outcome": "learning_outcome",
    "unknown_skill": "skill_id",
    "bad_level": "level",
    "bad_format": "format",
    "missing_shadow_slot": "shadow_slot",
    "bad_shadow_slot": "shadow_slot",
    "bad_duration": "minutes",
    "bad_capacity": "capacity",
    "capacity_below_seats": "capacity",
    "bad_place": "place",
    "missing_place": "place",
    "bad_meeting_url": "meeting_url",
    "bad_time_zone": "time_zone",
    "bad_start": "start_date",
    "event_in_past": "start_date",
    "bad_mentor": "mentor_id",
    "mentor_not_eligible": "mentor_id",
    "not_admin": "mentor_id",
}


def _form_page(
    event: MentoringSession | None, values: dict[str, str], error: PassportError | None
) -> Page:
    services = get_services()
    with services.sessions() as db:
        skills = list(
            db.scalars(select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name))
        )
        mentors = _mentors(db) if g.user.role == "admin" else []
    page = render_template(
        "events/form.html",
        event=event,
        values=values,
        skills=skills,
        mentors=mentors,
        zones=time_zone_names(),
        levels=LEVEL_NAMES,
        error=_sentence(error) if error else None,
        error_field=_FIELD_OF.get(error.code, "title") if error else None,
    )
    return (page, 400) if error else page


@admin_bp.route("/new", methods=["GET", "POST"])
@require_role("admin", "mentor")
def new() -> Page:
    services = get_services()
    with services.sessions() as db:
        zone = g.user.time_zone or org_time_zone(db)
    values = _values_of(None, zone)
    if request.method != "POST":
        return _form_page(None, values, None)
    values.update({k: request.form.get(k, "") for k in values})
    if g.user.role != "admin":
        values["mentor_id"] = str(g.user.id)
    try:
        draft = _draft(values)
        with services.session() as db:
            event = use_cases.create_event(db, services, g.user, draft, now=services.now())
            event_id = event.id
    except (InvalidRequest, Conflict, Forbidden) as exc:
        return _form_page(None, values, exc)
    flash(_("The event %(title)s is open for sign-up.", title=draft.title.strip()), "ok")
    return redirect(url_for("events.show", event_id=event_id))


@admin_bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@require_role("admin", "mentor")
def edit(event_id: int) -> Page:
    services = get_services()
    with services.sessions() as db:
        event = use_cases.managed_event(db, event_id, g.user)
        db.expunge(event)
    values = _values_of(event, event.time_zone)
    if request.method != "POST":
        return _form_page(event, values, None)
    values.update({k: request.form.get(k, "") for k in values})
    if g.user.role != "admin":
        values["mentor_id"] = str(event.mentor_id or g.user.id)
    try:
        draft = _draft(values)
        with services.session() as db:
            current = use_cases.managed_event(db, event_id, g.user)
            moved = use_cases.update_event(db, services, current, g.user, draft, now=services.now())
    except (InvalidRequest, Conflict, Forbidden) as exc:
        return _form_page(event, values, exc)
    if moved:
        flash(_("The event is saved; everyone signed up is told by e-mail."), "ok")
    else:
        flash(_("The event is saved."), "ok")
    return redirect(url_for("events.show", event_id=event_id))


@admin_bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@require_role("admin", "mentor")
def cancel_event(event_id: int) -> Page:
    services = get_services()
    if request.method != "POST":
        with services.session() as db:
            event = use_cases.managed_event(db, event_id, g.user)
            people = use_cases.roster(db, event)
            return render_template(
                "events/cancel.html",
                event=event,
                told=len(people.confirmed) + len(people.waitlisted),
            )
    try:
        with services.session() as db:
            event = use_cases.managed_event(db, event_id, g.user)
            told = use_cases.cancel_event(db, services, event, g.user, now=services.now())
    except Conflict as exc:
        flash(_sentence(exc), "error")
        return redirect(url_for("events.show", event_id=event_id))
    flash(
        ngettext(
            "The event is cancelled; %(num)d person was told.",
            "The event is cancelled; %(num)d people were told.",
            told,
        ),
        "ok",
    )
    return redirect(url_for("events_admin.manage"))
