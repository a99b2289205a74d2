"""Finding 5 (the per-account part): there was no per-account lockout, so a password could be
guessed against one account from many addresses at the full rate limit.

Now failures are counted per account (and per address) in a store every worker shares; after
five, each further attempt waits a doubling delay, answered 429 with ``Retry-After`` without
the password being looked at, and an unknown account is answered exactly like a known one.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from passport.accounts.users import create_user
from passport.services import Services
from passport.web import create_app
from passport.web.context import get_services
from tests.functional.test_admin import csrf

EMAIL = "ada@example.com"
PASSWORD = "analytical engine notes"


def _try(client: FlaskClient, email: str, password: str, address: str) -> tuple[int, str | None]:
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        environ_base={"REMOTE_ADDR": address},
    )
    return answer.status_code, answer.headers.get("Retry-After")


def test_guessing_one_accounts_password_from_many_addresses_is_slowed(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    with services.session() as db:
        create_user(db, email=EMAIL, name="Ada", role="learner", password=PASSWORD)
    # A second worker: its own app object over the same database.
    other = create_app(services.settings).test_client()
    answers = [
        _try(client if n % 2 else other, EMAIL, f"guess number {n}", f"203.0.113.{n}")
        for n in range(6)
    ]
    assert [status for status, _ in answers] == [401] * 6
    status, retry_after = _try(client, EMAIL, PASSWORD, "198.51.100.9")  # even the right one
    assert status == 429 and retry_after == "1"
    page = client.post(
        "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(client)},
        headers={"Accept": "text/html"},
    )
    assert "Too many attempts" in page.data.decode()
    assert page.status_code == 429
    # Unknown accounts are throttled the same way: a 429 says nothing about existence.
    unknown = [_try(other, "nobody@example.com", "x", f"203.0.113.{n}")[0] for n in range(7)]
    assert unknown == [401] * 6 + [429]
    get_services(other.application).engine.dispose()


def _device_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("passport_device", path="/login")
    assert cookie is not None
    assert cookie.http_only and cookie.same_site == "Lax"
    assert cookie.max_age is not None and cookie.max_age >= 180 * 24 * 3600
    return cookie.value


def _with_cookie(client: FlaskClient, email: str, password: str, cookie: str) -> int:
    client.set_cookie("passport_device", cookie, path="/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    return answer.status_code


def test_an_attacker_who_keeps_the_account_locked_does_not_lock_out_its_owner(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    with services.session() as db:
        create_user(db, email=EMAIL, name="Ada", role="learner", password=PASSWORD)
        create_user(db, email="eve@example.com", name="Eve", role="learner", password=PASSWORD)
    # The owner signed in on this laptop before: it holds a device cookie for the account.
    laptop = app.test_client()
    assert _try(laptop, EMAIL, PASSWORD, "198.51.100.7") == (302, None)
    cookie = _device_cookie(laptop)
    # Eve signed in to her own account and copies her device cookie.
    eve = app.test_client()
    assert _try(eve, "eve@example.com", PASSWORD, "192.0.2.66") == (302, None)
    eves_cookie = _device_cookie(eve)
    # The attacker keeps the account locked from many addresses.
    guesses = [_try(client, EMAIL, f"guess {n}", f"203.0.113.{n}")[0] for n in range(6)]
    assert guesses == [401] * 6
    assert _try(app.test_client(), EMAIL, PASSWORD, "198.51.100.7")[0] == 429  # no cookie
    assert _with_cookie(app.test_client(), EMAIL, PASSWORD, eves_cookie) == 429  # not hers
    forged = cookie.rsplit(".", 1)[0] + "." + "0" * 64
    assert _with_cookie(app.test_client(), EMAIL, PASSWORD, forged) == 429
    assert _with_cookie(app.test_client(), EMAIL, PASSWORD, cookie) == 302  # the owner is in
    # A stolen device cookie is throttled on its own key: it cannot guess freely either.
    thief = [_with_cookie(app.test_client(), EMAIL, f"try {n}", cookie) for n in range(6)]
    assert thief == [401] * 6
    assert _with_cookie(app.test_client(), EMAIL, PASSWORD, cookie) == 429
