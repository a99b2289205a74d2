"""From the passport, "Add to wallet" shows a QR code whose offer the npm wallet redeems.

The learner signs in, opens a badge, follows "Add to wallet", makes an offer; the QR code is
read back from the rendered page (zxing-cpp), must be the page's deep link, and is handed to
``@openid4vc/openid4vci`` (tests/oid4vci/wallet.mjs), which receives the badge bound to its own
key. The page passes axe and fits a phone at both widths; the strict CSP holds (no console
error).
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image
from sqlalchemy import or_, select

from passport.credentials.models import Holder, IssuedCredential
from tests.browser.a11y import DESKTOP, PHONE, audit, axe_source, login, resize
from tests.browser.conftest import LiveServer
from tests.browser.test_ob_api_client import platform_server  # noqa: F401 (a fixture)
from tests.browser.test_passport_flow import ConsoleErrors
from tests.oid4vci.conftest import wallet

pytestmark = pytest.mark.slow

zxingcpp = pytest.importorskip(
    "zxingcpp", reason="zxing-cpp (a real QR decoder) is a dev dependency"
)

LEARNER = "ada.lovelace@demo.example"


def _a_current_badge(live_server: LiveServer) -> str:
    with live_server.services.session() as db:
        badge = db.scalar(
            select(IssuedCredential.id)
            .join(Holder, Holder.id == IssuedCredential.holder_id)
            .where(
                Holder.email == LEARNER,
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                or_(
                    IssuedCredential.valid_until.is_(None),
                    IssuedCredential.valid_until > live_server.services.now() + timedelta(days=1),
                ),
            )
            .limit(1)
        )
    assert badge is not None
    return str(badge)


def test_add_to_wallet_shows_a_qr_the_npm_wallet_redeems(
    browser: Any, live_server: LiveServer
) -> None:
    axe_source()
    base = live_server.url
    badge = _a_current_badge(live_server)
    context = browser.new_context(viewport=DESKTOP)
    errors = ConsoleErrors()
    try:
        page = errors.watch(login(context, base, LEARNER, live_server.password))
        page.goto(f"{base}/passport/badges/{badge}")
        with page.expect_navigation():
            page.get_by_role("link", name="Add to wallet").click()
        assert page.url.endswith("/wallet")
        with page.expect_navigation():
            page.get_by_role("button", name="Make an offer").click()
        deep_link = page.get_attribute("a:has-text('Open in wallet app')", "href")
        assert deep_link is not None and deep_link.startswith("openid-credential-offer://?")
        assert page.input_value("#offer-uri") == deep_link
        # the strict CSP held (axe, injected below, sets inline styles of its own)
        assert errors == []
        for viewport in (DESKTOP, PHONE):
            resize(page, viewport)
            violations, overflow = audit(page)
            assert violations == [] and overflow is None, (viewport, violations, overflow)
        resize(page, DESKTOP)
        shot = page.locator("figure svg.qr").screenshot()
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert [r.text for r in decoded] == [deep_link]
    finally:
        context.close()

    answer = wallet(
        "pre-authorized",
        {
            "offer": decoded[0].text,
            "keys": ["ed25519-did-key"],
            "configurations": ["OpenBadgeCredential_ldp_vc"],
        },
    )
    assert "error" not in answer, answer
    result = answer["results"][0]

    services = live_server.services
    with services.session() as db:
        verified = services.verifier(db).verify(
            json.dumps(result["credential"]).encode(), now=services.now() + timedelta(seconds=5)
        )
    assert verified.report.verified
    assert verified.credential.credential_subject.id == result["holder"]
    assert verified.credential.id == badge


def test_the_consent_page_is_accessible_and_fits_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    """What a learner sees when a wallet asks for a badge (authorization code flow)."""
    axe_source()
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    errors = ConsoleErrors()
    try:
        page = errors.watch(login(context, base, LEARNER, live_server.password))
        query = urlencode(
            {
                "client_id": "https://wallet.example",
                "redirect_uri": "https://wallet.example/callback",
                "response_type": "code",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
                "scope": "OpenBadgeCredential_ldp_vc",
                "state": "s",
            }
        )
        page.goto(f"{base}/oid4vci/authorize?{query}")
        assert page.get_by_role("button", name="Approve").count() == 1
        assert errors == []
        for viewport in (DESKTOP, PHONE):
            resize(page, viewport)
            violations, overflow = audit(page)
            assert violations == [] and overflow is None, (viewport, violations, overflow)
    finally:
        context.close()


@pytest.mark.parametrize("decision", ["Approve", "Deny"])
def test_the_consent_page_redirects_back_to_the_wallet(
    browser: Any,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    decision: str,
) -> None:
    """Chromium applies the page's CSP form-action to the redirect after the form post: the
    learner's decision must reach the wallet's (loopback, other-origin) redirect URI."""
    base = live_server.url
    wallet_url, captured = request.getfixturevalue("platform_server")  # a loopback server
    redirect_uri = f"{wallet_url}/callback"
    context = browser.new_context(viewport=DESKTOP)
    errors = ConsoleErrors()
    try:
        page = errors.watch(login(context, base, LEARNER, live_server.password))
        query = urlencode(
            {
                "client_id": "loopback-wallet",
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
                "scope": "OpenBadgeCredential_ldp_vc",
                "state": "st-9",
            }
        )
        page.goto(f"{base}/oid4vci/authorize?{query}")
        if decision == "Approve":
            page.locator("input[name=credential_id]").first.check()
        with page.expect_navigation(url=f"{redirect_uri}*"):
            page.get_by_role("button", name=decision).click()
        assert page.url.startswith(redirect_uri)
        answer = parse_qs(urlsplit(page.url).query)
        assert answer["state"] == ["st-9"] and answer["iss"] == [base]
        if decision == "Approve":
            assert len(answer["code"][0]) >= 43 and "error" not in answer
        else:
            assert answer["error"] == ["access_denied"] and "code" not in answer
        calls = [path for path in captured if path.startswith("/callback")]
        assert len(calls) == 1 and calls[0].startswith("/callback?")
        assert errors == []
    finally:
        context.close()
