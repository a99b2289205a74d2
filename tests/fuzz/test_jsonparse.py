"""Fuzzing :mod:`verifier.jsonparse`: any bytes or text parse or raise a FormatError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.errors import FormatError, MalformedJwt, NestingTooDeep
from verifier.jsonparse import (
    DEFAULT_MAX_DEPTH,
    b64url_decode,
    b64url_json,
    nesting_depth_exceeds,
    parse_json,
)

from .strategies import FUZZ, json_values, returns_or_raises

#: Bytes that are mostly JSON-ish, plus anything at all.
json_texts = (
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False))
    | st.text(alphabet='{}[]",:0123456789.eE+-truefalsn \\u\n\t', max_size=60)
    | st.text()
)
inputs = json_texts | json_texts.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary()


@FUZZ
@given(inputs)
def test_parse_json_returns_or_raises_a_format_error(data: bytes | str) -> None:
    returns_or_raises(lambda: parse_json(data), FormatError)


@FUZZ
@given(
    st.integers(DEFAULT_MAX_DEPTH - 3, DEFAULT_MAX_DEPTH + 3) | st.integers(1000, 1100),
    st.lists(st.sampled_from(["list", "object"]), min_size=1, max_size=4),
    st.booleans(),
)
def test_nesting_at_and_past_the_limit(depth: int, shapes: list[str], truncate: bool) -> None:
    opens, closes = [], []
    for i in range(depth):
        if shapes[i % len(shapes)] == "list":
            opens.append("[")
            closes.append("]")
        else:
            opens.append('{"a":')
            closes.append("}")
    text = "".join(opens) + "1" + "".join(reversed(closes))
    if truncate:
        text = text[: len(text) - 1]
        with pytest.raises(FormatError):
            parse_json(text)
    elif depth <= DEFAULT_MAX_DEPTH:
        assert parse_json(text) is not None
    else:
        with pytest.raises(NestingTooDeep):
            parse_json(text)


@FUZZ
@given(st.binary(max_size=80) | st.text(max_size=80).map(lambda t: t.encode("utf-8", "replace")))
def test_b64url_segments_decode_or_raise_malformed_jwt(segment: bytes) -> None:
    decoded = returns_or_raises(lambda: b64url_decode(segment, what="segment"), MalformedJwt)
    assert isinstance(decoded, bytes) or decoded.code == "bad_base64"
    # The JSON inside may also be bad_json / too_deep / too_large.
    returns_or_raises(
        lambda: b64url_json(segment, what="segment", max_bytes=4096, max_depth=8), FormatError
    )


def _depth(value: object) -> int:
    """The reference: nesting depth of a parsed value, walked (a top-level container is 1)."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


#: Strings that look like structure: brackets, quotes and backslashes in every escaped form.
_structural_strings = st.text(alphabet='[]{}"\\\\/ab\n\u2028', max_size=12)
_structural_values = st.recursive(
    st.none() | st.integers() | _structural_strings,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(_structural_strings, inner, max_size=3)
    ),
    max_leaves=40,
)


@FUZZ
@given(
    _structural_values | json_values,
    st.integers(0, 12),
    st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1}]),
)
def test_depth_measured_on_the_text_agrees_with_the_parsed_value(
    value: object, max_depth: int, dumps: dict[str, object]
) -> None:
    text = json.dumps(value, **dumps)  # type: ignore[arg-type]
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text to measure
        return
    assert nesting_depth_exceeds(data, max_depth) == (_depth(value) > max_depth)
