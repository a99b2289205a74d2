"""Shared fixtures: factories for settings, a migrated app on a real database, tokens, keys.

Tests use a real SQLite file in a temporary folder, or the PostgreSQL database named by
``PASSPORT_TEST_DATABASE_URL`` (its tables are dropped and re-created for each test).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, inspect, text

from passport.accounts.tokens import create_token
from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services

ASSETS = Path(__file__).parent / "assets"


@pytest.fixture(autouse=True)
def _close_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dispose of every database engine an app made during the test when it ends.

    A test that builds an app and forgets ``engine.dispose()`` would otherwise leave pooled
    PostgreSQL connections for the garbage collector, which psycopg warns about in whatever
    test happens to run then.
    """
    import passport.db
    import passport.services

    made: list[Any] = []
    real = passport.db.make_engine

    def tracked(url: str) -> Any:
        engine = real(url)
        made.append(engine)
        return engine

    monkeypatch.setattr(passport.db, "make_engine", tracked)
    monkeypatch.setattr(passport.services, "make_engine", tracked)
    yield
    for engine in made:
        engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogs() -> None:
    """Pages need the compiled gettext catalogs (``make catalogs``); build any missing or stale
    ``.mo`` so that ``pytest`` alone works too."""
    from passport.web.i18n import compile_catalogs

    compile_catalogs()


PUBLIC_URL = "http://127.0.0.1:5000"
ISSUER_DID = "did:web:127.0.0.1%3A5000"


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("PASSPORT_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path / 'instance' / 'passport.sqlite3'}"
    )


def settings_for(folder: Path) -> Settings:
    """The suite's settings with the instance (and a SQLite database) in ``folder``; module
    fixtures that share one app across tests start from these too."""
    return Settings(
        env="test",
        instance_path=folder / "instance",
        database_url=_database_url(folder),
        public_url=PUBLIC_URL,
        secret_key="test-secret-key-not-for-production",
        key_passphrase="test key-store passphrase",
        # The suite is not throttled; tests of the limits ask for them (test_rate_limits.py).
        rate_limits="off",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


def drop_all_tables(url: str) -> None:
    """Start from an empty database (a shared PostgreSQL test database keeps its tables)."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
    finally:
        engine.dispose()


@functools.cache
def _schema_head() -> tuple[str | None, frozenset[str]]:
    """The migrations' head revision and the tables the models define (read once)."""
    import passport.models
    from passport.db import alembic_config

    engine = create_engine("sqlite://")
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()
    return head, frozenset(passport.models.Base.metadata.tables) | {"alembic_version"}


def _emptied_at_head(url: str) -> bool:
    """Empty a shared test database in place when its schema is the migrations' head: every
    table the models define is there (and no other), ``alembic_version`` says head. One
    TRUNCATE then replaces dropping and migrating again, which on PostgreSQL costs each test
    about half a second more. False (nothing done) when the schema is anything else."""
    head, tables = _schema_head()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            present = set(inspect(connection).get_table_names())
            if present != tables:
                return False
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            if [row[0] for row in version] != [head]:
                return False
            names = ", ".join(f'"{name}"' for name in sorted(tables - {"alembic_version"}))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return True
    finally:
        engine.dispose()


def _reset_database(services: Services) -> None:
    if services.engine.dialect.name == "sqlite":
        return  # a SQLite file per test starts empty
    url = services.settings.database_url
    if not _emptied_at_head(url):
        drop_all_tables(url)


def fresh_app(settings: Settings) -> Flask:
    """An app for ``settings`` over an empty, migrated database (the shared PostgreSQL test
    database is emptied first; a SQLite file per test starts empty anyway)."""
    app = create_app(settings)
    services = get_services(app)
    _reset_database(services)
    initialise(services)
    return app


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = fresh_app(settings)
    yield app
    get_services(app).engine.dispose()


@pytest.fixture
def services(app: Flask) -> Services:
    return get_services(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


#: What the suite's integration token may do: everything a token could before scopes existed,
#: and verify (the OpenAPI run sends it to every operation).
API_TOKEN_SCOPES = (
    "credentials:issue",
    "credentials:status",
    "assessments:write",
    "verify",
    "read",
    "outcomes:read",
    "people:write",
    "roles:write",
    "roles:read",
)


@pytest.fixture
def api_token(services: Services) -> str:
    with services.session() as session:
        return create_token(session, "test-integration", scopes=API_TOKEN_SCOPES, actor="test")
