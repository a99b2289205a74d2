"""A real OpenID provider and the real app, both on loopback ports, for the single sign-on tests.

The provider is panva's ``oidc-provider`` (tests/oidc/provider.mjs, installed by ``make
interop-install``) with one client registered for the app's callback; the app runs in a thread
(werkzeug's threaded server) with a fresh SQLite instance per test. :func:`sso_login` drives a
login with ``requests`` the way a browser would: our ``/login/oidc``, the provider's login form,
its consent form, back to our callback. Without node or the installed package the tests skip,
saying why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import OidcSettings, Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.loopback import app_settings as loopback_settings
from tests.loopback import free_port, serving_app

HERE = Path(__file__).parent
NODE = shutil.which("node")
CLIENT_ID = "skill-passport-test"
CLIENT_SECRET = "a-client-secret-for-the-loopback-provider-only"
ROLE_GROUPS = {"sp-admins": "admin", "sp-assessors": "assessor", "sp-mentors": "mentor"}


@dataclass
class Provider:
    issuer: str
    users_file: Path
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set_person(self, login: str, **claims: Any) -> None:
        """Add or change a person at the provider (read at their next login)."""
        self.people[login] = claims
        self.users_file.write_text(json.dumps(self.people), encoding="utf-8")


@dataclass
class App:
    url: str
    services: Services


@pytest.fixture(scope="session")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory, app_port: int) -> Iterator[Provider]:
    if NODE is None:
        pytest.skip("node is not installed: the single sign-on tests need it for the provider")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("oidc-provider is not installed: run `make interop-install`")
    port = free_port()
    users_file = tmp_path_factory.mktemp("oidc") / "people.json"
    users_file.write_text("{}", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": f"http://127.0.0.1:{app_port}/login/oidc/callback",
        "OIDC_USERS": str(users_file),
    }
    process = subprocess.Popen(
        [NODE, str(HERE / "provider.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "ready <issuer>", or "" if it died
        if not line.startswith("ready "):
            pytest.fail(f"the OpenID provider did not start (exit {process.poll()})")
        yield Provider(issuer=line.split()[1], users_file=users_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def app_settings(tmp_path: Path, app_port: int, issuer: str, **changes: Any) -> Settings:
    instance = tmp_path / "instance"
    settings = loopback_settings(
        instance,
        app_port,
        oidc=OidcSettings(
            issuer=issuer,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=("openid", "email", "profile", "groups"),
            allowed_domains=("example.org",),
            name="Example SSO",
        ),
        role_groups=dict(ROLE_GROUPS),
    )
    return settings.with_overrides(**changes)


def serve(settings: Settings) -> Iterator[App]:
    app = create_app(settings)
    services = get_services(app)
    initialise(services)
    with serving_app(app, services, int(settings.public_url.rsplit(":", 1)[1])):
        yield App(url=settings.public_url, services=services)


@pytest.fixture
def live_app(tmp_path: Path, app_port: int, provider: Provider) -> Iterator[App]:
    yield from serve(app_settings(tmp_path, app_port, provider.issuer))


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def through_provider(
    browser: requests.Session, response: requests.Response, provider: Provider, login: str
) -> requests.Response:
    """Fill in the provider's login and consent forms until it sends the browser back to us;
    returns the redirect to our callback (not followed)."""
    for _ in range(12):
        if response.is_redirect:
            target = response.headers["Location"]
            if not target.startswith((provider.issuer + "/", "/")):
                return response
            response = browser.get(
                requests.compat.urljoin(response.url, target), allow_redirects=False
            )
            continue
        match = _FORM_ACTION.search(response.text)
        assert response.status_code == 200 and match, response.text[:500]
        action = requests.compat.urljoin(response.url, match.group(1))
        if 'name="login"' in response.text:
            form = {"prompt": "login", "login": login, "password": "any"}
        else:
            form = {"prompt": "consent"}
        response = browser.post(action, data=form, allow_redirects=False)
    raise AssertionError("the provider never sent the browser back")


def start_login(
    app: App, next_path: str | None = None
) -> tuple[requests.Session, requests.Response]:
    """A fresh browser at our ``/login/oidc``: the redirect to the provider (not followed)."""
    browser = requests.Session()
    params = {"next": next_path} if next_path else None
    response = browser.get(f"{app.url}/login/oidc", params=params, allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    return browser, response


def sso_login(
    app: App, provider: Provider, login: str, next_path: str | None = None
) -> tuple[requests.Session, requests.Response]:
    """Log ``login`` in through the provider; the final response of our app (redirects
    followed)."""
    browser, response = start_login(app, next_path)
    back = through_provider(browser, response, provider, login)
    final = browser.get(back.headers["Location"], allow_redirects=True)
    return browser, final
