"""The queue on Redis takes every task the app sends, mail (which has a priority) included.

Plain ``RedisHuey`` refuses a task with a priority (``NotImplementedError``), so every e-mail
failed to enqueue on Redis; the worker crash test's Redis variant found it. Here, a message of
each task goes onto a Redis queue of the test's own name, comes off mail first, and runs.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
import redis

from passport.jobs.queue import PRIORITY_MAIL, PRIORITY_PARTS, PRIORITY_URGENT_MAIL, JobQueue
from passport.services import Services
from passport.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_queue(settings: Settings, services: Services) -> Iterator[JobQueue]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis on loopback: {exc}")
    finally:
        client.close()
    on_redis = dataclasses.replace(
        settings, redis_url=REDIS_URL, queue_name=f"test-{uuid.uuid4().hex[:12]}"
    )
    redis_services = Services.from_settings(on_redis)
    queue = JobQueue(redis_services)
    try:
        yield queue
    finally:
        queue.flush()
        redis_services.close()


def test_parts_and_mail_go_onto_redis_in_priority_order(redis_queue: JobQueue) -> None:
    assert PRIORITY_URGENT_MAIL > PRIORITY_PARTS > PRIORITY_MAIL
    redis_queue.send("deliver", [3])
    redis_queue.send("run_part", "no-such-job", 1)
    redis_queue.send("deliver_urgent", [1, 2])  # raised NotImplementedError on plain RedisHuey
    assert redis_queue.pending_count() == 3
    order = [redis_queue.huey.dequeue() for _ in range(3)]
    assert [task.name.rsplit(".", 1)[-1] for task in order if task is not None] == [
        "deliver_urgent",
        "run_part",
        "deliver",
    ]
    for task in order:
        redis_queue.huey.enqueue(task)
    # Each handler finds nothing to do (no such job, no such notifications) and returns.
    assert redis_queue.run_pending() == 3
    assert redis_queue.pending_count() == 0
