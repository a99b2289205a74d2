"""Small credentials: ``passport verify FILE…`` against the JS reference, start-up subtracted.

A batch of minimal OB 3.0 credentials — the spec's basic example shape: an OpenBadgeCredential
with a minimal issuer Profile and an AchievementSubject whose Achievement has id, type, name,
description and criteria — each signed (eddsa-rdfc-2022) with its own Ed25519 key by the
Digital Bazaar reference library (``bench/js/small-bench.mjs``), so the issuer is that key's
did:key and no key, profile or achievement repeats: no cache flatters either side.

* ours: the real CLI entry (``passport verify --offline FILE…``, a child process, no instance
  database, did:key resolved offline) on every file in one process, minus the same command on
  one file: ``(count - 1) / (t(count files) - t(1 file))`` — start-up (imports, the verifier,
  the first credential's cold caches) cancels out;
* JS: the same signed credentials verified by ``@digitalbazaar/vc`` in one Node process after a
  warm-up on credentials of other keys.

Rounds alternate ours and JS; the best of each side is reported. Target (issue #14): ours ≥ 2× JS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JS_BENCH = ROOT / "bench" / "js" / "small-bench.mjs"

#: The OB 3.0 spec's basic example ("Basic OpenBadgeCredential"); issuer and ids vary per copy.
MINIMAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "http://example.com/credentials/3527",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:example:replaced", "type": ["Profile"], "name": "Example Corp"},
    "validFrom": "2010-01-01T00:00:00Z",
    "name": "Teamwork Badge",
    "credentialSubject": {
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "https://example.com/achievements/21st-century-skills/teamwork",
            "type": ["Achievement"],
            "criteria": {
                "narrative": "Team members are nominated for this badge by their peers and "
                "recognized upon review by Example Corp management."
            },
            "description": "This badge recognizes the development of the capacity to "
            "collaborate within a group environment.",
            "name": "Teamwork",
        },
    },
}


def _node(mode: str, payload: dict[str, Any], *args: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(JS_BENCH), mode, *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"small-bench.mjs {mode}: {result.stderr.strip()}")
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def _passport() -> list[str]:
    """The installed ``passport`` console script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "passport"
    return [str(script)] if script.exists() else [sys.executable, "-c", _ENTRY]


_ENTRY = "import sys; from passport.cli import main; sys.argv[0] = 'passport'; main()"


def _timed_verify(files: list[Path], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [*_passport(), "verify", "--offline", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    elapsed = time.perf_counter() - start
    verified = result.stdout.count(": VERIFIED")
    if result.returncode != 0 or verified != len(files):
        raise RuntimeError(
            f"passport verify: exit {result.returncode}, {verified}/{len(files)} verified\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return elapsed


def run(*, count: int, rounds: int) -> None:
    if shutil.which("node") is None or not (ROOT / "tests" / "interop" / "node_modules").is_dir():
        print("\nSmall credentials: skipped (node or tests/interop/node_modules missing)")
        return
    signed = _node("sign", {"credential": MINIMAL}, "--count", str(count))["signed"]
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, credential in enumerate(signed):
            path = Path(folder) / f"credential-{i:04d}.json"
            path.write_text(json.dumps(credential))
            files.append(path)
        env = {
            **os.environ,
            # This tree's code, whatever the interpreter has installed.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            # An empty instance folder: no database, so the verifier needs no instance.
            "PASSPORT_INSTANCE_PATH": str(Path(folder) / "instance"),
        }
        _timed_verify(files[:1], env)  # warm the file cache
        ones: list[float] = []
        everys: list[float] = []
        js: list[float] = []
        for _ in range(rounds):
            ones.append(_timed_verify(files[:1], env))
            everys.append(_timed_verify(files, env))
            js.append(float(_node("verify", {"signed": signed})["verify_per_s"]))
    # Best of the rounds on each side (noise only ever adds time): start-up is seconds of
    # imports and set-up whose jitter would otherwise swamp the difference.
    ours = (count - 1) / (min(everys) - min(ones))
    best_js = max(js)
    ratio = ours / best_js
    print(
        f"\nSmall credentials (the OB 3.0 basic example, each with its own did:key): "
        f"{count} files, best of {rounds} rounds"
    )
    print(f"{'passport verify/s':>18}{'JS ref/s':>10}{'ours/JS':>9}{'start-up s':>12}   target")
    verdict = "met" if ratio >= 2.0 else "NOT met"
    print(f"{ours:>18.0f}{best_js:>10.0f}{ratio:>9.2f}{min(ones):>12.2f}   >= 2.0x JS: {verdict}")
    print(
        "rounds (1 file s, all files s, JS/s): "
        + "; ".join(f"{a:.2f}, {b:.2f}, {c:.0f}" for a, b, c in zip(ones, everys, js, strict=True))
    )
    print(
        "passport verify/s = (files - 1) / (t(passport verify --offline on every file) - "
        "t(on one file)), one process each, best times; JS = @digitalbazaar/vc on the same "
        "credentials, best rate."
    )
