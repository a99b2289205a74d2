"""Issue #20's story in a real browser, on a desktop and on a phone.

The demo's hiring manager opens an SRE role through the form and sees the ranked candidates with
their gaps; a learner applies with the badges that count (pre-chosen) and a message; the hiring
manager opens the role's applications, the fit report, and records "moved"; the administrator's
outcomes page then counts one more internal move into SRE in this quarter. Every page on the way
is checked with axe-core (WCAG 2.2 AA) and at 390 px for sideways scrolling.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from passport.catalog.models import JobFamily
from passport.mobility.models import Application
from passport.outcomes.models import HRPerson, PeopleEvent
from tests.browser.a11y import DESKTOP, PHONE, axe_violations, horizontal_overflow, login, slug
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow

LEARNER = "ada.lovelace@demo.example"
ADMIN = "admin@demo.example"
HIRING_MANAGER = "hiring.manager@demo.example"


def check(page: Any, artifacts: Path, problems: list[str]) -> None:
    """axe and the phone's width, on the page as it is; a screenshot of each size."""
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        where = slug(page.url.split("//", 1)[-1].split("/", 1)[-1])
        problems.extend(f"{page.url} ({name}): {v}" for v in axe_violations(page))
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(f"{page.url} ({name}): scrolls sideways: {overflow}")
        page.screenshot(path=str(artifacts / f"applications-{where}-{name}.png"), full_page=True)


def moved_into_sre(live_server: LiveServer) -> int:
    """The learner's ``moved`` events into SRE (the demo may hold some from its HR history)."""
    with live_server.services.session() as db:
        return len(
            db.execute(
                select(PeopleEvent.id)
                .join(HRPerson, PeopleEvent.person_id == HRPerson.id)
                .where(
                    PeopleEvent.event == "moved",
                    PeopleEvent.job_family_id == "sre",
                    HRPerson.email == LEARNER,
                )
            ).all()
        )


def seed_moves(live_server: LiveServer, count: int) -> None:
    """``count`` moves into SRE today by other people, so this quarter's SRE cell shows its
    numbers (a group under 5 reads "fewer than 5") before and after the decision."""
    from passport.outcomes.people import import_events, org_today, parse_json

    services = live_server.services
    with services.session() as db:
        today = org_today(db, services.now())
        rows = [
            {
                "person_id": f"story-mover-{n}",
                "event": "moved",
                "date": today.isoformat(),
                "job_family": "sre",
            }
            for n in range(count)
        ]
        parsed = parse_json(rows, today=today, job_families={"sre"})
        assert not parsed.errors, parsed.errors
        import_events(
            db,
            parsed.rows,
            secret_key=services.settings.secret_key,
            now=services.now(),
            actor="story",
        )


def sre_moves_this_quarter(page: Any, base: str, family_name: str) -> int:
    """The internal moves into SRE in this quarter's row of /admin/outcomes ("N of M")."""
    page.goto(f"{base}/admin/outcomes")
    row = page.locator("table.mobility tbody tr").last
    cell = row.locator(f'td[data-label="{family_name}"] .counts')
    text = cell.inner_text()
    found = re.match(r"\s*(\d+)\b", text)
    assert found, f"no count in {text!r}"
    return int(found.group(1))


def test_a_hiring_manager_ranks_reads_a_fit_report_and_records_moved(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    base, services = live_server.url, live_server.services
    with services.session() as db:
        family = db.get(JobFamily, "sre")
        assert family is not None
        family_name = family.name
    seed_moves(live_server, 5)
    problems: list[str] = []

    admin = browser.new_context(viewport=DESKTOP)
    admin_page = login(admin, base, ADMIN, live_server.password)
    moves_before = sre_moves_this_quarter(admin_page, base, family_name)
    events_before = moved_into_sre(live_server)

    # The hiring manager opens a role; the page ranks the people who chose to be found.
    hiring = browser.new_context(viewport=DESKTOP)
    page = login(hiring, base, HIRING_MANAGER, live_server.password)
    assert page.url.endswith("/hiring/roles")
    page.goto(f"{base}/hiring/roles/new?jobFamily=sre")
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)
    page.fill("#title", "Platform SRE")
    page.fill("#team", "Core")
    page.fill("#openings", "1")
    page.click("form[method=post][action$='/roles/new'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/hiring/roles/\d+$"))
    role_id = int(page.url.rsplit("/", 1)[1])
    rows = page.locator("#candidates tbody tr")
    assert rows.count() >= 1, "the demo's discoverable learners are ranked"
    candidates = page.inner_text("#candidates")
    assert "partly" in candidates or "missing" in candidates  # gaps are shown
    assert "Gaps and what would close them" in candidates
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)

    # A learner applies with the badges that count for the role.
    learner = browser.new_context(viewport=DESKTOP)
    lpage = login(learner, base, LEARNER, live_server.password)
    lpage.goto(f"{base}/my/roles")
    assert lpage.inner_text("h1") == "Open roles"
    assert "Platform SRE" in lpage.inner_text("main")
    check(lpage, artifacts, problems)
    lpage.set_viewport_size(DESKTOP)
    lpage.click(f"a[href='/my/roles/{role_id}/apply']")
    lpage.wait_for_url(f"{base}/my/roles/{role_id}/apply")
    check(lpage, artifacts, problems)
    lpage.set_viewport_size(DESKTOP)
    if lpage.locator("input[name=credential]:checked").count() == 0:
        lpage.locator("input[name=credential]").first.check()
    lpage.fill("#message", "I run the on-call rota today.")
    lpage.click("form[action$='/apply'] button[type=submit]")
    lpage.wait_for_url(f"{base}/my/roles#my-applications")
    assert "Applied." in lpage.inner_text("main")
    learner.close()

    with services.session() as db:
        application = db.scalar(select(Application).where(Application.role_id == role_id))
        assert application is not None
        app_id = application.id

    # The hiring manager reads the fit report and records the move.
    page.goto(f"{base}/hiring/roles/{role_id}")
    page.click(f"a[href='/hiring/roles/{role_id}/applications']")
    page.wait_for_url(f"{base}/hiring/roles/{role_id}/applications")
    assert "Ada Lovelace" in page.inner_text("main")
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)
    page.click(f"a[href='/hiring/applications/{app_id}']")
    page.wait_for_url(f"{base}/hiring/applications/{app_id}")
    assert "I run the on-call rota today." in page.inner_text("main")
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)
    page.check("#decision-moved")
    page.fill("#note", "Starts next month")
    page.click("form[action$='/decision'] button[type=submit]")
    page.wait_for_url(f"{base}/hiring/applications/{app_id}")
    assert "The outcomes count the move." in page.inner_text("main")
    check(page, artifacts, problems)
    hiring.close()

    # The outcomes page counts one more internal move into SRE this quarter.
    assert sre_moves_this_quarter(admin_page, base, family_name) == moves_before + 1
    admin.close()
    assert moved_into_sre(live_server) == events_before + 1
    assert problems == [], "\n".join(problems)
