"""Every page's frame, and the learner's tables, as #16 item 5 wants them (WCAG 2.2 AA).

The skip link leads to ``<main id="main">``; the header names the current page
(``aria-current``) and offers the other language; protocol links (DID, JWKS, OpenAPI) sit in
the footer's "For developers" section, not in the navigation. The learner's data tables
have column headers with text and a label on every cell (phones show rows as cards). The
browser suite measures the rest (axe-core, overflow, keyboard): tests/browser.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from passport.services import Services
from tests.functional.test_passport_pages import HTML, log_in, seed_two_learners

ADA = "ada@example.com"


def header_and_footer(page: str) -> tuple[str, str]:
    header = page.split('<header class="top">', 1)[1].split("</header>", 1)[0]
    footer = page.split("<footer>", 1)[1].split("</footer>", 1)[0]
    return header, footer


def test_skip_link_leads_to_main(client: FlaskClient) -> None:
    for path in ("/", "/verify", "/login", "/no-such-page"):
        page = client.get(path, headers=HTML).data.decode()
        body = page.split("<body>", 1)[1].lstrip()
        assert body.startswith('<a class="skip-link" href="#main">Skip to content</a>'), path
        assert '<main id="main" tabindex="-1">' in page, path
        assert page.count("<h1") == 1, path


def test_protocol_links_are_in_the_footer_not_the_navigation(client: FlaskClient) -> None:
    header, footer = header_and_footer(client.get("/verify", headers=HTML).data.decode())
    for href in ("/.well-known/did.json", "/.well-known/jwks.json", "/api/v1/openapi.json"):
        assert href not in header and f'href="{href}"' in footer
    assert "For developers" in footer
    assert "Verify a badge" in header and "Log in" in header


def test_header_marks_the_current_page_and_offers_the_other_language(
    client: FlaskClient,
) -> None:
    header, _ = header_and_footer(client.get("/verify", headers=HTML).data.decode())
    assert re.search(r'href="/verify" aria-current="page">Verify a badge<', header)
    assert header.count('aria-current="page"') == 1
    assert '<a href="?lang=de" lang="de" hreflang="de">Deutsch</a>' in header
    login_header, _ = header_and_footer(client.get("/login", headers=HTML).data.decode())
    assert re.search(r'href="/login" aria-current="page">Log in<', login_header)


def test_learner_sees_my_passport_with_its_menu_item_current(
    client: FlaskClient, services: Services
) -> None:
    seed_two_learners(services)
    log_in(client, ADA)
    page = client.get("/passport/shares", headers=HTML).data.decode()
    header, _ = header_and_footer(page)
    assert re.search(r'aria-current="page">My passport<', header)
    subnav = page.split('<nav class="subnav"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'href="/passport/shares" aria-current="page">Share links<', subnav)


def test_learner_tables_have_headers_and_labelled_cells(
    client: FlaskClient, services: Services
) -> None:
    learners = seed_two_learners(services)
    token = log_in(client, ADA)
    client.post(
        "/passport/shares",
        data={"csrf_token": token, "credential": learners[ADA][0].id, "days": "30"},
    )
    for path in ("/passport", "/passport/shares", f"/passport/badges/{learners[ADA][0].id}"):
        page = client.get(path, headers=HTML).data.decode()
        tables = re.findall(r"<table.*?</table>", page, re.S)
        assert tables or path.startswith("/passport/badges/"), path  # that one: with results
        for table in tables:
            assert 'class="data stack' in table, (path, table[:80])
            headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table, re.S)
            assert headers and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers), path
            assert all('scope="col"' in th for th in re.findall(r"<th(?:\s[^>]*)?>", table)), path
            cells = re.findall(r"<td[^>]*>", table)
            # every cell is labelled, except an actions cell (its header is visually hidden)
            unlabelled = [c for c in cells if "data-label=" not in c]
            assert len(unlabelled) <= len(re.findall(r"<tr", table)), (path, unlabelled)


def test_login_error_is_announced_and_tied_to_the_fields(client: FlaskClient) -> None:
    page = client.get("/login", headers=HTML).data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": "nobody@example.com", "password": "wrong", "csrf_token": token.group(1)},
        headers=HTML,
    )
    assert response.status_code == 401
    answer = response.data.decode()
    assert 'role="alert" id="login-error"' in answer
    assert answer.count('aria-describedby="login-error"') == 2
