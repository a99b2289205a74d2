"""Settings: production is the default and refuses to start without secrets; development warns."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from passport.errors import ConfigError
from passport.settings import DevelopmentWarning, Settings


def test_production_is_the_default_and_needs_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PASSPORT_SECRET_KEY"):
        Settings.from_env({"PASSPORT_INSTANCE_PATH": str(tmp_path)})


def test_production_with_secrets(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PASSPORT_INSTANCE_PATH": str(tmp_path),
            "PASSPORT_PUBLIC_URL": "https://badges.example.org/",
            # Production refuses low-variety values (tests/security/test_finding_03_*).
            "PASSPORT_SECRET_KEY": "Hx3vQe9LmT2pZr7Wk4NcYb8JdF6sUa1GgE5hRt0Oi-_",
            "PASSPORT_KEY_PASSPHRASE": "onyx gravel tundra quill meadow sprocket",
        }
    )
    assert settings.is_production
    assert settings.public_url == "https://badges.example.org"
    assert settings.database_url == f"sqlite:///{tmp_path / 'passport.sqlite3'}"
    assert not any(tmp_path.iterdir())  # nothing generated in production


def test_development_generates_secrets_once_and_warns(tmp_path: Path) -> None:
    env = {"PASSPORT_ENV": "development", "PASSPORT_INSTANCE_PATH": str(tmp_path), "PORT": "5123"}
    with pytest.warns(DevelopmentWarning):
        first = Settings.from_env(env)
    assert first.public_url == "http://127.0.0.1:5123"
    for name in ("dev-secret-key", "dev-key-passphrase"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600
    second = Settings.from_env(env)  # no warning the second time: nothing new generated
    assert (second.secret_key, second.key_passphrase) == (first.secret_key, first.key_passphrase)


@pytest.mark.parametrize(
    ("env", "message"),
    [({"PASSPORT_ENV": "staging"}, "PASSPORT_ENV"), ({"PORT": "eighty"}, "PORT")],
)
def test_bad_values_are_config_errors(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"PASSPORT_INSTANCE_PATH": str(tmp_path), **env})


def test_verify_needs_no_secrets(tmp_path: Path) -> None:
    settings = Settings.from_env({"PASSPORT_INSTANCE_PATH": str(tmp_path)}, require_secrets=False)
    assert settings.key_passphrase == "" and settings.secret_key == ""


@pytest.mark.parametrize(
    ("value", "purposes"),
    [
        (None, ("revocation",)),  # OB 3.0: one credentialStatus by default
        ("revocation", ("revocation",)),
        ("revocation, suspension", ("revocation", "suspension")),
    ],
)
def test_status_purposes(tmp_path: Path, value: str | None, purposes: tuple[str, ...]) -> None:
    env = {"PASSPORT_INSTANCE_PATH": str(tmp_path)}
    if value is not None:
        env["PASSPORT_STATUS_PURPOSES"] = value
    assert Settings.from_env(env, require_secrets=False).status_purposes == purposes


@pytest.mark.parametrize("value", ["suspension", "revocation,refresh", " , "])
def test_status_purposes_need_revocation_and_nothing_unknown(tmp_path: Path, value: str) -> None:
    env = {"PASSPORT_INSTANCE_PATH": str(tmp_path), "PASSPORT_STATUS_PURPOSES": value}
    with pytest.raises(ConfigError, match="PASSPORT_STATUS_PURPOSES"):
        Settings.from_env(env, require_secrets=False)
