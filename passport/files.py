"""The instance's files are the service's alone: folders 0700, files 0600.

The instance folder holds the SQLite database (e-mails, password hashes), the encrypted keys,
development secrets, backups and the development mail outbox; a security review found the
database 0644 in a 0755 folder, readable by every local user (finding 10 of issue 17).

- :func:`private_umask` sets the process umask to 077 when the services start, so whatever is
  created afterwards (SQLite's ``-wal``/``-shm`` files, archives, outbox mails) is private from
  the first byte;
- :func:`secure_instance` creates the instance folder 0700 and puts back 0700/0600 on what is
  already there (an instance made by an older version, or copied in by hand): the folder, the
  SQLite file and its ``-wal``/``-shm``/``-journal`` companions, the job queue's SQLite file
  (``queue.sqlite3``, with its own), and the ``keys``, ``backups``, ``outbox`` and ``uploads``
  folders with everything in them. Symbolic links are never followed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "PRIVATE_FOLDERS",
    "QUEUE_FILE",
    "private_umask",
    "secure_instance",
    "sqlite_files",
]

logger = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: Folders of the instance whose whole content is private.
PRIVATE_FOLDERS = ("keys", "backups", "outbox", "uploads")
#: The job queue's SQLite file (passport.jobs.queue) when no Redis is configured.
QUEUE_FILE = "queue.sqlite3"
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_umask() -> None:
    """Make every file and folder this process creates from now on private to its user."""
    os.umask(0o077)


def sqlite_files(database_url: str) -> list[Path]:
    """The SQLite file of ``database_url`` and its companions (none for other databases)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    database = Path(url.database)
    return [database.with_name(database.name + suffix) for suffix in _SQLITE_COMPANIONS]


def _restrict(path: Path, mode: int) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:  # not ours (another user's file): say so, do not stop
        logger.warning("could not make %s private: %s", path.name, type(exc).__name__)


def _restrict_tree(folder: Path) -> None:
    if folder.is_symlink() or not folder.is_dir():
        return
    _restrict(folder, PRIVATE_DIR)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            _restrict(Path(root) / name, PRIVATE_DIR)
        for name in files:
            _restrict(Path(root) / name, PRIVATE_FILE)


def secure_instance(instance_path: Path, database_url: str) -> None:
    """Create the instance folder 0700 and make what it holds private (module docstring)."""
    with contextlib.suppress(FileExistsError):
        instance_path.mkdir(mode=PRIVATE_DIR, parents=True)
    _restrict(instance_path, PRIVATE_DIR)
    for name in PRIVATE_FOLDERS:
        _restrict_tree(instance_path / name)
    for name in ("dev-secret-key", "dev-key-passphrase"):
        _restrict(instance_path / name, PRIVATE_FILE)
    queue = instance_path / QUEUE_FILE
    for path in [
        *sqlite_files(database_url),
        *(queue.with_name(queue.name + suffix) for suffix in _SQLITE_COMPANIONS),
    ]:
        _restrict(path, PRIVATE_FILE)
