"""Finding 11: key files used PBES2 with 2,048 PBKDF2 iterations; no passphrase strength check.

Now keys are sealed with scrypt (memory-hard: N=2**17, r=8, p=1, 128 MiB) and AES-256-GCM in a
versioned envelope whose parameters are read back here; files in the old form still load and
are rewritten in the new one when loaded (or by ``passport keys upgrade``); a production key
store refuses a weak passphrase before its first key is written.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
)

from keys import KeyStore, generate_key
from keys.store import DEFAULT_SCRYPT, ScryptParameters, WeakPassphrase, key_file_kdf
from passport.cli import cli
from passport.services import Services
from passport.settings import Settings

PASSPHRASE = secrets.token_urlsafe(32).encode()


def _old_file(store: KeyStore, alg: str = "ES256") -> str:
    """Write a key the way the service did before: PKCS#8 with cryptography's PBES2."""
    key = generate_key(alg)
    pem = key.private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(PASSPHRASE)
    )
    store.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (store.directory / f"{key.kid}.pem").write_bytes(pem)
    return key.kid


def test_new_key_files_use_a_memory_hard_kdf(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    key = store.create("EdDSA")
    data = (store.directory / f"{key.kid}.pem").read_bytes()
    params = key_file_kdf(data)
    assert params == ScryptParameters(n=2**17, r=8, p=1) == DEFAULT_SCRYPT
    assert 128 * params.n * params.r >= 128 * 2**20  # at least 128 MiB of memory per guess
    assert b"PRIVATE KEY-----" in data and b"BEGIN PRIVATE KEY" not in data
    assert KeyStore(store.directory, PASSPHRASE).load(key.kid).public == key.public


def test_the_services_use_the_strong_kdf_outside_the_test_environment(tmp_path: Path) -> None:
    env = {
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSPORT_PUBLIC_URL": "https://badges.example.org",
        "PASSPORT_SECRET_KEY": secrets.token_urlsafe(32),
        "PASSPORT_KEY_PASSPHRASE": PASSPHRASE.decode(),
    }
    services = Services.from_settings(Settings.from_env(env))
    try:
        key = services.key_store.create("ES256")
        assert services.key_store.kdf_of(key.kid) == DEFAULT_SCRYPT
    finally:
        services.close()


def test_old_pbes2_files_still_load_and_are_rewritten(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    kid = _old_file(store)
    before = (store.directory / f"{kid}.pem").read_bytes()
    assert before.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key_file_kdf(before) is None  # the old form
    loaded = store.load(kid)
    assert loaded.kid == kid
    assert store.kdf_of(kid) == DEFAULT_SCRYPT  # re-encrypted on load
    assert KeyStore(store.directory, PASSPHRASE).load(kid).public == loaded.public


def test_passport_keys_upgrade_rewrites_every_old_file(settings: Settings) -> None:
    services = Services.from_settings(settings)
    try:
        kids = [_old_file(services.key_store, alg) for alg in ("ES256", "EdDSA")]
    finally:
        services.close()
    env = {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": PASSPHRASE.decode(),
    }
    result = CliRunner().invoke(cli, ["keys", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 key file(s)" in result.output
    store = KeyStore(settings.key_store_path, PASSPHRASE)
    assert all(store.kdf_of(kid) is not None for kid in kids)
    assert CliRunner().invoke(cli, ["keys", "upgrade"], env=env).output.startswith("re-encrypted 0")


@pytest.mark.parametrize("weak", [b"x", b"changeme", b"p" * 40])
def test_a_production_key_store_refuses_a_weak_passphrase(tmp_path: Path, weak: bytes) -> None:
    store = KeyStore(tmp_path / "keys", weak, min_passphrase_bits=80)
    with pytest.raises(WeakPassphrase) as refused:
        store.create("EdDSA")
    assert refused.value.code == "weak_passphrase"
    assert "token_urlsafe" in refused.value.message
    assert not (tmp_path / "keys").exists()
    KeyStore(tmp_path / "keys", PASSPHRASE, min_passphrase_bits=80).create("EdDSA")


def test_a_tampered_cost_is_caught(tmp_path: Path) -> None:
    """The parameters are authenticated: lowering N in the file makes decryption fail."""
    import base64
    import json

    from keys import BadPassphrase

    store = KeyStore(tmp_path / "keys", PASSPHRASE, kdf=ScryptParameters(n=2**14))
    key = store.create("EdDSA")
    path = store.directory / f"{key.kid}.pem"
    lines = path.read_bytes().splitlines()
    envelope = json.loads(base64.b64decode(b"".join(lines[1:-1])))
    envelope["kdf"]["n"] = 2**10
    body = base64.encodebytes(json.dumps(envelope).encode())
    path.write_bytes(lines[0] + b"\n" + body + lines[-1] + b"\n")
    with pytest.raises(BadPassphrase):
        KeyStore(store.directory, PASSPHRASE).load(key.kid)
