"""Build or buy, per job family: openings against the people ready now, within one cohort and in
a cohort now, the recommendation those numbers give, and the skills whose cohort would unlock
the most ready candidates. ``docs/mobility.md`` defines every figure.

**Whose requirements.** The family's open roles, each with its own levels; a family without an
open role is read against its own job-family levels, so the view still says who is ready.

**Who counts.** Every count of people here reads only the people who opted in to be found for
the family: ready now, within one cohort and the unlock counts through
:func:`~passport.mobility.ranking.internal_candidates` (active accounts holding a current badge
of ours for a required skill), *in a cohort now* through the same consent rule
(:func:`~passport.mobility.ranking.consented`). Nothing is cached, so a withdrawal or a revoked
badge is out of the next view. Every count of people is
:func:`~passport.outcomes.report.count_or_suppressed` (below 5: "fewer than 5"). Openings are
not people and are exact.

**Within one cohort** is one skill short by one level for some role *and* a cohort scheduled
(starting today or later, teaching the skill at that level or above) that closes that gap;
one level short with nothing scheduled counts only in the unlock list.

**The recommendation** is computed from the true numbers; only the shown values leave this
module. With *o* openings, *r* ready now and *w* within one cohort:

1. no openings → ``no_open_roles``;
2. r ≥ o → ``move_internally``;
3. r + w ≥ o and a cohort is scheduled that closes a within-one gap → ``train``;
4. otherwise ``hire``: the openings left are o − r − w (w is 0 with nothing scheduled).
   They are given (``hire_for``) only when r and w are both shown, so they turn no suppressed
   count into an exact one.

The decision may narrow a suppressed count ("fewer than 5 ready now: move internally" says at
least o are ready); it names no one the viewers cannot already see, since the people behind r
and w all opted in and appear by name on the candidate list of one of the family's open roles,
for the same viewers. Suppression here guards the view as an aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition, JobFamily, Skill
from passport.cohorts.models import Cohort, CohortMember, CohortSkill
from passport.errors import NotFound
from passport.mobility.models import Discoverability, OpenRole
from passport.mobility.ranking import (
    Candidate,
    GapCloser,
    SkillFit,
    closers_for,
    consented,
    internal_candidates,
    requirements_of,
)
from passport.outcomes.people import org_today
from passport.outcomes.report import Count, Suppressed, count_or_suppressed

__all__ = [
    "DECISIONS",
    "FamilyPipeline",
    "PipelineGroups",
    "ScheduledCohort",
    "UnlockSkill",
    "all_pipelines",
    "classify",
    "family_pipeline",
    "next_cohort",
    "pipeline_json",
    "recommend",
]

Decision = Literal["no_open_roles", "move_internally", "train", "hire"]
#: The recommendations, in the order the rule tries them.
DECISIONS: tuple[Decision, ...] = ("no_open_roles", "move_internally", "train", "hire")


@dataclass(frozen=True, slots=True)
class ScheduledCohort:
    """A cohort that has not started yet (or starts today), by name and start date."""

    name: str
    starts_on: date


@dataclass(frozen=True, slots=True)
class UnlockSkill:
    """A skill that is the only gap of some discoverable people for an open role: how many
    (shown value), at which level the roles need it, and the next cohort teaching it there."""

    skill: str
    name: str
    level: int
    candidates: Count
    next_cohort: ScheduledCohort | None


@dataclass(frozen=True, slots=True)
class FamilyPipeline:
    """One job family's build-or-buy figures; people counts are shown values only."""

    job_family: str
    name: str
    openings: int
    open_roles: int
    ready_now: Count
    within_one_cohort: Count
    in_cohort_now: Count
    decision: Decision
    #: The openings left to hire for, when the shown numbers allow saying it (rule 4).
    hire_for: int | None
    next_cohort: ScheduledCohort | None
    unlock: tuple[UnlockSkill, ...]


def recommend(
    openings: int, ready: int, within: int, *, cohort_scheduled: bool
) -> tuple[Decision, int]:
    """The decision for the true numbers (module docstring) and the openings left to hire for
    (0 unless ``hire``)."""
    if openings <= 0:
        return "no_open_roles", 0
    if ready >= openings:
        return "move_internally", 0
    if cohort_scheduled and ready + within >= openings:
        return "train", 0
    trained = within if cohort_scheduled else 0
    return "hire", openings - ready - trained


def next_cohort(closers: Sequence[GapCloser], today: date) -> ScheduledCohort | None:
    """The earliest cohort among ``closers`` starting on or after ``today`` (then by name)."""
    found = sorted(
        (c.starts_on, c.name)
        for c in closers
        if c.kind == "cohort" and c.starts_on is not None and c.starts_on >= today
    )
    return ScheduledCohort(found[0][1], found[0][0]) if found else None


def _fits(held: Mapping[str, SkillFit], requirements: Mapping[str, int]) -> tuple[SkillFit, ...]:
    """The candidate's best held levels (from the union assessment) against one role."""
    return tuple(
        SkillFit(skill, level, held[skill].held if skill in held else 0)
        for skill, level in requirements.items()
    )


@dataclass(frozen=True, slots=True)
class PipelineGroups:
    """Who is ready now, who is within one cohort (with the gaps that make them so), and per
    skill who lacks only that skill for some role (with the highest level those roles need).
    Keys are :attr:`Candidate.key`; exact numbers, for this module only."""

    ready: frozenset[str]
    within: dict[str, set[tuple[str, int]]]
    only_gap: dict[str, set[str]]
    only_gap_level: dict[str, int]


def classify(people: Sequence[Candidate], sets: Sequence[Mapping[str, int]]) -> PipelineGroups:
    """Sort ``people`` (assessed against the union of ``sets``) into the pipeline's groups:
    ready for one set; else, per set with exactly one gap, within one cohort when that gap is
    one level, and an unlock candidate for that gap's skill whatever its size."""
    ready: set[str] = set()
    within: dict[str, set[tuple[str, int]]] = {}
    only_gap: dict[str, set[str]] = {}
    only_gap_level: dict[str, int] = {}
    for person in people:
        held = {fit.skill: fit for fit in person.skills}
        per_role = [_fits(held, requirements) for requirements in sets]
        if any(all(f.status == "met" for f in fits) for fits in per_role):
            ready.add(person.key)
            continue
        for fits in per_role:
            gaps = [f for f in fits if f.status != "met"]
            if len(gaps) != 1:
                continue
            gap = gaps[0]
            if gap.shortfall == 1:
                within.setdefault(person.key, set()).add((gap.skill, gap.required))
            only_gap.setdefault(gap.skill, set()).add(person.key)
            only_gap_level[gap.skill] = max(only_gap_level.get(gap.skill, 0), gap.required)
    return PipelineGroups(frozenset(ready), within, only_gap, only_gap_level)


def _requirement_sets(session: Session, family: JobFamily) -> tuple[list[dict[str, int]], int, int]:
    """The open roles' requirements (or the family's own levels), the openings summed and
    the number of open roles."""
    roles = list(
        session.scalars(
            select(OpenRole)
            .where(OpenRole.job_family_id == family.id, OpenRole.status == "open")
            .options(selectinload(OpenRole.levels))
            .order_by(OpenRole.id)
        )
    )
    sets = [r for r in (requirements_of(role) for role in roles) if r]
    openings = sum(role.openings for role in roles)
    if not roles:
        own = {req.skill_id: req.min_level for req in family.requirements}
        sets = [own] if own else []
    return sets, openings, len(roles)


def _in_cohort_now(session: Session, family_id: str, skills: set[str], today: date) -> int:
    """Learners (active accounts) of cohorts running today that teach one of ``skills`` and
    who opted in to be found for the family: someone who did not opt in is in no count."""
    if not skills:
        return 0
    rows = session.scalars(
        select(CohortMember.user_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(CohortSkill, CohortSkill.cohort_id == Cohort.id)
        .join(AchievementDefinition, AchievementDefinition.id == CohortSkill.achievement_id)
        .join(User, User.id == CohortMember.user_id)
        .join(Discoverability, Discoverability.user_id == User.id)
        .where(
            CohortMember.role == "learner",
            Cohort.starts_on <= today,
            Cohort.ends_on >= today,
            AchievementDefinition.skill_id.in_(sorted(skills)),
            User.deactivated_at.is_(None),
            User.erased_at.is_(None),
            consented(family_id),
        )
        .distinct()
    )
    return len(list(rows))


def _shown(count: Count) -> bool:
    return not isinstance(count, Suppressed)


def _pipeline(session: Session, family: JobFamily, now: datetime) -> FamilyPipeline:
    today = org_today(session, now)
    sets, openings, open_roles = _requirement_sets(session, family)
    union: dict[str, int] = {}
    for requirements in sets:
        for skill, level in requirements.items():
            union[skill] = max(union.get(skill, 0), level)
    people: list[Candidate] = internal_candidates(session, family.id, union, now=now)

    split = classify(people, sets)
    ready, within = split.ready, split.within
    only_gap, only_gap_level = split.only_gap, split.only_gap_level

    wanted = {g for gaps in within.values() for g in gaps} | set(only_gap_level.items())
    closers = closers_for(session, wanted, today=today)
    # Within one cohort means a scheduled cohort closes the one gap: the people one level short
    # with nothing scheduled would not be ready by any date we can name, so they count only in
    # the unlock list.
    scheduled = {
        gap: found
        for gap in {g for gaps in within.values() for g in gaps}
        if (found := next_cohort(closers.get(gap, []), today)) is not None
    }
    trainable = {key for key, gaps in within.items() if gaps & scheduled.keys()}
    starts = list(scheduled.values())
    cohort = min(starts, key=lambda c: (c.starts_on, c.name)) if starts else None

    decision, left = recommend(
        openings, len(ready), len(trainable), cohort_scheduled=cohort is not None
    )
    ready_shown = count_or_suppressed(len(ready))
    within_shown = count_or_suppressed(len(trainable))
    hire_for = left if decision == "hire" and _shown(ready_shown) and _shown(within_shown) else None

    names: dict[str, str] = {
        skill: name
        for skill, name in session.execute(
            select(Skill.id, Skill.name).where(Skill.id.in_(sorted(only_gap)))
        )
    }
    ranked = sorted(only_gap.items(), key=lambda item: (-len(item[1]), item[0]))
    unlock = tuple(
        UnlockSkill(
            skill=skill,
            name=names.get(skill, skill),
            level=only_gap_level[skill],
            candidates=count_or_suppressed(len(keys)),
            next_cohort=next_cohort(closers.get((skill, only_gap_level[skill]), []), today),
        )
        for skill, keys in ranked
    )
    skills = set(union) | {req.skill_id for req in family.requirements}
    return FamilyPipeline(
        job_family=family.id,
        name=family.name,
        openings=openings,
        open_roles=open_roles,
        ready_now=ready_shown,
        within_one_cohort=within_shown,
        in_cohort_now=count_or_suppressed(_in_cohort_now(session, family.id, skills, today)),
        decision=decision,
        hire_for=hire_for,
        next_cohort=cohort,
        unlock=unlock,
    )


def family_pipeline(session: Session, family_id: str, *, now: datetime) -> FamilyPipeline:
    """The build-or-buy figures of one job family (retired ones too: they may still have
    roles); NotFound ``unknown_job_family``."""
    family = session.get(JobFamily, family_id)
    if family is None:
        raise NotFound("No job family with that id.", code="unknown_job_family")
    return _pipeline(session, family, now)


def all_pipelines(session: Session, now: datetime) -> list[FamilyPipeline]:
    """The figures of every active job family, by name."""
    families = session.scalars(
        select(JobFamily).where(JobFamily.retired_at.is_(None)).order_by(JobFamily.name)
    )
    return [_pipeline(session, family, now) for family in families]


def _count_json(count: Count) -> int | dict[str, bool]:
    return count.to_json() if isinstance(count, Suppressed) else count


def _cohort_json(cohort: ScheduledCohort | None) -> dict[str, str] | None:
    if cohort is None:
        return None
    return {"name": cohort.name, "startsOn": cohort.starts_on.isoformat()}


def pipeline_json(pipeline: FamilyPipeline, sentence: str) -> dict[str, object]:
    """The API's form (``GET /api/v1/job-families/<id>/pipeline``); ``sentence`` is the
    recommendation as the web layer words it."""
    return {
        "jobFamily": pipeline.job_family,
        "openings": pipeline.openings,
        "readyNow": _count_json(pipeline.ready_now),
        "withinOneCohort": _count_json(pipeline.within_one_cohort),
        "inCohortNow": _count_json(pipeline.in_cohort_now),
        "recommendation": {"decision": pipeline.decision, "sentence": sentence},
        "nextCohort": _cohort_json(pipeline.next_cohort),
        "unlockSkills": [
            {
                "skill": item.skill,
                "candidates": _count_json(item.candidates),
                "nextCohort": _cohort_json(item.next_cohort),
            }
            for item in pipeline.unlock
        ],
    }
