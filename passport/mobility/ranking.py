"""Candidates for a role, ranked on verified, current badges — and only people who said yes.

**Who is a candidate.** An internal candidate is an active account (not deactivated, not
erased) whose owner opted in to be discoverable for the role's job family (for it, or for all
families: :class:`~passport.mobility.models.Discoverability`) and who holds at least one
current badge of ours for a skill the role requires. An external candidate is a passport a
hiring manager uploaded to the role (:mod:`passport.mobility.external`).

**Which badges count.** For our own badges: stored as signed when issued (the issuer checked its
own output with the verifier then), so nothing is re-verified at request time. "Current" is read
from our own database on every ranking — not revoked, not suspended, not past ``valid_until`` —
so a badge revoked a moment ago is out of the next ranking; nothing is cached. Per required
skill the badge that counts is the one at the highest level held (the newest of equals; of
badges issued at the very same instant, the greatest credential id, so the choice never
depends on the order rows come back in).

**The rule.** Per required skill: *met* when the level held reaches the level required,
*partly* when a lower level is held, *missing* otherwise; the shortfall is the levels missing
(required − held, never below 0). Candidates are ordered by

1. verified before unverified (an external passport whose badges could not all be verified,
   or whose issuer is neither us nor on the trust list, never ranks above a verified one);
2. more skills met first;
3. smaller total shortfall first;
4. freshness: the newest issue date among the badges that count, newer first (none last);
5. then name and a stable key, so equal candidates keep a deterministic order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, DateTime, String, and_, exists, or_, select, type_coerce
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition
from passport.cohorts.models import Cohort, CohortSkill
from passport.credentials.models import IssuedCredential
from passport.mobility.models import Discoverability, DiscoverableFamily, OpenRole

__all__ = [
    "Candidate",
    "GapCloser",
    "HeldBadge",
    "SkillFit",
    "assess",
    "closers_for",
    "consented",
    "current_badge",
    "gaps_of",
    "internal_candidates",
    "rank",
    "requirements_of",
]


@dataclass(frozen=True, slots=True)
class HeldBadge:
    """One current badge: which credential, for which skill, at which level, issued when."""

    credential_id: str
    skill: str
    level: int
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class SkillFit:
    """One required skill against what the candidate holds (``held`` 0 when nothing)."""

    skill: str
    required: int
    held: int
    credential_id: str | None = None
    issued_at: datetime | None = None

    @property
    def status(self) -> Literal["met", "partly", "missing"]:
        if self.held >= self.required:
            return "met"
        return "partly" if self.held > 0 else "missing"

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.held)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person (or an uploaded passport) against a role's requirements."""

    key: str
    name: str
    email: str | None
    skills: tuple[SkillFit, ...]
    user_id: int | None = None
    external_id: int | None = None
    external: bool = False
    #: False for an external passport whose badges could not be verified (or whose issuer is
    #: not trusted): its skills are then all missing and it ranks below every verified one.
    verified: bool = True
    #: Why an external passport's badges did not count, one plain sentence each.
    notes: tuple[str, ...] = field(default=())

    @property
    def met(self) -> int:
        return sum(1 for s in self.skills if s.status == "met")

    @property
    def required(self) -> int:
        return len(self.skills)

    @property
    def shortfall(self) -> int:
        return sum(s.shortfall for s in self.skills)

    @property
    def gaps(self) -> tuple[SkillFit, ...]:
        return tuple(s for s in self.skills if s.status != "met")

    @property
    def badges(self) -> tuple[str, ...]:
        """The credentials that count for the role, in the role's skill order."""
        return tuple(dict.fromkeys(s.credential_id for s in self.skills if s.credential_id))

    @property
    def freshest(self) -> datetime | None:
        dates = [s.issued_at for s in self.skills if s.issued_at is not None]
        return max(dates) if dates else None

    def sort_key(self) -> tuple[bool, int, int, float, str, str]:
        """The rule's order as a key: verified, met (desc), shortfall, freshest (desc), name,
        key — :attr:`met`, :attr:`shortfall` and :attr:`freshest` in one pass over the skills
        (ranking thousands of people calls this once each: bench/ranking.py)."""
        met = shortfall = 0
        fresh: datetime | None = None
        for fit in self.skills:
            if fit.held >= fit.required:
                met += 1
            else:
                shortfall += fit.required - fit.held
            issued = fit.issued_at
            if issued is not None and (fresh is None or issued > fresh):
                fresh = issued
        return (
            not self.verified,
            -met,
            shortfall,
            -fresh.timestamp() if fresh is not None else float("inf"),
            self.name.casefold(),
            self.key,
        )


def requirements_of(role: OpenRole) -> dict[str, int]:
    """The role's required levels by skill, in skill order."""
    return {level.skill_id: level.min_level for level in sorted(role.levels, key=_skill_key)}


def _skill_key(level: object) -> str:
    return str(getattr(level, "skill_id", ""))


#: The badge that counts for a skill, as kept while reading: (level, issued at, credential id).
_Best = tuple[int, datetime, str]


def _better(best: _Best, kept: _Best | None) -> bool:
    """Whether ``best`` beats ``kept`` for its skill: the highest level counts, then the
    newest, then the greatest credential id (so exact ties do not depend on row order)."""
    return kept is None or best > kept


def _fits(requirements: Mapping[str, int], best: Mapping[str, _Best]) -> tuple[SkillFit, ...]:
    fits = []
    for skill, required in requirements.items():
        kept = best.get(skill)
        if kept is None:
            fits.append(SkillFit(skill, required, 0))
        else:
            fits.append(SkillFit(skill, required, kept[0], kept[2], kept[1]))
    return tuple(fits)


def assess(requirements: Mapping[str, int], held: Iterable[HeldBadge]) -> tuple[SkillFit, ...]:
    """Each required skill against the best badge held for it (highest level, then newest)."""
    best: dict[str, _Best] = {}
    for badge in held:
        if badge.skill not in requirements or badge.level < 1:
            continue
        candidate = (badge.level, badge.issued_at, badge.credential_id)
        if _better(candidate, best.get(badge.skill)):
            best[badge.skill] = candidate
    return _fits(requirements, best)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """``candidates`` in rank order (the module's rule)."""
    return sorted(candidates, key=Candidate.sort_key)


def _as_utc_text(value: str) -> datetime:
    # SQLAlchemy stores SQLite datetimes as fixed-width UTC text without an offset
    # ("YYYY-MM-DD HH:MM:SS.ffffff", what UTCDateTime writes); fromisoformat with the offset
    # appended is several times cheaper than datetime.replace(tzinfo=UTC).
    return datetime.fromisoformat(value + "+00:00")


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _raw_issued_at(dialect: str) -> tuple[ColumnElement[Any], Callable[[Any], datetime]]:
    """``issued_at`` as the driver returns it, and how to turn one value into an aware UTC
    datetime. On SQLite the stored text (fixed width, so it orders as the instants do); on
    PostgreSQL the driver's aware datetime. Read this way, only the badges that count pay
    for the conversion the column type would do on every row."""
    column = IssuedCredential.__table__.c.issued_at
    if dialect == "sqlite":
        return type_coerce(column, String()), _as_utc_text
    return type_coerce(column, DateTime(timezone=True)), _as_utc


def current_badge(now: datetime) -> ColumnElement[bool]:
    """A stored badge of ours that counts now: not revoked, not suspended, not expired."""
    return and_(
        IssuedCredential.revoked_at.is_(None),
        IssuedCredential.suspended_at.is_(None),
        or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until > now),
    )


def consented(job_family_id: str) -> ColumnElement[bool]:
    """The user (joined with :class:`Discoverability`) opted in for ``job_family_id``."""
    return or_(
        Discoverability.all_families.is_(True),
        exists().where(
            DiscoverableFamily.user_id == Discoverability.user_id,
            DiscoverableFamily.job_family_id == job_family_id,
        ),
    )


def internal_candidates(
    session: Session,
    job_family_id: str,
    requirements: Mapping[str, int],
    *,
    now: datetime,
) -> list[Candidate]:
    """The consenting people holding a current badge of ours for a required skill, assessed
    against ``requirements`` (unranked). One query: who consented, joined to their current
    badges for the required skills."""
    if not requirements:
        return []
    connection = session.connection()
    issued, to_utc = _raw_issued_at(connection.dialect.name)
    # Core rows, streamed rather than kept in a list: the ORM's row machinery, and tens of
    # thousands of rows alive at once, cost more than the query itself (measured with
    # bench/ranking.py: a full garbage collection per ranking goes to walking them).
    rows = connection.execute(
        select(
            User.id,
            IssuedCredential.id,
            AchievementDefinition.skill_id,
            AchievementDefinition.level,
            issued,
        )
        .join(Discoverability, Discoverability.user_id == User.id)
        .join(IssuedCredential, IssuedCredential.holder_id == User.holder_id)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            User.deactivated_at.is_(None),
            User.erased_at.is_(None),
            consented(job_family_id),
            current_badge(now),
            AchievementDefinition.skill_id.in_(list(requirements)),
            AchievementDefinition.level >= 1,
        )
    )
    # The best badge per person and skill, kept as rows are read (the rule of assess():
    # highest level, then newest, then the greatest credential id so exact ties are stable).
    # The issue date stays in the database's own form until a badge is kept: converting
    # every row to an aware datetime was about 15 percent of the ranking (bench/ranking.py).
    held: dict[tuple[int, str], tuple[int, Any, str]] = {}
    for user_id, credential_id, skill, level, issued_at in rows:
        key = (user_id, skill)
        best = (level, issued_at, credential_id)
        kept = held.get(key)
        if kept is None or best > kept:
            held[key] = best
    if not held:
        return []
    people = connection.execute(
        select(User.id, User.name, User.email)
        .join(Discoverability, Discoverability.user_id == User.id)
        .where(User.deactivated_at.is_(None), User.erased_at.is_(None), consented(job_family_id))
    )
    candidates = []
    # The "nothing held" fits are immutable: one per skill, shared by every candidate.
    missing = {skill: SkillFit(skill, required, 0) for skill, required in requirements.items()}
    wanted = tuple(requirements.items())
    for user_id, name, email in people:
        fits = []
        holds_any = False
        for skill, required in wanted:
            kept = held.get((user_id, skill))
            if kept is None:
                fits.append(missing[skill])
            else:
                holds_any = True
                fits.append(SkillFit(skill, required, kept[0], kept[2], to_utc(kept[1])))
        if holds_any:  # a candidate holds a current badge for a required skill
            candidates.append(
                Candidate(
                    key=f"user:{user_id}",
                    name=name,
                    email=email,
                    skills=tuple(fits),
                    user_id=user_id,
                )
            )
    return candidates


@dataclass(frozen=True, slots=True)
class GapCloser:
    """What would close a gap at the right level: the achievement, or a cohort that has not
    ended and teaches the skill at that level or above (with its dates)."""

    kind: Literal["achievement", "cohort"]
    name: str
    starts_on: date | None = None
    ends_on: date | None = None


def closers_for(
    session: Session, gaps: Iterable[tuple[str, int]], *, today: date
) -> dict[tuple[str, int], list[GapCloser]]:
    """Per ``(skill, required level)``: the achievement at that level (when the catalog has it
    and it is not retired) and the cohorts not yet ended that reach it, soonest first."""
    wanted = set(gaps)
    if not wanted:
        return {}
    skills = {skill for skill, _ in wanted}
    definitions = session.execute(
        select(
            AchievementDefinition.skill_id, AchievementDefinition.level, AchievementDefinition.name
        ).where(
            AchievementDefinition.skill_id.in_(skills),
            AchievementDefinition.retired_at.is_(None),
        )
    ).all()
    cohorts = session.execute(
        select(
            Cohort.name,
            Cohort.starts_on,
            Cohort.ends_on,
            AchievementDefinition.skill_id,
            AchievementDefinition.level,
        )
        .join(CohortSkill, CohortSkill.cohort_id == Cohort.id)
        .join(AchievementDefinition, AchievementDefinition.id == CohortSkill.achievement_id)
        .where(AchievementDefinition.skill_id.in_(skills), Cohort.ends_on >= today)
        .order_by(Cohort.starts_on, Cohort.name)
    ).all()
    out: dict[tuple[str, int], list[GapCloser]] = {}
    for skill, level in sorted(wanted):
        found = [
            GapCloser("achievement", name)
            for s, lvl, name in definitions
            if s == skill and lvl == level
        ]
        seen: set[tuple[str, date]] = set()
        for name, starts, ends, s, lvl in cohorts:
            if s == skill and (lvl or 0) >= level and (name, starts) not in seen:
                seen.add((name, starts))
                found.append(GapCloser("cohort", name, starts, ends))
        out[(skill, level)] = found
    return out


def gaps_of(candidates: Sequence[Candidate]) -> set[tuple[str, int]]:
    """Every ``(skill, required level)`` some candidate falls short of."""
    # Not through Candidate.gaps: this reads every skill of thousands of candidates.
    return {
        (fit.skill, fit.required) for c in candidates for fit in c.skills if fit.held < fit.required
    }
