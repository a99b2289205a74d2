"""The job-queue benchmark still runs end to end (a few rows, one round, SQLite).

Not a timing test: it keeps the worker processes, the warm-up, the CPU accounting and the two
ratios from rotting between the runs someone makes by hand (``python -m bench --only jobs``).
"""

from __future__ import annotations

import pytest

from bench import jobs

pytestmark = pytest.mark.slow


def test_jobs_bench_issues_through_one_and_two_workers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PASSPORT_TEST_DATABASE_URL", raising=False)
    # Raises if a job does not issue every row or a worker exits.
    jobs.run(rows=12, rounds=1, postgres=None, redis_url="redis://127.0.0.1:1/0")
    out = capsys.readouterr().out
    assert "SQLite + the SQLite queue" in out
    for line in ("queue, one worker process", "two workers / one worker", "one worker / in"):
        assert line in out
