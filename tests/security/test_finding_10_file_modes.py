"""Finding 10: the SQLite file was 0644 in a 0755 folder (e-mails and password hashes readable by
any local user).

Now the services set the umask to 077 and make the instance private at start: the folder and
its ``keys``/``backups``/``outbox`` folders 0700, the database with its ``-wal``/``-shm`` files
and everything else 0600, whether freshly made (``passport init``) or left open by an older
version (fixed at the next start).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from passport.cli import cli
from passport.files import sqlite_files
from passport.services import Services
from passport.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _env(instance: Path) -> dict[str, str]:
    return {
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(instance),
        "PASSPORT_DATABASE_URL": f"sqlite:///{instance / 'passport.sqlite3'}",
        "PASSPORT_PUBLIC_URL": "https://badges.example.org",
        "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
        "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
    }


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Start from the permissive umask of the review (022); put the test run's back after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _assert_private(instance: Path) -> None:
    assert _mode(instance) == 0o700
    for path in instance.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert _mode(path) == expected, (path.relative_to(instance), oct(_mode(path)))


@pytest.mark.usefixtures("open_umask")
def test_passport_init_makes_a_private_instance(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = _env(instance)
    result = CliRunner().invoke(cli, ["init"], env=env)
    assert result.exit_code == 0, result.output
    database, wal, shm, _ = sqlite_files(env["PASSPORT_DATABASE_URL"])
    assert database.exists() and (instance / "keys").is_dir()
    _assert_private(instance)
    # A connection in WAL mode makes -wal and -shm files: private too.
    services = Services.from_settings(Settings.from_env(env))
    try:
        with services.engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x)")
            connection.commit()
            assert wal.exists() and shm.exists()
            _assert_private(instance)
    finally:
        services.close()


@pytest.mark.usefixtures("open_umask")
def test_an_instance_left_open_is_made_private_at_the_next_start(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = _env(instance)
    assert CliRunner().invoke(cli, ["init"], env=env).exit_code == 0
    for folder in ("backups", "outbox"):
        (instance / folder).mkdir()
        (instance / folder / "old").write_text("x")
    for path in [instance, *instance.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert _mode(instance / "passport.sqlite3") == 0o644  # as the review found it
    Services.from_settings(Settings.from_env(env)).close()
    _assert_private(instance)
