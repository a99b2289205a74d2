"""``passport templates import FILE`` and ``passport templates export`` as a user runs them:
real processes, a real instance folder; a bad file is refused with each problem located."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from passport.mentoring.templates import STARTER_FILE
from tests.conftest import drop_all_tables
from tests.functional.test_cli import run


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("templates-cli") / "instance"
    env = {
        **os.environ,
        "PASSPORT_ENV": "development",
        "PASSPORT_INSTANCE_PATH": str(folder),
        "PASSPORT_PUBLIC_URL": "http://127.0.0.1:5999",
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    if os.environ.get("PASSPORT_TEST_DATABASE_URL"):
        env["PASSPORT_DATABASE_URL"] = os.environ["PASSPORT_TEST_DATABASE_URL"]
        drop_all_tables(env["PASSPORT_DATABASE_URL"])
    assert run(env, "init").returncode == 0
    return env


def test_the_starter_file_imports_exports_and_reimports_unchanged(
    instance: dict[str, str],
) -> None:
    first = run(instance, "templates", "import", str(STARTER_FILE))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        "templates: 7 created, 0 updated; programs: 1 created, 0 updated"
    )
    exported = run(instance, "templates", "export")
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert len(document["templates"]) == 7
    (program,) = document["programs"]
    assert program["name"] == "SRE foundations, 7 weeks"
    assert [item["week"] for item in program["items"]] == [1, 2, 3, 4, 5, 6, 7]
    again = run(instance, "templates", "import", "-", stdin=exported.stdout)
    assert again.returncode == 0, again.stderr
    assert "templates: 0 created, 0 updated" in again.stdout


def test_a_bad_file_is_refused_with_located_problems(
    instance: dict[str, str], tmp_path: Path
) -> None:
    document = json.loads(STARTER_FILE.read_text("utf-8"))
    document["templates"][1]["preReading"][0]["url"] = "ftp://example.org/book"
    document["templates"][2]["criteria"] = ["not-a-criterion"]
    document["templates"][3]["minutes"] = 5
    document["programs"][0]["items"][0]["template"] = "nope"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), "utf-8")
    result = run(instance, "templates", "import", str(path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: the file has 4 problem(s):"
    assert lines[1].strip().startswith("templates[1].preReading[0].url:")
    assert lines[2].strip().startswith("templates[2].criteria:")
    assert lines[3].strip().startswith("templates[3].minutes:")
    assert lines[4].strip().startswith("programs[0].items[0].template:")
    broken = tmp_path / "broken.json"
    broken.write_text('{"templates": [', "utf-8")
    result = run(instance, "templates", "import", str(broken))
    assert result.returncode == 2
    assert "not valid JSON (line 1)" in result.stderr
