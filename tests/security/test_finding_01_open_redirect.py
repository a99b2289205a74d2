"""Finding 1: open redirect after login.

Reproduced: ``GET /login?next=/%09/evil.example/phish`` and logging in answered
``302 Location: //evil.example/phish`` (the browser drops the tab), and ``next=/\\n/evil.example``
gave a 500. Now every off-site or unparsable ``next`` sends the user to their default page.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from passport.services import Services
from passport.web.sessions import safe_next
from tests.functional.test_admin import PASSWORD, csrf, make_user

ATTACKS = [
    "/%09/evil.example/phish",  # the reproduced one: a tab the browser drops
    "/%0A/evil.example",  # the 500
    "/%0D%0A/evil.example",
    "//evil.example/phish",
    "/\\evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "http:evil.example",
    "%2F%2Fevil.example",
    "/%00/evil.example",
    "/%C2%85/evil.example",  # NEL, a C1 control character
    "evil.example/phish",
    "///evil.example",
]


@pytest.mark.parametrize("encoded", ATTACKS)
def test_login_with_an_off_site_next_goes_to_the_default_page(
    client: FlaskClient, services: Services, encoded: str
) -> None:
    make_user(services, "redirect-admin@example.com", "admin")
    page = client.get(f"/login?next={encoded}")
    assert page.status_code == 200
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf(client, "/login"),
            "email": "redirect-admin@example.com",
            "password": PASSWORD,
            "next": unquote(encoded),  # what the login form carries back
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"
    assert safe_next(unquote(encoded)) is None


@pytest.mark.parametrize("target", ["/passport", "/admin/users?page=2", "/p/abc#x", "/a//b"])
def test_a_same_origin_path_is_still_followed(target: str) -> None:
    assert safe_next(target) == target
