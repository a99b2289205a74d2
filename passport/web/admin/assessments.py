"""Assessment pages: the list, the rubric form (a pass issues the badge), one assessment."""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.catalog.models import AchievementDefinition, Skill
from passport.catalog.skills import assessable_achievements, rubric_criteria
from passport.cohorts.models import (
    Cohort,
)
from passport.credentials.issuing import DEFAULT_FORMAT, PROOF_FORMATS
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import (
    LEVEL_NAMES,
    PAGE_SIZE,
    Page,
    actor_email,
    bp,
    count_rows,
    form_int,
    form_level,
    form_text,
    page_number,
)
from passport.web.context import get_services
from passport.web.sessions import require_role

__all__: list[str] = []


@bp.get("/assessments")
@require_role("assessor")
def assessments() -> Page:
    services = get_services()
    page = page_number()
    with services.session() as db:
        total = count_rows(db, Assessment)
        rows = db.scalars(
            select(Assessment)
            .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        return render_template(
            "admin/assessments.html",
            rows=rows,
            groups=assessable_achievements(db),
            learner=request.args.get("learner", ""),
            page=page,
            pages=max(math.ceil(total / PAGE_SIZE), 1),
        )


def _assessment_form(
    db: Session, *, status: int = 200, error: str | None = None, values: dict[str, Any]
) -> tuple[str, int]:
    achievement = db.get(AchievementDefinition, values["achievement"])
    if achievement is None or achievement.skill_id is None:
        raise InvalidRequest("Choose a skill level to assess.", code="unknown_achievement")
    skill = db.get(Skill, achievement.skill_id)
    assert skill is not None  # foreign key
    page = render_template(
        "admin/assessment_new.html",
        achievement=achievement,
        skill=skill,
        criteria=rubric_criteria(skill),
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
    narrative = form_text("narrative", "The evidence narrative", max_length=10000) or None
    url = form_text("url", "The evidence URL", max_length=1000) or None
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
                criterion: form_level(value, f"The level for {criterion}")
                for criterion, value in values["levels"].items()
            }
            cohort_id = None
            if values["cohort"]:
                cohort_id = form_int(values["cohort"], "The cohort", low=1, high=2**31)
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
                    assessor=actor_email(),
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
        names = {c["id"]: c["name"] for c in rubric_criteria(skill)} if skill else {}
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
