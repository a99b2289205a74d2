"""Schema changes only through Alembic: the migrations must produce exactly the models' schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from passport.accounts.models import ApiToken
from passport.db import Base, make_engine, migrate
from passport.services import Services
from passport.settings import Settings
from tests.conftest import drop_all_tables


def test_migrations_match_the_models(services: Services) -> None:
    with services.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrate_is_idempotent(services: Services) -> None:
    migrate(services.engine)
    migrate(services.engine)
    tables = set(inspect(services.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_tokens_made_before_scopes_keep_what_they_could_do(settings: Settings) -> None:
    """Migration 0007: existing tokens get the scopes they effectively had (not ``scim``), and
    repeated names become unique without losing a token."""
    from passport.accounts.tokens import MIGRATED_SCOPES, authenticate, hash_token
    from passport.errors import Forbidden

    if not settings.database_url.startswith("sqlite"):
        drop_all_tables(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine, "0006")
        with engine.begin() as connection:
            for number, name in enumerate(["lms", "lms", "lms (2)", "ci"]):
                connection.execute(
                    text(
                        "INSERT INTO api_tokens (name, token_hash, created_at) "
                        "VALUES (:name, :hash, :at)"
                    ),
                    {"name": name, "hash": hash_token(f"sp_old-{number}"), "at": datetime.now(UTC)},
                )
        migrate(engine)
        now = datetime.now(UTC)
        with Session(engine) as db, db.begin():
            # What a token could do before: issue, change status, assess, verify (read).
            assert set(MIGRATED_SCOPES) == {
                "credentials:issue",
                "credentials:status",
                "assessments:write",
                "verify",
                "read",
            }
            names = db.scalars(select(ApiToken.name).order_by(ApiToken.id)).all()
            assert names == ["lms", "lms (3)", "lms (2)", "ci"]
            for number in range(4):
                header = f"Bearer sp_old-{number}"
                for scope in MIGRATED_SCOPES:
                    assert authenticate(db, header, now=now, scope=scope).expires_at is None
                with pytest.raises(Forbidden):
                    authenticate(db, header, now=now, scope="scim")
    finally:
        engine.dispose()
