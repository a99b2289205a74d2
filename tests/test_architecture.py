"""The import direction of design.md is mechanical: wsgi → passport → issuer → verifier → keys.

Checked here by reading every module's imports (including function-level ones), and again by
import-linter in `make lint`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LAYERS = ("passport", "issuer", "verifier", "keys")  # each may import only those to its right
FORBIDDEN_OUTSIDE_PASSPORT = ("flask", "werkzeug", "sqlalchemy", "alembic")


def imported_top_levels(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def violations(package: str, imported: set[str]) -> set[str]:
    allowed = set(LAYERS[LAYERS.index(package) :])
    bad = {name for name in imported if name in LAYERS and name not in allowed}
    if package != "passport":
        bad |= {name for name in imported if name in FORBIDDEN_OUTSIDE_PASSPORT}
    return bad


@pytest.mark.parametrize("package", LAYERS)
def test_package_imports_only_downward(package: str) -> None:
    problems = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = violations(package, imported_top_levels(path.read_text(encoding="utf-8")))
        if bad:
            problems[str(path.relative_to(ROOT))] = sorted(bad)
    assert problems == {}


def test_the_check_catches_an_upward_import() -> None:
    upward = "def f():\n    from passport.app import create_app\n"
    assert violations("verifier", imported_top_levels(upward)) == {"passport"}
    assert violations("keys", imported_top_levels("import flask")) == {"flask"}
    assert violations("passport", imported_top_levels("import keys, issuer")) == set()
