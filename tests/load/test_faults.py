"""Fault cases under load: a worker killed mid-run, PostgreSQL restarted mid-run, a slow
status-list host. Each is bounded in requests and time, and runs on loopback only.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.load import harness

pytestmark = pytest.mark.slow


class Load:
    """Threads issuing and verifying until stopped (or a request budget runs out)."""

    def __init__(self, port: int, token: str, sample: Any, *, budget: int) -> None:
        self.port, self.token, self.sample, self.budget = port, token, sample, budget
        self.answers: list[tuple[str, harness.Answer]] = []
        self.connection_errors: list[tuple[str, OSError]] = []
        self.issued: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _spend(self) -> bool:
        with self.lock:
            if self.stop.is_set() or self.budget <= 0:
                return False
            self.budget -= 1
            return True

    def _run(self, kind: str, n: int) -> None:
        i = 0
        while self._spend():
            i += 1
            try:
                if kind == "issue":
                    body = {
                        "achievement": harness.ACHIEVEMENT,
                        "recipient": f"learner{(n + i) % 4}@load.example",
                    }
                    answer = harness.call(
                        self.port, "POST", "/api/v1/credentials", body, token=self.token
                    )
                else:
                    answer = harness.call(self.port, "POST", "/api/v1/verify", self.sample)
            except OSError as exc:  # refused, reset, or the worker died mid-answer
                with self.lock:
                    self.connection_errors.append((kind, exc))
                time.sleep(0.05)
                continue
            with self.lock:
                self.answers.append((kind, answer))
                if kind == "issue" and answer.status == 201:
                    self.issued.append(answer.body["id"])

    def start(self, issuers: int, verifiers: int) -> None:
        kinds = ["issue"] * issuers + ["verify"] * verifiers
        self.threads = [
            threading.Thread(target=self._run, args=(kind, n), daemon=True)
            for n, kind in enumerate(kinds)
        ]
        for thread in self.threads:
            thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.answers) + len(self.connection_errors)

    def wait_for(self, count: int, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while self.count() < count:
            assert time.monotonic() < deadline, f"only {self.count()} requests done"
            time.sleep(0.02)

    def finish(self, within: float = 120) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=within)
        assert not any(t.is_alive() for t in self.threads), "load threads did not finish"

    def statuses(self) -> Counter[int]:
        return Counter(answer.status for _, answer in self.answers)


def _started(tmp_path: Path, database_url: str, workers: int) -> tuple[dict[str, str], str]:
    env = harness.service_env(
        tmp_path / "instance", database_url, harness.free_port(), workers=workers
    )
    return env, harness.prepared_instance(env)


def _issue_one(port: int, token: str) -> Any:
    answer = harness.call(
        port,
        "POST",
        "/api/v1/credentials",
        {"achievement": harness.ACHIEVEMENT, "recipient": "sample@load.example"},
        token=token,
    )
    assert answer.status == 201, answer.body
    return answer.body["credential"]


def _nothing_half_issued(port: int, database_url: str, acknowledged: list[str]) -> None:
    """Every stored credential verifies; every status entry belongs to a stored credential."""
    from sqlalchemy import create_engine, text

    state = harness.stored_state(database_url)
    stored = set(state["ids"])
    assert set(acknowledged) <= stored, "a 2xx issuance was lost"
    assert state["duplicate_slots"] == []
    orphans = {e.credential_id for e in state["entries"]} - stored
    assert not orphans, f"status entries without a stored credential: {orphans}"
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, content, proof_format FROM issued_credentials")
            ).all()
    finally:
        engine.dispose()
    for row in rows:
        content = bytes(row.content)
        body: Any = content.decode("ascii") if row.proof_format == "vc-jwt" else json.loads(content)
        answer = harness.call(port, "POST", "/api/v1/verify", body)
        assert answer.status == 200 and answer.body["verified"] is True, (row.id, answer.body)


# -- 2. a worker killed mid-run --------------------------------------------------------------------


def test_a_killed_worker_loses_only_its_requests_and_is_replaced(tmp_path: Path) -> None:
    harness.require_gunicorn()
    with harness.throwaway_database() as database_url:
        env, token = _started(tmp_path, database_url, workers=3)
        port = int(env["PORT"])
        with harness.gunicorn(env, tmp_path / "gunicorn.log") as server:
            sample = _issue_one(port, token)
            load = Load(port, token, sample, budget=160)
            load.start(issuers=3, verifiers=3)
            load.wait_for(40)
            before = server.workers()
            victim = before[0]
            os.kill(victim, signal.SIGKILL)
            killed_at = load.count()
            replaced = server.wait_for_workers(3, exclude=frozenset({victim}))
            load.wait_for(killed_at + 40)
            load.finish()
            ready = server.wait_ready(within=30)
            assert ready.body["status"] == "ok"
            assert server.process.poll() is None
            _nothing_half_issued(port, database_url, [*load.issued])
            log = server.log()

        statuses = load.statuses()
        assert not [s for s in statuses if s >= 500], (statuses, log)
        assert set(statuses) <= {200, 201}, statuses
        # Only requests in flight on the killed worker may fail: at most one per load thread.
        assert len(load.connection_errors) <= len(load.threads), load.connection_errors
        assert len(set(replaced) - set(before)) == 1
        assert statuses[201] >= 10 and statuses[200] >= 10, statuses


# -- 3. PostgreSQL restarted mid-run ---------------------------------------------------------------


def test_postgresql_restart_answers_clean_503s_and_recovers_by_itself(tmp_path: Path) -> None:
    harness.require_gunicorn()
    with harness.own_cluster() as cluster:
        env, token = _started(tmp_path, cluster.url, workers=2)
        port = int(env["PORT"])
        with harness.gunicorn(env, tmp_path / "gunicorn.log") as server:
            workers = server.workers()
            sample = _issue_one(port, token)
            load = Load(port, token, sample, budget=100_000)  # stopped by the test, below
            load.start(issuers=2, verifiers=2)
            load.wait_for(20)
            cluster.ctl("stop", "-m", "fast")
            time.sleep(1.5)  # requests meet a database that is down
            during = load.count()
            cluster.ctl("start")
            # Recovery without touching gunicorn: a verify and an issue succeed again.
            deadline = time.monotonic() + 30
            while True:
                try:
                    again = harness.call(port, "POST", "/api/v1/verify", sample, timeout=10)
                    if again.status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "did not recover within 30 s"
                time.sleep(0.2)
            load.wait_for(load.count() + 30, within=60)
            load.finish()
            assert load.count() > during
            recovered = _issue_one(port, token)
            assert recovered
            server.wait_ready(within=10)
            assert server.workers() == workers, "a worker was replaced"
            assert server.process.poll() is None
            _nothing_half_issued(port, database_url=cluster.url, acknowledged=load.issued)
            log = server.log()

        statuses = load.statuses()
        assert 500 not in statuses, (statuses, log[-4000:])
        assert set(statuses) <= {200, 201, 503}, statuses
        outage = [answer for _, answer in load.answers if answer.status == 503]
        assert outage, f"no request met the outage: {statuses}"
        for answer in outage:
            assert answer.is_json, answer.body
            assert answer.body["error"]["code"] == "database_unavailable", answer.body
        assert not load.connection_errors, load.connection_errors


# -- 4. the status-list host is slow ---------------------------------------------------------------


class _Slow(http.server.BaseHTTPRequestHandler):
    release: threading.Event

    def do_GET(self) -> None:
        self.release.wait(20)  # far beyond the fetcher's 5 s budget
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slow_host() -> Iterator[int]:
    release = threading.Event()
    handler = type("SlowHandler", (_Slow,), {"release": release})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _foreign_credential(status_url: str) -> dict[str, Any]:
    from issuer import CredentialDraft, build_credential, sign_data_integrity, status_entry
    from keys import did_key_from_public_key, generate_key
    from verifier.canonical import Canonicalizer

    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    now = datetime.now(UTC)
    draft = CredentialDraft(
        issuer={"id": did, "type": ["Profile"], "name": "Elsewhere"},
        achievement={
            "id": "https://elsewhere.example/a",
            "type": ["Achievement"],
            "name": "A",
            "description": "A.",
            "criteria": {"narrative": "A."},
        },
        recipient_email="x@example.com",
        valid_from=now,
        credential_status=[status_entry(status_url, 7, "revocation")],
    )
    return sign_data_integrity(
        build_credential(draft),
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=now,
        canonicalizer=Canonicalizer(),
    )


FETCH_TIMEOUT = 5.0  # verifier.fetch.FetchPolicy's default, which the app uses


def test_a_slow_status_host_is_could_not_check_in_time_and_others_are_served(
    tmp_path: Path, slow_host: int
) -> None:
    harness.require_gunicorn()
    with harness.throwaway_database() as database_url:
        # Plain http to loopback is fetched only outside production (the SSRF policy).
        env = harness.service_env(
            tmp_path / "instance", database_url, harness.free_port(), workers=3, env="test"
        )
        token = harness.prepared_instance(env)
        port = int(env["PORT"])
        foreign = _foreign_credential(f"http://127.0.0.1:{slow_host}/status/1")
        with harness.gunicorn(env, tmp_path / "gunicorn.log") as server:
            sample = _issue_one(port, token)
            slow: list[harness.Answer] = []
            slow_threads = [
                threading.Thread(
                    target=lambda: slow.append(
                        harness.call(port, "POST", "/api/v1/verify", foreign, timeout=30)
                    )
                )
                for _ in range(2)
            ]
            for thread in slow_threads:
                thread.start()
            time.sleep(0.5)  # both slow requests are now waiting on the status host
            others = []
            while any(t.is_alive() for t in slow_threads) and len(others) < 200:
                others.append(harness.call(port, "POST", "/api/v1/verify", sample, timeout=10))
            for thread in slow_threads:
                thread.join(timeout=30)
            log = server.log()

        assert len(slow) == 2, log
        for answer in slow:
            assert answer.status == 200, answer.body
            assert answer.seconds < FETCH_TIMEOUT + 3, answer.seconds
            status = next(c for c in answer.body["checks"] if c["id"] == "status")
            assert status["status"] == "could_not_check", status
            signature = next(c for c in answer.body["checks"] if c["id"] == "signature")
            assert signature["status"] == "passed"
        assert len(others) >= 5, others
        assert all(a.status == 200 and a.body["verified"] is True for a in others)
        assert max(a.seconds for a in others) < 3.0, [a.seconds for a in others]
