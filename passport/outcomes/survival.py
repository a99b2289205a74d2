"""Kaplan-Meier and the log-rank test for one or two groups of people, with scipy: the
estimators behind every survival figure of the outcome measures (:mod:`.measures`).

A group of fewer than :data:`~passport.outcomes.report.MIN_GROUP` people is
:data:`~passport.outcomes.report.SUPPRESSED` here, before any figure is computed for it.
``docs/outcomes.md`` defines the median, its interval and survival at 180/365 days; the
tests compare them with lifelines (test_measures_crosscheck.py, test_km_random.py).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import numpy.typing as npt
from scipy import stats

from passport.outcomes.report import MIN_GROUP, SUPPRESSED, Curve, Group, SurvivalGroup

__all__ = ["CONFIDENCE", "RETENTION_DAYS", "km_group", "logrank_p"]

#: The days at which retention is reported.
RETENTION_DAYS = (180, 365)
#: The confidence level of every interval.
CONFIDENCE = 0.95


def _first_at_or_below(
    times: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
) -> float | None:
    """The smallest time at which the step function is <= 0.5 (None when it never is). A
    hair of tolerance keeps an exact 0.5 (9/10 x 8/9 x ... x 5/6) from missing by rounding."""
    below = np.flatnonzero(np.nan_to_num(values, nan=1.0) <= 0.5 + 1e-12)
    return float(times[below[0]]) if len(below) else None


def km_group(durations: npt.NDArray[np.int64], observed: npt.NDArray[np.bool_]) -> Group:
    """Kaplan-Meier of one group (scipy), or SUPPRESSED under MIN_GROUP people."""
    n = len(durations)
    if n < MIN_GROUP:
        return SUPPRESSED
    events = int(observed.sum())
    longest = float(durations.max())
    if events == 0:
        # Nobody reached the event: the estimate stays at 1 (scipy has nothing to estimate).
        curve = Curve((0.0, longest), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0))
        at = {d: (1.0 if longest >= d else None) for d in RETENTION_DAYS}
        return SurvivalGroup(n, 0, n, None, None, None, at[180], at[365], curve)
    data = stats.CensoredData(
        uncensored=durations[observed].astype(float), right=durations[~observed].astype(float)
    )
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        # Undefined where the estimate is 0 or 1 (NaN there): expected, handled below.
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        band = sf.confidence_interval(CONFIDENCE, method="log-log")
    times = np.asarray(sf.quantiles, dtype=float)
    estimate = np.asarray(sf.probabilities, dtype=float)
    low = np.asarray(band.low.probabilities, dtype=float)
    high = np.asarray(band.high.probabilities, dtype=float)
    at = {d: (float(sf.evaluate(float(d))) if longest >= d else None) for d in RETENTION_DAYS}
    # The band is undefined where the estimate is 0 or 1: it is the estimate there (as in
    # lifelines, whose band reaches 0 with the estimate: the median's interval then ends at
    # the last event instead of being open).
    low_curve = np.where(np.isnan(low), estimate, low)
    high_curve = np.where(np.isnan(high), estimate, high)
    # Every curve starts at day 0 with 1.0 (a drop on day 0 is a second point on day 0).
    curve = Curve(
        (0.0, *times.tolist()),
        (1.0, *estimate.tolist()),
        (1.0, *low_curve.tolist()),
        (1.0, *high_curve.tolist()),
    )
    return SurvivalGroup(
        n=n,
        events=events,
        censored=n - events,
        median_days=_first_at_or_below(times, estimate),
        ci_low=_first_at_or_below(times, low_curve),
        ci_high=_first_at_or_below(times, high_curve),
        at180=at[180],
        at365=at[365],
        curve=curve,
    )


def logrank_p(
    first: tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]],
    second: tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]],
) -> float | None:
    """Two-sided log-rank p-value (scipy); None when it is undefined (no event at all)."""
    samples = [
        stats.CensoredData(uncensored=d[o].astype(float), right=d[~o].astype(float))
        for d, o in (first, second)
    ]
    if not (first[1].any() or second[1].any()):
        return None
    with warnings.catch_warnings():
        # No variance (nobody at risk in one group at any event): the test is undefined, NaN.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        p = float(stats.logrank(samples[0], samples[1]).pvalue)
    return None if math.isnan(p) else p
