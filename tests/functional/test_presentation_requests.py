"""The verify page's "request a presentation" step (issue #15, item 5), through the Flask test
client on a real database: a visitor asks for a challenge, the candidate's wallet (here: our own
presentation helper with the learner's key) signs a presentation for it, the page checks it —
and refuses presentations made for another challenge or domain, unsigned ones, replays of a used
request, expired requests and other sessions' challenges, each with its stable code."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from keys import SigningKey, did_key_from_public_key, generate_key
from passport.credentials.exports import export_vp, select_credentials
from passport.credentials.holders import find_holder, set_holder_did
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.services import Services
from passport.verifying.models import PresentationRequest
from passport.verifying.requests import REQUEST_TTL
from tests.conftest import PUBLIC_URL

GRACE = "grace@example.com"
PAGE = "/verify/request"
CHECK = "/verify/request/check"


@pytest.fixture
def holder_key(services: Services) -> SigningKey:
    """Grace's wallet key, registered as her did:key, and two badges of hers (DI and JWT)."""
    key = generate_key("EdDSA")
    with services.session() as session:
        for achievement, fmt in (("ci-cd-l2", "di"), ("observability-l2", "jwt")):
            issue_credential(
                session, services, IssueRequest(achievement, GRACE, fmt), now=services.now()
            )
        set_holder_did(
            session, GRACE, did_key_from_public_key(key.public), actor="test", now=services.now()
        )
    return key


def presentation(
    services: Services,
    key: SigningKey | None,
    *,
    challenge: str | None = None,
    domain: str | None = None,
) -> str:
    """Grace's presentation of all her badges, as her wallet would make it (signed with ``key``
    for ``challenge`` and ``domain``; unsigned when ``key`` is None)."""
    with services.session() as session:
        holder = find_holder(session, GRACE)
        records = select_credentials(session, holder)
        return export_vp(
            session, holder, records, holder_key=key, challenge=challenge, domain=domain
        ).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def vp_jwt(services: Services, key: SigningKey, *, nonce: str, aud: str) -> str:
    """A VC 1.1-style VP-JWT of Grace's badges (``nonce`` the challenge, ``aud`` the domain)."""
    did = did_key_from_public_key(key.public)
    vp = json.loads(presentation(services, None))
    now = int(time.time())
    payload = {
        "iss": did,
        "aud": aud,
        "nonce": nonce,
        "iat": now,
        "exp": now + 300,
        "vp": {k: v for k, v in vp.items() if k != "holder"},
    }
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{did}#{did.removeprefix('did:key:')}"}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
    )
    return f"{signing_input}.{_b64(key.sign(signing_input.encode()))}"


def csrf(client: FlaskClient) -> str:
    page = client.get(PAGE).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def make_request(client: FlaskClient) -> str:
    """Ask for a request the way the page does; return the challenge the page shows."""
    response = client.post(PAGE, data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    found = re.search(r'<code id="vpr-challenge">([^<]+)</code>', page)
    assert found is not None, page
    return found.group(1)


def present(client: FlaskClient, challenge: str, vp: str) -> Any:
    data = {"csrf_token": csrf(client), "challenge": challenge, "credential": vp}
    return client.post(CHECK, data=data)


def text(response: Any) -> str:
    body: str = response.get_data(as_text=True)
    return body


def test_the_page_without_a_request_offers_to_make_one(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    body = text(response)
    assert "Make a request" in body and 'id="vpr-challenge"' not in body
    assert '<h1 id="vpr-heading">' in body
    # and the verify page leads here
    assert f'href="{PAGE}"' in text(client.get("/verify"))


def test_a_request_shows_a_fresh_challenge_its_domain_qr_and_text(
    client: FlaskClient, services: Services
) -> None:
    challenge = make_request(client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", challenge)
    body = text(client.get(PAGE))
    assert f'<code id="vpr-domain">{PUBLIC_URL}</code>' in body
    # The QR code is inline SVG with a name; its text alternative is on the page.
    assert re.search(r'<svg class="qr" role="img" aria-label="QR code of the presentation', body)
    found = re.search(r'<textarea id="vpr-text"[^>]*>([^<]+)</textarea>', body)
    assert found is not None
    document = json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    request = document["verifiablePresentationRequest"]
    assert (request["challenge"], request["domain"]) == (challenge, PUBLIC_URL)
    assert [q["type"] for q in request["query"]] == ["DIDAuthentication", "QueryByExample"]
    with services.session() as session:
        row = session.scalar(
            select(PresentationRequest).where(PresentationRequest.challenge == challenge)
        )
        assert row is not None and row.used_at is None
        assert row.expires_at - row.created_at == REQUEST_TTL
    # Another request gets another challenge.
    assert make_request(client) != challenge


def test_a_presentation_signed_for_the_challenge_verifies_once(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    response = present(client, challenge, vp)
    assert response.status_code == 200, text(response)
    body = text(response)
    assert "Presentation verified: it answers your request" in body
    assert "presentation_signed" in body
    assert body.count('class="report ok"') == 3  # the presentation, then each of the 2 badges
    with services.session() as session:
        row = session.scalar(
            select(PresentationRequest).where(PresentationRequest.challenge == challenge)
        )
        assert row is not None and row.used_at is not None
    # The same presentation again: the request is used up, nothing is verified.
    replay = present(client, challenge, vp)
    assert replay.status_code == 410
    assert "challenge_used" in text(replay)
    assert "Presentation verified" not in text(replay)


def test_a_vp_jwt_signed_for_the_challenge_verifies(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    response = present(
        client, challenge, vp_jwt(services, holder_key, nonce=challenge, aud=PUBLIC_URL)
    )
    assert response.status_code == 200
    assert "Presentation verified: it answers your request" in text(response)


@pytest.mark.parametrize(
    ("challenge_for", "domain", "code"),
    [
        ("other", PUBLIC_URL, "challenge_mismatch"),
        ("same", "https://hiring.example", "domain_mismatch"),
        ("none", PUBLIC_URL, "challenge_mismatch"),
    ],
)
def test_a_presentation_made_for_another_request_is_refused(
    client: FlaskClient,
    services: Services,
    holder_key: SigningKey,
    challenge_for: str,
    domain: str,
    code: str,
) -> None:
    other = make_request(client)  # a request of the same visitor, answered by the wrong VP
    challenge = make_request(client)
    signed_for = {"other": other, "same": challenge, "none": None}[challenge_for]
    vp = presentation(services, holder_key, challenge=signed_for, domain=domain)
    response = present(client, challenge, vp)
    body = text(response)
    assert response.status_code == 200
    assert "Presentation not verified" in body and "Presentation verified" not in body
    assert f'<code class="code">{code}</code>' in body
    # Used up all the same: the right presentation cannot follow the wrong one.
    right = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    assert "challenge_used" in text(present(client, challenge, right))


def test_an_unsigned_presentation_answers_no_request(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    response = present(client, challenge, presentation(services, None))
    body = text(response)
    assert "Presentation not verified" in body
    assert "presentation_not_bound" in body


def test_an_expired_request_is_refused(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    with services.session() as session:
        row = session.scalar(
            select(PresentationRequest).where(PresentationRequest.challenge == challenge)
        )
        assert row is not None
        row.expires_at = services.now() - timedelta(seconds=1)
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    response = present(client, challenge, vp)
    assert response.status_code == 410
    assert "challenge_expired" in text(response) and "has expired" in text(response)
    # An expired request is not offered any more.
    assert 'id="vpr-challenge"' not in text(client.get(PAGE))


@pytest.mark.parametrize(
    "challenge",
    ["", "not a challenge", "A" * 32, "x" * 500, "<script>alert(1)</script>"],
)
def test_an_unknown_challenge_is_refused_plainly(
    client: FlaskClient, services: Services, holder_key: SigningKey, challenge: str
) -> None:
    make_request(client)
    vp = presentation(services, holder_key, challenge=challenge or None, domain=PUBLIC_URL)
    response = present(client, challenge, vp)
    assert response.status_code == 404
    body = text(response)
    assert "unknown_challenge" in body and "Traceback" not in body
    assert "<script>alert(1)</script>" not in body


def test_another_sessions_challenge_is_unknown_here(
    app: Any, client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    stranger = app.test_client()
    make_request(stranger)  # has a session and a request of its own
    response = present(stranger, challenge, vp)
    assert response.status_code == 404 and "unknown_challenge" in text(response)
    # ... and the owner's request is still open.
    assert "Presentation verified" in text(present(client, challenge, vp))


def test_input_that_is_no_presentation_leaves_the_request_open(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    challenge = make_request(client)
    with services.session() as session:
        badge = select_credentials(session, find_holder(session, GRACE))[0].content.decode()
    for data in (badge, "not a credential", "\x00\xff{"):
        response = present(client, challenge, data)
        assert response.status_code == 400, data
        assert "not_a_presentation" in text(response)
    empty = present(client, challenge, " ")
    assert empty.status_code == 400
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    assert "Presentation verified" in text(present(client, challenge, vp))


def test_an_uploaded_presentation_file_is_read(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    import io

    challenge = make_request(client)
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    response = client.post(
        CHECK,
        data={
            "csrf_token": csrf(client),
            "challenge": challenge,
            "file": (io.BytesIO(vp.encode()), "vp.json"),
        },
        content_type="multipart/form-data",
    )
    assert "Presentation verified" in text(response)


def test_both_forms_need_the_csrf_token(client: FlaskClient) -> None:
    assert client.post(PAGE).status_code == 403
    assert client.post(CHECK, data={"challenge": "x", "credential": "{}"}).status_code == 403


def test_old_requests_are_deleted_a_day_after_they_end(
    client: FlaskClient, services: Services
) -> None:
    old = make_request(client)
    with services.session() as session:
        row = session.scalar(
            select(PresentationRequest).where(PresentationRequest.challenge == old)
        )
        assert row is not None
        row.expires_at = services.now() - timedelta(days=1, minutes=1)
    make_request(client)
    with services.session() as session:
        challenges = set(session.scalars(select(PresentationRequest.challenge)))
    assert old not in challenges and len(challenges) == 1


def test_the_page_speaks_german(
    client: FlaskClient, services: Services, holder_key: SigningKey
) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    response = client.get(PAGE, headers=german)
    body = text(response)
    assert response.headers["Content-Language"] == "de"
    assert "Accept-Language" in response.headers["Vary"]
    assert '<html lang="de">' in body
    assert "Eine Präsentation bei einer Person anfragen" in body
    assert "Anfrage erstellen" in body and "Abzeichen prüfen" in body
    # The visitor's choice beats the browser's.
    assert '<html lang="en">' in text(client.get(PAGE + "?lang=en", headers=german))
    # Errors and verdicts too; the badges' own reports stay English, marked as such.
    challenge = make_request(client)
    refused = client.post(
        f"{CHECK}?lang=de",
        data={"csrf_token": csrf(client), "challenge": "A" * 32, "credential": "{}"},
    )
    assert refused.status_code == 404 and "unknown_challenge" in text(refused)
    assert "Diese Seite hat diese Präsentationsanfrage nicht erstellt" in text(refused)
    vp = presentation(services, holder_key, challenge=challenge, domain=PUBLIC_URL)
    answered = client.post(
        f"{CHECK}?lang=de",
        data={"csrf_token": csrf(client), "challenge": challenge, "credential": vp},
    )
    body = text(answered)
    assert "Präsentation geprüft: Sie beantwortet Ihre Anfrage" in body
    assert "Die Präsentation ist von ihrer Inhaberin oder ihrem Inhaber signiert." in body
    assert '<div lang="en">' in body


def test_every_page_follows_the_language(client: FlaskClient) -> None:
    """Issue #16 made every page follow the visitor's language (it was this page only)."""
    response = client.get("/verify", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in text(response)
    assert response.headers["Content-Language"] == "de"
    assert "Abzeichen prüfen" in text(response)
