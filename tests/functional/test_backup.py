"""passport backup / restore: a restored instance verifies the old badges and signs new ones with
the same keys; tampered archives, busy databases and wrong passphrases are refused."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask

from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.status import change_status
from passport.db import MIGRATIONS
from passport.errors import BackupError
from passport.instance.backup import create_backup, restore_backup
from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.conftest import drop_all_tables

#: The newest migration: archives are written at it (each new migration moves it on).
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
BEFORE_HEAD = ScriptDirectory(str(MIGRATIONS)).get_revision(HEAD).down_revision

PG_URL = os.environ.get("PASSPORT_TEST_DATABASE_URL")


def _issue(services: Services, recipient: str, proof_format: str) -> tuple[str, bytes, str]:
    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", recipient, proof_format, "backup test", "test"),
            now=services.now(),
        )
        return record.id, record.content, record.kid


def _verify(app: Flask, content: bytes) -> dict[str, object]:
    response = app.test_client().post(
        "/api/v1/verify",
        data=content,
        content_type="application/jwt" if not content.startswith(b"{") else "application/json",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def issued(services: Services) -> dict[str, tuple[str, bytes, str]]:
    badges = {
        "di": _issue(services, "ada@example.org", "di"),
        "jwt": _issue(services, "grace@example.org", "jwt"),
        "revoked": _issue(services, "alan@example.org", "di"),
    }
    with services.session() as session:
        change_status(
            session,
            services,
            badges["revoked"][0],
            "revoke",
            reason="test",
            actor="test",
            now=services.now(),
        )
    return badges


@pytest.fixture
def fresh(settings: Settings, tmp_path: Path) -> Settings:
    """Settings of a second, empty instance: same public URL and passphrase, new folder."""
    folder = tmp_path / "restored"
    url = PG_URL or f"sqlite:///{folder / 'passport.sqlite3'}"
    return settings.with_overrides(instance_path=folder, database_url=url)


def _empty_app(fresh: Settings, source: Services) -> Flask:
    if PG_URL:  # one shared test database: the source goes away, as on a new host
        source.engine.dispose()
        drop_all_tables(PG_URL)
    return create_app(fresh)


def test_backup_restore_round_trip(
    services: Services,
    issued: dict[str, tuple[str, bytes, str]],
    fresh: Settings,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "backup.tar.gz"
    result = create_backup(services, archive, now=services.now())
    assert result.keys == 3 and result.rows > 0  # ES256, EdDSA, RS256
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["alembic_revision"] == HEAD
    assert manifest["database"]["kind"] == ("json-rows" if PG_URL else "sqlite-file")
    assert set(manifest["members"]) == set(names) - {"manifest.json", "manifest.hmac"}
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())
    for name in names:
        if name.startswith("keys/"):
            with tarfile.open(archive) as tar:
                pem = tar.extractfile(name).read()  # type: ignore[union-attr]
            assert pem.startswith(b"-----BEGIN SKILL PASSPORT ENCRYPTED PRIVATE KEY-----")

    old_kids = {kid for _, _, kid in issued.values()}
    target = _empty_app(fresh, services)
    target_services = get_services(target)
    try:
        restored = restore_backup(target_services, archive)
        assert restored.rows == result.rows and restored.keys == 3
        for kid in target_services.key_store.kids():
            path = fresh.key_store_path / f"{kid}.pem"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(fresh.key_store_path.stat().st_mode) == 0o700
        assert target.test_client().get("/readyz").status_code == 200

        for name in ("di", "jwt"):
            assert _verify(target, issued[name][1])["verified"] is True, name
        revoked = _verify(target, issued["revoked"][1])
        assert revoked["verified"] is False
        assert any(c["code"] == "revoked" for c in revoked["checks"])  # type: ignore[attr-defined,index]

        new_id, new_content, new_kid = _issue(target_services, "new@example.org", "di")
        assert new_kid in old_kids  # the same keys sign new badges
        assert new_id not in {i for i, _, _ in issued.values()}
        assert _verify(target, new_content)["verified"] is True
        _, jwt_content, jwt_kid = _issue(target_services, "newer@example.org", "jwt")
        assert jwt_kid in old_kids
        assert _verify(target, jwt_content)["verified"] is True
    finally:
        target_services.engine.dispose()


def _rewrite(archive: Path, out: Path, change: dict[str, bytes]) -> None:
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            data = change.get(info.name, data)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def _member(archive: Path, prefix: str) -> tuple[str, bytes]:
    with tarfile.open(archive) as tar:
        for info in tar:
            if info.name.startswith(prefix):
                return info.name, tar.extractfile(info).read()  # type: ignore[union-attr]
    raise AssertionError(prefix)


@pytest.mark.parametrize("what", ["key file", "database", "manifest", "extra member"])
def test_a_tampered_archive_is_refused(
    services: Services,
    issued: dict[str, tuple[str, bytes, str]],
    fresh: Settings,
    tmp_path: Path,
    what: str,
) -> None:
    archive = tmp_path / "backup.tar.gz"
    create_backup(services, archive, now=services.now())
    bad = tmp_path / "tampered.tar.gz"
    if what == "key file":
        name, data = _member(archive, "keys/")
        _rewrite(archive, bad, {name: data.replace(b"A", b"B", 1)})
        expected = f"{name} does not match the SHA-256"
    elif what == "database":
        name, data = _member(archive, "database/")
        _rewrite(archive, bad, {name: data[:-1] + bytes([data[-1] ^ 1])})
        expected = f"{name} does not match the SHA-256"
    elif what == "manifest":
        name, data = _member(archive, "manifest.json")
        _rewrite(
            archive, bad, {name: data.replace(f'"{HEAD}"'.encode(), f'"{BEFORE_HEAD}"'.encode())}
        )
        expected = "The manifest does not match its HMAC"
    else:
        with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
            for info in src:
                dst.addfile(info, src.extractfile(info))
            info = tarfile.TarInfo("keys/extra.pem")
            info.size = 3
            dst.addfile(info, io.BytesIO(b"bad"))
        expected = "not the ones its manifest lists"
    target = _empty_app(fresh, services)
    target_services = get_services(target)
    try:
        with pytest.raises(BackupError, match=expected) as caught:
            restore_backup(target_services, bad)
        assert caught.value.code == "tampered"
        assert not fresh.key_store_path.exists()  # nothing was written
    finally:
        target_services.engine.dispose()


def test_restore_refuses_a_wrong_passphrase_and_a_busy_database(
    services: Services,
    issued: dict[str, tuple[str, bytes, str]],
    fresh: Settings,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "backup.tar.gz"
    create_backup(services, archive, now=services.now())
    wrong = create_app(fresh.with_overrides(key_passphrase="another passphrase"))
    try:
        with pytest.raises(BackupError) as caught:
            restore_backup(get_services(wrong), archive)
        assert caught.value.code == "tampered"  # the manifest's HMAC is keyed by the passphrase
    finally:
        get_services(wrong).engine.dispose()

    busy = create_app(fresh) if not PG_URL else create_app(services.settings)
    busy_services = get_services(busy)
    try:
        if not PG_URL:
            initialise(busy_services)
        with pytest.raises(BackupError, match="not empty") as caught:
            restore_backup(busy_services, archive)
        assert caught.value.code == "not_empty"
        restored = restore_backup(busy_services, archive, force=True)
        assert restored.keys == 3
        assert _verify(busy, issued["di"][1])["verified"] is True
    finally:
        busy_services.engine.dispose()


# -- the commands, as an operator runs them ------------------------------------------------------

PASSPORT = str(Path(sys.executable).parent / "passport")


def _env(folder: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(folder),
        # Production refuses an http public URL and weak secrets (finding 3 of issue 17).
        "PASSPORT_PUBLIC_URL": "https://127.0.0.1:5998",
        "PASSPORT_SECRET_KEY": "bK7pW2xN9qR4vT6mZ1sD8fH3jL5gY0cA-uE_oI2tQ9e",
        "PASSPORT_KEY_PASSPHRASE": "backup cli test passphrase",
    }
    env.pop("PASSPORT_DATABASE_URL", None)
    if database_url:
        env["PASSPORT_DATABASE_URL"] = database_url
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PASSPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_backup_and_restore_commands(tmp_path: Path) -> None:
    if PG_URL:
        drop_all_tables(PG_URL)
    source = _env(tmp_path / "source", PG_URL)
    assert _run(source, "init").returncode == 0
    issued = _run(
        source, "issue", "--achievement", "incident-response-l2", "--recipient", "a@example.org"
    )
    assert issued.returncode == 0, issued.stderr
    archive = tmp_path / "nightly.tar.gz"
    made = _run(source, "backup", "-o", str(archive))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"wrote {archive}: revision {HEAD}")

    if PG_URL:
        drop_all_tables(PG_URL)
    target = _env(tmp_path / "target", PG_URL)
    restored = _run(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert f"restored revision {HEAD}" in restored.stdout
    credential = tmp_path / "badge.json"
    credential.write_text(issued.stdout)
    checked = _run(target, "verify", str(credential))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    again = _run(target, "restore", str(archive))
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr

    name, data = _member(archive, "keys/")
    tampered = tmp_path / "tampered.tar.gz"
    _rewrite(archive, tampered, {name: data + b"\n"})
    refused = _run(target, "restore", "--force", str(tampered))
    assert refused.returncode == 1
    assert f"Error: {name} does not match the SHA-256 in the manifest" in refused.stderr
