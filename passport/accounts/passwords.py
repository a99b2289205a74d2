"""Passwords: the policy a new one must meet, and hashing with the standard library's scrypt.

Policy (:func:`check_new_password`, NIST SP 800-63B §3.1.1.2 / rev. 3 §5.1.1.2): at least 12
characters counted as Unicode code points after NFKC normalisation, at most 256; not in the
shipped list of common and breached passwords (``data/common-passwords.txt.gz``, see
``data/PROVENANCE.md``), not the account's e-mail address, its local part or the person's name,
not one character or a short group repeated, nor a plain run such as ``123456789012``. No
composition rules (NIST: they make passwords worse, not stronger). Passwords set before the
policy keep working: only *new* passwords are checked.

Hashing: a stored hash reads ``scrypt:N:r:p$salt$hex`` (the format werkzeug wrote before this module

A stored hash reads ``scrypt:N:r:p$salt$hex`` (the format werkzeug wrote before this module
replaced it, so every existing hash keeps working; ``pbkdf2:hash:iterations$salt$hex`` is read
too). New hashes use scrypt with N = 2**15, r = 8, p = 1 (memory-hard, about 32 MiB) and a
16-character random salt. Parameters read from the database are bounded, so an edited row
cannot make a login allocate gigabytes.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import itertools
import secrets
import string
import unicodedata
from pathlib import Path

from passport.errors import InvalidRequest

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_PROBLEMS",
    "WeakPassword",
    "check_new_password",
    "hash_password",
    "is_common_password",
    "password_matches",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

#: The sentence for each way a new password can fail the policy (pages translate them).
PASSWORD_PROBLEMS = {
    "too_short": "Passwords need at least 12 characters; a few unrelated words make a good one.",
    "too_long": "Passwords can have at most 256 characters.",
    "common": (
        "This password is on the list of common and breached passwords that attackers try "
        "first; choose another one."
    ),
    "personal": "The password must not be your e-mail address or your name.",
    "repetitive": (
        "The password must not be one character or a short group repeated, or a plain run "
        "such as 123456789012."
    ),
}


def _normalised(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks, so that the same password typed on another keyboard
    (composed or decomposed accents, full-width digits) is the same password."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def is_common_password(password: str) -> bool:
    """Whether ``password`` (lower-cased) is on the shipped list of common/breached ones."""
    return _normalised(password).lower() in _common_passwords()


def _repetitive(text: str) -> bool:
    """One short group (up to 4 characters) repeated, or a run of consecutive characters
    going up or down (``abcdefghijkl``, ``987654321098`` wraps at the digits)."""
    for size in range(1, 5):
        if len(text) % size == 0 and text == text[:size] * (len(text) // size):
            return True
    digits = "0123456789" * 3
    if text.isdigit() and (text in digits or text in digits[::-1]):
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


class WeakPassword(InvalidRequest):
    """A new password that fails the policy; ``reason`` is a key of :data:`PASSWORD_PROBLEMS`."""

    code = "weak_password"

    def __init__(self, reason: str) -> None:
        super().__init__(PASSWORD_PROBLEMS[reason])
        self.reason = reason


def _weak(reason: str) -> WeakPassword:
    return WeakPassword(reason)


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a new password that fails the policy (module docstring).

    Raises :class:`~passport.errors.InvalidRequest` with code ``weak_password`` and one plain
    sentence (one of :data:`PASSWORD_PROBLEMS`) saying what to change.
    """
    text = _normalised(password)
    if len(text) < MIN_PASSWORD_LENGTH:
        raise _weak("too_short")
    if len(text) > MAX_PASSWORD_LENGTH:
        raise _weak("too_long")
    folded = text.casefold()
    if folded in _common_passwords() or folded.strip() in _common_passwords():
        raise _weak("common")
    address = email.strip().casefold()
    personal = {address, address.partition("@")[0], _normalised(name).strip().casefold()}
    squeezed = "".join(ch for ch in folded if ch.isalnum())
    for value in personal - {""}:
        if folded.strip() == value or squeezed == "".join(ch for ch in value if ch.isalnum()):
            raise _weak("personal")
    if _repetitive(folded):
        raise _weak("repetitive")


_SALT_ALPHABET = string.ascii_letters + string.digits
_SCRYPT = (2**15, 8, 1)
_MAX_SCRYPT_COST = 2**20
_MAX_PBKDF2_ITERATIONS = 10_000_000


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
    ).hex()


def hash_password(password: str) -> str:
    """A new stored hash of ``password`` (NFKC-normalised; scrypt, random salt)."""
    salt = "".join(secrets.choice(_SALT_ALPHABET) for _ in range(16))
    n, r, p = _SCRYPT
    return f"scrypt:{n}:{r}:{p}${salt}${_scrypt(_normalised(password), salt, n, r, p)}"


def _derive(method: str, salt: str, password: str) -> str | None:
    name, *args = method.split(":")
    try:
        numbers = [int(a) for a in args] if name == "scrypt" else []
    except ValueError:
        return None
    if name == "scrypt" and len(numbers) == 3:
        n, r, p = numbers
        if n < 2 or n & (n - 1) or n * r * p > _MAX_SCRYPT_COST * 8 or min(r, p) < 1:
            return None
        return _scrypt(password, salt, n, r, p)
    if name == "pbkdf2" and len(args) == 2 and args[1].isdigit():
        iterations = int(args[1])
        if args[0] not in ("sha256", "sha512") or not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS:
            return None
        return hashlib.pbkdf2_hmac(args[0], password.encode(), salt.encode(), iterations).hex()
    return None


def password_matches(stored: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant-time comparison).

    New hashes are of the NFKC form; a hash made before that of a password whose NFKC form
    differs is matched by the password as typed. A stored value in no format we read never
    matches.
    """
    parts = stored.split("$", 2)
    if len(parts) != 3:
        return False
    candidates = dict.fromkeys((_normalised(password), password))
    matched = False
    for candidate in candidates:
        derived = _derive(parts[0], parts[1], candidate)
        matched |= derived is not None and hmac.compare_digest(derived, parts[2])
    return matched
