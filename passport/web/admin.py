"""Staff pages under ``/admin``: dashboard, catalog, cohorts, assessments, badges, audit, users.

Every view is guarded by :func:`passport.auth.require_role` (administrators pass all of them):

* any staff (admin, assessor, mentor) reads the dashboard, job families, skills and badges;
* only administrators change the catalog, manage users and read the audit log;
* mentors manage the cohorts they mentor (creating a cohort makes them its mentor);
* assessors and administrators record assessments — a pass issues the badge.

Form problems (:class:`InvalidRequest`) are shown on the page; everything else goes to the
application's error handlers. Every change leaves an :class:`AuditEvent`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from keys import did_web_from_url
from passport.accounts.models import User
from passport.accounts.users import ROLES, STAFF_ROLES, create_user
from passport.assessments.models import Assessment
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.audit import AuditEvent
from passport.catalog import achievements, transfer
from passport.catalog.models import Achievement, JobFamily, JobFamilySkill, Skill
from passport.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSkill,
    MentoringSession,
    MentorNote,
)
from passport.credentials.issuers import issuer_profile
from passport.credentials.issuing import DEFAULT_FORMAT, PROOF_FORMATS
from passport.credentials.models import IssuedCredential, Issuer
from passport.errors import Forbidden, InvalidRequest, NotFound
from passport.web.context import get_services
from passport.web.sessions import require_role
from verifier import normalize_email

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")

Page = str | tuple[str, int] | WerkzeugResponse

PAGE_SIZE = 50
LEVEL_NAMES: dict[int, str] = {int(lvl["level"]): str(lvl["name"]) for lvl in achievements.LEVELS}
DEFAULT_COHORT_WEEKS = 7
COHORT_DAYS = (6 * 7, 8 * 7)  # a cohort is planned for 6 to 8 weeks
SESSION_MINUTES = (5, 480)
AUDIT_CSV_COLUMNS = ("at", "actor", "action", "subject", "detail")


# -- small helpers ----------------------------------------------------------------------------


def _actor() -> str:
    email: str = g.user.email
    return email[:200]


def _audit(db: Session, action: str, subject: object, detail: object = None) -> None:
    db.add(
        AuditEvent(
            at=get_services().now(),
            actor=_actor(),
            action=action,
            subject=str(subject)[:200],
            detail=None if detail is None else json.dumps(detail, ensure_ascii=False),
        )
    )


def _text(name: str, label: str, *, max_length: int, required: bool = False) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise InvalidRequest(f"{label} is required.", code="missing_field")
    if len(value) > max_length:
        raise InvalidRequest(
            f"{label} is longer than {max_length} characters.", code="field_too_long"
        )
    return value


def _int(value: str | None, label: str, *, low: int, high: int) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        raise InvalidRequest(f"{label} must be a whole number.", code="bad_number") from None
    if not low <= number <= high:
        raise InvalidRequest(f"{label} must be from {low} to {high}.", code="bad_number")
    return number


def _level(value: str | None, label: str) -> int:
    return _int(value, label, low=min(LEVEL_NAMES), high=max(LEVEL_NAMES))


def _date(value: str | None, label: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidRequest(f"{label} must be a date (YYYY-MM-DD).", code="bad_date") from None


def _datetime_utc(value: str | None, label: str) -> datetime:
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidRequest(
            f"{label} must be a date and time (YYYY-MM-DD HH:MM).", code="bad_datetime"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


def _count(db: Session, model: Any, *where: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _issuer(db: Session) -> Issuer:
    """This deployment's issuer (the one whose DID matches the public URL)."""
    did = did_web_from_url(get_services().settings.public_url)
    issuer = db.scalar(select(Issuer).where(Issuer.did == did))
    if issuer is None:
        raise NotFound("This deployment has no issuer yet; run `passport init`.", code="no_issuer")
    return issuer


def _criteria(skill: Skill) -> list[dict[str, str]]:
    """The rubric criteria of ``skill`` (one ``overall`` criterion when it has none)."""
    criteria: list[dict[str, str]] = json.loads(skill.criteria) or [
        {"id": "overall", "name": skill.name}
    ]
    return criteria


def _assessable(db: Session) -> list[tuple[Skill, list[Achievement]]]:
    """Achievements that an assessment can earn (a skill at a level), grouped by skill."""
    groups: dict[str, tuple[Skill, list[Achievement]]] = {}
    for skill in db.scalars(select(Skill).order_by(Skill.name)):
        groups[skill.id] = (skill, [])
    for achievement in db.scalars(
        select(Achievement).where(Achievement.skill_id.is_not(None)).order_by(Achievement.level)
    ):
        if achievement.skill_id in groups:
            groups[achievement.skill_id][1].append(achievement)
    return [group for group in groups.values() if group[1]]


def _download(body: str, *, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- dashboard --------------------------------------------------------------------------------


@bp.get("/")
@require_role(*STAFF_ROLES)
def dashboard() -> Page:
    services = get_services()
    with services.session() as db:
        counts = {
            "job_families": _count(db, JobFamily),
            "skills": _count(db, Skill),
            "cohorts": _count(db, Cohort),
            "learners": _count(db, User, User.role == "learner"),
            "assessments": _count(db, Assessment),
            "badges": _count(db, IssuedCredential),
        }
        my_cohorts = _count(
            db,
            CohortMember,
            CohortMember.user_id == g.user.id,
            CohortMember.role == "mentor",
        )
        return render_template("admin/dashboard.html", counts=counts, my_cohorts=my_cohorts)


# -- job families and skills ------------------------------------------------------------------


def _job_family(db: Session, family_id: str) -> JobFamily:
    family = db.get(JobFamily, family_id)
    if family is None:
        raise NotFound("No job family with that id.", code="unknown_job_family")
    return family


@bp.get("/job-families")
@require_role(*STAFF_ROLES)
def job_families() -> Page:
    services = get_services()
    with services.session() as db:
        families = db.scalars(select(JobFamily).order_by(JobFamily.name)).all()
        return render_template("admin/job_families.html", families=families)


@bp.get("/job-families/<family_id>")
@require_role(*STAFF_ROLES)
def job_family(family_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        family = _job_family(db, family_id)
        return render_template(
            "admin/job_family.html",
            family=family,
            levels=LEVEL_NAMES,
            achievement_id=achievements.achievement_id,
        )


@bp.route("/job-families/<family_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def job_family_edit(family_id: str) -> Page:
    services = get_services()
    if request.method == "POST":
        try:
            with services.session() as db:
                rebuilt = _save_job_family(db, _job_family(db, family_id))
        except InvalidRequest as exc:
            flash(exc.message, "error")
        else:
            if rebuilt is None:
                flash("Nothing changed.", "ok")
            else:
                flash(f"Saved; {rebuilt} published achievement definitions changed.", "ok")
                return redirect(url_for("admin.job_family", family_id=family_id))
        return redirect(url_for("admin.job_family_edit", family_id=family_id))
    with services.session() as db:
        family = _job_family(db, family_id)
        required = {req.skill_id for req in family.requirements}
        addable = [
            s for s in db.scalars(select(Skill).order_by(Skill.name)) if s.id not in required
        ]
        return render_template(
            "admin/job_family_edit.html", family=family, addable=addable, levels=LEVEL_NAMES
        )


def _save_job_family(db: Session, family: JobFamily) -> int | None:
    """Apply the edit form to ``family``; return achievements rebuilt, or None if unchanged."""
    changes: dict[str, Any] = {"levels": {}, "removed": [], "added": {}}
    required_before = {req.skill_id for req in family.requirements}
    for req in list(family.requirements):
        if request.form.get(f"remove-{req.skill_id}"):
            family.requirements.remove(req)
            changes["removed"].append(req.skill_id)
            continue
        level = _level(request.form.get(f"level-{req.skill_id}"), f"The level for {req.skill_id}")
        if level != req.min_level:
            changes["levels"][req.skill_id] = [req.min_level, level]
            req.min_level = level
    add_skill = request.form.get("add_skill", "").strip()
    if add_skill:
        if db.get(Skill, add_skill) is None:
            raise InvalidRequest(f"There is no skill {add_skill!r}.", code="unknown_skill")
        if add_skill in required_before:
            raise InvalidRequest(
                f"{add_skill} is already required by this job family.", code="duplicate_skill"
            )
        level = _level(request.form.get("add_level"), "The level of the added skill")
        family.requirements.append(
            JobFamilySkill(job_family_id=family.id, skill_id=add_skill, min_level=level)
        )
        changes["added"][add_skill] = level
    if not any(changes.values()):
        return None
    if not family.requirements:
        raise InvalidRequest("A job family needs at least one required skill.", code="no_skills")
    services = get_services()
    family.updated_at = services.now()
    db.flush()
    issuer = _issuer(db)
    rebuilt = achievements.rebuild_achievements(
        db,
        issuer,
        public_url=services.settings.public_url,
        issuer_profile=issuer_profile(issuer),
    )
    _audit(db, "job_family.update", family.id, {k: v for k, v in changes.items() if v})
    return rebuilt


@bp.get("/catalog.json")
@require_role(*STAFF_ROLES)
def export_catalog() -> Response:
    services = get_services()
    with services.session() as db:
        document = transfer.export_catalog(db)
    return _download(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        filename="skill-catalog.json",
    )


@bp.get("/job-families.csv")
@require_role(*STAFF_ROLES)
def export_job_families() -> Response:
    services = get_services()
    with services.session() as db:
        text = transfer.export_job_families_csv(db)
    return _download(text, mimetype="text/csv", filename="job-families.csv")


@bp.route("/catalog/import", methods=["GET", "POST"])
@require_role("admin")
def import_catalog() -> Page:
    if request.method == "GET":
        return render_template("admin/import.html", error=None)
    services = get_services()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidRequest("Choose a catalog file (.json or .csv) to import.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("The file is not UTF-8 text.", code="bad_encoding") from None
        is_csv = upload.filename.lower().endswith(".csv")
        with services.session() as db:
            issuer = _issuer(db)
            options: dict[str, Any] = {
                "public_url": services.settings.public_url,
                "issuer_profile": issuer_profile(issuer),
                "actor": _actor(),
            }
            if is_csv:
                changed = transfer.import_job_families_csv(db, issuer, text, **options)
            else:
                try:
                    document = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise InvalidRequest(
                        f"The file is not valid JSON (line {exc.lineno}): {exc.msg}.",
                        code="bad_json",
                    ) from None
                changed = transfer.import_catalog(db, issuer, document, **options)
            _audit(db, "catalog.import", upload.filename, {"achievements_changed": changed})
    except InvalidRequest as exc:
        return render_template("admin/import.html", error=exc.message), 400
    except IntegrityError:
        # catalog._apply_catalog leaves these to the database: a skill listed twice for one
        # job family, or a job family or skill without a name.
        message = (
            "The file could not be imported: a job family lists the same skill twice, or a "
            "job family or skill has no name."
        )
        return render_template("admin/import.html", error=message), 400
    flash(f"Imported. {changed} achievement definitions changed.", "ok")
    return redirect(url_for("admin.job_families"))


@bp.get("/skills")
@require_role(*STAFF_ROLES)
def skills() -> Page:
    services = get_services()
    with services.session() as db:
        rows = []
        for skill in db.scalars(select(Skill).order_by(Skill.name)):
            families = db.scalars(
                select(JobFamilySkill)
                .where(JobFamilySkill.skill_id == skill.id)
                .order_by(JobFamilySkill.job_family_id)
            ).all()
            rows.append(
                {
                    "skill": skill,
                    "criteria": _criteria(skill),
                    "alignments": json.loads(skill.alignments),
                    "tags": json.loads(skill.tags),
                    "families": families,
                }
            )
        return render_template("admin/skills.html", rows=rows, levels=LEVEL_NAMES)


# -- cohorts ----------------------------------------------------------------------------------


def _mentors(cohort: Cohort) -> list[CohortMember]:
    return [m for m in cohort.members if m.role == "mentor"]


def _learners(cohort: Cohort) -> list[CohortMember]:
    return sorted((m for m in cohort.members if m.role == "learner"), key=lambda m: m.user.email)


def _cohort(db: Session, cohort_id: int) -> Cohort:
    """The cohort, if the user may manage it: admins all, mentors the ones they mentor."""
    cohort = db.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("No cohort with that id.", code="unknown_cohort")
    if g.user.role != "admin" and not any(m.user_id == g.user.id for m in _mentors(cohort)):
        raise Forbidden("You do not mentor this cohort.", code="not_your_cohort")
    return cohort


def _duration_warning(starts_on: date, ends_on: date) -> str | None:
    days = (ends_on - starts_on).days
    low, high = COHORT_DAYS
    if low <= days <= high:
        return None
    return (
        f"This cohort runs {days} days ({days / 7:.1f} weeks); "
        f"cohorts are planned for {low // 7} to {high // 7} weeks."
    )


@bp.get("/cohorts")
@require_role("admin", "mentor")
def cohorts() -> Page:
    services = get_services()
    with services.session() as db:
        query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        if g.user.role != "admin":
            query = query.join(CohortMember).where(
                CohortMember.user_id == g.user.id, CohortMember.role == "mentor"
            )
        rows = [
            {"cohort": c, "mentors": len(_mentors(c)), "learners": len(_learners(c))}
            for c in db.scalars(query)
        ]
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
        "ends_on": (today + timedelta(weeks=DEFAULT_COHORT_WEEKS)).isoformat(),
    }
    if request.method == "GET":
        return render_template("admin/cohort_new.html", values=values, error=None)
    values.update({k: request.form.get(k, "") for k in values})
    try:
        name = _text("name", "The name", max_length=200, required=True)
        description = _text("description", "The description", max_length=5000)
        starts_on = _date(request.form.get("starts_on"), "The start date")
        ends_on = (
            _date(request.form.get("ends_on"), "The end date")
            if request.form.get("ends_on", "").strip()
            else starts_on + timedelta(weeks=DEFAULT_COHORT_WEEKS)
        )
        if ends_on < starts_on:
            raise InvalidRequest("The end date is before the start date.", code="bad_dates")
    except InvalidRequest as exc:
        return render_template("admin/cohort_new.html", values=values, error=exc.message), 400
    with services.session() as db:
        cohort = Cohort(
            name=name, description=description or None, starts_on=starts_on, ends_on=ends_on
        )
        if g.user.role == "mentor":
            cohort.members.append(CohortMember(user_id=g.user.id, role="mentor"))
        db.add(cohort)
        db.flush()
        _audit(db, "cohort.create", cohort.id, {"name": name})
        cohort_id = cohort.id
    flash(f"Cohort {name} created.", "ok")
    warning = _duration_warning(starts_on, ends_on)
    if warning:
        flash(warning, "warning")
    return redirect(url_for("admin.cohort", cohort_id=cohort_id))


@bp.get("/cohorts/<int:cohort_id>")
@require_role("admin", "mentor")
def cohort(cohort_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        cohort = _cohort(db, cohort_id)
        learners = _learners(cohort)
        present = {
            (a.session_id, a.user_id): a.present for s in cohort.sessions for a in s.attendance
        }
        attended = {
            m.user_id: sum(1 for s in cohort.sessions if present.get((s.id, m.user_id)))
            for m in learners
        }
        notes = db.scalars(
            select(MentorNote)
            .where(MentorNote.cohort_id == cohort.id)
            .order_by(MentorNote.at.desc(), MentorNote.id.desc())
        ).all()
        people_ids = {n.author_id for n in notes} | {n.learner_id for n in notes if n.learner_id}
        people = {u.id: u for u in db.scalars(select(User).where(User.id.in_(people_ids)))}
        targeted = {t.achievement_id for t in cohort.target_skills}
        groups = [
            (skill, [a for a in levels if a.id not in targeted])
            for skill, levels in _assessable(db)
        ]
        warnings = []
        if not _mentors(cohort):
            warnings.append("This cohort has no mentor yet; add one below.")
        duration = _duration_warning(cohort.starts_on, cohort.ends_on)
        if duration:
            warnings.append(duration)
        return render_template(
            "admin/cohort.html",
            cohort=cohort,
            mentors=_mentors(cohort),
            learners=learners,
            present=present,
            attended=attended,
            notes=notes,
            people=people,
            groups=[group for group in groups if group[1]],
            warnings=warnings,
            now=services.now(),
        )


def _cohort_action(cohort_id: int, action: Any, done: str) -> WerkzeugResponse:
    """Run ``action(db, cohort)`` for a cohort form; show its problem or ``done``."""
    services = get_services()
    try:
        with services.session() as db:
            message = action(db, _cohort(db, cohort_id))
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
        if role not in ("mentor", "learner"):
            raise InvalidRequest("Choose whether the person joins as a mentor or a learner.")
        email = normalize_email(_text("email", "The e-mail address", max_length=320, required=True))
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            raise InvalidRequest(
                f"There is no user with e-mail {email}. An administrator must create the "
                "account first (Users page).",
                code="unknown_user",
            )
        if role == "mentor" and user.role not in ("mentor", "admin"):
            raise InvalidRequest(
                f"{email} is a {user.role}; only mentors and administrators can mentor a cohort.",
                code="wrong_role",
            )
        if role == "learner" and user.role != "learner":
            raise InvalidRequest(
                f"{email} is a {user.role}, not a learner; only learners can join as learners.",
                code="wrong_role",
            )
        if any(m.user_id == user.id for m in cohort.members):
            raise InvalidRequest(f"{email} is already in this cohort.", code="duplicate_member")
        cohort.members.append(CohortMember(user_id=user.id, role=role))
        _audit(db, "cohort.member_add", cohort.id, {"user": email, "role": role})

    return _cohort_action(cohort_id, add, "Member added.")


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@require_role("admin", "mentor")
def cohort_member_remove(cohort_id: int, user_id: int) -> WerkzeugResponse:
    def remove(db: Session, cohort: Cohort) -> None:
        if user_id == g.user.id and g.user.role != "admin":
            raise InvalidRequest(
                "You cannot remove yourself; ask another mentor or an administrator."
            )
        member = next((m for m in cohort.members if m.user_id == user_id), None)
        if member is None:
            raise InvalidRequest("That person is not in this cohort.", code="not_a_member")
        cohort.members.remove(member)
        _audit(db, "cohort.member_remove", cohort.id, {"user": member.user.email})

    return _cohort_action(cohort_id, remove, "Member removed.")


@bp.post("/cohorts/<int:cohort_id>/skills")
@require_role("admin", "mentor")
def cohort_skill_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> None:
        achievement_id = request.form.get("achievement", "")
        achievement = db.get(Achievement, achievement_id)
        if achievement is None or achievement.skill_id is None:
            raise InvalidRequest("Choose a skill level to target.", code="unknown_achievement")
        if any(t.achievement_id == achievement_id for t in cohort.target_skills):
            raise InvalidRequest(f"{achievement.name} is already a target of this cohort.")
        cohort.target_skills.append(CohortSkill(achievement_id=achievement_id))
        _audit(db, "cohort.skill_add", cohort.id, {"achievement": achievement_id})

    return _cohort_action(cohort_id, add, "Target skill added.")


@bp.post("/cohorts/<int:cohort_id>/skills/remove")
@require_role("admin", "mentor")
def cohort_skill_remove(cohort_id: int) -> WerkzeugResponse:
    def remove(db: Session, cohort: Cohort) -> None:
        achievement_id = request.form.get("achievement", "")
        target = next((t for t in cohort.target_skills if t.achievement_id == achievement_id), None)
        if target is None:
            raise InvalidRequest("That skill is not a target of this cohort.")
        cohort.target_skills.remove(target)
        _audit(db, "cohort.skill_remove", cohort.id, {"achievement": achievement_id})

    return _cohort_action(cohort_id, remove, "Target skill removed.")


@bp.post("/cohorts/<int:cohort_id>/sessions")
@require_role("admin", "mentor")
def cohort_session_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> str | None:
        title = _text("title", "The title", max_length=200, required=True)
        outcome = _text("learning_outcome", "The learning outcome", max_length=2000, required=True)
        starts_at = _datetime_utc(request.form.get("starts_at"), "The start")
        minutes = _int(request.form.get("minutes", "60"), "The length in minutes", low=5, high=480)
        cohort.sessions.append(
            MentoringSession(
                title=title, learning_outcome=outcome, starts_at=starts_at, minutes=minutes
            )
        )
        _audit(db, "cohort.session_add", cohort.id, {"title": title})
        if not cohort.starts_on <= starts_at.date() <= cohort.ends_on:
            return "The session is outside the cohort's dates."
        return None

    return _cohort_action(cohort_id, add, "Session added.")


@bp.post("/cohorts/<int:cohort_id>/sessions/<int:session_id>/attendance")
@require_role("admin", "mentor")
def cohort_attendance(cohort_id: int, session_id: int) -> WerkzeugResponse:
    def record(db: Session, cohort: Cohort) -> None:
        meeting = next((s for s in cohort.sessions if s.id == session_id), None)
        if meeting is None:
            raise NotFound("No such session in this cohort.", code="unknown_session")
        existing = {a.user_id: a for a in meeting.attendance}
        count = 0
        for member in _learners(cohort):
            present = bool(request.form.get(f"present-{member.user_id}"))
            count += present
            row = existing.get(member.user_id)
            if row is None:
                meeting.attendance.append(Attendance(user_id=member.user_id, present=present))
            else:
                row.present = present
        _audit(db, "cohort.attendance", cohort.id, {"session": meeting.id, "present": count})

    return _cohort_action(cohort_id, record, "Attendance saved.")


@bp.post("/cohorts/<int:cohort_id>/notes")
@require_role("admin", "mentor")
def cohort_note_add(cohort_id: int) -> WerkzeugResponse:
    def add(db: Session, cohort: Cohort) -> None:
        text = _text("text", "The note", max_length=5000, required=True)
        learner_id = None
        if request.form.get("learner", "").strip():
            learner_id = _int(request.form.get("learner"), "The learner", low=1, high=2**31)
            if not any(m.user_id == learner_id for m in _learners(cohort)):
                raise InvalidRequest("That learner is not in this cohort.", code="not_a_member")
        db.add(
            MentorNote(
                cohort_id=cohort.id,
                author_id=g.user.id,
                learner_id=learner_id,
                text=text,
                at=get_services().now(),
            )
        )
        _audit(db, "cohort.note_add", cohort.id)

    return _cohort_action(cohort_id, add, "Note saved.")


# -- assessments ------------------------------------------------------------------------------


@bp.get("/assessments")
@require_role("assessor")
def assessments() -> Page:
    services = get_services()
    page = _page_number()
    with services.session() as db:
        total = _count(db, Assessment)
        rows = db.scalars(
            select(Assessment)
            .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        return render_template(
            "admin/assessments.html",
            rows=rows,
            groups=_assessable(db),
            learner=request.args.get("learner", ""),
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
        )


def _assessment_form(
    db: Session, *, status: int = 200, error: str | None = None, values: dict[str, Any]
) -> tuple[str, int]:
    achievement = db.get(Achievement, values["achievement"])
    if achievement is None or achievement.skill_id is None:
        raise InvalidRequest("Choose a skill level to assess.", code="unknown_achievement")
    skill = db.get(Skill, achievement.skill_id)
    assert skill is not None  # foreign key
    page = render_template(
        "admin/assessment_new.html",
        achievement=achievement,
        skill=skill,
        criteria=_criteria(skill),
        levels=LEVEL_NAMES,
        formats=PROOF_FORMATS,
        cohorts=db.scalars(select(Cohort).order_by(Cohort.starts_on.desc())).all(),
        learners=db.scalars(select(User.email).where(User.role == "learner")).all(),
        values=values,
        error=error,
        max_bytes=get_services().settings.max_request_bytes,
    )
    return page, status


@bp.get("/assessments/new")
@require_role("assessor")
def assessment_new() -> Page:
    services = get_services()
    values = {
        "achievement": request.args.get("achievement", ""),
        "learner": request.args.get("learner", "").strip(),
        "format": DEFAULT_FORMAT,
        "cohort": "",
        "narrative": "",
        "url": "",
        "key": secrets.token_urlsafe(16),
    }
    try:
        with services.session() as db:
            return _assessment_form(db, values=values)
    except InvalidRequest as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.assessments", learner=values["learner"]))


def _evidence() -> list[EvidenceInput]:
    items = []
    narrative = _text("narrative", "The evidence narrative", max_length=10000) or None
    url = _text("url", "The evidence URL", max_length=1000) or None
    if narrative or url:
        items.append(EvidenceInput(narrative=narrative, url=url))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        content = upload.read()
        if not content:
            raise InvalidRequest("The evidence file is empty.", code="empty_file")
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
        items.append(
            EvidenceInput(
                name=name,
                file_name=name,
                file_content=content,
                media_type=upload.mimetype or None,
            )
        )
    return items


@bp.post("/assessments/new")
@require_role("assessor")
def assessment_record() -> Page:
    services = get_services()
    values: dict[str, Any] = {
        key: request.form.get(key, "").strip()
        for key in ("achievement", "learner", "format", "cohort", "narrative", "url", "key")
    }
    values["levels"] = {
        name.removeprefix("level-"): value
        for name, value in request.form.items()
        if name.startswith("level-")
    }
    try:
        with services.session() as db:
            levels = {
                criterion: _level(value, f"The level for {criterion}")
                for criterion, value in values["levels"].items()
            }
            cohort_id = None
            if values["cohort"]:
                cohort_id = _int(values["cohort"], "The cohort", low=1, high=2**31)
                if db.get(Cohort, cohort_id) is None:
                    raise InvalidRequest("There is no such cohort.", code="unknown_cohort")
            if not values["learner"]:
                raise InvalidRequest("Enter the learner's e-mail address.")
            outcome = record_assessment(
                db,
                services,
                AssessmentInput(
                    learner_email=values["learner"],
                    achievement_id=values["achievement"],
                    levels=levels,
                    assessor=_actor(),
                    evidence=tuple(_evidence()),
                    cohort_id=cohort_id,
                    idempotency_key=f"web:{values['key']}"[:200] if values["key"] else None,
                    proof_format=values["format"] or DEFAULT_FORMAT,
                    require_registered_learner=False,
                ),
                now=services.now(),
            )
    except InvalidRequest as exc:
        with services.session() as db:
            return _assessment_form(db, status=400, error=exc.message, values=values)
    if not outcome.created:
        flash("This form was already submitted; here is its result.", "warning")
    return redirect(url_for("admin.assessment", assessment_id=outcome.assessment_id))


@bp.get("/assessments/<int:assessment_id>")
@require_role("assessor")
def assessment(assessment_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        row = db.get(Assessment, assessment_id)
        if row is None:
            raise NotFound("No assessment with that id.", code="unknown_assessment")
        achievement = row.achievement
        skill = db.get(Skill, achievement.skill_id) if achievement.skill_id else None
        names = {c["id"]: c["name"] for c in _criteria(skill)} if skill else {}
        required = achievement.level or 1
        scores = [
            {
                "criterion": names.get(criterion, criterion),
                "level": level,
                "met": level >= required,
            }
            for criterion, level in json.loads(row.levels).items()
        ]
        return render_template(
            "admin/assessment.html",
            row=row,
            achievement=achievement,
            scores=scores,
            required=required,
            levels=LEVEL_NAMES,
        )


# -- badges, audit, users ---------------------------------------------------------------------


@bp.get("/badges")
@require_role(*STAFF_ROLES)
def badges() -> Page:
    services = get_services()
    page = _page_number()
    with services.session() as db:
        total = _count(db, IssuedCredential)
        rows = db.scalars(
            select(IssuedCredential)
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        return render_template(
            "admin/badges.html",
            rows=rows,
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
            now=services.now(),
        )


@bp.post("/badges/<path:credential_id>/status")
@require_role("admin")
def badge_status(credential_id: str) -> Any:
    """Revoke, suspend or reinstate a badge; the reason goes into the audit log."""
    from passport.credentials.status import change_status

    services = get_services()
    action = request.form.get("action", "")
    if action not in ("revoke", "suspend", "reinstate"):
        raise InvalidRequest("Choose revoke, suspend or reinstate.")
    with services.session() as db:
        change_status(
            db,
            services,
            credential_id,
            action,
            reason=request.form.get("reason", ""),
            actor=g.user.email,
            now=services.now(),
        )
    return redirect(url_for("admin.badges"))


def _audit_query() -> Any:
    return select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@bp.get("/audit")
@require_role("admin")
def audit() -> Page:
    services = get_services()
    page = _page_number()
    with services.session() as db:
        total = _count(db, AuditEvent)
        events = db.scalars(_audit_query().limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        return render_template(
            "admin/audit.html",
            events=events,
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
            total=total,
        )


@bp.get("/audit.csv")
@require_role("admin")
def audit_csv() -> Response:
    """The whole audit log, newest first; every cell is neutralised against formula injection."""
    services = get_services()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    with services.session() as db:
        for event in db.scalars(_audit_query()):
            writer.writerow(
                transfer.safe_cell(value)
                for value in (
                    event.at.isoformat(),
                    event.actor,
                    event.action,
                    event.subject,
                    event.detail,
                )
            )
    return _download(out.getvalue(), mimetype="text/csv", filename="audit-log.csv")


@bp.route("/users", methods=["GET", "POST"])
@require_role("admin")
def users() -> Page:
    services = get_services()
    values = {"email": "", "name": "", "role": "learner"}
    error = None
    status = 200
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in values})
        try:
            with services.session() as db:
                user = create_user(
                    db,
                    email=values["email"],
                    name=values["name"][:200],
                    role=values["role"],
                    password=request.form.get("password", ""),
                    actor=_actor(),
                )
                created = user.email
        except InvalidRequest as exc:
            error, status = exc.message, 400
        else:
            flash(f"User {created} created.", "ok")
            return redirect(url_for("admin.users"))
    with services.session() as db:
        rows = db.scalars(select(User).order_by(User.role, User.email)).all()
        page = render_template(
            "admin/users.html", rows=rows, roles=ROLES, values=values, error=error
        )
        return page, status
