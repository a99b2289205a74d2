"""Each definition of docs/outcomes.md, pinned on a handful of people by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from passport.outcomes.measures import compute_outcomes
from passport.outcomes.report import (
    SUPPRESSED,
    Filters,
    MobilityQuarter,
    Outcomes,
    SurvivalGroup,
)
from passport.services import Services
from tests.unit.passport.outcomes.fixtures import (
    add_badge,
    add_cohort,
    add_people,
    clones,
    emptied,
    get_services,
    module_app,
)
from tests.unit.passport.outcomes.synthetic import Row

AS_OF = date(2026, 6, 30)
HIRED = date(2026, 1, 5)


def days(n: int, start: date = HIRED) -> date:
    return start + timedelta(n)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    app = module_app(tmp_path_factory.mktemp("rules"))
    services = get_services(app)
    yield services
    services.engine.dispose()


@pytest.fixture
def services(shared: Services) -> Iterator[Services]:
    yield from emptied(shared)


def outcomes(services: Services, **filters: object) -> Outcomes:
    with services.session() as session:
        return compute_outcomes(session, as_of=AS_OF, filters=Filters(**filters))  # type: ignore[arg-type]


def group(value: object) -> SurvivalGroup:
    assert isinstance(value, SurvivalGroup), value
    return value


# -- ramp time ---------------------------------------------------------------------------------


def test_a_left_before_productive_censors_there(services: Services) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(
                5,
                "a",
                ("hired", HIRED, "sre", None),
                ("left", days(20), None, None),
                ("productive", days(40), None, None),
            ),
        )
    others = group(outcomes(services).ramp_time["sre"].others)
    assert (others.n, others.events, others.censored) == (5, 0, 5)
    assert others.median_days is None
    assert max(others.curve.days) == 20


def test_productive_on_the_day_of_the_left_counts(services: Services) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(
                5,
                "a",
                ("hired", HIRED, "sre", None),
                ("left", days(15), None, None),
                ("productive", days(15), None, None),
            ),
        )
    others = group(outcomes(services).ramp_time["sre"].others)
    assert (others.events, others.censored, others.median_days) == (5, 0, 15.0)


def test_productive_on_the_day_of_the_hire_is_day_0(services: Services) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(5, "a", ("hired", HIRED, "sre", None), ("productive", HIRED, None, None)),
        )
    others = group(outcomes(services).ramp_time["sre"].others)
    assert (others.events, others.median_days) == (5, 0.0)
    assert others.curve.days[:2] == (0.0, 0.0)
    assert others.curve.estimate[:2] == (1.0, 0.0)


def test_not_yet_productive_is_censored_at_as_of_and_later_events_ignored(
    services: Services,
) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(
                5,
                "a",
                ("hired", HIRED, "sre", None),
                ("productive", days(1, AS_OF), None, None),
            ),
        )
    others = group(outcomes(services).ramp_time["sre"].others)
    assert (others.events, others.censored) == (0, 5)
    assert max(others.curve.days) == (AS_OF - HIRED).days


def test_participants_start_a_cohort_0_to_30_days_after_the_hire(services: Services) -> None:
    rows: list[Row] = []
    for offset, prefix in ((0, "a"), (30, "b"), (31, "c"), (-1, "d")):
        rows += clones(
            3,
            prefix,
            ("hired", HIRED, "sre", None),
            ("productive", days(50), None, None),
            ("cohort_started", days(offset), None, "Onboarding"),
        )
    with services.session() as session:
        add_people(session, rows)
    ramp = outcomes(services).ramp_time["sre"]
    assert group(ramp.participants).n == 6  # 0 and 30 days after
    assert group(ramp.others).n == 6  # 31 days after, and the day before
    assert ramp.reduction_pct == 0.0


def test_reduction_is_null_when_a_group_is_suppressed(services: Services) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(5, "a", ("hired", HIRED, "sre", None), ("productive", days(50), None, None))
            + clones(
                4,
                "b",
                ("hired", HIRED, "sre", None),
                ("cohort_started", days(3), None, "Onboarding"),
                ("productive", days(30), None, None),
            ),
        )
    ramp = outcomes(services).ramp_time["sre"]
    assert ramp.participants is SUPPRESSED
    assert group(ramp.others).median_days == 50
    assert ramp.reduction_pct is None


def test_ramp_time_follows_the_period_and_family_filters(services: Services) -> None:
    with services.session() as session:
        add_people(
            session,
            clones(5, "a", ("hired", HIRED, "sre", None), ("productive", days(10), None, None))
            + clones(
                5,
                "b",
                ("hired", date(2025, 6, 1), "sre", None),
                ("productive", date(2025, 7, 1), None, None),
            )
            + clones(5, "c", ("hired", HIRED, "data", None)),
        )
    assert group(outcomes(services).ramp_time["sre"].others).n == 10
    recent = outcomes(services, since=date(2026, 1, 1), job_family="sre")
    assert list(recent.ramp_time) == ["sre"]
    assert group(recent.ramp_time["sre"].others).n == 5


# -- retention after a cohort ------------------------------------------------------------------

COMPLETED = date(2025, 6, 30)


def test_comparison_group_rules(services: Services) -> None:
    before = date(2025, 1, 1)
    rows = clones(
        5,
        "learner",
        ("hired", before, "sre", None),
        ("cohort_completed", COMPLETED, None, "Deep dive"),
    )
    # In: employed in a learners' family on the completion date, never in a cohort.
    rows += clones(2, "in", ("hired", before, "sre", None))
    rows += clones(
        1, "moved-in", ("hired", before, "platform", None), ("moved", date(2025, 3, 1), "sre", None)
    )
    rows += clones(
        1, "leaves-later", ("hired", before, "sre", None), ("left", date(2025, 7, 1), None, None)
    )
    rows += clones(
        1,
        "rehired",
        ("hired", date(2024, 1, 1), "sre", None),
        ("left", date(2024, 6, 1), None, None),
        ("hired", before, "sre", None),
    )
    # Out: hired on the date, left on it, in another family, moved out, ever in a cohort.
    rows += clones(1, "hired-on-date", ("hired", COMPLETED, "sre", None))
    rows += clones(
        1, "left-on-date", ("hired", before, "sre", None), ("left", COMPLETED, None, None)
    )
    rows += clones(1, "platform", ("hired", before, "platform", None))
    rows += clones(
        1, "moved-out", ("hired", before, "sre", None), ("moved", date(2025, 3, 1), "data", None)
    )
    rows += clones(
        1,
        "other-cohort",
        ("hired", before, "sre", None),
        ("cohort_started", date(2026, 1, 1), None, "Later"),
    )
    with services.session() as session:
        add_people(session, rows)
    result = outcomes(services)
    retention = result.retention_by_cohort["Deep dive"]
    others = group(retention.others)
    assert others.n == 5
    assert group(retention.participants).n == 5
    # One comparison person left 1 day after the completion date; nobody else left.
    assert others.events == 1
    assert list(result.retention) == ["sre"]


def test_cohorts_run_here_count_for_their_learners_once(services: Services) -> None:
    emails = {f"l{i}": f"l{i}@example.com" for i in range(5)}
    rows = clones(5, "l", ("hired", date(2025, 1, 1), "sre", None))
    # The first learner's completion was imported too: it counts once.
    rows.append(Row("l0", "cohort_completed", COMPLETED, None, "Run here"))
    rows += clones(5, "c", ("hired", date(2025, 1, 1), "sre", None))
    with services.session() as session:
        add_people(session, rows, emails)
        add_cohort(session, "Run here", date(2025, 5, 15), COMPLETED, sorted(emails.values()))
    retention = outcomes(services).retention_by_cohort["Run here"]
    assert group(retention.participants).n == 5
    assert group(retention.others).n == 5


def test_a_cohort_completing_after_as_of_does_not_count(services: Services) -> None:
    emails = {f"l{i}": f"l{i}@example.com" for i in range(5)}
    with services.session() as session:
        add_people(session, clones(5, "l", ("hired", date(2025, 1, 1), "sre", None)), emails)
        add_cohort(session, "Future", date(2026, 6, 1), date(2026, 7, 15), list(emails.values()))
    assert outcomes(services).retention_by_cohort == {}


# -- mobility ----------------------------------------------------------------------------------


def test_mobility_by_quarter(services: Services) -> None:
    rows = clones(
        3, "m", ("hired", date(2025, 1, 1), "data", None), ("moved", date(2026, 3, 31), "sre", None)
    )
    rows += clones(2, "h", ("hired", date(2026, 1, 1), "sre", None))
    rows += clones(2, "q2", ("hired", date(2026, 4, 1), "sre", None))
    with services.session() as session:
        add_people(session, rows)
    mobility = outcomes(services).mobility
    assert mobility["sre"]["2026-Q1"] == MobilityQuarter(3, 2, 0.6, None)
    assert mobility["sre"]["2026-Q2"] is SUPPRESSED
    # Every quarter from the first arrival to the as-of date is listed, for every family
    # anyone arrived in: a quarter with none reads like one with 1 to 4 (suppressed).
    quarters = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert list(mobility["sre"]) == list(mobility["data"]) == quarters
    assert mobility["sre"]["2025-Q2"] is SUPPRESSED  # nobody arrived: not told apart
    assert mobility["data"]["2025-Q1"] is SUPPRESSED
    in_2026 = outcomes(services, since=date(2026, 1, 1)).mobility
    assert list(in_2026["sre"]) == ["2026-Q1", "2026-Q2"]
    assert outcomes(services).to_json()["mobility"]["sre"]["2026-Q2"] == {"suppressed": True}


DATA = {  # the default catalog's data family: every required skill at its level
    "data-pipelines-l3",
    "sql-data-modeling-l3",
    "software-testing-l2",
    "ci-cd-l1",
}


def test_badged_moves_count_badges_current_on_the_move_date(services: Services) -> None:
    moved = date(2026, 2, 10)
    names = ["all", "revoked", "expired", "late", "revoked-after", "suspended"]
    emails = {f"m{i}": f"{name}@example.com" for i, name in enumerate(names)}
    with services.session() as session:
        add_people(
            session,
            clones(
                6, "m", ("hired", date(2025, 1, 1), "sre", None), ("moved", moved, "data", None)
            ),
            emails,
        )
        issued = date(2025, 6, 1)
        for name in names:
            for achievement in sorted(DATA - {"ci-cd-l1"}):
                add_badge(session, f"{name}@example.com", achievement, issued)
        add_badge(session, "all@example.com", "ci-cd-l1", issued)
        add_badge(session, "revoked@example.com", "ci-cd-l1", issued, revoked=date(2026, 1, 1))
        add_badge(session, "expired@example.com", "ci-cd-l1", issued, valid_until=moved)
        add_badge(session, "late@example.com", "ci-cd-l1", date(2026, 2, 11))
        add_badge(
            session, "revoked-after@example.com", "ci-cd-l1", issued, revoked=date(2026, 3, 1)
        )
        add_badge(session, "suspended@example.com", "ci-cd-l1", issued, suspended=date(2026, 2, 1))
        # A higher level meets a lower requirement.
        add_badge(
            session,
            "revoked@example.com",
            "ci-cd-l2",
            date(2025, 1, 1),
            valid_until=date(2025, 12, 1),
        )
    cell = outcomes(services).mobility["data"]["2026-Q1"]
    assert isinstance(cell, MobilityQuarter)
    assert (cell.internal, cell.external) == (6, 0)
    assert cell.badged_moves == pytest.approx(2 / 6)


# -- coverage ----------------------------------------------------------------------------------


def test_coverage_ready_now_and_within_one_cohort(services: Services) -> None:
    issued = date(2025, 6, 1)
    with services.session() as session:
        for i in range(5):
            for achievement in DATA:
                add_badge(session, f"ready{i}@example.com", achievement, issued)
            # One skill short by one level.
            for achievement in DATA - {"data-pipelines-l3"} | {"data-pipelines-l2"}:
                add_badge(session, f"close{i}@example.com", achievement, issued)
            # Short by two levels, or two skills short: neither.
            for achievement in DATA - {"data-pipelines-l3"} | {"data-pipelines-l1"}:
                add_badge(session, f"far{i}@example.com", achievement, issued)
            for achievement in DATA - {"data-pipelines-l3", "ci-cd-l1"}:
                add_badge(session, f"two{i}@example.com", achievement, issued)
        # A ready holder known to have left is not counted.
        for achievement in DATA:
            add_badge(session, "gone@example.com", achievement, issued)
        add_people(
            session,
            [Row("g", "hired", date(2024, 1, 1), "data"), Row("g", "left", date(2026, 1, 1))],
            {"g": "gone@example.com"},
        )
    coverage = outcomes(services, job_family="data").coverage
    assert list(coverage) == ["data"]
    data = coverage["data"]
    assert (data.ready_now, data.within_one_cohort, data.population) == (5, 5, 20)
    assert data.by_skill["data-pipelines"] == 5
    assert data.by_skill["ci-cd"] == 15
    assert data.by_skill["sql-data-modeling"] == 20
    # Nobody meets the SRE family's requirements: suppressed, as zero is.
    sre = outcomes(services).coverage["sre"]
    assert sre.ready_now is SUPPRESSED
    assert outcomes(services).to_json()["coverage"]["sre"]["readyNow"] == {"suppressed": True}


# -- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ({"job_family": "astronauts"}, "unknown_job_family"),
        ({"cohort": "No such cohort"}, "unknown_cohort"),
        ({"since": date(2026, 2, 1), "until": date(2026, 1, 1)}, "invalid_period"),
    ],
)
def test_filters_that_name_nothing_are_refused(
    services: Services, filters: dict[str, object], code: str
) -> None:
    from passport.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as caught:
        outcomes(services, **filters)
    assert caught.value.code == code


# -- curriculum triage -------------------------------------------------------------------------


def test_triage_per_cohort_and_skill(services: Services) -> None:
    import json
    from datetime import UTC, datetime

    from sqlalchemy import select

    from passport.accounts.models import User
    from passport.assessments.models import Assessment
    from passport.cohorts.models import Attendance, MentoringSession
    from passport.credentials.models import Holder

    learners = [f"t{i}@example.com" for i in range(8)]
    # Six pass (every criterion at level 2 or more), two do not (alerting at 1).
    scores = [{"instrument": 3, "slo": 2, "alerting": 2}] * 6 + [
        {"instrument": 2, "slo": 2, "alerting": 1}
    ] * 2
    with services.session() as session:
        cohort = add_cohort(session, "Observability", date(2026, 3, 1), date(2026, 4, 15), learners)
        sessions = [
            MentoringSession(
                cohort_id=cohort.id,
                title=f"S{i}",
                learning_outcome="x",
                starts_at=datetime(2026, 3, 2 + i, tzinfo=UTC),
            )
            for i in range(4)
        ]
        session.add_all(sessions)
        session.flush()
        for number, email in enumerate(learners):
            user = session.scalar(select(User).where(User.email == email))
            holder = Holder(email=email)
            session.add(holder)
            session.flush()
            attended = 4 if number < 6 else 1
            for s in sessions[:attended]:
                session.add(Attendance(session_id=s.id, user_id=user.id, present=True))
            # An earlier failed attempt of a passing learner: only the latest counts.
            if number == 0:
                session.add(
                    Assessment(
                        holder_id=holder.id,
                        achievement_id="observability-l2",
                        assessor="mentor@example.com",
                        cohort_id=cohort.id,
                        levels=json.dumps({"instrument": 1, "slo": 1, "alerting": 1}),
                        passed=False,
                        assessed_at=datetime(2026, 4, 1, tzinfo=UTC),
                    )
                )
            session.add(
                Assessment(
                    holder_id=holder.id,
                    achievement_id="observability-l2",
                    assessor="mentor@example.com",
                    cohort_id=cohort.id,
                    levels=json.dumps(scores[number]),
                    passed=number < 6,
                    assessed_at=datetime(2026, 4, 14, tzinfo=UTC),
                )
            )
    (row,) = outcomes(services).triage
    assert (row.cohort, row.skill, row.assessed) == ("Observability", "observability", 8)
    assert row.pass_rate == 6 / 8
    assert row.attendance_passed == 1.0
    assert row.attendance_failed is None  # two people: fewer than 5
    assert [(c.criterion, c.met_rate) for c in row.criteria] == [
        ("Actionable alerting", 6 / 8),
        ("Instrumentation", 1.0),
        ("SLOs and error budgets", 1.0),
    ]
    assert outcomes(services, job_family="data").triage == ()


# -- found in review ---------------------------------------------------------------------------


def test_everyone_productive_gives_the_median_a_closed_interval(services: Services) -> None:
    """The band is 0 where the estimate is: the interval ends at the last event, as lifelines
    has it (scipy's band is undefined there)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    ramp = [10, 20, 30, 40, 50]
    rows = [
        row
        for i, n in enumerate(ramp)
        for row in clones(
            1, f"p{i}-", ("hired", HIRED, "sre", None), ("productive", days(n), None, None)
        )
    ]
    with services.session() as session:
        add_people(session, rows)
    others = group(outcomes(services).ramp_time["sre"].others)
    fitted = KaplanMeierFitter().fit(ramp, [True] * len(ramp))
    bounds = median_survival_times(fitted.confidence_interval_).iloc[0].tolist()
    assert (others.median_days, others.ci_low, others.ci_high) == (
        fitted.median_survival_time_,
        *bounds,
    )
    assert (others.ci_low, others.ci_high) == (10.0, 50.0)


def test_an_estimate_of_exactly_one_half_is_the_median(services: Services) -> None:
    """The definition is "the smallest time at which S(t) <= 0.5": at 3 of 6 productive on
    day 3, S(3) is exactly 0.5, so the median is day 3. (lifelines, in floating point, gets
    0.5000000000000001 there and moves on; docs/outcomes.md says so.)"""
    rows = clones(3, "fast", ("hired", HIRED, "sre", None), ("productive", days(3), None, None))
    rows += clones(3, "slow", ("hired", HIRED, "sre", None))
    with services.session() as session:
        add_people(session, rows)
    others = group(outcomes(services).ramp_time["sre"].others)
    assert (others.n, others.events, others.median_days) == (6, 3, 3.0)


def test_an_as_of_date_in_the_future_is_refused(services: Services) -> None:
    from passport.errors import InvalidRequest

    with services.session() as session, pytest.raises(InvalidRequest) as refused:
        compute_outcomes(session, as_of=date(2030, 1, 1), today=AS_OF)
    assert refused.value.code == "invalid_date"
    with services.session() as session:
        assert compute_outcomes(session, as_of=AS_OF, today=AS_OF).as_of == AS_OF


def test_learners_who_left_before_completing_are_not_retained_by_it(services: Services) -> None:
    before = date(2025, 1, 1)
    rows = clones(
        5,
        "stayed",
        ("hired", before, "sre", None),
        ("cohort_completed", COMPLETED, None, "Deep dive"),
    )
    rows += clones(
        5,
        "gone",
        ("hired", before, "sre", None),
        ("left", date(2025, 3, 1), None, None),
        ("cohort_completed", COMPLETED, None, "Deep dive"),
    )
    rows += clones(5, "colleague", ("hired", before, "sre", None))
    with services.session() as session:
        add_people(session, rows)
    retention = outcomes(services).retention_by_cohort["Deep dive"]
    learners = group(retention.participants)
    assert (learners.n, learners.events, learners.at180) == (5, 0, 1.0)


def test_cohort_runs_sharing_a_name_are_told_apart(services: Services) -> None:
    emails = {f"r{i}": f"r{i}@example.com" for i in range(10)}
    rows = clones(10, "r", ("hired", date(2024, 6, 1), "sre", None))
    rows += clones(8, "c", ("hired", date(2024, 6, 1), "sre", None))
    first = sorted(emails.values())[:5]
    second = sorted(emails.values())[5:]
    with services.session() as session:
        add_people(session, rows, emails)
        add_cohort(session, "SRE onboarding", date(2025, 1, 6), date(2025, 3, 1), first)
        add_cohort(session, "SRE onboarding", date(2025, 7, 7), date(2025, 9, 1), second)
    runs = outcomes(services).retention_by_cohort
    assert list(runs) == ["SRE onboarding (2025-01-06)", "SRE onboarding (2025-07-07)"]
    assert group(runs["SRE onboarding (2025-01-06)"].participants).n == 5


def test_a_family_pools_only_cohorts_shown_on_their_own(services: Services) -> None:
    """Cohort B has 3 learners (suppressed): pooled into the family, its learners' outcome
    would be the pool minus cohort A."""
    before = date(2025, 1, 1)
    rows = clones(
        6, "a", ("hired", before, "sre", None), ("cohort_completed", COMPLETED, None, "A")
    )
    rows += clones(
        3,
        "b",
        ("hired", before, "sre", None),
        ("cohort_completed", COMPLETED, None, "B"),
        ("left", date(2025, 8, 1), None, None),
    )
    rows += clones(6, "c", ("hired", before, "sre", None))
    with services.session() as session:
        add_people(session, rows)
    result = outcomes(services)
    assert result.retention_by_cohort["B"].participants is SUPPRESSED
    pooled = group(result.retention["sre"].participants)
    assert group(result.retention_by_cohort["A"].participants).n == pooled.n == 6
    assert pooled.events == 0


def test_a_cohorts_small_part_in_a_family_cannot_be_worked_out(services: Services) -> None:
    """Cohort A has 5 SRE learners and 1 platform learner. Pooling the 5 into SRE would make
    A's figure minus SRE's the one platform learner; so neither part is pooled or shown by
    family (secondary suppression), while A's own figure covers all 6."""
    before = date(2025, 1, 1)
    rows = clones(
        5, "sre", ("hired", before, "sre", None), ("cohort_completed", COMPLETED, None, "A")
    )
    rows += clones(
        1,
        "plat",
        ("hired", before, "platform", None),
        ("cohort_completed", COMPLETED, None, "A"),
        ("left", date(2025, 8, 1), None, None),
    )
    rows += clones(6, "colleague", ("hired", before, "sre", None))
    with services.session() as session:
        add_people(session, rows)
    result = outcomes(services)
    assert group(result.retention_by_cohort["A"].participants).n == 6
    assert "sre" not in result.retention or result.retention["sre"].participants is SUPPRESSED
    assert "platform" not in result.retention
    # By family, the cohort is absent as if it had no learners there.
    assert outcomes(services, job_family="sre").retention_by_cohort == {}
