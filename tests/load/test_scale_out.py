"""Past one machine (issue #18, part 5): two gunicorn instances and two ``passport worker``
processes sharing one PostgreSQL database and one Redis, all on loopback.

A bulk job of 2,000 rows runs through the queue while 500 ``POST /api/v1/verify`` calls are
spread over both web instances. No call may end in a 5xx, every row must be issued exactly once
(idempotency keys = assessments = credentials, status entries whole), and the job's progress
must read the same from either instance while it runs and once it is done.

The job is started by :func:`tests.load.jobs.start_job` (the use case behind
``POST /api/v1/bulk-issuances``) and its progress read by :func:`_progress`; with the jobs API
in place, :data:`PROGRESS_FROM_API` switches the reads to ``GET /api/v1/jobs/<id>`` on each
instance.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from passport.jobs.queue import queue_for
from passport.services import Services
from tests.load import harness, jobs

pytestmark = pytest.mark.slow

ROWS = 2_000
LEARNERS = 200
VERIFY_CALLS = 500
VERIFY_THREADS = 6
#: The calls are paced so they are answered across the job's run, not in a burst at its start.
VERIFY_PER_SECOND = 60
#: Read progress through ``GET /api/v1/jobs/<id>`` on each instance (True) or through the use
#: case behind it on the shared database (False).
PROGRESS_FROM_API = False


def _progress(services: Services, port: int, job_id: str, token: str) -> dict[str, Any]:
    """The job's progress as the web instance on ``port`` would report it."""
    if PROGRESS_FROM_API:
        answer = harness.call(port, "GET", f"/api/v1/jobs/{job_id}", token=token)
        assert answer.status == 200, answer.body
        return dict(answer.body)
    return jobs.progress(services, job_id)


def test_two_web_instances_and_two_workers_share_one_database_and_redis(
    tmp_path: Path,
) -> None:
    harness.require_gunicorn()
    redis_url = jobs.redis_or_skip()
    with harness.throwaway_database() as database_url, ExitStack() as stack:
        ports = [harness.free_port(), harness.free_port()]
        env = harness.service_env(tmp_path / "instance", database_url, ports[0], workers=2)
        env["PASSPORT_REDIS_URL"] = redis_url
        env["PASSPORT_QUEUE_NAME"] = f"scale-{uuid.uuid4().hex[:12]}"
        token = harness.prepared_instance(env)
        # Same public URL, database, Redis and secrets; a port each.
        envs = [env, {**env, "PORT": str(ports[1])}]
        servers = [
            stack.enter_context(harness.gunicorn(e, tmp_path / f"gunicorn-{n}.log"))
            for n, e in enumerate(envs)
        ]
        services = stack.enter_context(jobs.services_for(env))
        stack.callback(queue_for(services).flush)
        workers = [jobs.start_worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
        for worker in workers:
            stack.callback(jobs.stop, worker)

        first = harness.call(
            ports[0],
            "POST",
            "/api/v1/credentials",
            {"achievement": harness.ACHIEVEMENT, "recipient": "sample@load.example"},
            token=token,
        )
        assert first.status == 201, first.body
        sample = first.body["credential"]

        emails = jobs.add_learners(services, LEARNERS, "scale.example")
        started = time.monotonic()
        job_id = jobs.start_job(services, jobs.bulk_csv(ROWS, emails))

        statuses: Counter[int] = Counter()
        unverified: list[Any] = []
        lock = threading.Lock()

        def verify(n: int) -> None:
            time.sleep(max(0.0, started + n / VERIFY_PER_SECOND - time.monotonic()))
            answer = harness.call(ports[n % 2], "POST", "/api/v1/verify", sample)
            with lock:
                statuses[answer.status] += 1
                if answer.status != 200 or answer.body.get("verified") is not True:
                    unverified.append(answer.body)

        seen_running: list[dict[str, Any]] = []
        with ThreadPoolExecutor(VERIFY_THREADS) as pool:
            calls = [pool.submit(verify, n) for n in range(VERIFY_CALLS)]
            # Meanwhile, the progress from both instances: the same job, counting up.
            while not all(c.done() for c in calls):
                views = [_progress(services, port, job_id, token) for port in ports]
                if all(v["status"] == "running" for v in views):
                    seen_running.extend(views)
                time.sleep(0.5)
            for call in calls:
                call.result()  # a connection error fails the test here
        verify_seconds = time.monotonic() - started

        assert statuses == {200: VERIFY_CALLS}, (statuses, unverified[:2])
        assert unverified == []
        assert seen_running, "the job was not seen running while the verify calls were answered"
        for view in seen_running:
            assert view["id"] == job_id and view["total"] == ROWS
            assert 0 <= view["done"] <= ROWS

        view = jobs.wait_for_job(services, job_id, within=240, workers=workers)
        job_seconds = time.monotonic() - started
        finals = [_progress(services, port, job_id, token) for port in ports]
        assert finals[0] == finals[1]
        assert view["status"] == "succeeded", view
        assert (view["done"], view["total"], view["errors"]) == (ROWS, ROWS, [])
        assert view["result"] == {"issued": ROWS, "skipped": 0, "belowRequired": 0}

        counts = jobs.counts(database_url)
        assert {k: counts[k] for k in ("assessments", "linked", "keys")} == {
            "assessments": ROWS,
            "linked": ROWS,
            "keys": ROWS,
        }
        assert counts["credentials"] == ROWS + 1  # and the sample
        assert counts["orphan_entries"] == 0
        assert counts["entries"] == counts["used"] == ROWS + 1
        state = harness.stored_state(database_url)
        assert state["duplicate_slots"] == []
        for server in servers:
            assert server.process.poll() is None, server.log()
        assert all(w.poll() is None for w in workers)
        print(
            f"\n{ROWS} rows issued in {job_seconds:.1f} s by two workers "
            f"({ROWS / job_seconds:.0f} rows/s); {VERIFY_CALLS} verify calls in "
            f"{verify_seconds:.1f} s over two web instances"
        )
