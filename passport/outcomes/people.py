"""People events from an HR system: parsed and checked row by row, imported fast and
idempotently, and erased on request.

The interface every surface (CLI, API, admin page, job queue, demo, bench) uses:

- :func:`parse_csv` (CSV bytes: UTF-8, BOM allowed, a header row with exactly the columns
  ``person_id,email,event,date,job_family,cohort`` in any order) and :func:`parse_json` (a list
  of objects with those keys, or ``{"events": [...]}``) return a :class:`Parsed`: the good
  :class:`PeopleRow` s and the :class:`EventError` s, each located by ``row`` — for CSV the line
  number (the header is line 1), for JSON the 1-based index in the list. Neither touches the
  database: the caller passes ``today`` (:func:`org_today`) and the known job family ids
  (:func:`job_family_ids`). :meth:`Parsed.preview` is ``{"total", "valid", "errors"}``.
- :func:`refuse_erased` moves the rows of erased people (their HR id matches a tombstone)
  into the errors, so a preview shows them; :func:`import_events` refuses them too.
- :func:`import_events` stores rows in batches: people resolved in bulk (one ``SELECT`` per
  batch, one multi-row ``INSERT`` for new ones), events by ``INSERT … ON CONFLICT (row_key)
  DO NOTHING``, so the same row twice is one event. Returns an :class:`ImportResult`.
  Audited once per import, with counts only.
- :func:`erase_person` deletes a person and their events and leaves an :class:`ErasedPerson`
  tombstone (HMAC-SHA256 of the HR id under the instance secret); :func:`forget_emails` is
  what erasing an account (:func:`passport.accounts.users.erase_user`) does here.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.catalog.models import JobFamily
from passport.errors import InvalidRequest
from passport.outcomes.models import EVENTS, ErasedPerson, HRPerson, PeopleEvent
from passport.textfiles import decode_text_file

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "EventError",
    "ImportResult",
    "Parsed",
    "PeopleRow",
    "erase_person",
    "forget_emails",
    "import_events",
    "job_family_ids",
    "org_today",
    "parse_csv",
    "parse_json",
    "people_counts",
    "refuse_erased",
    "tombstone",
]

logger = logging.getLogger(__name__)

COLUMNS: Final = ("person_id", "email", "event", "date", "job_family", "cohort")
#: An HR export of a large organisation's history: a million rows is about 60 MB.
MAX_ROWS: Final = 2_000_000
#: The earliest date an event may carry: older ones are typing errors (and outside the
#: day arithmetic of the measures' design).
EARLIEST: Final = date(1900, 1, 1)
MAX_BYTES: Final = 256 * 1024 * 1024
#: Rows per INSERT batch (and per transaction in a job part).
BATCH_ROWS: Final = 5_000

_NEEDS_FAMILY = frozenset({"hired", "moved"})
_NEEDS_COHORT = frozenset({"cohort_started", "cohort_completed"})
_EVENTS = frozenset(EVENTS)
_MAX_KEY = 200  # HRPerson.person_key
_MAX_EMAIL = 320
_MAX_COHORT = 200


@dataclass(frozen=True, slots=True)
class EventError:
    row: int  # CSV: line number (header = 1); JSON: 1-based index in the list
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class PeopleRow:
    """One checked row: its values normalised and its idempotency key."""

    row: int
    person_key: str
    email: str | None
    event: str
    occurred_on: date
    job_family: str | None
    cohort: str | None
    row_key: str


@dataclass(slots=True)
class Parsed:
    rows: list[PeopleRow] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.errors)

    def preview(self) -> dict[str, Any]:
        """``{"total", "valid", "errors"}``: what a dry run answers (errors by row)."""
        return {
            "total": self.total,
            "valid": len(self.rows),
            "errors": [e.to_json() for e in sorted(self.errors, key=lambda e: e.row)],
        }


@dataclass(slots=True)
class ImportResult:
    total: int = 0
    imported: int = 0
    #: Rows already stored (by an earlier import, or earlier in the same one).
    duplicates: int = 0
    errors: list[EventError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "errors": [e.to_json() for e in sorted(self.errors, key=lambda e: e.row)],
        }


# -- parsing -------------------------------------------------------------------------------------


def row_key(person_key: str, event: str, day: date, job_family: str | None, cohort: str) -> str:
    """SHA-256 of the normalised row: the same event imported twice has the same key."""
    material = "\x1f".join((person_key, event, day.isoformat(), job_family or "", cohort))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _check(
    number: int,
    record: Mapping[str, Any],
    today: date,
    families: frozenset[str] | set[str],
) -> PeopleRow:
    """One row, checked; raises InvalidRequest with the row's error code."""

    def text(name: str) -> str:
        value = record.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise InvalidRequest(f"{name} must be text.", code=f"invalid_{name}")
        return value.strip()

    person_key = text("person_id")
    if not person_key:
        raise InvalidRequest("The row has no person_id.", code="missing_person_id")
    if len(person_key) > _MAX_KEY:
        raise InvalidRequest(
            f"person_id is longer than {_MAX_KEY} characters.", code="invalid_person_id"
        )
    event = text("event").lower()
    if event not in _EVENTS:
        raise InvalidRequest(
            f"Unknown event {event!r}; use one of {', '.join(EVENTS)}.", code="unknown_event"
        )
    raw_date = text("date")
    try:
        day = date.fromisoformat(raw_date)
    except ValueError as exc:
        raise InvalidRequest(
            f"Date {raw_date!r} is not an ISO 8601 date (YYYY-MM-DD).", code="invalid_date"
        ) from exc
    if day > today:
        raise InvalidRequest(
            f"Date {day.isoformat()} is in the future (today is {today.isoformat()}).",
            code="future_date",
        )
    if day < EARLIEST:
        raise InvalidRequest(
            f"Date {day.isoformat()} is before {EARLIEST.isoformat()}; check the year.",
            code="invalid_date",
        )
    family = text("job_family") or None
    if family is None and event in _NEEDS_FAMILY:
        raise InvalidRequest(
            f"A {event} event needs the job family it is into.", code="missing_job_family"
        )
    if family is not None and family not in families:
        raise InvalidRequest(f"Unknown job family {family!r}.", code="unknown_job_family")
    cohort = text("cohort")
    if not cohort and event in _NEEDS_COHORT:
        raise InvalidRequest(f"A {event} event needs the cohort's name.", code="missing_cohort")
    if len(cohort) > _MAX_COHORT:
        raise InvalidRequest(
            f"cohort is longer than {_MAX_COHORT} characters.", code="invalid_cohort"
        )
    email = text("email").lower() or None
    if email is not None and ("@" not in email or len(email) > _MAX_EMAIL or " " in email):
        raise InvalidRequest(f"{email!r} is not an e-mail address.", code="invalid_email")
    return PeopleRow(
        row=number,
        person_key=person_key,
        email=email,
        event=event,
        occurred_on=day,
        job_family=family,
        cohort=cohort or None,
        row_key=row_key(person_key, event, day, family, cohort),
    )


def _parse_records(
    records: Iterable[tuple[int, Mapping[str, Any]]],
    today: date,
    families: frozenset[str] | set[str],
) -> Parsed:
    parsed = Parsed()
    for number, record in records:
        if "__extra__" in record:
            parsed.errors.append(
                EventError(number, "bad_row", "The row has more cells than the header.")
            )
            continue
        try:
            parsed.rows.append(_check(number, record, today, families))
        except InvalidRequest as exc:
            parsed.errors.append(EventError(number, exc.code, exc.message))
    return parsed


def _decode(data: bytes) -> str:
    return decode_text_file(data, max_bytes=MAX_BYTES)


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The file's records with their line numbers; a line the csv module cannot read (a
    field over its 128 KiB limit, say) is ``bad_csv`` for the whole file."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        yield from _records(reader)
    except csv.Error as exc:
        raise InvalidRequest(
            f"Line {reader.line_num} of the CSV cannot be read ({exc}).", code="bad_csv"
        ) from exc


def _records(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if sorted(header) != sorted(COLUMNS):
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        detail = []
        if missing:
            detail.append(f"missing: {', '.join(missing)}")
        if extra:
            detail.append(f"not known: {', '.join(h or '(empty)' for h in extra)}")
        raise InvalidRequest(
            f"The CSV needs exactly the columns {', '.join(COLUMNS)} "
            f"({'; '.join(detail) or 'a column is repeated'}).",
            code="bad_columns",
        )
    reader.fieldnames = header
    for record in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise InvalidRequest(
                f"At most {MAX_ROWS} rows per file; split it.", code="too_many_rows"
            )
        if None in record:
            yield reader.line_num, {"__extra__": "1"}
            continue
        yield reader.line_num, record


def parse_csv(data: bytes, *, today: date, job_families: frozenset[str] | set[str]) -> Parsed:
    """Check every row of a CSV file without writing anything. Raises
    :class:`~passport.errors.InvalidRequest` for a file that cannot be read at all (encoding,
    columns, size); row problems are :class:`EventError` s located by line number."""
    return _parse_records(_csv_records(_decode(data)), today, job_families)


def parse_json(obj: Any, *, today: date, job_families: frozenset[str] | set[str]) -> Parsed:
    """Check a JSON body: a list of objects with the CSV's keys, or ``{"events": [...]}``.
    Row numbers are the 1-based index in the list. Raises InvalidRequest for another shape."""
    if isinstance(obj, dict) and set(obj) == {"events"}:
        obj = obj["events"]
    if not isinstance(obj, list):
        raise InvalidRequest(
            'Send a JSON list of events, or {"events": [...]}.', code="bad_json_shape"
        )
    if len(obj) > MAX_ROWS:
        raise InvalidRequest(f"At most {MAX_ROWS} rows per request.", code="too_many_rows")

    def records() -> Iterator[tuple[int, Mapping[str, Any]]]:
        for index, item in enumerate(obj, start=1):
            if not isinstance(item, dict):
                yield index, {"__extra__": "1"}
            elif set(item) - set(COLUMNS):
                yield index, {"__unknown__": ", ".join(sorted(set(item) - set(COLUMNS)))}
            else:
                yield index, item

    parsed = Parsed()
    for number, record in records():
        if "__extra__" in record:
            parsed.errors.append(EventError(number, "bad_row", "Each event must be a JSON object."))
        elif "__unknown__" in record:
            parsed.errors.append(
                EventError(number, "bad_row", f"Unknown keys: {record['__unknown__']}.")
            )
        else:
            try:
                parsed.rows.append(_check(number, record, today, job_families))
            except InvalidRequest as exc:
                parsed.errors.append(EventError(number, exc.code, exc.message))
    return parsed


def job_family_ids(session: Session) -> frozenset[str]:
    """Every job family id an import may name (retired ones too: history names them)."""
    return frozenset(session.scalars(select(JobFamily.id)))


def org_today(session: Session, now: datetime) -> date:
    """Today in the organisation's time zone (UTC until an admin sets one): no later date
    may be imported."""
    from passport.accounts.preferences import org_time_zone

    return now.astimezone(ZoneInfo(org_time_zone(session))).date()


# -- erased people ----------------------------------------------------------------------------


def tombstone(secret_key: str, person_key: str) -> str:
    """HMAC-SHA256 of an HR id under the instance secret (hex): what erasure keeps."""
    return hmac.new(
        secret_key.encode("utf-8"), person_key.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _erased_keys(session: Session, keys: Iterable[str], secret_key: str) -> set[str]:
    """The HR ids among ``keys`` that belong to erased people."""
    if session.scalar(select(ErasedPerson.key_hash).limit(1)) is None:
        return set()  # nobody was ever erased: no hashing (the common case, and the bench's)
    by_hash = {tombstone(secret_key, key): key for key in set(keys)}
    hashes = list(by_hash)
    found: set[str] = set()
    for start in range(0, len(hashes), 1000):
        found.update(
            by_hash[h]
            for h in session.scalars(
                select(ErasedPerson.key_hash).where(
                    ErasedPerson.key_hash.in_(hashes[start : start + 1000])
                )
            )
        )
    return found


def _erased_error(row: int) -> EventError:
    return EventError(
        row, "erased_person", "This person was erased; their events cannot be imported again."
    )


def refuse_erased(session: Session, parsed: Parsed, *, secret_key: str) -> Parsed:
    """``parsed`` with the rows of erased people moved to its errors (``erased_person``)."""
    erased = _erased_keys(session, (r.person_key for r in parsed.rows), secret_key)
    if not erased:
        return parsed
    keep = [r for r in parsed.rows if r.person_key not in erased]
    errors = parsed.errors + [_erased_error(r.row) for r in parsed.rows if r.person_key in erased]
    return Parsed(rows=keep, errors=errors)


# -- import ------------------------------------------------------------------------------------


def _insert(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database."""
    name = _dialect(session)
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise InvalidRequest(f"Imports need SQLite or PostgreSQL, not {name}.")  # pragma: no cover


def _resolve_people(
    session: Session, rows: Sequence[PeopleRow], ids: dict[str, int], now: datetime
) -> None:
    """Fill ``ids`` (HR id -> people.id) for every person of ``rows``: one SELECT for those
    not known yet, one multi-row INSERT for the new ones (then their ids), and the e-mail of
    people whose row brings a new one (a later import may set or change it)."""
    emails: dict[str, str] = {}
    for r in rows:
        if r.email is not None:
            emails[r.person_key] = r.email  # the last row's address wins
    wanted = [k for k in dict.fromkeys(r.person_key for r in rows) if k not in ids]
    stored: dict[str, str | None] = {}
    if wanted:
        for pid, key, email in session.execute(
            select(HRPerson.id, HRPerson.person_key, HRPerson.email).where(
                HRPerson.person_key.in_(wanted)
            )
        ):
            ids[key] = pid
            stored[key] = email
        new = [k for k in wanted if k not in ids]
        if new:
            session.execute(
                _insert(session, HRPerson.__table__),
                [{"person_key": k, "email": emails.get(k), "created_at": now} for k in new],
            )
            for pid, key in session.execute(
                select(HRPerson.id, HRPerson.person_key).where(HRPerson.person_key.in_(new))
            ):
                ids[key] = pid
                stored[key] = emails.get(key)
    changed = [{"pid": ids[k], "new_email": e} for k, e in emails.items() if stored.get(k) != e]
    if changed:
        # People known from an earlier batch were not read again: compare in the UPDATE.
        session.connection().execute(
            update(HRPerson)
            .where(HRPerson.id == bindparam("pid"))
            .where(func.coalesce(HRPerson.email, "") != bindparam("new_email"))
            .values(email=bindparam("new_email")),
            changed,
        )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _sqlite_insert_events(
    session: Session, rows: Sequence[PeopleRow], ids: Mapping[str, int], now: datetime
) -> int:
    """One executemany of ``INSERT … ON CONFLICT (row_key) DO NOTHING``; SQLite's row count
    is the rows it inserted."""
    outcome = session.connection().execute(
        _insert(session, PeopleEvent.__table__),
        [
            {
                "person_id": ids[r.person_key],
                "event": r.event,
                "occurred_on": r.occurred_on,
                "job_family_id": r.job_family,
                "cohort": r.cohort,
                "row_key": r.row_key,
                "imported_at": now,
            }
            for r in rows
        ],
    )
    return int(outcome.rowcount)


#: One statement a batch: seven arrays unnested. psycopg's executemany reports no row count,
#: and looking the keys up first cost more than the insert (random 64-character keys); this
#: is one round trip whose row count is the rows inserted.
_PG_INSERT_EVENTS = text(
    "INSERT INTO people_events "
    "(person_id, event, occurred_on, job_family_id, cohort, row_key, imported_at) "
    "SELECT * FROM unnest("
    "CAST(:person_id AS integer[]), CAST(:event AS varchar[]), CAST(:occurred_on AS date[]), "
    "CAST(:job_family_id AS varchar[]), CAST(:cohort AS varchar[]), "
    "CAST(:row_key AS varchar[]), CAST(:imported_at AS timestamptz[])) "
    "ON CONFLICT (row_key) DO NOTHING"
)


def _pg_insert_events(
    session: Session, rows: Sequence[PeopleRow], ids: Mapping[str, int], now: datetime
) -> int:
    outcome = session.connection().execute(
        _PG_INSERT_EVENTS,
        {
            "person_id": [ids[r.person_key] for r in rows],
            "event": [r.event for r in rows],
            "occurred_on": [r.occurred_on for r in rows],
            "job_family_id": [r.job_family for r in rows],
            "cohort": [r.cohort for r in rows],
            "row_key": [r.row_key for r in rows],
            "imported_at": [now.astimezone(UTC)] * len(rows),
        },
    )
    return int(outcome.rowcount)


def import_events(
    session: Session,
    rows: Sequence[PeopleRow],
    *,
    secret_key: str,
    now: datetime,
    actor: str,
    batch_size: int = BATCH_ROWS,
    audit: bool = True,
) -> ImportResult:
    """Store ``rows`` (checked by :func:`parse_csv` / :func:`parse_json`) in ``session``.

    Idempotent: a row already stored (same ``row_key``) is counted in ``duplicates``, not
    stored again. Rows of erased people are refused (``errors``, code ``erased_person``).
    The caller commits; ``audit=False`` leaves the audit row to a caller that imports in
    parts (a job audits once when it starts).
    """
    result = ImportResult(total=len(rows))
    erased = _erased_keys(session, (r.person_key for r in rows), secret_key)
    if erased:
        result.errors.extend(_erased_error(r.row) for r in rows if r.person_key in erased)
        rows = [r for r in rows if r.person_key not in erased]
    ids: dict[str, int] = {}
    seen: set[str] = set()
    insert_batch = _pg_insert_events if _dialect(session) == "postgresql" else _sqlite_insert_events
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        _resolve_people(session, batch, ids, now)
        fresh = []
        for r in batch:
            if r.row_key not in seen:
                seen.add(r.row_key)
                fresh.append(r)
        if fresh:
            result.imported += insert_batch(session, fresh, ids, now)
    result.duplicates = len(rows) - result.imported
    if audit:
        record_event(
            session,
            actor,
            "people.import",
            None,
            {
                "total": result.total,
                "imported": result.imported,
                "duplicates": result.duplicates,
                "errors": len(result.errors),
            },
            at=now,
        )
    return result


# -- erasure and counts -------------------------------------------------------------------------


def erase_person(
    session: Session, person_key: str, *, secret_key: str, actor: str, now: datetime
) -> bool:
    """Delete the person with HR id ``person_key`` and their events, and keep a tombstone so
    a later import refuses them. Returns whether such a person was held (the tombstone is
    written either way: an erasure request may come before the first import). Audited
    without the id."""
    key = person_key.strip()
    if not key:
        raise InvalidRequest("Give the person's HR id.", code="missing_person_id")
    person_id = session.scalar(select(HRPerson.id).where(HRPerson.person_key == key))
    if person_id is not None:
        session.execute(delete(PeopleEvent).where(PeopleEvent.person_id == person_id))
        session.execute(delete(HRPerson).where(HRPerson.id == person_id))
    digest = tombstone(secret_key, key)
    if session.get(ErasedPerson, digest) is None:
        session.add(ErasedPerson(key_hash=digest, erased_at=now))
    record_event(session, actor, "people.erase", None, {"held": person_id is not None}, at=now)
    session.flush()
    return person_id is not None


def forget_emails(
    session: Session, addresses: Sequence[str], *, secret_key: str, now: datetime
) -> int:
    """Delete the people with one of ``addresses`` (lower-case) and their events, keeping a
    tombstone of each HR id so a later import refuses them (as :func:`erase_person` does):
    erasing an account erases the HR person it links to. An import still waiting in the
    queue with one of the addresses is tombstoned too, so its part refuses the rows when it
    runs. Returns how many were deleted."""
    if not addresses:
        return 0
    lowered = [a.lower() for a in addresses]
    found = session.execute(
        select(HRPerson.id, HRPerson.person_key).where(func.lower(HRPerson.email).in_(lowered))
    ).all()
    ids = [row.id for row in found]
    if ids:
        session.execute(delete(PeopleEvent).where(PeopleEvent.person_id.in_(ids)))
        session.execute(delete(HRPerson).where(HRPerson.id.in_(ids)))
    keys = {row.person_key for row in found} | _queued_keys(session, set(lowered))
    for key in sorted(keys):
        digest = tombstone(secret_key, key)
        if session.get(ErasedPerson, digest) is None:
            session.add(ErasedPerson(key_hash=digest, erased_at=now))
    return len(ids)


def _queued_keys(session: Session, addresses: set[str]) -> set[str]:
    """HR ids whose rows carry one of ``addresses`` in people imports not yet run (parts
    hold rows as ``[row, person_id, email, …]``)."""
    from passport.jobs.models import Job, JobPart

    keys: set[str] = set()
    parts = session.scalars(
        select(JobPart.payload)
        .join(Job, Job.id == JobPart.job_id)
        .where(Job.kind == "people_import", JobPart.status != "done")
    )
    for payload in parts:
        for item in json.loads(payload or "[]"):
            if isinstance(item, list) and len(item) > 2 and (item[2] or "").lower() in addresses:
                keys.add(str(item[1]))
    return keys


def people_counts(session: Session) -> dict[str, int]:
    """How many people and events are held (the admin page shows these, never a list)."""
    return {
        "people": int(session.scalar(select(func.count()).select_from(HRPerson)) or 0),
        "events": int(session.scalar(select(func.count()).select_from(PeopleEvent)) or 0),
    }
