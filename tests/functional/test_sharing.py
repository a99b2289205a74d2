"""Share links: create, open logged out (badges verified), view log, revoke, expire, forge.

The holder side goes through the browser path (forms with CSRF tokens); the public side is a
fresh client with no session. Expiry is tested by moving the service clock, not by patching.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.audit import AuditEvent
from passport.credentials.models import IssuedCredential
from passport.errors import ShareLinkExpired
from passport.services import Services
from passport.sharing.links import hash_token, open_share_link
from passport.sharing.models import ShareLink, ShareLinkCredential, ShareLinkView
from tests.conftest import PUBLIC_URL
from tests.functional.test_passport_pages import (
    ADA,
    BO,
    HTML,
    decode_qr,
    log_in,
    seed_two_learners,
)

FORGED = "A" * 43


def share(
    client: FlaskClient,
    token: str,
    ids: list[str],
    *,
    audience: str = "Globex — SRE interview",
    days: str = "90",
) -> tuple[int, str]:
    """Post the share form; return (status, the page)."""
    response = client.post(
        "/passport/shares",
        data={"csrf_token": token, "credential": ids, "audience": audience, "days": days},
        headers=HTML,
    )
    return response.status_code, response.data.decode()


def link_url(page: str) -> str:
    match = re.search(r'id="share-url" class="pp-share-url" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/p/")
    return url[len(PUBLIC_URL) :]


def count(services: Services, model: type) -> int:
    with services.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def two_learners(services: Services) -> dict[str, list[IssuedCredential]]:
    return seed_two_learners(services)


@pytest.fixture
def shared(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> tuple[str, str, list[IssuedCredential]]:
    """Ada shares all three of her badges (one revoked); returns (csrf token, path, badges)."""
    token = log_in(client, ADA)
    badges = two_learners[ADA]
    status, page = share(client, token, [b.id for b in badges])
    assert status == 201, page
    return token, path_of(link_url(page)), badges


def test_create_shows_the_link_once_and_stores_only_its_hash(
    client: FlaskClient, services: Services, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, path, badges = shared
    secret = path.rsplit("/", 1)[1]
    assert len(secret) == 43
    with services.session() as db:
        link = db.scalars(select(ShareLink)).one()
        assert link.token_hash == hash_token(secret) and secret not in link.token_hash
        assert link.audience == "Globex — SRE interview"
        assert link.expires_at - link.created_at == timedelta(days=90)
        assert {c.credential_id for c in link.credentials} == {b.id for b in badges}
    # the list of links never shows the token again
    assert secret not in client.get("/passport/shares", headers=HTML).data.decode()


def test_shared_page_verifies_each_badge_for_a_logged_out_visitor(
    app: Flask, services: Services, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, path, badges = shared
    visitor = app.test_client()
    response = visitor.get(path, headers={**HTML, "User-Agent": "Recruiter/1.0 (test)"})
    assert response.status_code == 200
    page = response.data.decode()
    assert "Ada Lovelace" in page and "Globex — SRE interview" in page
    assert "This link works until" in page and "(90 days from now)" in page
    # two good badges verify; the revoked one is shown, marked, and does not verify
    assert page.count("pp-verdict ok") == 2
    assert page.count("pp-verdict bad") == 1
    assert ">Revoked<" in page
    for badge in badges:
        assert f'href="/credentials/{badge.id}"' in page
        assert f'href="/credentials/{badge.id}/badge.png"' in page
        assert f'href="/credentials/{badge.id}/badge.svg"' in page
    assert "bo@example.com" not in page and "ada@example.com" not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]
    with services.session() as db:
        view = db.scalars(select(ShareLinkView)).one()
        assert view.user_agent == "Recruiter/1.0 (test)"


def test_holder_sees_view_counts_and_the_view_log(
    app: Flask,
    client: FlaskClient,
    services: Services,
    shared: tuple[str, str, list[IssuedCredential]],
) -> None:
    _, path, _ = shared
    for agent in ("Browser A", "Browser B"):
        assert app.test_client().get(path, headers={"User-Agent": agent}).status_code == 200
    app.test_client().get(path + "/qr.svg")  # the QR code is not a view
    listing = client.get("/passport/shares", headers=HTML).data.decode()
    assert "2 views" in listing
    with services.session() as db:
        link_id = db.scalars(select(ShareLink.id)).one()
    log = client.get(f"/passport/shares/{link_id}", headers=HTML).data.decode()
    assert "Browser A" in log and "Browser B" in log


def test_revoke_deletes_the_data_and_keeps_a_tombstone(
    app: Flask,
    client: FlaskClient,
    services: Services,
    shared: tuple[str, str, list[IssuedCredential]],
) -> None:
    token, path, _ = shared
    app.test_client().get(path)
    with services.session() as db:
        link_id = db.scalars(select(ShareLink.id)).one()
    response = client.post(f"/passport/shares/{link_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    with services.session() as db:
        link = db.scalars(select(ShareLink)).one()
        assert link.revoked_at is not None and link.audience is None
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "share.revoke")
            )
            == 1
        )
    assert count(services, ShareLinkCredential) == 0
    assert count(services, ShareLinkView) == 0
    gone = app.test_client().get(path, headers=HTML)
    assert gone.status_code == 410
    assert "revoked" in gone.data.decode()
    assert app.test_client().get(path + "/qr.png").status_code == 410
    assert count(services, ShareLinkView) == 0  # a dead link records no views
    listing = client.get("/passport/shares", headers=HTML).data.decode()
    assert "revoked" in listing and "Globex" not in listing


def test_expired_link_says_so(
    app: Flask, services: Services, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, path, _ = shared
    secret = path.rsplit("/", 1)[1]
    with services.session() as db:
        link = db.scalars(select(ShareLink)).one()
        # the clock is passed in: the last instant before expiry opens, expiry itself does not
        assert open_share_link(db, secret, now=link.expires_at - timedelta(microseconds=1))
        with pytest.raises(ShareLinkExpired):
            open_share_link(db, secret, now=link.expires_at)
        link.expires_at = services.now() - timedelta(seconds=1)
    response = app.test_client().get(path, headers=HTML)
    assert response.status_code == 410
    assert "expired on" in response.data.decode()
    as_json = app.test_client().get(path, headers={"Accept": "application/json"})
    assert as_json.status_code == 410
    assert as_json.get_json()["error"]["code"] == "share_link_expired"
    assert count(services, ShareLinkView) == 0


@pytest.mark.parametrize(
    ("suffix", "status"),
    [
        (FORGED, 404),  # well-formed, never issued
        ("not-a-token", 404),  # malformed
        (FORGED + "A", 404),  # too long
        ("%00" * 10, 404),
    ],
)
def test_forged_tokens_are_not_found(
    app: Flask,
    services: Services,
    shared: tuple[str, str, list[IssuedCredential]],
    suffix: str,
    status: int,
) -> None:
    for path in (f"/p/{suffix}", f"/p/{suffix}/qr.png"):
        response = app.test_client().get(path, headers=HTML)
        assert response.status_code == status
        assert "Ada" not in response.data.decode()
    assert count(services, ShareLinkView) == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"credential": ["{bo}"]}, "not one of yours"),
        ({"credential": ["{ada}", "{bo}"]}, "not one of yours"),
        ({"credential": ["urn:uuid:00000000-0000-4000-8000-000000000000"]}, "not one of yours"),
        ({"credential": []}, "Choose at least one badge"),
        ({"credential": ["{ada}"], "days": "366"}, "between 1 and 365 days"),
        ({"credential": ["{ada}"], "days": "0"}, "between 1 and 365 days"),
        ({"credential": ["{ada}"], "days": "ninety"}, "how many days"),
        ({"credential": ["{ada}"], "audience": "x" * 501}, "500 characters"),
    ],
)
def test_bad_share_forms_are_refused_and_create_nothing(
    client: FlaskClient,
    services: Services,
    two_learners: dict[str, list[IssuedCredential]],
    form: dict[str, object],
    message: str,
) -> None:
    token = log_in(client, ADA)
    ids = {"ada": two_learners[ADA][0].id, "bo": two_learners[BO][0].id}
    data = {
        "csrf_token": token,
        "audience": "",
        "days": "90",
        **form,
        "credential": [c.format(**ids) for c in form["credential"]],  # type: ignore[attr-defined]
    }
    response = client.post("/passport/shares", data=data, headers=HTML)
    assert response.status_code == 400
    assert message in response.data.decode()
    assert count(services, ShareLink) == 0
    assert count(services, ShareLinkCredential) == 0


def test_forms_without_csrf_are_refused(
    client: FlaskClient, services: Services, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, _, badges = shared
    with services.session() as db:
        link_id = db.scalars(select(ShareLink.id)).one()
    no_token = client.post("/passport/shares", data={"credential": [badges[0].id]}, headers=HTML)
    assert no_token.status_code == 403
    wrong = client.post(
        f"/passport/shares/{link_id}/revoke", data={"csrf_token": "forged"}, headers=HTML
    )
    assert wrong.status_code == 403
    assert count(services, ShareLink) == 1
    with services.session() as db:
        assert db.scalars(select(ShareLink)).one().revoked_at is None


def test_another_learners_link_cannot_be_seen_or_revoked(
    app: Flask, services: Services, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, path, _ = shared
    with services.session() as db:
        link_id = db.scalars(select(ShareLink.id)).one()
    bo = app.test_client()
    bo_token = log_in(bo, BO)
    own_unknown = bo.get("/passport/shares/999999", headers=HTML)
    others = bo.get(f"/passport/shares/{link_id}", headers=HTML)
    assert others.status_code == own_unknown.status_code == 404
    assert others.data == own_unknown.data
    revoke = bo.post(f"/passport/shares/{link_id}/revoke", data={"csrf_token": bo_token})
    assert revoke.status_code == 404
    assert app.test_client().get(path).status_code == 200  # still live
    assert "Globex" not in bo.get("/passport/shares", headers=HTML).data.decode()


def test_share_link_qr_code_decodes_to_the_link(
    app: Flask, shared: tuple[str, str, list[IssuedCredential]]
) -> None:
    _, path, _ = shared
    png = app.test_client().get(path + "/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode_qr(png.data) == PUBLIC_URL + path
    svg = app.test_client().get(path + "/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_created_page_is_not_cached(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    token = log_in(client, ADA)
    response = client.post(
        "/passport/shares",
        data={"csrf_token": token, "credential": [two_learners[ADA][0].id], "days": "7"},
        headers=HTML,
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert "only time it is shown" in response.data.decode()
