"""Reading untrusted JSON at the edge: size, depth and syntax limits with named errors.

Everything a user hands us passes through :func:`parse_json` (or :func:`b64url_json` for JOSE
segments) before any other code sees it, so the limits here bound the work later steps can be
made to do. Python's parser already refuses some inputs by raising ``RecursionError``; we turn
that, and every other syntax problem, into a :class:`~verifier.errors.FormatError` subclass.
"""

from __future__ import annotations

import binascii
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


def _too_deep(value: Any, max_depth: int) -> bool:
    """Return True when ``value`` nests containers deeper than ``max_depth`` (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > max_depth:
            return True
        if isinstance(node, dict):
            for child in node.values():
                if isinstance(child, (dict, list)):
                    push((child, depth + 1))
        else:
            for child in node:
                if isinstance(child, (dict, list)):
                    push((child, depth + 1))
    return False


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
    if isinstance(value, (dict, list)) and (
        _openers(data) > max_depth and _too_deep(value, max_depth)
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
