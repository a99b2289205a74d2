"""scim2-tester, the python-scim project's conformance checker, against the app served on a
loopback port: every check it makes passes (RFC 7643/7644 as scim2-tester reads them).

The tester discovers the server from ``/ServiceProviderConfig``, ``/Schemas`` and
``/ResourceTypes``, then creates, reads, lists, searches, replaces, patches (add, replace,
remove on every attribute) and deletes Users and Groups with random values, over real HTTP.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ScimProvider
from scim2_tester import Status, check_server
from werkzeug.serving import WSGIRequestHandler

from passport.accounts.tokens import create_token
from passport.instance.setup import initialise
from passport.web import create_app
from passport.web.context import get_services
from tests.loopback import app_settings, free_port, serving_app

FAILING = (Status.ERROR, Status.CRITICAL)


class _QuietHandler(WSGIRequestHandler):
    """No access log: the tester makes a few hundred requests."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture
def live_scim(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL of /scim/v2, a bearer token) of the app on a free loopback port."""
    port = free_port()
    instance = tmp_path / "instance"
    settings = app_settings(
        instance,
        port,
        role_groups={"sp-admins": "admin", "sp-mentors": "mentor"},
    )
    app = create_app(settings)
    services = get_services(app)
    initialise(services)
    with services.session() as session:
        token = create_token(session, "scim-tester", scopes=["scim"], actor="test")
    with serving_app(app, services, port, request_handler=_QuietHandler):
        yield f"{settings.public_url}/scim/v2", token


@pytest.mark.slow
def test_scim2_tester_finds_no_failure(live_scim: tuple[str, str]) -> None:
    base_url, token = live_scim
    with httpx2.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        # An empty provider: everything the checks use is what the server publishes.
        client = SyncSCIMClient(http, provider=ScimProvider())
        results = check_server(client)

    summary = Counter(result.status.name for result in results)
    print("scim2-tester summary:", dict(sorted(summary.items())))
    failures = [
        f"{r.resource_type or '-'} {r.title}: {r.reason}" for r in results if r.status in FAILING
    ]
    assert not failures, "\n".join(failures)
    # The run reached the resources: discovery alone would pass with far fewer checks.
    assert summary["SUCCESS"] >= 40
    checked = {r.resource_type for r in results if r.status == Status.SUCCESS}
    assert {"User", "Group"} <= checked
