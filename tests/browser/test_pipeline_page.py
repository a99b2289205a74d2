"""The build-or-buy page (issue #20, part 5) in a real browser, as an administrator over the
demo program with a data role and a few people who opted in: at 1366 and 390 px, in English
and German, no serious or critical axe violation, no sideways scrolling, no console error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.a11y import DESKTOP, PHONE, axe_source, axe_violations, horizontal_overflow
from tests.browser.a11y import login as log_in
from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import ConsoleErrors
from tests.unit.passport.mobility.population import DATA, data_role, people, short

pytestmark = pytest.mark.slow

ADMIN = "admin@demo.example"


@pytest.fixture(scope="module")
def populated(live_server: LiveServer) -> None:
    services = live_server.services
    now = services.now()
    with services.session() as session:
        data_role(session, 4, now)
        people(session, "pipeline-ready", 5, DATA, now=now)
        people(session, "pipeline-near", 2, short("sql-data-modeling"), now=now)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("path", ["/hiring/pipeline", "/hiring/pipeline/data"])
def test_the_pipeline_pages_are_accessible_at_both_widths(
    browser: Any, live_server: LiveServer, artifacts: Path, populated: None, lang: str, path: str
) -> None:
    axe_source()
    folder = artifacts / "pipeline"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(viewport=DESKTOP)
    log_in(context, live_server.url, ADMIN, live_server.password).close()
    errors = ConsoleErrors()
    page = errors.watch(context.new_page())
    page.goto(f"{live_server.url}{path}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").count() == 1
    assert page.locator("table").count() >= 2
    assert not errors, errors
    problems = []
    name = path.strip("/").replace("/", "-")
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(folder / f"{name}-{lang}-{viewport['width']}.png"), full_page=True)
        problems += [f"{viewport['width']}px {v}" for v in axe_violations(page)]
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(f"{viewport['width']}px {overflow}")
    assert not problems, "\n".join(problems)
    context.close()
