"""Database errors never carry a statement's parameters: job errors are stored, shown at
/admin/jobs and logged, and parameters are people's e-mails and HR ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from passport.db import make_engine


def test_an_integrity_error_does_not_name_the_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
            connection.execute(text("INSERT INTO people VALUES (:e)"), {"e": "ada@example.org"})
        with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
            connection.execute(text("INSERT INTO people VALUES (:e)"), {"e": "ada@example.org"})
        assert "UNIQUE" in str(caught.value)
        assert "ada@example.org" not in str(caught.value)
    finally:
        engine.dispose()
