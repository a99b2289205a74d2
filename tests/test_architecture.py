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


# -- inside passport: web and cli -> domain use cases -> models and shared ground ------------

PASSPORT = ROOT / "passport"
WEB_ONLY = ("flask", "werkzeug", "flask_limiter")
SHARED_GROUND = {"audit", "db", "errors", "files", "logs", "mail", "models", "services", "settings"}
#: The one import of the web from the CLI: `passport serve` serves the app.
SERVE = ("passport/cli/instance.py", "passport.web.app")


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, dotted, at any depth of the code (function-level too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def passport_modules() -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): imported_modules(path.read_text(encoding="utf-8"))
        for path in sorted(PASSPORT.rglob("*.py"))
        if "migrations" not in path.parts
    }


def part_of(relative: str) -> str:
    """``web``, ``cli``, a domain's name, or ``ground`` for the shared modules."""
    parts = relative.split("/")
    if len(parts) == 2:
        return "ground"
    return parts[1]


def is_ground_module(name: str) -> bool:
    """Shared ground or a domain's models: what every use case may stand on."""
    parts = name.split(".")
    return parts[0] == "passport" and (
        len(parts) == 1 or parts[1] in SHARED_GROUND or parts[2:3] == ["models"]
    )


def layering_problems(modules: dict[str, set[str]]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for relative, imported in modules.items():
        part = part_of(relative)
        bad = []
        for name in imported:
            top = name.split(".")[0]
            if part != "web" and top in WEB_ONLY:
                bad.append(name)
            if part not in ("web", "cli") and name.startswith(("passport.web", "passport.cli")):
                bad.append(name)
            serve = relative == SERVE[0] and name.startswith(SERVE[1])
            if part == "cli" and name.startswith("passport.web") and not serve:
                bad.append(name)
            is_models = relative.endswith("/models.py") or part == "ground"
            if is_models and top == "passport" and not is_ground_module(name):
                bad.append(name)
        if bad:
            problems[relative] = sorted(bad)
    return problems


def test_passport_is_layered_inside() -> None:
    assert layering_problems(passport_modules()) == {}


def test_the_layering_check_catches_each_kind_of_arrow() -> None:
    catches = layering_problems(
        {
            "passport/cohorts/cohorts.py": {"flask", "passport.web.context"},
            "passport/cli/verifying.py": {"passport.web.app"},
            "passport/catalog/models.py": {"passport.catalog.transfer"},
            "passport/services.py": {"passport.credentials.issuing"},
            "passport/web/admin/cohorts.py": {"flask", "passport.cohorts.cohorts"},
            "passport/credentials/models.py": {"passport.catalog.models", "passport.db"},
            SERVE[0]: {SERVE[1]},
        }
    )
    assert catches == {
        "passport/cohorts/cohorts.py": ["flask", "passport.web.context"],
        "passport/cli/verifying.py": ["passport.web.app"],
        "passport/catalog/models.py": ["passport.catalog.transfer"],
        "passport/services.py": ["passport.credentials.issuing"],
    }


def test_the_cli_never_builds_the_flask_app(tmp_path: Path) -> None:
    """`passport verify`, `init` and a database command (before and after `init`) run without
    Flask's app factory or Flask."""
    import json
    import os
    import subprocess
    import sys

    badge = ROOT / "tests" / "assets" / "ob3" / "spec-basic.jwt"
    script = (
        "import sys\n"
        "from passport.cli import main\n"
        "runs = (['verify', '--offline', sys.argv[1]], ['achievements'], ['init'],\n"
        "        ['achievements'])\n"
        "for argv in runs:\n"
        "    sys.argv = ['passport', *argv]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "loaded = sorted(m for m in sys.modules\n"
        "                if m.split('.')[0] in ('flask', 'werkzeug', 'flask_limiter')\n"
        "                or m.startswith('passport.web'))\n"
        "print(__import__('json').dumps(loaded))\n"
    )
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script, str(badge)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_readme_lists_every_variable_settings_reads() -> None:
    """README's configuration table names every environment variable Settings reads."""
    import re

    source = (PASSPORT / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"\"((?:PASSPORT_)?[A-Z][A-Z_]+)\"", source))
    read = {name for name in read if name.startswith("PASSPORT_") or name in ("PORT",)}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") :]
    listed = set(re.findall(r"`((?:PASSPORT_)?[A-Z][A-Z_]+)`", table))
    assert read, "found no variable names in settings.py"
    assert read - listed == set()


def test_no_two_public_classes_share_a_name() -> None:
    """A name means one thing across keys, verifier, issuer and passport (marshmallow's inner
    ``Meta`` classes aside)."""
    seen: dict[str, list[str]] = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1 and name != "Meta"}
    assert shared == {}
