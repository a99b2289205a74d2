"""The people-events benchmark still runs end to end (2,000 people, one round, SQLite).

Not a timing test: it keeps the generator's bench shape, the bare insert, the import, the
pandas + lifelines baseline and the figure-by-figure comparison from rotting between the runs
someone makes by hand (``python -m bench --only outcomes``). Both sides must agree.
"""

from __future__ import annotations

import pytest

from bench import outcomes

pytestmark = pytest.mark.slow


def test_outcomes_bench_runs_and_both_sides_agree(capsys: pytest.CaptureFixture[str]) -> None:
    figures = outcomes.run(people=2_000, rounds=1, databases=("sqlite",))
    out = capsys.readouterr().out
    for line in ("bare batched insert", "import of parsed rows", "pandas.read_sql + lifelines"):
        assert line in out
    sqlite = figures["sqlite"]
    assert 18_000 <= sqlite["events"] <= 22_000
    assert sqlite["differences"] == 0, out
