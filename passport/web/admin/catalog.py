"""Catalog pages: job families (edit required skills and levels), skills, catalog import and
export."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from passport.accounts.users import STAFF_ROLES
from passport.catalog import achievements, transfer
from passport.catalog.job_families import JobFamilyEdit, find_job_family, update_job_family
from passport.catalog.models import JobFamily, JobFamilySkill, Skill
from passport.catalog.skills import rubric_criteria
from passport.errors import InvalidRequest
from passport.web.admin.common import (
    LEVEL_NAMES,
    Page,
    actor_email,
    bp,
    download,
    form_level,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []


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
        family = find_job_family(db, family_id)
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
                edit = _job_family_edit(find_job_family(db, family_id))
                rebuilt = update_job_family(
                    db, services, family_id, edit, actor=actor_email(), now=services.now()
                )
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
        family = find_job_family(db, family_id)
        required = {req.skill_id for req in family.requirements}
        addable = [
            s for s in db.scalars(select(Skill).order_by(Skill.name)) if s.id not in required
        ]
        return render_template(
            "admin/job_family_edit.html", family=family, addable=addable, levels=LEVEL_NAMES
        )


def _job_family_edit(family: JobFamily) -> JobFamilyEdit:
    """The edit form, read: levels of kept skills, removals, and the skill to add."""
    remove = frozenset(
        req.skill_id for req in family.requirements if request.form.get(f"remove-{req.skill_id}")
    )
    levels = {
        req.skill_id: form_level(
            request.form.get(f"level-{req.skill_id}"), f"The level for {req.skill_id}"
        )
        for req in family.requirements
        if req.skill_id not in remove
    }
    add_skill = request.form.get("add_skill", "").strip()
    add = None
    if add_skill:
        add = (add_skill, form_level(request.form.get("add_level"), "The level of the added skill"))
    return JobFamilyEdit(levels=levels, remove=remove, add=add)


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
                    "criteria": rubric_criteria(skill),
                    "alignments": json.loads(skill.alignments),
                    "tags": json.loads(skill.tags),
                    "families": families,
                }
            )
        return render_template("admin/skills.html", rows=rows, levels=LEVEL_NAMES)
