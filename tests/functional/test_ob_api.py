"""The 1EdTech Open Badges 3.0 API (passport.web.ob_api): registration, the authorization code
grant with PKCE, refresh, revocation, and the resource endpoints with their errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passport.services import Services
from tests.functional.signing_in import log_in, make_user

SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
ALL_SCOPES = " ".join(
    SCOPE + s
    for s in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)
REDIRECT = "https://platform.example/callback"
LEARNER = "lea@example.com"


def metadata(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_name": "Example Platform",
        "client_uri": "https://platform.example/",
        "logo_uri": "https://platform.example/logo.png",
        "tos_uri": "https://platform.example/terms",
        "policy_uri": "https://platform.example/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "v4.2.30",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": ALL_SCOPES,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/ims/ob/v3p0/oauth/register", json=metadata(**changes))
    assert response.status_code == 201, response.data
    body: dict[str, Any] = response.get_json()
    return body


def basic(platform: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    pair = f"{platform['client_id']}:{secret or platform['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(platform: dict[str, Any], challenge: str, **changes: Any) -> str:
    query = {
        "response_type": "code",
        "client_id": platform["client_id"],
        "redirect_uri": REDIRECT,
        "scope": ALL_SCOPES,
        "state": "xyz-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query.update(changes)
    return "/ims/ob/v3p0/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v})


def consent(client: FlaskClient, url: str, decision: str = "allow") -> dict[str, list[str]]:
    """Open the consent page, answer it; the query of the redirect to the platform."""
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.data
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    answer = client.post(url, data={"csrf_token": token[1], "decision": decision})
    assert answer.status_code == 302, answer.data
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def exchange(
    client: FlaskClient, platform: dict[str, Any], code: str, verifier: str, **changes: Any
) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    form.update(changes)
    return client.post("/ims/ob/v3p0/oauth/token", data=form, headers=basic(platform))


@pytest.fixture
def learner(services: Services, client: FlaskClient) -> FlaskClient:
    make_user(services, LEARNER, "Lea Learner")
    log_in(client, LEARNER, "/passport")
    return client


def tokens(client: FlaskClient, platform: dict[str, Any], scope: str = ALL_SCOPES) -> Any:
    verifier, challenge = pkce()
    query = consent(client, authorize_url(platform, challenge, scope=scope))
    assert query["state"] == ["xyz-state"]
    response = exchange(client, platform, query["code"][0], verifier)
    assert response.status_code == 200, response.data
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(
    services: Services, email: str = LEARNER, fmt: str = "data-integrity", hours: int = 1
) -> str:
    from passport.credentials.issuing import IssueRequest, issue_credential

    with services.session() as session:
        record = issue_credential(
            session,
            services,
            IssueRequest("incident-response-l2", email, proof_format=fmt),
            now=services.now() - timedelta(hours=hours),
        )
        return str(record.id)


# -- registration ----------------------------------------------------------------------------


def test_registration_answers_201_with_the_metadata_and_a_hashed_secret(
    client: FlaskClient, services: Services
) -> None:
    from sqlalchemy import select

    from passport.audit import AuditEvent
    from passport.wallets.models import ObApiClient

    body = register(client)
    assert body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    for key, value in metadata().items():
        assert body[key] == value, key
    with services.session() as db:
        stored = db.scalar(select(ObApiClient))
        assert stored is not None
        assert body["client_secret"] not in stored.secret_hash
        assert stored.secret_hash == hashlib.sha256(body["client_secret"].encode()).hexdigest()
        assert (
            db.scalar(
                select(AuditEvent.subject).where(AuditEvent.action == "obapi.client.register")
            )
            == body["client_id"]
        )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_name": None}, "invalid_client_metadata"),
        ({"logo_uri": None}, "invalid_client_metadata"),
        ({"software_version": ""}, "invalid_client_metadata"),
        ({"tos_uri": "http://platform.example/terms"}, "invalid_client_metadata"),
        ({"policy_uri": "https://elsewhere.example/p"}, "invalid_client_metadata"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": REDIRECT}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://platform.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://platform.example/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": "authorization_code"}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"scope": SCOPE + "credential.delete"}, "invalid_client_metadata"),
        ({"scope": None}, "invalid_client_metadata"),
    ],
)
def test_registration_refusals(client: FlaskClient, changes: dict[str, Any], error: str) -> None:
    response = client.post("/ims/ob/v3p0/oauth/register", json=metadata(**changes))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == error
    assert body["error_description"]


def test_registration_of_a_loopback_platform_over_http(client: FlaskClient) -> None:
    body = register(
        client,
        client_uri="http://127.0.0.1:8123/",
        logo_uri="http://127.0.0.1:8123/logo.png",
        tos_uri="http://127.0.0.1:8123/tos",
        policy_uri="http://127.0.0.1:8123/privacy",
        redirect_uris=["http://127.0.0.1:8123/cb"],
        grant_types=None,
        response_types=None,
        token_endpoint_auth_method=None,
    )
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert client.post("/ims/ob/v3p0/oauth/register", data="x").status_code == 400


# -- authorization, token, refresh, revocation --------------------------------------------------


def test_the_whole_grant_then_refresh_rotation_then_revocation(learner: FlaskClient) -> None:
    platform = register(learner)
    verifier, challenge = pkce()
    page = learner.get(authorize_url(platform, challenge), headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert "Example Platform" in html and "platform.example" in html
    assert "See the badges in your passport" in html and "Change your name" in html
    assert f"the account you are signed in with: {LEARNER}." in html
    assert "form-action 'self' https://platform.example" in page.headers["Content-Security-Policy"]
    query = consent(learner, authorize_url(platform, challenge))
    response = exchange(learner, platform, query["code"][0], verifier)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    first = response.get_json()
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3600
    assert set(first["scope"].split()) == set(ALL_SCOPES.split())
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(first["access_token"])).status_code
        == 200
    )

    refreshed = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(platform),
    )
    assert refreshed.status_code == 200, refreshed.data
    second = refreshed.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    # rotation: the old pair is gone, the old refresh token cannot be used again
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(first["access_token"])).status_code
        == 401
    )
    again = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(platform),
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    # ... and presenting it again ended the chain (RFC 9700 §4.14.2): its successor too
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(second["access_token"])).status_code
        == 401
    )
    second = tokens(learner, platform)
    # a narrower scope on refresh is allowed, a wider one is not
    narrower = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "scope": SCOPE + "profile.readonly",
        },
        headers=basic(platform),
    )
    assert narrower.status_code == 200
    third = narrower.get_json()
    assert third["scope"] == SCOPE + "profile.readonly"

    revoked = learner.post(
        "/ims/ob/v3p0/oauth/revoke",
        data={"token": third["refresh_token"], "token_type_hint": "refresh_token"},
        headers=basic(platform),
    )
    assert revoked.status_code == 200
    denied = learner.get("/ims/ob/v3p0/profile", headers=bearer(third["access_token"]))
    assert denied.status_code == 401
    assert 'error="invalid_token"' in denied.headers["WWW-Authenticate"]
    # revoking an unknown token is not an error (RFC 7009 §2.2)
    unknown = learner.post(
        "/ims/ob/v3p0/oauth/revoke", data={"token": "nope"}, headers=basic(platform)
    )
    assert unknown.status_code == 200


def test_token_refusals(learner: FlaskClient) -> None:
    platform = register(learner)
    other = register(learner, client_name="Other")
    verifier, challenge = pkce()

    def fresh_code() -> str:
        return consent(learner, authorize_url(platform, challenge))["code"][0]

    wrong_verifier = exchange(learner, platform, fresh_code(), pkce()[0])
    assert (
        wrong_verifier.status_code == 400 and wrong_verifier.get_json()["error"] == "invalid_grant"
    )
    no_verifier = exchange(learner, platform, fresh_code(), "", code_verifier="")
    assert no_verifier.status_code == 400
    wrong_redirect = exchange(
        learner, platform, fresh_code(), verifier, redirect_uri="https://platform.example/other"
    )
    assert (
        wrong_redirect.status_code == 400 and wrong_redirect.get_json()["error"] == "invalid_grant"
    )
    code = fresh_code()
    wrong_secret = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=basic(platform, "not-the-secret"),
    )
    assert wrong_secret.status_code == 401 and wrong_secret.get_json()["error"] == "invalid_client"
    in_the_body = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": platform["client_id"],
            "client_secret": platform["client_secret"],
        },
    )
    assert in_the_body.status_code in (400, 401)  # only client_secret_basic
    someone_elses = exchange(learner, other, code, verifier)
    assert someone_elses.status_code == 400 and someone_elses.get_json()["error"] == "invalid_grant"
    # the code, used once: a second use is refused and what the first gave is revoked
    code = fresh_code()
    good = exchange(learner, platform, code, verifier)
    assert good.status_code == 200
    access = good.get_json()["access_token"]
    assert learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 200
    replay = exchange(learner, platform, code, verifier)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 401
    unsupported = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(platform),
    )
    assert unsupported.status_code == 400
    assert unsupported.get_json()["error"] == "unsupported_grant_type"


def test_expired_code_and_expired_token(learner: FlaskClient, services: Services) -> None:
    from sqlalchemy import update

    from passport.wallets.models import ObApiAuthorizationCode, ObApiToken

    platform = register(learner)
    verifier, challenge = pkce()
    code = consent(learner, authorize_url(platform, challenge))["code"][0]
    past = services.now() - timedelta(seconds=1)
    with services.session() as db:
        db.execute(update(ObApiAuthorizationCode).values(expires_at=past))
    late = exchange(learner, platform, code, verifier)
    assert late.status_code == 400 and late.get_json()["error"] == "invalid_grant"
    pair = tokens(learner, platform)
    with services.session() as db:
        db.execute(update(ObApiToken).values(expires_at=past))
    expired = learner.get("/ims/ob/v3p0/profile", headers=bearer(pair["access_token"]))
    assert expired.status_code == 401
    assert expired.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0] == {
        "imsx_codeMinorFieldName": "invalid_token",
        "imsx_codeMinorFieldValue": "unauthorizedrequest",
    }
    # the refresh token outlives the access token; once it has expired too, it is refused
    with services.session() as db:
        db.execute(update(ObApiToken).values(refresh_expires_at=past))
    stale = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
        headers=basic(platform),
    )
    assert stale.status_code == 400 and stale.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"state": None}, "invalid_request"),
        ({"scope": SCOPE + "credential.delete"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
    ],
)
def test_authorization_refusals_go_back_to_the_platform(
    learner: FlaskClient, changes: dict[str, Any], error: str
) -> None:
    platform = register(learner)
    response = learner.get(
        authorize_url(platform, pkce()[1], **changes), headers={"Accept": "text/html"}
    )
    assert response.status_code == 302, response.data
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["error"] == [error]


def test_unknown_client_or_redirect_is_refused_here_not_redirected(learner: FlaskClient) -> None:
    platform = register(learner)
    challenge = pkce()[1]
    for url in (
        authorize_url(platform, challenge, redirect_uri="https://platform.example/elsewhere"),
        authorize_url(platform, challenge, redirect_uri=None),
        authorize_url({"client_id": "nobody"}, challenge),
    ):
        response = learner.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 400
        assert "cannot be used" in response.get_data(as_text=True)


def test_deny_sends_access_denied_with_the_state(learner: FlaskClient) -> None:
    platform = register(learner)
    query = consent(learner, authorize_url(platform, pkce()[1]), decision="deny")
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz-state"]
    assert "code" not in query


def test_signed_out_learner_is_sent_to_log_in_and_back(client: FlaskClient) -> None:
    platform = register(client)
    url = authorize_url(platform, pkce()[1])
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# -- resources --------------------------------------------------------------------------------


def test_discovery_is_public_and_names_our_endpoints(client: FlaskClient) -> None:
    response = client.get("/ims/ob/v3p0/discovery")
    assert response.status_code == 200
    document = response.get_json()
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-registrationUrl"] == "http://127.0.0.1:5000/ims/ob/v3p0/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"].endswith("/ims/ob/v3p0/oauth/authorize")
    assert flow["tokenUrl"] == flow["refreshUrl"]
    assert sorted(flow["scopes"]) == sorted(ALL_SCOPES.split())
    assert document["servers"] == [
        {"url": "http://127.0.0.1:5000/ims/ob/v3p0", "description": "Skill Passport"}
    ]
    assert client.get(urlsplit(document["info"]["termsOfService"]).path).status_code == 200


def test_credentials_paging_since_and_scopes(learner: FlaskClient, services: Services) -> None:
    ids = [
        issue(services, hours=h, fmt=f)
        for h, f in ((5, "data-integrity"), (4, "vc-jwt"), (3, "data-integrity"))
    ]
    revoked = issue(services, hours=2)
    issue(services, email="someone@example.com")
    from passport.credentials.status import change_status

    with services.session() as db:
        change_status(
            db, services, revoked, "revoke", reason="t", actor="admin", now=services.now()
        )
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    response = learner.get("/ims/ob/v3p0/credentials?limit=2", headers=bearer(access))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    body = response.get_json()
    assert set(body) <= {"credential", "compactJwsString"}
    assert [c["id"] for c in body["credential"]] == [ids[0]]
    assert len(body["compactJwsString"]) == 1
    links = response.headers["Link"]
    assert '<http://127.0.0.1:5000/ims/ob/v3p0/credentials?limit=2&offset=2>; rel="next"' in links
    assert 'offset=2>; rel="last"' in links and 'offset=0>; rel="first"' in links
    assert 'rel="prev"' not in links
    second = learner.get("/ims/ob/v3p0/credentials?limit=2&offset=2", headers=bearer(access))
    assert [c["id"] for c in second.get_json()["credential"]] == [ids[2]]
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    since = (services.now() - timedelta(hours=3, minutes=30)).isoformat()
    recent = learner.get(
        "/ims/ob/v3p0/credentials?" + urlencode({"since": since}), headers=bearer(access)
    )
    assert recent.headers["X-Total-Count"] == "1"
    for bad in (
        "limit=0",
        "limit=x",
        "offset=-1",
        "since=yesterday",
        "since=2026-01-01T00:00:00",
    ):
        refused = learner.get(f"/ims/ob/v3p0/credentials?{bad}", headers=bearer(access))
        assert refused.status_code == 400, bad
        field = refused.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]
        assert field["imsx_codeMinorFieldValue"] == "invalid_query_parameter", bad
    narrow = tokens(learner, platform, scope=SCOPE + "profile.readonly")["access_token"]
    forbidden = learner.get("/ims/ob/v3p0/credentials", headers=bearer(narrow))
    assert forbidden.status_code == 403
    assert 'error="insufficient_scope"' in forbidden.headers["WWW-Authenticate"]
    assert SCOPE + "credential.readonly" in forbidden.headers["WWW-Authenticate"]
    anonymous = learner.get("/ims/ob/v3p0/credentials")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith(
        "Bearer"
    )


def _stored_badge(services: Services, email: str) -> tuple[bytes, str]:
    """A badge we issued to ``email``, as stored (JSON, Data Integrity), and its id."""
    issued = issue(services, email=email)
    with services.session() as db:
        from passport.credentials.models import IssuedCredential

        record = db.get(IssuedCredential, issued)
        assert record is not None
        return record.content, issued


def _foreign_badge(services: Services, fmt: str = "data-integrity") -> bytes:
    """A badge naming the learner that is not on record as ours for them (as if another
    platform's): issued to them, then put on someone else's record."""
    from passport.credentials.models import Holder, IssuedCredential

    issue(services, email="someone@example.com")
    issued = issue(services, fmt=fmt)
    with services.session() as db:
        record = db.get(IssuedCredential, issued)
        other = db.query(Holder).filter_by(email="someone@example.com").one()
        assert record is not None
        record.holder_id = other.id
        return record.content


def test_upsert_good_replaced_forged_and_someone_elses(
    learner: FlaskClient, services: Services
) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    issue(services)  # one of ours
    content = _foreign_badge(services)
    headers = {**bearer(access), "Content-Type": "application/json"}
    created = learner.post("/ims/ob/v3p0/credentials", data=content, headers=headers)
    assert created.status_code == 201, created.data
    assert created.data == content
    replaced = learner.post("/ims/ob/v3p0/credentials", data=content, headers=headers)
    assert replaced.status_code == 200
    listed = learner.get("/ims/ob/v3p0/credentials", headers=bearer(access))
    assert listed.headers["X-Total-Count"] == "2"  # ours, and the one pushed in (once)
    passport = learner.get("/passport", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "From other platforms" in passport
    held = re.search(r'href="(/my/platforms/credentials/\d+)"', passport)
    assert held is not None
    assert learner.get(held[1]).data == content

    forged = json.loads(content)
    forged["credentialSubject"]["achievement"]["name"] = "Something never earned"
    refused = learner.post("/ims/ob/v3p0/credentials", json=forged, headers=bearer(access))
    assert refused.status_code == 400
    field = refused.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]
    assert field["imsx_codeMinorFieldName"] == "credential_not_verified"

    theirs, _ = _stored_badge(services, "someone@example.com")
    refused = learner.post("/ims/ob/v3p0/credentials", data=theirs, headers=headers)
    assert refused.status_code == 400
    assert (
        refused.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldName"]
        == "not_this_learner"
    )

    jws = _foreign_badge(services, fmt="vc-jwt")
    as_text = learner.post(
        "/ims/ob/v3p0/credentials",
        data=jws,
        headers={**bearer(access), "Content-Type": "text/plain"},
    )
    assert as_text.status_code == 201 and as_text.data == jws
    assert as_text.mimetype == "text/plain"
    for body, kind in (
        (b"not json", "application/json"),
        (b"a.b", "text/plain"),
        (b"[]", "application/json"),
    ):
        bad = learner.post(
            "/ims/ob/v3p0/credentials", data=body, headers={**bearer(access), "Content-Type": kind}
        )
        assert bad.status_code == 400, body
    assert (
        learner.post(
            "/ims/ob/v3p0/credentials",
            data=content,
            headers={**bearer(access), "Content-Type": "image/png"},
        ).status_code
        == 415
    )
    # a verifiable credential of another kind (the learner's own CLR) is not a badge to keep
    clr = learner.get("/passport/export-clr.json")
    assert clr.status_code == 200
    refused = learner.post("/ims/ob/v3p0/credentials", data=clr.data, headers=headers)
    assert refused.status_code == 400
    field = refused.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0]
    assert field["imsx_codeMinorFieldName"] == "invalid_credential", field
    readonly = tokens(learner, platform, scope=SCOPE + "credential.readonly")["access_token"]
    assert (
        learner.post(
            "/ims/ob/v3p0/credentials",
            data=content,
            headers={**bearer(readonly), "Content-Type": "application/json"},
        ).status_code
        == 403
    )


def test_profile_read_and_update(learner: FlaskClient, services: Services) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    profile = learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).get_json()
    assert profile["type"] == ["Profile"] and profile["name"] == "Lea Learner"
    assert profile["email"] == LEARNER and profile["id"].startswith("urn:uuid:")
    changed = learner.put(
        "/ims/ob/v3p0/profile", json={**profile, "name": "Lea L. Learner"}, headers=bearer(access)
    )
    assert changed.status_code == 200 and changed.get_json()["name"] == "Lea L. Learner"
    for bad in (
        {**profile, "name": ""},
        {**profile, "name": "x" * 201},
        {**profile, "name": "two\nlines"},
        {**profile, "email": "other@example.com"},
        {**profile, "id": "urn:uuid:00000000-0000-0000-0000-000000000000"},
        {**profile, "type": ["Organization"]},
        {**profile, "description": "not kept"},
        ["not", "a", "profile"],
    ):
        refused = learner.put("/ims/ob/v3p0/profile", json=bad, headers=bearer(access))
        assert refused.status_code == 400, bad
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).get_json()["name"]
        == "Lea L. Learner"
    )
    readonly = tokens(learner, platform, scope=SCOPE + "profile.readonly")["access_token"]
    assert (
        learner.put("/ims/ob/v3p0/profile", json=profile, headers=bearer(readonly)).status_code
        == 403
    )


def test_learner_sees_and_ends_platform_access_and_admin_disables(
    learner: FlaskClient, services: Services, app: Flask
) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    page = learner.get("/my/platforms", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Example Platform" in page and "Add badges to your passport" in page
    action = re.search(r'action="(/my/platforms/\d+/revoke)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert action is not None and token is not None
    assert learner.post(action[1], data={"csrf_token": token[1]}).status_code == 302
    assert learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 401
    assert "Example Platform" not in learner.get("/my/platforms").get_data(as_text=True)

    access = tokens(learner, platform)["access_token"]
    admin = app.test_client()
    make_user(services, "ada@example.com", "Ada Admin", role="admin")
    log_in(admin, "ada@example.com", "/admin/platforms")
    listing = admin.get("/admin/platforms").get_data(as_text=True)
    assert "Example Platform" in listing
    disable = re.search(r'action="(/admin/platforms/\d+/disable)"', listing)
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing)
    assert disable is not None and token is not None
    assert admin.post(disable[1], data={"csrf_token": token[1]}).status_code == 302
    assert learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).status_code == 401
    _verifier, challenge = pkce()
    refused = learner.get(authorize_url(platform, challenge), headers={"Accept": "text/html"})
    assert refused.status_code == 400


# -- the spec's own OpenAPI description as the judge ---------------------------------------------


def _spec_validator(name: str) -> Any:
    """A validator for ``components.schemas[name]`` of the spec's bundled OpenAPI file."""
    from jsonschema import Draft201909Validator

    from passport.wallets.obapi_discovery import spec_openapi

    root = {
        "$ref": f"#/components/schemas/{name}",
        "components": spec_openapi()["components"],
    }
    return Draft201909Validator(root)


def test_discovery_is_valid_against_the_spec_schema_and_openapi(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    document = client.get("/ims/ob/v3p0/discovery").get_json()
    validator = _spec_validator("ServiceDescriptionDocument")
    assert list(validator.iter_errors(document)) == []
    validate(document)  # the whole document is a valid OpenAPI 3.0 description
    # the check can fail: without what the spec requires, the document is refused
    for path in (("info", "x-imssf-privacyPolicyUrl"), ("info", "termsOfService")):
        broken = json.loads(json.dumps(document))
        del broken[path[0]][path[1]]
        assert list(validator.iter_errors(broken)), path
    broken = json.loads(json.dumps(document))
    del broken["components"]["securitySchemes"]["OAuth2ACG"]["x-imssf-registrationUrl"]
    assert list(validator.iter_errors(broken))


def test_responses_are_valid_against_the_spec_schemas(
    learner: FlaskClient, services: Services
) -> None:
    issue(services, fmt="data-integrity")
    issue(services, fmt="vc-jwt")
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    listed = learner.get("/ims/ob/v3p0/credentials", headers=bearer(access)).get_json()
    assert len(listed["credential"]) == 1 and len(listed["compactJwsString"]) == 1
    assert list(_spec_validator("GetOpenBadgeCredentialsResponse").iter_errors(listed)) == []
    profile = learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).get_json()
    assert list(_spec_validator("Profile").iter_errors(profile)) == []
    status = learner.get("/ims/ob/v3p0/credentials?limit=0", headers=bearer(access)).get_json()
    assert list(_spec_validator("Imsx_StatusInfo").iter_errors(status)) == []
    assert list(_spec_validator("Imsx_StatusInfo").iter_errors({**status, "extra": 1}))


def test_a_closed_account_ends_the_platforms_access(
    learner: FlaskClient, services: Services
) -> None:
    from sqlalchemy import update

    from passport.accounts.models import User

    platform = register(learner)
    pair = tokens(learner, platform)
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(pair["access_token"])).status_code == 200
    )
    with services.session() as db:
        db.execute(update(User).where(User.email == LEARNER).values(deactivated_at=services.now()))
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(pair["access_token"])).status_code == 401
    )
    refreshed = learner.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
        headers=basic(platform),
    )
    assert refreshed.status_code == 400


def test_unknown_paths_and_methods_answer_imsx(client: FlaskClient) -> None:
    validator = _spec_validator("Imsx_StatusInfo")
    for method, path, status, value in (
        ("DELETE", "/ims/ob/v3p0/credentials", 405, "not_allowed"),
        ("POST", "/ims/ob/v3p0/profile", 405, "not_allowed"),
        ("PUT", "/ims/ob/v3p0/discovery", 405, "not_allowed"),
        ("GET", "/ims/ob/v3p0/credentials/urn:uuid:1", 404, "not_found"),
        ("GET", "/ims/ob/v3p0/nothing", 404, "not_found"),
    ):
        response = client.open(path, method=method)
        assert response.status_code == status, (method, path)
        body = response.get_json()
        assert list(validator.iter_errors(body)) == []
        assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == value
        if status == 405:
            assert method not in response.headers["Allow"]
    # the OAuth endpoints keep their own routes
    assert client.get("/ims/ob/v3p0/oauth/token").status_code == 405


# -- review findings (issue #22 item 3) ----------------------------------------------------------


def _imsx_code(response: Any) -> str:
    code: str = response.get_json()["imsx_codeMinor"]["imsx_codeMinorField"][0][
        "imsx_codeMinorFieldName"
    ]
    return code


def _refresh(client: FlaskClient, platform: dict[str, Any], refresh_token: str) -> Any:
    return client.post(
        "/ims/ob/v3p0/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic(platform),
    )


def test_a_bom_or_utf16_body_is_refused_and_an_unreadable_row_does_not_break_the_list(
    learner: FlaskClient, services: Services
) -> None:
    from passport.accounts.models import User
    from passport.wallets.models import HeldCredential

    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    content, _ = _stored_badge(services, LEARNER)
    headers = {**bearer(access), "Content-Type": "application/json"}
    for body in (
        b"\xef\xbb\xbf" + content,
        content.decode("utf-8").encode("utf-16"),
        content.decode("utf-8").encode("utf-16-le"),
    ):
        refused = learner.post("/ims/ob/v3p0/credentials", data=body, headers=headers)
        assert refused.status_code == 400, body[:8]
        assert _imsx_code(refused) == "invalid_credential"
    # a row stored before this check (or damaged) is left out of the list, not a 500
    with services.session() as db:
        user = db.query(User).filter_by(email=LEARNER).one()
        db.add(
            HeldCredential(
                user_id=user.id,
                identity_key="0" * 64,
                credential_id="urn:uuid:broken",
                issuer_id="https://elsewhere.example/",
                media_type="application/json",
                content=b"\xef\xbb\xbf{}",
                issued_at=services.now(),
                received_at=services.now(),
            )
        )
    listed = learner.get("/ims/ob/v3p0/credentials", headers=bearer(access))
    assert listed.status_code == 200
    assert len(listed.get_json()["credential"]) == 1


def test_a_replayed_code_also_revokes_the_tokens_refreshed_from_it(learner: FlaskClient) -> None:
    platform = register(learner)
    verifier, challenge = pkce()
    code = consent(learner, authorize_url(platform, challenge))["code"][0]
    first = exchange(learner, platform, code, verifier).get_json()
    second = _refresh(learner, platform, first["refresh_token"]).get_json()
    assert learner.get("/ims/ob/v3p0/profile", headers=bearer(second["access_token"])).status_code
    replay = exchange(learner, platform, code, verifier)
    assert replay.status_code == 400
    denied = learner.get("/ims/ob/v3p0/profile", headers=bearer(second["access_token"]))
    assert denied.status_code == 401
    assert _refresh(learner, platform, second["refresh_token"]).status_code == 400


def test_a_reused_refresh_token_revokes_the_whole_chain(learner: FlaskClient) -> None:
    platform = register(learner)
    first = tokens(learner, platform)
    other = tokens(learner, platform)  # another chain of the same platform stays
    second = _refresh(learner, platform, first["refresh_token"]).get_json()
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(second["access_token"])).status_code
        == 200
    )
    reused = _refresh(learner, platform, first["refresh_token"])
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(second["access_token"])).status_code
        == 401
    )
    assert _refresh(learner, platform, second["refresh_token"]).status_code == 400
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(other["access_token"])).status_code
        == 200
    )


def test_deeply_nested_json_and_undecodable_basic_credentials_are_refused(
    learner: FlaskClient,
) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    deep = b"[" * 50000 + b"]" * 50000
    json_headers = {**bearer(access), "Content-Type": "application/json"}
    pushed = learner.post("/ims/ob/v3p0/credentials", data=deep, headers=json_headers)
    assert pushed.status_code == 400 and _imsx_code(pushed) == "invalid_credential"
    put = learner.put("/ims/ob/v3p0/profile", data=deep, headers=json_headers)
    assert put.status_code == 400 and _imsx_code(put) == "invalid_profile"
    registered = learner.post(
        "/ims/ob/v3p0/oauth/register", data=deep, headers={"Content-Type": "application/json"}
    )
    assert registered.status_code == 400
    assert registered.get_json()["error"] == "invalid_client_metadata"
    junk = {"Authorization": "Basic " + base64.b64encode(b"\xff:\xff").decode()}
    for path, form in (
        ("/ims/ob/v3p0/oauth/token", {"grant_type": "refresh_token", "refresh_token": "x"}),
        ("/ims/ob/v3p0/oauth/revoke", {"token": "x"}),
    ):
        refused = learner.post(path, data=form, headers=junk)
        assert refused.status_code == 401, path
        assert refused.get_json()["error"] == "invalid_client", path
        assert refused.headers["WWW-Authenticate"].startswith("Basic")


def test_pushing_one_of_our_own_badges_does_not_list_it_twice(
    learner: FlaskClient, services: Services
) -> None:
    from passport.wallets.models import HeldCredential

    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    content, _ = _stored_badge(services, LEARNER)
    headers = {**bearer(access), "Content-Type": "application/json"}
    pushed = learner.post("/ims/ob/v3p0/credentials", data=content, headers=headers)
    assert pushed.status_code == 200 and pushed.data == content
    listed = learner.get("/ims/ob/v3p0/credentials", headers=bearer(access))
    assert listed.headers["X-Total-Count"] == "1"
    with services.session() as db:
        assert db.query(HeldCredential).count() == 0


def test_the_passport_page_says_who_issued_a_pushed_badge_and_which_platform_sent_it(
    learner: FlaskClient, services: Services
) -> None:
    from passport.accounts.models import User
    from passport.wallets.models import HeldCredential, ObApiClient

    platform = register(learner, client_name="Badge Hub")
    content, _ = _stored_badge(services, "someone@example.com")
    document = json.loads(content)
    with services.session() as db:
        user = db.query(User).filter_by(email=LEARNER).one()
        client = db.query(ObApiClient).filter_by(client_id=platform["client_id"]).one()
        db.add(
            HeldCredential(
                user_id=user.id,
                identity_key="1" * 64,
                credential_id="urn:uuid:from-elsewhere",
                issuer_id=document["issuer"]["id"],
                name="Pushed badge",
                media_type="application/json",
                content=content,
                issued_at=services.now(),
                received_at=services.now(),
                client_pk=client.id,
            )
        )
        db.add(
            HeldCredential(
                user_id=user.id,
                identity_key="2" * 64,
                credential_id="urn:uuid:nameless-issuer",
                issuer_id="https://issuer.example/badges/1",
                name="Second pushed badge",
                media_type="application/json",
                content=b'{"issuer": "https://issuer.example/badges/1"}',
                issued_at=services.now(),
                received_at=services.now(),
            )
        )
    page = learner.get("/passport", headers={"Accept": "text/html"}).get_data(as_text=True)
    section = page.split('id="from-platforms"', 1)[1].split("</section>", 1)[0]
    issuer_name = document["issuer"]["name"]
    assert f"Issued by {issuer_name}" in section
    assert "Added by Badge Hub" in section
    assert "Issued by issuer.example" in section


def test_deactivating_an_account_revokes_its_platform_tokens_for_good(
    learner: FlaskClient, services: Services
) -> None:
    from passport.accounts.models import User
    from passport.accounts.users import set_user_active

    platform = register(learner)
    pair = tokens(learner, platform)
    verifier, challenge = pkce()
    code = consent(learner, authorize_url(platform, challenge))["code"][0]
    for active in (False, True):
        with services.session() as db:
            user = db.query(User).filter_by(email=LEARNER).one()
            set_user_active(db, user, active=active, actor="admin@example.com", now=services.now())
    assert (
        learner.get("/ims/ob/v3p0/profile", headers=bearer(pair["access_token"])).status_code == 401
    )
    assert _refresh(learner, platform, pair["refresh_token"]).status_code == 400
    assert exchange(learner, platform, code, verifier).status_code == 400


@pytest.mark.parametrize(
    "uri",
    [
        "https://a;sandbox/cb",
        "https://a b/cb",
        "https://exa_mple.com/cb",
        "https://-bad.example/cb",
        "https://bad-.example/cb",
        "https://a..example/cb",
        "https://" + "a" * 64 + ".example/cb",
        "https://a'b.example/cb",
        "https://a,b.example/cb",
    ],
)
def test_registration_refuses_a_malformed_host(client: FlaskClient, uri: str) -> None:
    host_part = urlsplit(uri).netloc
    changes = {
        "client_uri": f"https://{host_part}/",
        "logo_uri": f"https://{host_part}/logo.png",
        "tos_uri": f"https://{host_part}/terms",
        "policy_uri": f"https://{host_part}/privacy",
        "redirect_uris": [uri],
    }
    response = client.post("/ims/ob/v3p0/oauth/register", json=metadata(**changes))
    assert response.status_code == 400, uri


def test_registration_accepts_idn_and_ip_literal_hosts(client: FlaskClient) -> None:
    for host in ("bücher.example", "xn--bcher-kva.example", "[::1]", "127.0.0.1"):
        scheme = "http" if host in ("[::1]", "127.0.0.1") else "https"
        base = f"{scheme}://{host}"
        changes = {
            "client_uri": f"{base}/",
            "logo_uri": f"{base}/logo.png",
            "tos_uri": f"{base}/terms",
            "policy_uri": f"{base}/privacy",
            "redirect_uris": [f"{base}/cb"],
        }
        response = client.post("/ims/ob/v3p0/oauth/register", json=metadata(**changes))
        assert response.status_code == 201, (host, response.data)


def test_the_consent_page_csp_never_carries_a_malformed_origin(
    learner: FlaskClient, services: Services
) -> None:
    from passport.wallets.models import ObApiClient

    platform = register(learner)
    bad = "https://platform.example;sandbox/callback"
    with services.session() as db:
        # registered before hosts were checked
        row = db.query(ObApiClient).filter_by(client_id=platform["client_id"]).one()
        row.redirect_uris = bad
    _verifier, challenge = pkce()
    page = learner.get(
        authorize_url(platform, challenge, redirect_uri=bad), headers={"Accept": "text/html"}
    )
    csp = page.headers.get("Content-Security-Policy", "")
    assert "sandbox" not in csp and ";sandbox" not in csp


def test_profile_names_with_invisible_or_bidi_characters_are_refused(
    learner: FlaskClient,
) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    profile = learner.get("/ims/ob/v3p0/profile", headers=bearer(access)).get_json()
    for name in ("Lea\u2028L", "Lea\u2029L", "Lea\u202eL", "Lea\x7fL", "Lea\x85L", "Lea\u200bL"):
        refused = learner.put(
            "/ims/ob/v3p0/profile", json={**profile, "name": name}, headers=bearer(access)
        )
        assert refused.status_code == 400, repr(name)
        assert _imsx_code(refused) == "invalid_profile"
    fine = learner.put(
        "/ims/ob/v3p0/profile", json={**profile, "name": "Zoë O’Brien-Ünal"}, headers=bearer(access)
    )
    assert fine.status_code == 200


def test_a_limit_above_the_maximum_is_capped_not_refused(
    learner: FlaskClient, services: Services
) -> None:
    issue(services)
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    response = learner.get("/ims/ob/v3p0/credentials?limit=500", headers=bearer(access))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "1"
    assert "limit=100&" in response.headers["Link"] and "limit=500" not in response.headers["Link"]
    huge = learner.get("/ims/ob/v3p0/credentials?limit=99999999999", headers=bearer(access))
    assert huge.status_code == 200 and "limit=100&" in huge.headers["Link"]


def test_upsert_answers_application_json_for_a_json_ld_body(
    learner: FlaskClient, services: Services
) -> None:
    platform = register(learner)
    access = tokens(learner, platform)["access_token"]
    content = _foreign_badge(services)
    for kind in ("application/ld+json", "application/vc+ld+json"):
        pushed = learner.post(
            "/ims/ob/v3p0/credentials",
            data=content,
            headers={**bearer(access), "Content-Type": kind},
        )
        assert pushed.status_code in (200, 201), pushed.data
        assert pushed.mimetype == "application/json", kind


def test_the_passport_page_shows_pushed_names_without_invisible_characters(
    learner: FlaskClient, services: Services
) -> None:
    from passport.accounts.models import User
    from passport.wallets.models import HeldCredential

    register(learner)
    document = {"issuer": {"id": "https://issuer.example/", "name": "Real\u202eytisrevinU"}}
    with services.session() as db:
        user = db.query(User).filter_by(email=LEARNER).one()
        db.add(
            HeldCredential(
                user_id=user.id,
                identity_key="3" * 64,
                credential_id="urn:uuid:spoofed",
                issuer_id="https://issuer.example/",
                name="Badge\u2028\u200bname",
                media_type="application/json",
                content=json.dumps(document).encode(),
                issued_at=services.now(),
                received_at=services.now(),
            )
        )
    page = learner.get("/passport", headers={"Accept": "text/html"}).get_data(as_text=True)
    section = page.split('id="from-platforms"', 1)[1].split("</section>", 1)[0]
    for invisible in ("\u202e", "\u2028", "\u200b"):
        assert invisible not in section, repr(invisible)
    assert "Issued by RealytisrevinU" in section and "Badge name" in section
