"""Mentor pages: load and capacity (``/mentor/load``), feedback aggregates (``/mentor/feedback``),
one mentor's profile and exceptions for administrators (``/mentors/<id>``), a mentor's own
did:key for endorsements (``POST /mentors/<id>/did``: themselves, or an admin), an attendee's
feedback form (``/sessions/<id>/feedback``) and the suggestions API
(``GET /api/v1/mentors/suggestions?skill=&level=``, token scope ``read``).

The rules live in :mod:`passport.mentoring.matching` and :mod:`passport.mentoring.feedback`;
these views read forms and query strings and show the results.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.accounts.models import User
from passport.accounts.tokens import authenticate
from passport.accounts.users import ROLES
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import Skill
from passport.errors import Forbidden, InvalidRequest, NotFound, PassportError
from passport.mentoring import endorsements as endorsing
from passport.mentoring import feedback as feedback_cases
from passport.mentoring import matching
from passport.mentoring.models import MentorException
from passport.web.admin.common import Page, form_int, form_text
from passport.web.admin.outcomes import one_decimal, pct
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.security import rate_limited
from passport.web.sessions import require_role

__all__ = ["api_bp", "bp", "suggestion_json"]

bp = Blueprint("mentors", __name__)
api_bp = Blueprint("mentors_api", __name__, url_prefix="/api/v1")


def _problem(exc: PassportError) -> str:
    """The error's sentence in the page's language, for the codes these pages meet."""
    sentences = {
        "bad_number": _("Enter whole numbers in the allowed range."),
        "learner_cap_admin_only": _("More than 5 learners per cohort needs an administrator."),
        "no_reason": _("An exception needs a written reason."),
        "bad_outcome": _("Say whether the outcome was reached: yes, partly or no."),
        "bad_usefulness": _("Rate the usefulness from 1 to 5."),
        "field_too_long": _("The comment is too long (at most 2,000 characters)."),
        "bad_did": _("That is not a well-formed Ed25519 did:key (did:key:z6Mk…, no #fragment)."),
        "did_taken": _("Another mentor registered that did:key."),
        "not_an_endorser": _("Only mentors and admins can register an endorser did:key."),
        "feedback_closed": _(
            "Feedback can be changed for 14 days after it was given; that time has passed."
        ),
    }
    return sentences.get(exc.code, exc.message)


# -- Load and profiles ------------------------------------------------------------------------


@bp.get("/mentor/load")
@require_role("mentor")
def load() -> str:
    """The signed-in mentor's load and capacity; administrators see every mentor's."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        people = (
            matching.mentors(db)
            if g.user.role == "admin"
            else [u for u in [db.get(User, g.user.id)] if u is not None]
        )
        loads = matching.mentor_loads(db, people, now=now)
        profile = matching.mentor_profile(db, g.user.id)
        me = db.get(User, g.user.id)
        own_did = endorsing.mentor_own_did(db, me) if me is not None else None
    return render_template(
        "mentors/load.html",
        loads=loads,
        profile=profile,
        is_admin=g.user.role == "admin",
        own_did=own_did,
    )


@bp.post("/mentor/profile/<int:user_id>")
@require_role("mentor")
def profile(user_id: int) -> WerkzeugResponse:
    """Set a mentor's hours per month and learners per cohort (own, or any for an admin)."""
    services = get_services()
    back = (
        url_for("mentors.mentor", user_id=user_id)
        if g.user.role == "admin" and user_id != g.user.id
        else url_for("mentors.load")
    )
    try:
        hours = form_int(
            request.form.get("hours_per_month"),
            _("Hours per month"),
            low=0,
            high=matching.HOURS_LIMIT,
        )
        learners = form_int(
            request.form.get("max_learners_per_cohort"),
            _("Learners per cohort"),
            low=1,
            high=matching.LEARNERS_LIMIT,
        )
        with services.session() as db:
            matching.update_profile(
                db,
                g.user,
                user_id=user_id,
                hours_per_month=hours,
                max_learners_per_cohort=learners,
                now=services.now(),
            )
    except NotFound:
        raise
    except PassportError as exc:  # bad numbers, or a cap only an administrator may set
        flash(_problem(exc), "error")
    else:
        flash(_("Mentoring capacity saved."), "ok")
    return redirect(back)


@bp.get("/mentors/<int:user_id>")
@require_role("admin")
def mentor(user_id: int) -> str:
    """One mentor for administrators: capacity and the exceptions granted to them."""
    services = get_services()
    with services.session() as db:
        person = db.get(User, user_id)
        if person is None or person.role not in matching.MENTOR_ROLES:
            raise NotFound("There is no such mentor.", code="unknown_mentor")
        skills = db.scalars(
            select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name)
        ).all()
        names = {s.id: s.name for s in db.scalars(select(Skill))}
        exceptions = db.scalars(
            select(MentorException)
            .where(MentorException.user_id == user_id)
            .order_by(MentorException.skill_id)
        ).all()
        return render_template(
            "mentors/mentor.html",
            person=person,
            profile=matching.mentor_profile(db, user_id),
            exceptions=exceptions,
            skills=skills,
            skill_names=names,
            levels=LEVEL_NAMES,
            own_did=endorsing.mentor_own_did(db, person),
        )


@bp.post("/mentors/<int:user_id>/did")
@require_role("mentor")
def own_did(user_id: int) -> WerkzeugResponse:
    """Register (``action=set``) or forget (``action=clear``) a mentor's own did:key: their
    own, or any mentor's for an admin. Audited by the use case."""
    services = get_services()
    if g.user.role != "admin" and user_id != g.user.id:
        raise Forbidden("Only the mentor or an admin can change this.", code="role_forbidden")
    back = (
        url_for("mentors.mentor", user_id=user_id) + "#own-did"
        if g.user.role == "admin" and user_id != g.user.id
        else url_for("mentors.load") + "#own-did"
    )
    clear = request.form.get("action") == "clear"
    try:
        with services.session() as db:
            person = db.get(User, user_id)
            if person is None:
                raise NotFound("There is no such mentor.", code="unknown_mentor")
            endorsing.set_mentor_did(
                db,
                services,
                person,
                None if clear else request.form.get("did", ""),
                actor=g.user.email,
                now=services.now(),
            )
    except NotFound:
        raise
    except PassportError as exc:
        flash(_problem(exc), "error")
    else:
        flash(_("The did:key is forgotten.") if clear else _("The did:key is registered."), "ok")
    return redirect(back)


@bp.post("/mentors/<int:user_id>/exceptions")
@require_role("admin")
def exception_grant(user_id: int) -> WerkzeugResponse:
    services = get_services()
    try:
        level = form_int(
            request.form.get("max_level"), _("The level"), low=1, high=matching.TOP_LEVEL
        )
        reason = form_text("reason", _("The reason"), max_length=2000)
        with services.session() as db:
            matching.grant_exception(
                db,
                g.user,
                user_id=user_id,
                skill_id=request.form.get("skill", ""),
                max_level=level,
                reason=reason,
                now=services.now(),
            )
    except InvalidRequest as exc:
        flash(_problem(exc), "error")
    else:
        flash(_("Exception granted."), "ok")
    return redirect(url_for("mentors.mentor", user_id=user_id))


@bp.post("/mentors/<int:user_id>/exceptions/<skill_id>/withdraw")
@require_role("admin")
def exception_withdraw(user_id: int, skill_id: str) -> WerkzeugResponse:
    services = get_services()
    with services.session() as db:
        matching.withdraw_exception(
            db, g.user, user_id=user_id, skill_id=skill_id, now=services.now()
        )
    flash(_("Exception withdrawn."), "ok")
    return redirect(url_for("mentors.mentor", user_id=user_id))


# -- Feedback ---------------------------------------------------------------------------------


@bp.get("/mentor/feedback")
@require_role("mentor")
def feedback() -> str:
    """The feedback on the sessions the signed-in mentor led; administrators see everyone's."""
    services = get_services()
    with services.session() as db:
        ids = [m.id for m in matching.mentors(db)] if g.user.role == "admin" else [g.user.id]
        report = feedback_cases.mentor_feedback(db, ids)
    return render_template(
        "mentors/feedback.html",
        report=report,
        is_admin=g.user.role == "admin",
        percent=pct,
        one_decimal=one_decimal,
    )


@bp.route("/sessions/<int:session_id>/feedback", methods=["GET", "POST"])
@require_role(*ROLES)
def session_feedback(session_id: int) -> Page:
    """An attendee's feedback on a session that has ended: the form, and saving it."""
    services = get_services()
    now = services.now()
    error = None
    with services.session() as db:
        meeting = feedback_cases.feedback_session(db, session_id, g.user, now=now)
        title = meeting.title
        outcome_text = meeting.learning_outcome
        given = feedback_cases.feedback_of(db, session_id, g.user.id)
        values: dict[str, Any] = {
            "outcome": given.outcome if given else "",
            "usefulness": str(given.usefulness) if given else "",
            "comment": (given.comment or "") if given else "",
        }
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("outcome", "usefulness", "comment")}
        try:
            usefulness = form_int(values["usefulness"], _("Usefulness"), low=1, high=5)
            with services.session() as db:
                feedback_cases.give_feedback(
                    db,
                    session_id,
                    g.user,
                    outcome=values["outcome"],
                    usefulness=usefulness,
                    comment=values["comment"],
                    now=now,
                )
        except InvalidRequest as exc:
            error = (
                _problem(exc) if exc.code != "bad_number" else _("Rate the usefulness from 1 to 5.")
            )
        except PassportError as exc:
            if exc.code != "feedback_closed":
                raise
            error = _problem(exc)
        else:
            flash(_("Thank you: your feedback is saved."), "ok")
            return redirect(url_for("mentors.session_feedback", session_id=session_id))
    page = render_template(
        "mentors/session_feedback.html",
        session_id=session_id,
        title=title,
        learning_outcome=outcome_text,
        values=values,
        given=given is not None,
        error=error,
        layout="learner/_layout.html" if g.user.role == "learner" else "admin/_layout.html",
    )
    return (page, 400) if error else page


# -- API --------------------------------------------------------------------------------------


def suggestion_json(found: matching.MentorSuggestion) -> dict[str, Any]:
    """One suggestion as the API shows it: who, why, load and feedback (none under 5)."""
    return {
        "userId": found.user_id,
        "name": found.name,
        "email": found.email,
        "eligibility": [
            {
                "skill": r.skill_id,
                "level": r.level,
                "basis": r.basis,
                "badgeLevel": r.badge_level,
                "exceptionLevel": r.exception_level,
                "exceptionReason": r.exception_reason,
            }
            for r in found.reasons
        ],
        "load": {
            "hoursThisMonth": found.load.hours_this_month,
            "hoursNextMonth": found.load.hours_next_month,
            "hoursPerMonth": found.load.hours_per_month,
            "cohorts": [
                {"cohortId": c.cohort_id, "learners": c.learners, "cap": c.cap}
                for c in found.load.cohorts
            ],
        },
        "feedback": {
            "responses": found.feedback_responses
            if found.feedback_responses >= matching.FEEDBACK_MIN_RESPONSES
            else None,
            "meanUsefulness": found.feedback_mean,
        },
    }


@api_bp.get("/mentors/suggestions")
@rate_limited("api", methods=("GET",))
def suggestions() -> Response:
    """Eligible mentors for ``skill`` at ``level``, ranked (token scope ``read``)."""
    services = get_services()
    now = services.now()
    with services.session() as db:
        authenticate(db, request.headers.get("Authorization"), now=now, scope="read")
    unknown = sorted(set(request.args) - {"skill", "level"})
    if unknown:
        raise InvalidRequest(f"Unknown query parameter {unknown[0]!r}.", code="unknown_parameter")
    skill = request.args.get("skill", "").strip()
    if not skill:
        raise InvalidRequest("The parameter 'skill' is required.", code="missing_parameter")
    try:
        level = int(request.args.get("level", ""))
    except ValueError:
        raise InvalidRequest(
            f"The parameter 'level' must be a whole number from 1 to {matching.TOP_LEVEL}.",
            code="bad_level",
        ) from None
    with services.session() as db:
        if db.get(Skill, skill) is None:
            raise NotFound(f"No skill with id {skill!r}.", code="unknown_skill")
        found = matching.suggest_mentors(db, [(skill, level)], now=now)
        payload = {
            "skill": skill,
            "level": level,
            "mentors": [suggestion_json(s) for s in found],
        }
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response
