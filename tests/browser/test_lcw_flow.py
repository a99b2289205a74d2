"""Add to Learner Credential Wallet in a real browser, redeemed by the wallet's requests.

The learner opens a badge, presses the button, and gets the exchange page; the QR code decoded
from the rendered page is the button's deep link. A wallet (the requests of
tests/assets/lcw/wallet_requests.json, the DIDAuth signed by the Digital Bazaar libraries as
the wallet signs it) redeems the link's exchange against the live server; the page then says
which wallet collected the badge. The strict CSP holds: no console errors.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import or_, select

from passport.accounts.models import User
from passport.credentials.models import IssuedCredential
from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import LEARNER, ConsoleErrors, decode
from tests.interop.harness import HERE as INTEROP
from tests.interop.harness import requires_node, run_node

pytestmark = [pytest.mark.slow, requires_node]

WALLET = {"Content-Type": "application/json", "Accept": "*/*"}


def _post(url: str, body: Any) -> Any:
    data = json.dumps(body, indent=2).encode()
    # loopback only: the URL is the live test server's
    request = urllib.request.Request(url, data=data, method="POST", headers=WALLET)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _current_badge(live_server: LiveServer) -> str:
    with live_server.services.session() as db:
        holder_id = db.scalar(select(User.holder_id).where(User.email == LEARNER))
        badge = db.scalar(
            select(IssuedCredential.id)
            .where(
                IssuedCredential.holder_id == holder_id,
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                or_(
                    IssuedCredential.valid_until.is_(None),
                    IssuedCredential.valid_until > live_server.services.now(),
                ),
            )
            .limit(1)
        )
    assert badge is not None
    return str(badge)


def test_a_learner_adds_a_badge_to_the_wallet(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    base = live_server.url
    errors = ConsoleErrors()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = errors.watch(context.new_page())
    page.goto(f"{base}/login")
    page.fill("#email", LEARNER)
    page.fill("#password", live_server.password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/my/")

    badge = _current_badge(live_server)
    page.goto(f"{base}/passport/badges/{badge}")
    page.click("button:has-text('Add to Learner Credential Wallet')")
    page.wait_for_url(f"{base}/passport/lcw/*")
    link = page.get_attribute("a:has-text('Open in Learner Credential Wallet')", "href")
    assert link is not None and link.startswith("https://lcw.app/request.html?request=")
    assert decode(page.locator("svg.qr").screenshot()) == link
    # no sideways scroll on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "lcw-exchange.png"), full_page=True)

    # the wallet: open the link, start the exchange, authenticate, receive the badge
    (request,) = parse_qs(urlsplit(link).query)["request"]
    exchange = json.loads(request)["protocols"]["vcapi"]
    vpr = _post(exchange, {})["verifiablePresentationRequest"]
    signed = run_node(
        INTEROP / "lcw_didauth.mjs", {"challenge": vpr["challenge"], "domain": vpr["domain"]}
    )
    answer = _post(
        vpr["interact"]["service"][0]["serviceEndpoint"],
        {"verifiablePresentation": signed["presentation"]},
    )
    (credential,) = answer["verifiablePresentation"]["verifiableCredential"]
    assert credential["id"] == badge
    assert credential["credentialSubject"]["id"] == signed["did"]

    page.reload()
    assert "Done: a wallet collected this badge." in page.inner_text("main")
    assert signed["did"] in page.inner_text("main")
    assert page.locator("svg.qr").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "lcw-done.png"), full_page=True)
    context.close()
    assert errors == []
