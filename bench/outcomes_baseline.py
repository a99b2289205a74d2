"""The outcome figures computed the way an analyst would with pandas + lifelines: the baseline.

Reads the people and their events with :func:`pandas.read_sql` from the same database, then
computes what ``passport outcomes --json`` reports, by the definitions of docs/outcomes.md:
ramp time per job family and group (Kaplan-Meier median and its 95 % interval from
``median_survival_times(confidence_interval_)``), retention after each cohort and per job family
(survival at 180 and 365 days, ``logrank_test``), and mobility per job family and quarter
(internal, external, rate, and badged moves from the badge holders, none in the bench). The
same suppression rule (groups under 5). Nothing of ours is imported for the figures, so the
bench can also check that both sides agree.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from sqlalchemy.engine import Engine

MIN_GROUP = 5
SUPPRESSED = {"suppressed": True}
PARTICIPATION_DAYS = 30


def compute(engine: Engine, as_of: date) -> dict[str, Any]:
    """The figures of ``Outcomes.to_json()`` but coverage (no badges in the bench)."""
    with engine.connect() as connection:
        events = pd.read_sql(
            "SELECT e.person_id, e.event, e.occurred_on, e.job_family_id, e.cohort "
            "FROM people_events e",
            connection,
        )
        holders = pd.read_sql(
            "SELECT p.id AS person_id FROM people p JOIN holders h ON h.email = p.email",
            connection,
        )
    events["occurred_on"] = pd.to_datetime(events["occurred_on"])
    cutoff = pd.Timestamp(as_of)
    events = events[events["occurred_on"] <= cutoff]
    return {
        "asOf": as_of.isoformat(),
        "rampTime": _ramp_time(events, cutoff),
        **_retention(events, cutoff),
        "mobility": _mobility(events, set(holders["person_id"])),
    }


# -- Ramp time --------------------------------------------------------------------------------


def _first_on_or_after(hires: pd.DataFrame, events: pd.DataFrame, name: str) -> pd.Series:
    """For each hire, the date of the person's first ``name`` event on or after the hire."""
    found = events.loc[events["event"] == name, ["person_id", "occurred_on"]].rename(
        columns={"occurred_on": name}
    )
    merged = pd.merge_asof(
        hires.sort_values("occurred_on"),
        found.sort_values(name),
        left_on="occurred_on",
        right_on=name,
        by="person_id",
        direction="forward",
    )
    return merged.set_index("hire")[name].reindex(hires["hire"])


def _ramp_time(events: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, Any]:
    hires = events.loc[events["event"] == "hired", ["person_id", "occurred_on", "job_family_id"]]
    hires = hires.reset_index(drop=True)
    hires["hire"] = hires.index
    productive = _first_on_or_after(hires, events, "productive").to_numpy()
    left = _first_on_or_after(hires, events, "left").to_numpy()
    started = _first_on_or_after(hires, events, "cohort_started").to_numpy()
    hired = hires["occurred_on"].to_numpy()
    cut = np.datetime64(cutoff, "ns")
    # Censored at the first left on or after the hire, or at the cut-off; a productive on
    # the day of the left counts.
    stop = np.where(np.isnat(left), cut, np.minimum(left, cut))
    reached = ~np.isnat(productive) & (productive <= stop)
    end = np.where(reached, productive, stop)
    hires["duration"] = (end - hired) // np.timedelta64(1, "D")
    hires["observed"] = reached
    window = np.timedelta64(PARTICIPATION_DAYS, "D")
    hires["participant"] = ~np.isnat(started) & ((started - hired) <= window)
    result: dict[str, Any] = {}
    for family, group in hires.groupby("job_family_id", sort=True):
        participants = _ramp_group(group[group["participant"]])
        others = _ramp_group(group[~group["participant"]])
        reduction = None
        if (
            participants.get("medianDays") is not None
            and others.get("medianDays") is not None
            and others["medianDays"] > 0
        ):
            reduction = 100 * (1 - participants["medianDays"] / others["medianDays"])
        result[str(family)] = {
            "participants": participants,
            "others": others,
            "reductionPct": reduction,
        }
    return result


def _finite(value: float) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else float(value)


def _ramp_group(group: pd.DataFrame) -> dict[str, Any]:
    if len(group) < MIN_GROUP:
        return SUPPRESSED
    fitter = KaplanMeierFitter().fit(group["duration"], group["observed"])
    interval = median_survival_times(fitter.confidence_interval_)
    events = int(group["observed"].sum())
    return {
        "n": len(group),
        "events": events,
        "censored": len(group) - events,
        "medianDays": _finite(fitter.median_survival_time_),
        "ciLow": _finite(interval.iloc[0, 0]),
        "ciHigh": _finite(interval.iloc[0, 1]),
    }


# -- Retention --------------------------------------------------------------------------------


def _family_on(changes: pd.DataFrame, queries: pd.DataFrame) -> pd.Series:
    """The job family each (person_id, day) query row is in: the latest hired/moved on or
    before the day, unless a ``left`` after it is on or before the day (then NaN)."""
    merged = pd.merge_asof(
        queries.reset_index().sort_values("day"),
        changes.sort_values("occurred_on"),
        left_on="day",
        right_on="occurred_on",
        by="person_id",
        direction="backward",
    ).set_index("index")
    family = merged["family"].where(merged["event"] != "left")
    return family.reindex(queries.index)


def _usable(group: pd.DataFrame) -> set[Any]:
    """Job families whose part of one cohort's group may be pooled: parts of 5 or more, less
    the smallest of them while the parts held back add up to 1 to 4 people."""
    sizes = group["family"].value_counts()
    usable = sizes[sizes >= MIN_GROUP].sort_values(kind="stable")
    held_back = int(sizes[sizes < MIN_GROUP].sum())
    while 0 < held_back < MIN_GROUP and len(usable):
        smallest = usable[usable == usable.min()].sort_index().index[0]
        held_back += int(usable[smallest])
        usable = usable.drop(smallest)
    return set(usable.index)


def _retention(events: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, Any]:
    changes = events.loc[
        events["event"].isin(("hired", "moved", "left")),
        ["person_id", "occurred_on", "event", "job_family_id"],
    ].rename(columns={"job_family_id": "family"})
    # On one day a left follows the hire or move it ends.
    changes["rank"] = changes["event"].map({"hired": 0, "moved": 1, "left": 2})
    changes = changes.sort_values(["occurred_on", "rank"]).drop(columns="rank")
    lefts = events.loc[events["event"] == "left", ["person_id", "occurred_on"]]
    completions = events.loc[
        events["event"] == "cohort_completed", ["person_id", "occurred_on", "cohort"]
    ]
    in_any = set(events.loc[events["event"].str.startswith("cohort_"), "person_id"])
    everyone = pd.Index(events["person_id"].unique())
    never = pd.DataFrame({"person_id": everyone[~everyone.isin(list(in_any))]})

    first_hire = events[events["event"] == "hired"].groupby("person_id")["occurred_on"].min()
    learners = completions.rename(columns={"occurred_on": "day"}).reset_index(drop=True)
    learners["family"] = _family_on(changes, learners[["person_id", "day"]])
    learners["duration"], learners["observed"] = _time_to_left(learners, lefts, cutoff)

    by_cohort: dict[str, Any] = {}
    shown_learners: list[pd.DataFrame] = []
    comparisons: list[pd.DataFrame] = []
    cohort_days = learners.groupby("cohort")["day"].max().sort_values(kind="stable")
    # A learner counts when employed on their completion day (one who left mid-cohort is not
    # "retained" by it); the cohort's completion day is still the latest of all of them.
    learners = learners[learners["family"].notna()]
    for cohort, day in cohort_days.items():
        mine = learners[learners["cohort"] == cohort]
        families = set(mine["family"])
        others = never.assign(day=day)
        others["family"] = _family_on(changes, others[["person_id", "day"]])
        # Comparison people were hired before the cohort's completion date.
        others = others[others["person_id"].map(first_hire) < day]
        others = others[others["family"].isin(families)].reset_index(drop=True)
        others["duration"], others["observed"] = _time_to_left(others, lefts, cutoff)
        by_cohort[str(cohort)] = _compare(mine, others)
        # A family pools a cohort's part in it only when that part may be shown: secondary
        # suppression within the cohort (docs/outcomes.md).
        shown_learners.append(mine[mine["family"].isin(_usable(mine))])
        comparisons.append(others[others["family"].isin(_usable(others))])
    empty = learners.iloc[:0]
    pooled_learners = pd.concat(shown_learners) if shown_learners else empty
    pooled = pd.concat(comparisons) if comparisons else empty
    by_family = {
        str(family): _compare(
            pooled_learners[pooled_learners["family"] == family],
            pooled[pooled["family"] == family],
        )
        for family in sorted(set(pooled_learners["family"]) | set(pooled["family"]))
    }
    return {"retention": by_family, "retentionByCohort": by_cohort}


def _time_to_left(
    group: pd.DataFrame, lefts: pd.DataFrame, cutoff: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Days from each row's ``day`` to the person's first ``left`` after it, else to the
    cut-off (censored)."""
    rows = group[["person_id", "day"]].reset_index()
    merged = pd.merge_asof(
        rows.sort_values("day"),
        lefts.rename(columns={"occurred_on": "left"}).sort_values("left"),
        left_on="day",
        right_on="left",
        by="person_id",
        direction="forward",
        allow_exact_matches=False,
    ).set_index("index")
    merged = merged.reindex(rows["index"])
    observed = merged["left"].notna().to_numpy()
    end = merged["left"].fillna(cutoff)
    return (end - merged["day"]).dt.days.to_numpy(), observed


def _compare(learners: pd.DataFrame, others: pd.DataFrame) -> dict[str, Any]:
    groups = [_retention_group(learners), _retention_group(others)]
    p = None
    # Undefined when nobody in either group left (lifelines would say 1.0; we say null).
    if (
        len(learners) >= MIN_GROUP
        and len(others) >= MIN_GROUP
        and (learners["observed"].any() or others["observed"].any())
    ):
        test = logrank_test(
            learners["duration"], others["duration"], learners["observed"], others["observed"]
        )
        p = float(test.p_value)
    return {"participants": groups[0], "others": groups[1], "logrankP": p}


def _retention_group(group: pd.DataFrame) -> dict[str, Any]:
    if len(group) < MIN_GROUP:
        return SUPPRESSED
    fitter = KaplanMeierFitter().fit(group["duration"], group["observed"])
    longest = group["duration"].max()
    at = {
        days: float(fitter.survival_function_at_times(days).iloc[0]) if longest >= days else None
        for days in (180, 365)
    }
    return {"n": len(group), "at180": at[180], "at365": at[365]}


# -- Mobility ---------------------------------------------------------------------------------


def _mobility(events: pd.DataFrame, badged_people: set[int]) -> dict[str, Any]:
    arrivals = events[events["event"].isin(("hired", "moved"))].copy()
    arrivals["quarter"] = arrivals["occurred_on"].dt.year.astype(str) + (
        "-Q" + arrivals["occurred_on"].dt.quarter.astype(str)
    )
    arrivals["internal"] = arrivals["event"] == "moved"
    # Badged moves need the mover's badges on the move date; the bench has no badge holders,
    # so a move is badged only if its person is a holder (never, there).
    arrivals["badged"] = arrivals["internal"] & arrivals["person_id"].isin(badged_people)
    counts = arrivals.groupby(["job_family_id", "quarter"]).agg(
        internal=("internal", "sum"), total=("internal", "size"), badged=("badged", "sum")
    )
    result: dict[str, dict[str, Any]] = {}
    for (family, quarter), row in counts.sort_index().iterrows():
        internal, total = int(row["internal"]), int(row["total"])
        cell: dict[str, Any] = SUPPRESSED
        if total >= MIN_GROUP:
            cell = {
                "internal": internal,
                "external": total - internal,
                "rate": internal / total,
                "badgedMoves": float(row["badged"]) / internal if internal >= MIN_GROUP else None,
            }
        result.setdefault(str(family), {})[str(quarter)] = cell
    return result
