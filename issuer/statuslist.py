"""Publishing credential status: W3C Bitstring Status List v1.0 lists and entries (checklist §3.3).

The issuer side of :mod:`verifier.status`. A status list is a bitstring, one bit per issued
credential, published inside a ``BitstringStatusListCredential`` that the issuer signs like any
other credential. Each credential carries a ``BitstringStatusListEntry`` naming the list and its
position in it. What this module holds itself to:

* **Bitstring** (§2.2 ``encodedList``, §3.3 "Bitstring Generation Algorithm"): at least
  :data:`MIN_ENTRIES` = 131,072 bits (16 KiB); index 0 is the left-most, most significant bit of
  byte 0; GZIP-compressed (RFC 1952) then multibase base64url without padding (prefix ``u``).
  The GZIP header carries no timestamp, so the same bits always encode to the same string.
* **List credential** (§2.2): VC 2.0 ``@context`` only — the Bitstring Status List terms are
  defined by ``https://www.w3.org/ns/credentials/v2`` itself — ``id`` = the URL it is served at,
  ``type`` ``["VerifiableCredential", "BitstringStatusListCredential"]``, and a
  ``credentialSubject`` of type ``BitstringStatusList`` with ``statusPurpose``, ``encodedList``
  and, optionally, ``ttl`` (milliseconds). The ``issuer`` is written as the issuer's id string:
  the OB ``Profile`` type is not defined by the VC 2.0 context, and the design requires list
  credentials to be signed by the same issuer as the credentials they describe.
* **Entry** (§2.1): ``statusListIndex`` is written as a base-10 *string*, as the spec requires
  (the 1EdTech validator's own vector uses a JSON number; verifiers accept both).

Signing is the caller's business (:func:`issuer.sign_data_integrity`); nothing here touches keys.
Indexes should be assigned at random (§2.1, privacy), which is also the caller's business.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from issuer.build import VC2_CONTEXT, format_datetime

__all__ = [
    "LIST_TYPE",
    "MIN_ENTRIES",
    "STATUS_PURPOSES",
    "build_status_list_credential",
    "encode_bitstring",
    "new_bitstring",
    "set_bit",
    "status_entry",
]

#: §3.2 Validate Algorithm step 2: the minimum number of entries in a list (16 KiB of bits).
MIN_ENTRIES: Final = 131_072
#: §2.1 statusPurpose values with defined meanings.
STATUS_PURPOSES: Final = frozenset({"revocation", "suspension", "refresh", "message"})
LIST_TYPE: Final = "BitstringStatusListCredential"


def new_bitstring(size: int = MIN_ENTRIES) -> bytearray:
    """Return an all-zero bitstring of ``size`` bits (a multiple of 8, at least MIN_ENTRIES).

    Raises :class:`ValueError` for a size the spec does not allow.
    """
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("size must be an integer number of bits")
    if size < MIN_ENTRIES or size % 8:
        raise ValueError(f"a status list holds a multiple of 8 bits, at least {MIN_ENTRIES}")
    return bytearray(size // 8)


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    """Set (``True``) or clear (``False``) bit ``index``; index 0 is the MSB of byte 0 (§2.2).

    Raises :class:`IndexError` when ``index`` is outside the bitstring.
    """
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError("index must be an integer")
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"index {index} is outside a status list of {len(bits) * 8} bits")
    mask = 0x80 >> (index & 7)
    if value:
        bits[index >> 3] |= mask
    else:
        bits[index >> 3] &= ~mask & 0xFF


def encode_bitstring(bits: bytes | bytearray) -> str:
    """Return the ``encodedList`` value: ``"u"`` + base64url-no-pad(GZIP(bits)) (§2.2).

    ``mtime=0`` keeps the GZIP header free of a timestamp, so equal bits give equal strings.
    """
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def _issuer_id(issuer: Mapping[str, Any] | str) -> str:
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(value, str) or not value:
        raise ValueError("the issuer profile has no id")
    return value


def build_status_list_credential(
    *,
    list_url: str,
    issuer: Mapping[str, Any] | str,
    purpose: str,
    bits: bytes | bytearray,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """Return the unsigned ``BitstringStatusListCredential`` for ``bits`` (VC 2.0, §2.2).

    ``list_url`` is where the list will be served (the ``statusListCredential`` of its entries)
    and becomes the credential's ``id``; the subject is ``list_url + "#list"``. ``ttl_ms`` is the
    §2.2 ``ttl`` in milliseconds (verifiers cache the list no longer than that; 300,000 when
    absent). Raises :class:`ValueError` for a list shorter than :data:`MIN_ENTRIES` bits, an
    empty purpose, a negative ttl or a window that ends before it starts.
    """
    if not isinstance(list_url, str) or not list_url or "#" in list_url:
        raise ValueError("list_url must be a URL without a fragment")
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string")
    if len(bits) * 8 < MIN_ENTRIES:
        raise ValueError(f"a status list must hold at least {MIN_ENTRIES} bits")
    if valid_until is not None and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encode_bitstring(bits),
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise ValueError("ttl_ms must be a non-negative integer number of milliseconds")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_TYPE],
        "issuer": _issuer_id(issuer),
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = subject
    return credential


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """Return the ``BitstringStatusListEntry`` for position ``index`` of ``list_url`` (§2.1).

    ``statusListIndex`` is a base-10 string; the entry ``id`` is ``f"{list_url}#{index}"`` (it
    must not be the list's own URL, §2.1). Raises :class:`ValueError` for a negative index.
    """
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError("index must be an integer")
    if index < 0:
        raise ValueError("a status list index is never negative")
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
