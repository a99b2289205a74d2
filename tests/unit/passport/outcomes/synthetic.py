"""Synthetic people events with a known effect, and the answers the definitions give on them.

Every hire draws a ramp time from an exponential law (median 60 days for hires who start a
cohort 0-30 days after, 100 for the others) and a time to leaving; cohorts complete on known
dates and their learners leave more slowly than their colleagues. Alongside the events the
generator writes down, by the definitions of docs/outcomes.md and in plain Python, each
group's durations and whether the event was seen: the answers the code must reproduce and the
data lifelines is fitted on.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from passport.outcomes.models import HRPerson, PeopleEvent

AS_OF = date(2026, 6, 30)


@dataclass
class Row:
    person: str
    event: str
    day: date
    family: str | None = None
    cohort: str | None = None


@dataclass
class Truth:
    """Durations (days) and whether the event was seen, by group."""

    ramp: dict[tuple[str, str], list[tuple[int, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    retention_by_cohort: dict[tuple[str, str], list[tuple[int, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    retention: dict[tuple[str, str], list[tuple[int, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )


@dataclass
class Career:
    person: str
    family: str
    hired: date
    productive: date | None
    left: date | None
    cohort_started: list[tuple[date, str]] = field(default_factory=list)
    cohort_completed: list[tuple[date, str]] = field(default_factory=list)


def _exp(rng: np.random.Generator, median: float) -> int:
    return math.ceil(rng.exponential(median / math.log(2)))


def generate(seed: int = 19) -> tuple[list[Row], Truth]:
    rng = np.random.default_rng(seed)
    careers: list[Career] = []
    number = 0

    def career(family: str, hired: date, ramp_median: float, leave_median: float) -> Career:
        nonlocal number
        number += 1
        ramp = _exp(rng, ramp_median)
        leave = _exp(rng, leave_median)
        productive = hired + timedelta(ramp) if ramp <= leave else None
        left = hired + timedelta(leave)
        person = Career(f"p{number:04d}", family, hired, productive, left)
        careers.append(person)
        return person

    # Ramp time in SRE: participants start a cohort 0..30 days after their hire.
    for _ in range(80):
        hired = AS_OF - timedelta(int(rng.integers(31, 700)))
        person = career("sre", hired, 60, 900)
        start = hired + timedelta(int(rng.integers(0, 31)))
        person.cohort_started.append((start, "SRE onboarding"))
    for _ in range(120):
        hired = AS_OF - timedelta(int(rng.integers(31, 900)))
        career("sre", hired, 100, 700)
    # Platform: three hires, a group too small to show.
    for _ in range(3):
        career("platform", AS_OF - timedelta(int(rng.integers(31, 300))), 80, 900)
    # Retention: three SRE cohorts; their learners were hired long before and stay longer.
    for k, completion in enumerate(
        (AS_OF - timedelta(600), AS_OF - timedelta(450), AS_OF - timedelta(300))
    ):
        name = f"SRE deep dive {k + 1}"
        for _ in range(40):
            hired = completion - timedelta(int(rng.integers(120, 500)))
            person = career("sre", hired, 100, 10**5)
            person.left = completion + timedelta(_exp(rng, 1400))
            if person.productive is not None and person.productive > person.left:
                person.productive = None
            person.cohort_started.append((completion - timedelta(45), name))
            person.cohort_completed.append((completion, name))

    rows: list[Row] = []
    for c in careers:
        rows.append(Row(c.person, "hired", c.hired, c.family))
        if c.productive is not None:
            rows.append(Row(c.person, "productive", c.productive))
        if c.left is not None:
            rows.append(Row(c.person, "left", c.left))
        rows += [Row(c.person, "cohort_started", d, cohort=n) for d, n in c.cohort_started]
        rows += [Row(c.person, "cohort_completed", d, cohort=n) for d, n in c.cohort_completed]
    return rows, _truth(careers)


def _truth(careers: list[Career]) -> Truth:
    """The definitions, person by person (each career has one hire and no move)."""
    truth = Truth()
    for c in careers:
        if c.hired > AS_OF:
            continue
        window = [d for d, _ in c.cohort_started if 0 <= (d - c.hired).days <= 30 and d <= AS_OF]
        group = "participants" if window else "others"
        end = min(c.left or AS_OF, AS_OF)
        if (
            c.productive is not None
            and c.productive <= AS_OF
            and (c.left is None or c.productive <= c.left)
        ):
            truth.ramp[(c.family, group)].append(((c.productive - c.hired).days, True))
        else:
            truth.ramp[(c.family, group)].append(((end - c.hired).days, False))
    never = [c for c in careers if not c.cohort_started and not c.cohort_completed]
    cohorts: dict[str, list[tuple[Career, date]]] = defaultdict(list)
    for c in careers:
        for d, name in c.cohort_completed:
            if d <= AS_OF:
                cohorts[name].append((c, d))

    def follow(c: Career, origin: date) -> tuple[int, bool]:
        if c.left is not None and origin < c.left <= AS_OF:
            return (c.left - origin).days, True
        return (AS_OF - origin).days, False

    for name, learners in cohorts.items():
        completion = max(d for _, d in learners)
        families = {c.family for c, _ in learners}
        for c, d in learners:
            truth.retention_by_cohort[(name, "participants")].append(follow(c, d))
            truth.retention[(c.family, "participants")].append(follow(c, d))
        for c in never:
            employed = c.hired < completion and (c.left is None or c.left > completion)
            if employed and c.family in families:
                truth.retention_by_cohort[(name, "others")].append(follow(c, completion))
                truth.retention[(c.family, "others")].append(follow(c, completion))
    return truth


def row_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def insert_rows(session: Session, rows: list[Row], emails: dict[str, str] | None = None) -> None:
    """Insert people and their events through the models (``emails``: person -> e-mail)."""
    emails = emails or {}
    ids: dict[str, int] = {}
    for person in dict.fromkeys(r.person for r in rows):
        record = HRPerson(person_key=person, email=emails.get(person))
        session.add(record)
        session.flush()
        ids[person] = record.id
    if rows:
        session.execute(
            insert(PeopleEvent),
            [
                {
                    "person_id": ids[r.person],
                    "event": r.event,
                    "occurred_on": r.day,
                    "job_family_id": r.family,
                    "cohort": r.cohort,
                    "row_key": row_key(r.person, r.event, r.day, r.family, r.cohort),
                }
                for r in rows
            ],
        )
