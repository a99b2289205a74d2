"""Every person's events as of a date, as compact numpy arrays for the measures.

Two sources (``docs/outcomes.md``): the rows imported from the HR system (:class:`PeopleEvent`),
and the cohorts run in this service — a learner member whose account e-mail is a person's gives
that person a ``cohort_started`` on the cohort's start and a ``cohort_completed`` on its end, not
stored, derived here. An imported cohort event with the same person, event, date and cohort
counts once. Events after the as-of date are left out.

One query per table, read through SQLAlchemy Core (no ORM object per row), and dates turned into
day numbers by the database: a million events load in about a second.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, case, cast, func, literal, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from passport.accounts.models import User
from passport.catalog.models import JobFamily
from passport.cohorts.models import Cohort, CohortMember
from passport.outcomes.models import EVENTS, HRPerson, PeopleEvent

__all__ = [
    "COHORT_COMPLETED",
    "COHORT_STARTED",
    "HIRED",
    "LEFT",
    "MOVED",
    "PRODUCTIVE",
    "EventArrays",
    "cohort_names",
    "day_number",
    "load_events",
]

#: Event kinds as small integers, in the order of :data:`EVENTS`.
HIRED, PRODUCTIVE, MOVED, LEFT, COHORT_STARTED, COHORT_COMPLETED = range(len(EVENTS))
_KIND = {name: code for code, name in enumerate(EVENTS)}

_EPOCH = date(1970, 1, 1)

#: Rows fetched at a time while reading events.
_BATCH = 50_000

#: One event as the database sends it: person, kind, day number, job family (-1: none), and
#: the cohort's name (None).
_ROW = np.dtype(
    [
        ("person", np.int64),
        ("kind", np.int64),
        ("day", np.int64),
        ("family", np.int64),
        ("cohort", object),
    ]
)

IntArray = npt.NDArray[np.int64]


def cohort_names(session: Session) -> dict[int, str]:
    """The name each cohort run here goes by in the measures, by id: its own, or, when runs
    share a name (a recurring "SRE onboarding"), the name and its start date, e.g.
    ``SRE onboarding (2025-01-06)``; otherwise they would be one cohort with the last run's
    completion date. The filters, the triage and the pickers use these names too."""
    rows = session.execute(select(Cohort.id, Cohort.name, Cohort.starts_on)).all()
    counts = Counter(name for _, name, _ in rows)
    return {
        cohort_id: name if counts[name] == 1 else f"{name} ({starts.isoformat()})"
        for cohort_id, name, starts in rows
    }


def day_number(value: date) -> int:
    """Days since 1970-01-01 (the unit of every ``day`` array)."""
    return (value - _EPOCH).days


@dataclass(frozen=True)
class EventArrays:
    """Events sorted by person, day and kind; ``family`` and ``cohort`` index into
    ``families`` / ``cohorts`` (-1: none). ``emails``: a person's e-mail -> their id."""

    person: IntArray
    kind: IntArray
    day: IntArray
    family: IntArray
    cohort: IntArray
    families: tuple[str, ...]
    cohorts: tuple[str, ...]
    emails: dict[str, int]

    def __len__(self) -> int:
        return len(self.person)

    def select(self, mask: npt.NDArray[np.bool_]) -> EventArrays:
        """The events where ``mask`` holds (same lookup tables)."""
        return EventArrays(
            self.person[mask],
            self.kind[mask],
            self.day[mask],
            self.family[mask],
            self.cohort[mask],
            self.families,
            self.cohorts,
            self.emails,
        )


def _days(
    session: Session, column: ColumnElement[date] | InstrumentedAttribute[date]
) -> ColumnElement[int]:
    """``column`` as days since 1970-01-01, computed by the database (parsing a million dates
    in Python costs more than the whole query)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(column) - literal(2440587.5), Integer)
    return cast(column - literal(_EPOCH), Integer)


def load_events(session: Session, *, as_of: date) -> EventArrays:
    """Every person's events on or before ``as_of`` (imported and derived from cohorts)."""
    emails: dict[str, int] = {
        email: person_id
        for person_id, email in session.execute(
            select(HRPerson.id, HRPerson.email).where(HRPerson.email.is_not(None))
        )
        if email is not None
    }
    families = {
        family_id: index
        for index, family_id in enumerate(
            session.scalars(select(JobFamily.id).order_by(JobFamily.id))
        )
    }
    cohorts: dict[str, int] = {}

    table = PeopleEvent.__table__
    kind_code = case(_KIND, value=table.c.event, else_=-1)
    family_code: ColumnElement[int] = (
        case(families, value=table.c.job_family_id, else_=-1) if families else literal(-1)
    )
    # numpy reads the rows straight off the driver's cursor, with no Python list of tuples or
    # Row objects in between: the strings that repeat on every row (event, job family) come
    # as small integers (SQL CASE); only the cohort (NULL on most rows) stays a string.
    # (literal_binds renders our own values only: an ISO date, family ids from our table.)
    as_of_literal: ColumnElement[date] = literal_column(f"'{as_of.isoformat()}'")
    statement = select(
        table.c.person_id,
        kind_code,
        _days(session, table.c.occurred_on),
        family_code,
        table.c.cohort,
    ).where(table.c.occurred_on <= as_of_literal)
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(
            str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        )
        # In batches: psycopg's fetchmany builds rows in C where its row-by-row iteration is
        # Python (3 s of 8 for a million rows on PostgreSQL); memory stays bounded.
        batches: Iterable[Sequence[Any]] = iter(lambda: cursor.fetchmany(_BATCH), [])
        rows = np.fromiter(itertools.chain.from_iterable(batches), dtype=_ROW)
    finally:
        cursor.close()
    person, kind, day, family = (rows[name] for name in ("person", "kind", "day", "family"))
    names = rows["cohort"]
    for name in sorted(set(names) - {None}):
        cohorts[name] = len(cohorts)
    cohort_codes: dict[str | None, int] = {None: -1}
    cohort_codes.update(cohorts)
    cohort = np.fromiter(map(cohort_codes.__getitem__, names), dtype=np.int64, count=len(names))
    del rows, names

    # Cohorts run here: their learners' start and completion, for those known as people.
    derived: list[tuple[int, int, int, int]] = []
    as_of_day = day_number(as_of)
    names_here = cohort_names(session)
    for cohort_id, starts, ends, email in session.execute(
        select(
            Cohort.id,
            _days(session, Cohort.starts_on),
            _days(session, Cohort.ends_on),
            User.email,
        )
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.role == "learner")
    ):
        person_id = emails.get(email.lower())
        if person_id is None:
            continue
        index = cohorts.setdefault(names_here[cohort_id], len(cohorts))
        if starts <= as_of_day:
            derived.append((person_id, COHORT_STARTED, starts, index))
        if ends <= as_of_day:
            derived.append((person_id, COHORT_COMPLETED, ends, index))
    if derived:
        extra = np.array(derived, dtype=np.int64)
        person = np.concatenate([person, extra[:, 0]])
        kind = np.concatenate([kind, extra[:, 1]])
        day = np.concatenate([day, extra[:, 2]])
        family = np.concatenate([family, np.full(len(extra), -1, dtype=np.int64)])
        cohort = np.concatenate([cohort, extra[:, 3]])

    order = np.lexsort((cohort, kind, day, person))
    person, kind, day, family, cohort = (a[order] for a in (person, kind, day, family, cohort))
    # The same cohort event twice (imported and derived, or imported with another family)
    # counts once: drop a cohort event equal to its predecessor on person, kind, day, cohort.
    repeat = np.zeros(len(person), dtype=bool)
    if len(person) > 1:
        repeat[1:] = (
            (person[1:] == person[:-1])
            & (kind[1:] == kind[:-1])
            & (day[1:] == day[:-1])
            & (cohort[1:] == cohort[:-1])
            & (kind[1:] >= COHORT_STARTED)
        )
    keep = ~repeat & (kind >= 0)
    return EventArrays(
        person[keep],
        kind[keep],
        day[keep],
        family[keep],
        cohort[keep],
        tuple(families),
        tuple(cohorts),
        emails,
    )
