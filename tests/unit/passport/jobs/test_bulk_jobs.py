"""Bulk issuance as a job: parts on the queue, progress, cancel, retry with backoff, the reaper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from passport.accounts.users import create_user
from passport.assessments.models import Assessment
from passport.credentials.models import IssuedCredential
from passport.jobs import bulk as bulk_jobs
from passport.jobs.admin import get_job
from passport.jobs.bulk import job_view, start_bulk
from passport.jobs.models import Job, JobPart, Notification
from passport.jobs.queue import JobQueue, after_commit, queue_for
from passport.jobs.runner import LEASE, MAX_ATTEMPTS, cancel_job, reap, retry_job
from passport.services import Services

HEADER = "email,achievement,level\n"
ACHIEVEMENTS = ("incident-response-l2", "observability-l2", "ci-cd-l2")


@pytest.fixture
def queue(services: Services) -> JobQueue:
    queue = queue_for(services)
    queue.flush()
    return queue


def _csv(learners: int, *, bad: tuple[int, ...] = ()) -> bytes:
    lines = [HEADER]
    for n in range(learners * len(ACHIEVEMENTS)):
        email = f"l{n % learners}@jobs.example"
        if n in bad:
            email = f"nobody{n}@jobs.example"
        lines.append(f"{email},{ACHIEVEMENTS[n // learners]},2\n")
    return "".join(lines).encode()


@pytest.fixture
def learners(services: Services) -> int:
    with services.session() as session:
        for n in range(40):
            create_user(
                session, email=f"l{n}@jobs.example", name=f"L{n}", role="learner", password=None
            )
    return 40


def _start(services: Services, data: bytes) -> str:
    with services.session() as session:
        job = start_bulk(
            session,
            services,
            data,
            assessor="assessor@jobs.example",
            created_by="admin@jobs.example",
            proof_format="jwt",
            now=services.now(),
        )
        return job.id


def _view(services: Services, job_id: str) -> dict:  # type: ignore[type-arg]
    with services.session() as session:
        job = get_job(session, job_id)
        assert job is not None
        return dict(job_view(session, job, now=services.now()))


def _count(services: Services, model: type) -> int:
    with services.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_job_issues_every_good_row_in_parts_and_reports_bad_ones(
    services: Services, queue: JobQueue, learners: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_jobs, "PART_ROWS", 50)
    job_id = _start(services, _csv(learners, bad=(3, 77)))
    view = _view(services, job_id)
    assert (view["status"], view["done"], view["total"]) == ("queued", 0, 118)
    assert [(e["row"], e["code"]) for e in view["errors"]] == [
        (5, "unknown_learner"),
        (79, "unknown_learner"),
    ]
    assert queue.pending_count() == 3  # 118 rows in parts of 50
    # three parts, then the "your badge is here" mails each part committed (one message per part)
    assert queue.run_pending() == 3 + 3
    assert _count(services, Notification) == 118
    view = _view(services, job_id)
    assert (view["status"], view["done"], view["total"]) == ("succeeded", 118, 118)
    assert view["result"] == {"issued": 118, "skipped": 0, "belowRequired": 0}
    assert view["startedAt"] and view["finishedAt"]
    assert _count(services, IssuedCredential) == 118
    # The same file again: a new job that issues nothing twice.
    again = _start(services, _csv(learners, bad=(3, 77)))
    queue.run_pending()
    assert _view(services, again)["result"] == {"issued": 0, "skipped": 118, "belowRequired": 0}
    assert _count(services, IssuedCredential) == 118


def test_nothing_is_sent_when_the_transaction_rolls_back(
    services: Services, queue: JobQueue, learners: int
) -> None:
    def failing_request() -> None:
        with services.session() as session:
            start_bulk(
                session,
                services,
                _csv(2),
                assessor="a@jobs.example",
                created_by="a@jobs.example",
                proof_format="jwt",
                now=services.now(),
            )
            raise RuntimeError("the request failed after the job was written")

    with pytest.raises(RuntimeError):
        failing_request()
    assert queue.pending_count() == 0
    assert _count(services, Job) == 0


def test_a_cancelled_job_stops_and_keeps_what_it_issued(
    services: Services, queue: JobQueue, learners: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_jobs, "PART_ROWS", 30)
    job_id = _start(services, _csv(learners))
    queue.huey.execute(queue.huey.dequeue())  # one part of four runs
    assert cancel_job(services, job_id)
    queue.run_pending()  # the other messages find their parts cancelled
    view = _view(services, job_id)
    assert (view["status"], view["done"]) == ("cancelled", 30)
    assert _count(services, IssuedCredential) == 30
    assert not cancel_job(services, job_id)  # over already


def test_a_failing_part_is_retried_with_backoff_then_fails_and_can_be_retried(
    services: Services, queue: JobQueue, learners: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = bulk_jobs.run_part

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise OSError("the disk is full")

    monkeypatch.setattr(bulk_jobs, "run_part", broken)
    job_id = _start(services, _csv(2))
    now = services.now()
    queue.run_pending()
    assert len(calls) == 1  # the retry waits for its backoff
    with services.session() as session:
        part = session.get(JobPart, (job_id, 1))
        assert part is not None and part.status == "queued"
        assert part.next_attempt_at is not None
        first_wait = (part.next_attempt_at - now).total_seconds()
    assert first_wait == pytest.approx(services.settings.job_retry_seconds, abs=5)
    # Each retry falls due after its backoff: bring the stored due time forward instead of
    # waiting, and send the message the delayed one would have been.
    for _ in range(MAX_ATTEMPTS - 1):
        with services.session() as session:
            session.execute(
                JobPart.__table__.update().values(next_attempt_at=None)  # type: ignore[attr-defined]
            )
        queue.send("run_part", job_id, 1)
        queue.run_pending()
    assert len(calls) == MAX_ATTEMPTS
    view = _view(services, job_id)
    assert view["status"] == "failed"
    assert "the disk is full" in view["error"]
    assert _count(services, IssuedCredential) == 0
    monkeypatch.setattr(bulk_jobs, "run_part", real)
    assert retry_job(services, queue, job_id)
    queue.run_pending()
    assert _view(services, job_id)["status"] == "succeeded"
    assert _count(services, IssuedCredential) == 6


def test_the_reaper_resends_a_part_whose_worker_died(
    services: Services, queue: JobQueue, learners: int
) -> None:
    job_id = _start(services, _csv(2))
    message = queue.huey.dequeue()  # a worker took the message …
    assert message is not None
    with services.session() as session:  # … marked the part running, and was killed
        session.execute(
            JobPart.__table__.update().values(  # type: ignore[attr-defined]
                status="running", heartbeat_at=services.now()
            )
        )
    assert reap(services, queue, services.now()) == {"parts": 0, "mail": 0}  # lease not over
    assert reap(services, queue, services.now() + LEASE + timedelta(seconds=1))["parts"] == 1
    queue.run_pending()
    assert _view(services, job_id)["status"] == "succeeded"
    with services.session() as session:
        keys = session.scalar(select(func.count(func.distinct(Assessment.idempotency_key))))
    assert keys == _count(services, Assessment) == 6


def test_after_commit_without_a_queue_leaves_the_work_for_the_reaper(
    services: Services, queue: JobQueue
) -> None:
    with services.session() as session:
        after_commit(session, "tick")
    assert queue.pending_count() == 1


def test_a_part_that_keeps_killing_its_worker_ends_in_the_failed_list(
    services: Services, queue: JobQueue, learners: int
) -> None:
    job_id = _start(services, _csv(2))
    queue.flush()
    with services.session() as session:  # its worker died holding it, MAX_ATTEMPTS times
        session.execute(
            JobPart.__table__.update().values(  # type: ignore[attr-defined]
                status="running", heartbeat_at=services.now(), attempts=MAX_ATTEMPTS
            )
        )
    later = services.now() + LEASE + timedelta(seconds=1)
    assert reap(services, queue, later)["parts"] == 0
    view = _view(services, job_id)
    assert view["status"] == "failed"
    assert "stopped" in view["error"]
    assert queue.pending_count() == 0


def test_a_run_that_lost_its_part_to_the_reaper_changes_nothing(
    services: Services, queue: JobQueue, learners: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker slower than the lease: the reaper gives its part to another run meanwhile."""
    job_id = _start(services, _csv(2))
    real = bulk_jobs.run_part

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        with services.session() as session:  # the reaper took the part back, a run took it
            session.execute(
                JobPart.__table__.update().values(attempts=JobPart.attempts + 1)  # type: ignore[attr-defined]
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk_jobs, "run_part", slow)
    queue.run_pending()
    with services.session() as session:
        part = session.get(JobPart, (job_id, 1))
        assert part is not None
        # The slow run's end did not mark the part done (the newer run owns it).
        assert (part.status, part.attempts) == ("running", 2)
    assert _view(services, job_id)["status"] == "running"
