"""Catalog pages: job families (edit required skills and levels), skills, catalog import and
export."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.accounts.users import STAFF_ROLES
from passport.catalog import achievements, transfer
from passport.catalog.models import JobFamily, JobFamilySkill, Skill
from passport.catalog.skills import rubric_criteria
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import (
    LEVEL_NAMES,
    Page,
    actor_email,
    audit_event,
    bp,
    download,
    form_level,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []


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
        level = form_level(
            request.form.get(f"level-{req.skill_id}"), f"The level for {req.skill_id}"
        )
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
        level = form_level(request.form.get("add_level"), "The level of the added skill")
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
    issuer = own_issuer(db, get_services())
    rebuilt = achievements.rebuild_achievements(
        db,
        issuer,
        public_url=services.settings.public_url,
        issuer_profile=issuer_profile(issuer),
    )
    audit_event(db, "job_family.update", family.id, {k: v for k, v in changes.items() if v})
    return rebuilt


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
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("The file is not UTF-8 text.", code="bad_encoding") from None
        is_csv = upload.filename.lower().endswith(".csv")
        with services.session() as db:
            issuer = own_issuer(db, get_services())
            options: dict[str, Any] = {
                "public_url": services.settings.public_url,
                "issuer_profile": issuer_profile(issuer),
                "actor": actor_email(),
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
            audit_event(db, "catalog.import", upload.filename, {"achievements_changed": changed})
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
                    "criteria": rubric_criteria(skill),
                    "alignments": json.loads(skill.alignments),
                    "tags": json.loads(skill.tags),
                    "families": families,
                }
            )
        return render_template("admin/skills.html", rows=rows, levels=LEVEL_NAMES)
