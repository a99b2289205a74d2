"""A hiring manager's path on /verify in a real browser (issue #16): paste a share link, enter
the candidate's e-mail, pick a job family, submit.

At 1,366×900 the verdict, the holder-binding line and the fit summary are on screen without
scrolling, and focus is on the verdict (static/verify.js; the CSP allows no inline script). At
390×844 the result page does not scroll sideways. The form keeps what was entered. Screenshots
of both go to tests/browser/artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from passport.credentials.holders import find_holder
from passport.credentials.models import IssuedCredential
from passport.sharing.links import create_share_link
from tests.browser.a11y import horizontal_overflow
from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import ConsoleErrors

pytestmark = pytest.mark.slow

CANDIDATE = "ada.lovelace@demo.example"


def share_link(live_server: LiveServer) -> str:
    """A live share link to every badge of the candidate, made as the passport page makes it."""
    services = live_server.services
    with services.session() as session:
        holder = find_holder(session, CANDIDATE)
        assert holder is not None
        ids = list(
            session.scalars(
                select(IssuedCredential.id).where(IssuedCredential.holder_id == holder.id)
            )
        )
        created = create_share_link(
            session,
            holder_id=holder.id,
            credential_ids=ids,
            audience="Acme hiring",
            days=7,
            now=services.now(),
        )
        return f"{live_server.url}/p/{created.token}"


def fully_visible(page: Any, selector: str, height: int) -> bool:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return bool(box["y"] >= 0 and box["y"] + box["height"] <= height)


def submit(page: Any, base: str, url: str) -> None:
    page.goto(f"{base}/verify")
    page.fill("#credential", url)
    page.fill("#email", CANDIDATE)
    page.select_option("#jobFamily", "sre")
    page.click("form button[type=submit]:has-text('Verify')")
    page.wait_for_selector("#verdict")
    page.wait_for_load_state("load")  # positions are measured on the styled page


def test_hiring_manager_sees_the_verdict_binding_and_fit_without_scrolling(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    base = live_server.url
    url = share_link(live_server)
    errors = ConsoleErrors()

    desktop = browser.new_context(viewport={"width": 1366, "height": 900})
    page = errors.watch(desktop.new_page())
    submit(page, base, url)
    assert page.evaluate("window.scrollY") == 0
    verdict = page.locator("#verdict")
    box = verdict.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900, box
    assert verdict.inner_text().startswith("Verified: ")
    assert fully_visible(page, "#binding", 900)
    assert page.inner_text("#binding") == "Issued to the e-mail you entered."
    assert fully_visible(page, "#fit-summary", 900)
    assert "requirements of Site Reliability Engineering" in page.inner_text("#fit-summary")
    # Focus is on the answer; the form kept what was entered.
    assert page.evaluate("document.activeElement.id") == "verdict"
    assert page.input_value("#credential") == url
    assert page.input_value("#email") == CANDIDATE
    assert page.input_value("#jobFamily") == "sre"
    # The technical checks are folded away, one disclosure per badge.
    assert page.locator("details.vr-checks").count() == page.locator("article.report").count()
    assert not page.locator("details.vr-checks[open]").count()
    page.screenshot(path=str(artifacts / "verify-result-1366.png"))
    desktop.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = errors.watch(phone.new_page())
    submit(page, base, url)
    assert horizontal_overflow(page) is None, horizontal_overflow(page)
    page.locator("details.vr-checks").first.locator("summary").click()
    page.locator("details.vr-about").first.locator("summary").click()
    assert horizontal_overflow(page) is None, horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "verify-result-390.png"), full_page=True)
    phone.close()

    assert errors == []
