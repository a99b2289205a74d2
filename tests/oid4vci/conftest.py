"""Our app on a loopback port and the npm wallet (``wallet.mjs``) that talks to it.

The wallet is ``@openid4vc/openid4vci`` 0.4.6 (installed by ``make interop-install`` into
tests/oid4vci/node_modules). Without node or the installed package the tests skip, saying why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from passport.wallets.oid4vci import create_offer
from passport.web.context import get_services
from tests.conftest import _database_url, fresh_app
from tests.loopback import app_settings, free_port, serving_app

HERE = Path(__file__).parent
NODE = shutil.which("node")
PASSWORD = "correct horse battery"
LEARNER = "lea@example.com"


@dataclass
class LiveIssuer:
    url: str
    services: Services
    badge: str

    def offer(self, *, tx_code: bool = False) -> str:
        with self.services.session() as db:
            return create_offer(
                db,
                self.services,
                credential_id=self.badge,
                actor="test",
                with_tx_code=tx_code,
                now=self.services.now(),
            ).deep_link

    def documents(self) -> dict[str, Any]:
        """Our issuer's DID documents, for the Digital Bazaar verifier (offline)."""
        with self.services.session() as db:
            return {d.did: d.did_document for d in self.services.issuer_documents(db)}


def wallet(command: str, payload: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Run ``node wallet.mjs COMMAND`` with ``payload``; fail with the wallet's error."""
    if NODE is None:
        pytest.skip("node is not installed: the OpenID4VCI client tests need it")
    if not (HERE / "node_modules" / "@openid4vc" / "openid4vci").is_dir():
        pytest.skip("@openid4vc/openid4vci is not installed: run `make interop-install`")
    done = subprocess.run(
        [NODE, str(HERE / "wallet.mjs"), command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def live_issuer(tmp_path: Path, **changes: Any) -> Iterator[LiveIssuer]:
    """The app on a free loopback port over a fresh database, with one learner and a badge."""
    port = free_port()
    instance = tmp_path / "instance"
    settings = app_settings(instance, port, database_url=_database_url(tmp_path), **changes)
    app = fresh_app(settings)
    services = get_services(app)
    with services.session() as db:
        create_user(db, email=LEARNER, name="Lea", role="learner", password=PASSWORD)
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", LEARNER), now=services.now()
        ).id
    with serving_app(app, services, port):
        yield LiveIssuer(url=settings.public_url, services=services, badge=badge)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in_and_consent(issuer: LiveIssuer, authorization_url: str) -> str:
    """What the learner does in a browser: open the wallet's authorization URL, sign in,
    approve. Returns the redirect to the wallet (not followed)."""
    browser = requests.Session()
    first = browser.get(authorization_url, allow_redirects=False, timeout=10)
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    login_page = browser.get(issuer.url + first.headers["Location"], timeout=10)
    match = _CSRF.search(login_page.text)
    assert match is not None
    next_url = re.search(r'name="next" value="([^"]*)"', login_page.text)
    assert next_url is not None
    signed_in = browser.post(
        issuer.url + "/login",
        data={
            "email": LEARNER,
            "password": PASSWORD,
            "csrf_token": match.group(1),
            "next": next_url.group(1).replace("&amp;", "&"),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302
    consent = browser.get(issuer.url + signed_in.headers["Location"], timeout=10)
    assert consent.status_code == 200, consent.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    fields = {
        k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
        for k, v in fields.items()
    }
    badge = re.search(r'name="credential_id" id="badge-1" value="([^"]+)"', consent.text)
    assert badge is not None and badge.group(1) == issuer.badge
    decided = browser.post(
        issuer.url + "/oid4vci/authorize",
        data={**fields, "credential_id": issuer.badge, "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert decided.status_code == 303, decided.text
    location: str = decided.headers["Location"]
    return location
