"""Tests for keys.multibase: base58btc with the Bitcoin alphabet."""

from __future__ import annotations

import os

import pytest

from keys import InvalidDid, b58decode, b58encode

# draft-msporny-base58 examples.
VECTORS = [
    (b"", ""),
    (b"\x00", "1"),
    (b"\x00\x00\x01", "112"),
    (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
    (
        b"The quick brown fox jumps over the lazy dog.",
        "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
    ),
    (bytes.fromhex("0000287fb4cd"), "11233QC4"),
]


@pytest.mark.parametrize(("data", "text"), VECTORS)
def test_known_vectors(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@pytest.mark.parametrize("zeros", [0, 1, 2, 5])
def test_round_trip_keeps_leading_zero_bytes(zeros: int) -> None:
    for _ in range(50):
        data = b"\x00" * zeros + os.urandom(35)
        assert b58decode(b58encode(data)) == data


def test_all_zero_bytes() -> None:
    assert b58encode(b"\x00" * 4) == "1111"
    assert b58decode("1111") == b"\x00" * 4


@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "z z", "é", "2NEpo7TZRRrLZSi2U\n"])
def test_characters_outside_the_alphabet_are_refused(text: str) -> None:
    with pytest.raises(InvalidDid):
        b58decode(text)


@pytest.mark.parametrize("value", [None, 58, b"2NEpo", ["1"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidDid):
        b58decode(value)  # type: ignore[arg-type]
