"""An account an admin makes without a password: the person is mailed a 72-hour link to choose
one (an ``invitation`` notification; the URL travels encrypted and leads to a page that works
for a new account). No invitation when a password is given, or when password login is off."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.invitations import invite_user
from passport.accounts.models import PasswordReset, User
from passport.accounts.users import create_user
from passport.cli import accounts as cli_accounts
from passport.cli.common import cli
from passport.jobs.messages import render
from passport.jobs.models import Notification
from passport.jobs.notify import open_secret
from passport.services import Services
from passport.settings import Settings
from passport.web.context import get_services
from tests.conftest import fresh_app
from tests.functional.test_admin import HTML, csrf, login

NEW = "a long new passphrase"


def _invitations(services: Services) -> list[Notification]:
    with services.session() as session:
        rows = list(session.scalars(select(Notification).where(Notification.kind == "invitation")))
        session.expunge_all()
        return rows


def test_an_account_made_without_a_password_is_invited_to_choose_one(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    with services.session() as session:
        inviter = session.scalar(select(User.name).where(User.email == "root@example.com"))
    made = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "New@Example.com", "name": "Nell", "role": "mentor"},
    )
    assert made.status_code == 302
    listing = client.get("/admin/users", headers=HTML).data.decode()
    assert "link to choose a password" in listing
    [row] = _invitations(services)
    with services.session() as session:
        user = session.scalar(select(User).where(User.email == "new@example.com"))
        assert user is not None and user.password_hash is None
        [reset] = session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id))
        assert reset.expires_at - reset.created_at == timedelta(hours=72)
        user_id, reset_id = user.id, reset.id
    assert row.key.startswith(f"invitation:{user_id}:{reset_id}:")
    assert (row.to, row.user_id) == ("new@example.com", user_id)
    context = json.loads(row.context)
    url = open_secret(services.settings.secret_key, context)
    assert {k: v for k, v in context.items() if k != "secret"} == {
        "inviter_name": inviter,
        "role": "mentor",
        "hours": 72,
    }
    assert url is not None and url.startswith(f"{services.settings.public_url}/login/reset/")
    assert url not in row.context  # only encrypted
    # the link's page works for the new account: it chooses its first password and logs in
    client.post("/logout", data={"csrf_token": csrf(client, "/admin/")})
    path = url.removeprefix(services.settings.public_url)
    assert client.get(path, headers=HTML).status_code == 200
    form_token = csrf(client, path)
    done = client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": form_token})
    assert done.status_code == 303
    answer = client.post(
        "/login",
        data={"email": "new@example.com", "password": NEW, "csrf_token": csrf(client)},
    )
    assert answer.status_code == 302


def test_no_invitation_when_the_admin_gives_a_password(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    made = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "pw@example.com",
            "name": "P",
            "role": "learner",
            "password": NEW,
        },
    )
    assert made.status_code == 302
    assert _invitations(services) == []


def test_a_failed_creation_invites_nobody(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    refused = client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "root@example.com", "name": "R", "role": "learner"},
    )
    assert refused.status_code == 400
    assert _invitations(services) == []


@pytest.mark.parametrize(
    ("role", "named"), [("hiring_manager", "as a hiring manager."), ("analyst", "as an analyst.")]
)
def test_the_invitation_names_every_role(services: Services, role: str, named: str) -> None:
    """Each role has its own words in the mail (none falls back to "a learner")."""
    with services.session() as session:
        user = create_user(session, email="hm@example.com", name="H", role=role, password=None)
        row = invite_user(session, services, user, inviter_name="Ada", now=services.now())
        assert row is not None
        message = render(services, session, row, json.loads(row.context))
    assert message is not None
    assert f"Ada invited you to Skill Passport {named}" in message.text


def test_no_invitation_when_password_login_is_off(settings: Settings) -> None:
    app: Flask = fresh_app(settings.with_overrides(password_login=False))
    services = get_services(app)
    try:
        with services.session() as session:
            user = create_user(
                session, email="sso@example.com", name="S", role="learner", password=None
            )
            assert (
                invite_user(session, services, user, inviter_name="A", now=services.now()) is None
            )
            assert session.scalars(select(PasswordReset)).all() == []
        assert _invitations(services) == []
    finally:
        services.engine.dispose()


def test_the_cli_invites_on_request(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_accounts, "load_services", lambda: services)
    runner = CliRunner()
    args = ["users", "create", "--email", "cli@example.com", "--role", "assessor", "--invite"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "invitation to choose a password queued for cli@example.com" in result.output
    [row] = _invitations(services)
    assert row.to == "cli@example.com"
    both = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--email",
            "x@example.com",
            "--role",
            "learner",
            "--invite",
            "--password",
            NEW,
        ],
    )
    assert both.exit_code == 2
    assert len(_invitations(services)) == 1
