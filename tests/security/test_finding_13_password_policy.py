"""Finding 13: the password policy was only "10 characters" (``aaaaaaaaaa`` was accepted).

Now NIST SP 800-63B: at least 12 characters, not on the shipped list of common and breached
passwords, not the e-mail, its local part or the name; no composition rules. Checked where a
password is set (the use cases, the admin form) and shown that an old, shorter password still
logs in.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import User
from passport.accounts.passwords import check_new_password, hash_password
from passport.accounts.users import create_user, update_user
from passport.errors import InvalidRequest
from passport.services import Services
from tests.functional.test_admin import HTML, csrf, login

EMAIL = "grace.hopper@example.com"
NAME = "Grace Hopper"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "at least 12 characters"),  # the reproduced one
        ("aaaaaaaaaaaa", "repeated"),  # long enough, still trivial
        ("password1234", "common and breached"),  # 12 characters, on the breach list
        ("Qwerty123456", "common and breached"),  # lookups are case-insensitive
        (EMAIL, "e-mail address or your name"),
        ("Grace.Hopper", "e-mail address or your name"),  # the local part
        ("grace hopper", "e-mail address or your name"),  # the name (12 characters)
        ("１２３４５６７８９０１２", "plain run"),  # full-width digits: NFKC first
    ],
)
def test_weak_passwords_are_refused_everywhere_a_password_is_set(
    services: Services, password: str, why: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_new_password(password, email=EMAIL, name=NAME)
    assert refused.value.code == "weak_password" and why in refused.value.message
    with services.session() as db, pytest.raises(InvalidRequest, match=why):
        create_user(db, email=EMAIL, name=NAME, role="learner", password=password)
    with services.session() as db:
        user = create_user(db, email=EMAIL, name=NAME, role="learner", password=None)
        with pytest.raises(InvalidRequest, match=why):
            update_user(
                db,
                user,
                email=EMAIL,
                name=NAME,
                role="learner",
                actor="test",
                now=services.now(),
                password=password,
            )
        db.rollback()


def test_a_good_passphrase_is_accepted_without_composition_rules(services: Services) -> None:
    # lower case letters and spaces only: NIST asks for length, not character classes
    check_new_password("plum tree by the old mill", email=EMAIL, name=NAME)
    with services.session() as db:
        create_user(
            db, email=EMAIL, name=NAME, role="learner", password="plum tree by the old mill"
        )


def test_the_admin_form_refuses_a_breached_password(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "root@example.com", "admin")
    form = {"csrf_token": token, "email": EMAIL, "name": NAME, "role": "learner"}
    refused = client.post("/admin/users", data={**form, "password": "password1234"}, headers=HTML)
    assert refused.status_code == 400
    assert "common and breached passwords" in refused.data.decode()
    german = client.post(
        "/admin/users?lang=de", data={**form, "password": "aaaaaaaaaa"}, headers=HTML
    )
    assert german.status_code == 400 and "mindestens 12 Zeichen" in german.data.decode()


def test_an_existing_shorter_password_still_logs_in(
    client: FlaskClient, services: Services
) -> None:
    with services.session() as db:
        user = create_user(db, email=EMAIL, name=NAME, role="learner", password=None)
        user.password_hash = hash_password("ten chars!")  # set before the policy existed
    answer = client.post(
        "/login", data={"email": EMAIL, "password": "ten chars!", "csrf_token": csrf(client)}
    )
    assert answer.status_code == 302
    with services.session() as db:
        assert db.scalar(select(User).where(User.email == EMAIL)) is not None
