"""Health endpoints: liveness without the database, readiness naming the check that failed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from tests.conftest import drop_all_tables
from tests.load.harness import gunicorn


def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    broken = Settings(
        env="test",
        instance_path=tmp_path / "instance",
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        public_url="http://127.0.0.1:5000",
        secret_key="test-secret-key-not-for-production",
        key_passphrase="test key-store passphrase",
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_ok_on_an_initialised_instance(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "migrations", "keys"]
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["keys"]["active"] == 3  # Ed25519, P-256 and RSA
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_database_unreachable_is_503_and_says_no_more(tmp_path: Path) -> None:
    secret_url = "postgresql+psycopg://admin:hunter2-db-password@127.0.0.1:1/none"
    broken = Settings(
        env="test",
        instance_path=tmp_path / "instance",
        database_url=secret_url,
        public_url="http://127.0.0.1:5000",
        secret_key="test-secret-key-not-for-production",
        key_passphrase="test key-store passphrase",
    )
    response = create_app(broken).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database", "migrations", "keys"]
    assert body["checks"]["database"]["code"] == "database_unreachable"
    assert body["checks"]["keys"] == {"status": "skipped"}
    assert "hunter2" not in response.get_data(as_text=True)


def test_readyz_migrations_behind_head(app: Flask, services: Services) -> None:
    with services.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    body = app.test_client().get("/readyz").get_json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"]["code"] == "migrations_not_at_head"
    assert body["checks"]["migrations"]["current"] == ["0003"]


def test_readyz_wrong_passphrase(settings: Settings, app: Flask) -> None:
    other = create_app(settings.with_overrides(key_passphrase="not the passphrase"))
    try:
        response = other.test_client().get("/readyz")
    finally:
        other.extensions["passport"].engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["keys"]
    assert body["checks"]["keys"]["code"] == "bad_passphrase"


def test_readyz_missing_key_file(settings: Settings, app: Flask) -> None:
    for pem in settings.key_store_path.glob("*.pem"):
        pem.unlink()
    other = create_app(settings)  # a fresh process: nothing decrypted and cached yet
    try:
        body = other.test_client().get("/readyz").get_json()
    finally:
        other.extensions["passport"].engine.dispose()
    assert body["failed"] == ["keys"]
    assert body["checks"]["keys"]["code"] == "unknown_key"


# -- gunicorn, as `make serve` runs it ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - a loopback URL this test built
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
@pytest.mark.parametrize("preload", ["0", "1"], ids=["per-worker-app", "preloaded-app"])
def test_gunicorn_two_workers_ready_verify_and_a_clean_sigterm(
    tmp_path: Path, preload: str
) -> None:
    pytest.importorskip("gunicorn", reason="gunicorn is not installed")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {  # production refuses an http public URL and weak secrets (finding 3 of issue 17)
        **os.environ,
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_PUBLIC_URL": f"https://127.0.0.1:{port}",
        "PASSPORT_SECRET_KEY": "gQ4nV8rT2mX6wK0pZ5sB9dH3jL7fY1cA-uE_oI4tR8e",
        "PASSPORT_KEY_PASSPHRASE": "gunicorn test passphrase",
        "PASSPORT_RATE_LIMITS": "off",
        "PASSPORT_LOG_FORMAT": "json",
        "PASSPORT_WORKERS": "2",
        "PASSPORT_PRELOAD": preload,
        "PORT": str(port),
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    if os.environ.get("PASSPORT_TEST_DATABASE_URL"):
        env["PASSPORT_DATABASE_URL"] = os.environ["PASSPORT_TEST_DATABASE_URL"]
        drop_all_tables(env["PASSPORT_DATABASE_URL"])
    passport = str(Path(sys.executable).parent / "passport")
    for args in (
        ["init"],
        ["issue", "--achievement", "incident-response-l2", "--recipient", "gunicorn@example.org"],
    ):
        done = subprocess.run(
            [passport, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
    credential = done.stdout.encode("utf-8")

    log_path = tmp_path / "gunicorn.log"
    with gunicorn(env, log_path, ready_path="/healthz") as server:
        status, body = _http("GET", base + "/healthz")
        assert (status, body) == (200, {"status": "ok"})
        status, body = _http("GET", base + "/readyz?token=query-secret-123")
        assert status == 200, body
        assert body["status"] == "ok"
        for _ in range(4):  # likely to reach both workers
            status, report = _http("POST", base + "/api/v1/verify", credential)
            assert status == 200, report
            assert report["verified"] is True
    code = server.process.returncode
    output = log_path.read_text()
    assert code == 0, output
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = [str(r["message"]) for r in records]
    assert sum("Booting worker" in m for m in messages) == 2, output
    assert any("Handling signal: term" in m for m in messages), output
    assert any("Shutting down: Master" in m for m in messages), output
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert {r["path"] for r in access} >= {"/healthz", "/readyz", "/api/v1/verify"}
    assert "query-secret-123" not in output
    assert "gunicorn test passphrase" not in output
