"""Calling the JavaScript reference harness (``di.mjs``) from the interop tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
NODE = shutil.which("node")
#: Interop tests skip only where Node.js itself is absent.
requires_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed on this machine")


def harness(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``node di.mjs COMMAND`` with ``payload`` on stdin; return its JSON answer."""
    if not (HERE / "node_modules").is_dir():
        pytest.fail("The JS harness is not installed: run `make test` (it runs `npm ci`).")
    result = subprocess.run(
        [NODE or "node", str(HERE / "di.mjs"), command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output
