"""The small-credential benchmark still runs end to end (three files, one round).

Not a timing test: it keeps the JS signer, the files, the ``passport verify`` child and the JS
verifier from rotting between the runs someone makes by hand. Skipped without Node or the
interop libraries, like the interop tests.
"""

from __future__ import annotations

import shutil

import pytest

from bench import small

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (small.ROOT / "tests/interop/node_modules").is_dir(),
    reason="node or tests/interop/node_modules missing",
)


def test_small_bench_verifies_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    small.run(count=3, rounds=1)  # raises if passport verify does not verify every file
    out = capsys.readouterr().out
    assert "per CPU second" in out
    assert "wall-clock" in out
