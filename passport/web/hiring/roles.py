"""Open roles and their ranked candidates (``/hiring/roles``), for hiring managers and admins.

The rules live in :mod:`passport.mobility` (roles, ranking, candidates); these views read the
forms, call the use cases and show the results. Opening a role is two steps on one page that
work without JavaScript: choose the job family (a GET form, which prefills its required
levels), then adjust the levels and open the role (POST, then redirect). A role's page ranks
its candidates afresh on every request and records that the list was seen in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from passport.audit import record_event
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.job_families import active_job_families
from passport.catalog.models import JobFamily, Skill
from passport.errors import Conflict, InvalidRequest
from passport.mobility.candidates import (
    EXTERNAL_MAX_BYTES,
    add_external,
    candidates_csv,
    rank_role,
)
from passport.mobility.ranking import requirements_of
from passport.mobility.roles import (
    MAX_OPENINGS,
    RoleDraft,
    close_role,
    find_managed_role,
    list_roles,
    top_level,
    whole_number,
)
from passport.mobility.roles import open_role as open_role_use_case
from passport.web.admin.common import download
from passport.web.context import get_services
from passport.web.hiring.common import HIRING_ROLES, bp
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

Page = str | tuple[str, int] | WerkzeugResponse

#: The form's fields (``level-<skill>`` for each level; ``extra_skill``/``extra_level`` for
#: one skill the family does not ask for).
TEXT_FIELDS = ("title", "team", "location", "openings")
LEVEL_PREFIX = "level-"


def _actor() -> str:
    email: str = g.user.email
    return email[:200]


def _problem(exc: InvalidRequest | Conflict) -> str:
    """The domain's sentence in the page's language (known codes translated here; the rest
    are shown as the domain wrote them)."""
    top = top_level()
    sentences: dict[str, Callable[[], str]] = {
        "missing_title": lambda: _("Give the role a title."),
        "invalid_title": lambda: _("The title is too long: at most 200 characters."),
        "invalid_team": lambda: _("The team is too long: at most 200 characters."),
        "invalid_location": lambda: _("The location is too long: at most 200 characters."),
        "missing_job_family": lambda: _("Choose the role's job family."),
        "unknown_job_family": lambda: _("Choose one of the job families in the list."),
        "invalid_openings": lambda: _(
            "The number of openings must be a whole number from 1 to %(max)s.",
            max=MAX_OPENINGS,
        ),
        "invalid_level": lambda: _(
            "Each level must be a whole number from 0 (not required) to %(top)s.", top=top
        ),
        "unknown_skill": lambda: _("Choose one of the skills in the list."),
        "no_requirements": lambda: _("A role must require at least one skill at level 1 or above."),
        "missing_label": lambda: _("Name the candidate (a name or a reference)."),
        "invalid_label": lambda: _("The name is too long: at most 200 characters."),
        "missing_file": lambda: _("Choose the passport file to upload."),
        "file_too_large": lambda: _(
            "The file is too large: at most %(size)s MB.", size=EXTERNAL_MAX_BYTES // (1024 * 1024)
        ),
        "role_closed": lambda: _("The role is already closed."),
    }
    known = sentences.get(exc.code)
    return known() if known is not None else exc.message


# -- /hiring/roles ----------------------------------------------------------------------------


def _family_names(db: Session) -> dict[str, str]:
    return {f.id: f.name for f in db.scalars(select(JobFamily))}


def _skill_names(db: Session) -> dict[str, str]:
    return {s.id: s.name for s in db.scalars(select(Skill))}


@bp.get("/roles")
@require_role(*HIRING_ROLES)
def roles() -> Page:
    services = get_services()
    with services.session() as db:
        rows = list_roles(db, managed_by=g.user)
        return render_template(
            "hiring/roles_list.html",
            open_roles=[r for r in rows if r.status == "open"],
            closed_roles=[r for r in rows if r.status != "open"],
            families=_family_names(db),
        )


# -- /hiring/roles/new ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelField:
    """One required level on the form: the skill, its name and the level chosen."""

    skill: str
    name: str
    value: str
    family_level: int


def _level_fields(
    db: Session, family: JobFamily | None, form: Mapping[str, str]
) -> list[LevelField]:
    if family is None:
        return []
    names = _skill_names(db)
    fields = []
    for req in sorted(family.requirements, key=lambda r: names.get(r.skill_id, r.skill_id)):
        value = form.get(LEVEL_PREFIX + req.skill_id, str(req.min_level))
        fields.append(
            LevelField(req.skill_id, names.get(req.skill_id, req.skill_id), value, req.min_level)
        )
    return fields


def _new_role_page(
    db: Session,
    family_id: str,
    form: Mapping[str, str],
    *,
    error: str | None = None,
    error_field: str | None = None,
) -> str:
    families = active_job_families(db)
    family = next((f for f in families if f.id == family_id), None)
    fields = _level_fields(db, family, form)
    asked = {f.skill for f in fields}
    extra_skills = [
        s
        for s in db.scalars(select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name))
        if s.id not in asked
    ]
    return render_template(
        "hiring/roles_new.html",
        families=families,
        family=family,
        family_id=family_id,
        fields=fields,
        extra_skills=extra_skills,
        values={name: form.get(name, "1" if name == "openings" else "") for name in TEXT_FIELDS}
        | {"extra_skill": form.get("extra_skill", ""), "extra_level": form.get("extra_level", "")},
        levels=range(0, top_level() + 1),
        level_names=LEVEL_NAMES,
        max_openings=MAX_OPENINGS,
        error=error,
        error_field=error_field,
    )


def _submitted_levels(form: Mapping[str, str]) -> dict[str, object]:
    """The levels as typed: every ``level-<skill>`` field, and the one extra skill (when one
    is chosen; its level defaults to 1 when left empty)."""
    levels: dict[str, object] = {
        name.removeprefix(LEVEL_PREFIX): value.strip()
        for name, value in form.items()
        if name.startswith(LEVEL_PREFIX) and name != LEVEL_PREFIX
    }
    extra = form.get("extra_skill", "").strip()
    if extra:
        levels[extra] = form.get("extra_level", "").strip() or "1"
    return levels


def _error_field(exc: InvalidRequest, form: Mapping[str, str]) -> str:
    """Which field an error is about (for aria-invalid and the summary's link)."""
    fields = {
        "missing_title": "title",
        "invalid_title": "title",
        "invalid_team": "team",
        "invalid_location": "location",
        "invalid_openings": "openings",
        "missing_job_family": "jobFamily",
        "unknown_job_family": "jobFamily",
        "unknown_skill": "extra_skill",
        "no_requirements": "levels",
    }
    if exc.code == "invalid_level":
        top = top_level()
        for name, value in form.items():
            level = whole_number(value)
            if name.startswith(LEVEL_PREFIX) and not (isinstance(level, int) and 0 <= level <= top):
                return name
        return "extra_level"
    if exc.code == "unknown_skill":
        extra = form.get("extra_skill", "").strip()
        if not extra:
            return next((n for n in form if n.startswith(LEVEL_PREFIX)), "extra_skill")
    return fields.get(exc.code, "title")


@bp.route("/roles/new", methods=["GET", "POST"])
@require_role(*HIRING_ROLES)
def role_new() -> Page:
    services = get_services()
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        family_id = request.args.get("jobFamily", "").strip()[:64]
        with services.session() as db:
            if family_id and all(f.id != family_id for f in active_job_families(db)):
                error = _("Choose one of the job families in the list.")
                page = _new_role_page(db, "", {}, error=error, error_field="jobFamily")
                return page, 400
            return _new_role_page(db, family_id, request.args)
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    family_id = form.get("jobFamily", "").strip()[:64]
    draft = RoleDraft(
        title=form.get("title", ""),
        job_family=family_id,
        openings=form.get("openings", "").strip(),
        levels=_submitted_levels(form),
        team=form.get("team"),
        location=form.get("location"),
    )
    try:
        with services.session() as db:
            role = open_role_use_case(
                db, draft, actor=_actor(), user_id=g.user.id, now=services.now()
            )
            role_id, title = role.id, role.title
    except InvalidRequest as exc:
        with services.session() as db:
            page = _new_role_page(
                db, family_id, form, error=_problem(exc), error_field=_error_field(exc, form)
            )
        return page, 400
    flash(_("The role %(title)s is open.", title=title), "ok")
    return redirect(url_for("hiring.role", role_id=role_id))


# -- /hiring/roles/<id> -----------------------------------------------------------------------


def _role_page(
    role_id: int,
    *,
    upload_error: str | None = None,
    upload_field: str | None = None,
    label: str = "",
) -> str:
    services = get_services()
    with services.session() as db:
        result = rank_role(services, db, role_id, manager=g.user)
        role = result.role
        skills = _skill_names(db)
        record_event(
            db,
            _actor(),
            "role.candidates",
            role.id,
            {"candidates": len(result.candidates)},
            at=services.now(),
        )
        return render_template(
            "hiring/roles_detail.html",
            role=role,
            family_name=_family_names(db).get(role.job_family_id, role.job_family_id),
            requirements=requirements_of(role),
            candidates=result.candidates,
            closers=result.closers,
            skills=skills,
            level_names=LEVEL_NAMES,
            upload_error=upload_error,
            upload_field=upload_field,
            label=label,
            max_megabytes=EXTERNAL_MAX_BYTES // (1024 * 1024),
        )


@bp.get("/roles/<int:role_id>")
@require_role(*HIRING_ROLES)
def role(role_id: int) -> Page:
    return _role_page(role_id)


@bp.get("/roles/<int:role_id>/candidates.csv")
@require_role(*HIRING_ROLES)
def role_candidates_csv(role_id: int) -> Page:
    """The ranked list as CSV: the same people and order as the page, audited the same way."""
    services = get_services()
    with services.session() as db:
        result = rank_role(services, db, role_id, manager=g.user)
        record_event(
            db,
            _actor(),
            "role.candidates",
            result.role.id,
            {"candidates": len(result.candidates), "format": "csv"},
            at=services.now(),
        )
        body = candidates_csv(result)
    return download(body, mimetype="text/csv", filename=f"role-{role_id}-candidates.csv")


@bp.post("/roles/<int:role_id>/external")
@require_role(*HIRING_ROLES)
def role_external(role_id: int) -> Page:
    """Attach an external candidate's passport (a file) to the role."""
    services = get_services()
    label = request.form.get("label", "")
    upload = request.files.get("passport")
    content = upload.read(EXTERNAL_MAX_BYTES + 1) if upload is not None else b""
    try:
        with services.session() as db:
            add_external(
                db,
                role_id,
                label=label,
                filename=upload.filename if upload is not None else None,
                content=content,
                actor=_actor(),
                now=services.now(),
                manager=g.user,
            )
    except Conflict:  # ``role_closed``: a closed role takes no new candidates
        flash(_("This role is closed: it takes no new candidates."), "error")
        return redirect(url_for("hiring.role", role_id=role_id))
    except InvalidRequest as exc:
        field = "label" if exc.code in ("missing_label", "invalid_label") else "passport"
        return _role_page(role_id, upload_error=_problem(exc), upload_field=field, label=label), 400
    flash(_("The passport of %(name)s was added to the role.", name=" ".join(label.split())), "ok")
    return redirect(url_for("hiring.role", role_id=role_id, _anchor="candidates"))


@bp.route("/roles/<int:role_id>/close", methods=["GET", "POST"])
@require_role(*HIRING_ROLES)
def role_close(role_id: int) -> Page:
    """GET: what closing the role means; POST (the confirmation): close it."""
    services = get_services()
    if request.method == "POST":
        try:
            with services.session() as db:
                title = close_role(
                    db, role_id, actor=_actor(), now=services.now(), manager=g.user
                ).title
        except Conflict as exc:
            flash(_problem(exc), "error")
        else:
            flash(_("The role %(title)s is closed.", title=title), "ok")
        return redirect(url_for("hiring.role", role_id=role_id))
    with services.session() as db:
        role = find_managed_role(db, role_id, g.user)
        return render_template("hiring/roles_close.html", role=role)
