"""Revoking a share link asks first: it cannot be undone and deletes what the link showed.

``GET /passport/shares/<id>/revoke`` says what revoking does and changes nothing; the POST
(with the CSRF token) revokes, as before. Another holder's link answers 404 like an unknown one.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from passport.services import Services
from tests.functional.test_passport_pages import HTML, log_in, make_learner, seed_two_learners

ADA = "ada@example.com"


def make_link(client: FlaskClient, token: str, credential_id: str) -> int:
    client.post(
        "/passport/shares",
        data={"csrf_token": token, "credential": credential_id, "days": "30", "audience": "Acme"},
    )
    listing = client.get("/passport/shares", headers=HTML).data.decode()
    found = re.search(r'href="/passport/shares/(\d+)/revoke"', listing)
    assert found is not None, "the list offers a revoke link, not a one-click button"
    return int(found.group(1))


def test_revoke_asks_first_then_revokes(client: FlaskClient, services: Services) -> None:
    learners = seed_two_learners(services)
    token = log_in(client, ADA)
    link_id = make_link(client, token, learners[ADA][0].id)

    page = client.get(f"/passport/shares/{link_id}/revoke", headers=HTML)
    assert page.status_code == 200
    text = page.data.decode()
    assert "This cannot be undone" in text and "Acme" in text
    assert f'action="/passport/shares/{link_id}/revoke"' in text
    # asking changed nothing: the link is still live
    assert (
        'class="pill bad">revoked' not in client.get("/passport/shares", headers=HTML).data.decode()
    )

    done = client.post(f"/passport/shares/{link_id}/revoke", data={"csrf_token": token})
    assert done.status_code == 302
    listing = client.get("/passport/shares", headers=HTML).data.decode()
    assert 'class="pill bad">revoked' in listing
    again = client.get(f"/passport/shares/{link_id}/revoke", headers=HTML).data.decode()
    assert "already revoked" in again and '<form method="post"' not in again


def test_another_holders_link_is_not_found(client: FlaskClient, services: Services) -> None:
    learners = seed_two_learners(services)
    token = log_in(client, ADA)
    link_id = make_link(client, token, learners[ADA][0].id)
    client.post("/logout", data={"csrf_token": token})
    make_learner(services, "cy@example.com")
    log_in(client, "cy@example.com")
    assert client.get(f"/passport/shares/{link_id}/revoke", headers=HTML).status_code == 404
    assert client.get("/passport/shares/999999/revoke", headers=HTML).status_code == 404
