"""A hiring manager asks a candidate's wallet for a presentation, in a real browser.

/verify → "Request a presentation" → make a request: the QR code in the rendered page decodes
to the request shown as text, with the challenge and domain beside it → the candidate's wallet
(our presentation helper with the learner's key) signs for that challenge → pasted → verified.
On a 390 px wide phone, in English and German: no sideways scrolling, the QR scales down and
still decodes, every form field has a label, the page language is declared. The strict CSP
holds throughout (a blocked inline script or style is a console error, which fails the test).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from keys import did_key_from_public_key, generate_key
from passport.credentials.exports import export_vp, select_credentials
from passport.credentials.holders import find_holder, set_holder_did
from tests.browser.a11y import horizontal_overflow
from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import ConsoleErrors, decode

pytestmark = pytest.mark.slow

CANDIDATE = "grace.hopper@demo.example"


def unlabelled_fields(page: Any) -> list[str]:
    """Visible inputs, textareas and selects without a <label for> (hidden inputs excluded)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
             .filter(el => !el.labels || el.labels.length === 0)
             .map(el => el.outerHTML.slice(0, 80))"""
    )
    return found


def sign_for(live_server: LiveServer, challenge: str, domain: str) -> str:
    """The candidate's wallet: a presentation of their badges signed for ``challenge``."""
    services = live_server.services
    key = generate_key("EdDSA")
    with services.session() as session:
        set_holder_did(
            session,
            CANDIDATE,
            did_key_from_public_key(key.public),
            actor="browser-test",
            now=services.now(),
        )
    with services.session() as session:
        holder = find_holder(session, CANDIDATE)
        records = select_credentials(session, holder)
        return export_vp(
            session, holder, records, holder_key=key, challenge=challenge, domain=domain
        ).decode()


@pytest.mark.parametrize(("language", "width"), [("en", 390), ("de", 390), ("en", 1280)])
def test_a_manager_requests_and_checks_a_presentation(
    browser: Any, live_server: LiveServer, artifacts: Path, language: str, width: int
) -> None:
    base = live_server.url
    errors = ConsoleErrors()
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="de-DE" if language == "de" else "en-GB"
    )
    page = errors.watch(context.new_page())

    # 1. from the verify page to the request step (German comes from the browser's language)
    page.goto(f"{base}/verify")
    page.click("a[href='/verify/request']")
    page.wait_for_url(f"{base}/verify/request")
    assert page.get_attribute("html", "lang") == language
    make = "Anfrage erstellen" if language == "de" else "Make a request"
    page.click(f"form button:has-text('{make}')")
    page.wait_for_selector("#vpr-challenge")
    shot = f"presentation-request-{language}-{width}"
    page.screenshot(path=str(artifacts / f"{shot}.png"), full_page=True)

    # 2. the QR code as rendered decodes to the request shown as text
    challenge = page.inner_text("#vpr-challenge")
    domain = page.inner_text("#vpr-domain")
    assert domain == base
    qr = page.locator("svg.qr")
    assert qr.get_attribute("role") == "img" and qr.get_attribute("aria-label")
    box = qr.bounding_box()
    assert box is not None and box["width"] <= width - 32
    scanned = json.loads(decode(qr.screenshot()))
    assert scanned == json.loads(page.input_value("#vpr-text"))
    request = scanned["verifiablePresentationRequest"]
    assert (request["challenge"], request["domain"]) == (challenge, domain)
    assert horizontal_overflow(page) is None, horizontal_overflow(page)
    assert unlabelled_fields(page) == []
    assert page.locator("h1").count() == 1

    # 3. the candidate's presentation, signed for this challenge, is pasted and verified
    page.fill("#credential", sign_for(live_server, challenge, domain))
    check = "Präsentation prüfen" if language == "de" else "Check the presentation"
    page.click(f"form button:has-text('{check}')")
    page.wait_for_selector("#verdict")
    verdict = page.inner_text("#verdict")
    expected = (
        "Präsentation geprüft: Sie beantwortet Ihre Anfrage"
        if language == "de"
        else "Presentation verified: it answers your request"
    )
    assert verdict == expected
    assert page.locator(".report.bad").count() == 0
    assert page.locator(".report.ok").count() >= 2  # the presentation and its badges
    assert html.unescape(challenge) in page.inner_text(".report.ok p.muted")
    assert horizontal_overflow(page) is None, horizontal_overflow(page)
    assert page.locator("h1").count() == 1
    page.screenshot(path=str(artifacts / f"{shot}-verified.png"), full_page=True)

    context.close()
    assert errors == [], errors
