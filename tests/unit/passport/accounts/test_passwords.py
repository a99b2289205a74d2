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


def test_the_same_password_typed_composed_or_decomposed_matches() -> None:
    """Hashes are of the NFKC form (NIST SP 800-63B), so a macOS keyboard's decomposed ü and a
    Windows keyboard's composed ü are the same password."""
    composed, decomposed = "gr\u00fcne wiese am see", "gru\u0308ne wiese am see"
    assert password_matches(hash_password(composed), decomposed)
    assert password_matches(hash_password(decomposed), composed)


def test_a_hash_made_before_normalisation_still_matches_as_typed() -> None:
    decomposed = "gru\u0308ne wiese am see"
    old = generate_password_hash(decomposed, method="scrypt")  # not normalised
    assert password_matches(old, decomposed)


@pytest.mark.parametrize(
    "password",
    ["x" * 11, "x" * 257, "password1234", "abcdefghijklm", "9876543210987", "abababababab"],
)
def test_the_policy_refuses(password: str) -> None:
    from passport.accounts.passwords import WeakPassword, check_new_password

    with pytest.raises(WeakPassword):
        check_new_password(password)


def test_the_common_list_is_shipped_and_read_lower_case() -> None:
    from passport.accounts.passwords import is_common_password

    assert is_common_password("Password1") and is_common_password("QWERTY123456")
    assert not is_common_password("plum tree by the old mill")
