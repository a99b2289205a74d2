"""The holder's passport: /passport, a page per badge, downloads, the printable passport.

Through the browser path (log in with the form, CSRF tokens scraped from pages) on a real
database. Every route is scoped to the logged-in holder: the bad-input tables try another
holder's ids, unknown ids and query parameters that name someone else.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image, ImageDraw

from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.services import Services
from tests.conftest import PUBLIC_URL
from verifier.baked import extract_baked

zxingcpp = pytest.importorskip(
    "zxingcpp", reason="zxing-cpp (a real QR decoder) is a dev dependency"
)

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}
ADA = "ada@example.com"
BO = "bo@example.com"


# -- factories --------------------------------------------------------------------------------


def make_learner(services: Services, email: str, name: str | None = None) -> None:
    with services.session() as db:
        create_user(
            db,
            email=email,
            name=name or email.split("@")[0].title(),
            role="learner",
            password=PASSWORD,
        )


def issue(
    services: Services, email: str, achievement: str = "ci-cd-l2", fmt: str = "di"
) -> IssuedCredential:
    with services.session() as db:
        return issue_credential(
            db, services, IssueRequest(achievement, email, fmt), now=services.now()
        )


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, (path, page.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    assert match is not None, path
    return match.group(1)


def log_in(client: FlaskClient, email: str) -> str:
    """Log in through the form; return a CSRF token of the new session."""
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302, response.data
    return csrf(client, "/passport/shares")


def seed_two_learners(services: Services) -> dict[str, list[IssuedCredential]]:
    """Ada (three badges, one revoked, one VC-JWT) and Bo (one badge)."""
    make_learner(services, ADA, "Ada Lovelace")
    make_learner(services, BO, "Bo Bartlett")
    ada = [
        issue(services, ADA, "incident-response-l3"),
        issue(services, ADA, "ci-cd-l2", "jwt"),
        issue(services, ADA, "observability-l2"),
    ]
    with services.session() as db:
        change_status(
            db,
            services,
            ada[2].id,
            "revoke",
            reason="issued in error",
            actor="t",
            now=services.now(),
        )
    return {ADA: ada, BO: [issue(services, BO, "networking-l2")]}


@pytest.fixture
def two_learners(services: Services) -> dict[str, list[IssuedCredential]]:
    return seed_two_learners(services)


# -- the passport page ------------------------------------------------------------------------


def test_passport_needs_a_login(client: FlaskClient) -> None:
    for path in ("/passport", "/passport/print", "/passport/shares", "/passport/export.json"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_passport_groups_badges_by_job_family(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    page = client.get("/passport", headers=HTML).data.decode()
    assert "Ada Lovelace" in page
    for record in two_learners[ADA]:
        assert record.id in page
    assert two_learners[BO][0].id not in page
    # incident response at level 3 meets SRE's requirement (3); the revoked badge does not count
    sre = page.split("Site Reliability", 1)[1].split("</section>", 1)[0]
    assert "1 of 6 required skills" in sre
    assert "3 · Advanced" in sre
    assert "Observability — Practitioner</a> (revoked)" in sre
    assert ">Revoked<" in page and ">Active<" in page
    assert 'rel="noopener noreferrer" target="_blank">Add to LinkedIn' in page
    # /my/ is the same page; learners land on it
    assert client.get("/my/", headers=HTML).data.decode().count(two_learners[ADA][0].id) > 0
    assert client.get("/my/account").headers["Location"] == "/passport"


def test_badge_page_shows_level_result_evidence_and_dates(
    client: FlaskClient, services: Services, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    record = two_learners[ADA][0]
    page = client.get(f"/passport/badges/{record.id}", headers=HTML).data.decode()
    assert "Incident response — Advanced" in page
    assert "3 · Advanced" in page
    assert "Valid until" in page and "Issued" in page
    assert f"{PUBLIC_URL}/credentials/{record.id}" in page
    revoked = client.get(f"/passport/badges/{two_learners[ADA][2].id}", headers=HTML)
    assert "This badge is revoked: issued in error" in revoked.data.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/passport/badges/{other}",
        "/passport/badges/{other}/badge.png",
        "/passport/badges/{other}/badge.svg",
    ],
)
def test_another_learners_badge_answers_like_an_unknown_one(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]], path: str
) -> None:
    log_in(client, ADA)
    other = client.get(path.format(other=two_learners[BO][0].id), headers=HTML)
    unknown = client.get(
        path.format(other="urn:uuid:00000000-0000-4000-8000-000000000000"), headers=HTML
    )
    assert other.status_code == unknown.status_code == 404
    assert other.data == unknown.data
    assert b"Bo" not in other.data


def test_json_export_holds_exactly_the_holders_badges_as_issued(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    # Query parameters naming someone else change nothing: the route reads only g.user.
    response = client.get("/passport/export.json?holder=bo@example.com&email=bo@example.com")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.data)
    assert document["holder"] == ADA
    assert document["count"] == 3
    stored = {r.id: r.content.decode() for r in two_learners[ADA]}
    for item in document["credentials"]:
        if isinstance(item, str):  # VC-JWT, exactly as issued
            assert item in stored.values()
        else:
            assert json.loads(stored[item["id"]]) == item
    assert two_learners[BO][0].id not in response.data.decode()


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_zip_of_baked_badges_extracts_to_the_credentials(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]], kind: str
) -> None:
    log_in(client, ADA)
    response = client.get(f"/passport/export-{kind}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert len(names) == 3 and all(n.endswith(f".{kind}") for n in names)
        contents = {extract_baked(archive.read(n)).content for n in names}
    assert contents == {r.content.decode().strip() for r in two_learners[ADA]}


def test_revoked_badge_exports_marked(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    revoked = two_learners[ADA][2]
    response = client.get(f"/passport/badges/{revoked.id}/badge.svg")
    assert response.status_code == 200
    assert "REVOKED" in response.data.decode()
    assert extract_baked(response.data).content == revoked.content.decode().strip()
    png = client.get(f"/passport/badges/{revoked.id}/badge.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]


def test_staff_without_badges_see_an_empty_passport(
    client: FlaskClient, services: Services
) -> None:
    with services.session() as db:
        create_user(db, email="admin@example.com", name="Admin", role="admin", password=PASSWORD)
    log_in(client, "admin@example.com")
    assert "No badges yet" in client.get("/passport", headers=HTML).data.decode()
    assert json.loads(client.get("/passport/export.json").data)["count"] == 0


def test_linkedin_link_carries_the_certification_fields(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    record = two_learners[ADA][0]
    page = client.get(f"/passport/badges/{record.id}", headers=HTML).data.decode()
    href = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page)
    assert href is not None
    url = urlsplit(href.group(1).replace("&amp;", "&"))
    fields = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert fields["startTask"] == "CERTIFICATION_NAME"
    assert fields["name"] == "Incident response — Advanced"
    assert fields["organizationName"]
    assert fields["issueYear"] == str(record.issued_at.year)
    assert fields["issueMonth"] == str(record.issued_at.month)
    assert record.valid_until is not None
    assert fields["expirationYear"] == str(record.valid_until.year)
    assert fields["certUrl"] == f"{PUBLIC_URL}/credentials/{record.id}"
    assert fields["certId"] == record.id


# -- the printable passport -------------------------------------------------------------------


def rasterise_qr_svg(svg: str, scale: int = 8) -> bytes:
    """Draw our QR SVG (unit squares ``M x,y H x+1 V y+1 H x z``) as a PNG, for the decoder."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, x2, y2 in re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg):
        draw.rectangle(
            (int(x) * scale, int(y) * scale, int(x2) * scale - 1, int(y2) * scale - 1), fill=0
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return str(results[0].text)


def test_print_page_has_a_page_per_family_and_qr_codes_to_verification_pages(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    response = client.get("/passport/print", headers=HTML)
    page = response.data.decode()
    assert "Ada Lovelace" in page and "Printed " in page
    sheets = page.count('<section class="sheet')
    families_with_badges = page.count('<h2 class="sheet-family">')
    assert sheets == families_with_badges + 1  # the cover, then one page per family
    svgs = re.findall(r"<svg class=\"qr\".*?</svg>", page, flags=re.S)
    assert svgs
    decoded = {decode_qr(rasterise_qr_svg(svg)) for svg in svgs}
    assert decoded == {f"{PUBLIC_URL}/credentials/{r.id}" for r in two_learners[ADA]}
    # inline SVG is no inline script or style: the strict CSP still holds
    assert "<script>" not in page and "style=" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_passport_css_has_print_rules(client: FlaskClient) -> None:
    with client.get("/static/passport.css") as response:
        css = response.data.decode()
    assert "@media print" in css and "@page" in css and "break-after: page" in css
    with client.get("/static/style.css") as response:
        assert '@import url("passport.css")' in response.data.decode()


# -- CLR and presentation downloads -------------------------------------------------------------


def test_clr_download_is_signed_and_holds_only_good_badges(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    response = client.get("/passport/export-clr.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    clr = json.loads(response.data)
    assert "ClrCredential" in clr["type"]
    embedded = clr["credentialSubject"]["verifiableCredential"]
    assert len(embedded) == 2  # the revoked badge is left out …
    assert clr["partial"] is True  # … and the CLR says so
    assert two_learners[BO][0].id not in response.data.decode()
    report = client.post("/api/v1/verify", json=clr).get_json()
    assert report["verified"] is True, report
    png = client.get("/passport/export-clr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"


def test_presentation_download_is_unsigned_and_scoped_to_the_holder(
    client: FlaskClient, two_learners: dict[str, list[IssuedCredential]]
) -> None:
    log_in(client, ADA)
    vp = json.loads(client.get("/passport/export-vp.json").data)
    assert "VerifiablePresentation" in vp["type"] and "proof" not in vp
    assert len(vp["verifiableCredential"]) == 3
    one = two_learners[ADA][0].id
    subset = json.loads(
        client.get("/passport/export-vp.json", query_string={"credential": one}).data
    )
    assert len(subset["verifiableCredential"]) == 1
    # another learner's badge answers exactly like an unknown one (the message echoes the id)
    bo_id, unknown_id = two_learners[BO][0].id, "urn:uuid:00000000-0000-4000-8000-000000000000"
    other = client.get("/passport/export-vp.json", query_string={"credential": bo_id})
    unknown = client.get("/passport/export-vp.json", query_string={"credential": unknown_id})
    assert other.status_code == unknown.status_code == 404
    assert other.data.replace(bo_id.encode(), b"?") == unknown.data.replace(
        unknown_id.encode(), b"?"
    )
