"""The public pages people land on: a badge's page (where LinkedIn and QR codes lead), the
job-family pages, the home page and the error pages — HTML for people, JSON unchanged for
programs (content negotiation)."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from passport.assessments.record import AssessmentInput, EvidenceInput, record_assessment
from passport.credentials.models import IssuedCredential
from passport.credentials.status import change_status
from passport.services import Services
from tests.functional.test_passport_pages import ADA, HTML, issue, log_in, make_learner
from tests.functional.test_sharing import link_url, path_of, share

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _assessed(services: Services, email: str = ADA) -> str:
    """A badge from an assessment: rubric results at level 3, one piece of evidence."""
    make_learner(services, email, "Ada Lovelace")
    with services.session() as db:
        outcome = record_assessment(
            db,
            services,
            AssessmentInput(
                learner_email=email,
                achievement_id="incident-response-l3",
                levels={"triage": 3, "communication": 4, "review": 3},
                assessor="assessor@example.com",
                evidence=[EvidenceInput(name="Outage drill", narrative="Led the mitigation.")],
            ),
            now=services.now(),
        )
    assert outcome.credential_id is not None
    return outcome.credential_id


def _h1s(page: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S)


# -- the public badge page --------------------------------------------------------------------


def test_badge_page_leads_with_the_badge_and_one_plain_verdict(
    app: Flask, services: Services
) -> None:
    credential_id = _assessed(services)
    visitor = app.test_client()
    response = visitor.get(f"/credentials/{credential_id}", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    assert _h1s(page) == ["Incident response — Advanced"]
    assert 'src="/achievements/incident-response-l3/image.svg"' in page
    assert "Level 3: Advanced" in page
    verdict = re.search(r'<p class="public-verdict ok" id="verdict">(.*?)</p>', page, re.S)
    assert verdict is not None
    assert verdict.group(1).strip() == f"Verified: signed by {_issuer(services)}, not revoked."
    # The rubric in plain words: each criterion's level and what that level means.
    assert "Stakeholder communication" in page and "Expert (level 4)" in page
    assert "Commands complex multi-team incidents" in page  # triage at level 3
    assert "Sets communication templates and policies" in page  # communication at level 4
    assert "Outage drill" in page and "Led the mitigation." in page
    # The technical checks are folded away; the job families open as pages for people.
    assert '<details class="public-checks">' in page
    assert 'href="/job-families/sre"' in page and 'href="/job-families/security"' in page
    assert "Active: it counts today." in page


def _issuer(services: Services) -> str:
    from passport.credentials.models import Issuer

    with services.session() as db:
        issuer = db.query(Issuer).first()
        assert issuer is not None
        return issuer.name


def test_badge_page_names_the_holder_only_while_they_share_it(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    credential_id = _assessed(services)
    visitor = app.test_client()
    url = f"/credentials/{credential_id}"
    anonymous = visitor.get(url, headers=BROWSER)
    assert "X-Robots-Tag" not in anonymous.headers
    page = anonymous.data.decode()
    assert "Ada Lovelace" not in page
    assert "the holder&#39;s name appears here only while they share this badge" in page

    token = log_in(client, ADA)
    status, created = share(client, token, [credential_id])
    assert status == 201
    page = visitor.get(url, headers=BROWSER).data.decode()
    assert "Earned by Ada Lovelace" in page
    named = visitor.get(url, headers=BROWSER)
    assert named.headers["Cache-Control"] == "private, no-cache"
    assert named.headers["X-Robots-Tag"] == "noindex"

    # Revoking the link hides the name again.
    shares = client.get("/passport/shares", headers=HTML).data.decode()
    link_id = re.search(r'"/passport/shares/(\d+)/revoke"', shares)
    assert link_id is not None, path_of(link_url(created))
    revoked = client.post(f"/passport/shares/{link_id.group(1)}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert "Ada Lovelace" not in visitor.get(url, headers=BROWSER).data.decode()


def test_an_expired_share_link_hides_the_name_again(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from passport.credentials.public_page import holder_shares
    from passport.sharing.models import ShareLink

    credential_id = _assessed(services)
    token = log_in(client, ADA)
    share(client, token, [credential_id], days="1")
    url = f"/credentials/{credential_id}"
    assert "Earned by Ada Lovelace" in app.test_client().get(url, headers=BROWSER).data.decode()
    with services.session() as db:
        link = db.scalars(select(ShareLink)).one()
        ends = link.expires_at
        assert holder_shares(db, credential_id, now=ends - timedelta(microseconds=1))
        assert not holder_shares(db, credential_id, now=ends)
        link.expires_at = services.now() - timedelta(seconds=1)
    assert "Ada Lovelace" not in app.test_client().get(url, headers=BROWSER).data.decode()


def test_badge_page_says_revoked_in_plain_words(services: Services, client: FlaskClient) -> None:
    make_learner(services, ADA, "Ada Lovelace")
    record = issue(services, ADA, "ci-cd-l2")
    with services.session() as db:
        change_status(
            db,
            services,
            record.id,
            "revoke",
            reason="issued in error",
            actor="t",
            now=services.now(),
        )
    page = client.get(f"/credentials/{record.id}", headers=BROWSER).data.decode()
    verdict = re.search(r'<p class="public-verdict bad" id="verdict">(.*?)</p>', page, re.S)
    assert verdict is not None
    assert "revoked this badge, so it no longer counts" in verdict.group(1)
    assert "issued in error" in page


def test_badge_json_by_content_negotiation_is_unchanged(
    client: FlaskClient, services: Services
) -> None:
    make_learner(services, ADA)
    record: IssuedCredential = issue(services, ADA, "ci-cd-l2")
    for accept in ("application/json", "application/vc+ld+json", "application/ld+json"):
        response = client.get(f"/credentials/{record.id}", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        assert response.data == record.content
        assert response.headers["Vary"] == "Accept"
    # No Accept header: the page.
    assert client.get(f"/credentials/{record.id}").mimetype == "text/html"
    # A VC-JWT badge: its page for people, the token for programs.
    token = issue(services, ADA, "observability-l2", "jwt")
    page = client.get(f"/credentials/{token.id}", headers=BROWSER).data.decode()
    assert _h1s(page) == ["Observability — Practitioner"] and "Verified: signed by" in page
    served = client.get(f"/credentials/{token.id}", headers={"Accept": "application/vc+jwt"})
    assert served.mimetype == "application/vc+jwt" and served.data == token.content


def test_unknown_badge_is_a_page_for_people_and_json_for_programs(client: FlaskClient) -> None:
    page = client.get("/credentials/urn:uuid:nope", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    text = page.data.decode()
    assert len(_h1s(text)) == 1 and "404" not in _h1s(text)[0]
    assert 'href="/verify"' in text and 'href="/"' in text
    data = client.get("/credentials/urn:uuid:nope", headers={"Accept": "application/json"})
    assert data.get_json()["error"]["code"] == "not_found"


# -- achievements -----------------------------------------------------------------------------


def test_achievement_page_shows_each_criterion_at_each_level(client: FlaskClient) -> None:
    page = client.get("/achievements/linux-administration-l2", headers=BROWSER).data.decode()
    assert _h1s(page) == ["Linux systems administration — Practitioner"]
    assert "Installs and configures services" in page  # operate, level 2
    assert "Finds the cause of common CPU" in page  # troubleshoot, level 2
    assert "Configures SSH, firewalls" in page  # harden, level 2
    assert 'href="/job-families/platform"' in page
    document = client.get(
        "/achievements/linux-administration-l2", headers={"Accept": "application/json"}
    ).get_json()
    texts = [
        lvl["description"]
        for rd in document["resultDescription"]
        for lvl in rd["rubricCriterionLevel"]
    ]
    assert len(texts) == 12 and len(set(texts)) == 12


def test_a_criterion_without_its_own_level_texts_falls_back_to_the_catalog_levels(
    services: Services,
) -> None:
    from passport.catalog.achievements import LEVELS, achievement_definition
    from passport.catalog.models import Skill

    skill = Skill(
        id="writing",
        name="Technical writing",
        description="Writes docs.",
        alignments="[]",
        tags="[]",
        criteria=json.dumps(
            [
                {"id": "clarity", "name": "Clarity", "levels": {"2": "Writes a clear runbook."}},
                {"id": "structure", "name": "Structure"},
            ]
        ),
    )
    with services.session() as db:
        definition = achievement_definition(
            db, skill, 2, public_url="https://x.example", issuer_profile={"id": "did:web:x"}
        )
    clarity, structure = definition["resultDescription"]
    texts = [lvl["description"] for lvl in clarity["rubricCriterionLevel"]]
    assert texts[1] == "Writes a clear runbook."
    assert texts[0] == LEVELS[0]["description"]
    assert [lvl["description"] for lvl in structure["rubricCriterionLevel"]] == [
        lvl["description"] for lvl in LEVELS
    ]


def test_every_catalog_criterion_has_its_own_text_at_every_level() -> None:
    from passport.catalog.achievements import CATALOG_FILE, LEVELS

    catalog = json.loads(CATALOG_FILE.read_text("utf-8"))
    texts = []
    for skill in catalog["skills"]:
        for criterion in skill["criteria"]:
            assert sorted(criterion["levels"]) == [str(lvl["level"]) for lvl in LEVELS]
            texts += criterion["levels"].values()
    assert len(texts) == len(set(texts)) == 14 * 3 * len(LEVELS)


def test_demo_evidence_matches_each_badge(services: Services) -> None:
    from sqlalchemy import select

    from passport.credentials.passports import badge_view
    from passport.instance.demo import EVIDENCE, FRESHNESS_EVIDENCE, load_demo

    result = load_demo(services)
    # 60 cohort assessments (48 passed) and Ada's 3 freshness badges (one of them a renewal)
    assert (result.learners, result.assessments, result.badges) == (20, 63, 51)
    with services.session() as db:
        everyone = list(db.scalars(select(IssuedCredential)))
        # The mentors' own: Mo's badge a level above his cohort's target, and a mentoring
        # badge each (5 sessions held) — not assessments of the demo's learners.
        mentors = {"mo.mentor@demo.example", "mei.mentor@demo.example"}
        mentor_badges = sorted(
            (r.holder.email, r.achievement.achievement_type)
            for r in everyone
            if r.holder.email in mentors
        )
        assert mentor_badges == [
            ("mei.mentor@demo.example", "Award"),
            ("mo.mentor@demo.example", "Award"),
            ("mo.mentor@demo.example", "Competency"),
        ]
        records = [r for r in everyone if r.holder.email not in mentors]
        assert len(records) == 51
        for record in records:
            evidence, *renews = badge_view(services, record, services.now()).evidence
            expected = (
                FRESHNESS_EVIDENCE.get(record.achievement_id) or EVIDENCE[record.achievement_id]
            )
            assert (evidence["name"], evidence["narrative"]) == expected
            assert [e["id"] for e in renews] == (
                [record.supersedes_id] if record.supersedes_id else []
            )


# -- job families -----------------------------------------------------------------------------


def test_job_family_page_for_people_json_for_programs(client: FlaskClient) -> None:
    response = client.get("/job-families/sre", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    page = response.data.decode()
    assert _h1s(page) == ["Site Reliability Engineering"]
    assert "Incident response" in page and 'href="/achievements/incident-response-l3"' in page
    assert '<th scope="col">' in page
    # JSON exactly as before, by default and when asked for.
    for headers in ({}, {"Accept": "application/json"}):
        data = client.get("/job-families/sre", headers=headers)
        assert data.mimetype == "application/json"
        assert json.loads(data.data)["id"].endswith("/job-families/sre")
    listing = client.get("/job-families", headers=BROWSER).data.decode()
    assert _h1s(listing) == ["Job families"]
    assert 'href="/job-families/sre"' in listing
    assert client.get("/job-families").mimetype == "application/json"


def test_unknown_job_family_page(client: FlaskClient) -> None:
    page = client.get("/job-families/nope", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert 'href="/job-families"' in page.data.decode()
    data = client.get("/job-families/nope", headers={"Accept": "application/json"})
    assert data.get_json()["error"]["code"] == "unknown_job_family"


# -- home and errors --------------------------------------------------------------------------


def test_home_page_speaks_to_learners_hiring_managers_and_staff(client: FlaskClient) -> None:
    page = client.get("/", headers=BROWSER).data.decode()
    assert len(_h1s(page)) == 1
    assert [h for h in re.findall(r"<h2>(.*?)</h2>", page)][:3] == [
        "Learners",
        "Hiring managers",
        "Program staff",
    ]
    assert 'href="/login?next=/passport"' in page and 'href="/login?next=/admin/"' in page
    assert 'href="/verify"' in page and 'href="/verify/request"' in page
    assert 'href="/job-families"' in page and "6 job families" in page
    # not a list of internal achievement ids
    assert "incident-response-l3" not in page and "<code>" not in page


def test_home_page_leads_a_logged_in_person_to_their_work(
    client: FlaskClient, services: Services
) -> None:
    make_learner(services, ADA)
    log_in(client, ADA)
    page = client.get("/", headers=BROWSER).data.decode()
    assert 'href="/my/account">Open my passport' in page


def _error_page(response_data: bytes) -> tuple[str, str]:
    page = response_data.decode()
    (h1,) = _h1s(page)
    assert h1.strip(), page
    assert 'href="/"' in page and 'href="/verify"' in page and 'href="/job-families"' in page
    return h1, page


def test_error_pages_say_what_happened_and_where_to_go(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    missing = client.get("/no/such/page", headers=BROWSER)
    assert missing.status_code == 404
    h1, page = _error_page(missing.data)
    assert h1 == "We could not find that page" and "(HTTP 404)" in page

    # A revoked share link: 410, said plainly.
    make_learner(services, ADA, "Ada Lovelace")
    record = issue(services, ADA, "ci-cd-l2")
    token = log_in(client, ADA)
    _, created = share(client, token, [record.id])
    path = path_of(link_url(created))
    shares = client.get("/passport/shares", headers=HTML).data.decode()
    link_id = re.search(r'"/passport/shares/(\d+)/revoke"', shares)
    assert link_id is not None
    client.post(f"/passport/shares/{link_id.group(1)}/revoke", data={"csrf_token": token})
    gone = app.test_client().get(path, headers=BROWSER)
    assert gone.status_code == 410
    h1, page = _error_page(gone.data)
    assert h1 == "This link no longer works" and "revoked by the person who shared it" in page

    # A learner on a staff page: 403, with the reason and no dead end.
    forbidden = client.get("/admin/badges", headers=BROWSER)
    assert forbidden.status_code == 403
    h1, _ = _error_page(forbidden.data)
    assert h1 == "You do not have access to this page"


def test_server_error_page(app: Flask) -> None:
    from passport.web.errors import error_response

    with app.test_request_context("/somewhere", headers=BROWSER):
        response = error_response(500, "internal_error", "Something went wrong on our side.")
    assert response.status_code == 500
    h1, page = _error_page(response.data)
    assert h1 == "Something went wrong on our side" and "It is not something you did" in page


def test_api_errors_stay_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": "not_found", "message": "There is nothing here."}
    }
    asked = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert asked.get_json()["error"]["code"] == "not_found"
