"""Reading Bitstring Status List documents (W3C Bitstring Status List v1.0): the bitstring
(base64url of GZIP, inflated under a cap), one bit, a credential's status entry, and the parts
of a list credential the checker reads (issuer, dates, subject, ttl).

Pure functions over JSON already fetched and parsed; :mod:`verifier.status` decides where the
documents come from, checks their proofs, caches them and reports.
"""

from __future__ import annotations

import binascii
import math
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, NamedTuple

from verifier.errors import (
    StatusListInvalid,
)

__all__ = [
    "DEFAULT_MAX_BITSTRING_BYTES",
    "DEFAULT_MAX_COMPRESSED_BYTES",
    "MIN_BITS",
    "ParsedEntry",
    "bit_is_set",
    "decode_bitstring",
    "invalid_entry",
    "invalid_list",
    "list_date",
    "list_issuer",
    "list_subject",
    "list_ttl_seconds",
    "parse_entry",
    "parse_status_index",
    "type_names",
]

#: §3.2 Validate Algorithm step 2: minimum number of entries (16 KiB of bits).
MIN_BITS: Final = 131_072
#: Largest bitstring we inflate (decompression-bomb cap): 128 Mi entries.
DEFAULT_MAX_BITSTRING_BYTES: Final = 16 * 1024 * 1024
#: Largest GZIP stream we accept: SafeFetcher's whole-document cap (FetchPolicy.max_bytes).
DEFAULT_MAX_COMPRESSED_BYTES: Final = 256 * 1024
_MAX_INDEX_DIGITS: Final = 64
_TO_STANDARD_B64: Final = bytes.maketrans(b"-_", b"+/")
_GZIP_MAGIC: Final = b"\x1f\x8b"
_GZIP_ONLY: Final = 16 + zlib.MAX_WBITS  # wbits: a GZIP container, not zlib or raw deflate


def invalid_list(code: str, message: str, hint: str | None = None) -> StatusListInvalid:
    return StatusListInvalid(message, code=code, hint=hint)


def invalid_entry(hint: str) -> StatusListInvalid:
    return invalid_list(
        "status_entry_invalid",
        "The credential's status information is malformed, so its status could not be checked.",
        hint,
    )


# -- pure functions ---------------------------------------------------------------------------
def decode_bitstring(
    encoded: object,
    *,
    min_bits: int = MIN_BITS,
    max_bytes: int = DEFAULT_MAX_BITSTRING_BYTES,
    max_compressed_bytes: int = DEFAULT_MAX_COMPRESSED_BYTES,
) -> bytes:
    """Expand an ``encodedList`` into the bitstring (§3.4 "Bitstring Expansion Algorithm").

    ``encoded`` must be multibase base64url without padding (prefix ``u``) of one complete GZIP
    stream (RFC 1952). Inflation is incremental and stops at ``max_bytes`` + 1 bytes, so a
    decompression bomb costs at most that much memory. Returns the bitstring; raises
    :class:`StatusListInvalid` with code ``status_list_bad_encoding``, ``status_list_not_gzip``,
    ``status_list_too_large`` or ``status_list_too_short`` (fewer than ``min_bits`` bits).
    """
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise invalid_list(
            "status_list_bad_encoding",
            "The issuer's status list is not encoded the way the standard requires.",
            "encodedList must be multibase base64url without padding: the prefix 'u'.",
        )
    body = encoded[1:]
    if len(body) > (max_compressed_bytes * 4 + 2) // 3:
        raise invalid_list(
            "status_list_too_large",
            "The issuer's status list is too large to read safely.",
            f"The compressed list is over {max_compressed_bytes} bytes.",
        )
    # base64url without padding (RFC 4648 §5): refuse padding and the standard alphabet's + and
    # /, then let the strict C decoder refuse everything else outside the alphabet.
    raw = body.encode("ascii", "replace")
    if len(raw) % 4 == 1 or b"=" in raw or b"+" in raw or b"/" in raw:
        raise _bad_base64()
    try:
        compressed = binascii.a2b_base64(
            raw.translate(_TO_STANDARD_B64) + b"=" * (-len(raw) % 4), strict_mode=True
        )
    except binascii.Error as exc:
        raise _bad_base64() from exc
    bits = _gunzip(compressed, max_bytes)
    if len(bits) * 8 < min_bits:
        raise invalid_list(
            "status_list_too_short",
            "The issuer's status list is shorter than the standard allows, so it cannot be "
            "relied on.",
            f"{len(bits) * 8} bits; at least {min_bits} are required (STATUS_LIST_LENGTH_ERROR).",
        )
    return bits


def _bad_base64() -> StatusListInvalid:
    return invalid_list(
        "status_list_bad_encoding",
        "The issuer's status list is not encoded the way the standard requires.",
        "encodedList is not base64url without padding.",
    )


def _not_gzip(why: str) -> StatusListInvalid:
    return invalid_list(
        "status_list_not_gzip",
        "The issuer's status list is not compressed the way the standard requires.",
        why,
    )


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    """Inflate exactly one GZIP member, refusing more than ``max_bytes`` of output."""
    if not compressed.startswith(_GZIP_MAGIC):
        raise _not_gzip("The list does not start with the GZIP magic bytes (RFC 1952 §2.3.1).")
    inflater = zlib.decompressobj(_GZIP_ONLY)
    try:
        bits = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise _not_gzip(f"GZIP error: {exc}") from exc
    if len(bits) > max_bytes:
        raise invalid_list(
            "status_list_too_large",
            "The issuer's status list is too large to read safely.",
            f"It inflates to more than {max_bytes} bytes.",
        )
    if not inflater.eof:
        raise _not_gzip("The GZIP stream is truncated.")
    if inflater.unused_data:
        raise _not_gzip("There is data after the GZIP stream.")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Return the bit at ``index``; index 0 is the most significant bit of byte 0 (§2.2).

    Raises :class:`StatusListInvalid` (``status_index_out_of_range``, the spec's RANGE_ERROR)
    when ``index`` is negative or beyond the end of ``bits``.
    """
    if not 0 <= index < len(bits) << 3:
        raise invalid_list(
            "status_index_out_of_range",
            "The credential points to a position beyond the end of the issuer's status list.",
            f"Index {index}; the list has {len(bits) << 3} entries (RANGE_ERROR).",
        )
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def parse_status_index(value: object) -> int:
    """Return ``statusListIndex`` as an int: a base-10 string (§2.1) or, leniently, a JSON integer.

    The 1EdTech validator's vector uses a JSON number, so integers are accepted on input; we
    always emit strings. Raises :class:`StatusListInvalid` (``status_entry_invalid``) for
    anything else — negative, signed, fractional, non-ASCII digits, empty — and
    ``status_index_out_of_range`` for an index with more digits than any list could hold.
    """
    if isinstance(value, bool):
        raise invalid_entry("statusListIndex is a boolean, not a number.")
    if isinstance(value, int):
        if value < 0:
            raise invalid_entry(f"statusListIndex {value} is negative.")
        return value
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        raise invalid_entry(
            "statusListIndex must be a non-negative integer written in base 10, "
            f"got {str(value)[:40]!r}."
        )
    if len(value) > _MAX_INDEX_DIGITS:
        raise invalid_list(
            "status_index_out_of_range",
            "The credential points to a position beyond the end of the issuer's status list.",
            f"statusListIndex has {len(value)} digits.",
        )
    return int(value)


class ParsedEntry(NamedTuple):
    """A parsed entry (a NamedTuple: built on every check, and a frozen dataclass costs µs)."""

    purpose: str
    position: int
    url: str
    messages: Mapping[str, str]


def type_names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(t for t in value if isinstance(t, str))
    return ()


def parse_entry(entry: Mapping[str, Any]) -> ParsedEntry:
    """The §2.1 properties we use; raises StatusListInvalid(status_entry_invalid)."""
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise invalid_entry("statusPurpose is missing or not a string.")
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        raise invalid_entry("statusListCredential is missing or not a URL.")
    if "statusListIndex" not in entry:
        raise invalid_entry("statusListIndex is missing.")
    index = parse_status_index(entry["statusListIndex"])
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise invalid_entry("statusSize must be an integer greater than zero.")
    if size != 1:
        # §1.4 Conformance: "Conforming processors MAY choose to only support bitstring entry
        # sizes of 1." Multi-bit entries are at risk in the spec; we do not read them.
        raise invalid_entry(
            f"statusSize {size}: status entries wider than one bit are not supported here."
        )
    messages: dict[str, str] = {}
    raw_messages = entry.get("statusMessage")
    if isinstance(raw_messages, list | tuple):
        for item in raw_messages:
            if isinstance(item, Mapping):
                status, message = item.get("status"), item.get("message")
                if isinstance(status, str) and isinstance(message, str):
                    messages[status.lower()] = message[:200]
    return ParsedEntry(purpose, index, url, messages)


def list_issuer(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def list_date(document: Mapping[str, Any], *names: str) -> datetime | None:
    for name in names:
        if name not in document:
            continue
        value = document[name]
        parsed: datetime | None = None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise invalid_list(
                "status_list_malformed",
                StatusListInvalid.default_message,
                f"The list's {name} is not a date-time with a time zone.",
            )
        return parsed
    return None


def list_subject(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = document.get("credentialSubject")
    if isinstance(subject, list | tuple) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise invalid_list(
            "status_list_malformed",
            StatusListInvalid.default_message,
            "The list credential has no single credentialSubject object.",
        )
    return subject


def list_ttl_seconds(subject: Mapping[str, Any]) -> float | None:
    if "ttl" not in subject:
        return None
    ttl = subject["ttl"]
    if (
        isinstance(ttl, bool)
        or not isinstance(ttl, int | float)
        or not math.isfinite(ttl)
        or ttl < 0
    ):
        raise invalid_list(
            "status_list_malformed",
            StatusListInvalid.default_message,
            "The list's ttl is not a non-negative number of milliseconds.",
        )
    return float(ttl) / 1000.0
