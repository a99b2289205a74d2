"""Every page, as every persona, on a desktop and on a phone: accessible and no sideways scroll.

Each persona (logged out, learner, mentor, assessor, admin, analyst, hiring manager) starts
from its entry pages and follows every same-origin link it finds (breadth first), so a page
someone adds later is visited as soon as a link leads to it. A URL is grouped by the app's
own URL rule (its endpoint, plus the names of its query parameters), and only the first
:data:`PER_PATTERN` URLs of a group are visited (the second cohort looks like the first).
Logging out, other sites, and whatever is not an HTML page (JSON, images, downloads: fetched
once without the browser to see the content type) are skipped. Then the declared states a
crawl cannot reach by links: error pages (404, 403, the 410 of a revoked share link), a live
share link as its recipient sees it, and each form submitted empty or wrong.

Every page is checked at 1366×900 and at 390×844: axe-core (WCAG 2.0/2.1/2.2 A and AA tags)
must find no serious or critical violation (nor a missing h1 or an empty column header), and
the page must not scroll sideways. A page is loaded at the desktop size, checked, then resized
to the phone's (waiting until it is laid out at that width) and checked again; axe and the
overflow check run from one ``evaluate``. A full-page screenshot of a page at a width where it
has a problem lands in ``tests/browser/artifacts/pages/<persona>/``; set ``CRAWL_SCREENSHOTS=1``
to have one of every page at both widths (screenshots were a quarter of the crawl's time). All
problems are collected and reported together, page by page, and ``report.json`` lists every
page checked.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from passport.accounts.models import User
from passport.accounts.tokens import create_token
from passport.accounts.users import create_user
from passport.credentials.models import IssuedCredential
from passport.errors import InvalidRequest
from passport.jobs.preferences import unsubscribe_token
from passport.mail import MailMessage, OutboxMailer
from passport.wallets.lcw import create_exchange
from tests.browser.a11y import (
    DESKTOP,
    PHONE,
    audit,
    axe_source,
    login,
    resize,
    slug,
)
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.slow

#: How many URLs of one URL rule a persona visits; with query parameters (a filter, a page
#: of a list), how many of each set of parameter names.
PER_PATTERN = 2
PER_QUERY_PATTERN = 1
#: A safety net: no persona visits more pages than this.
MAX_PAGES = 60
#: Screenshots of every page at both widths, not only of those with a problem.
EVERY_SCREENSHOT = os.environ.get("CRAWL_SCREENSHOTS", "") not in ("", "0")

LEARNER = "ada.lovelace@demo.example"
ANALYST = "crawl.analyst@demo.example"
HIRING_MANAGER = "hiring.manager@demo.example"


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    email: str | None
    entries: tuple[str, ...]


PERSONAS = (
    Persona(
        "visitor",
        None,
        (
            "/",
            "/verify",
            "/verify/request",
            "/login",
            "/job-families",
            "/login/reset/not-a-link",
            "/platforms",
        ),
    ),
    Persona(
        "learner",
        LEARNER,
        (
            "/my/",
            "/passport",
            "/passport/shares",
            "/my/account",
            "/my/sessions",
            "/my/password",
            "/my/platforms",
        ),
    ),
    Persona("mentor", "mo.mentor@demo.example", ("/admin/", "/my/account")),
    Persona("assessor", "ana.assessor@demo.example", ("/admin/", "/my/account")),
    Persona(
        "admin",
        "admin@demo.example",
        ("/admin/", "/my/account", "/my/sessions", "/admin/platforms"),
    ),
    # not in the demo: made by the test (an analyst sees the outcomes and nothing else)
    Persona("analyst", ANALYST, ("/my/account", "/admin/outcomes")),
    # the demo's open roles and their ranked candidates
    Persona("hiring_manager", HIRING_MANAGER, ("/hiring/roles", "/hiring/roles/new")),
)

#: Paths never followed (they act, or they are not pages).
SKIP_PATHS = ("/logout", "/static/")


@dataclass(frozen=True, slots=True)
class FormState:
    """A form submitted empty or wrong: ``fill`` maps selectors to values before submitting
    (:data:`CHECK` ticks a checkbox)."""

    persona: str
    path: str
    name: str
    fill: dict[str, str] = field(default_factory=dict)
    form: str = "main form[method=post]:not(.inline)"


#: The ``fill`` value that ticks a checkbox instead of typing.
CHECK = "\N{CHECK MARK}"

FORM_STATES = (
    FormState("visitor", "/login", "empty"),
    FormState(
        "visitor",
        "/login",
        "wrong-password",
        {"#email": LEARNER, "#password": "not the password"},
    ),
    FormState("visitor", "/login/forgot", "empty"),
    FormState("visitor", "/login/forgot", "sent", {"#email": "nobody@example.com"}),
    FormState("learner", "/my/mfa", "wrong-code", {"#code": "000000"}),
    FormState("visitor", "/verify", "empty"),
    FormState("visitor", "/verify", "not-a-badge", {"#credential": "this is not a badge"}),
    FormState("learner", "/passport/shares", "no-badge-chosen"),
    # the assessment form has two steps: pick learner and skill level (GET), then the rubric
    FormState("assessor", "/admin/assessments/new", "empty", form="main form[method=get]"),
    FormState(
        "assessor",
        "/admin/assessments/new?learner=ada.lovelace%40demo.example&achievement=observability-l2",
        "rubric-empty",
    ),
    FormState("admin", "/admin/cohorts/new", "empty"),
    FormState("admin", "/admin/users", "empty"),
    FormState("admin", "/admin/catalog/import", "empty"),
    FormState(
        "learner",
        "/my/password",
        "wrong-current-password",
        {
            "#current_password": "not the password",
            "#new_password": "a long new passphrase",
            "#confirm_password": "a long new passphrase",
        },
    ),
    FormState("admin", "/admin/tokens", "empty"),
    FormState("learner", "/my/notifications", "saved", {"#category-share_viewed": CHECK}),
    FormState("assessor", "/admin/bulk", "empty"),
    # the outcomes filters with a date in the future (a GET form)
    FormState(
        "analyst",
        "/admin/outcomes",
        "future-as-of",
        {"#as_of": "2999-01-01"},
        form="main form.outcomes-filters",
    ),
    # people events: the erase form empty, and its confirmation page
    FormState("admin", "/admin/people", "erase-empty", form="main form[action$='/people/erase']"),
    FormState(
        "admin",
        "/admin/people",
        "erase-confirm",
        {"#person_id": "hr-crawl"},
        form="main form[action$='/people/erase']",
    ),
    # open to internal moves: "only the families I tick" with none ticked
    FormState(
        "learner",
        "/passport",
        "moves-no-family",
        {"#moves-chosen": CHECK},
        form="main form[action$='/discoverability']",
    ),
    # a role: the family's levels prefilled, the rest empty; an external passport, no file
    FormState("hiring_manager", "/hiring/roles/new?jobFamily=sre", "empty"),
    FormState("hiring_manager", "/hiring/roles/1", "external-empty"),
    # the one page that shows a new API token
    FormState("admin", "/admin/tokens", "created", {"#name": "crawl", "#scope-1": CHECK}),
)


class Report:
    """Problems per page, and a line per page checked (for the artifacts' index)."""

    def __init__(self, root: Path) -> None:
        shutil.rmtree(root, ignore_errors=True)  # only this run's pages (ids differ per run)
        self.root = root
        self.problems: dict[str, list[str]] = {}
        self.checked: list[dict[str, Any]] = []

    def check(self, page: Any, persona: str, label: str, endpoint: str) -> None:
        """axe and overflow at both widths; a screenshot where a width has a problem (of each
        width with :data:`EVERY_SCREENSHOT`). Leaves the page at the desktop size."""
        folder = self.root / persona
        name = slug(label)
        key = f"{persona} {label}"
        for viewport in (DESKTOP, PHONE):
            width = viewport["width"]
            resize(page, viewport)
            violations, overflow = audit(page)
            found = [f"{width}px {v}" for v in violations]
            if overflow:
                found.append(f"{width}px {overflow}")
            if found or EVERY_SCREENSHOT:
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
            if found:
                self.problems.setdefault(key, []).extend(found)
            self.checked.append(
                {
                    "persona": persona,
                    "page": label,
                    "endpoint": endpoint,
                    "width": width,
                    "axe": len(violations),
                    "overflow": overflow is not None,
                }
            )
        # the next page loads at the desktop size, as the first did (no wait: it reloads)
        page.set_viewport_size(DESKTOP)

    def text(self) -> str:
        lines = [f"{len(self.problems)} of {len(self.checked) // 2} pages have problems:"]
        for key, found in sorted(self.problems.items()):
            lines.append(f"\n{key}")
            lines.extend(f"  - {f}" for f in found)
        return "\n".join(lines)

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "report.json").write_text(
            json.dumps({"checked": self.checked, "problems": self.problems}, indent=1), "utf-8"
        )


class Crawler:
    """Breadth-first over same-origin links, grouped by URL rule."""

    def __init__(self, live_server: LiveServer, report: Report) -> None:
        self.base = live_server.url
        self.origin = urlsplit(self.base).netloc
        self.urls = live_server.app.url_map.bind(self.origin)
        self.report = report

    def pattern(self, url: str) -> str:
        parts = urlsplit(url)
        try:
            endpoint, _ = self.urls.match(parts.path, method="GET")
        except HTTPException:
            endpoint = parts.path
        keys = sorted({k for k, _ in parse_qsl(parts.query)})
        return f"{endpoint}?{','.join(keys)}" if keys else str(endpoint)

    @staticmethod
    def cap(pattern: str) -> int:
        return PER_QUERY_PATTERN if "?" in pattern else PER_PATTERN

    def normal(self, href: str, here: str) -> str | None:
        """The absolute URL a link leads to, or None when the crawl does not follow it."""
        url = urljoin(here, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != self.origin:
            return None
        if any(parts.path.startswith(p) for p in SKIP_PATHS):
            return None
        # the language switch is checked on the entry pages, not on every page again
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def is_html_page(self, context: Any, url: str) -> bool:
        # GET, not HEAD: views that serve GET and POST treat a HEAD like their POST
        answer = context.request.get(url)
        kind = answer.headers.get("content-type", "")
        attachment = "attachment" in answer.headers.get("content-disposition", "")
        answer.dispose()
        return kind.startswith("text/html") and not attachment

    def crawl(self, context: Any, persona: Persona) -> None:
        page = context.new_page()
        queue = deque(self.base + entry for entry in persona.entries)
        queue.extend(f"{self.base}{entry}?lang=de" for entry in persona.entries[:2])
        seen: set[str] = set()
        per_pattern: dict[str, int] = {}
        visited = 0
        while queue and visited < MAX_PAGES:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            pattern = self.pattern(url) + ("+lang" if "lang=" in url else "")
            if per_pattern.get(pattern, 0) >= self.cap(pattern):
                continue
            if not self.is_html_page(context, url):
                continue
            response = page.goto(url)
            final = page.url.split("#")[0]
            if final != url:  # a redirect: count the page where it landed
                if final in seen:
                    continue
                seen.add(final)
                pattern = self.pattern(final)
                if per_pattern.get(pattern, 0) >= self.cap(pattern):
                    continue
            per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
            visited += 1
            label = urlsplit(final).path + ("?" + urlsplit(final).query if "?" in final else "")
            if response is not None and not response.ok:
                label += f" ({response.status})"
            self.report.check(page, persona.name, label, pattern)
            hrefs: list[str] = page.eval_on_selector_all(
                "a[href]", "links => links.map(a => a.getAttribute('href'))"
            )
            for href in hrefs:
                found = self.normal(href, final)
                if found and found not in seen:
                    queue.append(found)
        page.close()


def submit_form(page: Any, url: str, state: FormState) -> str | None:
    """Open the form, fill it as ``state`` says, switch off the browser's own checks, submit.

    Returns what went wrong when there is no such form to submit.
    """
    page.goto(url)
    if page.locator(state.form).count() == 0:
        return f"no form {state.form!r} on {url} to submit {state.name}"
    form = page.locator(state.form).first
    for selector, value in state.fill.items():
        if value == CHECK:
            form.locator(selector).check()
        else:
            form.locator(selector).fill(value)
    form.evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        form.locator("button[type=submit], input[type=submit]").last.click()
    return None


def share_links(page: Any, base: str) -> tuple[str, str]:
    """A live share link and a revoked one, made by the learner in the browser."""
    made = []
    for audience in ("Accessibility crawl (kept)", "Accessibility crawl (revoked)"):
        page.goto(f"{base}/passport/shares")
        page.locator("input[name=credential]").first.check()
        page.fill("#audience", audience)
        page.locator("form.pp-share-form button[type=submit]").click()
        page.wait_for_selector("#share-url")
        made.append(page.input_value("#share-url"))
    page.goto(f"{base}/passport/shares")
    row = page.locator("tr", has_text="Accessibility crawl (revoked)")
    with page.expect_navigation():
        row.locator(".danger").first.click()
    # revoking asks first, on a page of its own
    confirm = page.locator("main form[method=post]:not(.inline) button[type=submit]")
    if confirm.count() == 1:
        with page.expect_navigation():
            confirm.click()
    return made[0], made[1]


#: A bulk file for the preview page: two good rows and two that name no learner or badge.
BULK_CSV = (
    "email,achievement,level\n"
    f"{LEARNER},observability-l2,3\n"
    "nobody@demo.example,observability-l2,2\n"
    f"{LEARNER},no-such-badge,2\n"
    f"{LEARNER},incident-response-l3,3\n"
).encode()


def bulk_preview(page: Any, base: str, query: str = "") -> None:
    """The preview of a bulk file (a file upload, which FORM_STATES cannot fill)."""
    page.goto(f"{base}/admin/bulk{query}")
    page.set_input_files(
        "#file", {"name": "results.csv", "mimeType": "text/csv", "buffer": BULK_CSV}
    )
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button[type=submit]")


#: A people events file for its preview: two good rows, one for an unknown job family.
PEOPLE_CSV = (
    b"person_id,email,event,date,job_family,cohort\n"
    b"hr-crawl-1,,hired,2025-01-06,sre,\n"
    b"hr-crawl-1,,cohort_started,2025-01-20,,SRE onboarding\n"
    b"hr-crawl-2,,hired,2025-01-06,astronaut,\n"
)


def people_preview(page: Any, base: str) -> None:
    """The preview of a people events file (a file upload, which FORM_STATES cannot fill)."""
    page.goto(f"{base}/admin/people")
    page.set_input_files(
        "#file", {"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV}
    )
    with page.expect_navigation():
        page.click("form[enctype='multipart/form-data'] button[type=submit]")


def bulk_jobs(live_server: LiveServer) -> str:
    """A job waiting for a worker (the crawl finds its page from /admin/jobs), a failed job
    and an e-mail that could not be sent (the failed lists with their Retry buttons).
    Returns the waiting job's id."""
    import uuid

    from passport.jobs.bulk import start_bulk
    from passport.jobs.models import Job, Notification

    services = live_server.services
    now = services.now()
    with services.session() as db:
        waiting = start_bulk(
            db,
            services,
            BULK_CSV,
            assessor="ana.assessor@demo.example",
            created_by="ana.assessor@demo.example",
            proof_format="data-integrity",
            now=now,
        )
        db.add(
            Job(
                id=uuid.uuid4().hex,
                kind="bulk_issuance",
                status="failed",
                total=200,
                error="OSError: the disk is full",
                created_by="admin@demo.example",
                created_at=now,
                started_at=now,
                finished_at=now,
            )
        )
        db.add(
            Notification(
                key=f"crawl:{uuid.uuid4().hex}",
                kind="badge_issued",
                to=LEARNER,
                status="failed",
                attempts=6,
                last_error="SMTPRecipientsRefused: mailbox unavailable",
            )
        )
        return waiting.id


def lcw_exchange_page(live_server: LiveServer, base: str) -> str:
    """The URL of a Learner Credential Wallet exchange the learner opened for one of their
    current badges."""
    services = live_server.services
    with services.session() as db:
        learner = db.scalar(select(User).where(User.email == LEARNER))
        assert learner is not None
        ids = db.scalars(
            select(IssuedCredential.id).where(IssuedCredential.holder_id == learner.holder_id)
        ).all()
        for credential_id in ids:
            try:
                exchange = create_exchange(
                    db,
                    services.settings,
                    user_id=learner.id,
                    holder_id=learner.holder_id,
                    credential_id=credential_id,
                    actor="crawl",
                    now=services.now(),
                )
            except InvalidRequest:
                continue  # revoked, suspended or expired
            return f"{base}/passport/lcw/{exchange.id}"
    raise AssertionError("the demo learner has no current badge")


def ob_api_consent_url(live_server: LiveServer) -> str:
    """The consent page of a platform registered for the crawl (Open Badges API)."""
    from urllib.parse import urlencode

    from passport.wallets.obapi_clients import SCOPES, register_client

    with live_server.services.session() as db:
        registered = register_client(
            db,
            {
                "client_name": "Crawl Platform",
                "client_uri": "https://platform.example/",
                "logo_uri": "https://platform.example/logo.png",
                "tos_uri": "https://platform.example/terms",
                "policy_uri": "https://platform.example/privacy",
                "software_id": "crawl",
                "software_version": "1",
                "redirect_uris": ["https://platform.example/cb"],
                "scope": " ".join(SCOPES.values()),
            },
            now=live_server.services.now(),
            actor="crawl",
        )
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": "https://platform.example/cb",
        "scope": " ".join(SCOPES.values()),
        "state": "crawl",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    return f"{live_server.url}/ims/ob/v3p0/oauth/authorize?{urlencode(query)}"


def test_every_page_is_accessible_and_fits_a_phone(
    browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    axe_source()  # skips, saying how to install it, when axe-core is not there
    base = live_server.url
    report = Report(artifacts / "pages")
    crawler = Crawler(live_server, report)
    contexts: dict[str, Any] = {}
    with live_server.services.session() as db:
        if db.scalar(select(User).where(User.email == ANALYST)) is None:
            create_user(
                db,
                email=ANALYST,
                name="Crawl Analyst",
                role="analyst",
                password=live_server.password,
            )
    for persona in PERSONAS:
        context = browser.new_context(viewport=DESKTOP)
        contexts[persona.name] = context
        if persona.email:
            login(context, base, persona.email, live_server.password).close()

    # the states no link leads to; the share links first, so the visitor's crawl is not the
    # only one to have seen them
    page = contexts["learner"].new_page()
    live, revoked = share_links(page, base)
    declared: list[tuple[str, str, str]] = [
        ("visitor", live, "shared link"),
        ("visitor", revoked, "revoked shared link"),
        ("visitor", f"{base}/no-such-page", "not found"),
        (
            "visitor",
            f"{base}/credentials/urn:uuid:00000000-0000-0000-0000-000000000000",
            "no such badge",
        ),
        ("learner", f"{base}/admin/", "forbidden"),
        ("analyst", f"{base}/admin/", "forbidden"),
        ("learner", f"{base}/hiring/roles", "forbidden"),
        ("learner", f"{base}/passport/shares/999999", "no such share link"),
    ]
    page.close()
    # an API token, so that the admin's crawl finds its revoke confirmation
    with live_server.services.session() as db:
        create_token(db, "Accessibility crawl", scopes=["read"], actor="crawl")
        learner = db.scalar(select(User).where(User.email == LEARNER))
        assert learner is not None
        learner_id = learner.id
        learner_badge = db.scalar(
            select(IssuedCredential.id)
            .where(
                IssuedCredential.holder_id == learner.holder_id,
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
            )
            .limit(1)
        )
        assert learner_badge is not None
    # an "Add to Learner Credential Wallet" page (the badge page's button POSTs to open one)
    declared.append(("learner", lcw_exchange_page(live_server, base), "wallet exchange"))
    # a message in the development outbox, so that the admin's crawl opens one
    settings = live_server.services.settings
    OutboxMailer(settings.instance_path / "outbox", "Skill Passport <crawl@example.com>").send(
        MailMessage(to=LEARNER, subject="Accessibility crawl", text="A message\nof two lines.")
    )
    # the unsubscribe link of a mail (no page links to it): asked, done, and forged
    token = unsubscribe_token(settings.secret_key, learner_id, "badge_expiring")
    declared += [
        ("visitor", f"{base}/unsubscribe/{token}", "unsubscribe"),
        ("visitor", f"{base}/unsubscribe/not-a-token", "bad unsubscribe link"),
    ]

    # bulk issuance: a job waiting, a failed one, a failed e-mail
    job_id = bulk_jobs(live_server)
    # the Open Badges API: a platform's consent page, and a request that cannot be used
    declared += [
        ("learner", ob_api_consent_url(live_server), "platform consent"),
        (
            "learner",
            f"{base}/ims/ob/v3p0/oauth/authorize?response_type=code&client_id=nobody",
            "refused platform request",
        ),
    ]

    for persona in PERSONAS:
        crawler.crawl(contexts[persona.name], persona)

    checks: list[tuple[str, str, Callable[[Any], str | None]]] = []
    for who, url, label in declared:
        checks.append((who, label, lambda p, url=url: p.goto(url) and None))
    # and the page a hiring manager reads: /verify's result for a pasted share link
    verified = FormState("visitor", "/verify", "share-link-result", {"#credential": live})
    unsubscribed = FormState("visitor", f"/unsubscribe/{token}", "done")
    # "Add to wallet" with an offer made (its QR code, deep link and transaction-code notice)
    offered = FormState(
        "learner", f"/passport/badges/{learner_badge}/wallet", "offer", {"#tx_code": CHECK}
    )
    for state in (*FORM_STATES, verified, unsubscribed, offered):
        url = base + state.path
        label = f"{state.path} form {state.name}"
        checks.append((state.persona, label, lambda p, url=url, s=state: submit_form(p, url, s)))
    checks.append(("assessor", "bulk preview", lambda p: bulk_preview(p, base)))
    checks.append(("admin", "people preview", lambda p: people_preview(p, base)))
    # the bulk pages in German, last: the language stays chosen for the rest of the session
    checks.append(("admin", "bulk preview (de)", lambda p: bulk_preview(p, base, "?lang=de")))
    for path in ("/admin/bulk", "/admin/jobs", f"/admin/jobs/{job_id}"):
        checks.append(("admin", f"{path} (de)", lambda p, path=path: p.goto(base + path) and None))
    # one page per persona for these (each action starts with a navigation of its own)
    pages: dict[str, Any] = {}
    for who, label, action in checks:
        if who not in pages:
            pages[who] = contexts[who].new_page()
        page = pages[who]
        missing = action(page)
        if missing:
            report.problems.setdefault(f"{who} {label}", []).append(missing)
        else:
            report.check(page, who, label, "declared")

    for context in contexts.values():
        context.close()
    report.save()
    assert not report.problems, report.text()


def test_a_screenshot_is_taken_only_where_a_page_has_a_problem(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crawl's own check: a page too wide for a phone is reported at 390 px only, with a
    screenshot at that width; a page that fits gets none (unless CRAWL_SCREENSHOTS asks)."""
    axe_source()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    report = Report(tmp_path / "pages")

    def show(body: str) -> None:
        page.set_content(
            f'<!doctype html><html lang="en"><head><title>T</title></head>'
            f"<body><main><h1>A page</h1>{body}</main></body></html>"
        )

    show('<div style="width: 800px">Wider than a phone</div>')
    report.check(page, "tester", "/wide", "declared")
    show("<p>Fits</p>")
    report.check(page, "tester", "/fits", "declared")
    monkeypatch.setattr(f"{__name__}.EVERY_SCREENSHOT", True)
    report.check(page, "tester", "/asked", "declared")
    context.close()

    assert list(report.problems) == ["tester /wide"]
    [problem] = report.problems["tester /wide"]
    assert problem.startswith("390px scrolls sideways: 808px wide in a 390px viewport")
    assert 'div "Wider than a phone" 800px wide' in problem
    shots = sorted(p.name for p in (tmp_path / "pages" / "tester").iterdir())
    assert shots == ["asked-1366.png", "asked-390.png", "wide-390.png"]
    assert [(c["page"], c["width"], c["overflow"]) for c in report.checked] == [
        ("/wide", 1366, False),
        ("/wide", 390, True),
        ("/fits", 1366, False),
        ("/fits", 390, False),
        ("/asked", 1366, False),
        ("/asked", 390, False),
    ]
