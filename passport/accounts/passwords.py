"""Password hashing with the standard library's scrypt, in the stored format we have always used.

A stored hash reads ``scrypt:N:r:p$salt$hex`` (the format werkzeug wrote before this module
replaced it, so every existing hash keeps working; ``pbkdf2:hash:iterations$salt$hex`` is read
too). New hashes use scrypt with N = 2**15, r = 8, p = 1 (memory-hard, about 32 MiB) and a
16-character random salt. Parameters read from the database are bounded, so an edited row
cannot make a login allocate gigabytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

__all__ = ["check_new_password", "hash_password", "password_matches"]

_SALT_ALPHABET = string.ascii_letters + string.digits
_SCRYPT = (2**15, 8, 1)
_MAX_SCRYPT_COST = 2**20
_MAX_PBKDF2_ITERATIONS = 10_000_000


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
    ).hex()


def hash_password(password: str) -> str:
    """A new stored hash of ``password`` (scrypt, random salt)."""
    salt = "".join(secrets.choice(_SALT_ALPHABET) for _ in range(16))
    n, r, p = _SCRYPT
    return f"scrypt:{n}:{r}:{p}${salt}${_scrypt(password, salt, n, r, p)}"


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

    A stored value in no format we read never matches.
    """
    parts = stored.split("$", 2)
    if len(parts) != 3:
        return False
    derived = _derive(parts[0], parts[1], password)
    return derived is not None and hmac.compare_digest(derived, parts[2])


# placeholder: passwords/mfa slice provides the real one
def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a password too weak to set (NIST SP 800-63B): raises InvalidRequest
    (``weak_password``). This stand-in checks the length and the e-mail/name only."""
    from passport.errors import InvalidRequest

    lowered = password.strip().lower()
    if len(password) < 12 or lowered in {email.strip().lower(), name.strip().lower()}:
        raise InvalidRequest(
            "Choose a password of at least 12 characters that is not your e-mail or name.",
            code="weak_password",
        )
