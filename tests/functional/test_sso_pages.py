"""The login page with single sign-on configured or not, password login turned off, and the
single sign-on routes' answers when no provider is reachable (no provider needed here; the
whole flow against a real one is tests/oidc/)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from passport.accounts.users import create_user
from passport.settings import OidcSettings, Settings
from passport.web import create_app
from passport.web.context import get_services

# Nothing listens on port 9 (discard) of loopback: the provider is "down".
DOWN = OidcSettings(issuer="http://127.0.0.1:9", client_id="c", client_secret="s", name="Acme ID")


@pytest.fixture
def sso_client(settings: Settings) -> FlaskClient:
    from passport.instance.setup import initialise

    app = create_app(settings.with_overrides(oidc=DOWN, password_login=False))
    initialise(get_services(app))
    return app.test_client()


def test_without_single_sign_on_the_login_page_is_the_password_form(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'type="password"' in page and "Sign in with" not in page
    response = client.get("/login/oidc")
    assert response.status_code == 404
    assert b"sso_not_configured" in response.data
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_the_login_page_offers_single_sign_on_and_keeps_next(settings: Settings) -> None:
    app = create_app(settings.with_overrides(oidc=DOWN))
    page = app.test_client().get("/login?next=/my/").get_data(as_text=True)
    assert "Sign in with Acme ID" in page
    assert 'href="/login/oidc?next=/my/"' in page
    assert 'type="password"' in page  # password login stays possible unless turned off
    default = create_app(settings.with_overrides(oidc=replace_name(DOWN)))
    german = default.test_client().get("/login?lang=de").get_data(as_text=True)
    assert "Anmelden mit Single Sign-on" in german


def replace_name(oidc: OidcSettings) -> OidcSettings:
    from dataclasses import replace

    return replace(oidc, name="single sign-on")


def test_password_login_off_hides_the_form_and_refuses_the_post(sso_client: FlaskClient) -> None:
    with get_services(sso_client.application).session() as db:
        create_user(
            db, email="pw@example.org", name="P", role="admin", password="passwords are off here"
        )
    page = sso_client.get("/login").get_data(as_text=True)
    assert 'type="password"' not in page and "Sign in with Acme ID" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', sso_client.get("/verify").text)
    assert token is not None
    refused = sso_client.post(
        "/login",
        data={
            "email": "pw@example.org",
            "password": "passwords are off here",
            "csrf_token": token.group(1),
        },
    )
    assert refused.status_code == 403
    assert b"password_login_disabled" in refused.data
    assert sso_client.get("/admin/", headers={"Accept": "text/html"}).status_code == 302


def test_an_unreachable_provider_is_a_clear_502(sso_client: FlaskClient) -> None:
    response = sso_client.get("/login/oidc")
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "sso_provider_unavailable" in page and "could not be reached" in page
    assert "Traceback" not in page


def test_a_callback_without_a_started_login_is_a_clear_400(sso_client: FlaskClient) -> None:
    response = sso_client.get("/login/oidc/callback?code=abc&state=def")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "sso_no_login_started" in page and "Start again from the login page" in page
    response = sso_client.get("/login/oidc/callback?error=access_denied&state=def")
    assert response.status_code == 400 and b"sso_access_denied" in response.data
