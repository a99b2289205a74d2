"""Pieces the job-queue load tests share: services on a test's database, learners, a bulk CSV,
starting a bulk job, ``passport worker`` processes, and what the database holds afterwards.

:func:`start_job` is the one place that starts a job: through the use case today (what
``POST /api/v1/bulk-issuances`` calls), so switching a test to the API is a change here.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.credentials.models import IssuedCredential, StatusEntry, StatusList
from passport.jobs.admin import get_job
from passport.jobs.bulk import job_view, start_bulk
from passport.jobs.models import Job, Notification
from passport.jobs.queue import queue_for
from passport.services import Services
from passport.settings import Settings
from tests.load.harness import free_port

ACHIEVEMENTS = ("incident-response-l2", "observability-l2", "ci-cd-l2")
ASSESSOR = "assessor@load.example"


@contextlib.contextmanager
def services_for(env: dict[str, str]) -> Iterator[Services]:
    """The services a ``passport`` command would build from ``env``, with the queue hooked so
    a committed job's messages reach the broker the workers read."""
    services = Services.from_settings(Settings.from_env(env))
    queue_for(services)
    try:
        yield services
    finally:
        services.close()


def add_learners(services: Services, count: int, domain: str) -> list[str]:
    emails = [f"learner{n}@{domain}" for n in range(count)]
    with services.session() as session:
        session.add_all(User(email=e, name=f"L{n}", role="learner") for n, e in enumerate(emails))
    return emails


def bulk_csv(rows: int, emails: list[str]) -> bytes:
    """``rows`` passing results, each (learner, achievement) pair at most once per task."""
    lines = ["email,achievement,level,evidence_narrative"]
    for n in range(rows):
        achievement = ACHIEVEMENTS[(n // len(emails)) % len(ACHIEVEMENTS)]
        lines.append(f"{emails[n % len(emails)]},{achievement},2,task {n}")
    return ("\n".join(lines) + "\n").encode()


def start_job(services: Services, data: bytes, *, proof_format: str = "jwt") -> str:
    """Start a bulk job (the use case the API calls) and return its id; its parts go to the
    queue when the transaction commits."""
    with services.session() as session:
        job = start_bulk(
            session,
            services,
            data,
            assessor=ASSESSOR,
            created_by="admin@load.example",
            proof_format=proof_format,
            now=services.now(),
        )
        return job.id


def progress(services: Services, job_id: str) -> dict[str, Any]:
    """The job as ``GET /api/v1/jobs/<id>`` shows it."""
    with services.session() as session:
        job = get_job(session, job_id)
        assert job is not None, job_id
        return dict(job_view(session, job, now=services.now()))


def wait_for_job(
    services: Services,
    job_id: str,
    *,
    within: float,
    workers: list[subprocess.Popen[bytes]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Poll until the job has ended; fail early if a worker died."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        view = progress(services, job_id)
        if view["status"] in ("succeeded", "failed", "cancelled"):
            return view
        for worker in workers:
            assert worker.poll() is None, f"worker {worker.pid} exited with {worker.returncode}"
        time.sleep(0.25)
    raise AssertionError(f"the job did not end within {within} s: {progress(services, job_id)}")


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``passport worker`` as a process of its own (output in ``log``)."""
    command = str(Path(sys.executable).parent / "passport")
    with log.open("ab") as out:
        return subprocess.Popen(
            [command, "worker", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen[bytes], *, within: float = 30) -> int:
    """SIGTERM, then SIGKILL if it lingers; returns the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return int(process.returncode)


def counts(database_url: str) -> dict[str, int]:
    """Rows issued and how they hang together (the bulk crash test's checks), and e-mail."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:

            def count(statement: Any) -> int:
                return int(connection.execute(statement).scalar_one())

            badge_mail = Notification.kind == "badge_issued"
            return {
                "credentials": count(select(func.count()).select_from(IssuedCredential)),
                "assessments": count(select(func.count()).select_from(Assessment)),
                "linked": count(
                    select(func.count())
                    .select_from(Assessment)
                    .where(Assessment.credential_id.is_not(None))
                ),
                "keys": count(select(func.count(func.distinct(Assessment.idempotency_key)))),
                "entries": count(select(func.count()).select_from(StatusEntry)),
                "orphan_entries": count(
                    select(func.count())
                    .select_from(StatusEntry)
                    .where(StatusEntry.credential_id.not_in(select(IssuedCredential.id)))
                ),
                "used": count(select(func.coalesce(func.sum(StatusList.used), 0))),
                "badge_mail": count(select(func.count()).where(badge_mail)),
                "badge_mail_keys": count(
                    select(func.count(func.distinct(Notification.key))).where(badge_mail)
                ),
                "jobs": count(select(func.count()).select_from(Job)),
            }
    finally:
        engine.dispose()


class Inbox:
    """An SMTP server's mailbox on loopback (aiosmtpd's handler interface: ``handle_DATA``)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def badge_mail(self) -> Counter[tuple[str, str]]:
        """How many times each (address, badge page URL) was mailed."""
        seen: Counter[tuple[str, str]] = Counter()
        with self._lock:
            messages = list(self.messages)
        for message in messages:
            body = message.get_body(("plain",))
            assert body is not None
            text = body.get_content()
            urls = [w for w in text.split() if "/credentials/" in w]
            assert len(urls) == 1, text
            seen[(str(message["To"]), urls[0])] += 1
        return seen


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free loopback port, and what it received."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_settled(database_url: str) -> dict[str, int]:
    """Badge e-mail by status."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Notification.status, func.count())
                .where(Notification.kind == "badge_issued")
                .group_by(Notification.status)
            ).all()
    finally:
        engine.dispose()
    return {status: int(n) for status, n in rows}


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_or_skip() -> str:
    """The loopback Redis URL, or skip the test when no Redis answers there."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        import pytest

        pytest.skip(f"no Redis on loopback: {exc}")
    finally:
        client.close()
    return REDIS_URL
