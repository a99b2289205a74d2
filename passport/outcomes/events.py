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

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from passport.accounts.models import User
from passport.cohorts.models import Cohort, CohortMember
from passport.outcomes.models import EVENTS, PeopleEvent, Person

__all__ = [
    "COHORT_COMPLETED",
    "COHORT_STARTED",
    "HIRED",
    "LEFT",
    "MOVED",
    "PRODUCTIVE",
    "EventArrays",
    "day_number",
    "load_events",
]

#: Event kinds as small integers, in the order of :data:`EVENTS`.
HIRED, PRODUCTIVE, MOVED, LEFT, COHORT_STARTED, COHORT_COMPLETED = range(len(EVENTS))
_KIND = {name: code for code, name in enumerate(EVENTS)}

_EPOCH = date(1970, 1, 1)

IntArray = npt.NDArray[np.int64]


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
            select(Person.id, Person.email).where(Person.email.is_not(None))
        )
        if email is not None
    }
    families: dict[str, int] = {}
    cohorts: dict[str, int] = {}

    table = PeopleEvent.__table__
    # Core on the connection (no ORM layer per row); columns turned into arrays with C-level
    # map() over small lookup dicts: a million rows in well under a second.
    rows = (
        session.connection()
        .execute(
            select(
                table.c.person_id,
                table.c.event,
                _days(session, table.c.occurred_on),
                table.c.job_family_id,
                table.c.cohort,
            ).where(table.c.occurred_on <= as_of)
        )
        .all()
    )
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    del rows
    for name in sorted(set(columns[3]) - {None}):
        families[name] = len(families)
    for name in sorted(set(columns[4]) - {None}):
        cohorts[name] = len(cohorts)
    family_codes: dict[str | None, int] = {None: -1}
    family_codes.update(families)
    cohort_codes: dict[str | None, int] = {None: -1}
    cohort_codes.update(cohorts)
    kind_codes = {name: _KIND.get(name, -1) for name in set(columns[1])}
    person = np.array(columns[0], dtype=np.int64)
    kind = np.fromiter(map(kind_codes.__getitem__, columns[1]), dtype=np.int64)
    day = np.array(columns[2], dtype=np.int64)
    family = np.fromiter(map(family_codes.__getitem__, columns[3]), dtype=np.int64)
    cohort = np.fromiter(map(cohort_codes.__getitem__, columns[4]), dtype=np.int64)
    del columns

    # Cohorts run here: their learners' start and completion, for those known as people.
    derived: list[tuple[int, int, int, int]] = []
    as_of_day = day_number(as_of)
    for name, starts, ends, email in session.execute(
        select(
            Cohort.name,
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
        index = cohorts.setdefault(name, len(cohorts))
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
