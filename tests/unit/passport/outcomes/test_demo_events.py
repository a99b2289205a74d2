"""The demo's people events: deterministic, valid for the import, and telling the story.

The ramp-time effect is checked here on the rows themselves with lifelines (the definitions of
docs/outcomes.md, applied by hand); the demo's test checks it again through the measures.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta

import pytest
from lifelines import KaplanMeierFitter

from passport.outcomes.demo import (
    COLUMNS,
    FAMILIES,
    PRODUCTIVE_DEFINITIONS,
    EventRow,
    LinkedLearner,
    events_csv,
    generate_events,
)
from passport.outcomes.models import EVENTS

TODAY = date(2026, 12, 6)
LINKED = [
    LinkedLearner(f"learner{i}@demo.example", "sre", TODAY - timedelta(weeks=9), 5 + 3 * i)
    for i in range(8)
]


@pytest.fixture(scope="module")
def rows() -> list[EventRow]:
    return generate_events(TODAY, linked=LINKED)


def test_the_same_arguments_give_the_same_rows(rows: list[EventRow]) -> None:
    assert generate_events(TODAY, linked=LINKED) == rows
    assert generate_events(TODAY, linked=LINKED, seed=20) != rows


def test_rows_are_what_the_import_accepts(rows: list[EventRow]) -> None:
    people = {row.person_id for row in rows}
    assert 500 <= len(people) <= 700
    for row in rows:
        assert row.event in EVENTS
        assert TODAY - timedelta(days=6 * 366) <= row.date <= TODAY
        if row.event.startswith("cohort_"):
            assert TODAY - timedelta(days=731) <= row.date
        if row.event in ("hired", "moved"):
            assert row.job_family in FAMILIES
        if row.event.startswith("cohort_"):
            assert row.cohort
    assert set(PRODUCTIVE_DEFINITIONS) == set(FAMILIES)
    assert {row.job_family for row in rows if row.event == "hired"} == set(FAMILIES)
    assert {row.email for row in rows if row.email} == {learner.email for learner in LINKED}


def test_each_career_is_in_date_order_and_ends_with_leaving(rows: list[EventRow]) -> None:
    careers: dict[str, list[EventRow]] = defaultdict(list)
    for row in rows:
        careers[row.person_id].append(row)
    for career in careers.values():
        assert career[0].event == "hired"
        assert [r.date for r in career] == sorted(r.date for r in career)
        assert all(r.event != "left" for r in career[:-1])
        assert sum(r.event == "hired" for r in career) == 1


def test_the_csv_has_the_import_columns(rows: list[EventRow]) -> None:
    parsed = list(csv.DictReader(io.StringIO(events_csv(rows[:3]))))
    assert tuple(parsed[0]) == COLUMNS
    assert parsed[0]["event"] == "hired"
    assert parsed[0]["date"] == rows[0].date.isoformat()


def test_sre_onboarding_cuts_median_ramp_time_by_about_40_percent(rows: list[EventRow]) -> None:
    careers: dict[str, list[EventRow]] = defaultdict(list)
    for row in rows:
        careers[row.person_id].append(row)
    groups: dict[bool, tuple[list[int], list[bool]]] = {True: ([], []), False: ([], [])}
    for career in careers.values():
        hired = career[0]
        if hired.job_family != "sre":
            continue
        productive = next((r.date for r in career if r.event == "productive"), None)
        left = next((r.date for r in career if r.event == "left"), None)
        starts = [r.date for r in career if r.event == "cohort_started"]
        if hired.email:  # a learner of the service's cohort: its start is derived
            starts.append(TODAY - timedelta(weeks=9))
        participant = any(0 <= (s - hired.date).days <= 30 for s in starts)
        end = productive if productive is not None else min(left or TODAY, TODAY)
        groups[participant][0].append((end - hired.date).days)
        groups[participant][1].append(productive is not None)
    medians = {}
    for participant, (durations, observed) in groups.items():
        assert len(durations) >= 20
        fitter = KaplanMeierFitter().fit(durations, observed)
        medians[participant] = fitter.median_survival_time_
    reduction = 100 * (1 - medians[True] / medians[False])
    assert 30 <= reduction <= 50, medians


def test_the_bench_shape_has_about_ten_events_a_person() -> None:
    from passport.outcomes.demo import BENCH_CAREER, BENCH_YEARS

    rows = generate_events(TODAY, people=2_000, staff=0, years=BENCH_YEARS, career=BENCH_CAREER)
    assert 9 <= len(rows) / 2_000 <= 11
