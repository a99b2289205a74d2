"""The pages that ask a signed-in person for their password again (/my/password, turning the
second factor off on /my/mfa) count wrong answers against the account like a failed login, so a
stolen session cannot guess the password there at full speed: after the allowance, 429 with
``Retry-After``, and the login form of the account is refused too (the same counter).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login
from tests.functional.test_two_factor import _enrol, _next_code

EMAIL = "ada@example.com"
NEW = "a brand new passphrase"


def _change(client: FlaskClient, token: str, current: str) -> tuple[int, str | None, str]:
    answer = client.post(
        "/my/password",
        data={
            "current_password": current,
            "new_password": NEW,
            "confirm_password": NEW,
            "csrf_token": token,
        },
        headers=HTML,
    )
    return answer.status_code, answer.headers.get("Retry-After"), answer.data.decode()


def test_wrong_current_passwords_on_my_password_are_throttled(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    token = login(client, services, EMAIL, "learner")
    answers = [_change(client, token, f"guess number {n}")[:2] for n in range(6)]
    assert answers == [(400, None)] * 6
    status, retry_after, page = _change(client, token, PASSWORD)  # even the right one waits
    assert (status, retry_after) == (429, "1") and "Too many attempts" in page
    other = app.test_client()
    refused = other.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf(other)}
    )
    assert refused.status_code == 429  # the same counter as the login form


def test_wrong_passwords_when_turning_two_factor_off_are_throttled(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    login(client, services, EMAIL, "learner")
    secret, _codes = _enrol(client)
    token = csrf(client, "/my/mfa")

    def turn_off(password: str) -> tuple[int, str | None]:
        answer = client.post(
            "/my/mfa/disable",
            data={"password": password, "code": _next_code(secret), "csrf_token": token},
        )
        return answer.status_code, answer.headers.get("Retry-After")

    assert [turn_off(f"guess number {n}") for n in range(6)] == [(400, None)] * 6
    assert turn_off(PASSWORD) == (429, "1")
