"""The database ground every domain stands on: engine, declarative base, UTC times, migrations.

The engine belongs to the app (created by :func:`make_engine` in ``create_app``), never to a
module. SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL is used as is. Migrations
run through Alembic's API with the package's own ``migrations`` folder, so ``passport init``
needs no ``alembic.ini``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value

__all__ = [
    "MIGRATIONS",
    "Base",
    "UTCDateTime",
    "alembic_config",
    "claim",
    "make_engine",
    "migrate",
    "utcnow",
]

MIGRATIONS = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite files get their folder created and sane pragmas."""
    parsed = make_url(url)
    # A statement's parameters never reach an error message: job errors are stored and shown
    # (/admin/jobs) and logged, and parameters are people's e-mails, HR ids and credentials.
    kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    # Room for a threaded server (and the concurrency tests) without waiting on the pool.
    kwargs.update(pool_size=10, max_overflow=30, pool_timeout=60)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs this package's migrations on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def claim(db: Session, row: Base, *conditions: ColumnElement[bool], **values: Any) -> bool:
    """Set ``values`` on ``row`` with one conditional ``UPDATE … WHERE <its key> AND
    <conditions>``: of requests racing for the same one-time thing (a reset link, a recovery
    code, a TOTP time step), exactly one changes the row, whatever each read before. Returns
    whether this one did; ``row`` then shows the new values."""
    mapper = inspect(type(row))
    key = [
        column == getattr(row, mapper.get_property_by_column(column).key)
        for column in mapper.primary_key
    ]
    result = db.execute(
        update(type(row))
        .where(*key, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True
