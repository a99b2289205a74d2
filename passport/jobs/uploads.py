"""Uploaded bulk files waiting between their preview and the person's confirmation.

The admin page previews a CSV, then asks "issue these?". The file must reach the confirmation
without trusting the browser to send back what was previewed, and without making the person
pick it again. It is kept here, in the instance folder, named by its SHA-256: the confirmation
carries only the hash, the file is read back and hashed again (a file changed on disk is not
used), and it is previewed again before the job starts (the database may have changed
meanwhile). Files are kept for :data:`KEEP` at most and removed once a job took them; the
folder never holds more than what people previewed in the last hour.

A deployment with several web servers shares the instance folder (it holds the key store
too), so any server can take the confirmation.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["KEEP", "forget_upload", "keep_upload", "load_upload"]

logger = logging.getLogger(__name__)

#: How long a previewed file waits for its confirmation.
KEEP = timedelta(hours=1)

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _folder(instance_path: Path) -> Path:
    return instance_path / "uploads" / "bulk"


def keep_upload(instance_path: Path, data: bytes, *, now: datetime) -> str:
    """Store ``data`` until it is confirmed (or :data:`KEEP` passed); return its SHA-256 hex.
    Older files are removed on the way."""
    folder = _folder(instance_path)
    # Private like the rest of the instance: the rows name people by e-mail.
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune(folder, now)
    digest = hashlib.sha256(data).hexdigest()
    target = folder / digest
    partial = folder / f"{digest}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    partial.replace(target)  # atomic: a reader never sees half a file
    return digest


def load_upload(instance_path: Path, digest: str, *, now: datetime) -> bytes | None:
    """The file stored under ``digest``, or None when there is none (never stored, expired,
    already used, or its content no longer has that hash)."""
    if not _SHA256.fullmatch(digest):
        return None
    path = _folder(instance_path) / digest
    try:
        if now.timestamp() - path.stat().st_mtime > KEEP.total_seconds():
            return None
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        logger.warning("a kept bulk upload no longer matches its hash; ignored")
        return None
    return data


def forget_upload(instance_path: Path, digest: str) -> None:
    """Remove the file stored under ``digest`` (a job has it now)."""
    if _SHA256.fullmatch(digest):
        (_folder(instance_path) / digest).unlink(missing_ok=True)


def _prune(folder: Path, now: datetime) -> None:
    limit = now.timestamp() - KEEP.total_seconds()
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # another request removed it first
            continue
