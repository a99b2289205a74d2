"""What a badge's public page (``/credentials/<id>``) shows people: the badge as issued, its
rubric in plain words, the job families it counts towards, and — only while the holder shares
it — the holder's name.

The page is public: anyone with a credential's id can open it (LinkedIn and QR codes lead
there). A credential's id names no one, so the page names the holder only when the holder
chose to show this badge: it is on one of their share links that is still live (neither
revoked nor expired). Revoking or letting the link expire hides the name again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.catalog.models import JobFamily, JobFamilySkill
from passport.credentials.models import IssuedCredential
from passport.credentials.passports import (
    BadgeView,
    _stored_payload,
    as_list,
    badge_view,
    rubric_index,
)
from passport.services import Services
from passport.sharing.models import ShareLink, ShareLinkCredential

__all__ = [
    "FamilyLink",
    "PublicBadge",
    "RubricRow",
    "families_for",
    "holder_shares",
    "public_badge",
    "rubric_rows",
]


@dataclass(frozen=True, slots=True)
class RubricRow:
    """One rubric criterion of the badge: the level reached and what that level means."""

    criterion: str
    achieved: int | None
    achieved_name: str
    description: str
    required: int | None


@dataclass(frozen=True, slots=True)
class FamilyLink:
    """A job family this badge counts towards (its skill at or above the family's minimum)."""

    id: str
    name: str
    min_level: int


@dataclass(frozen=True, slots=True)
class PublicBadge:
    badge: BadgeView
    achievement_id: str
    criteria: str
    rubric: tuple[RubricRow, ...]
    families: tuple[FamilyLink, ...]
    #: The holder's name, only while the holder shares this badge; else None.
    holder_name: str | None


def _number(level: dict[str, Any] | None) -> int | None:
    try:
        return int(level["level"]) if level else None
    except (KeyError, TypeError, ValueError):
        return None


def rubric_rows(achievement: dict[str, Any], results: list[Any]) -> tuple[RubricRow, ...]:
    """Each result of the credential against its achievement's rubric, with the description
    of the level reached (as signed into the credential)."""
    descriptions, levels = rubric_index(achievement)
    rows = []
    for result in results:
        if not isinstance(result, dict):
            continue
        rd = descriptions.get(str(result.get("resultDescription")), {})
        achieved = levels.get(str(result.get("achievedLevel")))
        rows.append(
            RubricRow(
                criterion=str(rd.get("name") or ""),
                achieved=_number(achieved),
                achieved_name=str((achieved or {}).get("name") or result.get("value") or ""),
                description=str((achieved or {}).get("description") or ""),
                required=_number(levels.get(str(rd.get("requiredLevel")))),
            )
        )
    return tuple(rows)


def holder_shares(session: Session, credential_id: str, *, now: datetime) -> bool:
    """Whether the holder shows this badge on a live share link (not revoked, not expired)."""
    found = session.scalar(
        select(ShareLink.id)
        .join(ShareLinkCredential, ShareLinkCredential.share_link_id == ShareLink.id)
        .where(
            ShareLinkCredential.credential_id == credential_id,
            ShareLink.revoked_at.is_(None),
            ShareLink.expires_at > now,
        )
        .limit(1)
    )
    return found is not None


def families_for(
    session: Session, skill_id: str | None, level: int | None
) -> tuple[FamilyLink, ...]:
    """The live job families that a badge for ``skill_id`` at ``level`` counts towards."""
    if skill_id is None or level is None:
        return ()
    rows = session.execute(
        select(JobFamily.id, JobFamily.name, JobFamilySkill.min_level)
        .join(JobFamilySkill, JobFamilySkill.job_family_id == JobFamily.id)
        .where(
            JobFamilySkill.skill_id == skill_id,
            JobFamilySkill.min_level <= level,
            JobFamily.retired_at.is_(None),
        )
        .order_by(JobFamily.name)
    )
    return tuple(FamilyLink(id, name, min_level) for id, name, min_level in rows)


def public_badge(
    session: Session, services: Services, record: IssuedCredential, now: datetime
) -> PublicBadge:
    """What the public page of ``record`` shows, read from the credential as issued."""
    document = _stored_payload(record)
    subject = document.get("credentialSubject") or {}
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    criteria = achievement.get("criteria")
    badge = badge_view(services, record, now)
    shared = holder_shares(session, record.id, now=now)
    name = record.holder.name if shared and record.holder is not None else None
    return PublicBadge(
        badge=badge,
        achievement_id=record.achievement_id,
        criteria=str(criteria.get("narrative") or "") if isinstance(criteria, dict) else "",
        rubric=rubric_rows(achievement, as_list(subject.get("result"))),
        families=families_for(session, record.achievement.skill_id, badge.level),
        holder_name=name.strip() or None if name else None,
    )
