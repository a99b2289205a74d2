"""What a worker does with a message: run a job part, deliver notifications, run the schedules.

Each handler first *claims* its rows with a conditional UPDATE (:func:`passport.db.claim`), so
of two workers holding the same message (a re-sent one, say) exactly one does the work. A part
that raises is tried again with backoff (``PASSPORT_JOB_RETRY_SECONDS``, doubling) up to
:data:`MAX_ATTEMPTS` times, then it fails and its job with it, and both show in the failed list
(``/admin/jobs``) with the error, where an admin may retry them. The same holds for e-mail.

Catching every exception is right here and nowhere else: the runner is the boundary between a
task and the worker loop (as a WSGI server is for a request), and an exception it let through
would leave its row claimed and unexplained.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, or_, select, update

from passport.db import claim
from passport.jobs.models import Job, JobPart
from passport.services import Services

if TYPE_CHECKING:
    from passport.jobs.queue import JobQueue

__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "PartHandler",
    "PartOutcome",
    "add_parts",
    "deliver",
    "finish_job",
    "retry_delay",
    "run_part",
    "tick",
]

logger = logging.getLogger(__name__)

#: Tries of a part or an e-mail before it is marked failed.
MAX_ATTEMPTS = 6
#: A part whose worker has not reported for this long is taken to be lost with its worker.
LEASE = timedelta(minutes=2)
#: An e-mail a worker took this long ago and never marked is taken to be lost the same way.
MAIL_LEASE = timedelta(minutes=5)


def retry_delay(services: Services, attempts: int) -> float:
    """Seconds before try ``attempts + 1``: the configured first wait, doubling each time."""
    return float(services.settings.job_retry_seconds * (2 ** max(attempts - 1, 0)))


@dataclass(slots=True)
class PartOutcome:
    """What a handler reports after a part: row errors and counters for the job's summary."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    stopped: bool = False  # the job was cancelled before the part's end


class PartHandler(Protocol):
    """Runs one part of a job of its kind. ``progress(done)`` records rows done so far (and
    keeps the part's lease); ``stop()`` says whether the job was cancelled meanwhile."""

    def __call__(
        self,
        services: Services,
        job: Job,
        payload: Any,
        progress: Callable[[int, list[dict[str, Any]]], None],
        stop: Callable[[], bool],
    ) -> PartOutcome: ...


def _handlers() -> dict[str, PartHandler]:
    from passport.jobs import bulk
    from passport.outcomes import people_jobs

    return {bulk.KIND: bulk.run_part, people_jobs.KIND: people_jobs.run_part}


# -- job parts ------------------------------------------------------------------------------


def run_part(services: Services, queue: JobQueue, job_id: str, number: int) -> None:
    """Take part ``number`` of job ``job_id`` if it is due and nobody has it, and run it."""
    now = services.now()
    with services.session() as session:
        part = session.get(JobPart, (job_id, number))
        if part is None:
            return  # the job was deleted, or a rolled-back savepoint named it
        due = or_(JobPart.next_attempt_at.is_(None), JobPart.next_attempt_at <= now)
        if not claim(
            session,
            part,
            JobPart.status == "queued",
            due,
            status="running",
            heartbeat_at=now,
            attempts=part.attempts + 1,
            done=0,
            errors="[]",
            counts="{}",
        ):
            return  # another worker has it, it is finished, or its retry is not due yet
        job = part.job
        if job.cancel_requested:
            claim(session, part, status="cancelled", payload="[]")
            cancelled = True
        else:
            cancelled = False
            if job.status == "queued":
                claim(session, job, Job.status == "queued", status="running", started_at=now)
        payload = json.loads(part.payload)
        kind = job.kind
        attempts = part.attempts
    if cancelled:
        finish_job(services, job_id)
        return
    handler = _handlers().get(kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for jobs of kind {kind!r}")
        outcome = handler(
            services,
            job,
            payload,
            lambda done, errors: _progress(services, job_id, number, attempts, done, errors),
            lambda: _cancelled(services, job_id),
        )
    except Exception as exc:  # the task boundary (module docstring)
        logger.exception("job %s part %s failed (try %s)", job_id, number, attempts)
        _part_failed(services, queue, job_id, number, attempts, exc)
        return
    with services.session() as session:
        # Only while this run holds the part: a worker slower than the lease may have lost it
        # to another (the reaper), whose result then stands.
        session.execute(
            update(JobPart)
            .where(_this_run(job_id, number, attempts))
            .values(
                payload="[]",  # its rows name people: not kept once they are issued
                status="cancelled" if outcome.stopped else "done",
                errors=json.dumps(outcome.errors),
                counts=json.dumps(outcome.counts),
                heartbeat_at=services.now(),
            )
        )
    finish_job(services, job_id)


def _this_run(job_id: str, number: int, attempts: int) -> Any:
    """The part, while the run that made try ``attempts`` still holds it."""
    return (
        (JobPart.job_id == job_id)
        & (JobPart.number == number)
        & (JobPart.status == "running")
        & (JobPart.attempts == attempts)
    )


def _progress(
    services: Services,
    job_id: str,
    number: int,
    attempts: int,
    done: int,
    errors: list[dict[str, Any]],
) -> None:
    with services.session() as session:
        session.execute(
            update(JobPart)
            .where(_this_run(job_id, number, attempts))
            .values(done=done, errors=json.dumps(errors), heartbeat_at=services.now())
        )


def _cancelled(services: Services, job_id: str) -> bool:
    with services.session() as session:
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def _part_failed(
    services: Services, queue: JobQueue, job_id: str, number: int, attempts: int, exc: Exception
) -> None:
    sentence = _error_sentence(exc)
    now = services.now()
    with services.session() as session:
        # Conditional like every write of a run: a run that lost the part changes nothing.
        if attempts < MAX_ATTEMPTS:
            delay = retry_delay(services, attempts)
            session.execute(
                update(JobPart)
                .where(_this_run(job_id, number, attempts))
                .values(
                    status="queued",
                    last_error=sentence,
                    next_attempt_at=now + timedelta(seconds=delay),
                )
            )
        else:
            delay = None
            session.execute(
                update(JobPart)
                .where(_this_run(job_id, number, attempts))
                .values(status="failed", last_error=sentence)
            )
    if delay is not None:
        _send_quietly(queue, "run_part", job_id, number, delay=delay)
    else:
        finish_job(services, job_id)


def _error_sentence(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or "no message"
    return f"{type(exc).__name__}: {message}"[:1000]


def _send_quietly(queue: JobQueue, task: str, *args: Any, delay: float | None = None) -> None:
    from passport.jobs.queue import BROKER_ERRORS

    try:
        queue.send(task, *args, delay=delay)
    except BROKER_ERRORS as exc:
        logger.warning("job queue unavailable (%s); the reaper will resend", type(exc).__name__)


def finish_job(services: Services, job_id: str) -> None:
    """Give the job its final status once every part has one (only one caller wins)."""
    now = services.now()
    with services.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status in ("succeeded", "failed", "cancelled"):
            return
        statuses = [p.status for p in job.parts]
        if any(s in ("queued", "running") for s in statuses):
            return
        if "failed" in statuses:
            failed = [p for p in job.parts if p.status == "failed"]
            status = "failed"
            error = failed[0].last_error
        elif "cancelled" in statuses or job.cancel_requested:
            status, error = "cancelled", None
        else:
            status, error = "succeeded", None
        claim(
            session,
            job,
            Job.status.in_(("queued", "running")),
            status=status,
            error=error,
            finished_at=now,
        )


def cancel_job(services: Services, job_id: str) -> bool:
    """Ask the job to stop: parts not begun are cancelled now, running ones after their current
    batch (rows already issued stay issued). Returns False when the job had already ended."""
    with services.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status in ("succeeded", "failed", "cancelled"):
            return False
        job.cancel_requested = True
        session.execute(
            update(JobPart)
            .where(JobPart.job_id == job_id, JobPart.status == "queued")
            .values(status="cancelled", payload="[]")
        )
    finish_job(services, job_id)
    return True


def retry_job(services: Services, queue: JobQueue, job_id: str) -> bool:
    """Run the failed parts of a failed job again (an admin's retry). Returns False when the job
    has no failed part. Rows issued before are skipped (idempotency keys), none twice."""
    with services.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "failed":
            return False
        failed = [p.number for p in job.parts if p.status == "failed"]
        if not failed:
            return False
        session.execute(
            update(JobPart)
            .where(JobPart.job_id == job_id, JobPart.number.in_(failed))
            .values(status="queued", attempts=0, next_attempt_at=None, heartbeat_at=services.now())
        )
        claim(session, job, Job.status == "failed", status="running", error=None, finished_at=None)
    for number in failed:
        _send_quietly(queue, "run_part", job_id, number)
    return True


# -- notifications -----------------------------------------------------------------------------


def deliver(services: Services, queue: JobQueue, ids: list[int]) -> None:
    """Send the notifications ``ids`` that are due and nobody is sending (see
    :mod:`passport.jobs.notify`)."""
    from passport.jobs.notify import deliver_notifications

    retry = deliver_notifications(services, ids)
    for notification_id, delay in retry:
        _send_quietly(queue, "deliver", [notification_id], delay=delay)


# -- the minute tick ------------------------------------------------------------------------------


def tick(services: Services, queue: JobQueue, *, now: datetime | None = None) -> None:
    """Run the schedules that are due (each claimed once per slot across all workers)."""
    from passport.jobs.schedules import run_due

    run_due(services, queue, now=now or services.now())


def reap(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Find work whose message was lost and send it again: parts queued and due (the broker was
    down, or the message was dropped), parts running past their lease (their worker was
    killed), e-mail pending and due, e-mail ``sending`` past its lease. Returns counts."""
    from passport.jobs.notify import requeue_stale

    parts: list[tuple[str, int]] = []
    failed: list[tuple[str, int]] = []
    with services.session() as session:
        stale = now - LEASE
        lost = session.execute(
            select(JobPart.job_id, JobPart.number, JobPart.attempts).where(
                JobPart.status == "running", JobPart.heartbeat_at < stale
            )
        ).all()
        for job_id, number, attempts in lost:
            # A part that took its worker down MAX_ATTEMPTS times (out of memory, a crash) fails
            # like one that raised, and shows in the failed list; else it is queued again.
            gave_up = attempts >= MAX_ATTEMPTS
            # Taken back only if it is still the same stale run (a conditional UPDATE).
            result = session.execute(
                update(JobPart)
                .where(
                    JobPart.job_id == job_id,
                    JobPart.number == number,
                    JobPart.status == "running",
                    JobPart.heartbeat_at < stale,
                )
                .values(
                    status="failed" if gave_up else "queued",
                    next_attempt_at=None,
                    heartbeat_at=now,
                    last_error=(
                        f"The worker running this part stopped {attempts} times before its end."
                        if gave_up
                        else "worker lost"
                    ),
                )
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                (failed if gave_up else parts).append((job_id, number))
        # A queued part whose message went out (heartbeat_at: when) or whose retry fell due
        # a lease ago and still has not started: its message is lost. Sent again, and
        # stamped, so a long queue gets one extra message per part and lease, not a flood.
        overdue = func.coalesce(JobPart.next_attempt_at, JobPart.heartbeat_at) < stale
        waiting = session.execute(
            select(JobPart.job_id, JobPart.number).where(JobPart.status == "queued", overdue)
        ).all()
        if waiting:
            session.execute(
                update(JobPart)
                .where(JobPart.status == "queued", overdue)
                .values(heartbeat_at=now, next_attempt_at=None)
            )
        parts.extend((job_id, number) for job_id, number in waiting)
    for job_id in dict.fromkeys(job_id for job_id, _ in failed):
        finish_job(services, job_id)
    for job_id, number in dict.fromkeys(parts):
        _send_quietly(queue, "run_part", job_id, number)
    mail = requeue_stale(services, now, MAIL_LEASE, MAX_ATTEMPTS)
    for start in range(0, len(mail), 50):
        _send_quietly(queue, "deliver", mail[start : start + 50])
    return {"parts": len(dict.fromkeys(parts)), "mail": len(mail)}


def add_parts(
    job: Job, rows: Sequence[Any], *, size: int, encode: Callable[[Any], Any], now: datetime
) -> None:
    """Split ``rows`` into queued parts of ``size`` (each a JSON list of ``encode(row)``) on
    ``job``; a job with no rows is over as it starts (``succeeded``)."""
    for number, start in enumerate(range(0, len(rows), size), start=1):
        chunk = rows[start : start + size]
        job.parts.append(
            JobPart(
                number=number,
                status="queued",
                total=len(chunk),
                payload=json.dumps([encode(row) for row in chunk]),
                heartbeat_at=now,
            )
        )
    if not job.parts:
        job.status, job.started_at, job.finished_at = "succeeded", now, now
