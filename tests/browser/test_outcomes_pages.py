"""The outcomes dashboard and the quarterly report in a real browser (#19), as an analyst.

At 1366 and 390 px, in English and German: no serious or critical axe violation, no
sideways scrolling, no console error (a CSP violation is one), and every chart drawn by the
bundled Chart.js (each canvas has pixels). The quarterly report is printed to PDF by headless
Chromium (``page.pdf()``, which applies the print style sheet: A4, no navigation); the PDF
must be one (``%PDF``), have pages and carry the report's heading; it is kept in
``tests/browser/artifacts/outcomes/``.

The figures are :func:`tests.outcomes_sample.sample_outcomes` (several job families,
suppressed groups, curves with bands), handed to the views in place of the computation: the
app runs in a thread of this process, so the patch reaches it. The page crawl
(test_every_page.py) sees the same pages over the demo's own figures.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.outcomes import measures
from passport.outcomes.report import Filters, Outcomes
from tests.browser.a11y import DESKTOP, PHONE, audit, axe_source, resize
from tests.browser.a11y import login as log_in
from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import ConsoleErrors
from tests.outcomes_sample import sample_outcomes

pytestmark = pytest.mark.slow

ANALYST = "outcomes.analyst@demo.example"

#: Each visible canvas with a chart (a cohort's curves wait in a closed <details>): does it
#: hold any painted pixel?
CANVASES_DRAWN = """() => [...document.querySelectorAll('canvas[data-chart]')]
  .filter(c => c.checkVisibility()).map(c => {
    if (!c.width || !c.height) return false;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    return false;
})"""


def _sample(session: Any, *, as_of: date, filters: Filters, today: date | None = None) -> Outcomes:
    return sample_outcomes(as_of, filters)


@pytest.fixture
def sample_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(measures, "compute_outcomes", _sample)


@pytest.fixture
def analyst(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A browser context signed in as an analyst (created on first use)."""
    with live_server.services.session() as db:
        if db.scalar(select(User).where(User.email == ANALYST)) is None:
            create_user(
                db, email=ANALYST, name="Ana Lyst", role="analyst", password=live_server.password
            )
    context = browser.new_context(viewport=DESKTOP)
    log_in(context, live_server.url, ANALYST, live_server.password).close()
    yield context
    context.close()


def _check_page(page: Any, folder: Path, name: str) -> list[str]:
    """axe and overflow at both widths (the charts redrawn at each: :func:`resize` waits for
    it), a screenshot of each width with a problem; the problems found."""
    problems = []
    for viewport in (DESKTOP, PHONE):
        width = viewport["width"]
        resize(page, viewport)
        violations, overflow = audit(page)
        found = [f"{name} {width}px {v}" for v in violations]
        if overflow:
            found.append(f"{name} {width}px {overflow}")
        if found:
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        problems += found
    page.set_viewport_size(DESKTOP)
    return problems


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_dashboard_draws_every_chart_and_is_accessible(
    analyst: Any, live_server: LiveServer, artifacts: Path, sample_figures: None, lang: str
) -> None:
    axe_source()
    folder = artifacts / "outcomes"
    folder.mkdir(exist_ok=True)
    errors = ConsoleErrors()
    page = errors.watch(analyst.new_page())
    page.emulate_media(reduced_motion="reduce")  # no animation: the first frame is the chart
    page.goto(f"{live_server.url}/admin/outcomes?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    page.wait_for_function("() => typeof window.Chart === 'function'")
    count = page.locator("canvas[data-chart]").count()
    assert count >= 7  # two families' ramp and retention, two cohorts, mobility
    page.wait_for_function(f"() => ({CANVASES_DRAWN})().every(Boolean)", timeout=10_000)
    assert len(page.evaluate(CANVASES_DRAWN)) == count - 2  # the cohorts' are folded away
    # a cohort's curves are drawn when they are unfolded
    page.locator("details.cohort-curves > summary").first.click()
    page.wait_for_function(
        f"() => ({CANVASES_DRAWN})().length === {count - 1} && ({CANVASES_DRAWN})().every(Boolean)",
        timeout=10_000,
    )
    # a suppressed group is "fewer than 5" (German still English until the catalog is merged)
    assert page.locator("td.suppressed").count() >= 4
    for canvas in page.locator("canvas[data-chart]").all():
        assert canvas.get_attribute("role") == "img" and canvas.get_attribute("aria-label")
    # each curve's data is in a table beside it, behind a disclosure
    page.locator("details.curve-data summary").first.click()
    assert page.locator("details.curve-data table").first.is_visible()
    # before axe runs: axe-core itself applies an inline style, which the CSP reports
    assert not errors, errors
    problems = _check_page(page, folder, f"dashboard-{lang}")
    # the charts are still drawn at the phone's width and back
    assert all(page.evaluate(CANVASES_DRAWN))
    assert not problems, "\n".join(problems)
    page.close()


def _pdf_title(pdf: bytes) -> str:
    """The document's /Title (Chromium writes the page's <title> there), decoded."""
    found = re.search(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", pdf)
    if found is None:
        return ""
    raw = found.group(1)
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
        return data[2:].decode("utf-16-be") if data[:2] == b"\xfe\xff" else data.decode("latin-1")
    text = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return text[2:].decode("utf-16-be") if text[:2] == b"\xfe\xff" else text.decode("latin-1")


def _pdf_text_streams(pdf: bytes) -> bytes:
    """Every stream inflated (where it is Flate-encoded), for a look at what is drawn."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            out.append(stream)
    return b"\n".join(out)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_quarterly_report_prints_to_pdf(
    analyst: Any, live_server: LiveServer, artifacts: Path, sample_figures: None, lang: str
) -> None:
    axe_source()
    folder = artifacts / "outcomes"
    folder.mkdir(exist_ok=True)
    errors = ConsoleErrors()
    page = errors.watch(analyst.new_page())
    page.goto(f"{live_server.url}/admin/outcomes/report?quarter=2026-Q3&lang={lang}")
    heading = page.locator("h1").inner_text()
    assert "2026-Q3" in heading
    sentences = page.locator("ul.sentences li").all_inner_texts()
    assert any("41" in s and "35–48" in s for s in sentences), sentences
    assert not errors, errors  # before axe, which applies an inline style the CSP reports
    problems = _check_page(page, folder, f"report-{lang}")
    assert not problems, "\n".join(problems)

    # printed: the navigation and the form are left out
    page.emulate_media(media="print")
    assert not page.locator("nav.subnav").is_visible()
    assert not page.locator("form.report-choice").is_visible()
    assert page.locator("h1").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    (folder / f"quarterly-report-{lang}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages >= 5, pages  # a page break before each of the five measures
    title = _pdf_title(pdf)  # the page's <title>, which carries the report's heading
    assert title == page.title() and "2026-Q3" in title, (title, page.title())
    assert _pdf_text_streams(pdf)  # something is drawn
    page.close()
