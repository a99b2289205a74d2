"""The ranking benchmark still runs end to end (1,000 consenting people, 5,000 badges, SQLite).

It keeps the bench's population, the bare query and the check that both sides find the same
people from rotting between the runs someone makes by hand (``python -m bench --only
ranking``), and it guards the ranking's cost against a regression by an order of magnitude
(a query per person, a re-verification of stored badges): the ranking must keep at least
:data:`FLOOR` of the bare query's rate here. The issue's target (0.5 at 10,000 people) is
reported by ``make bench``, not asserted on a shared test machine.
"""

from __future__ import annotations

import pytest

from bench import ranking

pytestmark = pytest.mark.slow

#: A tenth of the bare query's rate: far below what the ranking does (about 0.2 to 0.3 on a
#: loaded machine), far above a ranking that went back to the database per person. Not the
#: issue's 0.5: the ranking does not reach it yet (docs/decisions.md, "Candidate ranking").
FLOOR = 0.1


def test_ranking_bench_runs_and_both_sides_find_the_same_people(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = ranking.run(people=1_000, rounds=3, databases=("sqlite",))
    out = capsys.readouterr().out
    for line in ("bare query", "rank_role", "target >= 0.50"):
        assert line in out
    sqlite = figures["sqlite"]
    # Nearly everyone holds a current badge for one of the six skills; nobody who did not
    # opt in is counted (the bench asserts the ranking and the bare query agree on who).
    assert 950 <= sqlite["candidates"] <= 1_000
    assert sqlite["rows"] > sqlite["candidates"]
    assert sqlite["ratio"] >= FLOOR, out
