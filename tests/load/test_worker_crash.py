"""A ``passport worker`` killed mid-bulk loses no row and sends no e-mail twice (issue #18).

A bulk job of 600 rows (three parts) is started through the use case; one worker process takes
the first part and is killed with SIGKILL (no clean-up of any kind) once a batch has committed
and while the next is in flight. The database must then hold only whole rows. The reaper
(:func:`passport.jobs.runner.reap`, run with a ``now`` past the lease rather than waiting two
minutes) queues the lost part again; two fresh workers finish the job. Then every row is issued
exactly once, every badge's e-mail ("badge_issued", written with the badge) reached the SMTP
server on loopback exactly once, and the progress adds up.

Variants: SQLite database with the SQLite queue (what ``make run`` uses), and PostgreSQL with
Redis (production's pair).
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from passport.jobs.queue import queue_for
from passport.jobs.runner import LEASE, MAIL_LEASE, reap
from tests.load import jobs
from tests.load.harness import passport, service_env, throwaway_database

pytestmark = pytest.mark.slow

ROWS = 600  # three parts of 200 (passport.jobs.bulk.PART_ROWS), batches of 100
LEARNERS = 60


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(database URL, Redis URL or None for the SQLite queue in the instance folder)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'passport.sqlite3'}", None
        return
    redis_url = jobs.redis_or_skip()
    with throwaway_database() as url:
        yield url, redis_url


def test_a_worker_killed_mid_bulk_loses_no_row_and_sends_no_mail_twice(
    tmp_path: Path, backing: tuple[str, str | None]
) -> None:
    database_url, redis_url = backing
    with jobs.smtp_inbox() as (inbox, smtp_port):
        env = service_env(tmp_path / "instance", database_url, 8000, workers=1)
        env["PASSPORT_MAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        env["PASSPORT_QUEUE_NAME"] = f"crash-{uuid.uuid4().hex[:12]}"
        env["PASSPORT_JOB_RETRY_SECONDS"] = "0.2"
        if redis_url:
            env["PASSPORT_REDIS_URL"] = redis_url
        passport(env, "init")
        workers = []
        with jobs.services_for(env) as services:
            queue = queue_for(services)
            try:
                emails = jobs.add_learners(services, LEARNERS, "crash.example")
                job_id = jobs.start_job(services, jobs.bulk_csv(ROWS, emails))
                assert queue.pending_count() == 3

                # One worker, one thread: it takes part 1 and issues it batch by batch (its
                # badges' e-mail waits behind the part, so no mail is being sent when it dies).
                first = jobs.start_worker(env, tmp_path / "worker-killed.log")
                workers.append(first)
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and first.poll() is None:
                    issued = jobs.counts(database_url)["credentials"]
                    if 0 < issued < 200:
                        break
                    time.sleep(0.05)
                assert first.poll() is None, (tmp_path / "worker-killed.log").read_text()
                # At once: the part's next batch is being issued (a batch takes about a second).
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)

                after_kill = jobs.counts(database_url)
                assert 0 < after_kill["credentials"] < 200, after_kill
                # Only whole rows: every assessment has its badge, every status entry its
                # credential, and the e-mail of every badge is written with it.
                assert (
                    after_kill["assessments"] == after_kill["linked"] == after_kill["credentials"]
                )
                assert after_kill["orphan_entries"] == 0
                assert after_kill["entries"] == after_kill["used"]
                view = jobs.progress(services, job_id)
                assert view["status"] == "running" and view["done"] < ROWS, view

                # The reaper, a lease later: part 1 is queued again (and any lost e-mail).
                later = services.now() + max(LEASE, MAIL_LEASE) + timedelta(seconds=1)
                reaped = reap(services, queue, later)
                assert reaped["parts"] >= 1, reaped

                workers += [jobs.start_worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
                view = jobs.wait_for_job(services, job_id, within=240, workers=workers[1:])
                assert view["status"] == "succeeded", view
                assert (view["done"], view["total"], view["errors"]) == (ROWS, ROWS, []), view
                # Part 1 ran twice: its rows issued before the kill were skipped the second time.
                assert view["result"] == {
                    "issued": ROWS - after_kill["credentials"],
                    "skipped": after_kill["credentials"],
                    "belowRequired": 0,
                }, view

                final = jobs.counts(database_url)
                assert {k: final[k] for k in ("credentials", "assessments", "linked", "keys")} == {
                    "credentials": ROWS,
                    "assessments": ROWS,
                    "linked": ROWS,
                    "keys": ROWS,
                }
                assert final["orphan_entries"] == 0
                assert final["entries"] == final["used"] == ROWS  # one purpose: revocation

                # E-mail: one "badge_issued" notification per badge (issuance writes it: the
                # contract of passport.jobs.notify), each delivered once to its learner.
                assert final["badge_mail"] == final["badge_mail_keys"] == ROWS, final
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if jobs.mail_settled(database_url) == {"sent": ROWS}:
                        break
                    time.sleep(0.25)
                assert jobs.mail_settled(database_url) == {"sent": ROWS}
                time.sleep(1.0)  # a second copy would have arrived by now
                mailed = inbox.badge_mail()
                assert len(mailed) == ROWS
                assert set(mailed.values()) == {1}, [k for k, n in mailed.items() if n > 1]
                assert {to for to, _ in mailed} == set(emails)
            finally:
                for worker in workers:
                    jobs.stop(worker)
                queue.flush()


def test_sigterm_lets_the_part_under_way_finish(tmp_path: Path) -> None:
    """SIGTERM (systemd, Docker, ``passport serve``) is the worker's graceful stop: the part it
    is issuing runs to its end, the next is left queued for another worker, and it exits 0."""
    database_url = f"sqlite:///{tmp_path / 'instance' / 'passport.sqlite3'}"
    env = service_env(tmp_path / "instance", database_url, 8000, workers=1)
    env["PASSPORT_QUEUE_NAME"] = f"term-{uuid.uuid4().hex[:12]}"
    passport(env, "init")
    log = tmp_path / "worker.log"
    with jobs.services_for(env) as services:
        emails = jobs.add_learners(services, 40, "term.example")
        job_id = jobs.start_job(services, jobs.bulk_csv(400, emails))  # two parts of 200
        worker = jobs.start_worker(env, log)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and worker.poll() is None:
                if 0 < jobs.counts(database_url)["credentials"] < 150:
                    break
                time.sleep(0.05)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=120) == 0, log.read_text()
        finally:
            jobs.stop(worker)
        # The first part finished after the signal; the second was never begun.
        assert jobs.counts(database_url)["credentials"] == 200, log.read_text()
        view = jobs.progress(services, job_id)
        assert (view["status"], view["done"]) == ("running", 200), view
        # Another worker finishes the job without the reaper: the part's message is waiting.
        passport(env, "worker", "--once")
        view = jobs.progress(services, job_id)
        assert (view["status"], view["done"], view["result"]["issued"]) == ("succeeded", 400, 400)
