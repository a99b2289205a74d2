"""Tests for keys.store: the encrypted on-disk key store."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from keys import (
    BadPassphrase,
    KeyNotFound,
    KeyStore,
    KeyStoreError,
    SigningKey,
    generate_key,
)

PASSPHRASE = b"correct horse battery staple"


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", PASSPHRASE)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_create_writes_an_encrypted_file(store: KeyStore, alg: str) -> None:
    key = store.create(alg)
    path = store.directory / f"{key.kid}.pem"
    assert key.alg == alg
    assert _mode(store.directory) == 0o700
    assert _mode(path) == 0o600
    content = path.read_text()
    # scrypt + AES-GCM in our envelope since issue 17 (finding 11), no longer PBES2 PKCS#8.
    assert content.startswith("-----BEGIN SKILL PASSPORT ENCRYPTED PRIVATE KEY-----")
    assert "-----BEGIN PRIVATE KEY-----" not in content
    assert sorted(p.name for p in store.directory.iterdir()) == [f"{key.kid}.pem"]


def test_create_rsa(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    key = store.create("RS256", rsa_bits=2048)
    assert KeyStore(tmp_path / "keys", PASSPHRASE).load(key.kid).public == key.public


def test_import_rsa_and_reload(store: KeyStore, rsa_key: SigningKey) -> None:
    assert store.import_key(rsa_key) == rsa_key.kid
    loaded = KeyStore(store.directory, PASSPHRASE).load(rsa_key.kid)
    assert loaded.kid == rsa_key.kid
    loaded.public.verify(rsa_key.sign(b"data"), b"data")


def test_modes_hold_whatever_the_umask(tmp_path: Path, umask_zero: None) -> None:
    store = KeyStore(tmp_path / "a" / "keys", PASSPHRASE)
    key = store.create("EdDSA")
    assert _mode(store.directory) == 0o700
    assert _mode(store.directory / f"{key.kid}.pem") == 0o600


def test_reload_in_a_new_instance(store: KeyStore) -> None:
    created = store.create("ES256")
    loaded = KeyStore(store.directory, PASSPHRASE).load(created.kid)
    assert loaded.kid == created.kid
    assert loaded.alg == "ES256"
    assert loaded.public == created.public
    created.public.verify(loaded.sign(b"data"), b"data")


def test_wrong_passphrase(store: KeyStore) -> None:
    key = store.create("EdDSA")
    with pytest.raises(BadPassphrase) as info:
        KeyStore(store.directory, b"wrong passphrase").load(key.kid)
    assert info.value.code == "bad_passphrase"
    assert isinstance(info.value, KeyStoreError)


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../etc/passwd",
        "../" + "A" * 40,
        "/" + "A" * 42,
        "A" * 42,
        "A" * 44,
        "A" * 42 + ".",
        "A" * 42 + "/",
        "A" * 42 + "\n",
        "A" * 42 + "=",
        "A" * 42 + "é",
        "",
        "..",
    ],
)
def test_bad_kids_are_not_found(store: KeyStore, kid: str) -> None:
    store.create("EdDSA")
    with pytest.raises(KeyNotFound) as info:
        store.load(kid)
    assert info.value.code == "unknown_key"


@pytest.mark.parametrize("kid", [None, 5, b"A" * 43, ["A" * 43]])
def test_non_string_kids_are_not_found(store: KeyStore, kid: object) -> None:
    with pytest.raises(KeyNotFound):
        store.load(kid)  # type: ignore[arg-type]


def test_traversal_never_reaches_a_file_outside(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    outside = KeyStore(tmp_path, PASSPHRASE)
    key = outside.create("EdDSA")  # a valid key file one directory up
    with pytest.raises(KeyNotFound):
        store.load(f"../{key.kid}")
    with pytest.raises(KeyNotFound):
        store.load(key.kid)


def test_unknown_kid(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound):
        store.load(generate_key("EdDSA").kid)


def test_empty_passphrase(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path, b"")
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path, "text passphrase")  # type: ignore[arg-type]


def test_kids_are_sorted(store: KeyStore) -> None:
    assert store.kids() == []  # the directory does not exist yet
    kids = [store.create(alg).kid for alg in ("EdDSA", "ES256", "EdDSA", "ES256")]
    (store.directory / "notes.txt").write_text("not a key")
    (store.directory / "short.pem").write_text("not a key")
    assert store.kids() == sorted(kids)


def test_decrypted_keys_are_cached(store: KeyStore) -> None:
    kid = store.create("EdDSA").kid
    fresh = KeyStore(store.directory, PASSPHRASE)
    first = fresh.load(kid)
    (store.directory / f"{kid}.pem").unlink()
    assert fresh.load(kid) is first


def test_file_must_hold_the_key_its_name_says(store: KeyStore) -> None:
    a, b = store.create("EdDSA"), store.create("EdDSA")
    (store.directory / f"{a.kid}.pem").replace(store.directory / f"{b.kid}.pem")
    with pytest.raises(KeyStoreError, match="name"):
        KeyStore(store.directory, PASSPHRASE).load(b.kid)


def test_unencrypted_file_is_refused(store: KeyStore) -> None:
    key = generate_key("EdDSA")
    pem = key.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    store.directory.mkdir(parents=True)
    (store.directory / f"{key.kid}.pem").write_bytes(pem)
    with pytest.raises(KeyStoreError, match="encrypted") as info:
        store.load(key.kid)
    assert not isinstance(info.value, BadPassphrase)


def test_garbage_file_is_refused(store: KeyStore) -> None:
    kid = store.create("EdDSA").kid
    path = store.directory / f"{kid}.pem"
    path.write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(KeyStoreError):
        KeyStore(store.directory, PASSPHRASE).load(kid)
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(KeyStoreError):
        KeyStore(store.directory, PASSPHRASE).load(kid)


def test_import_is_idempotent(store: KeyStore) -> None:
    key = generate_key("ES256")
    assert store.import_key(key) == key.kid
    assert store.import_key(key) == key.kid
    assert store.kids() == [key.kid]
    assert store.load(key.kid) is key


def test_directory_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "keys"
    blocker.write_text("in the way")
    with pytest.raises(KeyStoreError):
        KeyStore(blocker, PASSPHRASE).create("EdDSA")


def test_repr_hides_the_passphrase(store: KeyStore) -> None:
    assert PASSPHRASE.decode() not in repr(store)
    assert str(PASSPHRASE) not in repr(store)
