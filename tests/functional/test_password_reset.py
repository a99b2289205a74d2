"""Password reset by an e-mailed one-time link, through a real SMTP server on loopback.

aiosmtpd's Controller runs an SMTP server on a free loopback port; the app is configured with
``PASSPORT_MAIL_URL=smtp://127.0.0.1:<port>``; the page records a notification, the queue runs
in the test the way a worker would, and each test reads the message that arrived and follows
its link like a person would.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import stat
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import PasswordReset
from passport.accounts.reset import request_reset, reset_for
from passport.accounts.users import create_user
from passport.instance.setup import initialise
from passport.jobs.models import Notification
from passport.jobs.queue import queue_for
from passport.services import Services
from passport.settings import Settings
from passport.web.app import create_app
from passport.web.context import get_services
from tests.conftest import fresh_app
from tests.functional.test_admin import HTML, csrf
from tests.loopback import free_port

EMAIL = "ada@example.com"
OLD = "analytical engine notes"
NEW = "a brand new passphrase"


class Inbox:
    """What the SMTP server received (aiosmtpd's handler interface: ``handle_DATA``)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _app(settings: Settings) -> Flask:
    return fresh_app(settings)


def _reopened(settings: Settings) -> Flask:
    """Another app over the database an earlier app of this test filled (new settings)."""
    app = create_app(settings)
    initialise(get_services(app))
    return app


@pytest.fixture
def mail_app(settings: Settings, inbox: tuple[Inbox, int]) -> Iterator[Flask]:
    app = _app(settings.with_overrides(mail_url=f"smtp://127.0.0.1:{inbox[1]}"))
    yield app
    get_services(app).engine.dispose()


def _user(services: Services, *, locale: str | None = None) -> None:
    with services.session() as db:
        user = create_user(db, email=EMAIL, name="Ada", role="learner", password=OLD)
        user.locale = locale


def _ask(client: FlaskClient, address: str = EMAIL) -> str:
    token = csrf(client, "/login/forgot")
    answer = client.post("/login/forgot", data={"email": address, "csrf_token": token})
    assert answer.status_code == 200
    queue_for(get_services(client.application)).run_pending()  # what a worker does
    return answer.data.decode()


def _link(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"http://127\.0\.0\.1:5000(/login/reset/[A-Za-z0-9_-]+)", body.get_content())
    assert match is not None, body.get_content()
    return match.group(1)


def _log_in(client: FlaskClient, password: str) -> int:
    token = csrf(client)
    answer = client.post("/login", data={"email": EMAIL, "password": password, "csrf_token": token})
    return answer.status_code


def test_the_mailed_link_sets_a_new_password_once(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    services = get_services(mail_app)
    _user(services)
    client = mail_app.test_client()
    assert "If an account has this e-mail address" in _ask(client)
    [message] = inbox[0].wait()
    assert message["To"] == EMAIL and message["Subject"] == "Reset your Skill Passport password"
    assert message.get_body(preferencelist=("html",)) is not None
    assert message["List-Unsubscribe"] is None  # not optional mail
    path = _link(message)
    with services.sessions() as db:  # sent by the queue; the link is not kept once sent
        [row] = db.scalars(select(Notification))
        assert (row.kind, row.status) == ("password_reset", "sent")
        assert "secret" not in row.context and path not in row.context
    with services.sessions() as db:  # only the token's hash is stored
        assert path.rsplit("/", 1)[1] not in {
            r.token_hash for r in db.scalars(select(PasswordReset))
        }
    form = client.get(path, headers=HTML)
    assert form.status_code == 200 and "Choose a new password" in form.data.decode()
    token = csrf(client, path)
    differ = client.post(path, data={"password": NEW, "confirm": NEW + "x", "csrf_token": token})
    assert differ.status_code == 400 and "differ" in differ.data.decode()
    weak = client.post(
        path, data={"password": "password1234", "confirm": "password1234", "csrf_token": token}
    )
    assert weak.status_code == 400 and "breached" in weak.data.decode()
    done = client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert _log_in(mail_app.test_client(), OLD) == 401
    assert _log_in(mail_app.test_client(), NEW) == 302
    again = client.get(path, headers=HTML)
    assert again.status_code == 400 and "not valid any more" in again.data.decode()
    token = csrf(client, "/login")
    reuse = client.post(path, data={"password": OLD, "confirm": OLD, "csrf_token": token})
    assert reuse.status_code == 400
    assert _log_in(mail_app.test_client(), NEW) == 302


def test_the_answer_is_the_same_for_an_unknown_address(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    _user(get_services(mail_app))
    client = mail_app.test_client()
    known, unknown = _ask(client), _ask(client, "nobody@example.com")
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert len(inbox[0].wait()) == 1
    time.sleep(0.3)
    assert len(inbox[0].messages) == 1  # nothing went to the unknown address


def test_a_newer_link_and_a_login_void_the_older_ones(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    _user(get_services(mail_app))
    client = mail_app.test_client()
    _ask(client)
    inbox[0].wait(1)  # mail goes out in the background: keep the order certain
    _ask(client)
    first, second = (_link(m) for m in inbox[0].wait(2))
    assert client.get(first, headers=HTML).status_code == 400
    assert client.get(second, headers=HTML).status_code == 200
    assert _log_in(mail_app.test_client(), OLD) == 302  # remembered after all
    assert client.get(second, headers=HTML).status_code == 400


def test_an_expired_link_is_refused(mail_app: Flask, inbox: tuple[Inbox, int]) -> None:
    services = get_services(mail_app)
    _user(services)
    client = mail_app.test_client()
    _ask(client)
    path = _link(inbox[0].wait()[0])
    with services.session() as db:
        for row in db.scalars(select(PasswordReset)):
            row.expires_at = services.now()
    assert client.get(path, headers=HTML).status_code == 400


def test_the_mail_is_in_the_persons_language(mail_app: Flask, inbox: tuple[Inbox, int]) -> None:
    _user(get_services(mail_app), locale="de")
    _ask(mail_app.test_client())
    [message] = inbox[0].wait()
    assert message["Subject"] == "Ihr Skill-Passport-Passwort zurücksetzen"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Hallo Ada" in body.get_content()


def test_reset_requests_are_throttled_per_address(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    _user(get_services(mail_app))
    client = mail_app.test_client()
    for _ in range(4):
        _ask(client)
    token = csrf(client, "/login/forgot")
    refused = client.post("/login/forgot", data={"email": EMAIL, "csrf_token": token})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many attempts" in refused.data.decode()


def test_development_writes_the_outbox_folder_privately(settings: Settings) -> None:
    app = _app(settings)  # env "test", no PASSPORT_MAIL_URL: the outbox
    services = get_services(app)
    _user(services)
    client = app.test_client()
    _ask(client)
    outbox = Path(settings.instance_path) / "outbox"
    deadline = time.monotonic() + 10
    while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.02)
    [written] = list(outbox.glob("*.eml"))
    assert stat.S_IMODE(os.stat(outbox).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert client.get(_link(message), headers=HTML).status_code == 200
    services.engine.dispose()


def test_production_without_mail_says_to_ask_an_admin(settings: Settings) -> None:
    app = _app(settings.with_overrides(env="production"))
    client = app.test_client()
    page = client.get("/login/forgot", headers=HTML)
    assert page.status_code == 200
    assert "not available on this service" in page.data.decode()
    get_services(app).engine.dispose()


def test_an_account_without_a_password_gets_no_link(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    services = get_services(mail_app)
    with services.session() as db:  # signs in only through single sign-on
        create_user(db, email=EMAIL, name="Ada", role="learner", password=None)
    with services.session() as db:
        assert request_reset(db, EMAIL, now=services.now()) is None
    page = _ask(mail_app.test_client())
    assert "If an account has this e-mail address" in page  # the same answer as ever
    time.sleep(0.3)
    assert inbox[0].messages == []
    with services.sessions() as db:
        assert list(db.scalars(select(PasswordReset))) == []


def test_reset_is_not_offered_when_password_login_is_off(
    settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    on = _app(settings.with_overrides(mail_url=f"smtp://127.0.0.1:{inbox[1]}"))
    services = get_services(on)
    _user(services)
    with services.session() as db:  # a link made while passwords still worked
        link = request_reset(db, EMAIL, now=services.now())
        assert link is not None
    services.engine.dispose()
    off = _reopened(
        settings.with_overrides(mail_url=f"smtp://127.0.0.1:{inbox[1]}", password_login=False)
    )
    client = off.test_client()
    for path in ("/login/forgot", f"/login/reset/{link.token}"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert "not available on this service" in page.data.decode(), path
    token = csrf(client, "/verify")  # the login page has no form here
    asked = client.post("/login/forgot", data={"email": EMAIL, "csrf_token": token})
    assert asked.status_code == 403 and "not available on this service" in asked.data.decode()
    done = client.post(
        f"/login/reset/{link.token}", data={"password": NEW, "confirm": NEW, "csrf_token": token}
    )
    assert done.status_code == 403
    time.sleep(0.3)
    assert inbox[0].messages == []
    with get_services(off).session() as db:
        reset_for(db, link.token, now=get_services(off).now())  # unused: nothing was changed
    get_services(off).engine.dispose()


def test_a_completed_reset_lifts_the_accounts_lock(
    mail_app: Flask, inbox: tuple[Inbox, int]
) -> None:
    _user(get_services(mail_app))
    client = mail_app.test_client()
    _ask(client)
    path = _link(inbox[0].wait()[0])
    for n in range(6):  # someone guessing at the old password locks the account
        attacker = mail_app.test_client()
        attacker.post(
            "/login",
            data={"email": EMAIL, "password": f"guess {n}", "csrf_token": csrf(attacker)},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
    assert _log_in(mail_app.test_client(), OLD) == 429
    token = csrf(client, path)
    done = client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": token})
    assert done.status_code == 303
    assert _log_in(mail_app.test_client(), NEW) == 302  # the new password starts afresh
