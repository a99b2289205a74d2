"""Strict base64url helpers shared by the :mod:`keys` modules (private).

JOSE values are base64url-encoded without padding (RFC 7515 §2, "Base64url Encoding"; RFC 7515
Appendix C). Decoding here is strict: only the 64 URL-safe characters, no ``=`` padding, no
whitespace, and the encoding must be canonical (re-encoding the bytes gives back the input), so
that one byte string has exactly one textual form.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["b64u_decode", "b64u_encode"]

_B64U = re.compile(r"[A-Za-z0-9_-]*")


def b64u_encode(data: bytes) -> str:
    """Return ``data`` base64url-encoded without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(value: object, *, max_len: int | None = None) -> bytes | None:
    """Return the bytes encoded by ``value``, or ``None`` if it is not canonical base64url.

    ``max_len`` (in decoded bytes), when given, rejects longer values before decoding.
    Never raises: callers turn ``None`` into the error that fits their context.
    """
    if not isinstance(value, str) or _B64U.fullmatch(value) is None:
        return None
    if max_len is not None and len(value) > (max_len * 4 + 2) // 3:
        return None
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    # Canonical form only: reject non-zero padding bits ("AR" for b"\x01" instead of "AQ").
    if b64u_encode(data) != value:
        return None
    return data
