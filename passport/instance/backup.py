"""``passport backup`` / ``passport restore``: one archive with the database and the key store.

The archive is a gzip'd tar of:

- ``manifest.json`` — format version, package versions, the Alembic revision, the database
  kind, the tables (name, columns, row count, member) and the SHA-256 and size of every other
  member;
- ``manifest.hmac`` — HMAC-SHA256 of ``manifest.json`` under a key derived (HKDF) from the
  key-store passphrase, so an edited manifest is caught by anyone restoring with the right
  passphrase (the hashes then catch every edited member);
- the database: SQLite is copied with SQLite's online backup API (``database/passport.sqlite3``,
  a consistent copy while the app runs); PostgreSQL is dumped table by table as JSON lines
  (``database/<table>.jsonl``, one JSON array of column values per row) inside one
  ``REPEATABLE READ`` read-only transaction, so every table comes from the same snapshot — no
  ``pg_dump`` needed;
- ``keys/<kid>.pem`` — the key files exactly as stored (still encrypted with the passphrase).

Restore reads rows from either kind and inserts them through SQLAlchemy in foreign-key order
into a database migrated to the archive's revision, then upgrades to head — so an SQLite backup
restores into PostgreSQL and back. It refuses a non-empty database unless ``force`` (which
drops every table first), a member whose hash differs, an unknown or newer revision, and a
passphrase that does not decrypt the archived keys. Errors are :class:`BackupError` with a
stable ``code``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import os
import platform
import re
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine, Integer, MetaData, Table, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from keys.errors import KeyStoreError
from keys.store import decrypt_key_file
from passport.db import alembic_config, migrate
from passport.errors import BackupError
from passport.services import Services

__all__ = ["BackupResult", "RestoreResult", "create_backup", "restore_backup"]

logger = logging.getLogger(__name__)

FORMAT = "skill-passport-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAC = "manifest.hmac"
SQLITE_MEMBER = "database/passport.sqlite3"
_KEY_SUFFIX = ".pem"
_BATCH = 500
_ALEMBIC_TABLE = "alembic_version"
_KID = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)  # RFC 7638 thumbprints, as keys.store


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    revision: str
    tables: int
    rows: int
    keys: int


@dataclass(frozen=True, slots=True)
class RestoreResult:
    revision: str
    tables: int
    rows: int
    keys: int


# -- helpers ---------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mac_key(passphrase: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"skill-passport backup manifest"
    ).derive(passphrase.encode("utf-8"))


def _manifest_mac(passphrase: str, manifest: bytes) -> str:
    return hmac.new(_mac_key(passphrase), manifest, hashlib.sha256).hexdigest()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _current_revision(connection: Connection) -> str:
    heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) != 1:
        raise BackupError(
            "The database has no single migration revision; run `passport init` first.",
            code="no_revision",
        )
    return heads[0]


def _reflect(connection: Connection) -> list[Table]:
    """Our tables in foreign-key order (parents first), without Alembic's own."""
    meta = MetaData()
    meta.reflect(connection)
    return [t for t in meta.sorted_tables if t.name != _ALEMBIC_TABLE]


def _encode(value: Any) -> Any:
    """A column value as JSON: tagged objects for bytes, datetimes, dates and decimals."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$decimal":
            return Decimal(inner)
    return value


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


# -- backup ----------------------------------------------------------------------------------


def _sqlite_copy(engine: Engine, work: Path) -> bytes:
    """A consistent copy of the live SQLite database (SQLite's online backup API)."""
    target = work / "copy.sqlite3"
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)  # the sqlite dialect's DBAPI
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        raw.close()
    return target.read_bytes()


def _sqlite_tables(path: Path) -> tuple[str, list[dict[str, Any]]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            revision = _current_revision(connection)
            tables = [
                {
                    "name": table.name,
                    "columns": [c.name for c in table.columns],
                    "rows": connection.scalar(select(func.count()).select_from(table)),
                }
                for table in _reflect(connection)
            ]
    finally:
        engine.dispose()
    return revision, tables


def _json_dump(engine: Engine) -> tuple[str, list[dict[str, Any]], dict[str, bytes]]:
    """Every table as JSON lines, all read in one snapshot."""
    members: dict[str, bytes] = {}
    tables: list[dict[str, Any]] = []
    with engine.connect().execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    ) as connection:
        revision = _current_revision(connection)
        for table in _reflect(connection):
            key = list(table.primary_key.columns) or list(table.columns)
            lines = [
                json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":"))
                for row in connection.execute(select(table).order_by(*key))
            ]
            name = f"database/{table.name}.jsonl"
            members[name] = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
            tables.append(
                {
                    "name": table.name,
                    "columns": [c.name for c in table.columns],
                    "rows": len(lines),
                    "member": name,
                }
            )
        connection.rollback()
    return revision, tables, members


def create_backup(services: Services, output: Path, *, now: datetime) -> BackupResult:
    """Write one archive with the database and the key store to ``output``.

    Raises :class:`BackupError` when the database cannot be read, has no revision, or a key
    the database lists has no file in the key store.
    """
    passphrase = services.settings.key_passphrase
    if not passphrase:
        raise BackupError("A backup needs PASSPORT_KEY_PASSPHRASE.", code="no_passphrase")
    engine = services.engine
    members: dict[str, bytes] = {}
    try:
        if engine.dialect.name == "sqlite":
            with tempfile.TemporaryDirectory() as work:
                data = _sqlite_copy(engine, Path(work))
                (Path(work) / "check.sqlite3").write_bytes(data)
                revision, tables = _sqlite_tables(Path(work) / "check.sqlite3")
            members[SQLITE_MEMBER] = data
            kind = "sqlite-file"
        else:
            revision, tables, members = _json_dump(engine)
            kind = "json-rows"
    except SQLAlchemyError as exc:
        raise BackupError("The database could not be read.", code="database") from exc
    # Keys after the database: every key the snapshot names already has its file.
    key_dir = services.settings.key_store_path
    wanted = _kids_in(members, tables, kind)
    for kid in sorted(wanted):
        path = key_dir / f"{kid}{_KEY_SUFFIX}"
        try:
            members[f"keys/{kid}{_KEY_SUFFIX}"] = path.read_bytes()
        except OSError as exc:
            raise BackupError(
                f"The key store has no file for key {kid}, which the database lists.",
                code="key_missing",
            ) from exc
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "versions": {
            "skill-passport": _version("skill-passport"),
            "python": platform.python_version(),
            "sqlalchemy": _version("sqlalchemy"),
            "alembic": _version("alembic"),
        },
        "alembic_revision": revision,
        "database": {"dialect": engine.dialect.name, "kind": kind, "tables": tables},
        "keys": sorted(wanted),
        "members": {
            name: {"sha256": _sha256(data), "size": len(data)}
            for name, data in sorted(members.items())
        },
    }
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        with tarfile.open(fileobj=handle, mode="w:gz") as archive:
            _add(archive, MANIFEST, manifest_bytes)
            _add(archive, MANIFEST_MAC, _manifest_mac(passphrase, manifest_bytes).encode())
            for name, data in sorted(members.items()):
                _add(archive, name, data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, output)
    rows = sum(int(t["rows"]) for t in tables)
    logger.info("backup written: %s tables, %s rows, %s keys", len(tables), rows, len(wanted))
    return BackupResult(output, revision, len(tables), rows, len(wanted))


def _kids_in(members: dict[str, bytes], tables: list[dict[str, Any]], kind: str) -> set[str]:
    """The signing-key ids the backed-up database lists."""
    if kind == "sqlite-file":
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "kids.sqlite3"
            path.write_bytes(members[SQLITE_MEMBER])
            connection = sqlite3.connect(path)
            try:
                return {row[0] for row in connection.execute("SELECT kid FROM signing_keys")}
            finally:
                connection.close()
    for table in tables:
        if table["name"] == "signing_keys":
            index = table["columns"].index("kid")
            data = members[table["member"]].decode("utf-8")
            return {json.loads(line)[index] for line in data.splitlines() if line}
    return set()


# -- restore ---------------------------------------------------------------------------------


def _utc(value: Any) -> Any:
    """Our datetimes are UTC; SQLite hands them back naive, so say so before inserting."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _read_archive(path: Path) -> dict[str, bytes]:
    """Every regular member of the archive by name; links, devices and odd paths refused."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for info in archive:
                name = PurePosixPath(info.name)
                if not info.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupError(
                        f"The archive holds an unexpected entry {info.name!r}.", code="tampered"
                    )
                handle = archive.extractfile(info)
                assert handle is not None  # a regular file
                if info.name in members:
                    raise BackupError(f"The archive holds {info.name!r} twice.", code="tampered")
                members[info.name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError("The file is not a readable backup archive.", code="unreadable") from exc
    return members


def _checked_manifest(members: dict[str, bytes], passphrase: str) -> dict[str, Any]:
    manifest_bytes = members.get(MANIFEST)
    mac = members.get(MANIFEST_MAC)
    if manifest_bytes is None or mac is None:
        raise BackupError("The archive has no manifest.", code="no_manifest")
    if not hmac.compare_digest(mac.strip(), _manifest_mac(passphrase, manifest_bytes).encode()):
        raise BackupError(
            "The manifest does not match its HMAC: the archive was changed, or "
            "PASSPORT_KEY_PASSPHRASE is not the passphrase of the instance that made it.",
            code="tampered",
        )
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise BackupError("The manifest is not JSON.", code="tampered") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("This is not a backup this version can read.", code="format")
    kids = manifest.get("keys")
    if not isinstance(kids, list) or not all(
        isinstance(k, str) and _KID.fullmatch(k) for k in kids
    ):
        raise BackupError("The manifest lists a key id that is not a key id.", code="tampered")
    listed = manifest.get("members") or {}
    present = set(members) - {MANIFEST, MANIFEST_MAC}
    if set(listed) != present:
        raise BackupError(
            "The archive's files are not the ones its manifest lists.", code="tampered"
        )
    for name, expected in listed.items():
        if _sha256(members[name]) != expected.get("sha256"):
            raise BackupError(
                f"{name} does not match the SHA-256 in the manifest: the archive was changed "
                "or damaged.",
                code="tampered",
            )
    return manifest


def _check_revision(engine: Engine, revision: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(engine))
    if revision not in {r.revision for r in script.walk_revisions()}:
        raise BackupError(
            f"The backup is at migration revision {revision!r}, which this version does not "
            "know (made by a newer version?).",
            code="unknown_revision",
        )


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        tables = _reflect(connection)
        return all(
            not connection.scalar(select(func.count()).select_from(table)) for table in tables
        )


def _drop_everything(engine: Engine) -> None:
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)


def _check_keys(members: dict[str, bytes], manifest: dict[str, Any], passphrase: str) -> None:
    """Every archived key decrypts with this instance's passphrase (before anything changes)."""
    for kid in manifest.get("keys", []):
        data = members.get(f"keys/{kid}{_KEY_SUFFIX}")
        if data is None:
            raise BackupError(f"The archive lacks the key file of {kid}.", code="key_missing")
        try:
            decrypt_key_file(data, passphrase.encode("utf-8"))
        except KeyStoreError as exc:
            raise BackupError(
                "PASSPORT_KEY_PASSPHRASE does not decrypt the archived keys; restore with the "
                "passphrase of the instance that made the backup.",
                code="bad_passphrase",
            ) from exc


def _rows(
    members: dict[str, bytes], manifest: dict[str, Any], work: Path
) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    """(table, columns, rows) for every backed-up table, whatever the kind."""
    database = manifest["database"]
    if database["kind"] == "sqlite-file":
        path = work / "restore.sqlite3"
        path.write_bytes(members[SQLITE_MEMBER])
        source = create_engine(f"sqlite:///{path}")
        try:
            with source.connect() as connection:
                for table in _reflect(connection):
                    columns = [c.name for c in table.columns]
                    yield table.name, columns, (list(r) for r in connection.execute(select(table)))
        finally:
            source.dispose()
        return
    if database["kind"] != "json-rows":
        raise BackupError("The backup's database kind is unknown.", code="format")
    for entry in database["tables"]:
        data = members[entry["member"]].decode("utf-8")
        yield (
            entry["name"],
            list(entry["columns"]),
            ([_decode(v) for v in json.loads(line)] for line in data.splitlines() if line),
        )


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: serial/identity sequences continue after the restored ids."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            highest = func.max(column)
            connection.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence(table.name, column.name),
                        func.coalesce(highest, 1),
                        highest.is_not(None),
                    )
                ).select_from(table)
            )


def restore_backup(services: Services, archive: Path, *, force: bool = False) -> RestoreResult:
    """Restore ``archive`` (from :func:`create_backup`) into this instance.

    Raises :class:`BackupError` (``code``): ``unreadable``, ``no_manifest``, ``tampered``,
    ``format``, ``unknown_revision``, ``bad_passphrase``, ``key_missing``, ``not_empty``
    (without ``force``), ``key_exists`` (a different key file with the same name, without
    ``force``) or ``database`` (the rows could not be written; nothing is committed).
    """
    passphrase = services.settings.key_passphrase
    if not passphrase:
        raise BackupError("A restore needs PASSPORT_KEY_PASSPHRASE.", code="no_passphrase")
    engine = services.engine
    members = _read_archive(archive)
    manifest = _checked_manifest(members, passphrase)
    revision = str(manifest["alembic_revision"])
    _check_revision(engine, revision)
    _check_keys(members, manifest, passphrase)
    key_dir = services.settings.key_store_path
    for kid in manifest["keys"]:
        existing = key_dir / f"{kid}{_KEY_SUFFIX}"
        if (
            existing.exists()
            and not force
            and existing.read_bytes() != members[f"keys/{kid}{_KEY_SUFFIX}"]
        ):
            raise BackupError(
                f"The key store already has a different file for {kid} (use --force).",
                code="key_exists",
            )
    try:
        if not _is_empty(engine):
            if not force:
                raise BackupError(
                    "The database is not empty; restore into a fresh instance, or use --force "
                    "to replace everything in it.",
                    code="not_empty",
                )
            _drop_everything(engine)
        migrate(engine, revision)
        total = 0
        with tempfile.TemporaryDirectory() as work, engine.begin() as connection:
            targets = {t.name: t for t in _reflect(connection)}
            restored: list[Table] = []
            for name, columns, rows in _rows(members, manifest, Path(work)):
                table = targets.get(name)
                if table is None or set(columns) - set(table.columns.keys()):
                    raise BackupError(
                        f"The backup's table {name!r} does not fit revision {revision}.",
                        code="format",
                    )
                batch: list[dict[str, Any]] = []
                for row in rows:
                    batch.append(dict(zip(columns, map(_utc, row), strict=True)))
                    if len(batch) >= _BATCH:
                        connection.execute(table.insert(), batch)
                        total += len(batch)
                        batch = []
                if batch:
                    connection.execute(table.insert(), batch)
                    total += len(batch)
                restored.append(table)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection, restored)
        migrate(engine, "head")
    except SQLAlchemyError as exc:
        raise BackupError("The database could not be restored.", code="database") from exc
    _write_keys(key_dir, members, manifest["keys"])
    services.invalidate_keys()
    return RestoreResult(revision, len(restored), total, len(manifest["keys"]))


def _write_keys(key_dir: Path, members: dict[str, bytes], kids: list[str]) -> None:
    """The archived key files, as they were (still encrypted), mode 0600 in a 0700 folder."""
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    for kid in kids:
        final = key_dir / f"{kid}{_KEY_SUFFIX}"
        temporary = key_dir / f".{kid}.restore.tmp"
        descriptor = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(members[f"keys/{kid}{_KEY_SUFFIX}"])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
