"""People events at scale: the import beside a bare insert, the measures beside pandas + lifelines.

A throwaway instance (a SQLite file, then a throwaway PostgreSQL database when a server answers:
``--outcomes-postgres``, else ``PASSPORT_TEST_DATABASE_URL``, else 127.0.0.1:5432 as CI has it)
gets an organisation's HR history from :func:`passport.outcomes.demo.generate_events` — by
default 100,000 people and about 1,000,000 events over six years (hires, ramp-ups, moves,
leavers, cohorts). Two comparisons, each against a baseline measured in the same run:

a. **Import**: the CSV bytes through :func:`passport.outcomes.people.parse_csv` and
   :func:`~passport.outcomes.people.import_events` (what ``passport people import`` does:
   validation, row keys, people resolved in batches, insert-or-ignore), and the already parsed
   rows through ``import_events`` alone, against a bare batched insert of the same rows (the
   same people and event tuples, prepared beforehand, into the same tables with SQLAlchemy
   Core's executemany: no validation, no dedup). In the order bare, CSV, bare, parsed, each
   into emptied tables (VACUUMed on SQLite), so both see the same start and the same drift;
   the bare figure is the mean of its two runs.
   Target (issue #19): import ≥ 0.5× the bare insert.
b. **Outcomes**: :func:`passport.outcomes.measures.compute_outcomes` for all job families and
   its JSON (what ``passport outcomes --json`` prints, in-process) against the same figures
   computed with pandas + lifelines from the same tables (:mod:`bench.outcomes_baseline`),
   in interleaved rounds; the median of each is reported, and the two results are compared
   figure by figure (ramp-time medians and intervals, retention at 180/365 days and log-rank
   p, mobility). Target: ours faster. No badges exist here, so coverage is empty and no move
   is badged on either side.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, text

from bench import outcomes_baseline
from passport.instance.setup import initialise
from passport.outcomes.demo import BENCH_CAREER, BENCH_YEARS, EventRow, events_csv, generate_events
from passport.outcomes.models import HRPerson, PeopleEvent
from passport.services import Services
from passport.settings import Settings

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BARE_BATCH = 5_000


def run(
    *,
    people: int,
    rounds: int,
    postgres: str | None = None,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
) -> dict[str, dict[str, float]]:
    """Run on SQLite and, when a server answers, on PostgreSQL; print and return the figures
    per database (``import_ratio``, ``parsed_import_ratio``, ``outcomes_ratio``, ...)."""
    return on_each_database(
        "People events",
        lambda url: _run(people=people, rounds=rounds, database_url=url),
        postgres=postgres,
        databases=databases,
    )


def on_each_database(
    label: str,
    measure: Callable[[str | None], dict[str, float]],
    *,
    postgres: str | None,
    databases: tuple[str, ...],
) -> dict[str, dict[str, float]]:
    """``measure(None)`` on a SQLite file, then ``measure(url)`` on a throwaway PostgreSQL
    database when ``postgres`` is given or the server (``PASSPORT_TEST_DATABASE_URL``, else
    CI's) answers; the figures per database."""
    figures: dict[str, dict[str, float]] = {}
    if "sqlite" in databases:
        figures["sqlite"] = measure(None)
    if "postgresql" not in databases:
        return figures
    from bench.bulk import _throwaway_database
    from bench.jobs import _postgres_answers

    server = postgres or os.environ.get("PASSPORT_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    if postgres is not None or _postgres_answers(server):
        with _throwaway_database(server) as url:
            figures["postgresql"] = measure(url)
    else:
        print(f"\n{label} on PostgreSQL: skipped ({server.rpartition('@')[2]} did not answer)")
    return figures


@contextlib.contextmanager
def throwaway_instance(database_url: str | None) -> Iterator[Services]:
    """A migrated instance with the catalog and keys, in a temporary folder (its SQLite file
    there, unless ``database_url`` names another database), disposed of afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        instance.mkdir(parents=True)
        settings = Settings(
            env="test",
            instance_path=instance,
            database_url=database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
            public_url="https://badges.bench.example",
            secret_key="bench",
            key_passphrase="bench passphrase",
        )
        services = Services.from_settings(settings)
        try:
            initialise(services)
            yield services
        finally:
            services.engine.dispose()


def _run(*, people: int, rounds: int, database_url: str | None) -> dict[str, float]:
    with throwaway_instance(database_url) as services:
        now = services.now()
        # A day back, so that no event is in the future in any time zone the import uses.
        as_of = now.date() - timedelta(days=1)
        figures = _import_figures(services, people=people, as_of=as_of)
        figures.update(_outcome_figures(services, rounds=rounds, as_of=as_of))
        return figures


def _import_figures(services: Services, *, people: int, as_of: date) -> dict[str, float]:
    """a. Bare insert, import from CSV bytes, bare insert again, import of parsed rows (whose
    rows stay for b.), each into emptied tables: both sides see the same database state and
    the same drift of a shared machine."""
    from passport.outcomes import people as people_import

    now = services.now()
    begin = time.perf_counter()
    rows = generate_events(as_of, people=people, staff=0, years=BENCH_YEARS, career=BENCH_CAREER)
    data = events_csv(rows).encode()
    generated = time.perf_counter() - begin
    print(
        f"\nPeople events ({services.engine.dialect.name}): {people:,} people, {len(rows):,} "
        f"events ({len(data) / 1e6:.0f} MB of CSV, generated in {generated:.1f} s)"
    )
    people_rows, event_rows = _bare_tuples(rows, now)

    def bare_insert() -> None:
        _bare_insert(services, people_rows, event_rows)

    def from_csv() -> Any:
        with services.session() as session:
            today = people_import.org_today(session, now)
            parsed = people_import.parse_csv(
                data, today=today, job_families=people_import.job_family_ids(session)
            )
            assert not parsed.errors, parsed.errors[:3]
            return people_import.import_events(
                session, parsed.rows, secret_key="bench", now=now, actor="bench"
            )

    with services.session() as session:
        parsed = people_import.parse_csv(
            data,
            today=people_import.org_today(session, now),
            job_families=people_import.job_family_ids(session),
        )

    def from_parsed() -> Any:
        with services.session() as session:
            result = people_import.import_events(
                session, parsed.rows, secret_key="bench", now=now, actor="bench"
            )
            assert result.imported == len(rows), (result.imported, len(rows))
            return result

    # The bench's own millions of objects (generated rows, CSV, bare tuples, parsed rows) are
    # nobody's garbage: kept out of the collector's full passes, which would otherwise charge
    # their traversal to whichever side allocates more while timed (the import).
    gc.collect()
    gc.freeze()
    try:
        bare_runs = [_timed(bare_insert)]
        _empty(services)
        csv_seconds = _timed(from_csv)
        _empty(services)
        bare_runs.append(_timed(bare_insert))
        _empty(services)
        parsed_seconds = _timed(from_parsed)
    finally:
        gc.unfreeze()
    bare = statistics.mean(bare_runs)
    total = len(rows)
    print(
        f"  bare batched insert (Core executemany): {total / bare:9,.0f} rows/s "
        f"({bare:.1f} s, mean of {bare_runs[0]:.1f} and {bare_runs[1]:.1f})"
    )
    print(
        f"  import from CSV bytes (parse + import):  {total / csv_seconds:9,.0f} rows/s "
        f"({csv_seconds:.1f} s)   ratio {bare / csv_seconds:.2f}"
    )
    print(
        f"  import of parsed rows (import_events):   {total / parsed_seconds:9,.0f} rows/s "
        f"({parsed_seconds:.1f} s)   ratio {bare / parsed_seconds:.2f}"
    )
    # The verdict is on what a user runs (`passport people import FILE.csv`: parse, check and
    # store), not only on the storing step.
    for label, ratio in (("from CSV", bare / csv_seconds), ("parsed rows", bare / parsed_seconds)):
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(f"  import ({label}) / bare insert {ratio:.2f}   target >= 0.50: {verdict}")
    return {
        "events": float(total),
        "bare_seconds": bare,
        "csv_import_seconds": csv_seconds,
        "parsed_import_seconds": parsed_seconds,
        "import_ratio": bare / csv_seconds,
        "parsed_import_ratio": bare / parsed_seconds,
    }


def _outcome_figures(services: Services, *, rounds: int, as_of: date) -> dict[str, float]:
    """b. compute_outcomes + JSON against pandas + lifelines, interleaved rounds."""
    gc.collect()
    ours_seconds: list[float] = []
    theirs_seconds: list[float] = []
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for _ in range(rounds):
        begin = time.perf_counter()
        ours = _ours(services, as_of)
        ours_seconds.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        theirs = outcomes_baseline.compute(services.engine, as_of)
        theirs_seconds.append(time.perf_counter() - begin)
    mine, base = statistics.median(ours_seconds), statistics.median(theirs_seconds)
    differences = compare(ours, theirs)
    print(f"  outcomes --json (compute_outcomes + JSON): {mine:6.2f} s (median of {rounds})")
    print(f"  pandas.read_sql + lifelines, same figures: {base:6.2f} s")
    print(
        f"  baseline / ours {base / mine:.2f}   target > 1 (ours faster): "
        f"{'met' if base > mine else 'NOT met'}"
    )
    print(
        "  figures agree: "
        + ("yes" if not differences else f"NO, {len(differences)}: {differences[:5]}")
    )
    return {
        "ours_seconds": mine,
        "baseline_seconds": base,
        "outcomes_ratio": base / mine,
        "differences": float(len(differences)),
    }


def _ours(services: Services, as_of: date) -> dict[str, Any]:
    from passport.outcomes.measures import compute_outcomes

    with services.session() as session:
        document = compute_outcomes(session, as_of=as_of).to_json()
    json.dumps(document)
    return document


def _timed(action: Callable[[], object]) -> float:
    begin = time.perf_counter()
    action()
    return time.perf_counter() - begin


def _bare_tuples(
    rows: list[EventRow], now: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The people and events the import stores, as Core parameter sets (ids assigned here)."""
    from passport.outcomes.people import row_key

    ids: dict[str, int] = {}
    people: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        pid = ids.get(row.person_id)
        if pid is None:
            pid = ids[row.person_id] = len(ids) + 1
            people.append(
                {
                    "id": pid,
                    "person_key": row.person_id,
                    "email": row.email or None,
                    "created_at": now,
                }
            )
        events.append(
            {
                "person_id": pid,
                "event": row.event,
                "occurred_on": row.date,
                "job_family_id": row.job_family or None,
                "cohort": row.cohort or None,
                "row_key": row_key(
                    row.person_id, row.event, row.date, row.job_family or None, row.cohort
                ),
                "imported_at": now,
            }
        )
    return people, events


def _bare_insert(
    services: Services, people: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    with services.engine.begin() as connection:
        for table, params in ((HRPerson.__table__, people), (PeopleEvent.__table__, events)):
            statement = insert(table)
            for start in range(0, len(params), BARE_BATCH):
                connection.execute(statement, params[start : start + BARE_BATCH])


def _empty(services: Services) -> None:
    with services.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE people_events, people RESTART IDENTITY"))
        else:
            connection.execute(delete(PeopleEvent.__table__))
            connection.execute(delete(HRPerson.__table__))
        connection.execute(text("DELETE FROM audit_events WHERE actor = 'bench'"))
    if services.engine.dialect.name == "sqlite":
        # Give the pages back, so that the next insert starts from the file the first did.
        with services.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")


# -- Do both sides say the same? ----------------------------------------------------------------


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Where the two documents differ beyond the issue's tolerances (medians and intervals to
    the day, survival within 0.005, log-rank p within 0.01, counts exactly)."""
    differences: list[str] = []

    def check(path: str, a: Any, b: Any, tolerance: float = 0.0) -> None:
        if isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)):
                differences.append(f"{path}: {a!r} != {b!r}")
                return
            for key in sorted(set(a) | set(b)):
                check(f"{path}.{key}", a.get(key), b.get(key), _tolerance(key))
            return
        if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
            if a != b:
                differences.append(f"{path}: {a!r} != {b!r}")
            return
        if abs(float(a) - float(b)) > tolerance + 1e-9:
            differences.append(f"{path}: {a!r} != {b!r}")

    for section in ("rampTime", "retention", "retentionByCohort", "mobility"):
        check(section, ours.get(section, {}), theirs.get(section, {}))
    return differences


def _tolerance(key: str) -> float:
    return {"at180": 0.005, "at365": 0.005, "logrankP": 0.01, "reductionPct": 1e-6}.get(key, 0.0)
