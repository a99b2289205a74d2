"""Finding 8: ``javascript:`` URLs from an uploaded credential or an imported catalog were
rendered as links (/verify, /admin/skills, public achievement pages).

Now every URL from data goes through the ``safe_href`` filter: only absolute ``http:`` and
``https:`` URLs become links; anything else is shown as text.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from issuer import sign_vc_jwt
from keys import did_key_from_public_key, generate_key
from passport.services import Services
from passport.web.links import safe_href
from tests.functional.test_admin import HTML, login
from tests.functional.test_verify_share_links import _page

ASSETS = Path(__file__).resolve().parents[1] / "assets"
HOSTILE = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/\\evil.example",
    "https:\\\\evil.example",
    "http:evil.example",
    "https://",
]


def _hrefs(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', page)


def _assert_no_hostile_link(page: str) -> None:
    for href in _hrefs(page):
        lowered = href.lower().replace("&#9;", "").replace("\t", "")
        assert not lowered.lstrip().startswith(("javascript:", "vbscript:", "data:text")), href
        assert "evil.example" not in href, href


@pytest.mark.parametrize("url", HOSTILE)
def test_the_filter_refuses_other_schemes(url: str) -> None:
    assert safe_href(url) == ""


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=c#d", "http://example.org", "HTTPS://x.example/"]
)
def test_the_filter_keeps_http_and_https(url: str) -> None:
    assert safe_href(url) == url


def test_an_uploaded_credential_on_verify_shows_hostile_urls_as_text(
    client: FlaskClient,
) -> None:
    badge: dict[str, Any] = json.loads((ASSETS / "ob3" / "validator-simple.json").read_text())
    badge.pop("proof")
    key = generate_key("ES256")
    did = did_key_from_public_key(key.public)
    badge["issuer"]["id"] = did
    achievement = badge["credentialSubject"]["achievement"]
    achievement["criteria"]["id"] = "javascript:alert('criteria')"
    achievement["image"] = {"id": "javascript:alert('image')", "type": "Image"}
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": "Evil alignment",
            "targetUrl": "javascript:alert('alignment')",
        }
    ]
    badge["evidence"] = [{"id": "JaVaScRiPt:alert('evidence')", "type": ["Evidence"]}]
    token = sign_vc_jwt(badge, key, kid=f"{did}#{did.removeprefix('did:key:')}")
    page = _page(client, credential=token)
    assert "Evil alignment" in page  # rendered, as text
    assert "alert('evidence')" in page or "Evidence" in page
    _assert_no_hostile_link(page)
    uploaded = client.post(
        "/verify",
        data={"csrf_token": _csrf(client), "file": (io.BytesIO(token.encode()), "badge.jwt")},
        content_type="multipart/form-data",
    )
    _assert_no_hostile_link(uploaded.get_data(as_text=True))


def _csrf(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/verify").text)
    assert match is not None
    return match[1]


def test_an_imported_catalog_shows_hostile_urls_as_text(
    client: FlaskClient, services: Services
) -> None:
    token = login(client, services, "links-admin@example.com", "admin")
    document = json.loads(client.get("/admin/catalog/template.json").data)
    skill = document["skills"][0]
    skill["alignments"] = [
        {"name": f"Hostile {i}", "framework": "Test", "code": str(i), "url": url}
        for i, url in enumerate(HOSTILE)
    ]
    document["job_families"][0]["url"] = "javascript:alert('family')"
    answer = client.post(
        "/admin/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(json.dumps(document).encode()), "c.json")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.data
    skills = client.get("/admin/skills", headers=HTML).get_data(as_text=True)
    assert "Hostile 0" in skills
    _assert_no_hostile_link(skills)
    family_id = document["job_families"][0]["id"]
    for path in (
        f"/admin/job-families/{family_id}",
        f"/job-families/{family_id}",
        f"/achievements/{skill['id']}-l2",
    ):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        _assert_no_hostile_link(page.get_data(as_text=True))
    achievement = client.get(f"/achievements/{skill['id']}-l2", headers=HTML).get_data(as_text=True)
    assert "Hostile 0" in achievement


TEMPLATES = Path(__file__).resolve().parents[2] / "passport" / "web" / "templates"
#: Values the views build themselves with url_for (never from data); ``feed.webcal`` is the
#: calendar feed's address from PASSPORT_PUBLIC_URL and an HMAC, as ``webcal://``, a scheme
#: ``safe_href`` rightly refuses for data; ``offer.deep_link`` is an OpenID4VCI offer
#: (``openid-credential-offer://`` + our own offer URL, built by passport.wallets.oid4vci).
BUILT_BY_VIEWS = {"back", "cancel", "action", "feed.webcal", "offer.deep_link"}


def test_every_url_put_in_a_link_by_a_template_goes_through_safe_href() -> None:
    """A new template that links to a URL from data without the filter fails here."""
    unfiltered = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(
            r"""(?:href|src|action|formaction)=["']?\{\{\s*(.*?)\s*\}\}""", text
        ):
            expression = match[1]
            if "url_for(" in expression or "safe_href" in expression:
                continue
            if expression in BUILT_BY_VIEWS:
                continue
            line = text[: match.start()].count("\n") + 1
            unfiltered.append(f"{template.relative_to(TEMPLATES)}:{line}: {expression}")
    # The one exception: a data:image/ URI as an <img> source (an image cannot run script).
    assert unfiltered == ["_credential.html:9: image.id"], unfiltered
