"""Single sign-on end to end: the app and a real OpenID provider (oidc-provider) on loopback.

Every login here goes the whole way a browser goes: our /login/oidc, the provider's login and
consent forms, the code exchange with PKCE, the ID token checked against the provider's JWKS,
UserInfo, then the account rules (matching, just-in-time creation, roles from groups).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.users import create_user, set_user_active
from passport.audit import AuditEvent
from tests.oidc.conftest import (
    App,
    Provider,
    app_settings,
    serve,
    sso_login,
    start_login,
    through_provider,
)


def _user(app: App, email: str) -> User | None:
    with app.services.session() as db:
        user = db.scalar(select(User).where(User.email == email))
        if user is not None:
            db.expunge(user)
        return user


def _actions(app: App) -> list[tuple[str, str, str | None]]:
    with app.services.session() as db:
        return [
            (e.actor, e.action, e.detail)
            for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_first_login_creates_the_user_with_the_mapped_role(
    live_app: App, provider: Provider
) -> None:
    provider.set_person(
        "ada",
        email="Ada@Example.org",
        email_verified=True,
        name="Ada Lovelace",
        groups=["staff", "sp-assessors"],
    )
    browser, page = sso_login(live_app, provider, "ada")
    assert page.status_code == 200
    assert urlsplit(page.url).path == "/admin/"  # an assessor lands on the staff dashboard
    user = _user(live_app, "ada@example.org")
    assert user is not None
    assert (user.role, user.name, user.password_hash) == ("assessor", "Ada Lovelace", None)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "ada")
    actions = _actions(live_app)
    assert ("sso", "user.create", None) in [(a, b, None) for a, b, _ in actions]
    assert any(action == "login.sso" for _, action, _ in actions)
    # The session is a real one: a staff page opens.
    assert browser.get(f"{live_app.url}/admin/").status_code == 200


def test_an_existing_user_is_matched_by_email_then_by_subject(
    live_app: App, provider: Provider
) -> None:
    with live_app.services.session() as db:
        existing = create_user(
            db,
            email="grace@example.org",
            name="Grace Hopper",
            role="mentor",
            password="a long enough password",
        )
        existing_id = existing.id
    provider.set_person("grace", email="grace@example.org", email_verified=True, name="G")
    sso_login(live_app, provider, "grace")
    user = _user(live_app, "grace@example.org")
    assert user is not None and user.id == existing_id
    assert (user.oidc_issuer, user.oidc_subject, user.role) == (provider.issuer, "grace", "mentor")
    assert any(action == "user.sso_link" for _, action, _ in _actions(live_app))
    # Linked now: a changed e-mail at the provider still finds the same account.
    provider.set_person("grace", email="grace.hopper@example.org", email_verified=True)
    _, page = sso_login(live_app, provider, "grace")
    assert page.status_code == 200
    with live_app.services.session() as db:
        assert db.scalar(select(User).where(User.oidc_subject == "grace")).id == existing_id
        assert db.scalar(select(User).where(User.email == "grace.hopper@example.org")) is None


def test_an_email_domain_not_allowed_gets_no_account(live_app: App, provider: Provider) -> None:
    provider.set_person("mallory", email="mallory@evil.example", email_verified=True)
    browser, page = sso_login(live_app, provider, "mallory")
    assert page.status_code == 400
    assert "sso_domain_not_allowed" in page.text
    assert "accounts are not made automatically" in page.text
    assert _user(live_app, "mallory@evil.example") is None
    assert browser.get(f"{live_app.url}/passport", allow_redirects=False).status_code == 302
    assert ("sso", "login.sso_failed", '{"code": "sso_domain_not_allowed"}') in _actions(live_app)


def test_an_unverified_email_is_neither_matched_nor_created(
    live_app: App, provider: Provider
) -> None:
    with live_app.services.session() as db:
        create_user(
            db, email="boss@example.org", name="Boss", role="admin", password="boss keeps the keys"
        )
    provider.set_person("imposter", email="boss@example.org", email_verified=False)
    _, page = sso_login(live_app, provider, "imposter")
    assert page.status_code == 400 and "sso_email_unverified" in page.text
    user = _user(live_app, "boss@example.org")
    assert user is not None and user.oidc_subject is None


def test_a_tampered_state_is_refused_and_spends_the_login(
    live_app: App, provider: Provider
) -> None:
    provider.set_person("ada", email="ada@example.org", email_verified=True, groups=[])
    browser, response = start_login(live_app)
    back = through_provider(browser, response, provider, "ada")
    callback = urlsplit(back.headers["Location"])
    query = parse_qs(callback.query)
    assert query["code"] and query["state"]
    tampered = {**query, "state": ["x" + query["state"][0][1:]]}
    page = browser.get(urlunsplit(callback._replace(query=urlencode(tampered, doseq=True))))
    assert page.status_code == 400 and "sso_state_mismatch" in page.text
    # The pending login is gone: the genuine answer is no good any more either.
    page = browser.get(back.headers["Location"])
    assert page.status_code == 400 and "sso_no_login_started" in page.text
    assert _user(live_app, "ada@example.org") is None


def test_a_callback_in_another_browser_is_refused(live_app: App, provider: Provider) -> None:
    """Login CSRF: an attacker's own code and state, replayed in the victim's browser."""
    provider.set_person("eve", email="eve@example.org", email_verified=True)
    attacker, response = start_login(live_app)
    back = through_provider(attacker, response, provider, "eve")
    victim = requests.Session()
    page = victim.get(back.headers["Location"])
    assert page.status_code == 400 and "sso_no_login_started" in page.text
    assert _user(live_app, "eve@example.org") is None


def test_groups_change_and_the_role_follows(live_app: App, provider: Provider) -> None:
    provider.set_person("lin", email="lin@example.org", email_verified=True, groups=["sp-mentors"])
    sso_login(live_app, provider, "lin")
    assert _user(live_app, "lin@example.org").role == "mentor"  # type: ignore[union-attr]
    provider.set_person(
        "lin", email="lin@example.org", email_verified=True, groups=["sp-mentors", "sp-admins"]
    )
    sso_login(live_app, provider, "lin")
    assert _user(live_app, "lin@example.org").role == "admin"  # type: ignore[union-attr]
    changes = [d for a, action, d in _actions(live_app) if action == "user.update"]
    assert changes == ['{"role": ["mentor", "admin"]}']
    provider.set_person("lin", email="lin@example.org", email_verified=True, groups=["staff"])
    sso_login(live_app, provider, "lin")
    # No group maps any more, but Lin is the only administrator: the role stays, audited.
    assert _user(live_app, "lin@example.org").role == "admin"  # type: ignore[union-attr]
    assert any(action == "user.sso_role_kept" for _, action, _ in _actions(live_app))
    with live_app.services.session() as db:
        create_user(
            db, email="root@example.org", name="Root", role="admin", password="root of the program"
        )
    _, page = sso_login(live_app, provider, "lin")
    assert urlsplit(page.url).path == "/my/"  # now the default role, learner
    assert _user(live_app, "lin@example.org").role == "learner"  # type: ignore[union-attr]


def test_a_deactivated_user_is_refused(live_app: App, provider: Provider) -> None:
    with live_app.services.session() as db:
        create_user(
            db, email="admin2@example.org", name="A", role="admin", password="second admin on call"
        )
        gone = create_user(db, email="gone@example.org", name="Gone", role="mentor", password=None)
        set_user_active(db, gone, active=False, actor="admin", now=live_app.services.now())
    provider.set_person("gone", email="gone@example.org", email_verified=True)
    browser, page = sso_login(live_app, provider, "gone")
    assert page.status_code == 403
    assert "account_deactivated" in page.text and "This account is deactivated" in page.text
    assert browser.get(f"{live_app.url}/admin/", allow_redirects=False).status_code == 302


def test_cancelling_at_the_provider_is_a_clear_400(live_app: App, provider: Provider) -> None:
    provider.set_person("ada", email="ada@example.org", email_verified=True)
    browser, response = start_login(live_app)
    form = browser.get(response.headers["Location"])  # the provider's login form
    abort = form.url.rstrip("/") + "/abort"
    page = browser.get(abort)  # the provider answers error=access_denied to our callback
    assert page.status_code == 400
    assert "sso_access_denied" in page.text and "cancelled or refused" in page.text


def test_next_is_kept_when_same_site_and_dropped_when_not(
    live_app: App, provider: Provider
) -> None:
    provider.set_person("ada", email="ada@example.org", email_verified=True, groups=[])
    _, page = sso_login(live_app, provider, "ada", next_path="/passport/share")
    assert urlsplit(page.url).path == "/passport/share"
    _, page = sso_login(live_app, provider, "ada", next_path="/\t/evil.example/phish")
    assert urlsplit(page.url).netloc == urlsplit(live_app.url).netloc
    assert urlsplit(page.url).path == "/my/"


def test_password_login_off_refuses_post_login_and_sso_still_works(
    tmp_path: Path, app_port: int, provider: Provider
) -> None:
    settings = app_settings(tmp_path, app_port, provider.issuer, password_login=False)
    for app in serve(settings):
        with app.services.session() as db:
            create_user(
                db,
                email="pw@example.org",
                name="P",
                role="admin",
                password="passwords are off here",
            )
        browser = requests.Session()
        page = browser.get(f"{app.url}/login")
        assert "Sign in with Example SSO" in page.text
        assert 'type="password"' not in page.text
        assert "csrf_token" not in page.text  # no password form at all
        # A POST anyway, with a valid form token from another page: refused all the same.
        csrf = re.search(
            r'name="csrf_token" value="([^"]+)"', browser.get(f"{app.url}/verify").text
        )
        assert csrf is not None
        refused = browser.post(
            f"{app.url}/login",
            data={
                "email": "pw@example.org",
                "password": "passwords are off here",
                "csrf_token": csrf.group(1),
            },
            allow_redirects=False,
        )
        assert refused.status_code == 403 and "password_login_disabled" in refused.text
        assert browser.get(f"{app.url}/admin/", allow_redirects=False).status_code == 302
        provider.set_person("pw", email="pw@example.org", email_verified=True)
        _, page = sso_login(app, provider, "pw")
        assert page.status_code == 200 and urlsplit(page.url).path == "/admin/"
