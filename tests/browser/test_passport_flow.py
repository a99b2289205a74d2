"""A learner's whole passport journey in a real browser, and what a recruiter then sees.

Log in → /passport → download the JSON export → the printable passport (QR codes decoded from
the rendered page) → create a share link → open it in a fresh, logged-out browser context →
every badge verifies → the holder sees the view → revokes → the link says "revoked" (410).
Screenshots of each page are saved under tests/browser/artifacts/. The strict CSP holds
throughout: any console error (a blocked inline script or style shows up as one) fails the test.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow

zxingcpp = pytest.importorskip(
    "zxingcpp", reason="zxing-cpp (a real QR decoder) is a dev dependency"
)

LEARNER = "ada.lovelace@demo.example"


def decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "exactly one QR code in the picture"
    return str(results[0].text)


class ConsoleErrors(list[str]):
    """Console errors, page errors and failed requests of the pages it watches.

    CSP violations show up as console errors. A failed request shows up twice — as a response
    (kept, with its URL) and as a "Failed to load resource" console line (dropped as a repeat).
    The browser's own favicon probe is not ours to answer.
    """

    def watch(self, page: Any) -> Any:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.append(str(e)))
        page.on("response", self._response)
        return page

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.append(f"{response.status} {response.url}")


def test_learner_exports_prints_and_shares_a_passport(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    base = live_server.url
    errors = ConsoleErrors()
    holder = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = errors.watch(holder.new_page())

    # 1. log in with the form; learners land on their passport
    page.goto(f"{base}/login")
    page.fill("#email", LEARNER)
    page.fill("#password", live_server.password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/my/")
    page.goto(f"{base}/passport")
    assert page.inner_text("h1") == "Ada Lovelace"
    cards = page.locator("article.pp-badge")
    badges = cards.count()
    assert badges >= 3
    assert page.locator(".pp-family").count() >= 1
    page.wait_for_load_state("networkidle")  # the badge artwork
    page.screenshot(path=str(artifacts / "passport.png"), full_page=True)

    # A renewed badge is shown once, the current one, naming how many earlier ones it renews.
    earlier = sum(
        int(re.search(r"[0-9]+", text).group())  # type: ignore[union-attr]
        for text in page.locator(".pp-history-note").all_inner_texts()
    )

    # 2. download the JSON export: every badge as issued — those on the page and the earlier
    # badges they renew
    with page.expect_download() as download_info:
        page.click("text=All badges (JSON, as issued)")
    download = download_info.value
    assert download.suggested_filename.startswith("skill-passport-")
    exported = json.loads(Path(download.path()).read_text("utf-8"))
    assert exported["holder"] == LEARNER and exported["count"] == badges + earlier

    # 3. the printable passport: QR codes in the rendered page decode to verification pages
    page.goto(f"{base}/passport/print")
    first_qr = page.locator("svg.qr").first
    verify_url = decode(first_qr.screenshot())
    assert verify_url.startswith(f"{base}/credentials/urn:uuid:")
    assert page.locator("svg.qr").count() >= badges
    page.screenshot(path=str(artifacts / "print.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "print-media.png"), full_page=True)
    page.pdf(path=str(artifacts / "passport.pdf"), prefer_css_page_size=True)
    page.emulate_media(media="screen")

    # 4. share every badge for 30 days with a note; the link is shown once, with its QR code
    page.goto(f"{base}/passport/shares")
    for box in page.locator("input[name=credential]").all():
        box.check()
    page.fill("#audience", "Globex — SRE interview panel")
    page.select_option("#days", "30")
    page.click("text=Create link")
    page.wait_for_selector("#share-url")
    share_url = page.input_value("#share-url")
    assert share_url.startswith(f"{base}/p/")
    qr = page.locator(".pp-created-qr img")
    qr.wait_for()
    page.wait_for_load_state("networkidle")
    assert decode(qr.screenshot()) == share_url
    page.screenshot(path=str(artifacts / "share-created.png"), full_page=True)

    # 5. a recruiter opens it logged out: every badge verifies, the expiry is stated
    visitor = browser.new_context(viewport={"width": 1280, "height": 900})
    shared = errors.watch(visitor.new_page())
    response = shared.goto(share_url)
    assert response is not None and response.status == 200
    assert shared.inner_text("h1") == "Ada Lovelace"
    assert "Globex — SRE interview panel" in shared.inner_text(".pp-hero")
    assert "This link works until" in shared.inner_text(".pp-expiry")
    assert "(30 days from now)" in shared.inner_text(".pp-expiry")
    assert shared.locator(".pp-verdict.ok").count() == badges + earlier  # every one ticked
    assert shared.locator(".pp-verdict.bad").count() == 0
    shared.wait_for_load_state("networkidle")
    shared.screenshot(path=str(artifacts / "shared.png"), full_page=True)
    # its links lead to the public verification page, which agrees
    shared.locator("text=Full verification page").first.click()
    shared.wait_for_load_state()
    assert shared.url.startswith(f"{base}/credentials/urn:uuid:")
    assert shared.inner_text("#verdict").startswith("Verified: signed by ")
    # ... and, while the link is live, names the holder it was shared by
    assert "Earned by Ada Lovelace" in shared.inner_text(".public-badge-title")

    # 6. the holder sees the view, then revokes the link; it answers 410 at once
    page.goto(f"{base}/passport/shares")
    assert "1 view" in page.inner_text("table.pp-links-table")
    page.click("table.pp-links-table a:has-text('Revoke')")  # asks first: it cannot be undone
    page.click("main form button:has-text('Revoke the link')")
    page.wait_for_selector(".flash.ok")
    gone = shared.goto(share_url)
    assert gone is not None and gone.status == 410
    assert "revoked" in shared.inner_text("main")
    assert errors.pop() == f"410 {share_url}"  # the one failure this test asks for

    visitor.close()
    holder.close()
    assert errors == [], errors
