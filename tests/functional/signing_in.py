"""Accounts and signing in through the log-in form, for page tests of the hiring and learner
pages (issue #20): one password for every account these tests make."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from passport.accounts.users import create_user
from passport.services import Services

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}


def make_user(services: Services, email: str, name: str, role: str = "learner") -> int:
    """An account with :data:`PASSWORD`; its id."""
    with services.session() as db:
        user = create_user(db, email=email, name=name, role=role, password=PASSWORD)
        db.flush()
        return user.id


def csrf(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path`` (which must answer 200)."""
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, (path, page.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    assert match is not None, path
    return match.group(1)


def log_in(client: FlaskClient, email: str, home: str) -> str:
    """Log in through the form; return a CSRF token of the new session, read at ``home``."""
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/login")}
    )
    assert response.status_code == 302, response.data
    return csrf(client, home)
