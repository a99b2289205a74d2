"""The Kaplan-Meier figures against lifelines on many random small groups (seeded), where the
single generated organisation of test_measures_crosscheck.py has only large ones: groups of
5 to 40 people in whole days, with ties, censoring, and a last time that is an event (the case
where scipy leaves the band undefined)."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from passport.outcomes.report import SurvivalGroup
from passport.outcomes.survival import km_group, logrank_p

SAMPLES = 300


def _sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(5, 41))
    durations = rng.integers(0, 400, size=n).astype(np.int64)
    observed = rng.random(n) < rng.uniform(0.3, 1.0)
    return durations, observed


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isinf(number) else number


def _exactly_half(fitted: KaplanMeierFitter) -> bool:
    """The estimate touches 0.5 within rounding: there the definition (<= 0.5) and
    lifelines' floating point part ways (docs/outcomes.md); both are skipped."""
    values = np.concatenate(
        [
            fitted.survival_function_.to_numpy().ravel(),
            fitted.confidence_interval_.to_numpy().ravel(),
        ]
    )
    return bool(np.any(np.abs(values - 0.5) < 1e-9))


@pytest.mark.parametrize("seed", range(3))
def test_median_interval_and_survival_equal_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    compared = 0
    for _ in range(SAMPLES // 3):
        durations, observed = _sample(rng)
        ours = km_group(durations, observed)
        assert isinstance(ours, SurvivalGroup)
        fitted = KaplanMeierFitter().fit(durations.astype(float), observed)
        for day, value in ((180, ours.at180), (365, ours.at365)):
            if durations.max() >= day:
                assert value == pytest.approx(float(fitted.predict(day)), abs=0.005)
            else:
                assert value is None
        if not observed.any() or _exactly_half(fitted):
            continue
        low, high = median_survival_times(fitted.confidence_interval_).iloc[0].tolist()
        assert (ours.median_days, ours.ci_low, ours.ci_high) == (
            _finite(fitted.median_survival_time_),
            _finite(low),
            _finite(high),
        ), (durations.tolist(), observed.tolist())
        compared += 1
    assert compared > SAMPLES // 6  # the skips are the exception


def test_logrank_p_equals_lifelines() -> None:
    rng = np.random.default_rng(7)
    for _ in range(100):
        (d1, o1), (d2, o2) = _sample(rng), _sample(rng)
        ours = logrank_p((d1, o1), (d2, o2))
        if not (o1.any() or o2.any()):
            assert ours is None
            continue
        theirs = logrank_test(d1, d2, event_observed_A=o1, event_observed_B=o2).p_value
        assert ours == pytest.approx(theirs, abs=0.01)
