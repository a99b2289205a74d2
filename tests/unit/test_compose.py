"""``compose.yaml`` kept honest against the code, without running a container.

Every command a service runs must parse as the real ``passport`` command (click) or gunicorn
(its own argument parser) would parse it; every ``PASSPORT_*`` variable it sets must be one
:meth:`Settings.from_env` reads, and the whole environment must make production settings that
start (secrets strong, URL https, Redis shared); hosts, ports, the gunicorn config file, the
WSGI module and the health-check path must exist and agree.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml
from flask import Flask
from gunicorn.config import Config

from passport.cli import cli
from passport.settings import Settings

ROOT = Path(__file__).parents[2]
OUR_SERVICES = ("init", "web", "worker")
#: What a person puts in .env (docs/compose.env.example), strong enough for production.
SAMPLE_ENV = {
    "POSTGRES_PASSWORD": "pg-Xq7rT2vL9mN4bK8wZ3",
    "PASSPORT_PUBLIC_URL": "https://badges.example.org",
    "PASSPORT_SECRET_KEY": "c0mP0se-t3st-9fK2xQ7vL4nB8mZ1wR6yT3uE5iO0pA",
    "PASSPORT_KEY_PASSPHRASE": "compose test passphrase for the key store 7Qz",
}
_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}`` (a missing required
    variable raises, as ``docker compose`` refuses to start)."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        value = env.get(name, "")
        if value or kind is None:
            return value
        if kind.endswith("?"):
            raise LookupError(f"{name}: {rest}")
        return rest

    return _VARIABLE.sub(one, value)


def _environment(service: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    values = service.get("environment", {})
    assert isinstance(values, dict), "environment as a mapping"
    return {key: interpolate(str(value), env) for key, value in values.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


class Recording(Mapping[str, str]):
    """An environment that remembers which names were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def test_compose_has_the_database_redis_init_web_and_worker() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", *OUR_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in OUR_SERVICES:
        assert services[name]["build"] == ".", name
        assert (ROOT / "Dockerfile").is_file()
        assert services[name]["volumes"] == ["instance:/var/lib/passport"], name
    # Web and workers start after the migrations ran, never beside them.
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["init"] == {
            "condition": "service_completed_successfully"
        }
    assert services["init"]["restart"] == "no"


@pytest.mark.parametrize("name", ["init", "worker"])
def test_passport_commands_parse_as_the_cli_parses_them(name: str) -> None:
    command = _command(_compose()["services"][name])
    assert command[0] == "passport"
    subcommand = cli.get_command(click.Context(cli), command[1])
    assert subcommand is not None, f"passport has no command {command[1]!r}"
    # Raises click.UsageError for an option or argument the command does not take.
    context = subcommand.make_context(command[1], command[2:])
    if name == "worker":
        assert context.params["threads"] == 1


def test_the_web_command_is_gunicorn_with_our_config_and_module() -> None:
    compose = _compose()
    web = compose["services"]["web"]
    command = _command(web)
    assert command[0] == "gunicorn"
    # gunicorn's own parser: an unknown option exits (SystemExit) here as it would there.
    parsed = Config().parser().parse_args(command[1:])
    assert (ROOT / parsed.config).is_file(), parsed.config
    (app,) = parsed.args
    module, _, variable = app.partition(":")
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    assigned = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}
    assert variable in assigned, f"{module}.py defines no {variable!r}"
    (bind,) = parsed.bind
    host, _, port = bind.rpartition(":")
    assert host == "0.0.0.0"  # noqa: S104 - inside the container; published on loopback
    env = _environment(web, SAMPLE_ENV)
    assert port == env["PORT"]
    published = [str(p).rsplit(":", 2) for p in web["ports"]]
    assert published == [["127.0.0.1", port, port]]
    # The Dockerfile's default command is the web's.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    assert len(cmd) == 1 and ast.literal_eval(cmd[0].removeprefix("CMD ")) == command


def test_every_variable_is_one_settings_reads_and_production_starts() -> None:
    compose = _compose()
    services = compose["services"]
    for name in OUR_SERVICES:
        env = _environment(services[name], SAMPLE_ENV)
        recording = Recording(env)
        settings = Settings.from_env(recording)
        settings.check_serving()  # what gunicorn.conf.py refuses to start without
        ours = {k for k in env if k.startswith("PASSPORT_") or k == "PORT"}
        assert ours - recording.asked == set(), f"{name}: variables nothing reads"
        assert settings.is_production
        assert settings.port == 8000
        assert str(settings.instance_path) == "/var/lib/passport"
        # The hosts are the services' names, on their images' default ports.
        database = urlsplit(settings.database_url)
        assert (database.hostname, database.port, database.path) == ("postgres", 5432, "/passport")
        postgres = _environment(services["postgres"], SAMPLE_ENV)
        assert database.username == postgres["POSTGRES_USER"]
        assert database.password == postgres["POSTGRES_PASSWORD"]
        assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
        assert settings.redis_url is not None
        redis = urlsplit(settings.redis_url)
        assert (redis.hostname, redis.port) == ("redis", 6379)


def test_the_secrets_must_be_given_and_the_example_names_them() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    required = {m.group(1) for m in _VARIABLE.finditer(text) if m.group(2) == ":?"}
    assert required == set(SAMPLE_ENV)
    web = _compose()["services"]["web"]
    with pytest.raises(LookupError, match="PASSPORT_SECRET_KEY"):
        _environment(web, {k: v for k, v in SAMPLE_ENV.items() if k != "PASSPORT_SECRET_KEY"})
    example = (ROOT / "docs" / "compose.env.example").read_text(encoding="utf-8")
    named = {line.partition("=")[0] for line in example.splitlines() if line and line[0] != "#"}
    used = {m.group(1) for m in _VARIABLE.finditer(text)}
    assert required <= named
    assert named <= used, "the example names a variable compose.yaml does not use"


def test_the_health_check_asks_a_path_the_app_serves(app: Flask) -> None:
    test = _compose()["services"]["web"]["healthcheck"]["test"]
    urls = re.findall(r"http://127\.0\.0\.1:(\d+)(/[a-z]+)", " ".join(test))
    assert len(urls) == 1
    port, path = urls[0]
    assert port == _environment(_compose()["services"]["web"], SAMPLE_ENV)["PORT"]
    assert path in {rule.rule for rule in app.url_map.iter_rules()}
