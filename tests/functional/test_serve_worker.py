"""``passport serve`` (what ``make run`` starts) runs a ``passport worker`` beside the
development server, so a bulk job finishes with no other service running; ``--no-worker``
starts none; stopping the server stops its worker.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.load import jobs
from tests.load.harness import call, free_port, passport, service_env

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _serve(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    command = str(Path(sys.executable).parent / "passport")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [command, "serve", "--port", env["PORT"], *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if call(int(env["PORT"]), "GET", "/readyz", timeout=5).status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"passport serve did not get ready:\n{log.read_text()}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    env = service_env(
        tmp_path / "instance",
        f"sqlite:///{tmp_path / 'instance' / 'passport.sqlite3'}",
        port,
        workers=1,
        env="development",
    )
    passport(env, "init")
    return env


def test_serve_runs_jobs_with_its_own_worker_and_stops_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    with jobs.services_for(env) as services:
        emails = jobs.add_learners(services, 10, "serve.example")
        server = _serve(env, tmp_path / "serve.log")
        try:
            workers = _children(server.pid)
            assert len(workers) == 1, workers
            job_id = jobs.start_job(services, jobs.bulk_csv(30, emails))
            view = jobs.wait_for_job(services, job_id, within=120)
            assert (view["status"], view["done"]) == ("succeeded", 30), view
            assert view["result"]["issued"] == 30
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    assert server.returncode == 0, (tmp_path / "serve.log").read_text()
    # The worker went with the server (it was this process's child, and now no process).
    assert not Path(f"/proc/{workers[0]}").exists() or _zombie(workers[0])
    log = (tmp_path / "serve.log").read_text()
    assert "started a job worker" in log
    assert "worker: 1 thread(s)" in log and "SQLite queue" in log


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_serve_no_worker_starts_none_and_jobs_wait(env: dict[str, str], tmp_path: Path) -> None:
    with jobs.services_for(env) as services:
        emails = jobs.add_learners(services, 5, "serve.example")
        server = _serve(env, tmp_path / "serve.log", "--no-worker")
        try:
            assert _children(server.pid) == []
            job_id = jobs.start_job(services, jobs.bulk_csv(5, emails))
            time.sleep(2)
            assert jobs.progress(services, job_id)["status"] == "queued"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        # The job waited in the queue; a worker run later picks it up.
        passport(env, "worker", "--once")
        assert jobs.progress(services, job_id)["status"] == "succeeded"
