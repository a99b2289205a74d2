"""What the outcome measures produce, and its JSON: the contract every surface shares.

:func:`passport.outcomes.measures.compute_outcomes` builds an :class:`Outcomes`; the CLI
(``passport outcomes --json``), the API (``GET /api/v1/outcomes``), the CSV export, the
dashboard and the quarterly report all read it. Suppression happens when it is built: a
group of fewer than :data:`MIN_GROUP` people is a :data:`SUPPRESSED` value here, so no
surface can show what it does not hold. ``docs/outcomes.md`` defines each figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

__all__ = [
    "MIN_GROUP",
    "SUPPRESSED",
    "Count",
    "CriterionRate",
    "Curve",
    "FamilyCoverage",
    "Filters",
    "Group",
    "MobilityQuarter",
    "Outcomes",
    "RampTime",
    "Retention",
    "Suppressed",
    "SurvivalGroup",
    "TriageRow",
    "count_or_suppressed",
]

#: The smallest group any figure describes; smaller ones are shown as "fewer than 5".
MIN_GROUP: Final = 5


class Suppressed:
    """A group of fewer than :data:`MIN_GROUP` people: nothing about it is kept."""

    _instance: Suppressed | None = None

    def __new__(cls) -> Suppressed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def to_json(self) -> dict[str, bool]:
        return {"suppressed": True}


SUPPRESSED: Final = Suppressed()

#: A number of people, or SUPPRESSED when it is below MIN_GROUP (zero included).
Count = int | Suppressed


def count_or_suppressed(n: int) -> Count:
    return n if n >= MIN_GROUP else SUPPRESSED


def _json(value: Any) -> Any:
    return value.to_json() if isinstance(value, Suppressed) else value


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier step function for a chart: at ``days[i]`` the estimate becomes
    ``estimate[i]`` with the pointwise 95 % band ``low[i]``..``high[i]``. Starts at day 0
    with 1.0. For ramp time the estimate is the share not yet productive; for retention the
    share still employed."""

    days: tuple[float, ...]
    estimate: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class SurvivalGroup:
    """One group's Kaplan-Meier estimate (n ≥ MIN_GROUP). ``events`` ended in the event
    (productive, or left); ``censored`` did not by the end of their follow-up. Medians and
    their 95 % interval in days, None when the estimate never reaches 0.5. ``at180`` and
    ``at365``: the estimate at that many days, None when nobody is followed that long."""

    n: int
    events: int
    censored: int
    median_days: float | None
    ci_low: float | None
    ci_high: float | None
    at180: float | None
    at365: float | None
    curve: Curve

    def ramp_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "events": self.events,
            "censored": self.censored,
            "medianDays": self.median_days,
            "ciLow": self.ci_low,
            "ciHigh": self.ci_high,
        }

    def retention_json(self) -> dict[str, Any]:
        return {"n": self.n, "at180": self.at180, "at365": self.at365}


Group = SurvivalGroup | Suppressed


@dataclass(frozen=True)
class RampTime:
    """Days from ``hired`` to the first ``productive`` in one job family, participants
    against others; ``reduction_pct`` None when either is suppressed or has no median."""

    participants: Group
    others: Group
    reduction_pct: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "participants": _group(self.participants, "ramp"),
            "others": _group(self.others, "ramp"),
            "reductionPct": self.reduction_pct,
        }


@dataclass(frozen=True)
class Retention:
    """Time from a cohort's completion to ``left``: its learners against the comparison
    group; ``logrank_p`` None when either group is suppressed."""

    participants: Group
    others: Group
    logrank_p: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "participants": _group(self.participants, "retention"),
            "others": _group(self.others, "retention"),
            "logrankP": self.logrank_p,
        }


def _group(group: Group, kind: str) -> dict[str, Any]:
    if isinstance(group, Suppressed):
        return group.to_json()
    return group.ramp_json() if kind == "ramp" else group.retention_json()


@dataclass(frozen=True)
class MobilityQuarter:
    """Arrivals into a job family in one calendar quarter (suppressed as a whole when
    ``internal + external`` < MIN_GROUP). ``badged_moves``: the share of the internal moves
    whose person held current badges meeting every requirement of the family on the move
    date; None when ``internal`` < MIN_GROUP."""

    internal: int
    external: int
    rate: float
    badged_moves: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "internal": self.internal,
            "external": self.external,
            "rate": self.rate,
            "badgedMoves": self.badged_moves,
        }


@dataclass(frozen=True)
class FamilyCoverage:
    """People who could work in a job family on their current badges: ``ready_now`` meet
    every required level, ``within_one_cohort`` are one skill short by one level.
    ``by_skill``: for each required skill, the people meeting its required level (the heat
    map's row)."""

    ready_now: Count
    within_one_cohort: Count
    population: Count
    by_skill: dict[str, Count] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "readyNow": _json(self.ready_now),
            "withinOneCohort": _json(self.within_one_cohort),
        }


@dataclass(frozen=True)
class CriterionRate:
    """One rubric criterion in one cohort's assessments of one skill: the share of assessed
    learners at or above its required level."""

    criterion: str
    met_rate: float


@dataclass(frozen=True)
class TriageRow:
    """Curriculum triage for one cohort and skill (the row exists only when ``assessed`` ≥
    MIN_GROUP): pass rate, attendance of those who passed and of those who did not (None
    when that part is under MIN_GROUP), and the criteria, least often met first."""

    cohort: str
    skill: str
    assessed: int
    pass_rate: float
    attendance_passed: float | None
    attendance_failed: float | None
    criteria: tuple[CriterionRate, ...]


@dataclass(frozen=True)
class Filters:
    """What the figures were limited to: one job family, one cohort, and a period (hires,
    cohort completions and quarters from ``since`` to ``until``, both inclusive)."""

    job_family: str | None = None
    cohort: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Outcomes:
    """Every measure as of one date. Dicts are ordered for display: job families by name,
    cohorts by completion date, quarters oldest first."""

    as_of: date
    filters: Filters
    #: job family id -> its name, for every family the figures mention.
    family_names: dict[str, str]
    ramp_time: dict[str, RampTime]
    retention: dict[str, Retention]
    retention_by_cohort: dict[str, Retention]
    mobility: dict[str, dict[str, MobilityQuarter | Suppressed]]
    coverage: dict[str, FamilyCoverage]
    triage: tuple[TriageRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The shape issue #19 fixes (``passport outcomes --json``, ``GET /api/v1/outcomes``):
        unrounded figures; a suppressed group is ``{"suppressed": true}``."""
        return {
            "asOf": self.as_of.isoformat(),
            "rampTime": {key: value.to_json() for key, value in self.ramp_time.items()},
            "retention": {key: value.to_json() for key, value in self.retention.items()},
            "retentionByCohort": {
                key: value.to_json() for key, value in self.retention_by_cohort.items()
            },
            "mobility": {
                family: {quarter: cell.to_json() for quarter, cell in quarters.items()}
                for family, quarters in self.mobility.items()
            },
            "coverage": {key: value.to_json() for key, value in self.coverage.items()},
        }
