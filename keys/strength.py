"""A simple, documented estimate of how many random bits a secret string carries.

Production refuses a session-signing key under 256 bits (32 random bytes) and a key-store
passphrase under 80 bits. Nobody can measure the entropy of one given string; what we can do is
bound it from above by how it *looks*, so that trivial and low-variety values (``x``,
``changeme``, ``aaaa…``, ``abcabc…``) are refused while the values our own advice produces
(``secrets.token_urlsafe(32)``: 43 url-safe base64 characters; ``secrets.token_hex(32)``: 64 hex
digits; a diceware passphrase) pass. The estimate:

1. The alphabet is the union of the character classes the string uses: lower-case letters (26),
   upper-case letters (26), digits (10), anything else (33, the rest of printable ASCII; a
   non-ASCII character counts as one more class of 100). A string of hex digits only is an
   alphabet of 16.
2. The effective length drops every character that repeats the one before it (``aaaa`` is one),
   and is capped at four times the number of distinct characters (``abcabcabc…`` is short).
3. The estimate is ``effective length × log2(alphabet size)`` bits.

A random key is judged by its shape instead (:func:`looks_like_random_key`): at least 64 hex
digits or 43 other characters (what ``token_hex(32)`` and ``token_urlsafe(32)`` print), enough
distinct characters, not compressible by zlib below 60 % of its length (a repeated pattern
is; random text is not), and the estimate above at 3/4 of 256 bits at least
(a random 43-character token loses a few bits to step 2 by chance, a made-up one far more).

The estimate overestimates human-chosen passphrases (a word is not 4.7 bits a letter), which
is why the advice on refusal is always a generated value.
"""

from __future__ import annotations

import math
import string
import zlib

__all__ = [
    "MIN_PASSPHRASE_BITS",
    "MIN_SECRET_KEY_BITS",
    "estimate_bits",
    "looks_like_random_key",
]

#: 32 random bytes.
MIN_SECRET_KEY_BITS = 256
#: NIST SP 800-63B's guidance for a memorised secret that guards an offline-attackable file is
#: well above a password; 80 bits is the issue's bar for the key-store passphrase.
MIN_PASSPHRASE_BITS = 80

_EMPTY_ZLIB = len(zlib.compress(b"", 9))
_HEX = frozenset(string.hexdigits)
_CLASSES: tuple[tuple[frozenset[str], int], ...] = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)


def _alphabet_size(text: str) -> int:
    chars = set(text)
    if chars <= _HEX and not (chars <= set(string.digits)):
        return 16
    size = sum(n for members, n in _CLASSES if chars & members)
    if any(ord(ch) > 0x7E for ch in chars):
        size += 100
    return max(size, 1)


def _effective_length(text: str) -> int:
    collapsed = sum(1 for i, ch in enumerate(text) if i == 0 or ch != text[i - 1])
    return min(collapsed, 4 * len(set(text)))


def estimate_bits(secret: str) -> float:
    """An upper estimate of the random bits in ``secret`` (see the module docstring); 0 for ''."""
    if not secret:
        return 0.0
    alphabet = _alphabet_size(secret)
    if alphabet < 2:
        return 0.0
    return _effective_length(secret) * math.log2(alphabet)


def looks_like_random_key(secret: str) -> bool:
    """Whether ``secret`` has the shape of 32 or more random bytes (module docstring)."""
    distinct = len(set(secret))
    packed = len(zlib.compress(secret.encode("utf-8"), 9)) - _EMPTY_ZLIB
    if packed < 0.6 * len(secret):
        return False
    if set(secret) <= _HEX:
        return len(secret) >= 64 and distinct >= 10
    return (
        len(secret) >= 43
        and distinct >= 16
        and estimate_bits(secret) >= MIN_SECRET_KEY_BITS * 3 / 4
    )
