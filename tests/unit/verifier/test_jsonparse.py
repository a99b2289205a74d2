"""The edge readers: strict base64url (RFC 7515 §2) and bounded JSON.

The base64url decoder is a SIMD library; these properties tie it to the standard library's
reading of the same alphabet, so a faster decoder can never accept what the strict one refuses.
"""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.errors import MalformedJson, MalformedJwt, NestingTooDeep
from verifier.jsonparse import b64url_decode, parse_json

_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _reference(segment: bytes) -> bytes | None:
    """What a strict reading of unpadded base64url gives, or None when it must be refused."""
    if len(segment) % 4 == 1 or segment.translate(None, _URLSAFE.encode()):
        return None
    try:
        return base64.b64decode(
            segment.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(segment) % 4),
            validate=True,
        )
    except binascii.Error:
        return None


@given(st.binary(max_size=300))
def test_round_trip_of_any_bytes(data: bytes) -> None:
    segment = base64.urlsafe_b64encode(data).rstrip(b"=")
    assert b64url_decode(segment, what="payload") == data


@given(st.text(alphabet=_URLSAFE + "+/= \n.\x00é", max_size=40).map(str.encode))
def test_agrees_with_the_strict_reference(segment: bytes) -> None:
    expected = _reference(segment)
    if expected is None:
        with pytest.raises(MalformedJwt) as info:
            b64url_decode(segment, what="payload")
        assert info.value.code == "bad_base64"
    else:
        assert b64url_decode(segment, what="payload") == expected


@pytest.mark.parametrize(
    "segment",
    [b"ab+d", b"ab/d", b"abc=", b"a", b"ab d", b"ab\nd", b"\xff\xfe", b"ab\x00d", b"abcde"],
)
def test_refuses_what_base64url_does_not_allow(segment: bytes) -> None:
    with pytest.raises(MalformedJwt) as info:
        b64url_decode(segment, what="signature")
    assert info.value.code == "bad_base64"
    assert "signature" in info.value.message


def test_json_limits() -> None:
    assert parse_json(b'{"a": [1, 2]}') == {"a": [1, 2]}
    with pytest.raises(NestingTooDeep):
        parse_json(b"[" * 60 + b"]" * 60, max_depth=48)
    with pytest.raises(MalformedJson):
        parse_json(b'{"a": NaN}')


def _segment(value: object) -> bytes:
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")


def _token(header: object) -> bytes:
    payload = {"@context": ["https://www.w3.org/ns/credentials/v2"], "iss": "did:example:1"}
    return _segment(header) + b"." + _segment(payload) + b".c2ln"


def test_each_decode_hands_out_its_own_header() -> None:
    from verifier.jwt import decode_vc_jwt

    token = _token({"alg": "ES256", "kid": "did:example:1#key", "typ": "vc+jwt"})
    first = decode_vc_jwt(token)
    first.header["alg"] = "none"  # type: ignore[index]
    second = decode_vc_jwt(token)
    assert second.header == {"alg": "ES256", "kid": "did:example:1#key", "typ": "vc+jwt"}
    assert second.header is not first.header


def test_a_header_holding_an_object_is_decoded_each_time() -> None:
    from verifier.jwt import decode_vc_jwt

    token = _token({"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256"}})
    first = decode_vc_jwt(token)
    first.header["jwk"]["crv"] = "P-384"  # type: ignore[index]
    assert decode_vc_jwt(token).header["jwk"] == {"kty": "EC", "crv": "P-256"}


@pytest.mark.parametrize("header", [b"W10", b"!!", b"eyJhbGciOiJFUzI1NiJ", b""])
def test_a_bad_header_is_refused_every_time(header: bytes) -> None:
    from verifier.errors import FormatError
    from verifier.jwt import decode_vc_jwt

    token = header + b"." + _token({"alg": "ES256"}).split(b".", 1)[1]
    for _ in range(2):
        with pytest.raises(FormatError):
            decode_vc_jwt(token)
