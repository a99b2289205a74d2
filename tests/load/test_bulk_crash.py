"""Crash safety of bulk issuance (#8): ``passport bulk`` killed mid-run, then run again.

The process is killed with SIGKILL (no clean-up of any kind) once some batches have committed
and while others are in flight. The database must then hold only whole rows — every assessment
with its credential, every status entry with its credential — and running the same command again
must issue exactly the rows that are missing: every row of the file once, nothing twice.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from passport.accounts.models import User
from tests.load.harness import passport, service_env, throwaway_database
from tests.load.jobs import counts

pytestmark = pytest.mark.slow

ROWS = 600  # three batches of 200
LEARNERS = 60
ACHIEVEMENTS = ("incident-response-l2", "observability-l2", "ci-cd-l2")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'bulk.sqlite3'}"
        return
    with throwaway_database() as url:
        yield url


def _add_learners(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                User.__table__.insert(),
                [
                    {"email": f"learner{n}@crash.example", "name": f"L{n}", "role": "learner"}
                    for n in range(LEARNERS)
                ],
            )
    finally:
        engine.dispose()


def test_bulk_killed_mid_run_then_rerun_issues_every_row_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    env = service_env(tmp_path / "instance", database_url, 8000, workers=1)
    # Production records badge mail only where it has a mail server; none is run here (no
    # worker sends): the mail is recorded with each badge, which is what this test counts.
    env["PASSPORT_MAIL_URL"] = "smtp://127.0.0.1:25"
    passport(env, "init")
    _add_learners(database_url)
    lines = ["email,achievement,level,evidence_narrative"]
    for n in range(ROWS):
        learner = f"learner{n % LEARNERS}@crash.example"
        lines.append(f"{learner},{ACHIEVEMENTS[(n // LEARNERS) % 3]},2,task {n}")
    csv_file = tmp_path / "results.csv"
    csv_file.write_text("\n".join(lines) + "\n")
    command = [
        str(Path(sys.executable).parent / "passport"),
        "bulk",
        str(csv_file),
        "--assessor",
        "crash@example.com",
    ]

    with (tmp_path / "killed-run.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    try:
        # Kill it once a batch has committed and before the last one has.
        while time.monotonic() < deadline and process.poll() is None:
            issued = counts(database_url)["credentials"]
            if 0 < issued < ROWS:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.3)  # into the next batch
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)

    after_kill = counts(database_url)
    assert 0 < after_kill["credentials"] < ROWS, after_kill
    # Only whole rows: every assessment has its badge, every status entry its credential.
    assert after_kill["assessments"] == after_kill["linked"] == after_kill["credentials"]
    assert after_kill["orphan_entries"] == 0
    assert after_kill["entries"] == after_kill["used"]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"issued {ROWS - after_kill['credentials']}," in done.stdout, done.stdout
    assert f"skipped {after_kill['credentials']} already imported" in done.stdout, done.stdout

    final = counts(database_url)
    purposes = 1  # revocation (the default PASSPORT_STATUS_PURPOSES)
    assert final == {
        "credentials": ROWS,
        "assessments": ROWS,
        "linked": ROWS,
        "keys": ROWS,
        "entries": ROWS * purposes,
        "orphan_entries": 0,
        "used": ROWS * purposes,
        # Each badge's mail recorded once, in the badge's own transaction (sent by a worker).
        "badge_mail": ROWS,
        "badge_mail_keys": ROWS,
        "jobs": 0,
    }
