"""People events for the demo and the benchmarks: an organisation's HR export, generated.

:func:`generate_events` writes the rows an HR system would export (the columns of ``passport
people import``) for an organisation of the six job families of the starter catalog: hires
spread over the period up to ``today``, ``productive`` after a ramp time typical of each family,
internal moves, leavers, and training cohorts. New SRE hires who join an *SRE Foundations*
onboarding cohort within 30 days reach productive in about 62 days instead of about 104 (the
playbook's 40 %), and everyone who completes a cohort leaves at half the rate afterwards, so the
outcome measures have a story to tell. Deterministic: the same arguments give the same rows.

The demo (:mod:`passport.instance.demo`) also links some of its learners, by e-mail, to people
hired shortly before its own cohorts start, so the cohorts run in the service count too. The
benchmarks call the same generator with more people, years and careers per person.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, NamedTuple

__all__ = [
    "BENCH_CAREER",
    "BENCH_YEARS",
    "COLUMNS",
    "FAMILIES",
    "PRODUCTIVE_DEFINITIONS",
    "Career",
    "EventRow",
    "LinkedLearner",
    "events_csv",
    "generate_events",
]

#: The columns of a people-events CSV, in order (``passport people import``).
COLUMNS: Final = ("person_id", "email", "event", "date", "job_family", "cohort")

#: What "productive" means in each job family of the starter catalog: the event that ends
#: ramp time (docs/outcomes.md). The demo stores them on its job families.
PRODUCTIVE_DEFINITIONS: Final = {
    "sre": "First solo on-call shift completed without escalation.",
    "platform": "First change to the shared platform shipped to production on their own.",
    "security": "First threat model or security review signed off without a second reviewer.",
    "data": "First production data pipeline owned end to end, with its tests and alerts.",
    "software": "First feature shipped to production and supported on their own.",
    "cloud": "First cloud network or infrastructure change applied on their own.",
}


@dataclass(frozen=True)
class Family:
    """How one job family behaves in the generated organisation."""

    #: Share of hires.
    share: float
    #: Median days from hire to productive (log-normal around it).
    ramp_days: float
    #: Share of its people who leave within a year, before any cohort.
    attrition: float
    #: Where people from this family move to, with weights.
    moves_to: tuple[tuple[str, float], ...]


FAMILIES: Final = {
    "software": Family(0.30, 60, 0.17, (("sre", 3), ("data", 2), ("security", 1), ("platform", 1))),
    "sre": Family(0.17, 104, 0.19, (("platform", 2), ("cloud", 2), ("security", 1))),
    "platform": Family(0.14, 90, 0.15, (("sre", 2), ("cloud", 1))),
    "data": Family(0.13, 75, 0.15, (("software", 2), ("platform", 1))),
    "security": Family(0.10, 110, 0.14, (("sre", 1), ("cloud", 1))),
    "cloud": Family(0.16, 85, 0.16, (("platform", 2), ("sre", 2))),
}

#: SRE onboarding: a cohort every six weeks; new SRE hires whose next cohort starts within
#: 30 days join it with this probability and ramp up in this share of the usual time.
ONBOARDING: Final = "SRE Foundations"
ONBOARDING_EVERY = timedelta(weeks=6)
ONBOARDING_JOIN = 0.7
ONBOARDING_RAMP = 0.6
#: Upskilling cohorts for people with at least this much tenure, once a quarter.
UPSKILLING: Final = {
    "Platform Engineering Fast-track": ("platform", "software", "cloud"),
    "Security Champions": ("security", "software", "sre"),
}
UPSKILL_TENURE = 120
COHORT_WEEKS_DELTA = timedelta(weeks=7)
#: After completing a cohort, people leave at this share of their family's rate.
RETENTION_EFFECT = 0.4
RAMP_SPREAD = 0.35  # sigma of the log-normal ramp time


class EventRow(NamedTuple):
    """One row of the CSV: ``email``, ``job_family`` and ``cohort`` are "" when empty."""

    person_id: str
    email: str
    event: str
    date: date
    job_family: str
    cohort: str


@dataclass(frozen=True)
class Career:
    """How much happens to each person: the knobs the benchmark turns up."""

    #: Moves per person and year of tenure (after six months in a family).
    moves_per_year: float = 0.25
    #: Chance that an employed person with enough tenure joins one upskilling cohort a quarter.
    upskill_per_quarter: float = 0.08
    #: Chance that a tenured SRE joins an SRE Foundations cohort as a refresher.
    sre_refresh: float = 0.05
    #: Whether a move is followed by ``productive`` in the new family.
    productive_after_move: bool = True


#: The benchmarks' organisation: longer careers, about ten events a person.
BENCH_CAREER: Final = Career(moves_per_year=0.9, upskill_per_quarter=0.3)
BENCH_YEARS: Final = 6.0


@dataclass(frozen=True)
class LinkedLearner:
    """A learner of a cohort run in the service, as HR knows them: hired into ``job_family``
    ``days_before`` days before the cohort starts (more than 30: an existing employee)."""

    email: str
    job_family: str
    cohort_starts: date
    days_before: int


def generate_events(
    today: date,
    *,
    people: int = 400,
    staff: int = 220,
    years: float = 2.0,
    seed: int = 19,
    career: Career = Career(),
    linked: Sequence[LinkedLearner] = (),
    id_prefix: str = "E",
) -> list[EventRow]:
    """``people`` careers hired over the ``years`` up to ``today``, ``staff`` more hired in
    the three years before (those who left before the period are not exported), and one per
    ``linked`` learner: their rows in person order, each person's events in date order. No
    event is after ``today``; every ``hired`` and ``moved`` names a family of
    :data:`FAMILIES`; cohorts run only in the period."""
    rng = random.Random(seed)  # noqa: S311 - generated sample data, not security
    start = today - timedelta(days=round(365.25 * years))
    span = (today - start).days - 14
    families = list(FAMILIES)
    weights = [FAMILIES[f].share for f in families]
    # The imported SRE Foundations cohorts keep the rhythm of the service's own (when linked
    # learners name one), so the two histories read as one program.
    anchor = min((learner.cohort_starts for learner in linked), default=today - timedelta(weeks=9))
    service_starts = {learner.cohort_starts for learner in linked}
    onboarding = {
        day: f"{ONBOARDING} — {_month(day)}"
        for k in range(-math.ceil(span / ONBOARDING_EVERY.days) - 1, 3)
        if start <= (day := anchor + k * ONBOARDING_EVERY) <= today and day not in service_starts
    }
    upskilling = _quarter_starts(start, today)
    rows: list[EventRow] = []
    for index in range(staff + people):
        if index < staff:
            hired = start - timedelta(days=1 + rng.randrange(3 * 365))
        else:
            hired = start + timedelta(days=rng.randrange(span))
        family = rng.choices(families, weights)[0]
        person = _Person(f"{id_prefix}{index + 1:06d}", "", hired, family)
        history = _career(person, today, rng, career, onboarding=onboarding, upskilling=upskilling)
        if history[-1].event != "left" or history[-1].date >= start:
            rows.extend(history)
    for index, learner in enumerate(linked):
        hired = learner.cohort_starts - timedelta(days=learner.days_before)
        person = _Person(
            f"{id_prefix}L{index + 1:05d}",
            learner.email,
            hired,
            learner.job_family,
            service_cohort=(learner.cohort_starts, learner.cohort_starts + COHORT_WEEKS_DELTA),
        )
        rows.extend(_career(person, today, rng, career, onboarding={}, upskilling=[]))
    return rows


def events_csv(rows: Iterable[EventRow]) -> str:
    """The rows as the CSV ``passport people import`` reads (header first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            (row.person_id, row.email, row.event, row.date.isoformat(), row.job_family, row.cohort)
        )
    return out.getvalue()


# -- One career -------------------------------------------------------------------------------


@dataclass
class _Person:
    key: str
    email: str
    hired: date
    family: str
    #: (start, end) of a cohort run in the service that the person is a learner of: its
    #: events come from the service, not from the import.
    service_cohort: tuple[date, date] | None = None


def _career(
    person: _Person,
    today: date,
    rng: random.Random,
    career: Career,
    *,
    onboarding: dict[date, str],
    upskilling: list[date],
) -> list[EventRow]:
    """A person's rows: hire, ramp, cohorts, moves and perhaps leaving, none after today."""
    hired, family = person.hired, person.family
    events: list[tuple[date, str, str, str]] = [(hired, "hired", family, "")]
    cohorts: list[tuple[date, date, str]] = []
    completed: list[date] = []

    # Onboarding: the next SRE Foundations cohort, when it starts within 30 days of the hire.
    ramp = FAMILIES[family].ramp_days
    if family == "sre":
        next_start = next((d for d in onboarding if 0 <= (d - hired).days <= 30), None)
        if next_start is not None and rng.random() < ONBOARDING_JOIN:
            ends = next_start + COHORT_WEEKS_DELTA
            cohorts.append((next_start, ends, onboarding[next_start]))
            ramp *= ONBOARDING_RAMP
    if person.service_cohort is not None:
        service_start, service_end = person.service_cohort
        if 0 <= (service_start - hired).days <= 30:
            ramp *= ONBOARDING_RAMP
        completed.append(min(service_end, today))
    events.append((hired + _ramp(rng, ramp), "productive", "", ""))

    # Moves: a Poisson process, each after at least six months in a family.
    day = hired
    current = family
    while career.moves_per_year > 0:
        day += timedelta(days=180 + round(rng.expovariate(career.moves_per_year) * 365.25))
        if day > today:
            break
        targets, weights = zip(*FAMILIES[current].moves_to, strict=True)
        current = rng.choices(targets, weights)[0]
        events.append((day, "moved", current, ""))
        if career.productive_after_move:
            ramp_after = _ramp(rng, FAMILIES[current].ramp_days / 2)
            events.append((day + ramp_after, "productive", current, ""))

    # SRE Foundations is also for people who moved into SRE (the next cohort within 60 days)
    # and, now and then, for tenured SREs.
    joined_after: set[date] = set()
    ever_sre = any(e[1] in ("hired", "moved") and e[2] == "sre" for e in events)
    if person.service_cohort is None and ever_sre:
        for cohort_start, name in onboarding.items():
            if cohort_start < hired:
                continue
            if _family_on(events, cohort_start) != "sre":
                continue
            moved_in = [
                when
                for when, event, job_family, _ in events
                if event == "moved" and job_family == "sre" and when <= cohort_start
            ]
            if moved_in and max(moved_in) not in joined_after:
                if (cohort_start - max(moved_in)).days > 60:
                    continue
                joined_after.add(max(moved_in))
                chance = ONBOARDING_JOIN
            elif (cohort_start - hired).days >= UPSKILL_TENURE:
                chance = career.sre_refresh
            else:
                continue
            if rng.random() < chance:
                cohorts.append((cohort_start, cohort_start + COHORT_WEEKS_DELTA, name))

    # Upskilling: at most one cohort a quarter, for tenured people in the cohort's families.
    if person.service_cohort is None:
        for cohort_start in upskilling:
            if (cohort_start - hired).days < UPSKILL_TENURE:
                continue
            if rng.random() >= career.upskill_per_quarter:
                continue
            now_in = _family_on(events, cohort_start)
            names = [name for name, fams in UPSKILLING.items() if now_in in fams]
            if names:
                name = names[rng.randrange(len(names))]
                ends = cohort_start + COHORT_WEEKS_DELTA
                cohorts.append((cohort_start, ends, f"{name} — {_month(cohort_start)}"))

    # Leaving: exponential at the family's rate, slower after the first completed cohort.
    rate = -math.log(1 - FAMILIES[family].attrition) / 365.25
    left = hired + timedelta(days=1 + round(rng.expovariate(rate)))
    completed.extend(end for _, end, _ in cohorts)
    first = min((d for d in completed if d < left), default=None)
    if first is not None:
        left = first + timedelta(days=round((left - first).days / RETENTION_EFFECT))
    if person.service_cohort is not None and left <= person.service_cohort[1]:
        # A learner of the service's cohort is still there when it ends: the membership
        # says so. Their leaving clock starts then, at the slower rate.
        slower = rng.expovariate(rate * RETENTION_EFFECT)
        left = person.service_cohort[1] + timedelta(days=1 + round(slower))

    for started, ended, name in cohorts:
        events.append((started, "cohort_started", "", name))
        events.append((ended, "cohort_completed", "", name))
    kept = sorted((e for e in events if e[0] < left and e[0] <= today), key=_order)
    if left <= today:
        kept.append((left, "left", "", ""))
    return [
        EventRow(person.key, person.email, event, when, job_family, cohort)
        for when, event, job_family, cohort in kept
    ]


_ORDER = {"hired": 0, "cohort_started": 1, "productive": 2, "cohort_completed": 3, "moved": 4}


def _order(event: tuple[date, str, str, str]) -> tuple[date, int]:
    return event[0], _ORDER[event[1]]


def _family_on(events: list[tuple[date, str, str, str]], day: date) -> str:
    family = ""
    for when, event, job_family, _ in events:  # hired first, then moves in date order
        if when <= day and event in ("hired", "moved"):
            family = job_family
    return family


def _ramp(rng: random.Random, median: float) -> timedelta:
    return timedelta(days=max(7, round(rng.lognormvariate(math.log(median), RAMP_SPREAD))))


def _quarter_starts(start: date, today: date) -> list[date]:
    """The first Monday of each quarter's first month, from ``start`` to ``today``."""
    starts = []
    for year in range(start.year, today.year + 1):
        for month in (1, 4, 7, 10):
            first = date(year, month, 1)
            monday = first + timedelta(days=(7 - first.weekday()) % 7)
            if start <= monday <= today:
                starts.append(monday)
    return starts


def _month(day: date) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"
