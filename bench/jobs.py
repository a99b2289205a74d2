"""Bulk issuance through the job queue, beside the same rows issued in this process.

One throwaway instance — PostgreSQL + Redis when both answer on loopback (production's pair),
else a SQLite file and the SQLite queue (what ``make run`` uses); the bench prints which — gets
learners and, for each measurement, a CSV of new rows (no row is ever skipped as already
issued). Three ways to issue it, in interleaved rounds so all three see the same machine:

- in-process: preview and :func:`passport.assessments.bulk.commit_rows` here, as ``passport
  bulk`` does (the baseline);
- one worker: :func:`passport.jobs.bulk.start_bulk`, then one ``passport worker`` process
  (started and ready beforehand) runs the parts; timed from the upload to the job's end;
- two workers: the same with two worker processes.

Targets (issue #18): one worker ≥ 0.9× in-process; two workers ≥ 1.5× one worker (2 cores).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from passport.accounts.models import User
from passport.assessments.bulk import DEFAULT_BATCH_SIZE, commit_rows, preview_csv
from passport.credentials.issuing import DEFAULT_FORMAT
from passport.instance.setup import initialise
from passport.jobs import bulk as bulk_jobs
from passport.jobs.models import Job
from passport.jobs.queue import queue_for
from passport.services import Services
from passport.settings import Settings

ACHIEVEMENTS = ("incident-response-l2", "observability-l2", "ci-cd-l2")
REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LEARNERS = 200


def run(*, rows: int, rounds: int, postgres: str | None, redis_url: str = REDIS_URL) -> None:
    """Print rows/s of the three ways and the two ratios (medians over ``rounds``)."""
    with _backing(postgres, redis_url) as (database_url, broker_url, label):
        _run(rows=rows, rounds=rounds, database_url=database_url, redis_url=broker_url, label=label)


@contextlib.contextmanager
def _backing(postgres: str | None, redis_url: str) -> Iterator[tuple[str | None, str | None, str]]:
    """(database URL or None for SQLite, Redis URL or None for the SQLite queue, a label)."""
    # Production's pair when this machine has it: the PostgreSQL named, else the one CI uses.
    server = postgres or os.environ.get("PASSPORT_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    if _redis_answers(redis_url) and _postgres_answers(server):
        from bench.bulk import _throwaway_database

        with _throwaway_database(server) as url:
            yield url, redis_url, "PostgreSQL + Redis"
        return
    yield None, None, "SQLite + the SQLite queue (PostgreSQL or Redis did not answer on loopback)"


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _run(
    *, rows: int, rounds: int, database_url: str | None, redis_url: str | None, label: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        env = {
            **os.environ,
            "PASSPORT_ENV": "test",
            "PASSPORT_INSTANCE_PATH": str(instance),
            "PASSPORT_DATABASE_URL": database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
            "PASSPORT_PUBLIC_URL": "https://badges.bench.example",
            "PASSPORT_SECRET_KEY": "bench secret key, not for production use",
            "PASSPORT_KEY_PASSPHRASE": "bench passphrase",
            "PASSPORT_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:12]}",
            "PASSPORT_RATE_LIMITS": "off",
        }
        env.pop("PASSPORT_REDIS_URL", None)
        if redis_url:
            env["PASSPORT_REDIS_URL"] = redis_url
        instance.mkdir(parents=True)
        services = Services.from_settings(Settings.from_env(env))
        queue = queue_for(services)
        try:
            initialise(services)
            with services.session() as session:
                session.add_all(
                    User(email=f"learner{i}@bench.example", name=f"L{i}", role="learner")
                    for i in range(LEARNERS)
                )
            results: dict[str, list[float]] = {"in": [], "one": [], "two": []}
            load = os.getloadavg()[0]
            tag = 0
            for _ in range(rounds):
                for way in ("in", "one", "two"):
                    tag += 1
                    data = _csv(rows, tag)
                    if way == "in":
                        seconds = _in_process(services, data)
                    else:
                        workers = 1 if way == "one" else 2
                        seconds = _through_queue(services, env, data, workers, Path(folder))
                    results[way].append(rows / seconds)
        finally:
            queue.flush()
            services.close()
    rate = {way: statistics.median(values) for way, values in results.items()}
    cores = {n: statistics.median(v) for n, v in _CORES.items()}
    _CORES.clear()
    one, two = rate["one"] / rate["in"], rate["two"] / rate["one"]
    print(f"\nBulk issuance through the job queue: {rows} rows, {label}")
    print(f"  (median of {rounds} interleaved rounds; parts of {bulk_jobs.PART_ROWS} rows,")
    print(f"   batches of {bulk_jobs.BATCH_ROWS} in a part, {DEFAULT_BATCH_SIZE} in-process)")
    print(f"  in this process (passport bulk): {rate['in']:8.0f} rows/s")
    print(
        f"  queue, one worker process:       {rate['one']:8.0f} rows/s  "
        f"(it had {cores[1]:.2f} cores)"
    )
    print(
        f"  queue, two worker processes:     {rate['two']:8.0f} rows/s  "
        f"(they had {cores[2]:.2f} of the {os.cpu_count()} cores; load average before: "
        f"{load:.1f})"
    )
    print(f"  one worker / in-process  {one:.2f}   target >= 0.90: {_met(one, 0.9)}")
    print(f"  two workers / one worker {two:.2f}   target >= 1.50: {_met(two, 1.5)}")
    if cores[2] < 1.5:
        print(
            f"  (two workers had {cores[2]:.2f} cores between them: they waited on each other "
            "— a lock, docs/decisions.md, 'The job queue: Huey' — or on other processes here)"
        )


def _met(ratio: float, target: float) -> str:
    return "met" if ratio >= target else "NOT met"


def _csv(rows: int, tag: object) -> bytes:
    """New rows each time (the narrative carries the tag, so the idempotency keys are new)."""
    lines = ["email,achievement,level,evidence_narrative"]
    for i in range(rows):
        achievement = ACHIEVEMENTS[(i // LEARNERS) % len(ACHIEVEMENTS)]
        lines.append(f"learner{i % LEARNERS}@bench.example,{achievement},2,run {tag} task {i}")
    return ("\n".join(lines) + "\n").encode()


def _in_process(services: Services, data: bytes) -> float:
    start = time.perf_counter()
    with services.session() as session:
        preview = preview_csv(session, data)
    result = commit_rows(
        services,
        preview,
        assessor="bench@bench.example",
        now=services.now(),
        proof_format=DEFAULT_FORMAT,
        batch_size=DEFAULT_BATCH_SIZE,
    )
    seconds = time.perf_counter() - start
    assert result.issued == len(preview.rows), (result.issued, result.errors[:3])
    return seconds


def _through_queue(
    services: Services, env: dict[str, str], data: bytes, workers: int, folder: Path
) -> float:
    processes = [_worker(env, folder / f"worker-{n}.log") for n in range(workers)]
    try:
        # Warm-up, not timed: a long-lived worker has decrypted its signing key and loaded
        # the JSON-LD contexts once; a fresh process pays that on its first rows. One small
        # job per worker, started together, so each worker takes one.
        warm = [_start(services, _csv(3, f"warm-up {uuid.uuid4().hex}")) for _ in range(workers)]
        for job_id in warm:
            _wait(services, job_id, processes, folder)
        cpu = _cpu_seconds(processes)
        start = time.perf_counter()
        job_id = _start(services, data)
        _wait(services, job_id, processes, folder)
        seconds = time.perf_counter() - start
        _CORES.setdefault(workers, []).append((_cpu_seconds(processes) - cpu) / seconds)
        return seconds
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


#: Workers -> the cores they had between them in each timed run (CPU seconds / wall seconds).
_CORES: dict[int, list[float]] = {}


def _cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for process in processes:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _start(services: Services, data: bytes) -> str:
    with services.session() as session:
        job = bulk_jobs.start_bulk(
            session,
            services,
            data,
            assessor="bench@bench.example",
            created_by="bench@bench.example",
            proof_format=DEFAULT_FORMAT,
            now=services.now(),
        )
        return job.id


def _wait(
    services: Services, job_id: str, processes: list[subprocess.Popen[bytes]], folder: Path
) -> None:
    """Poll until the job has ended; it must have issued every row."""
    while True:
        with services.session() as session:
            status = session.scalar(select(Job.status).where(Job.id == job_id))
        if status in ("succeeded", "failed", "cancelled"):
            break
        for process in processes:
            assert process.poll() is None, f"a worker exited: see {folder}"
        time.sleep(0.02)
    with services.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        view = bulk_jobs.job_view(session, job, now=services.now())
    assert view["status"] == "succeeded", view
    assert view["result"]["issued"] == job.total, view["result"]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A ``passport worker`` process, once it says it is running (imports and setup done)."""
    command = [str(Path(sys.executable).parent / "passport"), "worker", "--no-scheduler"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "worker:" not in log.read_text(errors="replace"):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    time.sleep(0.3)  # the consumer's threads start after the line
    return process
