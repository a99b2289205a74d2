"""Skills that stay fresh: renewals, the expiry banner, and the "stale soon" list.

A badge of a skill with ``valid_for_days`` expires. Before it does, its holder is invited to
a re-assessment (the ``badge_expiring`` mail, the passport banner built here) and to a matching
event. A passed re-assessment issues a new badge that names the old one, its *predecessor*
(:func:`find_predecessor`, :func:`predecessor_evidence`; the choice is in
``docs/decisions.md``); the predecessor is not revoked, but from then on only the newest badge
of the chain is current for the passport. Admins see per job family whose current badges of a
required skill expire soon (:func:`stale_soon`). ``docs/mentoring/freshness.md`` states every
rule and figure.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill, Skill
from passport.catalog.transfer import safe_cell
from passport.cohorts.models import Cohort, CohortMember, CohortSkill, MentoringSession
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import InvalidRequest, NotFound
from passport.mentoring.models import SessionSignup

__all__ = [
    "BANNER_DAYS",
    "DEFAULT_STALE_DAYS",
    "STALE_WINDOWS",
    "SUPPRESS_BELOW",
    "ChainEntry",
    "ExpiryNotice",
    "FamilyFreshness",
    "SkillFreshness",
    "StaleHolder",
    "events_path",
    "expiry_notices",
    "find_predecessor",
    "has_successor",
    "history_of",
    "predecessor_evidence",
    "stale_days",
    "stale_soon",
    "stale_soon_csv",
    "stale_soon_json",
    "successor_of",
    "superseded_ids",
]

logger = logging.getLogger(__name__)

#: The passport banner shows badges expiring within this many days (the first reminder mail).
BANNER_DAYS = 30
#: The windows the "stale soon" page offers, and its default.
STALE_WINDOWS = (30, 60, 90)
DEFAULT_STALE_DAYS = 60
#: Groups smaller than this are shown to analysts as "fewer than 5", never the figure.
SUPPRESS_BELOW = 5
#: The ``genre`` of the evidence entry that names a renewed badge's predecessor.
PREDECESSOR_GENRE = "Renewal of credential"


def events_path(skill_id: str, level: int) -> str:
    """The events page filtered to events teaching ``skill_id`` at ``level`` or above."""
    return f"/events?skill={skill_id}&level={level}"


# -- the chain of renewals -------------------------------------------------------------------


def has_successor() -> ColumnElement[bool]:
    """SQL: the :class:`IssuedCredential` in the query has an unrevoked badge naming it as its
    predecessor (it was renewed)."""
    newer = aliased(IssuedCredential)
    return exists(
        select(newer.id).where(
            newer.supersedes_id == IssuedCredential.id, newer.revoked_at.is_(None)
        )
    )


def superseded_ids(session: Session, holder_id: int | None) -> set[str]:
    """The ids of ``holder_id``'s badges that an unrevoked renewal names as predecessor."""
    if holder_id is None:
        return set()
    return set(
        session.scalars(
            select(IssuedCredential.supersedes_id).where(
                IssuedCredential.holder_id == holder_id,
                IssuedCredential.supersedes_id.is_not(None),
                IssuedCredential.revoked_at.is_(None),
            )
        )
    )


def successor_of(session: Session, record: IssuedCredential) -> str | None:
    """The id of the unrevoked badge that renews ``record`` (the newest, should there be more)."""
    return session.scalar(
        select(IssuedCredential.id)
        .where(
            IssuedCredential.supersedes_id == record.id,
            IssuedCredential.holder_id == record.holder_id,
            IssuedCredential.revoked_at.is_(None),
        )
        .order_by(IssuedCredential.issued_at.desc())
        .limit(1)
    )


def find_predecessor(
    session: Session, holder_id: int, achievement: AchievementDefinition, *, now: datetime
) -> IssuedCredential | None:
    """The badge a new badge of ``achievement`` for ``holder_id`` issued at ``now`` renews, or
    None.

    It is the holder's newest badge issued before ``now`` that is not revoked (current,
    suspended or expired), of the same achievement or of the same skill at the same level, and
    not already renewed by an unrevoked badge (so the new badge joins the end of the chain).
    """
    same = [IssuedCredential.achievement_id == achievement.id]
    if achievement.skill_id is not None and achievement.level is not None:
        same.append(
            and_(
                AchievementDefinition.skill_id == achievement.skill_id,
                AchievementDefinition.level == achievement.level,
            )
        )
    return session.scalar(
        select(IssuedCredential)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            IssuedCredential.holder_id == holder_id,
            IssuedCredential.revoked_at.is_(None),
            IssuedCredential.issued_at <= now,
            or_(*same),
            ~has_successor(),
        )
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
        .limit(1)
    )


def predecessor_evidence(predecessor: IssuedCredential, name: str) -> dict[str, object]:
    """The OB 3.0 ``Evidence`` entry that names the credential a renewal replaces.

    ``Evidence.id`` is a URI (the predecessor's ``urn:uuid:`` id); every term is in the OB 3.0
    context, so the credential stays valid against its JSON schema (docs/decisions.md).
    """
    issued = predecessor.issued_at.date().isoformat()
    return {
        "id": predecessor.id,
        "type": ["Evidence"],
        "genre": PREDECESSOR_GENRE,
        "name": f"Renews {name}",
        "description": f"This badge renews {predecessor.id} ({name}, issued {issued}), "
        "after a passed re-assessment.",
    }


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """An earlier badge of a chain of renewals, as the history shows it."""

    id: str
    name: str
    issued_at: datetime
    valid_until: datetime | None
    status: Literal["active", "expired", "revoked", "suspended"]


def _status(
    record: IssuedCredential, now: datetime
) -> Literal["active", "expired", "revoked", "suspended"]:
    if record.revoked_at is not None:
        return "revoked"
    if record.suspended_at is not None:
        return "suspended"
    if record.valid_until is not None and record.valid_until <= now:
        return "expired"
    return "active"


def history_of(
    session: Session, record: IssuedCredential, *, now: datetime, limit: int = 50
) -> list[ChainEntry]:
    """The earlier badges of ``record``'s chain, newest first (its predecessor, theirs …)."""
    out: list[ChainEntry] = []
    seen = {record.id}
    current = record.supersedes_id
    while current is not None and current not in seen and len(out) < limit:
        seen.add(current)
        earlier = session.get(IssuedCredential, current)
        if earlier is None or earlier.holder_id != record.holder_id:
            break
        out.append(
            ChainEntry(
                earlier.id,
                earlier.achievement.name,
                earlier.issued_at,
                earlier.valid_until,
                _status(earlier, now),
            )
        )
        current = earlier.supersedes_id
    return out


# -- the passport banner ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpiryNotice:
    """A badge of the holder's that expires soon, or has expired, and was not renewed."""

    credential_id: str
    name: str
    achievement_id: str
    skill_id: str | None
    level: int
    valid_until: datetime
    days_left: int  # 0 or less: expired
    expired: bool

    @property
    def events_path(self) -> str | None:
        return events_path(self.skill_id, self.level) if self.skill_id else None


def expiry_notices(
    session: Session, holder_id: int | None, *, now: datetime, days: int = BANNER_DAYS
) -> list[ExpiryNotice]:
    """``holder_id``'s badges to renew, soonest first: not revoked, not suspended, without an
    unrevoked renewal, and expiring within ``days`` or already expired.

    An expired badge is left out when the holder holds another current badge of the same skill
    at that level or above (nothing to renew: they hold the skill now).
    """
    if holder_id is None:
        return []
    rows = session.execute(
        select(IssuedCredential, AchievementDefinition)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            IssuedCredential.holder_id == holder_id,
            IssuedCredential.revoked_at.is_(None),
            IssuedCredential.suspended_at.is_(None),
            IssuedCredential.valid_until.is_not(None),
        )
        .order_by(IssuedCredential.valid_until, IssuedCredential.id)
    ).all()
    renewed = superseded_ids(session, holder_id)
    held: dict[str, int] = {}
    for record, definition in rows:
        if record.valid_until is not None and record.valid_until > now and definition.skill_id:
            held[definition.skill_id] = max(held.get(definition.skill_id, 0), definition.level or 1)
    for definition in session.scalars(
        select(AchievementDefinition)
        .join(IssuedCredential, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            IssuedCredential.holder_id == holder_id,
            IssuedCredential.revoked_at.is_(None),
            IssuedCredential.suspended_at.is_(None),
            IssuedCredential.valid_until.is_(None),
        )
    ):
        if definition.skill_id:
            held[definition.skill_id] = max(held.get(definition.skill_id, 0), definition.level or 1)
    out: list[ExpiryNotice] = []
    seen: set[tuple[str, int]] = set()
    for record, definition in rows:
        assert record.valid_until is not None
        if record.id in renewed or record.valid_until > now + timedelta(days=days):
            continue
        level = definition.level or 1
        expired = record.valid_until <= now
        key = (definition.skill_id or definition.id, level)
        if expired and (
            key in seen or (definition.skill_id and held.get(definition.skill_id, 0) >= level)
        ):
            continue
        seen.add(key)
        left = (record.valid_until.date() - now.date()).days
        out.append(
            ExpiryNotice(
                record.id,
                definition.name,
                definition.id,
                definition.skill_id,
                level,
                record.valid_until,
                left,
                expired,
            )
        )
    return out


# -- stale soon, per job family --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaleHolder:
    """A person whose current badges of a required skill all expire within the window."""

    holder_id: int
    name: str
    email: str
    expires: datetime
    booked: bool  # signed up (confirmed) for a matching upcoming event
    reassessment_pending: bool  # a learner in a running or coming cohort working on the skill


@dataclass(frozen=True, slots=True)
class SkillFreshness:
    """One required skill of a family: who holds it at the required level now (``holding``)
    and who of them holds it only until the window ends (``holders``)."""

    skill_id: str
    skill_name: str
    level: int
    holding: int
    holders: tuple[StaleHolder, ...]

    @property
    def stale(self) -> int:
        return len(self.holders)

    @property
    def suppressed(self) -> bool:
        """Shown to analysts as "fewer than 5" (as the outcomes do, zero included)."""
        return self.stale < SUPPRESS_BELOW

    @property
    def holding_suppressed(self) -> bool:
        return self.holding < SUPPRESS_BELOW


@dataclass(frozen=True, slots=True)
class FamilyFreshness:
    id: str
    name: str
    days: int
    until: datetime
    skills: tuple[SkillFreshness, ...]


def stale_days(value: str | int | None) -> int:
    """The window asked for: one of :data:`STALE_WINDOWS` (default 60); InvalidRequest else."""
    if value in (None, ""):
        return DEFAULT_STALE_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days not in STALE_WINDOWS:
        raise InvalidRequest(
            f"The window must be one of {', '.join(map(str, STALE_WINDOWS))} days.",
            code="invalid_days",
        )
    return days


def _users_by_holder(session: Session, holder_ids: set[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    if not holder_ids:
        return out
    for holder_id, user_id in session.execute(
        select(Holder.id, User.id)
        .join(User, or_(User.holder_id == Holder.id, User.email == Holder.email))
        .where(Holder.id.in_(holder_ids))
    ):
        out[holder_id].add(user_id)
    return out


def stale_soon(
    session: Session, family_id: str, *, now: datetime, days: int = DEFAULT_STALE_DAYS
) -> FamilyFreshness:
    """Per required skill of the job family: the people whose current badges of the skill at
    the required level or above all expire within ``days`` (the latest expiry counts, so a
    renewal takes a person off the list at once). NotFound for an unknown family."""
    family = session.get(JobFamily, family_id)
    if family is None:
        raise NotFound("No job family with that id.", code="unknown_job_family")
    until = now + timedelta(days=days)
    requirements = session.execute(
        select(JobFamilySkill, Skill)
        .join(Skill, Skill.id == JobFamilySkill.skill_id)
        .where(JobFamilySkill.job_family_id == family_id)
        .order_by(Skill.name, Skill.id)
    ).all()
    skills: list[SkillFreshness] = []
    for requirement, skill in requirements:
        level = requirement.min_level
        latest: dict[int, datetime | None] = {}
        for holder_id, valid_until in session.execute(
            select(IssuedCredential.holder_id, IssuedCredential.valid_until)
            .join(
                AchievementDefinition,
                AchievementDefinition.id == IssuedCredential.achievement_id,
            )
            .where(
                AchievementDefinition.skill_id == skill.id,
                AchievementDefinition.level >= level,
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until > now),
            )
        ):
            if holder_id not in latest:
                latest[holder_id] = valid_until
                continue
            kept = latest[holder_id]
            if kept is not None and (valid_until is None or valid_until > kept):
                latest[holder_id] = valid_until  # the latest expiry counts (None: never)
        stale = {h: v for h, v in latest.items() if v is not None and v <= until}
        skills.append(
            SkillFreshness(
                skill.id,
                skill.name,
                level,
                len(latest),
                _stale_holders(session, stale, skill.id, level, now=now),
            )
        )
    return FamilyFreshness(family.id, family.name, days, until, tuple(skills))


def _stale_holders(
    session: Session, stale: dict[int, datetime], skill_id: str, level: int, *, now: datetime
) -> tuple[StaleHolder, ...]:
    if not stale:
        return ()
    users = _users_by_holder(session, set(stale))
    all_users = {u for ids in users.values() for u in ids}
    booked: set[int] = set()
    pending: set[int] = set()
    if all_users:
        booked = set(
            session.scalars(
                select(SessionSignup.user_id)
                .join(MentoringSession, MentoringSession.id == SessionSignup.session_id)
                .where(
                    SessionSignup.user_id.in_(all_users),
                    SessionSignup.status == "confirmed",
                    MentoringSession.skill_id == skill_id,
                    MentoringSession.level >= level,
                    MentoringSession.starts_at > now,
                    MentoringSession.cancelled_at.is_(None),
                )
            )
        )
        pending = set(
            session.scalars(
                select(CohortMember.user_id)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .join(CohortSkill, CohortSkill.cohort_id == Cohort.id)
                .join(AchievementDefinition, AchievementDefinition.id == CohortSkill.achievement_id)
                .where(
                    CohortMember.user_id.in_(all_users),
                    CohortMember.role == "learner",
                    Cohort.ends_on >= now.date(),
                    AchievementDefinition.skill_id == skill_id,
                    AchievementDefinition.level >= level,
                )
            )
        )
    holders = {h.id: h for h in session.scalars(select(Holder).where(Holder.id.in_(set(stale))))}
    out = [
        StaleHolder(
            holder_id,
            holders[holder_id].name or holders[holder_id].email,
            holders[holder_id].email,
            expires,
            bool(users.get(holder_id, set()) & booked),
            bool(users.get(holder_id, set()) & pending),
        )
        for holder_id, expires in stale.items()
    ]
    out.sort(key=lambda s: (s.expires, s.name.lower(), s.holder_id))
    return tuple(out)


def stale_soon_json(result: FamilyFreshness) -> dict[str, object]:
    """The API's form: counts only (no names), each under 5 as ``{"suppressed": true}``."""

    def count(n: int) -> int | dict[str, bool]:
        return n if n >= SUPPRESS_BELOW else {"suppressed": True}

    return {
        "jobFamily": result.id,
        "days": result.days,
        "until": result.until.isoformat(),
        "skills": [
            {
                "skill": s.skill_id,
                "level": s.level,
                "holders": count(s.holding),
                "staleSoon": count(s.stale),
            }
            for s in result.skills
        ],
    }


#: The columns of the stale-soon CSV, one row per person and skill.
STALE_CSV_COLUMNS = (
    "job_family",
    "skill",
    "level",
    "name",
    "email",
    "expires",
    "booked_on_event",
    "reassessment_pending",
)


def stale_soon_csv(result: FamilyFreshness) -> str:
    """The list as CSV for admins (names included); every cell is neutralised against formula
    injection, as the other exports are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STALE_CSV_COLUMNS)
    for skill in result.skills:
        for person in skill.holders:
            writer.writerow(
                safe_cell(value)
                for value in (
                    result.id,
                    skill.skill_id,
                    skill.level,
                    person.name,
                    person.email,
                    person.expires.date().isoformat(),
                    "yes" if person.booked else "no",
                    "yes" if person.reassessment_pending else "no",
                )
            )
    return out.getvalue()
