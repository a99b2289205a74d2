"""Finding 2: sessions survived logout (signed cookies, no server state), and nothing could cut
a departed person off. Now a session is a server-side record behind an opaque id: logout removes
it, and a role change, deactivation and a password change end the person's other sessions."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from passport.accounts.sessions import Timeouts, user_sessions
from passport.accounts.users import (
    change_password,
    set_user_active,
    update_user,
    user_by_email,
)
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, make_user

COOKIE = "passport"  # the development name (secure mode: __Host-passport)


def _sign_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302, response.data
    return client


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _opens_passport(client: FlaskClient) -> bool:
    response = client.get("/passport", headers=HTML)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    return False


def test_a_cookie_copied_before_logout_opens_nothing_after_it(
    app: Flask, services: Services
) -> None:
    make_user(services, "leaver@example.org", "learner")
    victim = _sign_in(app, "leaver@example.org")
    thief = _copy(app, victim)
    assert _opens_passport(thief)  # the copy works while the session lives
    token = csrf(victim, "/my/")
    assert victim.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _opens_passport(thief)
    assert thief.get("/passport", headers={"Accept": "application/json"}).status_code == 401
    assert not _opens_passport(victim)


def test_role_change_deactivation_and_password_change_end_other_sessions(
    app: Flask, services: Services
) -> None:
    make_user(services, "someone@example.org", "assessor")

    def still_in(client: FlaskClient) -> bool:
        response = client.get("/my/preferences", headers=HTML)  # any role may open it
        assert response.status_code in (200, 302)
        return response.status_code == 200

    def stored_sessions() -> int:
        with services.session() as db:
            user = user_by_email(db, "someone@example.org")
            return len(user_sessions(db, user.id, now=services.now(), timeouts=timeouts))

    timeouts = Timeouts.from_settings(services.settings)

    # role change
    browser = _sign_in(app, "someone@example.org")
    assert still_in(browser)
    with services.session() as db:
        user = user_by_email(db, "someone@example.org")
        update_user(
            db, user, email=user.email, name=user.name, role="mentor", actor="t", now=services.now()
        )
    assert not still_in(browser)
    assert stored_sessions() == 0

    # password change: the session it is made in stays, the others end
    laptop, phone = _sign_in(app, "someone@example.org"), _sign_in(app, "someone@example.org")
    kept = laptop.get_cookie(COOKIE)
    assert kept is not None
    with services.session() as db:
        change_password(
            db,
            user_by_email(db, "someone@example.org"),
            "a much longer new passphrase",
            actor="t",
            now=services.now(),
            keep_session=kept.value,
        )
    assert stored_sessions() == 1
    assert still_in(laptop)
    assert not still_in(phone)

    # deactivation
    with services.session() as db:
        set_user_active(
            db,
            user_by_email(db, "someone@example.org"),
            active=False,
            actor="t",
            now=services.now(),
        )
    assert stored_sessions() == 0
    assert not still_in(laptop)
