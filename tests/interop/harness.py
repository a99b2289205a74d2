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


def run_node(script: Path, payload: Any, *args: str, timeout: float = 120) -> Any:
    """Run ``node SCRIPT ARGS…`` with ``payload`` as JSON on stdin; return its JSON answer.

    Fails the test (never skips) when the script's npm folder was not installed."""
    if not (script.parent / "node_modules").is_dir():
        pytest.fail(f"{script.parent.name}/node_modules is missing: run `make test` (npm ci).")
    result = subprocess.run(
        [NODE or "node", str(script), *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def harness(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``node di.mjs COMMAND`` with ``payload`` on stdin; return its JSON answer."""
    output: dict[str, Any] = run_node(HERE / "di.mjs", payload, command)
    return output
