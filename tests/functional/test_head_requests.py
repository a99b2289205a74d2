"""HEAD asks for a page's headers: it must never run the view's POST branch.

Flask answers HEAD with the GET view; views that serve GET and POST used to test for
``method == "GET"`` and so treated HEAD as a form submission (HEAD /login answered 401 and wrote a
``login.failed`` audit event; HEAD /verify answered 415).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.audit import AuditEvent
from passport.services import Services
from tests.functional.test_admin import HTML, PASSWORD, csrf, login


def _audit_count(services: Services) -> int:
    with services.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_head_of_public_pages_is_their_get(client: FlaskClient, services: Services) -> None:
    before = _audit_count(services)
    for path in ("/login", "/verify"):
        got = client.get(path, headers=HTML)
        head = client.head(path, headers=HTML)
        assert head.status_code == got.status_code == 200, path
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
        assert head.data == b""
    assert _audit_count(services) == before  # no login.failed for a HEAD


def test_head_of_admin_forms_is_their_get(client: FlaskClient, services: Services) -> None:
    login(client, services, "head-admin@example.com", "admin")
    for path in ("/admin/cohorts/new", "/admin/catalog/import"):
        assert client.head(path, headers=HTML).status_code == 200, path


def test_a_failed_login_keeps_the_email_and_speaks_german(client: FlaskClient) -> None:
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf(client, "/login"),
            "email": "someone@example.com",
            "password": "wrong",
        },
        headers={**HTML, "Accept-Language": "de"},
    )
    assert answer.status_code == 401
    page = answer.data.decode()
    assert "E-Mail-Adresse und Passwort passen nicht zusammen." in page
    assert 'value="someone@example.com"' in page


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", " /x", "/a b"],
)
def test_login_never_follows_next_off_site(
    client: FlaskClient, services: Services, target: str
) -> None:
    """A tab or line break that a browser drops would turn ``/\\t/evil`` into ``//evil``."""
    from passport.web.sessions import safe_next

    assert safe_next(target) is None
    login(client, services, "next-admin@example.com", "admin")  # makes the user
    client.post("/logout", data={"csrf_token": csrf(client, "/login")})
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf(client, "/login"),
            "email": "next-admin@example.com",
            "password": PASSWORD,
            "next": target,
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"


def test_login_follows_a_same_site_next() -> None:
    from passport.web.sessions import safe_next

    assert safe_next("/passport/shares?x=1") == "/passport/shares?x=1"
