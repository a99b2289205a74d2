"""Shared pieces of the load and fault tests: throwaway databases, a gunicorn server, HTTP.

Everything stays on loopback. A test gets either a uniquely named database on the shared
PostgreSQL server (``PASSPORT_TEST_DATABASE_URL``, dropped afterwards) or a cluster of its own
started with ``initdb`` on a free port in a temporary folder (the only kind a test may restart).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
SHARED_DATABASE_URL = os.environ.get(
    "PASSPORT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ACHIEVEMENT = "incident-response-l2"
UTF8 = ("-E", "UTF8", "--locale", "C")
PASSPHRASE = "load test key-store passphrase"
# Production refuses weak secrets and an http public URL (finding 3 of issue 17).
SECRET_KEY = "lT5nV8rQ2mX6wK0pZ4sB9dH3jY7fA1cG-uE_oI6tR3e"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_gunicorn() -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed")


# -- HTTP -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # parsed JSON, or the raw text when the body is not JSON
    seconds: float

    @property
    def is_json(self) -> bool:
        return not isinstance(self.body, str)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a fresh loopback connection; connection errors propagate as OSError."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode("utf-8")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.perf_counter()
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except http.client.HTTPException as exc:  # a worker died mid-answer
        raise ConnectionError(str(exc)) from exc
    finally:
        connection.close()
    seconds = time.perf_counter() - start
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return Answer(response.status, parsed, seconds)


# -- databases ------------------------------------------------------------------------------------


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A uniquely named database on the shared server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    admin = _psycopg_url(SHARED_DATABASE_URL)
    name = f"passport_load_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"the shared PostgreSQL server is not reachable: {exc}")
    base, _, _ = SHARED_DATABASE_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@dataclass
class Cluster:
    """A PostgreSQL cluster of the test's own, in a temporary folder, on a free port."""

    folder: Path
    port: int
    pg_ctl: str
    as_user: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str, timeout: float = 60) -> None:
        data = str(self.folder / "data")
        log = str(self.folder / "server.log")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", data, "-l", log, "-o", options, "-w", *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def own_cluster() -> Iterator[Cluster]:
    """initdb + pg_ctl start in a temporary folder; stopped and removed afterwards.

    As root, PostgreSQL refuses to run, so the server runs as the ``postgres`` user in a folder
    it owns (``runuser``).
    """
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="passport-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            shutil.rmtree(folder)
            pytest.skip("running as root without runuser or a postgres user to run a cluster")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = [runuser, "-u", "postgres", "--"]
    cluster = Cluster(folder=folder, port=free_port(), pg_ctl=pg_ctl, as_user=as_user)
    subprocess.run(
        [
            *as_user,
            initdb,
            "-D",
            str(folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        cluster.ctl("start")
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


# -- the service ----------------------------------------------------------------------------------


def service_env(
    instance: Path, database_url: str, port: int, *, workers: int, env: str = "production"
) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    values = {
        **os.environ,
        "PASSPORT_ENV": env,
        "PASSPORT_INSTANCE_PATH": str(instance),
        "PASSPORT_DATABASE_URL": database_url,
        "PASSPORT_PUBLIC_URL": f"https://127.0.0.1:{port}" if env == "production" else base,
        "PASSPORT_SECRET_KEY": SECRET_KEY,
        "PASSPORT_KEY_PASSPHRASE": PASSPHRASE,
        "PASSPORT_RATE_LIMITS": "off",
        "PASSPORT_LOG_FORMAT": "json",
        "PASSPORT_WORKERS": str(workers),
        "PORT": str(port),
    }
    values.pop("PASSPORT_REDIS_URL", None)
    return values


def passport(env: dict[str, str], *args: str) -> str:
    """Run the ``passport`` command and return its standard output."""
    command = str(Path(sys.executable).parent / "passport")
    done = subprocess.run(
        [command, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


#: How long one readiness probe waits for its answer. A worker's first answer loads the
#: migrations and decrypts the signing keys (8 s seen on a loaded machine); a probe given up
#: sooner still holds that sync worker while the next one queues behind it.
PROBE_SECONDS = 20.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def master(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def wait_for_workers(
        self, count: int, *, exclude: frozenset[int] = frozenset(), within: float = 60
    ) -> list[int]:
        """Wait until the master has ``count`` workers, none of them in ``exclude``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pids = self.workers()
            if len(pids) == count and not exclude & set(pids):
                return pids
            time.sleep(0.1)
        raise AssertionError(f"workers {self.workers()} (wanted {count}):\n{self.log()}")

    def wait_ready(self, within: float = 60, path: str = "/readyz") -> Answer:
        """Poll ``path`` until it answers 200 (each probe waits :data:`PROBE_SECONDS`)."""
        deadline = time.monotonic() + within
        last: Answer | OSError | None = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                last = call(self.port, "GET", path, timeout=PROBE_SECONDS)
                if last.status == 200:
                    return last
            except OSError as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"not ready: {last!r}\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], log_path: Path, *, ready_path: str = "/readyz"
) -> Iterator[Server]:
    """gunicorn as ``make serve`` runs it, once ``ready_path`` answers 200 and every worker is
    up; SIGTERM afterwards (``server.process.returncode`` then holds the exit code)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(process=process, port=int(env["PORT"]), log_path=log_path)
        try:
            server.wait_ready(path=ready_path)
            server.wait_for_workers(int(env["PASSPORT_WORKERS"]))
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def prepared_instance(env: dict[str, str]) -> str:
    """``passport init`` and an API token; returns the token."""
    passport(env, "init")
    scopes = ("credentials:issue", "credentials:status", "assessments:write")
    return passport(env, "tokens", "create", "load-test", *(f"--scope={scope}" for scope in scopes))


def learners(count: int) -> list[str]:
    return [f"learner{n}@load.example" for n in range(count)]


def stored_state(database_url: str) -> dict[str, Any]:
    """What the database holds: credential ids, status entries, and orphans/duplicates."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            ids = [row[0] for row in connection.execute(text("SELECT id FROM issued_credentials"))]
            entries = connection.execute(
                text("SELECT status_list_id, index, credential_id, purpose FROM status_entries")
            ).all()
            duplicates = connection.execute(
                text(
                    "SELECT status_list_id, index FROM status_entries "
                    "GROUP BY status_list_id, index HAVING count(*) > 1"
                )
            ).all()
    finally:
        engine.dispose()
    return {"ids": ids, "entries": entries, "duplicate_slots": duplicates}


def status_slots(credential: dict[str, Any]) -> list[tuple[str, str]]:
    """(list URL, index) of each credentialStatus entry of a JSON credential."""
    status = credential.get("credentialStatus", [])
    entries = status if isinstance(status, list) else [status]
    return [(e["statusListCredential"], str(e["statusListIndex"])) for e in entries]
