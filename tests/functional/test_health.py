"""Health endpoints: liveness without the database, readiness naming the check that failed."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from passport import Settings, create_app
from passport.services import Services


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
    assert body["checks"]["keys"]["active"] == 2
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
