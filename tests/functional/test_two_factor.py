"""Two-factor sign-in with TOTP: enrol on /my/mfa, sign in through /login/mfa, recovery codes,
turning it off, and administrators made to enrol by PASSPORT_REQUIRE_MFA_ADMIN."""

from __future__ import annotations

import re
import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import RecoveryCode, User
from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login, make_user

EMAIL = "ada@example.com"


def _enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn TOTP on through the page; returns the secret and the recovery codes shown."""
    page = client.get("/my/mfa", headers=HTML)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.data.decode()
    assert 'src="/my/mfa/qr.svg"' in text  # same-origin, not a URL from data in the page
    picture = client.get("/my/mfa/qr.svg")
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
    assert picture.headers["Cache-Control"] == "no-store" and b"<svg" in picture.data
    shown = re.search(r'<code class="secret"[^>]*>([^<]+)</code>', text)
    assert shown is not None
    secret = "".join(shown.group(1).split())
    token = csrf(client, "/my/mfa")
    wrong = client.post("/my/mfa/enable", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400 and "not right" in wrong.data.decode()
    done = client.post(
        "/my/mfa/enable", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", done.data.decode())
    assert len(codes) == 10
    return secret, codes


def _password(client: FlaskClient, email: str = EMAIL) -> str:
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/login/mfa"
    return csrf(client, "/login/mfa")


def _code(client: FlaskClient, token: str, code: str) -> int:
    return client.post("/login/mfa", data={"code": code, "csrf_token": token}).status_code


def _next_code(secret: str) -> str:
    """The code of the next time step (accepted for clock drift): the current step's code was
    used up by the enrolment, and a code works once."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/my/mfa", headers=HTML).status_code == 200


def test_enrol_then_sign_in_with_a_code_once(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    login(client, services, EMAIL, "learner")
    secret, _codes = _enrol(client)
    with services.sessions() as db:
        user = db.scalar(select(User).where(User.email == EMAIL))
        assert user is not None and user.totp_secret is not None
        assert secret not in user.totp_secret  # stored encrypted
    fresh = app.test_client()
    token = _password(fresh)
    assert fresh.get("/my/mfa", headers=HTML).status_code == 302  # not signed in yet
    assert _code(fresh, token, "123456") == 401
    assert _code(fresh, token, pyotp.TOTP(secret).now()) == 401  # used by the enrolment
    code = _next_code(secret)
    assert _code(fresh, token, code) == 302
    assert _signed_in(fresh)
    again = app.test_client()  # the same code a second time: refused (RFC 6238 §5.2)
    assert _code(again, _password(again), code) == 401


def test_a_recovery_code_works_once(app: Flask, client: FlaskClient, services: Services) -> None:
    login(client, services, EMAIL, "learner")
    _secret, codes = _enrol(client)
    first = app.test_client()
    assert _code(first, _password(first), codes[0].upper()) == 302
    second = app.test_client()
    assert _code(second, _password(second), codes[0]) == 401
    with services.sessions() as db:
        stored = {row.code_hash for row in db.scalars(select(RecoveryCode))}
        assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)


def test_the_code_form_is_throttled(app: Flask, client: FlaskClient, services: Services) -> None:
    login(client, services, EMAIL, "learner")
    secret, _codes = _enrol(client)
    fresh = app.test_client()
    token = _password(fresh)
    assert [_code(fresh, token, "000000") for _ in range(6)] == [401] * 6
    refused = fresh.post("/login/mfa", data={"code": _next_code(secret), "csrf_token": token})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"


def test_turning_it_off_needs_the_password_and_a_code(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    login(client, services, EMAIL, "learner")
    secret, _codes = _enrol(client)
    token = csrf(client, "/my/mfa")
    wrong = client.post(
        "/my/mfa/disable",
        data={"password": "not it at all", "code": _next_code(secret), "csrf_token": token},
    )
    assert wrong.status_code == 400 and "not your current password" in wrong.data.decode()
    # the code above was not used up: the password is checked first
    off = client.post(
        "/my/mfa/disable",
        data={"password": PASSWORD, "code": _next_code(secret), "csrf_token": token},
    )
    assert off.status_code == 303
    plain = app.test_client()
    answer = plain.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(plain)}
    )
    assert answer.status_code == 302


def test_the_pages_are_in_german(app: Flask, client: FlaskClient, services: Services) -> None:
    login(client, services, EMAIL, "learner")
    page = client.get("/my/mfa?lang=de", headers=HTML).data.decode()
    assert "Zwei-Faktor-Anmeldung" in page and "Authenticator-App" in page


def test_admins_must_enrol_first_when_required(settings: Settings) -> None:
    app = create_app(settings.with_overrides(require_mfa_admin=True))
    services = get_services(app)
    initialise(services)
    client = app.test_client()
    make_user(services, "root@example.com", "admin")
    answer = client.post(
        "/login",
        data={"email": "root@example.com", "password": PASSWORD, "csrf_token": csrf(client)},
    )
    assert answer.status_code == 302
    for path in ("/admin/", "/admin/users", "/passport", "/my/preferences"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 303 and page.headers["Location"] == "/my/mfa", path
    token = csrf(client, "/my/mfa")
    refused = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "x@example.com", "name": "X", "role": "learner"},
        headers=HTML,
    )
    assert refused.status_code == 403
    _enrol(client)
    assert client.get("/admin/", headers=HTML).status_code == 200
    services.engine.dispose()


def test_an_admin_turns_a_lost_second_factor_off(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    login(client, services, EMAIL, "learner")
    _enrol(client)
    admin = app.test_client()
    token = login(admin, services, "root@example.com", "admin")
    with services.sessions() as db:
        user = db.scalar(select(User).where(User.email == EMAIL))
        assert user is not None
        user_id = user.id
    page = admin.get(f"/admin/users/{user_id}", headers=HTML).data.decode()
    assert "Turn off two-factor sign-in for" in page
    off = admin.post(f"/admin/users/{user_id}/mfa-off", data={"csrf_token": token})
    assert off.status_code == 302
    plain = app.test_client()
    answer = plain.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(plain)}
    )
    assert answer.status_code == 302 and answer.headers["Location"] != "/login/mfa"


def test_new_recovery_codes_replace_the_old_ones(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    login(client, services, EMAIL, "learner")
    secret, old = _enrol(client)
    token = csrf(client, "/my/mfa")
    wrong = client.post("/my/mfa/recovery-codes", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400
    renewed = client.post(
        "/my/mfa/recovery-codes", data={"code": _next_code(secret), "csrf_token": token}
    )
    assert renewed.status_code == 200 and renewed.headers["Cache-Control"] == "no-store"
    new = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", renewed.data.decode())
    assert len(new) == 10 and not set(new) & set(old)
    stale = app.test_client()
    assert _code(stale, _password(stale), old[1]) == 401
    fresh = app.test_client()
    assert _code(fresh, _password(fresh), new[1]) == 302
