"""Migration 0010 (SCIM): accounts that existed before get their own random SCIM id, and the
downgrade takes the SCIM tables and columns away again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from passport.db import alembic_config, migrate


def test_existing_accounts_get_distinct_scim_ids(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        migrate(engine, "0006")
        with engine.begin() as connection:
            for n in range(3):
                connection.execute(
                    text(
                        "INSERT INTO users (email, name, role, created_at) "
                        "VALUES (:email, 'Old', 'learner', '2026-01-01 00:00:00')"
                    ),
                    {"email": f"old{n}@example.org"},
                )
        migrate(engine, "0010")
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT scim_id FROM users")).scalars().all()
        assert len(ids) == 3 and len(set(ids)) == 3
        assert all(isinstance(i, str) and len(i) == 32 for i in ids)
        assert {"scim_groups", "scim_group_members"} <= set(inspect(engine).get_table_names())

        command.downgrade(alembic_config(engine), "0006")
        columns = {c["name"] for c in inspect(engine).get_columns("users")}
        assert not {"scim_id", "scim_user_name", "scim_external_id", "scim_profile"} & columns
        assert "scim_groups" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
