"""Browser tests: the real app on a loopback port, driven by Debian's Chromium via Playwright.

The app runs in a thread (werkzeug's threaded server) on a free port of 127.0.0.1, with its own
temporary instance folder, SQLite database and the demo program loaded, and
``PASSPORT_PUBLIC_URL`` set to that address so share links and QR codes point at it. Playwright's
bundled browsers are never downloaded: the tests launch the system's ``chromium`` and skip, saying
why, only when there is none. Screenshots go to ``tests/browser/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from passport.instance.demo import DEMO_PASSWORD, load_demo
from passport.services import Services
from passport.web import create_app
from passport.web.context import get_services
from tests.loopback import app_settings, free_port, serving_app

if TYPE_CHECKING:
    from flask import Flask

ARTIFACTS = Path(__file__).parent / "artifacts"


def chromium_executable() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str
    password: str
    #: The running app's services, for tests that prepare data the way a CLI user would.
    services: Services
    #: The app itself: its URL map names the page a crawled URL is (test_every_page.py).
    app: Flask


@contextmanager
def serving(
    instance: Path, password: str, prepare: Callable[[Services], None]
) -> Iterator[LiveServer]:
    """The app over ``instance`` on a free loopback port, after ``prepare`` filled its database;
    stopped, and its connections closed, on leaving."""
    port = free_port()
    settings = app_settings(instance, port)
    app = create_app(settings)
    services = get_services(app)
    prepare(services)
    with serving_app(app, services, port):
        yield LiveServer(url=settings.public_url, password=password, services=services, app=app)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with the demo program loaded, shared by the browser tests."""

    def demo(services: Services) -> None:
        load_demo(services)

    with serving(tmp_path_factory.mktemp("browser-instance"), DEMO_PASSWORD, demo) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no chromium on this machine (CI installs Debian's; apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is a dev dependency"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
