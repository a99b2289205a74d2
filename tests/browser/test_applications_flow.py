"""Applying to a role and deciding on it, in a real browser, on a desktop and on a phone.

A learner of the demo opens /my/roles, applies with the badges that count (pre-chosen) and a
message; the administrator (a hiring manager's stand-in) opens the role's applications, the
fit report, and records "moved". Every page on the way is checked with axe-core (WCAG 2.2 AA)
and at 390 px for sideways scrolling; the decision is then one ``moved`` people event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from passport.accounts.models import User
from passport.mobility.models import Application
from passport.mobility.roles import RoleDraft, open_role
from passport.outcomes.models import HRPerson, PeopleEvent
from tests.browser.a11y import DESKTOP, PHONE, axe_violations, horizontal_overflow, login, slug
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow

LEARNER = "ada.lovelace@demo.example"
ADMIN = "admin@demo.example"


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


def test_a_learner_applies_and_the_hiring_manager_records_moved(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    base, services = live_server.url, live_server.services
    with services.session() as db:
        admin = db.scalar(select(User).where(User.email == ADMIN))
        assert admin is not None
        role = open_role(
            db,
            RoleDraft(
                title="Platform SRE", job_family="sre", openings=1, team="Core", location="Remote"
            ),
            actor=ADMIN,
            user_id=admin.id,
            now=services.now(),
        )
        role_id = role.id
    before = moved_into_sre(live_server)
    problems: list[str] = []

    learner = browser.new_context(viewport=DESKTOP)
    page = login(learner, base, LEARNER, live_server.password)
    page.goto(f"{base}/my/roles")
    assert page.inner_text("h1") == "Open roles"
    assert "Platform SRE" in page.inner_text("main")
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)
    page.click(f"a[href='/my/roles/{role_id}/apply']")
    page.wait_for_url(f"{base}/my/roles/{role_id}/apply")
    check(page, artifacts, problems)
    page.set_viewport_size(DESKTOP)
    if page.locator("input[name=credential]:checked").count() == 0:
        page.locator("input[name=credential]").first.check()
    page.fill("#message", "I run the on-call rota today.")
    page.click("form[action$='/apply'] button[type=submit]")
    page.wait_for_url(f"{base}/my/roles#my-applications")
    assert "Applied." in page.inner_text("main")
    learner.close()

    with services.session() as db:
        application = db.scalar(select(Application).where(Application.role_id == role_id))
        assert application is not None
        app_id = application.id

    staff = browser.new_context(viewport=DESKTOP)
    page = login(staff, base, ADMIN, live_server.password)
    page.goto(f"{base}/hiring/roles/{role_id}/applications")
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
    staff.close()

    assert problems == [], "\n".join(problems)
    assert moved_into_sre(live_server) == before + 1
