"""The JSON API and the public pages, through Flask's test client on a real database."""

from __future__ import annotations

import io
import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.tokens import create_token
from passport.assessments.models import Assessment
from passport.services import Services
from tests.conftest import ISSUER_DID, PUBLIC_URL


def issue(client: FlaskClient, token: str, **body: object) -> dict:
    payload = {
        "achievement": "incident-response-l2",
        "recipient": "Ada@Example.com",
        "format": "jwt",
        **body,
    }
    response = client.post(
        "/api/v1/credentials", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_issue_returns_a_signed_jwt_and_its_location(client: FlaskClient, api_token: str) -> None:
    body = issue(client, api_token)
    assert body["format"] == "vc-jwt"
    assert body["credential"].count(".") == 2
    assert body["url"] == f"{PUBLIC_URL}/credentials/{body['id']}"


def test_data_integrity_is_the_default_format(client: FlaskClient, api_token: str) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "kubernetes-operations-l2", "recipient": "ada@example.com"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    body = response.get_json()
    assert response.status_code == 201
    assert body["format"] == "data-integrity"
    (proof,) = body["credential"]["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"].startswith(ISSUER_DID + "#")
    report = client.post("/api/v1/verify", json=body["credential"]).get_json()
    assert report["verified"] is True
    assert report["format"] == "data-integrity"


def test_data_integrity_credential_page_serves_the_stored_bytes(
    client: FlaskClient, api_token: str
) -> None:
    body = issue(client, api_token, format="di")
    url = f"/credentials/{body['id']}"
    served = client.get(url, headers={"Accept": "application/vc+ld+json"})
    assert served.mimetype == "application/vc+ld+json"
    assert json.loads(served.data) == body["credential"]
    html = client.get(url, headers={"Accept": "text/html"})
    assert b"Verified" in html.data


def test_tampered_data_integrity_credential_fails(client: FlaskClient, api_token: str) -> None:
    credential = issue(client, api_token, format="di")["credential"]
    credential["credentialSubject"]["achievement"]["name"] = "Something else"
    report = client.post("/api/v1/verify", json=credential).get_json()
    assert report["verified"] is False
    assert report["checks"][2] == {
        "id": "signature",
        "status": "failed",
        "code": "bad_signature",
        "message": "The credential's signature does not match its content.",
    }


def test_undefined_term_bolted_onto_the_subject_fails(client: FlaskClient, api_token: str) -> None:
    credential = issue(client, api_token, format="di")["credential"]
    credential["credentialSubject"]["jobFamily"] = "SRE"
    report = client.post("/api/v1/verify", json=credential).get_json()
    assert report["verified"] is False
    assert report["checks"][2]["code"] == "undefined_term"


def test_issue_unknown_format_is_a_clear_error(client: FlaskClient, api_token: str) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "a@b.c", "format": "pdf"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_format"


def test_issue_with_ecdsa_rdfc_2019(client: FlaskClient, api_token: str) -> None:
    body = issue(client, api_token, format="di", suite="ecdsa-rdfc-2019")
    assert body["format"] == "data-integrity"
    (proof,) = body["credential"]["proof"]
    assert proof["cryptosuite"] == "ecdsa-rdfc-2019"
    assert proof["verificationMethod"].startswith(ISSUER_DID + "#")
    report = client.post("/api/v1/verify", json=body["credential"]).get_json()
    assert report["verified"] is True
    assert "notes" not in report  # a current suite: nothing to note


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"suite": "ecdsa-sd-2023"}, "bad_suite"),
        ({"suite": "ecdsa-rdfc-2019", "format": "jwt"}, "bad_suite"),
        ({"suite": 2019}, "invalid_request"),
    ],
)
def test_issue_with_a_suite_that_cannot_be(
    client: FlaskClient, api_token: str, extra: dict[str, object], code: str
) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "a@b.c", **extra},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_issue_without_a_token_is_401(client: FlaskClient) -> None:
    response = client.post("/api/v1/credentials", json={"achievement": "x", "recipient": "a@b.c"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_issue_with_a_wrong_token_is_401(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "a@b.c"},
        headers={"Authorization": "Bearer sp_not-a-real-token"},
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_tokens_are_stored_hashed(services, api_token: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from passport.accounts.models import ApiToken

    with services.session() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert api_token not in stored
    assert len(stored) == 1 and len(stored[0]) == 64


def test_issue_unknown_achievement_is_404(client: FlaskClient, api_token: str) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "nope", "recipient": "a@b.c"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_achievement"


def test_issue_bad_recipient_is_a_clear_error(client: FlaskClient, api_token: str) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "not an email"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    # Refused before anything is built or stored (it used to reach the draft check: 422).
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_email"


def test_issue_body_that_is_not_json_is_400(client: FlaskClient, api_token: str) -> None:
    response = client.post(
        "/api/v1/credentials",
        data=b"{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_json"


def test_verify_jwt_body(client: FlaskClient, api_token: str) -> None:
    token = issue(client, api_token)["credential"]
    response = client.post("/api/v1/verify", data=token, content_type="application/jwt")
    report = response.get_json()
    assert response.status_code == 200
    assert report["verified"] is True
    assert [c["id"] for c in report["checks"]] == [
        "format",
        "schema",
        "signature",
        "issuer",
        "validity_window",
        "status",
        "endorsements",
        "conformance",
    ]
    assert all({"id", "status", "code", "message"} <= set(c) for c in report["checks"])
    assert isinstance(report["checks"][-1]["deviations"], list)


def test_verify_jwt_as_json_string_and_as_upload(client: FlaskClient, api_token: str) -> None:
    token = issue(client, api_token)["credential"]
    as_json = client.post("/api/v1/verify", json=token).get_json()
    upload = client.post(
        "/api/v1/verify",
        data={"file": (io.BytesIO(token.encode()), "badge.jwt")},
        content_type="multipart/form-data",
    ).get_json()
    assert as_json["verified"] is True and upload["verified"] is True


def test_verify_checks_the_recipient_when_asked(client: FlaskClient, api_token: str) -> None:
    token = issue(client, api_token)["credential"]
    yes = client.post(
        "/api/v1/verify?recipient=%20ada@example.COM", data=token, content_type="text/plain"
    ).get_json()
    no = client.post(
        "/api/v1/verify?recipient=eve@example.com", data=token, content_type="text/plain"
    ).get_json()
    assert yes["checks"][-2] == {
        "id": "recipient",
        "status": "passed",
        "code": "recipient_match",
        "message": "The credential was issued to that address.",
    }
    assert no["verified"] is False and no["checks"][-2]["code"] == "recipient_mismatch"


def test_verify_tampered_jwt_reports_signature_failure(client: FlaskClient, api_token: str) -> None:
    head, payload, sig = issue(client, api_token)["credential"].split(".")
    bad = f"{head}.{payload}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    report = client.post("/api/v1/verify", data=bad, content_type="application/jwt").get_json()
    assert report["verified"] is False
    assert report["checks"][2]["id"] == "signature"
    assert report["checks"][2]["status"] == "failed"


def test_verify_body_over_the_limit_is_413(client: FlaskClient, settings) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * (settings.max_request_bytes + 1)
    response = client.post("/api/v1/verify", data=big, content_type="application/jwt")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_verify_deeply_nested_json_body_is_a_report_not_a_500(client: FlaskClient) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    response = client.post("/api/v1/verify", data=deep, content_type="application/json")
    assert response.status_code == 200
    report = response.get_json()
    assert report["verified"] is False
    assert report["checks"][0]["code"] == "too_deep"


def test_verify_unsupported_media_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/verify", data=b"<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_verify_wrong_method_is_405_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/verify")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_credential_page_negotiates(client: FlaskClient, api_token: str) -> None:
    body = issue(client, api_token)
    url = f"/credentials/{body['id']}"
    html = client.get(url, headers={"Accept": "text/html"})
    assert html.status_code == 200 and b"Verified" in html.data
    assert b"Incident response" in html.data
    jwt_response = client.get(url, headers={"Accept": "application/vc+jwt"})
    assert jwt_response.data.decode() == body["credential"]
    assert jwt_response.mimetype == "application/vc+jwt"
    assert client.get(url, headers={"Accept": "*/*"}).mimetype == "text/html"
    assert client.get(url).mimetype == "text/html"  # no Accept header: the page


@pytest.mark.parametrize(
    ("fmt", "accept", "served"),
    [
        # A VC-JWT is served only as the token: its payload carries JWT claims (iss, jti, nbf)
        # outside the credential's context, so it is never re-serialised as JSON (issue #15).
        ("vc-jwt", "application/vc+ld+json", None),
        ("vc-jwt", "application/json", None),
        ("vc-jwt", "application/vc+ld+json, application/vc+jwt;q=0.5", "application/vc+jwt"),
        ("vc-jwt", "text/plain", "text/plain"),
        # JSON with an embedded proof is served as signed, never as a token.
        ("data-integrity", "application/vc+jwt", None),
        ("data-integrity", "application/jwt", None),
        ("data-integrity", "application/vc+jwt, application/json;q=0.5", "application/json"),
        ("data-integrity", "application/ld+json", "application/ld+json"),
    ],
)
def test_a_badge_is_served_only_in_its_stored_form_else_406(
    client: FlaskClient, api_token: str, fmt: str, accept: str, served: str | None
) -> None:
    body = issue(client, api_token, format=fmt)
    response = client.get(f"/credentials/{body['id']}", headers={"Accept": accept})
    if served is None:
        assert response.status_code == 406
        assert b"served only as it was signed" in response.data
        return
    assert response.status_code == 200 and response.mimetype == served
    stored = body["credential"]
    expected = (
        stored if isinstance(stored, str) else json.dumps(stored, ensure_ascii=False, indent=2)
    )
    assert response.data.decode() == expected


def test_stored_credential_is_byte_identical(services, client: FlaskClient, api_token: str) -> None:  # type: ignore[no-untyped-def]
    from passport.credentials.models import IssuedCredential

    body = issue(client, api_token)
    with services.session() as session:
        stored = session.get(IssuedCredential, body["id"]).content
    assert stored == body["credential"].encode()


def test_unknown_credential_is_404(client: FlaskClient) -> None:
    response = client.get("/credentials/urn:uuid:nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_well_known_documents_list_the_keys(client: FlaskClient) -> None:
    did = client.get("/.well-known/did.json")
    jwks = client.get("/.well-known/jwks.json")
    assert did.mimetype == "application/did+json"
    doc = json.loads(did.data)
    assert doc["id"] == ISSUER_DID
    # ES256 and RS256 (JWT) and Ed25519 (Data Integrity)
    assert len(doc["verificationMethod"]) == 3
    assert {k["alg"] for k in json.loads(jwks.data)["keys"]} == {"ES256", "EdDSA", "RS256"}


def test_achievement_definition_is_published(client: FlaskClient) -> None:
    doc = client.get("/achievements/incident-response-l2").get_json()
    assert doc["achievementType"] == "Competency"
    assert doc["resultDescription"][0]["resultType"] == "RubricCriterionLevel"
    assert {a["targetType"] for a in doc["alignment"]} == {"ext:JobFamily", "ext:WorkRole"}


def test_verify_page_form_requires_csrf(client: FlaskClient) -> None:
    response = client.post("/verify", data={"credential": "abc"})
    assert response.status_code == 403
    assert b"csrf_failed" in response.data


def test_verify_page_with_csrf_shows_a_report(client: FlaskClient, api_token: str) -> None:
    import re

    token = issue(client, api_token)["credential"]
    page = client.get("/verify").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/verify", data={"credential": token, "csrf_token": csrf})
    assert response.status_code == 200
    assert "Verified" in response.data.decode()


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_is_a_plain_404_page(client: FlaskClient) -> None:
    response = client.get("/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"Traceback" not in response.data and b"not_found" in response.data


def test_api_assessment_issues_and_replays(client: FlaskClient, api_token: str) -> None:
    body = {
        "learner": "ada@example.com",
        "achievement": "observability-l2",
        "levels": {"instrument": 2, "slo": 3, "alerting": 2},
        "evidence": [{"name": "SLO doc", "url": "https://wiki.example.com/slo"}],
        "idempotencyKey": "lms-attempt-7",
    }
    headers = {"Authorization": f"Bearer {api_token}"}
    first = client.post("/api/v1/assessments", json=body, headers=headers)
    assert first.status_code == 201
    outcome = first.get_json()
    assert outcome["passed"] is True and outcome["credentialId"]
    replay = client.post("/api/v1/assessments", json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.get_json()["credentialId"] == outcome["credentialId"]
    page = client.get(
        outcome["url"].removeprefix(PUBLIC_URL), headers={"Accept": "application/json"}
    )
    credential = page.get_json()
    assert credential["evidence"][0]["id"] == "https://wiki.example.com/slo"


def test_the_longest_token_name_and_idempotency_key_still_replay(
    client: FlaskClient, services: Services
) -> None:
    """A 100-character token name and a 150-character key overflowed the 200-character column
    (a 500 on PostgreSQL); such a pair is stored by its SHA-256 and still replays."""
    with services.session() as session:
        token = create_token(session, "n" * 100, scopes=["assessments:write"], actor="test")
    body = {
        "learner": "ada@example.com",
        "achievement": "observability-l2",
        "levels": {"instrument": 2, "slo": 3, "alerting": 2},
        "idempotencyKey": "k" * 150,
    }
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/assessments", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    replay = client.post("/api/v1/assessments", json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.get_json()["assessment"] == first.get_json()["assessment"]
    with services.session() as session:
        stored = session.scalars(select(Assessment.idempotency_key)).all()
    assert [len(k) for k in stored if k] == [len("api-sha256:") + 64]


def test_api_assessment_with_a_missing_level_is_a_clear_error(
    client: FlaskClient, api_token: str
) -> None:
    response = client.post(
        "/api/v1/assessments",
        json={"learner": "a@b.c", "achievement": "observability-l2", "levels": {"slo": 3}},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "missing_criterion"


def test_api_assessment_needs_a_token(client: FlaskClient) -> None:
    response = client.post("/api/v1/assessments", json={"learner": "a@b.c"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "recipient",
    ["x\x00@example.com", "no-at-sign.example.com", "two@@example.com", "a b@example.com", "x@y"],
)
def test_a_recipient_that_is_not_an_address_is_refused(
    client: FlaskClient, api_token: str, recipient: str
) -> None:
    response = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": recipient},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_email"
    from passport.credentials.models import Holder
    from passport.web.context import get_services

    with get_services(client.application).session() as session:
        # (compared in Python: PostgreSQL cannot even be asked about a NUL)
        assert recipient.strip().lower() not in {h.email for h in session.query(Holder)}


def test_a_nul_in_a_looked_up_id_is_a_clear_400_on_every_database(client: FlaskClient) -> None:
    """PostgreSQL refuses to compare text holding NUL; that is the request's fault, not a 500."""
    response = client.post("/api/v1/verify?jobFamily=%00", json={"not": "a credential"})
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]["code"] in ("unstorable_value", "unknown_job_family")
    page = client.get("/credentials/urn:uuid:%00")
    assert page.status_code in (400, 404)


def test_a_retired_achievement_is_neither_assessed_nor_issued(
    client: FlaskClient, api_token: str, services: Services
) -> None:
    from passport.catalog.achievement_admin import set_achievement_retired

    with services.session() as session:
        set_achievement_retired(session, "observability-l2", True, actor="test", now=services.now())
        set_achievement_retired(
            session, "incident-response-l2", True, actor="test", now=services.now()
        )
    headers = {"Authorization": f"Bearer {api_token}"}
    assessed = client.post(
        "/api/v1/assessments",
        json={
            "learner": "ada@example.com",
            "achievement": "observability-l2",
            "levels": {"instrument": 2, "slo": 3, "alerting": 2},
        },
        headers=headers,
    )
    assert assessed.status_code == 400
    assert assessed.get_json()["error"]["code"] == "retired_achievement"
    issued = client.post(
        "/api/v1/credentials",
        json={"achievement": "incident-response-l2", "recipient": "ada@example.com"},
        headers=headers,
    )
    assert issued.status_code == 400
    assert issued.get_json()["error"]["code"] == "retired_achievement"


def test_token_info_tells_an_integration_its_scopes(client: FlaskClient, api_token: str) -> None:
    response = client.get("/api/v1/token", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["name"] == "test-integration" and body["expiresAt"] is None
    assert "read" in body["scopes"] and api_token not in response.get_data(as_text=True)
    assert client.get("/api/v1/token").status_code == 401


def test_verify_is_open_but_a_presented_token_must_carry_verify(
    client: FlaskClient, services: Services
) -> None:
    from passport.accounts.tokens import create_token, revoke_token

    with services.session() as db:
        checker = create_token(db, "checker", scopes=["verify"], actor="test")
        issuer = create_token(db, "issuer", scopes=["credentials:issue"], actor="test")
    body = {"hello": "world"}
    assert client.post("/api/v1/verify", json=body).status_code == 200
    auth = {"Authorization": f"Bearer {checker}"}
    assert client.post("/api/v1/verify", json=body, headers=auth).status_code == 200
    refused = client.post(
        "/api/v1/verify", json=body, headers={"Authorization": f"Bearer {issuer}"}
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "insufficient_scope"
    with services.session() as db:
        revoke_token(db, "checker", actor="test", now=services.now())
    # A revoked token is not quietly treated as anonymous.
    assert client.post("/api/v1/verify", json=body, headers=auth).status_code == 401
