"""What the accessibility tests measure on a page: axe-core's verdict, sideways overflow, focus.

axe-core comes from the pinned npm tree next to this file (``make interop-install``, or
``npm ci --prefix tests/browser``): bundled, never fetched from a CDN. It is injected with
``page.evaluate(source)``, which runs through the DevTools protocol and so is not subject to
the page's Content-Security-Policy (``script-src 'self'``), whereas ``add_script_tag`` would
insert an inline ``<script>`` that our strict CSP blocks. The app's CSP stays on for the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"

#: WCAG 2.2 AA as axe-core tags its rules.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
#: The impacts that fail a page.
FAILING_IMPACTS = frozenset({"serious", "critical"})
#: axe's best-practice rules that fail a page whatever their impact: the conventions of #16
#: (exactly one h1; every column header has text, visually hidden if need be).
ALSO_FAILING = frozenset({"page-has-heading-one", "empty-table-header"})

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.skip(
            "axe-core is not installed: run `make interop-install` "
            "(or `npm ci --prefix tests/browser`)"
        )
    return AXE_JS.read_text("utf-8")


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:6])
        more = f" (+{len(self.targets) - 6} more)" if len(self.targets) > 6 else ""
        return f"axe {self.impact} {self.rule}: {self.help} — {shown}{more}"


#: axe-core's run over the whole document, its violations as plain objects (``null`` when axe
#: is not injected in this document yet).
_AXE_RUN_JS = """async (tags) => {
    if (typeof window.axe !== 'object') return null;
    const r = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return r.violations.map(v => ({
        rule: v.id, impact: v.impact, help: v.help, tags: v.tags,
        targets: v.nodes.map(n => n.target.join(' '))}));
}"""


def _failing(results: list[dict[str, Any]]) -> list[Violation]:
    return [
        Violation(v["rule"], v["impact"] or "", v["help"], tuple(v["targets"]))
        for v in results
        if v["rule"] in ALSO_FAILING
        or (v["impact"] in FAILING_IMPACTS and any(t in AXE_TAGS for t in v["tags"]))
    ]


def _run_axe(page: Any, script: str, *args: Any) -> Any:
    """``script`` (which answers ``null`` while axe is missing), injecting axe once per
    document: the first call on a new document costs one round trip more, none after."""
    found = page.evaluate(script, list(args))
    if found is None:
        page.evaluate(axe_source())
        found = page.evaluate(script, list(args))
    return found


def axe_violations(page: Any) -> list[Violation]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page as it is now, and
    those of :data:`ALSO_FAILING`. Waits for the page's load event first: before it, the
    style sheets may not apply yet and contrast would be judged on an unstyled page."""
    page.wait_for_load_state("load")
    found = _run_axe(page, f"([tags]) => ({_AXE_RUN_JS})(tags)", [*AXE_TAGS, "best-practice"])
    return _failing(found)


#: The elements that stick out to the right of the viewport, widest first: only the innermost
#: ones (an element whose child also sticks out is not the culprit) and none that a scrolling
#: or clipping ancestor contains (they do not widen the page).
_OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const doc = document.documentElement;
    if (doc.scrollWidth <= width) return null;
    const clipped = (el) => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const o = getComputedStyle(up).overflowX;
            if (o !== 'visible') return true;
        }
        return false;
    };
    const name = (el) => {
        let s = el.tagName.toLowerCase();
        if (el.id) s += '#' + el.id;
        if (typeof el.className === 'string' && el.className.trim())
            s += '.' + el.className.trim().split(/\\s+/).join('.');
        const text = (el.innerText || el.getAttribute('aria-label') || '').trim();
        return text ? s + ' "' + text.slice(0, 40).replace(/\\s+/g, ' ') + '"' : s;
    };
    const out = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !clipped(el);
    });
    const leaves = out.filter(el => !out.some(o => o !== el && el.contains(o)));
    leaves.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
    const said = leaves.map(el => name(el) + ' ' + Math.round(el.getBoundingClientRect().width)
        + 'px wide, right edge ' + Math.round(el.getBoundingClientRect().right) + 'px');
    return {scrollWidth: doc.scrollWidth, width: width, culprits: [...new Set(said)].slice(0, 4)};
}"""


def _overflow_text(found: dict[str, Any] | None) -> str | None:
    if found is None:
        return None
    culprits = "; ".join(found["culprits"]) or "no single element found"
    return (
        f"scrolls sideways: {found['scrollWidth']}px wide in a {found['width']}px viewport "
        f"({culprits})"
    )


def horizontal_overflow(page: Any) -> str | None:
    """None when the page fits its viewport's width, else what sticks out.

    Waits for the load event first: a selector can appear before the style sheets arrive, and
    an unstyled page is wider than the styled one (seen in CI under load)."""
    page.wait_for_load_state("load")
    return _overflow_text(page.evaluate(_OVERFLOW_JS))


def audit(page: Any) -> tuple[list[Violation], str | None]:
    """:func:`axe_violations` and then :func:`horizontal_overflow`, from one ``evaluate``
    (axe injected once per document): what the two would answer, in one round trip."""
    page.wait_for_load_state("load")
    found = _run_axe(
        page,
        f"""async ([tags]) => {{
            const violations = await ({_AXE_RUN_JS})(tags);
            if (violations === null) return null;
            return {{violations, overflow: ({_OVERFLOW_JS})()}};
        }}""",
        [*AXE_TAGS, "best-practice"],
    )
    return _failing(found["violations"]), _overflow_text(found["overflow"])


#: Resolves once the viewport has the width and height asked for and the page has rendered
#: three frames at that size: layout, media queries and ResizeObserver callbacks have seen the
#: new size, and so has what those callbacks put off to the next frame (Chart.js redraws its
#: canvases that way). Gives up after a few seconds, answering the size it has.
_RESIZED_JS = """async ([width, height]) => {
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    const start = performance.now();
    while ((window.innerWidth !== width || window.innerHeight !== height)
           && performance.now() - start < 5000) {
        await frame();
    }
    await frame();
    await frame();
    await frame();
    return [window.innerWidth, window.innerHeight];
}"""


def resize(page: Any, viewport: dict[str, int]) -> None:
    """Give ``page`` the ``viewport`` size and wait until it is laid out at that size (nothing
    to do when it has that size already)."""
    if page.viewport_size == viewport:
        return
    page.set_viewport_size(viewport)
    size = page.evaluate(_RESIZED_JS, [viewport["width"], viewport["height"]])
    assert size == [viewport["width"], viewport["height"]], f"resized to {size}, not {viewport}"


def focus_indicator(page: Any) -> dict[str, str]:
    """The focused element and the computed styles that draw its focus indicator."""
    style: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(),
                    text: (el.innerText || el.value || '').slice(0, 40),
                    outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth,
                    boxShadow: s.boxShadow, visible: String(el.matches(':focus-visible'))};
        }"""
    )
    return style


def has_visible_focus(style: dict[str, str]) -> bool:
    outline = style["outlineStyle"] != "none" and style["outlineWidth"] not in ("0px", "")
    shadow = style["boxShadow"] not in ("none", "")
    return outline or shadow


def slug(text: str) -> str:
    """A file name for a page: its path and query, lower-case, dashes for the rest."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (cleaned or "home")[:90]


def login(context: Any, base: str, email: str, password: str) -> Any:
    """Log in through the login form in a new page of ``context``; return that page."""
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not log in"
    return page
