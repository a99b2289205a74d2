"""The keyboard alone: skip link, logging in, verifying a badge, sharing badges.

Only key presses move through the pages (Tab, Shift+Tab, Space, Enter, typed text); a mouse
is never used. Every stop on the way must show where the focus is: a focused link, button or
form field draws an outline or a box shadow (computed style), so keyboard users see it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.a11y import DESKTOP, focus_indicator, has_visible_focus, login
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow

LEARNER = "grace.hopper@demo.example"
#: How many Tab presses the tests allow to reach a control (a page's header comes first).
MAX_TABS = 40


def tab_to(page: Any, selector: str, unseen_focus: list[str]) -> None:
    """Press Tab until ``selector`` has the focus; note every stop without a visible focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        style = focus_indicator(page)
        if style["tag"] in ("a", "button", "input", "select", "textarea", "summary") and (
            not has_visible_focus(style)
        ):
            unseen_focus.append(f"{page.url}: {style}")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{MAX_TABS} Tab presses never reached {selector} on {page.url}")


def no_positive_tabindex(page: Any) -> list[str]:
    """Elements that jump the tab order (tabindex > 0): the order must follow the page."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('[tabindex]')]
            .filter(el => el.tabIndex > 0).map(el => el.outerHTML.slice(0, 80))"""
    )
    return found


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    for path in ("/", "/verify", "/login"):
        page.goto(live_server.url + path)
        page.keyboard.press("Tab")
        first = focus_indicator(page)
        assert page.evaluate("document.activeElement.matches('a.skip-link[href=\"#main\"]')"), (
            path,
            first,
        )
        assert page.locator("a.skip-link").is_visible(), "the skip link shows when focused"
        assert has_visible_focus(first), first
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", path
        assert no_positive_tabindex(page) == [], path
    context.close()


def test_log_in_with_the_keyboard_only(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    unseen: list[str] = []
    page.goto(f"{live_server.url}/login")
    tab_to(page, "#email", unseen)
    page.keyboard.type(LEARNER)
    tab_to(page, "#password", unseen)
    page.keyboard.type(live_server.password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/my/"
    assert page.locator("h1").count() == 1
    # and onwards, through the header and the learner's menu to the share page
    tab_to(page, "nav.subnav a[href='/passport/shares']", unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/passport/shares"
    assert unseen == [], "focus must be visible:\n" + "\n".join(unseen)
    context.close()


def test_create_a_share_link_with_the_keyboard(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = login(context, live_server.url, LEARNER, live_server.password)
    unseen: list[str] = []
    page.goto(f"{live_server.url}/passport/shares")
    tab_to(page, "input[name=credential]", unseen)
    page.keyboard.press("Space")
    assert page.locator("input[name=credential]").first.is_checked()
    tab_to(page, "#audience", unseen)
    page.keyboard.type("Keyboard test panel")
    tab_to(page, "form.pp-share-form button[type=submit]", unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    share_url = page.input_value("#share-url")
    assert share_url.startswith(f"{live_server.url}/p/")
    # the copy button is reachable and shows its focus too
    tab_to(page, "button[data-action=copy]", unseen)
    assert unseen == [], "focus must be visible:\n" + "\n".join(unseen)
    context.close()


def test_verify_a_badge_with_the_keyboard(browser: Any, live_server: LiveServer) -> None:
    holder = browser.new_context(viewport=DESKTOP)
    login(holder, live_server.url, LEARNER, live_server.password).close()
    export = holder.request.get(f"{live_server.url}/passport/export.json")
    first = export.json()["credentials"][0]  # a JSON credential, or a VC-JWT as a string
    credential = first if isinstance(first, str) else json.dumps(first)
    holder.close()

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    unseen: list[str] = []
    page.goto(f"{live_server.url}/verify")
    tab_to(page, "textarea#credential", unseen)
    page.keyboard.insert_text(credential)  # what a paste does
    tab_to(page, "main form button[type=submit]", unseen)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert unseen == [], "focus must be visible:\n" + "\n".join(unseen)
    # the pasted text stays, and the focus is on the result, not left at the top of the page
    assert page.input_value("textarea#credential") == credential
    focus = page.evaluate(
        """() => {
            const el = document.activeElement;
            const form = document.querySelector('main form');
            const region = el.closest('section, article, [role=status], [role=alert]') || el;
            return {tag: el.tagName.toLowerCase(), inForm: !!(form && form.contains(el)),
                    text: region.innerText.slice(0, 200)};
        }"""
    )
    assert focus["tag"] not in ("body", "html") and not focus["inForm"], focus
    assert "verified" in focus["text"].lower(), focus
    context.close()
