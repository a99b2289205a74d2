"""The job queue: Huey, on Redis when ``PASSPORT_REDIS_URL`` is set, else on a SQLite file in the
instance folder — the same tasks, the same worker, the same code path (docs/decisions.md says
why Huey).

The queue carries only small messages ("run part 3 of job X", "send notifications 41, 42");
what the work is and how far it got lives in the database (:mod:`passport.jobs.models`).
Use cases never enqueue directly: they write their rows and call :func:`after_commit`, and the
message goes out only once the transaction has committed — a rolled-back request sends
nothing, and a message never names a row a worker cannot see yet. A message lost on the way
(the broker was down at commit, a worker was killed holding it) is found again by the reaper
schedule from the rows themselves.

One :class:`JobQueue` per :class:`~passport.services.Services`, made by :func:`queue_for`
(kept in ``services.extensions``): it hooks the services' session factory so every commit
hands its deferred messages over.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.exceptions import HueyException
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from passport.files import QUEUE_FILE
from passport.services import Services

__all__ = ["BROKER_ERRORS", "JobQueue", "after_commit", "queue_for"]

logger = logging.getLogger(__name__)

_DEFERRED = "passport.jobs.after_commit"

#: What a broker that is down or unreachable raises (Redis, the SQLite file, the network).
BROKER_ERRORS = (RedisError, sqlite3.Error, OSError, HueyException)

#: Mail goes before bulk parts: a password-reset mail must not wait behind 10,000 badges.
PRIORITY_URGENT_MAIL = 20
PRIORITY_PARTS = 0
#: Mail that can wait (a badge issued, a reminder) goes after bulk parts: a bulk job's own
#: badge mails then follow the job instead of halving its speed on a single worker.
PRIORITY_MAIL = -10


def after_commit(session: Session, task: str, *args: Any) -> None:
    """Send ``task(*args)`` to the queue once ``session`` commits (never if it rolls back).

    ``task`` is one of :attr:`JobQueue.TASKS`. Without a queue hooked to the session's factory
    (a script that made its own engine) nothing is sent, and the reaper finds the work later.
    """
    session.info.setdefault(_DEFERRED, []).append((task, args))


def make_huey(services: Services) -> Huey:
    """The Huey instance the settings describe (no results are stored: the database has them)."""
    settings = services.settings
    if settings.redis_url:
        # The priority flavour: plain RedisHuey refuses any task with a priority (mail has one)
        # with NotImplementedError. Needs Redis >= 5.0 (a sorted set, BZPOPMIN).
        return PriorityRedisHuey(
            settings.queue_name, url=settings.redis_url, results=False, utc=True
        )
    path = settings.instance_path / QUEUE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(path), results=False, utc=True)


class JobQueue:
    """The Huey instance with our tasks registered on it, bound to one :class:`Services`."""

    #: Task names as they travel in messages: stable across releases and processes.
    TASKS = ("run_part", "deliver", "deliver_urgent", "tick", "wallet_sign")

    def __init__(self, services: Services, huey: Huey | None = None) -> None:
        self.services = services
        self.huey = huey if huey is not None else make_huey(services)
        self._tasks: dict[str, TaskWrapper] = {}
        self._register()
        event.listen(services.sessions, "after_commit", self._flush_deferred)
        event.listen(services.sessions, "after_rollback", self._drop_deferred)

    # -- tasks ----------------------------------------------------------------------------
    def _register(self) -> None:
        # Imported here: the handlers use other domains' use cases, which import this module.
        from passport.jobs import runner

        services = self.services

        def run_part(job_id: str, number: int) -> None:
            runner.run_part(services, self, job_id, number)

        def deliver(ids: list[int]) -> None:
            runner.deliver(services, self, ids)

        def tick() -> None:
            runner.tick(services, self)

        def wallet_sign(transaction_id: int) -> None:
            # A deferred OpenID4VCI credential (PASSPORT_OID4VCI_DEFERRED): a wallet polls.
            from passport.wallets.oid4vci import sign_deferred

            sign_deferred(services, transaction_id)

        huey = self.huey
        self._tasks["wallet_sign"] = huey.task(
            name="passport.wallet_sign", priority=PRIORITY_URGENT_MAIL
        )(wallet_sign)
        self._tasks["run_part"] = huey.task(name="passport.run_part", priority=PRIORITY_PARTS)(
            run_part
        )
        self._tasks["deliver"] = huey.task(name="passport.deliver", priority=PRIORITY_MAIL)(deliver)
        # The same work for mail a person is waiting for (a password reset, an invitation).
        self._tasks["deliver_urgent"] = huey.task(
            name="passport.deliver_urgent", priority=PRIORITY_URGENT_MAIL
        )(deliver)
        # Every worker's scheduler sends a tick a minute; the schedules it runs are claimed in
        # the database (passport.jobs.schedules), so each runs once per slot, never twice.
        self._tasks["tick"] = huey.periodic_task(crontab(), name="passport.tick")(tick)

    def send(self, task: str, *args: Any, delay: float | None = None) -> None:
        """Put ``task(*args)`` on the queue now, or after ``delay`` seconds."""
        wrapper = self._tasks[task]
        if delay:
            wrapper.schedule(args=args, delay=delay)
        else:
            wrapper(*args)

    # -- after commit -----------------------------------------------------------------------
    def _flush_deferred(self, session: Session) -> None:
        deferred = session.info.pop(_DEFERRED, None)
        if not deferred:
            return
        for task, args in _merged(deferred):
            try:
                self.send(task, *args)
            except BROKER_ERRORS as exc:
                # The rows are committed; the broker being down must not turn a done request
                # into an error. The reaper schedule finds the pending work and sends it again.
                logger.warning(
                    "job queue unavailable (%s); %s will be sent by the reaper",
                    type(exc).__name__,
                    task,
                )

    def _drop_deferred(self, session: Session) -> None:
        # A rollback of the outer transaction drops everything deferred; a savepoint's
        # rollback may leave a message naming a row that is gone, which its handler ignores.
        session.info.pop(_DEFERRED, None)

    # -- running tasks in this process --------------------------------------------------------
    def run_pending(self, *, now: datetime | None = None, limit: int = 100_000) -> int:
        """Run every message that is due, in this process, the way a worker would (tests and
        ``passport worker --once``). Returns how many ran."""
        ran = 0
        # Huey keeps naive UTC times (utc=True).
        when = (now or self.services.now()).astimezone(UTC).replace(tzinfo=None)
        for task in self.huey.read_schedule(when):
            self.huey.enqueue(task)
        while ran < limit:
            task = self.huey.dequeue()
            if task is None:
                return ran
            if self.huey.ready_to_run(task, when):
                ran += 1
            self.huey.execute(task, when)  # one not due yet goes to the schedule, as in a worker
        return ran

    def pending_count(self) -> int:
        return int(self.huey.pending_count())

    def flush(self) -> None:
        """Drop every message (tests; ``passport worker --flush`` after a broker mix-up)."""
        self.huey.flush()


def _merged(deferred: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, tuple[Any, ...]]]:
    """One ``deliver`` message per 50 notifications instead of one each (one SMTP connection
    for many messages); everything else as it was deferred."""
    out: list[tuple[str, tuple[Any, ...]]] = []
    ids: dict[str, list[int]] = {"deliver_urgent": [], "deliver": []}
    for task, args in deferred:
        if task in ids:
            ids[task].extend(args[0])
        else:
            out.append((task, args))
    for task, group in ids.items():
        for start in range(0, len(group), 50):
            out.append((task, (group[start : start + 50],)))
    return out


def queue_for(
    services: Services, *, factory: Callable[[Services], JobQueue] = JobQueue
) -> JobQueue:
    """The queue of ``services`` (made once, kept in ``services.extensions``)."""
    queue = services.extensions.get("jobs.queue")
    if queue is None:
        queue = factory(services)
        services.extensions["jobs.queue"] = queue
    assert isinstance(queue, JobQueue)
    return queue
