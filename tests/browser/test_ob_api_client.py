"""A real OAuth 2.0 client library drives the Open Badges 3.0 API against the live app.

The platform side is ``requests-oauthlib`` (on ``oauthlib``; independent of Authlib, which is
our authorization server): it reads the Service Description Document, registers itself with
the RFC 7591 POST the spec shows, builds the authorization URL with PKCE (S256) and a state,
and — after the learner consented in Chromium — exchanges the code (client_secret_basic and
the code verifier), fetches the learner's credentials and profile, pushes a credential back
(upsert), refreshes and revokes.

The learner's side is the real browser: it follows the authorization URL, is sent to log in,
comes back to the consent page, clicks Allow, and is redirected to the platform's loopback
redirect URI, where a small HTTP server of the test captures the code.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.browser.test_passport_flow import ConsoleErrors
from tests.loopback import free_port

pytestmark = pytest.mark.slow

requests_oauthlib = pytest.importorskip(
    "requests_oauthlib",
    reason="requests-oauthlib (the platform's OAuth client) is a dev dependency",
)

LEARNER = "katherine.johnson@demo.example"
SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"


class _Callback(http.server.BaseHTTPRequestHandler):
    captured: list[str]

    def do_GET(self) -> None:
        self.captured.append(self.path)
        body = b"<!doctype html><title>Platform</title><p>Connected.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def platform_server() -> Iterator[tuple[str, list[str]]]:
    """The platform's redirect endpoint on loopback: the URL, and the paths it was called on."""
    captured: list[str] = []
    handler = type("Callback", (_Callback,), {"captured": captured})
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", captured
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _listable(live_server: LiveServer) -> int:
    from passport.accounts.models import User
    from passport.credentials.models import IssuedCredential

    with live_server.services.session() as db:
        user = db.scalar(select(User).where(User.email == LEARNER))
        assert user is not None
        return len(
            db.scalars(
                select(IssuedCredential.id).where(
                    IssuedCredential.holder_id == user.holder_id,
                    IssuedCredential.revoked_at.is_(None),
                    IssuedCredential.suspended_at.is_(None),
                )
            ).all()
        )


def test_a_platform_connects_with_requests_oauthlib(
    browser: Any,
    live_server: LiveServer,
    platform_server: tuple[str, list[str]],
    artifacts: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # oauthlib insists on https; both ends are on loopback here (RFC 8252 §7.3).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    platform, captured = platform_server
    base = live_server.url

    # 1. discovery: the platform learns every URL from the Service Description Document
    sdd = requests.get(f"{base}/ims/ob/v3p0/discovery", timeout=10).json()
    scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    scopes = list(flow["scopes"])
    assert len(scopes) == 4

    # 2. dynamic client registration (RFC 7591), as OB 3.0 §6 shows it
    registration = requests.post(
        scheme["x-imssf-registrationUrl"],
        json={
            "client_name": "Loopback Platform",
            "client_uri": f"{platform}/",
            "logo_uri": f"{platform}/logo.png",
            "tos_uri": f"{platform}/terms",
            "policy_uri": f"{platform}/privacy",
            "software_id": "loopback-platform",
            "software_version": "1.0",
            "redirect_uris": [f"{platform}/callback"],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": " ".join(scopes),
        },
        timeout=10,
    )
    assert registration.status_code == 201, registration.text
    client = registration.json()

    # 3. the authorization URL, with PKCE S256 and a state, built by the library
    oauth = requests_oauthlib.OAuth2Session(
        client["client_id"], redirect_uri=f"{platform}/callback", scope=scopes, pkce="S256"
    )
    url, state = oauth.authorization_url(flow["authorizationUrl"])
    assert "code_challenge_method=S256" in url

    # 4. the learner, in Chromium: log in, read the consent page, Allow
    errors = ConsoleErrors()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = errors.watch(context.new_page())
        page.goto(url)
        page.wait_for_url(f"{base}/login**")
        page.fill("#email", LEARNER)
        page.fill("#password", live_server.password)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{base}/ims/ob/v3p0/oauth/authorize**")
        heading = page.inner_text("h1")
        assert "Loopback Platform" in heading
        body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
        assert "See the badges in your passport" in body
        assert "Change your name" in body
        # no sideways scroll at 390 px
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "ob-api-consent.png"), full_page=True)
        page.click("button[value=allow]")
        page.wait_for_url(f"{platform}/callback**")
    finally:
        context.close()
    assert errors == [], errors
    callbacks = [path for path in captured if path.startswith("/callback")]
    assert len(callbacks) == 1
    callback = platform + callbacks[0]
    assert f"state={state}" in callback  # echoed; the library checks it again below

    # 5. the token: client_secret_basic, the code verifier, the state checked by the library
    token = oauth.fetch_token(
        flow["tokenUrl"],
        authorization_response=callback,
        client_secret=client["client_secret"],
    )
    assert token["token_type"] == "Bearer" and token["refresh_token"]

    # 6. the learner's credentials and profile
    expected = _listable(live_server)
    listed = oauth.get(f"{base}/ims/ob/v3p0/credentials?limit=2")
    assert listed.status_code == 200, listed.text
    assert listed.headers["X-Total-Count"] == str(expected)
    document = listed.json()
    assert len(document.get("credential", [])) + len(document.get("compactJwsString", [])) == min(
        2, expected
    )
    if expected > 2:
        assert 'rel="next"' in listed.headers["Link"]
    profile = oauth.get(f"{base}/ims/ob/v3p0/profile").json()
    assert profile["email"] == LEARNER and profile["type"] == ["Profile"]
    # upsert: the platform hands one of the learner's Data Integrity badges back (a JSON
    # body re-serialised by the client: the proof covers the canonical form, not the bytes).
    # It is verified, and by the spec's equality rule it is the badge already listed: 200,
    # nothing appended (it is not listed twice).
    everything = oauth.get(f"{base}/ims/ob/v3p0/credentials").json()
    if everything.get("credential"):
        pushed = oauth.post(f"{base}/ims/ob/v3p0/credentials", json=everything["credential"][0])
        assert pushed.status_code == 200, pushed.text
        assert pushed.headers["Content-Type"].startswith("application/json")
        again = oauth.get(f"{base}/ims/ob/v3p0/credentials?limit=1")
        assert again.headers["X-Total-Count"] == str(expected)

    # 7. refresh (rotation), then revocation (RFC 7009): afterwards calls fail
    auth = requests.auth.HTTPBasicAuth(client["client_id"], client["client_secret"])
    refreshed = oauth.refresh_token(flow["refreshUrl"], auth=auth)
    assert refreshed["access_token"] != token["access_token"]
    assert oauth.get(f"{base}/ims/ob/v3p0/profile").status_code == 200
    revoked = requests.post(
        f"{base}/ims/ob/v3p0/oauth/revoke",
        data={"token": refreshed["refresh_token"], "token_type_hint": "refresh_token"},
        auth=auth,
        timeout=10,
    )
    assert revoked.status_code == 200
    after = oauth.get(f"{base}/ims/ob/v3p0/profile")
    assert after.status_code == 401
    assert after.json()["imsx_codeMajor"] == "failure"
