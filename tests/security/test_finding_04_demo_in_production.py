"""Finding 4: ``passport demo`` loaded into production.

Reproduced: 20 learners, badges signed with the production key, and ``admin@demo.example``
with the published demo password logged in. Now the use case and the command refuse in
production with a clear message, and nothing is written.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from passport.accounts.models import User
from passport.cli import cli
from passport.errors import ConfigError
from passport.instance.demo import load_demo
from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import Settings


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'passport.sqlite3'}",
        "PASSPORT_PUBLIC_URL": "https://badges.example.org",
        "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
        "PASSPORT_KEY_PASSPHRASE": secrets.token_urlsafe(32),
    }


def test_the_demo_command_refuses_in_production(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    result = runner.invoke(cli, ["demo"], env=env)
    assert result.exit_code == 1
    assert "never loaded in production" in result.output
    assert "demo-password" not in result.output
    services = Services.from_settings(Settings.from_env(env))
    try:
        with services.session() as db:
            assert db.scalar(select(func.count()).select_from(User)) == 0
    finally:
        services.close()


def test_the_use_case_refuses_in_production(settings: Settings) -> None:
    services = Services.from_settings(settings.with_overrides(env="production"))
    try:
        initialise(services)
        with pytest.raises(ConfigError) as refused:
            load_demo(services)
        assert refused.value.code == "demo_in_production"
        with services.session() as db:
            assert db.scalar(select(User).where(User.email == "admin@demo.example")) is None
    finally:
        services.close()
