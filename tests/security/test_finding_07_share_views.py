"""Finding 7: ``POST /api/v1/verify`` with a share-link URL returned the shared credentials
without counting a view.

Now every route that reads a link's badges (the share page, the verify page and the API) goes
through one use case, :func:`passport.sharing.links.view_share_link`, which counts the view.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from passport.credentials.models import IssuedCredential
from passport.services import Services
from passport.sharing.links import revoke_share_link
from passport.sharing.models import ShareLinkView
from tests.functional.test_verify_share_links import (  # noqa: F401 - fixtures
    _page,
    issued,
    share,
)


def _views(services: Services, link_id: int) -> list[str | None]:
    with services.session() as db:
        return list(
            db.scalars(
                select(ShareLinkView.user_agent)
                .where(ShareLinkView.share_link_id == link_id)
                .order_by(ShareLinkView.id)
            )
        )


def test_every_route_that_reads_a_share_link_counts_a_view(
    client: FlaskClient,
    services: Services,
    share: tuple[str, int],  # noqa: F811 - the fixture
) -> None:
    url, link_id = share
    assert _views(services, link_id) == []
    api = client.post(
        "/api/v1/verify", data=url, content_type="text/plain", headers={"User-Agent": "api-bot"}
    )
    assert api.status_code == 200 and len(api.get_json()["credentials"]) == 2
    assert _views(services, link_id) == ["api-bot"]
    client.environ_base["HTTP_USER_AGENT"] = "hiring-browser"
    assert "Verified: 2 of 2 badges" in _page(client, credential=url)
    assert _views(services, link_id) == ["api-bot", "hiring-browser"]
    assert client.get(url.removeprefix(services.settings.public_url)).status_code == 200
    assert len(_views(services, link_id)) == 3


def test_a_revoked_link_read_through_the_api_shows_and_counts_nothing(
    client: FlaskClient,
    services: Services,
    share: tuple[str, int],  # noqa: F811 - the fixture
    issued: list[IssuedCredential],  # noqa: F811 - the fixture
) -> None:
    url, link_id = share
    with services.session() as db:
        revoke_share_link(db, holder_id=issued[0].holder_id, link_id=link_id, now=services.now())
    body = client.post("/api/v1/verify", data=url, content_type="text/plain").get_json()
    assert body["verified"] is False and not body.get("credentials")
    with services.session() as db:
        count = db.scalar(select(func.count()).select_from(ShareLinkView))
    assert count == 0
