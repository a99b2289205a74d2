"""Single sign-on does not skip a second factor the person turned on here.

The provider vouches for the first factor only. A user with TOTP who signs in through the real
provider lands on /login/mfa, is not logged in until a code is given, and is then logged in as
``oidc+totp``; an account without a password (single sign-on only) turns TOTP off with a code.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyotp
import requests
from sqlalchemy import select

from passport.accounts.mfa import enable_totp, new_secret
from passport.accounts.models import User, UserSession
from passport.accounts.users import create_user
from tests.oidc.conftest import App, Provider, sso_login

EMAIL = "ada@example.org"


def _enrolled_sso_user(app: App, *, password: str | None) -> tuple[str, list[str]]:
    """An account with TOTP on (the secret and its recovery codes)."""
    secret = new_secret()
    now = app.services.now()
    with app.services.session() as db:
        user = create_user(db, email=EMAIL, name="Ada", role="learner", password=password)
        codes = enable_totp(
            db,
            user,
            secret,
            pyotp.TOTP(secret).at(now),
            now=now,
            secret_key=app.services.settings.secret_key,
        )
    return secret, codes


def _csrf(page: requests.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None, page.text[:300]
    return match.group(1)


def _signed_in(app: App, browser: requests.Session) -> bool:
    answer = browser.get(f"{app.url}/my/sessions", allow_redirects=False)
    return answer.status_code == 200


def test_sso_login_of_a_user_with_totp_asks_for_the_code(live_app: App, provider: Provider) -> None:
    secret, _codes = _enrolled_sso_user(live_app, password="a long enough password")
    provider.set_person("ada", email=EMAIL, email_verified=True, name="Ada")
    browser, page = sso_login(live_app, provider, "ada", next_path="/my/sessions")
    assert page.status_code == 200 and urlsplit(page.url).path == "/login/mfa"
    assert not _signed_in(live_app, browser)
    token = _csrf(page)
    wrong = browser.post(f"{live_app.url}/login/mfa", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401 and not _signed_in(live_app, browser)
    code = pyotp.TOTP(secret).at(live_app.services.now().timestamp() + 30)
    done = browser.post(
        f"{live_app.url}/login/mfa",
        data={"code": code, "csrf_token": token},
        allow_redirects=False,
    )
    assert done.status_code == 302 and done.headers["Location"] == "/my/sessions"
    sessions = browser.get(f"{live_app.url}/my/sessions")
    assert sessions.status_code == 200
    assert "single sign-on and authenticator code" in sessions.text
    with live_app.services.sessions() as db:
        methods = [row.method for row in db.scalars(select(UserSession)) if row.user_id]
    assert methods == ["oidc+totp"]


def test_an_sso_only_account_turns_totp_off_with_a_code_alone(
    live_app: App, provider: Provider
) -> None:
    _secret, codes = _enrolled_sso_user(live_app, password=None)
    provider.set_person("ada", email=EMAIL, email_verified=True, name="Ada")
    browser, page = sso_login(live_app, provider, "ada")
    assert urlsplit(page.url).path == "/login/mfa"
    done = browser.post(
        f"{live_app.url}/login/mfa",
        data={"code": codes[0], "csrf_token": _csrf(page)},
        allow_redirects=False,
    )
    assert done.status_code == 302
    with live_app.services.sessions() as db:
        methods = [row.method for row in db.scalars(select(UserSession)) if row.user_id]
    assert methods == ["oidc+recovery_code"]
    mfa = browser.get(f"{live_app.url}/my/mfa")
    assert mfa.status_code == 200
    assert 'name="password"' not in mfa.text and "a code is enough" in mfa.text
    off = browser.post(
        f"{live_app.url}/my/mfa/disable",
        data={"code": codes[1], "csrf_token": _csrf(mfa)},
        allow_redirects=False,
    )
    assert off.status_code == 303
    with live_app.services.sessions() as db:
        user = db.scalar(select(User).where(User.email == EMAIL))
        assert user is not None and user.totp_secret is None
    # Off now: single sign-on alone logs in again.
    fresh, again = sso_login(live_app, provider, "ada")
    assert again.status_code == 200 and urlsplit(again.url).path == "/my/"
    assert _signed_in(live_app, fresh)
