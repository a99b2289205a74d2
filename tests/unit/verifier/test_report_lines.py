"""Report lines that repeat are built once and shared; what each report says is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

import verifier.verify as verify_module
from keys import SigningKey
from verifier import Verifier
from verifier.report import Check

from .conftest import NOW


def test_passed_lines_are_shared_between_reports(
    verifier: Verifier, token: Callable[..., str]
) -> None:
    first = verifier.report(token(), now=NOW)
    second = verifier.report(token(), now=NOW)  # another credential: new id, salt, subject
    assert first.verified and second.verified
    for a, b in zip(first.checks, second.checks, strict=True):
        assert a == b
        assert a is b  # the same sentence for the same issuer, key and expiry: one object


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


def test_the_shared_lines_are_bounded(
    verifier: Verifier, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_module, "_MAX_PASSED_LINES", 3)
    monkeypatch.setattr(verify_module, "_PASSED_LINES", {})
    for _ in range(3):
        report = verifier.report(token(), now=NOW)
        assert report.verified
        assert len(verify_module._PASSED_LINES) <= 3
    assert all(isinstance(c, Check) for c in verify_module._PASSED_LINES.values())
