"""Password hashes: our scrypt hashes, the hashes werkzeug wrote before, and stored values we
refuse to work on."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from passport.accounts.passwords import hash_password, password_matches

PASSWORD = "correct horse battery staple"


def test_a_hash_matches_its_password_only() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt:32768:8:1$")
    assert password_matches(stored, PASSWORD)
    assert not password_matches(stored, PASSWORD + " ")
    assert not password_matches(stored, "")


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:10000"])
def test_hashes_werkzeug_wrote_still_match(method: str) -> None:
    """Users created before werkzeug was replaced keep their passwords (a second library as
    the reference: werkzeug itself)."""
    stored = generate_password_hash(PASSWORD, method=method)
    assert password_matches(stored, PASSWORD)
    assert not password_matches(stored, "wrong")


def test_werkzeug_reads_our_hashes() -> None:
    assert check_password_hash(hash_password(PASSWORD), PASSWORD)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "no-dollars",
        "scrypt$salt",
        "plain$salt$" + "00" * 32,
        "scrypt:not:a:number$salt$00",
        "scrypt:1000:8:1$salt$00",  # N must be a power of two
        f"scrypt:{2**24}:8:1$salt$00",  # would allocate gigabytes
        "scrypt:32768:0:1$salt$00",
        "pbkdf2:md5:1000$salt$00",
        f"pbkdf2:sha256:{10**9}$salt$00",
        "pbkdf2:sha256$salt$00",
    ],
)
def test_stored_values_we_do_not_read_never_match(stored: str) -> None:
    assert password_matches(stored, PASSWORD) is False
