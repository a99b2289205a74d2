"""Reading untrusted JSON at the edge: size, depth and syntax limits with named errors.

Everything a user hands us passes through :func:`parse_json` (or :func:`b64url_json` for JOSE
segments) before any other code sees it, so the limits here bound the work later steps can be
made to do. Python's parser already refuses some inputs by raising ``RecursionError``; we turn
that, and every other syntax problem, into a :class:`~verifier.errors.FormatError` subclass.
"""

from __future__ import annotations

import binascii
import re
from typing import Any

import orjson
import pybase64

from verifier.errors import InputTooLarge, MalformedJson, MalformedJwt, NestingTooDeep

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "b64url_decode", "b64url_json", "parse_json"]

#: A credential with a few embedded endorsements and images stays far below this.
DEFAULT_MAX_BYTES = 1024 * 1024
#: Deepest nesting seen in official OB 3.0 / CLR 2.0 vectors is about 12; leave room for a CLR.
DEFAULT_MAX_DEPTH = 48

#: pybase64's validating (SIMD) decoder with the URL-safe alternative characters. It would also
#: take the standard ``+`` and ``/``; :func:`b64url_decode` refuses those (and padding) first.
_URLSAFE_ALTCHARS = b"-_"


#: The four brackets become parentheses; every other byte but the quote is deleted.
_SKELETON = bytes.maketrans(b"[{]}", b"(())")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
#: A string whose brackets survived: quotes around parentheses.
_STRING = re.compile(rb'"[^"]*"')


def nesting_depth_exceeds(text: bytes, max_depth: int) -> bool:
    """Return True when valid JSON ``text`` nests containers deeper than ``max_depth``.

    For JSON the parser has already accepted (on anything else the answer means nothing).
    It works on the text with C-speed byte operations instead of walking the parsed value:
    escaped backslashes and escaped quotes go first (left to right, as a JSON reader pairs
    them), then every byte but brackets and quotes, with both kinds of bracket written as
    parentheses; then the strings (quotes around whatever brackets they held). What is left
    is the bare bracket structure. ``bytes.replace`` does not look again at what it joins,
    so one pass deletes exactly the innermost pairs: the skeleton empties in exactly as many
    passes as the text is deep (a top-level container is depth 1).
    """
    if b"\\" in text:
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = text.translate(_SKELETON, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in skeleton:  # strings that held brackets (dropping a pair keeps the parity)
        skeleton = _STRING.sub(b"", skeleton)
    for _ in range(max_depth):
        if not skeleton:
            return False
        skeleton = skeleton.replace(b"()", b"")
    return bool(skeleton)


def _openers(text: bytes | str) -> int:
    if isinstance(text, bytes):
        return text.count(b"{") + text.count(b"[")
    return text.count("{") + text.count("[")


def parse_json(
    data: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    what: str = "input",
) -> Any:
    """Parse JSON text, refusing oversize, over-deep, non-UTF-8 and non-standard input.

    Returns the parsed value. Raises :class:`InputTooLarge`, :class:`NestingTooDeep` or
    :class:`MalformedJson`.
    """
    if len(data) > max_bytes:
        raise InputTooLarge(f"The {what} is larger than the limit of {max_bytes} bytes.")
    # orjson is strict where the standard library is lenient: no NaN/Infinity (RFC 8259 §6),
    # no invalid UTF-8 or lone surrogates, and a hard nesting limit of 1024.
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise NestingTooDeep(f"The {what} is nested too deeply.") from exc
        raise MalformedJson(
            f"The {what} is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from exc
    # A cheap upper bound first: nesting depth can never exceed the number of openers.
    if (
        isinstance(value, (dict, list))
        and _openers(data) > max_depth
        and nesting_depth_exceeds(
            data if isinstance(data, bytes) else data.encode("utf-8"), max_depth
        )
    ):
        raise NestingTooDeep(f"The {what} is nested more than {max_depth} levels deep.")
    return value


def b64url_decode(segment: bytes, *, what: str) -> bytes:
    """Decode one unpadded base64url JOSE segment (RFC 7515 §2), strictly.

    Raises :class:`MalformedJwt` (code ``bad_base64``) on any character outside the alphabet,
    on padding, and on impossible lengths.
    """
    # RFC 7515 §2: base64url without padding. The validating decoder refuses characters outside
    # the alphabet; we refuse the standard-alphabet characters and padding ourselves.
    if len(segment) % 4 == 1 or b"+" in segment or b"/" in segment or b"=" in segment:
        raise MalformedJwt(f"The token's {what} is not valid base64url.", code="bad_base64")
    try:
        return pybase64.b64decode(
            segment + b"=" * (-len(segment) % 4), altchars=_URLSAFE_ALTCHARS, validate=True
        )
    except (binascii.Error, ValueError) as exc:
        raise MalformedJwt(
            f"The token's {what} is not valid base64url.", code="bad_base64"
        ) from exc


def b64url_json(segment: bytes, *, what: str, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """Decode a base64url segment holding a JSON object. Raises a FormatError subclass."""
    raw = b64url_decode(segment, what=what)
    value = parse_json(raw, max_bytes=max_bytes, max_depth=max_depth, what=f"token's {what}")
    if not isinstance(value, dict):
        raise MalformedJwt(f"The token's {what} is not a JSON object.")
    return value
