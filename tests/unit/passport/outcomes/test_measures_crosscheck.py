"""The measures against lifelines on generated data with a known effect.

One module fixture generates the people (tests/unit/passport/outcomes/synthetic.py), inserts
them through the models, and computes the outcomes once; each test compares one figure with
lifelines fitted on the durations the definitions give, written down by the generator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from passport.outcomes.measures import compute_outcomes
from passport.outcomes.report import Outcomes, Suppressed, SurvivalGroup
from passport.web.context import get_services
from tests.conftest import fresh_app, settings_for
from tests.unit.passport.outcomes.synthetic import AS_OF, Truth, generate, insert_rows


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Outcomes, Truth]]:
    app = fresh_app(settings_for(tmp_path_factory.mktemp("crosscheck")))
    services = get_services(app)
    rows, truth = generate()
    with services.session() as session:
        insert_rows(session, rows)
    with services.session() as session:
        outcomes = compute_outcomes(session, as_of=AS_OF)
    yield outcomes, truth
    services.engine.dispose()


def _fit(sample: list[tuple[int, bool]]) -> KaplanMeierFitter:
    durations = np.array([d for d, _ in sample], dtype=float)
    observed = np.array([o for _, o in sample], dtype=bool)
    return KaplanMeierFitter().fit(durations, observed)


def _finite(value: Any) -> float | None:
    value = float(value)
    return None if np.isinf(value) else value


def _group(outcomes_group: object) -> SurvivalGroup:
    assert isinstance(outcomes_group, SurvivalGroup)
    return outcomes_group


RAMP = [("sre", "participants"), ("sre", "others")]


@pytest.mark.parametrize(("family", "group"), RAMP)
def test_ramp_counts_match_the_definitions(
    computed: tuple[Outcomes, Truth], family: str, group: str
) -> None:
    outcomes, truth = computed
    mine = _group(getattr(outcomes.ramp_time[family], group))
    sample = truth.ramp[(family, group)]
    assert mine.n == len(sample)
    assert mine.events == sum(o for _, o in sample)
    assert mine.censored == sum(not o for _, o in sample)
    assert mine.censored > 5  # the data does censor (left first, or not yet productive)


@pytest.mark.parametrize(("family", "group"), RAMP)
def test_ramp_median_and_interval_equal_lifelines(
    computed: tuple[Outcomes, Truth], family: str, group: str
) -> None:
    outcomes, truth = computed
    mine = _group(getattr(outcomes.ramp_time[family], group))
    kmf = _fit(truth.ramp[(family, group)])
    interval = median_survival_times(kmf.confidence_interval_)
    assert mine.median_days == _finite(kmf.median_survival_time_)
    assert mine.ci_low == _finite(interval.iloc[0, 0])
    assert mine.ci_high == _finite(interval.iloc[0, 1])


def test_ramp_recovers_the_known_effect(computed: tuple[Outcomes, Truth]) -> None:
    """Medians 60 and 100 days were drawn: a 40 % reduction."""
    ramp = computed[0].ramp_time["sre"]
    participants, others = _group(ramp.participants), _group(ramp.others)
    assert participants.ci_low is not None and participants.ci_high is not None
    assert others.ci_low is not None and others.ci_high is not None
    assert participants.ci_low <= 60 <= participants.ci_high
    assert others.ci_low <= 100 <= others.ci_high
    assert ramp.reduction_pct is not None
    assert 20 < ramp.reduction_pct < 60
    assert participants.median_days is not None and others.median_days is not None
    assert ramp.reduction_pct == pytest.approx(
        100 * (1 - participants.median_days / others.median_days)
    )


def test_ramp_curve_is_the_lifelines_survival_function(computed: tuple[Outcomes, Truth]) -> None:
    outcomes, truth = computed
    mine = _group(outcomes.ramp_time["sre"].others)
    kmf = _fit(truth.ramp[("sre", "others")])
    expected = kmf.survival_function_at_times(list(mine.curve.days)).to_numpy()
    assert np.allclose(mine.curve.estimate, expected, atol=1e-12)
    band = kmf.confidence_interval_
    lower = np.interp(mine.curve.days, band.index, band.iloc[:, 0])
    interior = (np.array(mine.curve.estimate) < 1) & (np.array(mine.curve.estimate) > 0)
    assert np.allclose(np.array(mine.curve.low)[interior], lower[interior], atol=1e-9)


def test_a_group_under_five_is_suppressed(computed: tuple[Outcomes, Truth]) -> None:
    ramp = computed[0].ramp_time["platform"]
    assert isinstance(ramp.others, Suppressed)
    assert isinstance(ramp.participants, Suppressed)
    assert ramp.reduction_pct is None
    assert computed[0].to_json()["rampTime"]["platform"] == {
        "participants": {"suppressed": True},
        "others": {"suppressed": True},
        "reductionPct": None,
    }


RETENTION = [
    ("retention_by_cohort", "SRE deep dive 1"),
    ("retention_by_cohort", "SRE deep dive 2"),
    ("retention_by_cohort", "SRE deep dive 3"),
    ("retention", "sre"),
]


@pytest.mark.parametrize(("measure", "key"), RETENTION)
def test_retention_matches_lifelines(
    computed: tuple[Outcomes, Truth], measure: str, key: str
) -> None:
    outcomes, truth = computed
    retention = getattr(outcomes, measure)[key]
    expected = getattr(truth, measure)
    fits = {}
    for group in ("participants", "others"):
        mine = _group(getattr(retention, group))
        sample = expected[(key, group)]
        assert mine.n == len(sample)
        kmf = fits[group] = _fit(sample)
        for days, value in ((180, mine.at180), (365, mine.at365)):
            if value is None:  # nobody followed that long (the last cohort: 300 days)
                assert max(d for d, _ in sample) < days
                continue
            assert abs(value - float(kmf.survival_function_at_times(days).iloc[0])) <= 0.005
    a, b = expected[(key, "participants")], expected[(key, "others")]
    reference = logrank_test(
        [d for d, _ in a], [d for d, _ in b], [o for _, o in a], [o for _, o in b]
    )
    assert retention.logrank_p is not None
    assert abs(retention.logrank_p - reference.p_value) <= 0.01


def test_retention_recovers_the_known_effect(computed: tuple[Outcomes, Truth]) -> None:
    """Learners leave with a median of 1400 days, their colleagues 700 days after hire."""
    retention = computed[0].retention["sre"]
    learners, others = _group(retention.participants), _group(retention.others)
    assert learners.at365 is not None and others.at365 is not None
    assert learners.at365 > others.at365
    assert retention.logrank_p is not None and retention.logrank_p < 0.05


def test_retention_by_cohort_is_in_completion_order(computed: tuple[Outcomes, Truth]) -> None:
    assert list(computed[0].retention_by_cohort) == [
        "SRE deep dive 1",
        "SRE deep dive 2",
        "SRE deep dive 3",
    ]
