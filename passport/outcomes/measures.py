"""The outcome measures: ramp time, retention after cohorts, internal mobility, skills coverage
and curriculum triage, as of a date (``docs/outcomes.md`` defines each; tests pin them).

Events come from :func:`passport.outcomes.events.load_events` as arrays; per-person questions
("the first ``productive`` on or after this hire") are answered for all hires at once with
sorted keys and :func:`numpy.searchsorted`. The statistics are scipy's, not ours:
Kaplan-Meier is :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData` with the
log-log (exponential Greenwood) 95 % band, the comparison of two groups
:func:`scipy.stats.logrank`. Every group under five people is suppressed when the
:class:`~passport.outcomes.report.Outcomes` is built, so no surface can show it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.preferences import org_time_zone
from passport.assessments.models import Assessment
from passport.audit import record_event
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill, Skill
from passport.cohorts.models import Attendance, Cohort, MentoringSession
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import InvalidRequest
from passport.outcomes.careers import BEFORE_ALL, NEVER, Employment, Lookup
from passport.outcomes.events import (
    COHORT_COMPLETED,
    COHORT_STARTED,
    HIRED,
    LEFT,
    MOVED,
    PRODUCTIVE,
    EventArrays,
    IntArray,
    cohort_names,
    day_number,
    load_events,
)
from passport.outcomes.models import PeopleEvent
from passport.outcomes.report import (
    MIN_GROUP,
    SUPPRESSED,
    CriterionRate,
    FamilyCoverage,
    Filters,
    Group,
    MobilityQuarter,
    Outcomes,
    RampTime,
    Retention,
    Suppressed,
    SurvivalGroup,
    TriageRow,
    count_or_suppressed,
)
from passport.outcomes.survival import km_group, logrank_p

__all__ = [
    "CSV_COLUMNS",
    "PARTICIPANT_WINDOW_DAYS",
    "compute_outcomes",
    "default_as_of",
    "outcomes_csv",
    "read_outcomes",
]

#: A hire is a participant when a cohort starts 0 to this many days after it (inclusive).
PARTICIPANT_WINDOW_DAYS = 30

# -- the measures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    events: EventArrays
    career: Employment
    as_of: int
    since: int
    until: int
    family: int | None  # index into events.families; None: every family
    cohort: int | None  # index into events.cohorts; None: every cohort

    def in_period(self, day: IntArray) -> npt.NDArray[np.bool_]:
        return (day >= self.since) & (day <= self.until)


def _ramp_time(ctx: _Context) -> dict[int, RampTime]:
    events = ctx.events
    hire = (events.kind == HIRED) & (events.family >= 0) & ctx.in_period(events.day)
    if ctx.family is not None:
        hire &= events.family == ctx.family
    person, hired, family = events.person[hire], events.day[hire], events.family[hire]
    productive = Lookup(events, events.kind == PRODUCTIVE).first_on_or_after(person, hired)
    left = ctx.career.leaves.first_on_or_after(person, hired)
    # A productive on the day of the left counts; events after as_of were never loaded.
    reached = (productive < NEVER) & (productive <= left)
    duration = np.where(reached, productive, np.minimum(left, ctx.as_of)) - hired
    window = hired + PARTICIPANT_WINDOW_DAYS
    started = events.kind == COHORT_STARTED
    in_any = Lookup(events, started).first_on_or_after(person, hired) <= window
    if ctx.cohort is None:
        participant = in_any
    else:
        named = started & (events.cohort == ctx.cohort)
        participant = Lookup(events, named).first_on_or_after(person, hired) <= window
    other = ~in_any
    out: dict[int, RampTime] = {}
    for f in np.unique(family).tolist():
        mine = family == f
        p_mask, o_mask = mine & participant, mine & other
        groups = [km_group(duration[m], reached[m]) for m in (p_mask, o_mask)]
        reduction = None
        a, b = groups
        if (
            isinstance(a, SurvivalGroup)
            and isinstance(b, SurvivalGroup)
            and a.median_days is not None
            and b.median_days
        ):
            reduction = 100.0 * (1.0 - a.median_days / b.median_days)
        out[f] = RampTime(a, b, reduction)
    return out


@dataclass
class _Pool:
    """Durations and whether the event was seen, gathered from several cohorts."""

    durations: list[IntArray]
    observed: list[npt.NDArray[np.bool_]]

    def add(self, durations: IntArray, observed: npt.NDArray[np.bool_]) -> None:
        self.durations.append(durations)
        self.observed.append(observed)

    def arrays(self) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        if not self.durations:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        return np.concatenate(self.durations), np.concatenate(self.observed)


def _usable_cells(family: IntArray) -> set[int]:
    """The job families whose part of one cohort's group may be shown and pooled: those of
    MIN_GROUP people or more, less enough of the smallest of them that the parts held back
    add up to MIN_GROUP or more (secondary suppression). Otherwise the cohort's figure minus
    the parts shown would be the small part: its size and its outcome."""
    codes, counts = np.unique(family, return_counts=True)
    sizes = dict(zip(codes.tolist(), counts.tolist(), strict=True))
    usable = {f for f, n in sizes.items() if n >= MIN_GROUP}
    held_back = sum(n for f, n in sizes.items() if f not in usable)
    while 0 < held_back < MIN_GROUP and usable:
        smallest = min(usable, key=lambda f: (sizes[f], f))
        usable.discard(smallest)
        held_back += sizes[smallest]
    return usable


def _retention(ctx: _Context) -> tuple[dict[int, Retention], dict[int, Retention]]:
    """Per job family, and per cohort (ordered by completion day)."""
    events = ctx.events
    completed = events.kind == COHORT_COMPLETED
    cohort_people = events.person[(events.kind == COHORT_STARTED) | completed]
    in_cohort = np.unique(cohort_people)
    everyone = np.unique(events.person)
    never = everyone[~np.isin(everyone, in_cohort)]

    def follow(person: IntArray, origin: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        left = ctx.career.leaves.first_on_or_after(person, origin + 1)
        observed = left <= ctx.as_of
        return np.where(observed, left, ctx.as_of) - origin, observed

    by_family: dict[int, tuple[_Pool, _Pool]] = defaultdict(lambda: (_Pool([], []), _Pool([], [])))
    by_cohort: list[tuple[int, str, int, Retention]] = []
    for c in np.unique(events.cohort[completed]).tolist():
        if ctx.cohort is not None and c != ctx.cohort:
            continue
        mine = completed & (events.cohort == c)
        # A learner completing the same cohort twice: their latest completion.
        person = events.person[mine]
        day = events.day[mine]
        last = np.r_[person[1:] != person[:-1], True] if len(person) else np.zeros(0, bool)
        person, day = person[last], day[last]
        completion = int(day.max())
        if not (ctx.since <= completion <= ctx.until):
            continue
        family = ctx.career.family_on(person, day)
        # A learner counts when employed on their completion day, as the comparison group
        # must be on the cohort's: one who left mid-cohort is not "retained" by it.
        keep = family >= 0
        person, day, family = person[keep], day[keep], family[keep]
        families = np.unique(family)
        origin = np.full(len(never), completion, dtype=np.int64)
        their = ctx.career.family_on(never, origin, hired_before=True)
        compare = np.isin(their, families) & (their >= 0)
        c_person, c_family = never[compare], their[compare]
        l_dur, l_obs = follow(person, day)
        c_dur, c_obs = follow(c_person, origin[compare])
        # The cohort's learners (and comparison people) by job family: the cells the family
        # pools and the family filter show, each only when usable (_usable_cells).
        usable_l, usable_c = _usable_cells(family), _usable_cells(c_family)
        if ctx.family is None:
            l_sel = np.ones(len(person), dtype=bool)
            c_sel = np.ones(len(c_person), dtype=bool)
        else:
            if ctx.family not in usable_l:
                continue  # 0 learners of the family and 1 to 4 look the same: absent
            l_sel = family == ctx.family
            c_sel = (c_family == ctx.family) & (ctx.family in usable_c)
        learners = km_group(l_dur[l_sel], l_obs[l_sel])
        others = km_group(c_dur[c_sel], c_obs[c_sel])
        p = None
        if isinstance(learners, SurvivalGroup) and isinstance(others, SurvivalGroup):
            p = logrank_p((l_dur[l_sel], l_obs[l_sel]), (c_dur[c_sel], c_obs[c_sel]))
        by_cohort.append((completion, events.cohorts[c], c, Retention(learners, others, p)))
        for f in usable_l:
            by_family[f][0].add(l_dur[family == f], l_obs[family == f])
        for f in usable_c:
            by_family[f][1].add(c_dur[c_family == f], c_obs[c_family == f])
    out: dict[int, Retention] = {}
    for f, (learner_pool, other_pool) in by_family.items():
        a, b = learner_pool.arrays(), other_pool.arrays()
        learners, others = km_group(*a), km_group(*b)
        p = None
        if isinstance(learners, SurvivalGroup) and isinstance(others, SurvivalGroup):
            p = logrank_p(a, b)
        out[f] = Retention(learners, others, p)
    by_cohort.sort(key=lambda item: (item[0], item[1]))
    return out, {c: retention for _, _, c, retention in by_cohort}


# -- badges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Badge:
    """A badge of ours for a skill at a level, current from ``start`` up to (not including)
    ``end`` (day numbers): issued, and not yet expired, revoked or suspended."""

    skill: str
    level: int
    start: int
    end: int


def _day(moment: datetime | None) -> int:
    return NEVER if moment is None else day_number(moment.date())


def _load_badges(session: Session, as_of: date) -> dict[str, list[_Badge]]:
    """Every holder's skill badges issued on or before ``as_of``, by the holder's e-mail."""
    badges: dict[str, list[_Badge]] = defaultdict(list)
    rows = session.execute(
        select(
            Holder.email,
            AchievementDefinition.skill_id,
            AchievementDefinition.level,
            IssuedCredential.issued_at,
            IssuedCredential.valid_until,
            IssuedCredential.revoked_at,
            IssuedCredential.suspended_at,
        )
        .join(Holder, Holder.id == IssuedCredential.holder_id)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            AchievementDefinition.skill_id.is_not(None), AchievementDefinition.level.is_not(None)
        )
    )
    as_of_day = day_number(as_of)
    for email, skill, level, issued, valid_until, revoked, suspended in rows:
        start = _day(issued)
        if start > as_of_day:
            continue
        # Expired, revoked or suspended on a day: not current on that day. Suspension is
        # known only as it stands now (a reinstatement clears it).
        end = min(_day(valid_until), _day(revoked), _day(suspended))
        if skill is not None and level is not None:
            badges[email.lower()].append(_Badge(skill, level, start, end))
    return badges


def _levels_on(badges: Iterable[_Badge], day: int) -> dict[str, int]:
    """Skill -> the highest level of the badges current on ``day``."""
    levels: dict[str, int] = {}
    for badge in badges:
        if badge.start <= day < badge.end and badge.level > levels.get(badge.skill, 0):
            levels[badge.skill] = badge.level
    return levels


def _meets(levels: dict[str, int], requirements: dict[str, int]) -> bool:
    return all(levels.get(skill, 0) >= level for skill, level in requirements.items())


def _within_one(levels: dict[str, int], requirements: dict[str, int]) -> bool:
    """Exactly one requirement short, by exactly one level; every other met."""
    gaps = [level - levels.get(skill, 0) for skill, level in requirements.items()]
    short = [gap for gap in gaps if gap > 0]
    return len(short) == 1 and short[0] == 1


def _requirements(session: Session) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for family, skill, level in session.execute(
        select(JobFamilySkill.job_family_id, JobFamilySkill.skill_id, JobFamilySkill.min_level)
    ):
        out[family][skill] = level
    return out


def _quarter(day: IntArray) -> IntArray:
    """Calendar quarters as one number: year * 4 + quarter - 1."""
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (months // 12 + 1970) * 4 + (months % 12) // 3


def _quarter_name(number: int) -> str:
    return f"{number // 4}-Q{number % 4 + 1}"


def _mobility(
    ctx: _Context,
    requirements: dict[str, dict[str, int]],
    badges: dict[str, list[_Badge]],
) -> dict[int, dict[str, MobilityQuarter | Suppressed]]:
    events = ctx.events
    arrival = ((events.kind == HIRED) | (events.kind == MOVED)) & (events.family >= 0)
    arrival &= ctx.in_period(events.day)
    if ctx.family is not None:
        arrival &= events.family == ctx.family
    kind, family, person, day = (
        a[arrival] for a in (events.kind, events.family, events.person, events.day)
    )
    quarter = _quarter(day)
    email_of = {person_id: email for email, person_id in events.emails.items()}
    out: dict[int, dict[str, MobilityQuarter | Suppressed]] = defaultdict(dict)
    cells = np.unique(np.stack([family, quarter]), axis=1) if len(family) else np.zeros((2, 0))
    for f, q in cells.astype(np.int64).T.tolist():
        cell = (family == f) & (quarter == q)
        moved = cell & (kind == MOVED)
        internal, external = int(moved.sum()), int((cell & (kind == HIRED)).sum())
        if internal + external < MIN_GROUP:
            out[f][_quarter_name(q)] = SUPPRESSED
            continue
        needed = requirements.get(ctx.events.families[f], {})
        badged = None
        if internal >= MIN_GROUP and needed:
            held = 0
            for p, d in zip(person[moved].tolist(), day[moved].tolist(), strict=True):
                held_badges = badges.get(email_of.get(p, ""))
                if held_badges and _meets(_levels_on(held_badges, d), needed):
                    held += 1
            badged = held / internal
        out[f][_quarter_name(q)] = MobilityQuarter(
            internal, external, internal / (internal + external), badged
        )
    # A quarter without arrivals is under 5 too: listed as suppressed, so that an absent
    # quarter does not tell 0 from 1 to 4. Every quarter of the period, for every family
    # anyone ever arrived in.
    if len(quarter):
        ever = ((events.kind == HIRED) | (events.kind == MOVED)) & (events.family >= 0)
        if ctx.family is not None:
            ever &= events.family == ctx.family
        first = int(quarter.min())
        if ctx.since > BEFORE_ALL:
            first = int(_quarter(np.array([ctx.since], dtype=np.int64))[0])
        last = int(_quarter(np.array([ctx.until], dtype=np.int64))[0])
        for f in np.unique(events.family[ever]).tolist():
            for q in range(first, last + 1):
                out[f].setdefault(_quarter_name(q), SUPPRESSED)
    return out


def _coverage(
    ctx: _Context,
    requirements: dict[str, dict[str, int]],
    badges: dict[str, list[_Badge]],
    families: list[str],
) -> dict[str, FamilyCoverage]:
    """Badge holders not known to have left, against each family's requirements as of as_of."""
    events = ctx.events
    # Known to have left: a left on or after their latest hire (or with no hire at all).
    left = events.kind == LEFT
    person = events.person[left]
    hired, _ = ctx.career.hires.last_on_or_before(person, np.full(len(person), ctx.as_of))
    gone = set(person[events.day[left] > hired].tolist())
    levels = [
        _levels_on(held, ctx.as_of)
        for email, held in badges.items()
        if events.emails.get(email) not in gone
    ]
    population = count_or_suppressed(len(levels))
    out: dict[str, FamilyCoverage] = {}
    for family in families:
        needed = requirements.get(family)
        if not needed:
            continue
        out[family] = FamilyCoverage(
            ready_now=count_or_suppressed(sum(_meets(lv, needed) for lv in levels)),
            within_one_cohort=count_or_suppressed(sum(_within_one(lv, needed) for lv in levels)),
            population=population,
            by_skill={
                skill: count_or_suppressed(sum(lv.get(skill, 0) >= level for lv in levels))
                for skill, level in sorted(needed.items())
            },
        )
    return out


def _triage(
    session: Session, filters: Filters, as_of: date, skills: set[str] | None
) -> tuple[TriageRow, ...]:
    """Per cohort run here and skill: pass rate, attendance against outcome, criteria met.

    Each learner counts once per cohort and skill, with their latest assessment; "passed" is
    the assessment's own verdict (every criterion at or above the achievement's level,
    :mod:`passport.assessments.record`), and a criterion is met at or above that level too.
    """
    names = cohort_names(session)
    cohorts = {
        cohort_id: names[cohort_id]
        for cohort_id, ends in session.execute(
            select(Cohort.id, Cohort.ends_on).order_by(Cohort.ends_on, Cohort.name)
        )
        if (filters.cohort is None or names[cohort_id] == filters.cohort)
        and (filters.since is None or ends >= filters.since)
        and (filters.until is None or ends <= filters.until)
        and ends <= as_of
    }
    if not cohorts:
        return ()
    latest: dict[tuple[int, str, str], tuple[datetime, int, str, bool]] = {}
    for cohort_id, email, skill, level, levels, passed, at in session.execute(
        select(
            Assessment.cohort_id,
            Holder.email,
            AchievementDefinition.skill_id,
            AchievementDefinition.level,
            Assessment.levels,
            Assessment.passed,
            Assessment.assessed_at,
        )
        .join(Holder, Holder.id == Assessment.holder_id)
        .join(AchievementDefinition, AchievementDefinition.id == Assessment.achievement_id)
        .where(Assessment.cohort_id.in_(cohorts), AchievementDefinition.skill_id.is_not(None))
    ):
        if cohort_id is None or skill is None or (skills is not None and skill not in skills):
            continue
        key = (cohort_id, skill, email.lower())
        if key not in latest or latest[key][0] < at:
            latest[key] = (at, level or 1, levels, passed)
    sessions = dict(
        session.execute(
            select(MentoringSession.cohort_id, func.count())
            .where(MentoringSession.cohort_id.in_(cohorts))
            .group_by(MentoringSession.cohort_id)
        ).all()
    )
    present = {
        (cohort_id, email.lower()): count
        for cohort_id, email, count in session.execute(
            select(MentoringSession.cohort_id, User.email, func.count())
            .join(Attendance, Attendance.session_id == MentoringSession.id)
            .join(User, User.id == Attendance.user_id)
            .where(MentoringSession.cohort_id.in_(cohorts), Attendance.present.is_(True))
            .group_by(MentoringSession.cohort_id, User.email)
        )
    }
    names = {
        skill_id: {c["id"]: c.get("name") or c["id"] for c in json.loads(criteria or "[]")}
        for skill_id, criteria in session.execute(select(Skill.id, Skill.criteria))
    }
    grouped: dict[tuple[int, str], list[tuple[str, int, str, bool]]] = defaultdict(list)
    for (cohort_id, skill, email), (_, level, levels, passed) in latest.items():
        grouped[(cohort_id, skill)].append((email, level, levels, passed))
    order = list(cohorts)
    rows: list[TriageRow] = []
    for (cohort_id, skill), learners in sorted(
        grouped.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
    ):
        if len(learners) < MIN_GROUP:
            continue
        total = sessions.get(cohort_id, 0)

        def attendance(
            group: list[tuple[str, int, str, bool]], cohort_id: int = cohort_id, total: int = total
        ) -> float | None:
            if len(group) < MIN_GROUP or not total:
                return None
            return sum(present.get((cohort_id, e), 0) / total for e, *_ in group) / len(group)

        met: dict[str, int] = defaultdict(int)
        for _, level, levels, _ in learners:
            for criterion, achieved in json.loads(levels).items():
                met[criterion] += int(achieved) >= level
        labels = names.get(skill, {})
        criteria = sorted(
            (CriterionRate(labels.get(c, c), met[c] / len(learners)) for c in (labels or met)),
            key=lambda r: (r.met_rate, r.criterion),
        )
        rows.append(
            TriageRow(
                cohort=cohorts[cohort_id],
                skill=skill,
                assessed=len(learners),
                pass_rate=sum(p for *_, p in learners) / len(learners),
                attendance_passed=attendance([x for x in learners if x[3]]),
                attendance_failed=attendance([x for x in learners if not x[3]]),
                criteria=tuple(criteria),
            )
        )
    return tuple(rows)


# -- the whole report -------------------------------------------------------------------------


def default_as_of(session: Session, now: datetime) -> date:
    """Today in the organisation's time zone: the as-of date when none is given."""
    return now.astimezone(ZoneInfo(org_time_zone(session))).date()


def read_outcomes(
    session: Session,
    *,
    actor: str,
    as_of: date,
    filters: Filters | None = None,
    today: date,
    now: datetime,
) -> Outcomes:
    """:func:`compute_outcomes` for someone who will see the figures, audited
    (``outcomes.read``, with the as-of date and the filters): who looked at what, in case
    queries differing by a day are used to follow one person (docs/outcomes.md)."""
    outcomes = compute_outcomes(session, as_of=as_of, filters=filters, today=today)
    asked = outcomes.filters
    detail = {
        "asOf": as_of.isoformat(),
        "jobFamily": asked.job_family,
        "cohort": asked.cohort,
        "since": asked.since.isoformat() if asked.since else None,
        "until": asked.until.isoformat() if asked.until else None,
    }
    record_event(session, actor, "outcomes.read", None, detail, at=now)
    return outcomes


def compute_outcomes(
    session: Session, *, as_of: date, filters: Filters | None = None, today: date | None = None
) -> Outcomes:
    """Every measure as of ``as_of``, limited by ``filters``.

    ``today``: the organisation's today (:func:`default_as_of`); an ``as_of`` after it is
    refused, since everyone still employed would be followed through days that have not
    happened. Raises :class:`InvalidRequest` (``invalid_date``, ``unknown_job_family``,
    ``unknown_cohort``, ``invalid_period``) for such a date, a filter that names nothing or
    an empty period.
    """
    if today is not None and as_of > today:
        raise InvalidRequest(
            f"The as-of date {as_of.isoformat()} is in the future; give {today.isoformat()} "
            "or an earlier date.",
            code="invalid_date",
        )
    filters = filters or Filters()
    names: dict[str, str] = {
        family_id: name for family_id, name in session.execute(select(JobFamily.id, JobFamily.name))
    }
    if filters.job_family is not None and filters.job_family not in names:
        raise InvalidRequest(
            f"There is no job family {filters.job_family!r}.", code="unknown_job_family"
        )
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise InvalidRequest(
            "The period starts after it ends: 'since' must be on or before 'until'.",
            code="invalid_period",
        )
    events = load_events(session, as_of=as_of)
    if filters.cohort is not None and filters.cohort not in events.cohorts:
        known = filters.cohort in cohort_names(session).values() or session.scalar(
            select(func.count())
            .select_from(PeopleEvent)
            .where(PeopleEvent.cohort == filters.cohort)
        )
        if not known:
            raise InvalidRequest(f"There is no cohort {filters.cohort!r}.", code="unknown_cohort")
    family_index = {name: i for i, name in enumerate(events.families)}
    cohort_index = {name: i for i, name in enumerate(events.cohorts)}
    ctx = _Context(
        events=events,
        career=Employment(events),
        as_of=day_number(as_of),
        since=BEFORE_ALL if filters.since is None else day_number(filters.since),
        until=min(day_number(as_of), NEVER if filters.until is None else day_number(filters.until)),
        family=None if filters.job_family is None else family_index.get(filters.job_family, -2),
        cohort=None if filters.cohort is None else cohort_index.get(filters.cohort, -2),
    )
    requirements = _requirements(session)
    badges = _load_badges(session, as_of)
    ramp = _ramp_time(ctx)
    retention, by_cohort = _retention(ctx)
    mobility = _mobility(ctx, requirements, badges)
    retired = {
        family_id
        for (family_id,) in session.execute(
            select(JobFamily.id).where(JobFamily.retired_at.is_not(None))
        )
    }
    wanted = [
        f
        for f in names
        if f not in retired and (filters.job_family is None or f == filters.job_family)
    ]
    coverage = _coverage(ctx, requirements, badges, wanted)
    skills = None if filters.job_family is None else set(requirements.get(filters.job_family, {}))
    triage = _triage(session, filters, as_of, skills)

    def by_name(mapping: dict[int, object]) -> list[int]:
        return sorted(
            mapping, key=lambda f: (names.get(events.families[f], ""), events.families[f])
        )

    mentioned = {events.families[f] for f in (*ramp, *retention, *mobility)} | set(coverage)
    return Outcomes(
        as_of=as_of,
        filters=filters,
        family_names={
            f: names[f]
            for f in sorted(mentioned, key=lambda f: (names.get(f, ""), f))
            if f in names
        },
        ramp_time={events.families[f]: ramp[f] for f in by_name(ramp)},  # type: ignore[arg-type]
        retention={events.families[f]: retention[f] for f in by_name(retention)},  # type: ignore[arg-type]
        retention_by_cohort={events.cohorts[c]: value for c, value in by_cohort.items()},
        mobility={
            events.families[f]: dict(sorted(mobility[f].items()))
            for f in by_name(mobility)  # type: ignore[arg-type]
        },
        coverage={f: coverage[f] for f in sorted(coverage, key=lambda f: (names[f], f))},
        triage=triage,
    )


# -- CSV ------------------------------------------------------------------------------------

#: The columns of :func:`outcomes_csv`, in order (docs/outcomes.md describes them).
CSV_COLUMNS = ("measure", "job_family", "cohort", "quarter", "group", "statistic", "value")


def _value(value: object) -> str:
    if isinstance(value, Suppressed):
        return "suppressed"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _group_rows(group: Group, statistics: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    if isinstance(group, Suppressed):
        yield "n", SUPPRESSED
        return
    for name in statistics:
        yield name, getattr(group, name)


_RAMP_STATISTICS = ("n", "events", "censored", "median_days", "ci_low", "ci_high")
_RETENTION_STATISTICS = ("n", "at180", "at365")
_CSV_NAMES = {
    "median_days": "medianDays",
    "ci_low": "ciLow",
    "ci_high": "ciHigh",
    "reduction_pct": "reductionPct",
    "logrank_p": "logrankP",
}


def _rows(outcomes: Outcomes) -> Iterator[tuple[str, str, str, str, str, str, object]]:
    for family, ramp in outcomes.ramp_time.items():
        for group_name, group in (("participants", ramp.participants), ("others", ramp.others)):
            for stat, value in _group_rows(group, _RAMP_STATISTICS):
                yield "rampTime", family, "", "", group_name, stat, value
        yield "rampTime", family, "", "", "", "reduction_pct", ramp.reduction_pct
    for measure, key_is_family, items in (
        ("retention", True, outcomes.retention.items()),
        ("retentionByCohort", False, outcomes.retention_by_cohort.items()),
    ):
        for key, retention in items:
            family, cohort = (key, "") if key_is_family else ("", key)
            for group_name, group in (
                ("participants", retention.participants),
                ("others", retention.others),
            ):
                for stat, value in _group_rows(group, _RETENTION_STATISTICS):
                    yield measure, family, cohort, "", group_name, stat, value
            yield measure, family, cohort, "", "", "logrank_p", retention.logrank_p
    for family, quarters in outcomes.mobility.items():
        for quarter, cell in quarters.items():
            if isinstance(cell, Suppressed):
                yield "mobility", family, "", quarter, "", "arrivals", SUPPRESSED
                continue
            yield "mobility", family, "", quarter, "", "internal", cell.internal
            yield "mobility", family, "", quarter, "", "external", cell.external
            yield "mobility", family, "", quarter, "", "rate", cell.rate
            yield "mobility", family, "", quarter, "", "badgedMoves", cell.badged_moves
    for family, coverage in outcomes.coverage.items():
        yield "coverage", family, "", "", "", "population", coverage.population
        yield "coverage", family, "", "", "", "readyNow", coverage.ready_now
        yield "coverage", family, "", "", "", "withinOneCohort", coverage.within_one_cohort
        for skill, count in coverage.by_skill.items():
            yield "coverage", family, "", "", skill, "meetsLevel", count
    for row in outcomes.triage:
        base = ("triage", "", row.cohort, "", row.skill)
        yield (*base, "assessed", row.assessed)
        yield (*base, "passRate", row.pass_rate)
        yield (*base, "attendancePassed", row.attendance_passed)
        yield (*base, "attendanceFailed", row.attendance_failed)
        for criterion in row.criteria:
            yield (*base, f"criterionMet:{criterion.criterion}", criterion.met_rate)


def outcomes_csv(outcomes: Outcomes) -> str:
    """The figures as a tidy CSV: one row per figure (:data:`CSV_COLUMNS`); a suppressed group
    is one row whose value is ``suppressed``; a figure that does not exist is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for *labels, statistic, value in _rows(outcomes):
        writer.writerow([*labels, _CSV_NAMES.get(statistic, statistic), _value(value)])
    return out.getvalue()
