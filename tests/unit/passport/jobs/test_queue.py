"""The queue itself: the same tasks over Redis and over the SQLite file, messages only after the
commit, and schedules that run once per slot however many workers tick."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from passport.accounts.users import create_user
from passport.credentials.models import IssuedCredential
from passport.jobs.bulk import start_bulk
from passport.jobs.models import Notification, ScheduleRun
from passport.jobs.queue import JobQueue, after_commit, queue_for
from passport.jobs.schedules import Periodic, run_due, slot_for
from passport.services import Services

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, services: Services) -> Iterator[JobQueue]:
    if request.param == "sqlite":
        yield queue_for(services)
        return
    if not _redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # Its own queue name: other test runs share this Redis.
    settings = services.settings.with_overrides(
        redis_url=REDIS_URL, queue_name=f"test-{uuid.uuid4().hex}"
    )
    on_redis = Services.from_settings(settings)
    queue = queue_for(on_redis)
    try:
        yield queue
    finally:
        queue.flush()
        on_redis.close()


def test_a_bulk_job_runs_the_same_over_either_broker(queue: JobQueue) -> None:
    services = queue.services
    with services.session() as session:
        for n in range(3):
            create_user(
                session, email=f"q{n}@jobs.example", name="Q", role="learner", password=None
            )
    data = "email,achievement,level\n" + "".join(
        f"q{n}@jobs.example,incident-response-l2,2\n" for n in range(3)
    )
    with services.session() as session:
        start_bulk(
            session,
            services,
            data.encode(),
            assessor="a@jobs.example",
            created_by="a@jobs.example",
            proof_format="jwt",
            now=services.now(),
        )
    assert queue.pending_count() == 1
    # The part, then one message for the three badges' e-mail (one batch, one transaction).
    assert queue.run_pending() == 2
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 3
        sent = select(func.count()).where(Notification.status == "sent")
        assert session.scalar(sent.select_from(Notification)) == 3


def test_a_delayed_message_waits_for_its_time(queue: JobQueue) -> None:
    queue.send("tick", delay=60)
    assert queue.run_pending() == 0
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert queue.run_pending(now=later) == 1


def test_messages_leave_only_after_the_commit(queue: JobQueue) -> None:
    services = queue.services
    with services.sessions() as session:
        with session.begin():
            after_commit(session, "tick")
            assert queue.pending_count() == 0  # not yet committed
        assert queue.pending_count() == 1
        session.begin()
        after_commit(session, "tick")
        session.rollback()
    assert queue.pending_count() == 1  # the rolled-back one never left


@pytest.mark.parametrize(
    ("period", "offset", "now", "slot"),
    [
        ("minute", 0, datetime(2026, 12, 6, 7, 5, 30, tzinfo=UTC), "2026-12-06T07:05"),
        ("hour", 10, datetime(2026, 12, 6, 7, 5, tzinfo=UTC), None),
        ("hour", 10, datetime(2026, 12, 6, 7, 10, tzinfo=UTC), "2026-12-06T07"),
        ("day", 3, datetime(2026, 12, 6, 2, 59, tzinfo=UTC), None),
        ("day", 3, datetime(2026, 12, 6, 3, 0, tzinfo=UTC), "2026-12-06"),
    ],
)
def test_slots(period: str, offset: int, now: datetime, slot: str | None) -> None:
    assert slot_for(period, now, offset) == slot


def test_a_schedule_runs_once_per_slot_across_workers(services: Services) -> None:
    queue = queue_for(services)
    runs: list[datetime] = []
    lock = threading.Lock()

    def count(services: Services, queue: JobQueue, now: datetime) -> None:
        with lock:
            runs.append(now)

    schedule = (Periodic("count", "hour", count),)
    now = datetime(2026, 12, 6, 9, 15, tzinfo=UTC)
    # Four "workers" tick in the same minute, at the same moment.
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        run_due(services, queue, now=now, schedules=schedule)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 1
    run_due(services, queue, now=now + timedelta(minutes=30), schedules=schedule)
    assert len(runs) == 1  # same hour
    run_due(services, queue, now=now + timedelta(hours=1), schedules=schedule)
    assert len(runs) == 2


def test_a_failing_schedule_records_its_error_and_the_rest_still_run(
    services: Services,
) -> None:
    queue = queue_for(services)
    ran: list[str] = []

    def broken(services: Services, queue: JobQueue, now: datetime) -> None:
        raise OSError("the status host is down")

    def fine(services: Services, queue: JobQueue, now: datetime) -> None:
        ran.append("fine")

    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    names = run_due(
        services,
        queue,
        now=now,
        schedules=(Periodic("broken", "minute", broken), Periodic("fine", "minute", fine)),
    )
    assert names == ["broken", "fine"] and ran == ["fine"]
    with services.session() as session:
        row = session.get(ScheduleRun, ("broken", "2026-12-06T09:00"))
        assert row is not None and row.finished_at is not None
        assert row.error == "OSError: the status host is down"


def test_urgent_mail_then_parts_then_other_mail(queue: JobQueue) -> None:
    # Plain RedisHuey refused any task with a priority (NotImplementedError), so no mail left
    # on Redis; the queue uses PriorityRedisHuey (Redis >= 5: a sorted set, BZPOPMIN).
    queue.send("deliver", [3])
    queue.send("run_part", "no-such-job", 1)
    queue.send("deliver_urgent", [1])
    order = [queue.huey.dequeue() for _ in range(3)]
    assert [task.name.rsplit(".", 1)[-1] for task in order if task is not None] == [
        "deliver_urgent",
        "run_part",
        "deliver",
    ]
    for task in order:
        queue.huey.enqueue(task)
    # Each handler finds nothing to do (no such job, no such notifications) and returns.
    assert queue.run_pending() == 3
    assert queue.pending_count() == 0
