"""Bulk files kept between their preview and the confirmation: by hash, for an hour, once."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from passport.jobs.uploads import KEEP, forget_upload, keep_upload, load_upload

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
DATA = b"email,achievement,level\nada@example.com,ci-cd-l2,2\n"


def _age(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_a_kept_file_comes_back_by_its_hash_until_forgotten(tmp_path: Path) -> None:
    digest = keep_upload(tmp_path, DATA, now=NOW)
    assert digest == hashlib.sha256(DATA).hexdigest()
    kept = tmp_path / "uploads" / "bulk" / digest
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # the rows name people
    _age(tmp_path / "uploads" / "bulk" / digest, NOW)
    assert load_upload(tmp_path, digest, now=NOW + KEEP - timedelta(seconds=1)) == DATA
    forget_upload(tmp_path, digest)
    assert load_upload(tmp_path, digest, now=NOW) is None


def test_an_old_file_is_not_used_and_is_pruned_by_the_next_upload(tmp_path: Path) -> None:
    digest = keep_upload(tmp_path, DATA, now=NOW)
    path = tmp_path / "uploads" / "bulk" / digest
    _age(path, NOW)
    assert load_upload(tmp_path, digest, now=NOW + KEEP + timedelta(seconds=1)) is None
    keep_upload(tmp_path, b"another file", now=NOW + KEEP + timedelta(seconds=1))
    assert not path.exists()


def test_a_changed_file_is_not_used(tmp_path: Path) -> None:
    digest = keep_upload(tmp_path, DATA, now=NOW)
    path = tmp_path / "uploads" / "bulk" / digest
    path.write_bytes(DATA + b"mallory@example.com,ci-cd-l2,4\n")
    _age(path, NOW)
    assert load_upload(tmp_path, digest, now=NOW) is None


@pytest.mark.parametrize(
    "name", ["", "../passport.sqlite3", "A" * 64, "0" * 63, "0" * 64 + "/x", "0" * 65]
)
def test_only_a_sha256_names_a_file(tmp_path: Path, name: str) -> None:
    (tmp_path / "passport.sqlite3").write_bytes(b"secret")
    keep_upload(tmp_path, DATA, now=NOW)
    assert load_upload(tmp_path, name, now=NOW) is None
    forget_upload(tmp_path, name)
    assert (tmp_path / "passport.sqlite3").exists()
