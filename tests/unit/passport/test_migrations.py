"""Schema changes only through Alembic: the migrations must produce exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from passport.db import Base, migrate
from passport.services import Services


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
