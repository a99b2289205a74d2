"""Mentor endorsements end to end: the API, the `passport endorse` command, the endorse page,
the mentor's DID document, and the endorsement shown with the badge (public page, share page,
the learner's own badge page, exports)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from passport.accounts.tokens import create_token
from passport.cli.common import cli
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.status import change_status
from passport.services import Services
from tests.conftest import ISSUER_DID
from tests.functional.signing_in import HTML, csrf, log_in, make_user

LEARNER = "lea@example.com"
MENTOR = "mo@example.com"


@pytest.fixture
def people(services: Services) -> None:
    make_user(services, LEARNER, "Lea Learner", "learner")
    make_user(services, MENTOR, "Mo Mentor", "mentor")
    make_user(services, "ana@example.com", "Ana Assessor", "assessor")


def issue(services: Services, email: str = LEARNER, fmt: str = "di") -> str:
    with services.session() as db:
        return issue_credential(
            db, services, IssueRequest("incident-response-l2", email, fmt), now=services.now()
        ).id


def bearer(services: Services, *scopes: str) -> dict[str, str]:
    with services.session() as db:
        token = create_token(db, "mentoring", scopes=list(scopes), actor="test")
    return {"Authorization": f"Bearer {token}"}


def test_the_api_endorses_lists_and_the_badge_carries_it(
    client: FlaskClient, services: Services, people: None
) -> None:
    badge = issue(services)
    headers = bearer(services, "credentials:endorse", "read")
    response = client.post(
        f"/api/v1/credentials/{badge}/endorsements",
        json={"mentor": MENTOR, "comment": "Ran the review calmly."},
        headers=headers,
    )
    assert response.status_code == 201, response.data
    body = response.get_json()
    assert body["credential_id"] == badge
    assert body["endorser"]["name"] == "Mo Mentor"
    assert body["endorser"]["id"].startswith(ISSUER_DID + ":mentors:")
    assert body["endorsement"]["credentialSubject"]["endorsementComment"] == (
        "Ran the review calmly."
    )
    listed = client.get(f"/api/v1/credentials/{badge}/endorsements", headers=headers)
    assert [e["id"] for e in listed.get_json()["endorsements"]] == [body["id"]]
    served = client.get(f"/credentials/{badge}", headers={"Accept": "application/vc+ld+json"})
    document = json.loads(served.data)
    assert [e["id"] for e in document["endorsement"]] == [body["id"]]
    # The export "as issued" carries it too.
    with services.session() as db:
        from passport.credentials.exports import export_json, holder_credentials

        exported = json.loads(export_json(holder_credentials(db, LEARNER), holder=LEARNER))
    assert exported["credentials"][0]["endorsement"][0]["id"] == body["id"]
    # The verify API reports the endorsements check.
    report = client.post("/api/v1/verify", json=document).get_json()
    assert report["verified"] is True
    check = next(c for c in report["checks"] if c["id"] == "endorsements")
    assert (check["status"], check["code"]) == ("passed", "endorsements_verified")


def test_the_mentor_did_document_resolves(
    client: FlaskClient, services: Services, people: None
) -> None:
    badge = issue(services)
    body = client.post(
        f"/api/v1/credentials/{badge}/endorsements",
        json={"mentor": MENTOR, "comment": "Good."},
        headers=bearer(services, "credentials:endorse"),
    ).get_json()
    did = body["endorser"]["id"]
    slug = did.rsplit(":", 1)[1]
    response = client.get(f"/mentors/{slug}/did.json")
    assert response.status_code == 200
    assert response.mimetype == "application/did+json"
    document = response.get_json()
    assert document["id"] == did
    method = body["endorsement"]["proof"][0]["verificationMethod"]
    assert method in document["assertionMethod"]
    assert client.get("/mentors/0000000000000000/did.json").status_code == 404
    # The organisation's own document does not list the mentor's key.
    ours = client.get("/.well-known/did.json").get_json()
    assert ours["id"] == ISSUER_DID
    assert method not in ours["assertionMethod"]


@pytest.mark.parametrize(
    ("mentor", "comment", "scope", "status", "code"),
    [
        (MENTOR, "Fine.", "read", 403, "insufficient_scope"),
        (LEARNER, "Fine.", "credentials:endorse", 403, "not_an_endorser"),
        ("nobody@example.com", "Fine.", "credentials:endorse", 404, "unknown_user"),
        (MENTOR, "", "credentials:endorse", 400, "no_comment"),
    ],
)
def test_the_api_refuses_clearly(
    client: FlaskClient,
    services: Services,
    people: None,
    mentor: str,
    comment: str,
    scope: str,
    status: int,
    code: str,
) -> None:
    badge = issue(services)
    response = client.post(
        f"/api/v1/credentials/{badge}/endorsements",
        json={"mentor": mentor, "comment": comment},
        headers=bearer(services, scope),
    )
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_the_api_refuses_the_holder_and_unknown_badges(
    client: FlaskClient, services: Services, people: None
) -> None:
    own = issue(services, MENTOR)
    headers = bearer(services, "credentials:endorse", "read")
    response = client.post(
        f"/api/v1/credentials/{own}/endorsements",
        json={"mentor": MENTOR, "comment": "Mine."},
        headers=headers,
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "own_badge")
    missing = client.get("/api/v1/credentials/urn:uuid:nope/endorsements", headers=headers)
    assert missing.status_code == 404


@pytest.fixture
def run(services: Services) -> Any:
    settings = services.settings
    env = {
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def test_the_cli_prints_the_signed_endorsement_and_attaches_it(
    services: Services, people: None, run: Any
) -> None:
    badge = issue(services, fmt="jwt")
    result = run("endorse", "--credential", badge, "--mentor", MENTOR, "--comment", "Steady.")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert printed["credentialSubject"]["id"] == badge
    assert printed["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    services.invalidate_keys()  # another process made the mentor's key (else: within 1 s)
    with services.session() as db:
        verifier = services.verifier(db)
        assert verifier.report(json.dumps(printed), now=services.now()).verified
        from passport.credentials.models import IssuedCredential

        record = db.get(IssuedCredential, badge)
        assert record is not None
        verified = verifier.verify(record.content, now=services.now())
    assert [e.id for e in verified.credential.endorsement] == [printed["id"]]


def test_the_cli_refuses_with_exit_2(services: Services, people: None, run: Any) -> None:
    badge = issue(services)
    own = issue(services, MENTOR)
    cases = [
        (("urn:uuid:nope", MENTOR), "unknown_credential"),
        ((badge, "ana@example.com"), "not_an_endorser"),
        ((own, MENTOR), "own_badge"),
    ]
    for (credential, mentor), code in cases:
        result = run("endorse", "--credential", credential, "--mentor", mentor, "--comment", "x")
        assert result.exit_code == 2, result.output
        assert code in result.stderr
    with services.session() as db:
        change_status(
            db, services, badge, "revoke", reason="test", actor="test", now=services.now()
        )
    result = run("endorse", "--credential", badge, "--mentor", MENTOR, "--comment", "x")
    assert result.exit_code == 2
    assert "revoked" in result.stderr


def test_a_mentor_endorses_on_the_page_and_the_share_page_shows_it(
    app: Any, services: Services, people: None
) -> None:
    badge = issue(services)
    mentor = app.test_client()
    log_in(mentor, MENTOR, "/admin/badges")
    listing = mentor.get("/admin/badges", headers=HTML).data.decode()
    assert f"/admin/badges/{badge}/endorse" in listing
    token = csrf(mentor, f"/admin/badges/{badge}/endorse")
    refused = mentor.post(
        f"/admin/badges/{badge}/endorse", data={"csrf_token": token, "comment": "  "}
    )
    assert refused.status_code == 400
    assert "Write a comment" in refused.data.decode()
    done = mentor.post(
        f"/admin/badges/{badge}/endorse",
        data={"csrf_token": token, "comment": "Kept the incident channel calm."},
    )
    assert done.status_code == 302
    page = mentor.get(f"/admin/badges/{badge}/endorse", headers=HTML).data.decode()
    assert "Kept the incident channel calm." in page
    public = mentor.get(f"/credentials/{badge}", headers=HTML).data.decode()
    assert "Kept the incident channel calm." in public
    assert "Endorsed by 1 mentor" in public
    assert "endorsement verified" in public
    # The learner sees it on their badge page and shares the badge: the share page shows it.
    learner = app.test_client()
    shares_token = log_in(learner, LEARNER, "/passport/shares")
    own_page = learner.get(f"/passport/badges/{badge}", headers=HTML).data.decode()
    assert "Kept the incident channel calm." in own_page
    printable = learner.get("/passport/print", headers=HTML).data.decode()
    assert "Endorsed by Mo Mentor:" in printable
    assert "Kept the incident channel calm." in printable
    shared = learner.post(
        "/passport/shares",
        data={"csrf_token": shares_token, "credential": [badge], "audience": "Acme", "days": "30"},
        headers=HTML,
    ).data.decode()
    match = re.search(r'id="share-url" class="pp-share-url" value="([^"]+)"', shared)
    assert match is not None
    share_page = app.test_client().get(
        match.group(1).removeprefix(services.settings.public_url), headers=HTML
    )
    text = share_page.data.decode()
    assert "Mo Mentor" in text and "Kept the incident channel calm." in text
    # Withdrawn from the page: the badge no longer carries it.
    endorsement_id = re.search(r'/admin/endorsements/([^"]+)/withdraw', page)
    assert endorsement_id is not None
    withdrawn = mentor.post(
        f"/admin/endorsements/{endorsement_id.group(1)}/withdraw",
        data={"csrf_token": token, "credential_id": badge},
    )
    assert withdrawn.status_code == 302
    public = mentor.get(f"/credentials/{badge}", headers=HTML).data.decode()
    assert "Kept the incident channel calm." not in public


def test_learners_and_assessors_get_no_endorse_page(
    app: Any, services: Services, people: None
) -> None:
    badge = issue(services)
    assessor = app.test_client()
    log_in(assessor, "ana@example.com", "/admin/badges")
    assert (
        f"/admin/badges/{badge}/endorse"
        not in assessor.get("/admin/badges", headers=HTML).data.decode()
    )
    assert assessor.get(f"/admin/badges/{badge}/endorse", headers=HTML).status_code == 403
