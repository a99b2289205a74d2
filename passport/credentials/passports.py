"""A learner's badges as their passport shows them: each badge read from the credential as
issued (results per rubric criterion, evidence, status now), grouped by job family with the
family's required skills covered by the badges that count now.

Everything here reads our own stored records, which we signed: the pages do not re-verify them
(the public share page does, for its visitors). Every function takes the holder it acts for.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from passport.accounts.models import User
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill
from passport.credentials.exports import baked_image
from passport.credentials.models import Holder, IssuedCredential
from passport.mentoring.freshness import ExpiryNotice, expiry_notices, history_of, superseded_ids
from passport.services import Services
from passport.sharing.links import linkedin_add_url
from verifier.fit import best_shown
from verifier.jsonparse import b64url_decode

__all__ = [
    "BadgeView",
    "CriterionResult",
    "FamilyView",
    "PassportView",
    "RequirementView",
    "as_list",
    "badge_view",
    "baked_zip",
    "build_passport",
    "holder_records",
    "rubric_index",
    "verification_url",
]

#: Characters a URL path keeps as they are (what the page route's URL builder keeps too).
_PATH_SAFE = "/:@!$&'()*+,;="


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One rubric criterion of a badge: the level reached against the level required."""

    name: str
    achieved: int | None
    achieved_name: str
    required: int | None


@dataclass(frozen=True, slots=True)
class BadgeView:
    """One badge as the holder's pages show it (read from the credential as issued)."""

    id: str
    name: str
    skill_name: str
    skill_id: str | None
    description: str
    level: int
    level_name: str
    issuer_name: str
    issued_at: datetime
    valid_until: datetime | None
    status: str  # active | expired | revoked | suspended
    status_reason: str | None
    proof_format: str
    results: tuple[CriterionResult, ...]
    evidence: tuple[dict[str, str], ...]
    verify_url: str
    linkedin_url: str
    slug: str
    #: (endorser's name, comment) of each endorsement embedded in the badge as issued.
    endorsements: tuple[tuple[str, str], ...] = ()

    @property
    def counts(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class RequirementView:
    """One required skill of a family, with the holder's best current level for it."""

    skill_id: str
    skill_name: str
    required: int
    held: int | None
    badge: BadgeView | None
    state: Literal["met", "below", "missing"]


def _requirement(
    skill_id: str, skill_name: str, required: int, badges: list[BadgeView]
) -> RequirementView:
    state, shown = best_shown(
        required, ((b.level, b) for b in badges if b.counts and b.skill_id == skill_id)
    )
    held, badge = shown if shown is not None else (None, None)
    return RequirementView(skill_id, skill_name, required, held, badge, state)


@dataclass(slots=True)
class FamilyView:
    id: str
    name: str
    description: str | None
    occupation: str | None
    requirements: list[RequirementView]
    badges: list[BadgeView] = field(default_factory=list)

    @property
    def met(self) -> int:
        return sum(1 for r in self.requirements if r.state == "met")

    @property
    def percent(self) -> int:
        return round(100 * self.met / len(self.requirements)) if self.requirements else 0


@dataclass(slots=True)
class PassportView:
    holder_name: str
    holder_email: str
    badges: list[BadgeView]
    families: list[FamilyView]
    other: list[BadgeView]
    #: Badges to renew (the banner): expiring within 30 days or expired, not renewed.
    notices: list[ExpiryNotice] = field(default_factory=list)
    #: Per shown badge that renewed others: how many earlier badges its history holds.
    renewals: dict[str, int] = field(default_factory=dict)

    @property
    def active(self) -> int:
        return sum(1 for b in self.badges if b.counts)


def _stored_payload(record: IssuedCredential) -> dict[str, Any]:
    """The credential's JSON as we stored it (our own record; the pages do not re-verify it)."""
    if record.proof_format == "vc-jwt":
        payload: dict[str, Any] = json.loads(
            b64url_decode(record.content.split(b".")[1], what="payload")
        )
        vc = payload.get("vc")
        return vc if isinstance(vc, dict) else payload
    document: dict[str, Any] = json.loads(record.content)
    return document


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value that may be one item or a list, as a list (None: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def rubric_index(
    achievement: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """An achievement's result descriptions by id, and their rubric levels by id."""
    descriptions: dict[str, dict[str, Any]] = {}
    levels: dict[str, dict[str, Any]] = {}
    for rd in as_list(achievement.get("resultDescription")):
        if isinstance(rd, dict) and isinstance(rd.get("id"), str):
            descriptions[rd["id"]] = rd
            for lvl in as_list(rd.get("rubricCriterionLevel")):
                if isinstance(lvl, dict) and isinstance(lvl.get("id"), str):
                    levels[lvl["id"]] = lvl
    return descriptions, levels


def _results(subject: dict[str, Any]) -> tuple[CriterionResult, ...]:
    achievement = subject.get("achievement") or {}
    descriptions, levels = rubric_index(achievement)

    def number(level: dict[str, Any] | None) -> int | None:
        try:
            return int(level["level"]) if level else None
        except (KeyError, TypeError, ValueError):
            return None

    out = []
    for result in as_list(subject.get("result")):
        if not isinstance(result, dict):
            continue
        rd = descriptions.get(str(result.get("resultDescription")), {})
        achieved = levels.get(str(result.get("achievedLevel")))
        required = levels.get(str(rd.get("requiredLevel")))
        out.append(
            CriterionResult(
                name=str(rd.get("name") or "Result"),
                achieved=number(achieved),
                achieved_name=str((achieved or {}).get("name") or result.get("value") or ""),
                required=number(required),
            )
        )
    return tuple(out)


def _evidence(document: dict[str, Any]) -> tuple[dict[str, str], ...]:
    out = []
    for item in as_list(document.get("evidence")):
        if isinstance(item, dict):
            out.append(
                {
                    k: str(item[k])
                    for k in ("name", "narrative", "id", "genre")
                    if isinstance(item.get(k), str)
                }
            )
    return tuple(out)


def _status(record: IssuedCredential, now: datetime) -> tuple[str, str | None]:
    if record.revoked_at is not None:
        return "revoked", record.revocation_reason
    if record.suspended_at is not None:
        return "suspended", record.suspension_reason
    if record.valid_until is not None and record.valid_until <= now:
        return "expired", None
    return "active", None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "badge"


def verification_url(services: Services, credential_id: str) -> str:
    """The public verification page of a badge (``/credentials/<id>``), under
    ``PASSPORT_PUBLIC_URL``; the id is quoted as a URL path, as the page's route reads it."""
    return f"{services.settings.public_url}/credentials/{quote(credential_id, safe=_PATH_SAFE)}"


def badge_view(services: Services, record: IssuedCredential, now: datetime) -> BadgeView:
    """Read one stored credential into what the pages show."""
    document = _stored_payload(record)
    subject = document.get("credentialSubject") or {}
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = record.achievement
    level = achievement.level or 1
    skill_name = achievement.skill.name if achievement.skill is not None else achievement.name
    status, reason = _status(record, now)
    issuer_name = record.issuer.name if record.issuer else ""
    verify = verification_url(services, record.id)
    return BadgeView(
        id=record.id,
        name=achievement.name,
        skill_name=skill_name,
        skill_id=achievement.skill_id,
        description=str((subject.get("achievement") or {}).get("description") or ""),
        level=level,
        level_name=LEVEL_NAMES.get(level, ""),
        issuer_name=issuer_name,
        issued_at=record.issued_at,
        valid_until=record.valid_until,
        status=status,
        status_reason=reason,
        proof_format=record.proof_format,
        results=_results(subject),
        evidence=_evidence(document),
        verify_url=verify,
        linkedin_url=linkedin_add_url(
            name=achievement.name,
            organization=issuer_name,
            issued=record.issued_at,
            expires=record.valid_until,
            cert_url=verify,
            cert_id=record.id,
        ),
        slug=f"{_slug(skill_name)}-l{level}-{_slug(record.id)[-8:]}",
        endorsements=_endorsements(document),
    )


def _endorsements(document: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(endorser's name, comment) of each embedded EndorsementCredential (OB 3.0 §B.1)."""
    out = []
    for item in as_list(document.get("endorsement")):
        if not isinstance(item, dict):
            continue
        issuer = item.get("issuer")
        subject = item.get("credentialSubject")
        name = issuer.get("name") or issuer.get("id") if isinstance(issuer, dict) else issuer
        comment = subject.get("endorsementComment") if isinstance(subject, dict) else None
        out.append((str(name or ""), str(comment or "")))
    return tuple(out)


def holder_records(session: Session, holder_id: int | None) -> list[IssuedCredential]:
    if holder_id is None:
        return []
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.holder_id == holder_id)
            .options(
                selectinload(IssuedCredential.achievement).selectinload(
                    AchievementDefinition.skill
                ),
                selectinload(IssuedCredential.issuer),
            )
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
        )
    )


def build_passport(session: Session, services: Services, user: User, now: datetime) -> PassportView:
    """``user``'s badges, and each job family's coverage by the badges that count now.

    Coverage follows the rule of :func:`verifier.fit.best_shown` (the highest level a
    counting badge shows for the skill; met when it reaches the requirement), here over our own
    records, which need no re-verification.
    """
    holder_id = user.holder_id
    holder = session.get(Holder, holder_id) if holder_id is not None else None
    # A renewed badge is not revoked, but only the newest of its chain is the passport's: the
    # earlier ones appear in that badge's history (docs/mentoring/freshness.md).
    renewed = superseded_ids(session, holder_id)
    records = [r for r in holder_records(session, holder_id) if r.id not in renewed]
    badges = [badge_view(services, r, now) for r in records]
    renewals = {
        r.id: len(history_of(session, r, now=now)) for r in records if r.supersedes_id is not None
    }
    families = []
    in_family: set[str] = set()
    query = select(JobFamily).options(
        selectinload(JobFamily.requirements).selectinload(JobFamilySkill.skill)
    )
    for family in session.scalars(query.order_by(JobFamily.name)):
        skills = {req.skill_id for req in family.requirements}
        view = FamilyView(
            id=family.id,
            name=family.name,
            description=family.description,
            occupation=family.occupation,
            requirements=[
                _requirement(req.skill_id, req.skill.name, req.min_level, badges)
                for req in family.requirements
            ],
            badges=[b for b in badges if b.skill_id in skills],
        )
        in_family.update(b.id for b in view.badges)
        families.append(view)
    # Families the holder has something in come first, the best covered first.
    families.sort(key=lambda f: (not f.badges, -f.met / max(len(f.requirements), 1), f.name))
    return PassportView(
        holder_name=(holder.name or holder.email) if holder else user.name,
        holder_email=holder.email if holder else user.email,
        badges=badges,
        families=families,
        other=[b for b in badges if b.id not in in_family],
        notices=expiry_notices(session, holder_id, now=now),
        renewals=renewals,
    )


def baked_zip(db: Session, services: Services, records: list[IssuedCredential], kind: str) -> bytes:
    """A ZIP with every badge baked as ``kind`` (PNG or SVG), one file per badge."""
    out = io.BytesIO()
    now = services.now()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            name = badge_view(services, record, now).slug
            archive.writestr(f"{name}.{kind}", baked_image(db, record, kind))
    return out.getvalue()
