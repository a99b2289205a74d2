"""Assessments: an assessor's rubric scores for one learner, and the badge a pass earns.

The rule: no badge without a passing assessment — every rubric criterion of the
achievement's skill at or above the achievement's level — except an administrator's award with a
written reason (:mod:`passport.issuing`). A pass issues the credential with ``result[]`` (one
per criterion: ``resultDescription`` + ``achievedLevel``), ``evidence``, ``awardedDate`` = the
assessment date, and ``validUntil`` from the skill's freshness period. An idempotency key makes
retries and re-uploads issue nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.separation import check_not_self_assessment
from passport.assessments.models import Assessment, EvidenceItem, StoredFile
from passport.audit import AuditEvent
from passport.catalog.achievements import LEVELS
from passport.catalog.models import AchievementDefinition, Skill
from passport.credentials.issuing import (
    DEFAULT_DI_SUITE,
    DEFAULT_FORMAT,
    IssueRequest,
    checked_email,
    get_or_create_holder,
    issue_credential,
    pinned_get,
)
from passport.errors import InvalidRequest, NotFound
from passport.mentoring.freshness import find_predecessor, predecessor_evidence
from passport.services import Services

__all__ = [
    "AssessmentInput",
    "AssessmentOutcome",
    "EvidenceInput",
    "PreparedAssessment",
    "finish_assessment",
    "prepare_assessment",
    "record_assessment",
]

logger = logging.getLogger(__name__)

#: Uploads share the 2 MiB request limit, so evidence files stay a little under it.
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024 - 64 * 1024


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    """One piece of evidence: a narrative, a URL, or an uploaded file (kept by its hash)."""

    name: str | None = None
    narrative: str | None = None
    url: str | None = None
    file_name: str | None = None
    file_content: bytes | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class AssessmentInput:
    learner_email: str
    achievement_id: str
    #: Rubric criterion id → level reached (1–4). One value for every criterion: ``{"*": n}``.
    levels: Mapping[str, int]
    #: Who records it, and the audit actor: a user's e-mail, or ``token:<id>`` for an API token.
    assessor: str
    evidence: Sequence[EvidenceInput] = ()
    cohort_id: int | None = None
    idempotency_key: str | None = None
    assessed_at: datetime | None = None
    proof_format: str = DEFAULT_FORMAT
    #: The Data Integrity suite (``eddsa-rdfc-2022`` or ``ecdsa-rdfc-2019``) of a pass's badge.
    suite: str = DEFAULT_DI_SUITE
    require_registered_learner: bool = False
    #: The caller (a bulk batch) already looked the idempotency key up in this transaction;
    #: the unique constraint still refuses a duplicate that raced in since.
    key_checked: bool = False
    #: A credential id whose status entries the caller reserved (bulk batches).
    credential_id: str | None = None
    #: The assessor an API caller named in its request: stored and audited beside ``assessor``,
    #: never in its place (a token holder could name anyone).
    assessor_named: str | None = None


@dataclass(frozen=True, slots=True)
class AssessmentOutcome:
    assessment_id: int
    passed: bool
    credential_id: str | None
    #: False when the idempotency key matched an earlier submission (nothing new was done).
    created: bool
    shortfalls: tuple[str, ...] = field(default=())


def _criteria(achievement: AchievementDefinition, session: Session) -> list[dict[str, str]]:
    if achievement.skill_id is None or achievement.level is None:
        raise InvalidRequest(
            f"Achievement {achievement.id!r} is not an assessed skill level; it cannot be "
            "earned through an assessment.",
            code="not_assessable",
        )
    skill = pinned_get(session, Skill, achievement.skill_id)
    assert skill is not None  # foreign key
    criteria: list[dict[str, str]] = json.loads(skill.criteria) or [
        {"id": "overall", "name": skill.name}
    ]
    return criteria


def validate_levels(
    achievement: AchievementDefinition, session: Session, levels: Mapping[str, int]
) -> dict[str, int]:
    """Return criterion id → level for every criterion; raise InvalidRequest naming a problem."""
    criteria = _criteria(achievement, session)
    ids = [c["id"] for c in criteria]
    top = len(LEVELS)
    if set(levels) == {"*"}:
        levels = dict.fromkeys(ids, levels["*"])
    unknown = sorted(set(levels) - set(ids))
    if unknown:
        raise InvalidRequest(
            f"Unknown rubric criterion {unknown[0]!r}; the criteria are: {', '.join(ids)}.",
            code="unknown_criterion",
        )
    missing = [c for c in ids if c not in levels]
    if missing:
        raise InvalidRequest(
            f"No level recorded for rubric criterion {missing[0]!r}.", code="missing_criterion"
        )
    for criterion, level in levels.items():
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= top:
            raise InvalidRequest(
                f"Rubric level {level!r} for {criterion!r} does not exist; levels are 1 to {top}.",
                code="unknown_level",
            )
    return {c: int(levels[c]) for c in ids}


def _evidence_entries(
    session: Session, assessment: Assessment, items: Sequence[EvidenceInput]
) -> list[dict[str, Any]]:
    """Store evidence rows and return the OB 3.0 Evidence objects for the credential."""
    out: list[dict[str, Any]] = []
    for item in items:
        digest = None
        if item.file_content is not None:
            if len(item.file_content) > MAX_EVIDENCE_BYTES:
                raise InvalidRequest(
                    "An evidence file is larger than the 1.9 MiB limit.", code="too_large"
                )
            digest = hashlib.sha256(item.file_content).hexdigest()
            if session.get(StoredFile, digest) is None:
                session.add(
                    StoredFile(
                        sha256=digest,
                        media_type=item.media_type or "application/octet-stream",
                        size=len(item.file_content),
                        content=item.file_content,
                    )
                )
        if item.url is not None and not item.url.startswith(("https://", "http://")):
            raise InvalidRequest("Evidence URLs must start with https:// or http://.")
        if not (item.narrative or item.url or digest):
            continue
        assessment.evidence.append(
            EvidenceItem(
                name=item.name,
                narrative=item.narrative,
                url=item.url,
                file_sha256=digest,
                file_name=item.file_name,
                media_type=item.media_type,
            )
        )
        entry: dict[str, Any] = {"type": ["Evidence"], "genre": "Assessment evidence"}
        if item.url:
            entry["id"] = item.url
        elif digest:
            # RFC 6920 Named Information: the file is identified by its hash, not published.
            raw = base64.urlsafe_b64encode(bytes.fromhex(digest)).decode().rstrip("=")
            entry["id"] = f"ni:///sha-256;{raw}"
        if item.name or item.file_name:
            entry["name"] = item.name or item.file_name
        if item.narrative:
            entry["narrative"] = item.narrative
        out.append(entry)
    return out


def _results(achievement: AchievementDefinition, levels: Mapping[str, int]) -> list[dict[str, Any]]:
    definition = achievement.document()
    by_criterion = {
        rd["id"].rsplit("#criterion-", 1)[-1]: rd for rd in definition["resultDescription"]
    }
    results = []
    for criterion, level in levels.items():
        rd = by_criterion[criterion]
        results.append(
            {
                "type": ["Result"],
                "resultDescription": rd["id"],
                "achievedLevel": f"{rd['id']}-level-{level}",
            }
        )
    return results


@dataclass(slots=True)
class PreparedAssessment:
    """An assessment checked and built, not yet stored (see :func:`prepare_assessment`)."""

    data: AssessmentInput
    achievement: AchievementDefinition
    levels: dict[str, int]
    email: str
    shortfalls: tuple[str, ...]
    assessment: Assessment
    evidence: list[dict[str, Any]]


def prepare_assessment(
    session: Session, data: AssessmentInput, *, now: datetime
) -> PreparedAssessment:
    """Check an assessment and build its rows without adding them to the session.

    Raises :class:`InvalidRequest` / :class:`NotFound` for bad input, and
    :class:`InvalidRequest` ``self_assessment`` when the learner is the assessor
    (:mod:`passport.accounts.separation`).
    """
    achievement = pinned_get(session, AchievementDefinition, data.achievement_id)
    if achievement is None:
        raise NotFound(
            f"No achievement with id {data.achievement_id!r}.", code="unknown_achievement"
        )
    if achievement.retired_at is not None:
        raise InvalidRequest(
            f"The achievement {achievement.name!r} is retired: it certifies nothing new. "
            "Bring it back in the catalog first, or choose another.",
            code="retired_achievement",
        )
    levels = validate_levels(achievement, session, data.levels)
    email = checked_email(data.learner_email)
    # Separation of duties: never one's own badge, unless an administrator allowed it.
    # An integration records under its token and may name the person who assessed: that
    # person is not to be their own learner either.
    for assessor in filter(None, (data.assessor, data.assessor_named)):
        check_not_self_assessment(session, assessor=assessor, learner_email=email)
    if data.require_registered_learner:
        user = session.scalar(select(User).where(User.email == email))
        if user is None or user.role != "learner":
            raise InvalidRequest(
                f"No learner is registered with e-mail {email!r}.", code="unknown_learner"
            )
    holder = get_or_create_holder(session, email)
    required = achievement.level or 1
    shortfalls = tuple(f"{c} at level {lvl}" for c, lvl in levels.items() if lvl < required)
    assessment = Assessment(
        holder_id=holder.id,
        achievement_id=achievement.id,
        assessor=data.assessor,
        assessor_named=data.assessor_named,
        cohort_id=data.cohort_id,
        levels=json.dumps(levels),
        passed=not shortfalls,
        assessed_at=data.assessed_at or now,
        idempotency_key=data.idempotency_key,
        evidence=[],
    )
    evidence = _evidence_entries(session, assessment, data.evidence)
    return PreparedAssessment(data, achievement, levels, email, shortfalls, assessment, evidence)


def finish_assessment(
    session: Session, services: Services, prepared: PreparedAssessment, *, now: datetime
) -> AssessmentOutcome:
    """Audit a stored (flushed) assessment and, for a pass, issue its badge.

    Raises the issuer's errors if signing fails; the caller undoes the assessment.
    """
    assessment, data = prepared.assessment, prepared.data
    passed = not prepared.shortfalls
    event = AuditEvent(
        at=now,
        actor=data.assessor,
        action="assessment.record",
        subject=str(assessment.id),
        detail=json.dumps(
            {
                "achievement": prepared.achievement.id,
                "learner": prepared.email,
                "passed": passed,
                **({"assessor_named": data.assessor_named} if data.assessor_named else {}),
            }
        ),
    )
    session.add(event)
    credential_id = None
    if passed:
        # A re-assessment: the holder already has a badge of this achievement (or of the same
        # skill at the same level) that is not revoked; the new one renews it.
        predecessor = find_predecessor(session, assessment.holder_id, prepared.achievement, now=now)
        evidence = list(prepared.evidence)
        if predecessor is not None:
            evidence.append(predecessor_evidence(predecessor, predecessor.achievement.name))
        try:
            record = issue_credential(
                session,
                services,
                IssueRequest(
                    achievement_id=prepared.achievement.id,
                    recipient_email=prepared.email,
                    proof_format=data.proof_format,
                    suite=data.suite,
                    reason="",
                    actor=data.assessor,
                    results=tuple(_results(prepared.achievement, prepared.levels)),
                    evidence=tuple(evidence),
                    assessment_id=assessment.id,
                    awarded_at=assessment.assessed_at,
                    credential_id=data.credential_id,
                    supersedes_id=predecessor.id if predecessor is not None else None,
                ),
                now=now,
            )
        except BaseException:
            # Not recorded after all (the caller undoes the assessment): drop its audit line,
            # whether or not an autoflush already wrote it.
            if sa_inspect(event).persistent:
                session.delete(event)
            else:
                session.expunge(event)
            raise
        assessment.credential = record  # the relationship orders the inserts in one flush
        credential_id = record.id
    return AssessmentOutcome(assessment.id, passed, credential_id, True, prepared.shortfalls)


def record_assessment(
    session: Session, services: Services, data: AssessmentInput, *, now: datetime
) -> AssessmentOutcome:
    """Record an assessment; a pass issues the badge in the same transaction.

    Raises :class:`InvalidRequest` / :class:`NotFound` for bad input (nothing is stored), and
    the issuer's errors if signing fails (the caller's transaction rolls back: nothing half-done).
    """
    if data.idempotency_key and not data.key_checked:
        existing = session.scalar(
            select(Assessment).where(Assessment.idempotency_key == data.idempotency_key)
        )
        if existing is not None:
            return AssessmentOutcome(
                existing.id, existing.passed, existing.credential_id, created=False
            )
    prepared = prepare_assessment(session, data, now=now)
    session.add(prepared.assessment)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent submission with the same key won
        raise InvalidRequest(
            "This assessment was submitted twice at the same moment; retry to see its result.",
            code="duplicate_submission",
        ) from exc
    return finish_assessment(session, services, prepared, now=now)
