"""A realistic :class:`~passport.outcomes.report.Outcomes`, built directly from the report's
dataclasses, for the pages' tests: two job families with curves and bands, suppressed groups
in every measure, mobility over four quarters (one suppressed), a coverage heat map and
curriculum triage rows.

The numbers are made up but shaped like the real thing (Kaplan-Meier steps from 1.0 down,
bands around them); the pages must show what is here and nothing of what is suppressed.
"""

from __future__ import annotations

import math
from datetime import date

from passport.outcomes.report import (
    SUPPRESSED,
    CriterionRate,
    Curve,
    FamilyCoverage,
    Filters,
    MobilityQuarter,
    Outcomes,
    RampTime,
    Retention,
    SurvivalGroup,
    TriageRow,
)

__all__ = ["SAMPLE_AS_OF", "sample_outcomes", "survival_group"]

SAMPLE_AS_OF = date(2026, 10, 15)


def _curve(scale: float, steps: int, floor: float, horizon: int) -> Curve:
    days = [0.0]
    estimate = [1.0]
    for n in range(1, steps + 1):
        day = round(horizon * n / steps, 1)
        days.append(day)
        estimate.append(round(floor + (1 - floor) * math.exp(-day / scale), 4))
    low = tuple(max(0.0, e - 0.08 * (1 - e) - 0.02 * (i > 0)) for i, e in enumerate(estimate))
    high = tuple(min(1.0, e + 0.08 * (1 - e) + 0.02 * (i > 0)) for i, e in enumerate(estimate))
    return Curve(tuple(days), tuple(estimate), low, high)


def survival_group(
    n: int,
    events: int,
    median: float | None,
    *,
    ci: tuple[float | None, float | None] = (None, None),
    at: tuple[float | None, float | None] = (None, None),
    scale: float = 60.0,
    floor: float = 0.0,
    horizon: int = 200,
) -> SurvivalGroup:
    return SurvivalGroup(
        n=n,
        events=events,
        censored=n - events,
        median_days=median,
        ci_low=ci[0],
        ci_high=ci[1],
        at180=at[0],
        at365=at[1],
        curve=_curve(scale, 24, floor, horizon),
    )


def sample_outcomes(as_of: date = SAMPLE_AS_OF, filters: Filters | None = None) -> Outcomes:
    """SRE (cohorts cut ramp time by 41 %), platform (its participants suppressed)."""
    names = {"platform": "Platform engineer", "sre": "Site reliability engineer"}
    ramp = {
        "platform": RampTime(
            participants=SUPPRESSED,
            others=survival_group(23, 19, 64.0, ci=(51.0, 80.0), scale=92),
            reduction_pct=None,
        ),
        "sre": RampTime(
            participants=survival_group(57, 49, 41.2, ci=(35.0, 48.0), scale=59),
            others=survival_group(62, 50, 69.6, ci=(61.0, None), scale=100),
            reduction_pct=40.8,
        ),
    }
    retention = {
        "platform": Retention(
            participants=SUPPRESSED,
            others=survival_group(31, 4, None, at=(0.93, 0.871), scale=900, floor=0.8, horizon=400),
            logrank_p=None,
        ),
        "sre": Retention(
            participants=survival_group(
                44, 3, None, at=(0.955, 0.931), scale=1500, floor=0.85, horizon=420
            ),
            others=survival_group(
                88, 14, None, at=(0.902, 0.8345), scale=700, floor=0.7, horizon=420
            ),
            logrank_p=0.0432,
        ),
    }
    by_cohort = {
        "SRE onboarding 2025-09": Retention(
            participants=survival_group(
                12, 1, None, at=(0.9167, None), scale=1500, floor=0.9, horizon=300
            ),
            others=survival_group(40, 6, None, at=(0.875, None), scale=700, floor=0.8, horizon=300),
            logrank_p=0.512,
        ),
        "Platform pilot 2026-01": Retention(
            participants=SUPPRESSED,
            others=survival_group(29, 2, None, at=(None, None), scale=900, floor=0.9, horizon=150),
            logrank_p=None,
        ),
    }
    mobility = {
        "platform": {
            "2026-Q1": SUPPRESSED,
            "2026-Q2": MobilityQuarter(internal=3, external=6, rate=3 / 9, badged_moves=None),
            "2026-Q3": MobilityQuarter(internal=6, external=4, rate=0.6, badged_moves=0.5),
        },
        "sre": {
            "2026-Q1": MobilityQuarter(internal=5, external=11, rate=5 / 16, badged_moves=0.4),
            "2026-Q2": MobilityQuarter(internal=7, external=9, rate=7 / 16, badged_moves=4 / 7),
            "2026-Q3": MobilityQuarter(internal=9, external=8, rate=9 / 17, badged_moves=7 / 9),
        },
    }
    coverage = {
        "platform": FamilyCoverage(
            ready_now=SUPPRESSED,
            within_one_cohort=7,
            population=34,
            by_skill={"kubernetes-operations": 21, "ci-cd": 12, "linux-administration": SUPPRESSED},
        ),
        "sre": FamilyCoverage(
            ready_now=9,
            within_one_cohort=14,
            population=52,
            by_skill={"incident-response": 40, "observability": 27, "linux-administration": 33},
        ),
    }
    triage = (
        TriageRow(
            cohort="SRE onboarding 2025-09",
            skill="incident-response",
            assessed=12,
            pass_rate=0.75,
            attendance_passed=0.91,
            attendance_failed=None,
            criteria=(
                CriterionRate("Writes a blameless postmortem", 0.5833),
                CriterionRate("Leads an incident call", 0.75),
                CriterionRate("Declares severity", 0.9167),
            ),
        ),
    )
    return Outcomes(
        as_of=as_of,
        filters=filters or Filters(),
        family_names=names,
        ramp_time=ramp,
        retention=retention,
        retention_by_cohort=by_cohort,
        mobility=mobility,
        coverage=coverage,
        triage=triage,
    )
