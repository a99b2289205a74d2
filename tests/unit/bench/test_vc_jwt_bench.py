"""The VC-JWT benchmark still runs and reports every ratio it prints (a few tokens, one round).

Not a timing test: rates on a shared machine mean nothing at this size. It keeps the bench and
its same-run references (raw verify, PyJWT, the decode+signature floor, didkit when installed)
from rotting between the runs someone makes by hand.
"""

from __future__ import annotations

import importlib.util

import pytest

from bench.vc_jwt import bench_alg


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_bench_reports_every_ratio(alg: str) -> None:
    result = bench_alg(alg, count=4, rounds=1)
    for name in ("issue_ratio", "full_ratio", "pyjwt_ratio", "floor_ratio"):
        assert result[name] > 0, name
    assert result["floor"] > 0 and result["full"] > 0  # rates, not compared: 4 tokens is noise
    has_didkit = importlib.util.find_spec("didkit") is not None
    assert ("didkit_ratio" in result) == has_didkit
