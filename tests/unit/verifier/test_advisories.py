"""One named regression test per known JWT / VC attack (cf. pyjwt tests/test_advisory.py).

Each attack must end in a clear, stable ``code`` on the right check — never an exception, never
``verified: true``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest

from issuer import jwt_claims
from keys import SigningKey, did_key_from_public_key, verification_method_id
from verifier import Report, Verifier
from verifier.jsonparse import DEFAULT_MAX_BYTES

from .conftest import ISSUER, NOW, b64, b64json, forge


def failed(report: Report) -> tuple[str, str]:
    """(check id, code) of the first failed or undecided deciding check."""
    assert report.verified is False
    first = report.first_failure
    assert first is not None
    return first.id, first.code


def payload_of(make_credential: Callable[..., dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    cred = make_credential(**overrides)
    return {**cred, **jwt_claims(cred)}


def test_alg_none_without_signature_is_refused(verifier: Verifier, credential: Any) -> None:
    token = f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(payload_of(credential))}."
    assert failed(verifier.report(token, now=NOW)) == ("format", "unsupported_format")


def test_alg_none_with_a_signature_is_refused(verifier: Verifier, credential: Any) -> None:
    token = forge({"alg": "none"}, payload_of(credential), lambda _: b"x")
    assert failed(verifier.report(token, now=NOW)) == ("signature", "alg_not_allowed")


def test_hs256_signed_with_the_issuers_public_key_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    # The classic key-confusion attack: HMAC keyed with the public key the verifier knows.
    secret = json.dumps(es_key.public.jwk).encode()
    header = {"alg": "HS256", "kid": verification_method_id(ISSUER, es_key.kid)}
    token = forge(
        header, payload_of(credential), lambda m: hmac.new(secret, m, hashlib.sha256).digest()
    )
    assert failed(verifier.report(token, now=NOW)) == ("signature", "alg_not_allowed")


def test_unknown_kid_is_refused(verifier: Verifier, token: Callable[..., str]) -> None:
    forged = token(kid=f"{ISSUER}#{'A' * 43}")
    assert failed(verifier.report(forged, now=NOW)) == ("signature", "unknown_kid")


def test_header_jwk_that_is_not_the_issuers_key_is_refused(
    verifier: Verifier, credential: Any, attacker_key: SigningKey
) -> None:
    header = {"alg": "ES256", "jwk": attacker_key.public.jwk}
    forged = forge(header, payload_of(credential), attacker_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("signature", "untrusted_jwk")


def test_issuer_kid_with_attacker_jwk_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey, attacker_key: SigningKey
) -> None:
    header = {
        "alg": "ES256",
        "kid": verification_method_id(ISSUER, es_key.kid),
        "jwk": attacker_key.public.jwk,
    }
    forged = forge(header, payload_of(credential), attacker_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("signature", "untrusted_jwk")


def test_header_jwk_that_is_the_issuers_key_is_accepted(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    header = {"alg": "ES256", "typ": "JWT", "jwk": es_key.public.jwk}
    report = verifier.report(forge(header, payload_of(credential), es_key.sign), now=NOW)
    assert report.verified, report.to_dict()


def test_self_made_did_key_cannot_speak_for_another_issuer(
    verifier: Verifier, credential: Any, attacker_key: SigningKey
) -> None:
    did = did_key_from_public_key(attacker_key.public)
    header = {"alg": "ES256", "kid": f"{did}#{did.removeprefix('did:key:')}"}
    forged = forge(header, payload_of(credential), attacker_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("signature", "issuer_key_mismatch")


def test_iss_that_differs_from_issuer_id_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    payload = {**payload_of(credential), "iss": "did:web:someone-else.example"}
    header = {"alg": "ES256", "kid": verification_method_id(ISSUER, es_key.kid)}
    assert failed(verifier.report(forge(header, payload, es_key.sign), now=NOW)) == (
        "signature",
        "iss_mismatch",
    )


def test_jti_that_differs_from_credential_id_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    payload = {**payload_of(credential), "jti": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    header = {"alg": "ES256", "kid": verification_method_id(ISSUER, es_key.kid)}
    assert failed(verifier.report(forge(header, payload, es_key.sign), now=NOW)) == (
        "signature",
        "jti_mismatch",
    )


def test_nbf_that_differs_from_valid_from_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    payload = payload_of(credential)
    payload["nbf"] -= 3600
    header = {"alg": "ES256", "kid": verification_method_id(ISSUER, es_key.kid)}
    assert failed(verifier.report(forge(header, payload, es_key.sign), now=NOW)) == (
        "signature",
        "nbf_mismatch",
    )


def test_expired_credential_is_refused(verifier: Verifier, token: Callable[..., str]) -> None:
    from datetime import timedelta

    expired = token(valid_from=NOW - timedelta(days=800), valid_until=NOW - timedelta(days=1))
    report = verifier.report(expired, now=NOW)
    assert failed(report) == ("validity_window", "expired")
    # Still rendered, clearly marked: the credential is parsed and the signature held.
    assert report.credential is not None
    assert report.check("signature").status == "passed"  # type: ignore[union-attr]


def test_not_yet_valid_credential_is_refused(verifier: Verifier, token: Callable[..., str]) -> None:
    from datetime import timedelta

    future = token(valid_from=NOW + timedelta(days=2), valid_until=NOW + timedelta(days=30))
    assert failed(verifier.report(future, now=NOW)) == ("validity_window", "not_yet_valid")


def test_clock_skew_allowance_is_applied(verifier: Verifier, token: Callable[..., str]) -> None:
    from datetime import timedelta

    almost = token(valid_from=NOW + timedelta(seconds=30))
    assert verifier.report(almost, now=NOW).verified


def test_token_over_the_size_limit_is_refused(verifier: Verifier) -> None:
    huge = "a" * (DEFAULT_MAX_BYTES + 1) + ".b.c"
    assert failed(verifier.report(huge, now=NOW)) == ("format", "too_large")


@pytest.mark.parametrize(
    ("token_text", "code"),
    [
        ("e30.e30.!!!!", "unsupported_format"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.A", "bad_base64"),  # a 1-char segment cannot be base64
        ("eyJhbGciOiJFUzI1NiJ9.eyJub3QganNvbg.c2ln", "bad_json"),
        ("WzFd.e30.c2ln", "bad_jwt"),  # header is a JSON array
        ("eyJhbGciOiJFUzI1NiJ9.MTIz.c2ln", "bad_jwt"),  # payload is the number 123
        ("a.b", "unsupported_format"),
        ("a.b.c.d.e", "unsupported_format"),
        ("", "unsupported_format"),
        ("/9j/4AAQSkZJRgABAQ", "unsupported_format"),
    ],
)
def test_broken_base64_or_json_is_a_format_error(
    verifier: Verifier, token_text: str, code: str
) -> None:
    assert failed(verifier.report(token_text, now=NOW)) == ("format", code)


def test_json_nested_ten_thousand_deep_in_a_jwt_is_refused(verifier: Verifier) -> None:
    deep = ("[" * 10_000 + "]" * 10_000).encode()
    token = f"{b64json({'alg': 'ES256'})}.{b64(deep)}.{b64(b'sig')}"
    assert failed(verifier.report(token, now=NOW)) == ("format", "too_deep")


def test_json_nested_ten_thousand_deep_as_a_credential_is_refused(verifier: Verifier) -> None:
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    assert failed(verifier.report(deep, now=NOW)) == ("format", "too_deep")


def test_moderately_deep_json_is_refused_by_our_own_limit(verifier: Verifier) -> None:
    # Below Python's recursion limit but beyond ours: still refused, by the depth walk.
    deep = '{"a":' * 200 + "1" + "}" * 200
    assert failed(verifier.report(deep, now=NOW)) == ("format", "too_deep")


def test_nan_is_not_json(verifier: Verifier) -> None:
    assert failed(verifier.report('{"a": NaN}', now=NOW)) == ("format", "bad_json")


def test_crit_header_is_refused(verifier: Verifier, credential: Any, es_key: SigningKey) -> None:
    header = {"alg": "ES256", "kid": verification_method_id(ISSUER, es_key.kid), "crit": ["x"]}
    forged = forge(header, payload_of(credential), es_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("format", "unexpected_header")


def test_alg_that_does_not_match_the_key_type_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey, rsa_key: SigningKey
) -> None:
    # Header says RS256 and names the ES256 key: the key type decides, not the header.
    header = {"alg": "RS256", "kid": verification_method_id(ISSUER, es_key.kid)}
    forged = forge(header, payload_of(credential), rsa_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("signature", "key_alg_mismatch")


def test_truncated_es256_signature_is_refused(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    head, payload, sig = token().split(".")
    assert failed(verifier.report(f"{head}.{payload}.{sig[:-8]}", now=NOW)) == (
        "signature",
        "bad_signature",
    )


def test_vc2_credential_inside_a_vc_claim_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey
) -> None:
    cred = credential()
    payload = {"vc": cred, **jwt_claims(cred)}
    header = {"alg": "ES256", "kid": verification_method_id(ISSUER, es_key.kid)}
    assert failed(verifier.report(forge(header, payload, es_key.sign), now=NOW)) == (
        "format",
        "vc_claim_mismatch",
    )


@pytest.mark.parametrize("typ", [[], ["JWT"], {"JWT": 1}])
def test_typ_that_is_not_a_string_is_refused(
    verifier: Verifier, credential: Any, es_key: SigningKey, typ: object
) -> None:
    # Found by tests/fuzz: an unhashable typ raised TypeError out of report().
    header = {"alg": "ES256", "typ": typ, "kid": verification_method_id(ISSUER, es_key.kid)}
    forged = forge(header, payload_of(credential), es_key.sign)
    assert failed(verifier.report(forged, now=NOW)) == ("format", "bad_typ")


@pytest.mark.parametrize("iat", [2**70, -(2**70), 1e300, 10**15])
def test_signed_iat_outside_any_datetime_does_not_crash(
    verifier: Verifier, credential: Any, es_key: SigningKey, iat: float
) -> None:
    # Found by tests/fuzz: the signing time for the compromised-key check raised OverflowError
    # or ValueError out of report() for a timestamp past the years a datetime holds.
    header = {"alg": "ES256", "typ": "JWT", "kid": verification_method_id(ISSUER, es_key.kid)}
    forged = forge(header, {**payload_of(credential), "iat": iat}, es_key.sign)
    report = verifier.report(forged, now=NOW)
    signature = report.check("signature")
    assert signature is not None and signature.status == "passed"


def test_payload_changed_after_signing_fails_the_signature(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    head, payload, sig = token().split(".")
    claims = pyjwt.api_jws.base64url_decode(payload.encode())
    tampered = claims.replace(b"Kubernetes", b"Kubernetez", 1)
    assert tampered != claims
    assert failed(verifier.report(f"{head}.{b64(tampered)}.{sig}", now=NOW)) == (
        "signature",
        "bad_signature",
    )


def test_verify_raises_the_first_failure(verifier: Verifier, token: Callable[..., str]) -> None:
    from verifier import BadSignature

    head, payload, sig = token().split(".")
    bad_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    with pytest.raises(BadSignature):
        verifier.verify(f"{head}.{payload}.{bad_sig}", now=NOW)
