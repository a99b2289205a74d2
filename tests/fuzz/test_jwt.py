"""Fuzzing the VC-JWT edge: ``decode_vc_jwt`` and ``Verifier.report`` on hostile tokens.

Contract: ``decode_vc_jwt`` returns or raises a :class:`~verifier.errors.FormatError`;
``report`` never raises, and a token that is not the issuer's exact bytes is never verified.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from keys import SigningKey
from verifier import FormatError, Report, Verifier
from verifier.errors import MalformedJwt
from verifier.jwt import UnverifiedJwt, decode_vc_jwt

from .conftest import NOW
from .strategies import (
    FUZZ,
    FUZZ_SLOW,
    b64,
    b64json,
    json_values,
    mutated,
    mutated_text,
    returns_or_raises,
)

_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

#: One JOSE segment: base64url of JSON, of bytes, or any text at all.
segments = (
    json_values.map(b64json)
    | st.binary(max_size=64).map(b64)
    | st.text(alphabet=_B64_ALPHABET + "+/=. \n", max_size=40)
    | st.text(max_size=20)
)
#: Whole tokens: three (or some other number of) segments, or any text or bytes.
tokens = (
    st.lists(segments, min_size=3, max_size=3).map(".".join)
    | st.lists(segments, min_size=0, max_size=6).map(".".join)
    | st.text()
    | st.binary()
)
#: Characters a mutation brings in: the base64url alphabet, separators, and anything else.
mutation_chars = st.sampled_from(_B64_ALPHABET + ".=+/ ") | st.characters()


def decoded_or_format_error(token: str | bytes) -> UnverifiedJwt | None:
    result = returns_or_raises(lambda: decode_vc_jwt(token), FormatError)
    return result if isinstance(result, UnverifiedJwt) else None


def assert_refused(report: Report) -> None:
    assert isinstance(report, Report)
    assert report.verified is False
    assert report.first_failure is not None
    report.to_dict()  # what the API serves must build too


def test_the_valid_token_verifies(verifier: Verifier, token: str) -> None:
    # The mutation properties below mean something only if the unmutated token passes.
    assert verifier.report(token, now=NOW).verified is True


@FUZZ
@given(tokens)
def test_decode_returns_or_raises_a_format_error(token: str | bytes) -> None:
    decoded_or_format_error(token)


@FUZZ
@given(tokens)
def test_report_never_raises_and_never_verifies_junk(verifier: Verifier, token: str) -> None:
    assert_refused(verifier.report(token, now=NOW))


@FUZZ
@given(st.data())
def test_a_mutated_token_is_never_verified(
    verifier: Verifier, token: str, data: st.DataObject
) -> None:
    mutant = data.draw(mutated_text(token, mutation_chars))
    decoded = decoded_or_format_error(mutant)
    original = decode_vc_jwt(token)
    # base64url has spare bits in a segment's last character: a flip there may decode to the
    # same bytes, and surrounding whitespace is trimmed. Such a "mutant" is still the token.
    assume(
        decoded is None
        or (decoded.signing_input, decoded.signature)
        != (original.signing_input, original.signature)
    )
    assert_refused(verifier.report(mutant, now=NOW))


@FUZZ
@given(st.permutations([0, 1, 2]), st.integers(0, 2), st.integers(0, 2))
def test_swapped_or_repeated_segments_are_never_verified(
    verifier: Verifier, token: str, order: list[int], i: int, j: int
) -> None:
    parts = token.split(".")
    for candidate in (
        [parts[k] for k in order],
        [parts[i], parts[j], parts[2]],
        [parts[0], parts[1], parts[i]],
    ):
        if candidate != parts:
            assert_refused(verifier.report(".".join(candidate), now=NOW))


@FUZZ
@given(st.data())
def test_reencoded_header_or_payload_is_never_verified(
    verifier: Verifier, token: str, jwt_payload: dict[str, Any], data: st.DataObject
) -> None:
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = dict(decode_vc_jwt(token).header)
    which = data.draw(st.sampled_from(["header", "payload", "both", "random"]))
    if which in ("header", "both"):
        header_b64 = b64json(data.draw(mutated(header)))
    if which in ("payload", "both"):
        payload_b64 = b64json(data.draw(mutated(jwt_payload)))
    if which == "random":
        header_b64 = b64json(data.draw(json_values))
        payload_b64 = b64json(data.draw(json_values))
    assume((header_b64, payload_b64) != tuple(token.split(".")[:2]))
    assert_refused(verifier.report(f"{header_b64}.{payload_b64}.{signature_b64}", now=NOW))


@FUZZ_SLOW
@given(st.data())
def test_report_never_raises_on_anything_the_issuer_signs(
    verifier: Verifier,
    issuer_key: SigningKey,
    kid: str,
    jwt_payload: dict[str, Any],
    data: st.DataObject,
) -> None:
    # The issuer's own key signs a mutated credential and claims: every later step (schema,
    # claims, dates, status, endorsements) sees hostile content behind a good signature.
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    if data.draw(st.booleans()):
        payload = data.draw(mutated(jwt_payload))
    else:
        # One registered claim set to any JSON, extreme timestamps included.
        payload = dict(jwt_payload)
        claim = data.draw(st.sampled_from(["iat", "nbf", "exp", "iss", "jti", "sub", "vc"]))
        payload[claim] = data.draw(
            st.sampled_from([2**70, -(2**70), 1e300, -1e300, 10**15, -(10**15)]) | json_values
        )
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    signed = f"{signing_input}.{b64(issuer_key.sign(signing_input.encode()))}"
    report = verifier.report(signed, now=NOW)
    assert isinstance(report, Report)
    report.to_dict()


@FUZZ
@given(st.lists(segments | st.just(""), min_size=1, max_size=6).map(".".join))
def test_the_parts_are_those_of_a_split_on_dots(token: str) -> None:
    # decode_vc_jwt finds the two dots with find(); bytes.split is the plain reading it must
    # match: a token with any other number of dots is refused, saying how many parts it has.
    raw = token.encode("ascii", "replace").strip()
    parts = raw.split(b".")
    result = returns_or_raises(lambda: decode_vc_jwt(token), FormatError)
    if len(parts) != 3:
        assert isinstance(result, MalformedJwt)
        assert result.hint is not None and f"Found {len(parts)} part(s)" in result.hint
    elif isinstance(result, UnverifiedJwt):
        assert result.signing_input == parts[0] + b"." + parts[1]
        assert result.compact.split(".") == [p.decode() for p in parts]
