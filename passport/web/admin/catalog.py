"""Catalog pages: job families, skills (with their rubric) and achievements — list, search,
create, edit, retire and bring back — and catalog import and export.

Any staff member reads; only administrators change the catalog. The use cases live in
:mod:`passport.catalog`; these views read forms, call them and render the answer. A form with
problems comes back with the input kept, a summary at the top and each message by its field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from math import ceil
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from passport.accounts.users import STAFF_ROLES
from passport.catalog import achievements, transfer
from passport.catalog.achievement_admin import (
    ACHIEVEMENT_TYPES,
    AchievementInput,
    create_achievement,
    find_achievement,
    issued_count,
    search_achievements,
    set_achievement_retired,
    update_achievement,
)
from passport.catalog.achievements import LEVELS, AchievementTexts
from passport.catalog.job_families import (
    JobFamilyDetails,
    JobFamilyEdit,
    NewJobFamily,
    create_job_family,
    find_job_family,
    search_job_families,
    set_job_family_retired,
    update_job_family,
)
from passport.catalog.models import AchievementDefinition, JobFamily, Skill
from passport.catalog.skills import (
    CriterionInput,
    SkillInput,
    create_skill,
    families_requiring,
    find_skill,
    rubric_criteria,
    rubric_grid,
    search_skills,
    set_skill_retired,
    update_skill,
)
from passport.catalog.validation import CatalogFormError
from passport.errors import InvalidRequest
from passport.web.admin.common import (
    LEVEL_NAMES,
    Page,
    actor_email,
    bp,
    download,
    form_level,
    page_number,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.i18n import ngettext
from passport.web.sessions import require_role

__all__: list[str] = []

#: Rows per page of the catalog lists.
PAGE_SIZE = 20
#: Empty rows the forms offer for new rubric criteria and required skills.
BLANK_CRITERIA = 2
BLANK_REQUIREMENTS = 4


# -- shared -----------------------------------------------------------------------------------


def _form_errors(exc: CatalogFormError) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Each field's translated message, and the summary (field, message) in form order."""
    messages: dict[str, str] = {}
    summary: list[tuple[str, str]] = []
    for error in exc.errors:
        values = {k: _(v) if k == "label" else v for k, v in error.values.items()}
        text = _(error.message, **values)
        summary.append((error.field, text))
        messages.setdefault(error.field, text)
    return messages, summary


def _list_args() -> dict[str, Any]:
    """The search box, the retired filter and the page of a catalog list."""
    return {
        "q": request.args.get("q", "").strip()[:200],
        "retired": request.args.get("status") == "retired",
        "page": page_number(),
    }


def _list_page(
    search: Callable[..., tuple[list[Any], int]], db: Any, args: dict[str, Any]
) -> dict[str, Any]:
    rows, total = search(db, args["q"], retired=args["retired"], page=args["page"], size=PAGE_SIZE)
    pages = max(ceil(total / PAGE_SIZE), 1)
    if args["page"] > pages:  # a page past the end (an old link) shows the last one
        rows, total = search(db, args["q"], retired=args["retired"], page=pages, size=PAGE_SIZE)
    return {
        "rows": rows,
        "total": total,
        "q": args["q"],
        "status": "retired" if args["retired"] else "",
        "page": min(args["page"], pages),
        "pages": pages,
    }


def _retire_flow(
    *,
    kind: str,
    load: Callable[[Any], Any],
    retire: Callable[[Any, bool], Any],
    back: str,
    consequences: list[str],
) -> Page:
    """The confirmation page (GET) and the retiring itself (POST, with CSRF)."""
    services = get_services()
    if request.method == "POST":
        with services.session() as db:
            item = retire(db, True)
            name = item.name
        flash(_("%(name)s is retired.", name=name), "ok")
        return redirect(back)
    with services.session() as db:
        item = load(db)
        return render_template(
            "admin/catalog_retire.html",
            kind=kind,
            item=item,
            consequences=consequences,
            back=back,
        )


# -- job families ------------------------------------------------------------------------------


@bp.get("/job-families")
@require_role(*STAFF_ROLES)
def job_families() -> Page:
    services = get_services()
    with services.session() as db:
        listing = _list_page(search_job_families, db, _list_args())
        return render_template("admin/job_families.html", **listing)


def _skill_choices(db: Any) -> list[Skill]:
    return list(db.scalars(select(Skill).where(Skill.retired_at.is_(None)).order_by(Skill.name)))


@bp.route("/job-families/new", methods=["GET", "POST"])
@require_role("admin")
def job_family_new() -> Page:
    services = get_services()
    errors: dict[str, str] = {}
    summary: list[tuple[str, str]] = []
    form = request.form
    count = _row_count(form.get("req_rows"), BLANK_REQUIREMENTS)
    if request.method == "POST" and form.get("action") == "more":
        count += 1
    elif request.method == "POST":
        data = NewJobFamily(
            id=form.get("id", ""),
            details=_family_details(),
            requirements=[
                (form.get(f"req-{i}-skill", ""), form.get(f"req-{i}-level", ""))
                for i in range(count)
            ],
        )
        try:
            with services.session() as db:
                family = create_job_family(
                    db, services, data, actor=actor_email(), now=services.now()
                )
                family_id = family.id
        except CatalogFormError as exc:
            errors, summary = _form_errors(exc)
        else:
            flash(_("The job family %(name)s is created.", name=data.details.name.strip()), "ok")
            return redirect(url_for("admin.job_family", family_id=family_id))
    with services.session() as db:
        page = render_template(
            "admin/job_family_new.html",
            values=form,
            rows=count,
            skills=_skill_choices(db),
            levels=LEVEL_NAMES,
            errors=errors,
            summary=summary,
        )
    return (page, 400) if errors else page


def _row_count(text: str | None, default: int) -> int:
    try:
        return min(max(int(text or default), 1), 50)
    except ValueError:
        return default


def _family_details() -> JobFamilyDetails:
    form = request.form
    return JobFamilyDetails(
        name=form.get("name", ""),
        description=form.get("description", ""),
        occupation=form.get("occupation", ""),
        framework=form.get("framework", ""),
        code=form.get("code", ""),
        url=form.get("url", ""),
        productive_definition=form.get("productive_definition", ""),
    )


@bp.get("/job-families/<family_id>")
@require_role(*STAFF_ROLES)
def job_family(family_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        family = find_job_family(db, family_id)
        existing = set(db.scalars(select(AchievementDefinition.id)))
        return render_template(
            "admin/job_family.html",
            family=family,
            levels=LEVEL_NAMES,
            achievement_id=achievements.achievement_id,
            existing=existing,
        )


@bp.route("/job-families/<family_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def job_family_edit(family_id: str) -> Page:
    services = get_services()
    errors: dict[str, str] = {}
    summary: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            with services.session() as db:
                edit = _job_family_edit(find_job_family(db, family_id))
                rebuilt = update_job_family(
                    db, services, family_id, edit, actor=actor_email(), now=services.now()
                )
        except CatalogFormError as exc:
            errors, summary = _form_errors(exc)
        except InvalidRequest as exc:
            errors = {"requirements": exc.message}
            summary = [("requirements", exc.message)]
        else:
            if rebuilt is None:
                flash(_("Nothing changed."), "ok")
            else:
                flash(
                    ngettext(
                        "Saved; %(num)d published achievement definition changed.",
                        "Saved; %(num)d published achievement definitions changed.",
                        rebuilt,
                    ),
                    "ok",
                )
            return redirect(url_for("admin.job_family", family_id=family_id))
    with services.session() as db:
        family = find_job_family(db, family_id)
        required = {req.skill_id for req in family.requirements}
        addable = [s for s in _skill_choices(db) if s.id not in required]
        values = request.form if request.method == "POST" else _family_values(family)
        page = render_template(
            "admin/job_family_edit.html",
            family=family,
            addable=addable,
            levels=LEVEL_NAMES,
            values=values,
            errors=errors,
            summary=summary,
        )
    return (page, 400) if errors else page


def _family_values(family: JobFamily) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": family.name,
        "description": family.description or "",
        "occupation": family.occupation or "",
        "framework": family.framework or "",
        "code": family.code or "",
        "url": family.url or "",
        "productive_definition": family.productive_definition or "",
    }
    for req in family.requirements:
        values[f"level-{req.skill_id}"] = str(req.min_level)
    return values


def _job_family_edit(family: JobFamily) -> JobFamilyEdit:
    """The edit form, read: details (when the form has them), levels of kept skills, removals,
    and the skill to add."""
    remove = frozenset(
        req.skill_id for req in family.requirements if request.form.get(f"remove-{req.skill_id}")
    )
    levels = {
        req.skill_id: form_level(
            request.form.get(f"level-{req.skill_id}"),
            _("The level for %(skill)s", skill=req.skill_id),
        )
        for req in family.requirements
        if req.skill_id not in remove and f"level-{req.skill_id}" in request.form
    }
    add_skill = request.form.get("add_skill", "").strip()
    add = None
    if add_skill:
        add = (
            add_skill,
            form_level(request.form.get("add_level"), _("The level of the added skill")),
        )
    details = _family_details() if "name" in request.form else None
    return JobFamilyEdit(levels=levels, remove=remove, add=add, details=details)


@bp.route("/job-families/<family_id>/retire", methods=["GET", "POST"])
@require_role("admin")
def job_family_retire(family_id: str) -> Page:
    services = get_services()

    def retire(db: Any, retired: bool) -> Any:
        return set_job_family_retired(
            db, family_id, retired, actor=actor_email(), now=services.now()
        )

    return _retire_flow(
        kind="job_family",
        load=lambda db: find_job_family(db, family_id),
        retire=retire,
        back=url_for("admin.job_family", family_id=family_id),
        consequences=[
            _("It is no longer offered on the verify page or for new cohorts."),
            _(
                "Badges already issued stay valid, and its public page and JSON stay online, "
                "so links to it keep working."
            ),
            _("You can bring it back at any time."),
        ],
    )


@bp.post("/job-families/<family_id>/unretire")
@require_role("admin")
def job_family_unretire(family_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        family = set_job_family_retired(
            db, family_id, False, actor=actor_email(), now=services.now()
        )
        flash(_("%(name)s is back in use.", name=family.name), "ok")
    return redirect(url_for("admin.job_family", family_id=family_id))


# -- skills ------------------------------------------------------------------------------------


@bp.get("/skills")
@require_role(*STAFF_ROLES)
def skills() -> Page:
    services = get_services()
    with services.session() as db:
        listing = _list_page(search_skills, db, _list_args())
        listing["rows"] = [
            {
                "skill": skill,
                "criteria": rubric_criteria(skill),
                "alignments": json.loads(skill.alignments),
                "tags": json.loads(skill.tags),
                "families": families_requiring(db, skill.id),
            }
            for skill in listing["rows"]
        ]
        return render_template("admin/skills.html", levels=LEVEL_NAMES, **listing)


@bp.get("/skills/<skill_id>")
@require_role(*STAFF_ROLES)
def skill(skill_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        found = find_skill(db, skill_id)
        return render_template(
            "admin/skill.html",
            skill=found,
            grid=rubric_grid(found),
            levels=LEVEL_NAMES,
            families=families_requiring(db, skill_id),
            achievements=db.scalars(
                select(AchievementDefinition)
                .where(AchievementDefinition.skill_id == skill_id)
                .order_by(AchievementDefinition.level)
            ).all(),
            alignments=json.loads(found.alignments),
        )


def _skill_input(count: int) -> SkillInput:
    form = request.form
    return SkillInput(
        id=form.get("id", ""),
        name=form.get("name", ""),
        description=form.get("description", ""),
        valid_for_days=form.get("valid_for_days", ""),
        criteria=[
            CriterionInput(
                id=form.get(f"criteria-{i}-id", ""),
                name=form.get(f"criteria-{i}-name", ""),
                levels={
                    int(lvl["level"]): form.get(f"criteria-{i}-level-{lvl['level']}", "")
                    for lvl in LEVELS
                },
            )
            for i in range(count)
        ],
    )


def _skill_values(found: Skill) -> tuple[dict[str, Any], int]:
    """The edit form's values for ``found``, and how many criterion rows it has."""
    values: dict[str, Any] = {
        "id": found.id,
        "name": found.name,
        "description": found.description or "",
        "valid_for_days": "" if found.valid_for_days is None else str(found.valid_for_days),
    }
    grid = rubric_grid(found) if json.loads(found.criteria) else []
    for i, row in enumerate(grid):
        values[f"criteria-{i}-id"] = row["id"]
        values[f"criteria-{i}-name"] = row["name"]
        for level, text in row["levels"].items():
            values[f"criteria-{i}-level-{level}"] = text
    return values, len(grid)


def _skill_form(found: Skill | None) -> Page:
    """The skill form: new (``found`` None) or edit; GET shows it, POST saves, or adds an
    empty criterion row when the "add a criterion" button sent it."""
    services = get_services()
    errors: dict[str, str] = {}
    summary: list[tuple[str, str]] = []
    form = request.form
    if request.method == "POST":
        count = _row_count(form.get("criteria_rows"), BLANK_CRITERIA)
        if form.get("action") == "more":
            return _render_skill_form(found, dict(form), count + 1, errors, summary)
        data = _skill_input(count)
        try:
            with services.session() as db:
                if found is None:
                    created = create_skill(
                        db, services, data, actor=actor_email(), now=services.now()
                    )
                    skill_id = created.id
                    flash(
                        _(
                            "The skill %(name)s is created. Now create the achievements for "
                            "the levels you certify.",
                            name=created.name,
                        ),
                        "ok",
                    )
                else:
                    skill_id = found.id
                    rebuilt = update_skill(
                        db, services, found.id, data, actor=actor_email(), now=services.now()
                    )
                    flash(
                        _("Nothing changed.")
                        if rebuilt is None
                        else ngettext(
                            "Saved; %(num)d published achievement definition changed.",
                            "Saved; %(num)d published achievement definitions changed.",
                            rebuilt,
                        ),
                        "ok",
                    )
        except CatalogFormError as exc:
            errors, summary = _form_errors(exc)
            return _render_skill_form(found, dict(form), count, errors, summary), 400
        return redirect(url_for("admin.skill", skill_id=skill_id))
    if found is None:
        return _render_skill_form(None, {}, BLANK_CRITERIA + 1, errors, summary)
    values, count = _skill_values(found)
    return _render_skill_form(found, values, count + BLANK_CRITERIA, errors, summary)


def _render_skill_form(
    found: Skill | None,
    values: dict[str, Any],
    count: int,
    errors: dict[str, str],
    summary: list[tuple[str, str]],
) -> str:
    kept = {c["id"] for c in json.loads(found.criteria)} if found is not None else set()
    return render_template(
        "admin/skill_edit.html",
        skill=found,
        values=values,
        rows=count,
        kept=kept,
        levels=LEVEL_NAMES,
        errors=errors,
        summary=summary,
    )


@bp.route("/skills/new", methods=["GET", "POST"])
@require_role("admin")
def skill_new() -> Page:
    return _skill_form(None)


@bp.route("/skills/<skill_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def skill_edit(skill_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        found = find_skill(db, skill_id)
        db.expunge(found)
    return _skill_form(found)


@bp.route("/skills/<skill_id>/retire", methods=["GET", "POST"])
@require_role("admin")
def skill_retire(skill_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        names = [f.name for f in families_requiring(db, skill_id) if f.retired_at is None]

    def retire(db: Any, retired: bool) -> Any:
        return set_skill_retired(db, skill_id, retired, actor=actor_email(), now=services.now())

    consequences = [
        _("Its achievements are no longer offered for assessments or new cohorts."),
        _("Badges already issued for it stay valid."),
    ]
    if names:
        consequences.append(
            _(
                "These job families still require it; edit them if they should not: %(names)s.",
                names=", ".join(names),
            )
        )
    consequences.append(_("You can bring it back at any time."))
    return _retire_flow(
        kind="skill",
        load=lambda db: find_skill(db, skill_id),
        retire=retire,
        back=url_for("admin.skill", skill_id=skill_id),
        consequences=consequences,
    )


@bp.post("/skills/<skill_id>/unretire")
@require_role("admin")
def skill_unretire(skill_id: str) -> Page:
    services = get_services()
    with services.session() as db:
        found = set_skill_retired(db, skill_id, False, actor=actor_email(), now=services.now())
        flash(_("%(name)s is back in use.", name=found.name), "ok")
    return redirect(url_for("admin.skill", skill_id=skill_id))


# -- achievements ------------------------------------------------------------------------------


@bp.get("/achievements")
@require_role(*STAFF_ROLES)
def achievement_list() -> Page:
    services = get_services()
    with services.session() as db:
        listing = _list_page(search_achievements, db, _list_args())
        listing["rows"] = [
            {"row": row, "issued": issued_count(db, row.id), "skill": row.skill}
            for row in listing["rows"]
        ]
        return render_template(
            "admin/achievements.html", levels=LEVEL_NAMES, types=ACHIEVEMENT_TYPES, **listing
        )


def _achievement_input() -> AchievementInput:
    form = request.form
    return AchievementInput(
        skill_id=form.get("skill", ""),
        level=form.get("level", ""),
        name=form.get("name", ""),
        achievement_type=form.get("achievement_type", "Competency"),
        description=form.get("description", ""),
        narrative=form.get("narrative", ""),
        valid_for_days=form.get("valid_for_days", ""),
    )


def _achievement_form(aid: str | None) -> Page:
    services = get_services()
    errors: dict[str, str] = {}
    summary: list[tuple[str, str]] = []
    if request.method == "POST":
        data = _achievement_input()
        try:
            with services.session() as db:
                if aid is None:
                    row = create_achievement(
                        db, services, data, actor=actor_email(), now=services.now()
                    )
                    flash(_("The achievement %(name)s is created.", name=row.name), "ok")
                else:
                    row = update_achievement(
                        db, services, aid, data, actor=actor_email(), now=services.now()
                    )
                    flash(
                        _(
                            "Saved. Badges issued from now on carry the new definition; badges "
                            "already issued keep theirs."
                        ),
                        "ok",
                    )
                saved = row.id
        except CatalogFormError as exc:
            errors, summary = _form_errors(exc)
        else:
            return redirect(url_for("admin.achievement_list", q=saved))
    with services.session() as db:
        row = find_achievement(db, aid) if aid is not None else None
        if row is not None and row.skill_id is None:
            raise InvalidRequest(
                _(
                    "This achievement is not part of the skills catalog, so it cannot be "
                    "edited here."
                ),
                code="not_in_catalog",
            )
        if request.method == "POST":
            values: dict[str, Any] = dict(request.form)
        elif row is not None:
            texts = AchievementTexts.of(row.document())
            values = {
                "skill": row.skill_id or "",
                "level": str(row.level or ""),
                "name": texts.name,
                "achievement_type": row.achievement_type,
                "description": texts.description,
                "narrative": texts.narrative,
                "valid_for_days": "" if row.valid_for_days is None else str(row.valid_for_days),
            }
        else:
            values = {"skill": request.args.get("skill", ""), "achievement_type": "Competency"}
        skills = list(db.scalars(select(Skill).order_by(Skill.name)))
        page = render_template(
            "admin/achievement_edit.html",
            row=row,
            issued=issued_count(db, row.id) if row is not None else 0,
            values=values,
            skills=[s for s in skills if s.retired_at is None or (row and s.id == row.skill_id)],
            levels=LEVEL_NAMES,
            types=ACHIEVEMENT_TYPES,
            errors=errors,
            summary=summary,
        )
    return (page, 400) if errors else page


@bp.route("/achievements/new", methods=["GET", "POST"])
@require_role("admin")
def achievement_new() -> Page:
    return _achievement_form(None)


@bp.route("/achievements/<aid>/edit", methods=["GET", "POST"])
@require_role("admin")
def achievement_edit(aid: str) -> Page:
    return _achievement_form(aid)


@bp.route("/achievements/<aid>/retire", methods=["GET", "POST"])
@require_role("admin")
def achievement_retire(aid: str) -> Page:
    services = get_services()

    def retire(db: Any, retired: bool) -> Any:
        return set_achievement_retired(db, aid, retired, actor=actor_email(), now=services.now())

    return _retire_flow(
        kind="achievement",
        load=lambda db: find_achievement(db, aid),
        retire=retire,
        back=url_for("admin.achievement_list", q=aid),
        consequences=[
            _(
                "It is no longer offered for assessments or new cohorts, so no new badge is "
                "issued for it."
            ),
            _("Badges already issued for it stay valid, and its public page stays online."),
            _("You can bring it back at any time."),
        ],
    )


@bp.post("/achievements/<aid>/unretire")
@require_role("admin")
def achievement_unretire(aid: str) -> Page:
    services = get_services()
    with services.session() as db:
        row = set_achievement_retired(db, aid, False, actor=actor_email(), now=services.now())
        flash(_("%(name)s is back in use.", name=row.name), "ok")
    return redirect(url_for("admin.achievement_list", q=aid))


# -- import and export -------------------------------------------------------------------------


@bp.get("/catalog.json")
@require_role(*STAFF_ROLES)
def export_catalog() -> Response:
    services = get_services()
    with services.session() as db:
        document = transfer.export_catalog(db)
    return download(
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
    return download(text, mimetype="text/csv", filename="job-families.csv")


@bp.get("/catalog/template.<kind>")
@require_role(*STAFF_ROLES)
def import_template(kind: str) -> Response:
    """A small example of each import format, to fill in and upload."""
    if kind == "json":
        return download(
            json.dumps(transfer.catalog_template(), ensure_ascii=False, indent=2),
            mimetype="application/json",
            filename="catalog-template.json",
        )
    if kind == "csv":
        return download(
            transfer.job_families_csv_template(),
            mimetype="text/csv",
            filename="job-families-template.csv",
        )
    abort(404)


@bp.route("/catalog/import", methods=["GET", "POST"])
@require_role("admin")
def import_catalog() -> Page:
    if request.method != "POST":  # GET, and HEAD (which Flask routes to the same view)
        return render_template("admin/import.html", error=None)
    services = get_services()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidRequest(_("Choose a catalog file (.json or .csv) to import."))
        with services.session() as db:
            changed = transfer.import_catalog_file(
                db,
                services,
                upload.filename,
                upload.read(),
                actor=actor_email(),
                now=services.now(),
            )
    except InvalidRequest as exc:
        return render_template("admin/import.html", error=exc.message), 400
    flash(
        ngettext(
            "Imported. %(num)d achievement definition changed.",
            "Imported. %(num)d achievement definitions changed.",
            changed,
        ),
        "ok",
    )
    return redirect(url_for("admin.job_families"))
