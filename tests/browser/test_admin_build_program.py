"""An administrator builds a program from an empty instance in a real browser, without JSON or
the CLI (issue #16: "an admin can build a job family with skills and rubrics and run a cohort
from an empty instance").

The instance is what ``passport init`` makes — database, issuer, keys, status lists — minus the
starter catalog, plus one administrator created by the accounts use case: no skill, no job
family, no achievement, no other user. Through the admin pages the administrator creates a
skill with a rubric (one description per criterion per level), an achievement for it, a job
family requiring it, a mentor and a learner, and a cohort with both and the achievement as its
target. Each form page is checked at 390 px for horizontal overflow, screenshots of each step go
to tests/browser/artifacts/, and any console error (a CSP violation shows as one) fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from passport.accounts.users import create_user
from passport.credentials.issuers import ensure_issuer, ensure_keys
from passport.credentials.status import ensure_status_lists
from passport.db import migrate
from passport.services import Services
from tests.browser.a11y import horizontal_overflow
from tests.browser.conftest import LiveServer, serving
from tests.browser.test_passport_flow import ConsoleErrors

pytestmark = pytest.mark.slow

ADMIN = "founder@empty.example"
PASSWORD = "a long admin passphrase"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
RUBRIC = {
    "Triage the ticket": (
        "Sorts tickets by the guide with help.",
        "Sorts and routes tickets alone.",
        "Spots incidents hidden in tickets and escalates them.",
        "Designs the triage rules the team follows.",
    ),
    "Write the answer": (
        "Uses the prepared answers correctly.",
        "Writes clear answers of their own.",
        "Explains difficult news calmly and precisely.",
        "Coaches others and sets the team's writing style.",
    ),
}


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a loopback port over an empty instance with one administrator."""

    def founding_admin(services: Services) -> None:
        migrate(services.engine)
        with services.session() as session:
            issuer, _ = ensure_issuer(session, services, name="Empty Org")
            ensure_keys(session, services, issuer)
            ensure_status_lists(session, services, issuer)
            create_user(
                session, email=ADMIN, name="Founding Admin", role="admin", password=PASSWORD
            )

    with serving(tmp_path_factory.mktemp("empty-instance"), PASSWORD, founding_admin) as server:
        yield server


def no_overflow(page: Any) -> None:
    found = horizontal_overflow(page)
    assert found is None, f"{page.url} {found}"


def shoot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"build-program-{name}.png"), full_page=True)


def test_admin_builds_a_program_from_an_empty_instance(
    browser: Any, empty_server: LiveServer, artifacts: Path
) -> None:
    base = empty_server.url
    errors = ConsoleErrors()
    context = browser.new_context(viewport=DESKTOP)
    page = errors.watch(context.new_page())

    page.goto(f"{base}/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # 1. the catalog is empty and says what to do
    page.click("nav.subnav >> text=Skills")
    assert "No skills yet" in page.inner_text("main")
    page.click("text=New skill")
    page.wait_for_url(f"{base}/admin/skills/new")

    # a first try without a name shows the problems, connected to their fields
    page.click("button[value=save]")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Name is required." in summary.inner_text()
    assert "name-error" in (page.get_attribute("#name", "aria-describedby") or "")
    assert errors == [f"400 {base}/admin/skills/new"]  # the form's error state, and only it
    errors.clear()

    # 2. a skill with a rubric: two criteria, each described at every level
    page.fill("#name", "Customer support")
    page.fill("#description", "Answers customers' questions and solves their problems.")
    page.fill("#valid_for_days", "730")
    for row, (criterion, levels) in enumerate(RUBRIC.items()):
        page.fill(f"#criteria-{row}-name", criterion)
        for number, text in enumerate(levels, start=1):
            page.fill(f"#criteria-{row}-level-{number}", text)
    page.set_viewport_size(PHONE)
    no_overflow(page)
    shoot(page, artifacts, "skill-form-390")
    page.set_viewport_size(DESKTOP)
    shoot(page, artifacts, "skill-form-1366")
    page.click("button[value=save]")
    page.wait_for_url(f"{base}/admin/skills/customer-support")
    assert page.inner_text("h1") == "Customer support"
    assert "Spots incidents hidden in tickets and escalates them." in page.inner_text("table")
    assert "No achievement yet" in page.inner_text("main")

    # 3. an achievement for it, at level 2
    page.click("text=New achievement for this skill")
    assert page.input_value("#skill") == "customer-support"
    page.select_option("#level", "2")
    page.fill("#narrative", "Handled a week of the support queue, reviewed by a senior agent.")
    page.set_viewport_size(PHONE)
    no_overflow(page)
    page.set_viewport_size(DESKTOP)
    page.click("form[action$='/admin/achievements/new'] button[type=submit]")
    page.wait_for_url("**/admin/achievements?q=customer-support-l2")
    assert "Customer support — Practitioner" in page.inner_text("table")

    # 4. a job family requiring it
    page.click("nav.subnav >> text=Job families")
    assert "No job families yet" in page.inner_text("main")
    page.click("text=New job family")
    page.fill("#name", "Support agent")
    page.fill("#occupation", "Customer Service Representatives")
    page.fill("#code", "43-4051.00")
    page.select_option("#req-0-skill", "customer-support")
    page.select_option("#req-0-level", "2")
    page.set_viewport_size(PHONE)
    no_overflow(page)
    shoot(page, artifacts, "job-family-form-390")
    page.set_viewport_size(DESKTOP)
    page.click("form[action$='/admin/job-families/new'] button[type=submit]")
    page.wait_for_url(f"{base}/admin/job-families/support-agent")
    assert page.inner_text("h1") == "Support agent"
    assert "customer-support-l2" in page.inner_text("table")

    # 5. a mentor and a learner, through the users page
    for email, name, role in (
        ("mo.mentor@empty.example", "Mo Mentor", "mentor"),
        ("lea.learner@empty.example", "Lea Learner", "learner"),
    ):
        page.goto(f"{base}/admin/users")
        page.fill("#email", email)
        page.fill("#name", name)
        page.select_option("#role", role)
        page.fill("#password", "initial password 123")
        page.click("form[method=post][action$='/admin/users'] button[type=submit]")
        page.wait_for_load_state()
        assert email in page.inner_text("main")

    # 6. a cohort with both, aiming at the new achievement
    page.goto(f"{base}/admin/cohorts/new")
    page.fill("#name", "Support onboarding, spring")
    # the form starts today and ends seven weeks later; keep those dates
    assert page.input_value("#starts_on")
    page.click("form[action$='/admin/cohorts/new'] button[type=submit]")
    page.wait_for_url("**/admin/cohorts/*")
    for email, role in (
        ("lea.learner@empty.example", "learner"),
        ("mo.mentor@empty.example", "mentor"),
    ):
        page.fill("#member-email", email)
        page.select_option("#member-role", role)
        page.click("form:has(#member-email) button[type=submit]")
        page.wait_for_load_state()
    page.select_option("#target-achievement", "customer-support-l2")
    page.click("form:has(#target-achievement) button[type=submit]")
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Support onboarding, spring" in main
    assert "Lea Learner" in main or "lea.learner@empty.example" in main
    assert "Mo Mentor" in main or "mo.mentor@empty.example" in main
    assert "Customer support — Practitioner" in main
    shoot(page, artifacts, "cohort-1366")

    # every catalog page fits a phone, with one h1
    page.set_viewport_size(PHONE)
    for path in (
        "/admin/job-families",
        "/admin/job-families/support-agent",
        "/admin/job-families/support-agent/edit",
        "/admin/job-families/support-agent/retire",
        "/admin/skills",
        "/admin/skills/customer-support",
        "/admin/skills/customer-support/edit",
        "/admin/achievements",
        "/admin/achievements/customer-support-l2/edit",
        "/admin/catalog/import",
    ):
        page.goto(base + path)
        no_overflow(page)
        assert page.locator("h1").count() == 1, path
        shoot(page, artifacts, path.strip("/").replace("/", "-") + "-390")

    # the built program is what the public sees
    document = page.request.get(f"{base}/job-families/support-agent").json()
    assert [r["skill"] for r in document["requirements"]] == ["customer-support"]
    assert errors == []
    context.close()
