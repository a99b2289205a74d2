"""The login page with single sign-on, and its failure states, in a real browser: accessible
(axe-core, WCAG 2.2 AA) and no sideways scroll at desktop and phone widths, in English and
German. The crawl's shared server has no identity provider configured, so this one has its own
(pointed at a loopback port where nothing listens: every sign-in fails, which is what the
failure states need)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from passport.instance.setup import initialise
from passport.settings import OidcSettings
from passport.web import create_app
from passport.web.context import get_services
from tests.browser.a11y import DESKTOP, PHONE, axe_violations, horizontal_overflow
from tests.loopback import app_settings, free_port, serving_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=[True, False], ids=["with-passwords", "sso-only"])
def sso_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    instance: Path = tmp_path_factory.mktemp("sso-browser")
    settings = app_settings(
        instance,
        port,
        oidc=OidcSettings(
            issuer="http://127.0.0.1:9", client_id="c", client_secret="s", name="Acme ID"
        ),
        password_login=request.param,
    )
    app = create_app(settings)
    services = get_services(app)
    initialise(services)
    with serving_app(app, services, port):
        yield settings.public_url


STATES = [
    ("/login", 200, "Sign in with Acme ID"),
    ("/login?lang=de", 200, "Anmelden mit Acme ID"),
    ("/login/oidc", 502, "sso_provider_unavailable"),
    ("/login/oidc/callback?error=access_denied&state=x", 400, "sso_access_denied"),
    ("/login/oidc/callback?code=x&state=y&lang=de", 400, "Beginnen Sie noch einmal"),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_login_page_and_sso_failures_are_accessible(
    browser: Any, sso_server: str, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    problems: list[str] = []
    try:
        for path, status, text in STATES:
            response = page.goto(sso_server + path)
            assert response is not None and response.status == status, path
            assert text in page.content(), path
            problems += [f"{path}: {v}" for v in axe_violations(page)]
            overflow = horizontal_overflow(page)
            if overflow:
                problems.append(f"{path}: {overflow}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
