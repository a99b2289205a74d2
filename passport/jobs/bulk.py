"""Bulk issuance as a job: the CSV ``passport bulk`` takes, previewed at once, issued by workers.

:func:`start_bulk` previews the file (:func:`passport.assessments.bulk.preview_csv`: per-row
errors, nothing issued), stores the job with its rows cut into parts of :data:`PART_ROWS`, and
sends one message per part after the commit; several workers then issue parts side by side.
Each row keeps the idempotency key the preview gave it, so a part run twice (its worker was
killed) or the same file uploaded again issues nothing twice.

The job's ``total`` is the rows that can be issued (the preview's errors are in ``errors`` from
the start); ``done`` counts rows issued, skipped as already issued, or failed. A job that went
through every row ends ``succeeded`` even when rows had errors; ``failed`` means a part could
not run to its end after every retry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.assessments.bulk import (
    BulkPreview,
    BulkResult,
    BulkRow,
    RowError,
    commit_rows,
    preview_csv,
)
from passport.assessments.record import EvidenceInput
from passport.jobs.models import Job, JobPart
from passport.jobs.queue import after_commit
from passport.jobs.runner import PartOutcome, add_parts
from passport.services import Services

__all__ = [
    "BATCH_ROWS",
    "KIND",
    "PART_ROWS",
    "JobView",
    "job_view",
    "run_part",
    "start_bulk",
]

KIND = "bulk_issuance"
#: Rows per part: the unit one worker takes (two workers share a 400-row file).
PART_ROWS = 200
#: Rows per transaction inside a part, and per progress report.
BATCH_ROWS = 100


def _row_json(row: BulkRow) -> dict[str, Any]:
    return {
        "row": row.row,
        "email": row.email,
        "achievement": row.achievement_id,
        "levels": row.levels,
        "key": row.key,
        "evidence": [
            {"name": e.name, "narrative": e.narrative, "url": e.url} for e in row.evidence
        ],
        "assessedAt": row.assessed_at.isoformat() if row.assessed_at else None,
    }


def _row(data: dict[str, Any]) -> BulkRow:
    return BulkRow(
        row=int(data["row"]),
        email=data["email"],
        achievement_id=data["achievement"],
        levels={str(k): int(v) for k, v in data["levels"].items()},
        key=data["key"],
        evidence=tuple(EvidenceInput(**e) for e in data["evidence"]),
        assessed_at=datetime.fromisoformat(data["assessedAt"]) if data["assessedAt"] else None,
    )


def _errors_json(errors: list[RowError]) -> list[dict[str, Any]]:
    return [asdict(e) for e in errors]


def start_bulk(
    session: Session,
    services: Services,
    data: bytes,
    *,
    assessor: str,
    created_by: str,
    proof_format: str,
    now: datetime,
    token_name: str | None = None,
    preview: BulkPreview | None = None,
) -> Job:
    """Preview ``data`` and store a job that issues its good rows; its parts are sent to the
    queue when ``session`` commits. Raises :class:`~passport.errors.InvalidRequest` for a file
    that cannot be read at all (encoding, columns, size)."""
    preview = preview if preview is not None else preview_csv(session, data)
    job = Job(
        id=uuid.uuid4().hex,
        kind=KIND,
        status="queued",
        total=len(preview.rows),
        errors=json.dumps(_errors_json(preview.errors)),
        payload=json.dumps(
            {
                "assessor": assessor,
                "proofFormat": proof_format,
                "alreadyImported": len(preview.already_imported),
            }
        ),
        source_sha256=hashlib.sha256(data).hexdigest(),
        created_by=created_by,
        token_name=token_name,
        created_at=now,
    )
    add_parts(job, preview.rows, size=PART_ROWS, encode=_row_json, now=now)
    session.add(job)
    session.flush()
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
    """Issue one part's rows (the :class:`~passport.jobs.runner.PartHandler` of bulk jobs)."""
    meta = json.loads(job.payload)
    rows = [_row(item) for item in payload]
    result = BulkResult()

    def report(done: int, total: int) -> None:
        progress(done, _errors_json(result.errors))

    commit_rows(
        services,
        BulkPreview(rows=rows),
        assessor=meta["assessor"],
        now=services.now(),
        proof_format=meta["proofFormat"],
        batch_size=BATCH_ROWS,
        progress=report,
        stop=stop,
        result=result,
    )
    return PartOutcome(
        errors=_errors_json(result.errors),
        counts={
            "issued": result.issued,
            "skipped": result.skipped,
            "belowRequired": result.failed_assessments,
        },
        stopped=result.stopped,
    )


class JobView(dict[str, Any]):
    """The JSON of a job (``GET /api/v1/jobs/<id>``), a dict with the issue's fields first."""


def job_view(session: Session, job: Job, *, now: datetime) -> JobView:
    """What a job looks like to whoever follows it: the API's fields (``id``, ``kind``,
    ``status``, ``done``, ``total``, ``errors``, ``startedAt``, ``finishedAt``) and, for the
    progress bar, ``result`` (issued / skipped / below the required level), ``rate`` (rows a
    second) and ``secondsLeft`` (None until it can be estimated)."""
    parts = session.execute(
        select(JobPart.status, JobPart.done, JobPart.errors, JobPart.counts).where(
            JobPart.job_id == job.id
        )
    ).all()
    done = sum(int(p.done) for p in parts)
    errors: list[dict[str, Any]] = list(json.loads(job.errors))
    # Each kind reports its own counters (people imports: imported, duplicates).
    counts = {"issued": 0, "skipped": 0, "belowRequired": 0} if job.kind == KIND else {}
    for part in parts:
        errors.extend(json.loads(part.errors))
        for name, value in json.loads(part.counts).items():
            counts[name] = counts.get(name, 0) + int(value)
    errors.sort(key=lambda e: int(e["row"]))
    rate: float | None = None
    left: float | None = None
    if job.started_at is not None and done:
        elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
        if elapsed > 0:
            rate = round(done / elapsed, 1)
            if job.status == "running":
                left = round((job.total - done) / (done / elapsed), 1)
    view = JobView(
        id=job.id,
        kind=job.kind,
        status=job.status,
        done=done,
        total=job.total,
        errors=[{"row": e["row"], "code": e["code"], "message": e["message"]} for e in errors],
        startedAt=_iso(job.started_at),
        finishedAt=_iso(job.finished_at),
    )
    view["result"] = counts
    view["rate"] = rate
    view["secondsLeft"] = left
    view["cancelRequested"] = bool(job.cancel_requested)
    if job.status == "failed" and job.error:
        view["error"] = job.error
    return view


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
