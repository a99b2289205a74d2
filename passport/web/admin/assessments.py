"""Assessment pages: the list (searchable), the rubric form (a pass issues the badge), one
assessment.

The form offers known learners only (a typeahead over users and cohort members); an e-mail no
account has is refused unless "invite this person as a new learner" is ticked
(:mod:`passport.assessments.learners`).
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.assessments.learners import assessable_learner, known_learners
from passport.assessments.models import Assessment
from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.catalog.models import AchievementDefinition, Skill
from passport.catalog.skills import assessable_achievements, rubric_criteria
from passport.cohorts.models import Cohort
from passport.credentials.issuing import DEFAULT_DI_SUITE, DEFAULT_FORMAT
from passport.credentials.models import Holder
from passport.errors import InvalidRequest, NotFound
from passport.web.admin.common import (
    LEVEL_NAMES,
    Page,
    actor_email,
    bp,
    form_int,
    form_level,
    form_text,
    like_pattern,
    pager,
    problem,
    search_text,
)
from passport.web.context import get_services
from passport.web.i18n import gettext as _
from passport.web.sessions import require_role

__all__: list[str] = []

#: The badge formats the form offers, in people's words: choice → (proof format, DI suite).
PROOF_CHOICES: dict[str, tuple[str, str]] = {
    "di-eddsa": ("data-integrity", "eddsa-rdfc-2022"),
    "di-ecdsa": ("data-integrity", "ecdsa-rdfc-2019"),
    "jwt": ("vc-jwt", DEFAULT_DI_SUITE),
}
DEFAULT_PROOF = "di-eddsa"

#: Which form field an error code is about.
ERROR_FIELDS = {
    "missing_learner": "learner",
    "self_assessment": "learner",
    "bad_email": "learner",
    "unknown_learner": "learner",
    "deactivated_learner": "learner",
    "duplicate_user": "learner",
    "unknown_cohort": "cohort",
    "bad_proof": "proof",
    "bad_suite": "proof",
    "unknown_achievement": "achievement",
    "not_assessable": "achievement",
}


def _proof_choices() -> list[dict[str, str]]:
    """The format choices: a plain name, a sentence, and the technical name as secondary text."""
    return [
        {
            "key": "di-eddsa",
            "label": _("JSON with embedded proof (recommended)"),
            "hint": _("The badge is a JSON document that carries its own signature."),
            "technical": "Data Integrity · eddsa-rdfc-2022 (Ed25519)",
        },
        {
            "key": "di-ecdsa",
            "label": _("JSON with embedded proof, NIST P-256 signature"),
            "hint": _("For organisations whose tools only accept NIST-approved curves."),
            "technical": "Data Integrity · ecdsa-rdfc-2019 (P-256)",
        },
        {
            "key": "jwt",
            "label": _("Standard (works everywhere)"),
            "hint": _("The badge is a signed token that every Open Badges 3.0 verifier reads."),
            "technical": "VC-JWT (ES256)",
        },
    ]


def _open_achievements(db: Session) -> list[tuple[Skill, list[AchievementDefinition]]]:
    """Skill levels that may be assessed now: neither the level nor its skill is retired."""
    groups = []
    for skill, levels in assessable_achievements(db):
        if skill.retired_at is not None:
            continue
        current = [a for a in levels if a.retired_at is None]
        if current:
            groups.append((skill, current))
    return groups


def _assessment_filters(query: str, result: str) -> list[Any]:
    where: list[Any] = []
    if query:
        pattern = like_pattern(query)
        named = select(User.holder_id).where(
            User.holder_id.is_not(None), func.lower(User.name).like(pattern, escape="\\")
        )
        where.append(
            or_(
                func.lower(Holder.email).like(pattern, escape="\\"),
                Holder.id.in_(named),
                func.lower(AchievementDefinition.name).like(pattern, escape="\\"),
                func.lower(Assessment.assessor).like(pattern, escape="\\"),
                func.lower(Assessment.assessor_named).like(pattern, escape="\\"),
            )
        )
    if result == "passed":
        where.append(Assessment.passed.is_(True))
    elif result == "not-yet":
        where.append(Assessment.passed.is_(False))
    return where


@bp.get("/assessments")
@require_role("assessor")
def assessments() -> Page:
    services = get_services()
    query = search_text()
    result = request.args.get("result", "")
    result = result if result in ("passed", "not-yet") else ""
    where = _assessment_filters(query, result)

    def joined(statement: Any) -> Any:
        return statement.join(Holder, Assessment.holder_id == Holder.id).join(
            AchievementDefinition, Assessment.achievement_id == AchievementDefinition.id
        )

    with services.session() as db:
        total = int(
            db.scalar(joined(select(func.count()).select_from(Assessment)).where(*where)) or 0
        )
        paging = pager(total, "q", "result")
        rows = db.scalars(
            joined(select(Assessment))
            .where(*where)
            .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
            .limit(paging.limit)
            .offset(paging.offset)
        ).all()
        return render_template(
            "admin/assessments.html",
            rows=rows,
            groups=_open_achievements(db),
            learners=known_learners(db),
            learner=request.args.get("learner", ""),
            query=query,
            result=result,
            pager=paging,
        )


def _render_form(
    db: Session,
    *,
    values: dict[str, Any],
    status: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> tuple[str, int]:
    """The rubric form for the chosen skill level, or the chooser when none (or no valid one)
    is chosen."""
    achievement = db.get(AchievementDefinition, values["achievement"] or "")
    if achievement is not None and achievement.skill_id is not None:
        skill = db.get(Skill, achievement.skill_id)
    else:
        achievement = skill = None
    if values["achievement"] and achievement is None and error is None:
        error = _("Choose a skill level to assess.")
        error_field, status = "achievement", 400
    page = render_template(
        "admin/assessment_new.html",
        achievement=achievement,
        skill=skill,
        groups=_open_achievements(db) if achievement is None else [],
        criteria=rubric_criteria(skill) if skill is not None else [],
        levels=LEVEL_NAMES,
        proof_choices=_proof_choices(),
        cohorts=db.scalars(select(Cohort).order_by(Cohort.starts_on.desc())).all(),
        learners=known_learners(db),
        values=values,
        error=error,
        error_field=error_field,
        max_bytes=get_services().settings.max_request_bytes,
    )
    return page, status


@bp.get("/assessments/new")
@require_role("assessor")
def assessment_new() -> Page:
    """Step one (no skill level chosen yet): learner and skill level; step two: the rubric."""
    services = get_services()
    values = {
        "achievement": request.args.get("achievement", "").strip()[:200],
        "learner": request.args.get("learner", "").strip()[:320],
        "proof": DEFAULT_PROOF,
        "cohort": "",
        "narrative": "",
        "url": "",
        "invite": "",
        "invite_name": "",
        "key": secrets.token_urlsafe(16),
    }
    with services.session() as db:
        return _render_form(db, values=values)


def _evidence() -> list[EvidenceInput]:
    items = []
    narrative = form_text("narrative", _("The evidence narrative"), max_length=10000) or None
    url = form_text("url", _("The evidence URL"), max_length=1000) or None
    if narrative or url:
        items.append(EvidenceInput(narrative=narrative, url=url))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        content = upload.read()
        if not content:
            raise InvalidRequest(_("The evidence file is empty."), code="empty_file")
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


def _proof(values: dict[str, Any]) -> tuple[str, str]:
    """The chosen (proof format, suite); the older ``format`` field is still understood."""
    if values["proof"]:
        if values["proof"] not in PROOF_CHOICES:
            raise InvalidRequest(_("Choose one of the badge formats offered."), code="bad_proof")
        return PROOF_CHOICES[values["proof"]]
    legacy = request.form.get("format", "").strip() or DEFAULT_FORMAT
    return legacy, DEFAULT_DI_SUITE


@bp.post("/assessments/new")
@require_role("assessor")
def assessment_record() -> Page:
    services = get_services()
    values: dict[str, Any] = {
        key: request.form.get(key, "").strip()
        for key in (
            "achievement",
            "learner",
            "proof",
            "cohort",
            "narrative",
            "url",
            "key",
            "invite",
            "invite_name",
        )
    }
    values["levels"] = {
        name.removeprefix("level-"): value
        for name, value in request.form.items()
        if name.startswith("level-")
    }
    invited = False
    try:
        with services.session() as db:
            achievement = db.get(AchievementDefinition, values["achievement"])
            if achievement is None or achievement.skill_id is None:
                raise InvalidRequest(
                    _("Choose a skill level to assess."), code="unknown_achievement"
                )
            levels = {
                criterion: form_level(value, _("The level for %(name)s", name=criterion))
                for criterion, value in values["levels"].items()
            }
            cohort_id = None
            if values["cohort"]:
                cohort_id = form_int(values["cohort"], _("The cohort"), low=1, high=2**31)
                if db.get(Cohort, cohort_id) is None:
                    raise InvalidRequest(_("There is no such cohort."), code="unknown_cohort")
            proof_format, suite = _proof(values)
            email, invited = assessable_learner(
                db,
                values["learner"],
                invite=values["invite"] == "yes",
                name=values["invite_name"],
                actor=actor_email(),
                now=services.now(),
            )
            outcome = record_assessment(
                db,
                services,
                AssessmentInput(
                    learner_email=email,
                    achievement_id=values["achievement"],
                    levels=levels,
                    assessor=actor_email(),
                    evidence=tuple(_evidence()),
                    cohort_id=cohort_id,
                    idempotency_key=f"web:{values['key']}"[:200] if values["key"] else None,
                    proof_format=proof_format,
                    suite=suite,
                    require_registered_learner=False,
                ),
                now=services.now(),
            )
    except InvalidRequest as exc:
        with services.session() as db:
            return _render_form(
                db,
                status=400,
                error=problem(exc, email=values["learner"]),
                error_field=ERROR_FIELDS.get(exc.code, _criterion_field(exc)),
                values=values,
            )
    if not outcome.created:
        flash(_("This form was already submitted; here is its result."), "warning")
    elif invited:
        flash(
            _(
                "%(email)s was invited as a new learner; an administrator sets their "
                "password on the Users page.",
                email=email,
            ),
            "ok",
        )
    return redirect(url_for("admin.assessment", assessment_id=outcome.assessment_id))


def _criterion_field(exc: InvalidRequest) -> str | None:
    """The rubric select an error names (``'criterion'`` in the message), if any."""
    named = re.search(r"'([\w-]+)'", exc.message)
    return f"level-{named.group(1)}" if named else None


@bp.get("/assessments/<int:assessment_id>")
@require_role("assessor")
def assessment(assessment_id: int) -> Page:
    services = get_services()
    with services.session() as db:
        row = db.get(Assessment, assessment_id)
        if row is None:
            raise NotFound(_("No assessment with that id."), code="unknown_assessment")
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
