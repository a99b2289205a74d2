"""The ``hiring_manager`` role (#20).

An administrator makes one like any other account; after signing in a hiring manager lands on
their open roles (``/hiring/roles``), sees nothing of ``/admin`` and no learner's pages, and —
on the verify page, which has no sub-navigation — finds "Log out" in the header. Everything
goes through the browser path, on a real database.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import User
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login, make_user

HIRING = "hana.hire@example.com"


def _sign_in(
    client: FlaskClient, services: Services, email: str = HIRING, role: str = "hiring_manager"
) -> str:
    """Make an account (a hiring manager unless told) and sign in; return where it led."""
    make_user(services, email, role)
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert answer.status_code == 302, answer.data
    return str(answer.headers["Location"])


def _header(page: str) -> str:
    match = re.search(r'<header class="top">.*?</header>', page, flags=re.S)
    assert match is not None
    return match.group(0)


def test_an_admin_creates_a_hiring_manager(client: FlaskClient, services: Services) -> None:
    token = login(client, services, "root@example.com", "admin")
    form = client.get("/admin/users", headers=HTML).data.decode()
    assert '<option value="hiring_manager">Hiring manager</option>' in form
    created = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "Hana@Example.com",
            "name": "Hana",
            "role": "hiring_manager",
            "password": PASSWORD,
        },
    )
    assert created.status_code == 302, created.data
    with services.sessions() as db:
        assert db.scalar(select(User.role).where(User.email == "hana@example.com")) == (
            "hiring_manager"
        )
    listed = client.get("/admin/users?role=hiring_manager", headers=HTML).data.decode()
    assert '<td data-label="E-mail" class="wrap">hana@example.com' in listed
    # the filter by role leaves the administrator out
    assert '<td data-label="E-mail" class="wrap">root@example.com' not in listed
    assert '<td data-label="Role">Hiring manager</td>' in listed


def test_a_hiring_manager_lands_on_open_roles(client: FlaskClient, services: Services) -> None:
    assert _sign_in(client, services).endswith("/hiring/roles")
    assert client.get("/my/account").headers["Location"].endswith("/hiring/roles")
    assert client.get("/verify", headers=HTML).status_code == 200


def test_a_hiring_manager_sees_nothing_of_the_admin_area(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    _sign_in(client, services)
    # every page under /admin that takes no argument, so a new one is covered without a word here
    admin_pages = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and not rule.arguments and "GET" in (rule.methods or ())
    )
    assert len(admin_pages) > 10 and "/admin/outcomes" in admin_pages
    for path in admin_pages:
        assert client.get(path, headers=HTML).status_code == 403, path
    refused = client.post("/admin/users", data={"csrf_token": csrf(client, "/verify")})
    assert refused.status_code == 403 and b"role_forbidden" in refused.data
    # nor a learner's own pages: a hiring manager holds no passport
    for path in ("/my/", "/my/schedule", "/passport"):
        assert client.get(path, headers=HTML).status_code == 403, path


def test_a_hiring_manager_keeps_their_own_account_pages(
    client: FlaskClient, services: Services
) -> None:
    _sign_in(client, services)
    for path in ("/my/preferences", "/my/mfa", "/my/password", "/my/sessions", "/my/notifications"):
        assert client.get(path, headers=HTML).status_code == 200, path


def test_the_header_offers_a_hiring_manager_log_out(
    client: FlaskClient, services: Services
) -> None:
    _sign_in(client, services)
    header = _header(client.get("/verify", headers=HTML).data.decode())
    assert 'href="/verify" aria-current="page">Verify a badge</a>' in header
    assert 'href="/my/account"' in header and "My account" in header
    assert 'action="/logout"' in header and "Log out" in header
    assert "/admin" not in header
    token = csrf(client, "/verify")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "/login" in client.get("/my/account", headers=HTML).headers["Location"]


@pytest.mark.parametrize("role", ["learner", "analyst"])
def test_other_roles_keep_the_header_as_it_was(
    client: FlaskClient, services: Services, role: str
) -> None:
    """Their own pages carry "Log out" in the sub-navigation; the header stays two links."""
    _sign_in(client, services, f"{role}@example.com", role)
    header = _header(client.get("/verify", headers=HTML).data.decode())
    assert 'href="/my/account"' in header
    assert "Log out" not in header
