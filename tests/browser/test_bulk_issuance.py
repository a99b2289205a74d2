"""An administrator issues 500 badges from a CSV file in a real browser, and a real worker
issues them (issue #18: "an admin uploads a 500-row CSV with 3 bad rows, sees the preview name
them, confirms, watches the bar reach 497, and sees those badges in the list; re-upload issues
0").

The app runs on a loopback port over its own instance (``passport init`` plus an administrator
and 100 learners); ``passport worker`` runs as a separate process over the same instance folder
— the same SQLite database, and the SQLite job queue there — the way a deployment runs a web
server and workers side by side. The job page's progress bar is updated by ``jobs.js`` polling
the job; the test only watches the page. Screenshots go to tests/browser/artifacts/bulk/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from passport.accounts.users import create_user
from passport.instance.setup import initialise
from passport.services import Services
from tests.browser.a11y import PHONE, horizontal_overflow
from tests.browser.conftest import LiveServer, serving
from tests.browser.test_passport_flow import ConsoleErrors

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "bulk.admin@bulk.example"
PASSWORD = "a long admin passphrase"
LEARNERS = 100
ACHIEVEMENTS = (
    "linux-administration-l2",
    "incident-response-l2",
    "observability-l2",
    "kubernetes-operations-l2",
    "ci-cd-l2",
)
#: Indexes of the rows that name nobody; row index n is on line n + 2 of the file.
BAD = (7, 250, 498)
#: How long 497 badges may take on a busy two-core machine.
ISSUE_TIMEOUT_MS = 300_000
CONFIRM = "form[action$='/bulk/confirm'] button[type=submit]"


def results_csv() -> bytes:
    lines = ["email,achievement,level"]
    for n in range(LEARNERS * len(ACHIEVEMENTS)):
        email = f"nobody{n}@bulk.example" if n in BAD else f"learner{n % LEARNERS}@bulk.example"
        lines.append(f"{email},{ACHIEVEMENTS[n // LEARNERS]},2")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    def prepare(services: Services) -> None:
        initialise(services)
        with services.session() as session:
            create_user(session, email=ADMIN, name="Bulk Admin", role="admin", password=PASSWORD)
            for n in range(LEARNERS):
                create_user(
                    session,
                    email=f"learner{n}@bulk.example",
                    name=f"Learner {n}",
                    role="learner",
                    password=None,
                )

    with serving(tmp_path_factory.mktemp("bulk-instance"), PASSWORD, prepare) as server:
        yield server


@contextmanager
def running_worker(server: LiveServer, log: Path) -> Iterator[Any]:
    """``passport worker`` in a process of its own, over the server's instance folder."""
    settings = server.services.settings
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
        "PASSPORT_QUEUE_NAME": settings.queue_name,
        "PASSPORT_RATE_LIMITS": "off",
    }
    env.pop("PASSPORT_REDIS_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from passport.cli import main; main()", "worker"],
            env=env,
            cwd=settings.instance_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)  # a graceful stop
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def check_page(page: Any, problems: list[str], label: str) -> None:
    """No sideways scroll at 390 px. (axe-core checks these pages in test_every_page.py: it
    injects styles of its own, which the CSP blocks and this test counts as errors.)"""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    overflow = horizontal_overflow(page)
    if overflow:
        problems.append(f"{label}: {overflow}")
    page.set_viewport_size(size)


def upload(page: Any, base: str, data: bytes) -> None:
    page.goto(f"{base}/admin/bulk")
    page.set_input_files("#file", {"name": "results.csv", "mimeType": "text/csv", "buffer": data})
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button[type=submit]")


def counts(page: Any) -> dict[str, int]:
    return {
        name: int(page.inner_text(f'#preview-counts [data-count="{name}"]'))
        for name in ("rows", "ready", "already", "errors")
    }


def test_an_admin_issues_a_500_row_file_and_watches_the_worker(
    browser: Any, bulk_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    shots = artifacts / "bulk"
    shots.mkdir(exist_ok=True)
    base = bulk_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    console = ConsoleErrors()
    page = console.watch(context.new_page())
    problems: list[str] = []
    page.goto(f"{base}/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.click("nav.subnav >> text=Bulk issuance")
    assert page.url == f"{base}/admin/bulk"
    check_page(page, problems, "upload form")

    # The preview names the three bad rows by line number; nothing is issued yet.
    data = results_csv()
    upload(page, base, data)
    page.screenshot(path=str(shots / "preview.png"), full_page=True)
    assert counts(page) == {"rows": 500, "ready": 497, "already": 0, "errors": 3}
    rows = page.eval_on_selector_all(
        "#preview-errors tbody tr", "rows => rows.map(r => r.cells[0].textContent.trim())"
    )
    assert rows == [str(n + 2) for n in BAD]
    assert "nobody250@bulk.example" in page.inner_text("#preview-errors")
    check_page(page, problems, "preview")

    # Confirm: the job waits for a worker. Once one starts, the bar reaches 497 without a
    # reload (jobs.js polls the job).
    with page.expect_navigation():
        page.click(CONFIRM)
    assert "/admin/jobs/" in page.url
    job_url = page.url
    assert page.get_attribute("#job", "data-ended") == "no"
    assert page.eval_on_selector("#job-progress", "bar => [bar.value, bar.max]") == [0, 497]
    check_page(page, problems, "job page")
    with running_worker(bulk_server, tmp_path / "worker.log") as worker:
        finish(page, worker, problems, job_url, shots)
    context.close()
    assert not problems, "\n".join(problems)
    assert not console, console


def finish(page: Any, worker: Any, problems: list[str], job_url: str, shots: Path) -> None:
    """The rest of the journey, with a worker running."""
    base = job_url.split("/admin/")[0]
    data = results_csv()
    page.wait_for_function(
        "() => document.getElementById('job-progress').value === 497",
        timeout=ISSUE_TIMEOUT_MS,
        polling=500,
    )
    page.wait_for_function(
        "() => document.getElementById('job').getAttribute('data-ended') === 'yes'",
        timeout=30_000,
    )
    assert page.url == job_url  # updated in place, not reloaded
    assert page.inner_text('[data-field="done"]') == "497"
    assert page.inner_text('[data-field="issued"]') == "497"
    assert page.inner_text('[data-field="status"]') == "Finished"
    assert "497 of 497 rows done" in page.inner_text("#job-announce")
    assert page.locator("#job-errors tbody tr").count() == 3
    page.screenshot(path=str(shots / "job-finished.png"), full_page=True)

    # The badges are in the admin's badge list.
    page.click("nav.subnav >> text=Badges")
    assert "497 badges found." in page.inner_text("main")
    page.fill("#q", "learner42@bulk.example")
    with page.expect_navigation():
        page.click("form.search button[type=submit]")
    assert "5 badges found." in page.inner_text("main")

    # The same file again: everything was imported already, and the job issues nothing.
    upload(page, base, data)
    assert counts(page) == {"rows": 500, "ready": 0, "already": 497, "errors": 3}
    with page.expect_navigation():
        page.click(CONFIRM)
    page.wait_for_function(
        "() => document.getElementById('job').getAttribute('data-ended') === 'yes'",
        timeout=ISSUE_TIMEOUT_MS,
        polling=500,
    )
    assert page.inner_text('[data-field="issued"]') == "0"
    assert page.inner_text('[data-field="skipped"]') == "497"
    page.goto(f"{base}/admin/badges")
    assert "497 badges found." in page.inner_text("main")

    page.goto(f"{base}/admin/jobs")
    check_page(page, problems, "jobs list")
    assert "No job has failed." in page.inner_text("main")
    assert worker.poll() is None, "the worker stopped during the test"
