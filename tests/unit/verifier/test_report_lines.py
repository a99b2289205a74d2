"""Report lines: the same sentence for the same issuer, key and expiry; what differs is said."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from keys import SigningKey
from verifier import Verifier

from .conftest import NOW


def test_passed_lines_are_the_same_for_the_same_issuer_and_key(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    first = verifier.report(token(), now=NOW)
    second = verifier.report(token(), now=NOW)  # another credential: new id, salt, subject
    assert first.verified and second.verified
    assert first.checks == second.checks


def test_a_shared_line_still_says_what_differs(
    verifier: Verifier, token: Callable[..., str], ed_key: SigningKey
) -> None:
    es = verifier.report(token(), now=NOW)
    ed = verifier.report(token(key=ed_key, valid_until=NOW + timedelta(days=30)), now=NOW)
    assert es.check("signature") != ed.check("signature")
    es_signature, ed_signature = es.check("signature"), ed.check("signature")
    assert es_signature is not None and ed_signature is not None
    assert es_signature.hint is not None and es_signature.hint.startswith("ES256 key ")
    assert ed_signature.hint is not None and ed_signature.hint.startswith("EdDSA key ")
    es_window, ed_window = es.check("validity_window"), ed.check("validity_window")
    assert es_window is not None and ed_window is not None
    assert es_window.message != ed_window.message
    assert (NOW + timedelta(days=30)).date().isoformat() in ed_window.message
