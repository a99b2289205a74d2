"""Base58btc, the multibase encoding used by did:key and Multikey values.

The did:key spec and W3C Controlled Identifiers §2.2.2 ("Multikey") encode public keys with
multibase prefix ``z``, meaning base58btc: the Bitcoin alphabet (no ``0``, ``O``, ``I``, ``l``),
big-endian, where each leading zero byte is written as a leading ``1`` (draft-msporny-base58
§2–§3). This module implements it directly on Python integers; the inputs it sees are short
(keys of a few dozen bytes), and callers bound their length before decoding.
"""

from __future__ import annotations

from keys.errors import InvalidDid

__all__ = ["BASE58_ALPHABET", "b58decode", "b58encode"]

#: draft-msporny-base58 §2: the Bitcoin base58 alphabet.
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(BASE58_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Return ``data`` encoded as base58btc (without the multibase ``z`` prefix)."""
    # draft-msporny-base58 §3 (encode): leading zero bytes become "1"s, the rest is the
    # big-endian integer written in base 58.
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(s: str) -> bytes:
    """Return the bytes encoded by the base58btc string ``s`` (without multibase prefix).

    Returns:
        The decoded bytes; ``""`` decodes to ``b""``.

    Raises:
        InvalidDid: ``s`` is not a string or contains a character outside the alphabet.
    """
    if not isinstance(s, str):
        raise InvalidDid("A base58 value must be a string.")
    # draft-msporny-base58 §3 (decode): each leading "1" is one zero byte.
    zeros = len(s) - len(s.lstrip("1"))
    number = 0
    for char in s:
        value = _INDEX.get(char)
        if value is None:
            raise InvalidDid("The value contains a character that is not base58btc.")
        number = number * 58 + value
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body
