"""People imports as jobs of kind ``people_import``: checked at once, stored by workers.

:func:`start_people_import` takes rows already checked (:mod:`passport.outcomes.people`),
stores a job whose parts hold :data:`PART_ROWS` rows each, and sends one message per part
after the commit. Each part is imported with :func:`~passport.outcomes.people.import_events`
(idempotent by row key), so a part run twice, or the same file posted again, stores nothing
twice. The job is audited once when it starts, with counts only; ``GET /api/v1/jobs/<id>``
and ``/admin/jobs/<id>`` report it as they report bulk issuance (``result``: imported,
duplicates).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.jobs.models import Job
from passport.jobs.queue import after_commit
from passport.jobs.runner import PartOutcome, add_parts
from passport.outcomes.people import (
    ImportResult,
    Parsed,
    PeopleRow,
    import_events,
)
from passport.services import Services

__all__ = ["KIND", "PART_ROWS", "run_part", "start_people_import"]

KIND = "people_import"
#: Rows per part (the unit one worker takes) and per transaction inside it.
PART_ROWS = 5_000


def _row_json(row: PeopleRow) -> list[Any]:
    return [
        row.row,
        row.person_key,
        row.email,
        row.event,
        row.occurred_on.isoformat(),
        row.job_family,
        row.cohort,
        row.row_key,
    ]


def _row(data: list[Any]) -> PeopleRow:
    number, person_key, email, event, day, family, cohort, key = data
    return PeopleRow(
        row=int(number),
        person_key=person_key,
        email=email,
        event=event,
        occurred_on=date.fromisoformat(day),
        job_family=family,
        cohort=cohort,
        row_key=key,
    )


def start_people_import(
    session: Session,
    parsed: Parsed,
    data: bytes,
    *,
    created_by: str,
    now: datetime,
    token_name: str | None = None,
) -> Job:
    """Store a job that imports ``parsed``'s rows (its errors are the job's from the start);
    its parts go to the queue when ``session`` commits. Audited (``people.import.start``)."""
    job = Job(
        id=uuid.uuid4().hex,
        kind=KIND,
        status="queued",
        total=len(parsed.rows),
        errors=json.dumps([e.to_json() for e in parsed.errors]),
        payload="{}",
        source_sha256=hashlib.sha256(data).hexdigest(),
        created_by=created_by,
        token_name=token_name,
        created_at=now,
    )
    add_parts(job, parsed.rows, size=PART_ROWS, encode=_row_json, now=now)
    session.add(job)
    session.flush()
    record_event(
        session,
        created_by,
        "people.import.start",
        job.id,
        {"total": parsed.total, "valid": len(parsed.rows), "errors": len(parsed.errors)},
        at=now,
    )
    for part in job.parts:
        after_commit(session, "run_part", job.id, part.number)
    return job


def run_part(
    services: Services,
    job: Job,
    payload: Any,
    progress: Callable[[int, list[dict[str, Any]]], None],
    stop: Callable[[], bool],
) -> PartOutcome:
    """Import one part's rows in one transaction (the job kind's
    :class:`~passport.jobs.runner.PartHandler`)."""
    rows = [_row(item) for item in payload]
    result = ImportResult()
    if stop():
        return PartOutcome(stopped=True)
    with services.session() as session:
        result = import_events(
            session,
            rows,
            secret_key=services.settings.secret_key,
            now=services.now(),
            actor=job.created_by,
            batch_size=PART_ROWS,
            audit=False,
        )
    errors = [e.to_json() for e in result.errors]
    progress(len(rows), errors)
    return PartOutcome(
        errors=errors,
        counts={"imported": result.imported, "duplicates": result.duplicates},
    )
