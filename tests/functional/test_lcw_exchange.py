"""The Learner Credential Wallet's VC-API exchange (issue #22, item 2), replayed.

The requests the wallet sends (tests/assets/lcw/wallet_requests.json, each with where it is
documented) are replayed against our endpoints through the Flask test client and against a
live server on loopback. The DIDAuth presentation is signed the way the wallet signs it —
``createPresentation({holder})`` + ``signPresentation`` with Ed25519Signature2020 and a did:key —
by the Digital Bazaar libraries (tests/interop/lcw_didauth.mjs); a Python-signed
eddsa-rdfc-2022 variant runs too. The badge the wallet receives verifies in our verifier and in
the Digital Bazaar verifier as the wallet's. Then every refusal: wrong challenge or domain, a
key that is not the holder's, unsigned, replayed, expired, locked, revoked, another user's,
and junk bodies (never a 500).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from issuer.dataintegrity import sign_data_integrity
from keys import did_key_from_public_key, generate_key
from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.status import change_status
from passport.instance.setup import initialise
from passport.services import Services
from passport.settings import Settings
from passport.wallets.lcw import MAX_ATTEMPTS
from passport.wallets.models import LcwExchange, WalletDelivery
from passport.web import create_app
from passport.web.context import get_services
from passport.web.passport_pages import inline_qr
from tests.conftest import fresh_app, settings_for
from tests.interop.harness import HERE as INTEROP
from tests.interop.harness import harness, requires_node, run_node
from tests.loopback import free_port, serving_app
from verifier import KeyResolver
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import check_data_integrity

FIXTURE: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "assets" / "lcw" / "wallet_requests.json").read_text()
)
PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}
#: What the wallet's ``fetch`` sends: no Accept header of its own, so any type.
WALLET = {"Content-Type": "application/json", "Accept": "*/*"}
ADA = "ada.lcw@example.com"
BO = "bo.lcw@example.com"

pytestmark = requires_node


# -- one app (and one port) for the module --------------------------------------------------


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def lcw_app(tmp_path_factory: pytest.TempPathFactory, port: int) -> Iterator[Flask]:
    settings = settings_for(tmp_path_factory.mktemp("lcw")).with_overrides(
        public_url=f"http://127.0.0.1:{port}"
    )
    app = fresh_app(settings)
    yield app
    get_services(app).engine.dispose()


@pytest.fixture(scope="module")
def svc(lcw_app: Flask) -> Services:
    return get_services(lcw_app)


@pytest.fixture(scope="module")
def badges(svc: Services) -> dict[str, str]:
    """Ada: an active badge and a revoked one; Bo: one badge."""
    with svc.session() as db:
        for email, name in ((ADA, "Ada Lcw"), (BO, "Bo Lcw")):
            create_user(db, email=email, name=name, role="learner", password=PASSWORD)
    out = {}
    with svc.session() as db:
        for name, email, achievement in (
            ("ada", ADA, "incident-response-l2"),
            ("ada_revoked", ADA, "ci-cd-l2"),
            ("bo", BO, "networking-l2"),
        ):
            out[name] = issue_credential(
                db, svc, IssueRequest(achievement, email, "di"), now=svc.now()
            ).id
        change_status(
            db, svc, out["ada_revoked"], "revoke", reason="test", actor="t", now=svc.now()
        )
    return out


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, (path, page.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    assert match is not None, path
    return match.group(1)


def _logged_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _csrf(client, "/login")},
    )
    assert response.status_code == 302, response.data
    return client, _csrf(client, "/passport/shares")


@pytest.fixture(scope="module")
def ada(lcw_app: Flask, badges: dict[str, str]) -> tuple[FlaskClient, str]:
    return _logged_in(lcw_app, ADA)


@pytest.fixture(scope="module")
def bo(lcw_app: Flask, badges: dict[str, str]) -> tuple[FlaskClient, str]:
    return _logged_in(lcw_app, BO)


def open_exchange(who: tuple[FlaskClient, str], badge: str) -> str:
    """Click "Add to Learner Credential Wallet" on the badge page; the exchange id."""
    client, token = who
    response = client.post(f"/passport/badges/{badge}/lcw", data={"csrf_token": token})
    assert response.status_code == 303, response.data
    match = re.fullmatch(r"/passport/lcw/([A-Za-z0-9_-]{43})", urlsplit(response.location).path)
    assert match is not None, response.location
    return match.group(1)


def exchange_url(svc: Services, exchange_id: str) -> str:
    return f"{svc.settings.public_url}/workflows/claim/exchanges/{exchange_id}"


def origin(svc: Services) -> str:
    return svc.settings.public_url


# -- the wallet ------------------------------------------------------------------------------


def didauth(challenge: str, domain: str | None, **options: Any) -> tuple[dict[str, Any], str]:
    """A DIDAuth presentation signed as the wallet signs it; (presentation, holder DID)."""
    payload: dict[str, Any] = {"challenge": challenge, **options}
    if domain is not None:
        payload["domain"] = domain
    out = run_node(INTEROP / "lcw_didauth.mjs", payload)
    return out["presentation"], out["did"]


def python_didauth(svc: Services, challenge: str, domain: str) -> tuple[dict[str, Any], str]:
    """The same DIDAuth with our own signer: eddsa-rdfc-2022 on a VC 2.0 presentation."""
    key = generate_key("EdDSA")
    did = did_key_from_public_key(key.public)
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did,
    }
    signed = sign_data_integrity(
        vp,
        key,
        verification_method=f"{did}#{did.removeprefix('did:key:')}",
        created=svc.now() - timedelta(seconds=1),
        canonicalizer=Canonicalizer(),
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )
    return signed, did


def request_body(name: str, presentation: dict[str, Any] | None = None) -> bytes:
    """The body of the fixture's request ``name``, as the wallet serialises it
    (``JSON.stringify(request, null, 2)``), the presentation filled in."""
    spec = next(r for r in FIXTURE["requests"] if r["name"] == name)
    body = spec["body"]
    if body == "{}":
        return b"{}"
    filled = json.loads(
        json.dumps(body).replace('"{didAuthPresentation}"', json.dumps(presentation))
    )
    if name == "direct":  # credentialRequest.ts: JSON.stringify(requestBody)
        return json.dumps(filled, separators=(",", ":")).encode()
    return json.dumps(filled, indent=2).encode()


def post(client: FlaskClient, url: str, body: bytes) -> Any:
    return client.post(urlsplit(url).path, data=body, headers=WALLET)


def error_code(response: Any) -> str:
    body = response.get_json()
    assert body is not None, response.data[:200]
    return str(body["error"]["code"])


def start(client: FlaskClient, svc: Services, exchange_id: str) -> dict[str, Any]:
    """The fixture's first request; the VPR, checked against the documented shape."""
    url = exchange_url(svc, exchange_id)
    response = post(client, url, request_body("start"))
    assert response.status_code == 200, response.data
    vpr = response.get_json()["verifiablePresentationRequest"]
    assert [q["type"] for q in vpr["query"]] == ["DIDAuthentication"]
    assert vpr["domain"] == origin(svc)
    assert vpr["interact"]["service"][0]["serviceEndpoint"] == url
    assert isinstance(vpr["challenge"], str) and len(vpr["challenge"]) >= 32
    return dict(vpr)


# -- the deep link and the page ----------------------------------------------------------------


def test_the_page_shows_the_documented_deep_link_and_a_qr_code(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, _ = ada
    badge_page = client.get(f"/passport/badges/{badges['ada']}", headers=HTML).data.decode()
    assert f"/passport/badges/{badges['ada']}/lcw" in badge_page
    revoked_page = client.get(f"/passport/badges/{badges['ada_revoked']}", headers=HTML)
    assert "/lcw" not in revoked_page.data.decode()  # no button on a revoked badge

    exchange_id = open_exchange(ada, badges["ada"])
    page = client.get(f"/passport/lcw/{exchange_id}", headers=HTML)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.data.decode()
    assert '<svg class="qr"' in html
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="(https://lcw\.app/[^"]+)"', html)]
    assert len(hrefs) == 2
    link, older = hrefs
    documented = FIXTURE["deepLink"]
    assert link.split("?")[0] == documented["base"]
    (request,) = parse_qs(urlsplit(link).query)[documented["query"]]
    assert json.loads(request) == {
        "credentialRequestOrigin": origin(svc),
        "protocols": {"vcapi": exchange_url(svc, exchange_id)},
    }
    # the QR code is the same deep link
    assert str(inline_qr(link)) in html
    # the older one-step link: the documented parameters, the exchange's own challenge
    direct = FIXTURE["directDeepLink"]
    assert older.split("?")[0] == direct["base"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(older).query).items()}
    assert sorted(params) == sorted(direct["params"])
    with svc.session() as db:
        exchange = db.get(LcwExchange, exchange_id)
        assert exchange is not None
        challenge = exchange.challenge
    assert params == {
        "issuer": "127.0.0.1:" + str(urlsplit(origin(svc)).port),
        "auth_type": "bearer",
        "challenge": challenge,
        "vc_request_url": exchange_url(svc, exchange_id) + "/direct",
    }


# -- the replays -------------------------------------------------------------------------------


def _check_received(svc: Services, answer: dict[str, Any], did: str, badge: str) -> dict[str, Any]:
    """The wallet's answer holds the badge, bound to ``did``, verified by ours and by DB's."""
    vp = answer["verifiablePresentation"]
    assert "VerifiablePresentation" in vp["type"]
    (credential,) = vp["verifiableCredential"]
    assert credential["id"] == badge
    assert credential["credentialSubject"]["id"] == did
    with svc.session() as db:
        verified = svc.verifier(db).verify(json.dumps(credential).encode(), now=svc.now())
        assert verified.report.verified
        documents = {d.did: d.did_document for d in svc.issuer_documents(db)}
        delivery = db.scalar(select(WalletDelivery).where(WalletDelivery.holder_did == did))
        assert delivery is not None and delivery.channel == "lcw"
        assert delivery.wallet_format == "ldp_vc"
    outcome = harness(
        "verify", {"credential": credential, "documents": documents, "skipStatus": True}
    )
    assert outcome == {"verified": True, "errors": []}
    return dict(credential)


def test_replay_the_wallets_requests_through_the_test_client(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    vpr = start(client, svc, exchange_id)
    vp, did = didauth(vpr["challenge"], vpr["domain"])
    # the wallet posts to the interaction service the request names
    endpoint = vpr["interact"]["service"][0]["serviceEndpoint"]
    response = post(client, endpoint, request_body("didauth", vp))
    assert response.status_code == 200, response.data
    assert response.headers["Cache-Control"] == "no-store"
    _check_received(svc, response.get_json(), did, badges["ada"])

    # the holder's page now says so
    page = client.get(f"/passport/lcw/{exchange_id}", headers=HTML).data.decode()
    assert did in page and '<svg class="qr"' not in page
    # the same presentation again, or a new start: the exchange is used up
    again = post(client, endpoint, request_body("didauth", vp))
    assert (again.status_code, error_code(again)) == (410, "exchange_complete")
    restart = post(client, endpoint, b"{}")
    assert (restart.status_code, error_code(restart)) == (410, "exchange_complete")


@pytest.mark.parametrize("variant", ["VC 2.0 presentation", "python eddsa-rdfc-2022"])
def test_other_didauth_variants_are_accepted(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str], variant: str
) -> None:
    """The wallet's libraries make VC 2.0 presentations when asked; our own signer makes
    eddsa-rdfc-2022 ones: both answer the exchange."""
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    vpr = start(client, svc, exchange_id)
    if variant == "VC 2.0 presentation":
        vp, did = didauth(vpr["challenge"], vpr["domain"], version=2)
        assert vp["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    else:
        vp, did = python_didauth(svc, vpr["challenge"], vpr["domain"])
    response = post(client, exchange_url(svc, exchange_id), request_body("didauth", vp))
    assert response.status_code == 200, response.data
    credential = response.get_json()["verifiablePresentation"]["verifiableCredential"][0]
    assert credential["credentialSubject"]["id"] == did


def _live_post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    # loopback only: the URL is the live test server's
    request = urllib.request.Request(url, data=body, method="POST", headers=WALLET)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_replay_the_wallets_requests_against_a_live_server(
    lcw_app: Flask, svc: Services, port: int, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    exchange_id = open_exchange(ada, badges["ada"])
    url = exchange_url(svc, exchange_id)
    assert url.startswith(f"http://127.0.0.1:{port}/")
    with serving_app(lcw_app, svc, port):
        status, answer = _live_post(url, request_body("start"))
        assert status == 200, answer
        vpr = answer["verifiablePresentationRequest"]
        assert vpr["interact"]["service"][0]["serviceEndpoint"] == url
        vp, did = didauth(vpr["challenge"], vpr["domain"])
        # the direct shape: the presentation posted bare, as DCC's transaction-service reads it
        status, answer = _live_post(url, request_body("didauth-bare", vp))
        assert status == 200, answer
        _check_received(svc, answer, did, badges["ada"])
        status, answer = _live_post(url, request_body("didauth-bare", vp))
        assert (status, answer["error"]["code"]) == (410, "exchange_complete")
        status, answer = _live_post(exchange_url(svc, "x" * 43), b"{}")
        assert (status, answer["error"]["code"]) == (404, "unknown_exchange")


def test_replay_the_older_one_step_link(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    """The wallet's older flow (lcw-mock): read the link's challenge, sign a DIDAuth for it
    without a domain, post it bare to ``vc_request_url``; the answer is the badge."""
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    html = client.get(f"/passport/lcw/{exchange_id}", headers=HTML).data.decode()
    older = re.findall(r'href="(https://lcw\.app/request\.html\?issuer=[^"]+)"', html)[0]
    params = {k: v[0] for k, v in parse_qs(urlsplit(older.replace("&amp;", "&")).query).items()}
    vp, did = didauth(params["challenge"], None)
    assert "domain" not in vp["proof"]
    # not at the VC-API endpoint: there a domain is required
    strict = post(client, exchange_url(svc, exchange_id), request_body("didauth-bare", vp))
    assert (strict.status_code, error_code(strict)) == (401, "domain_mismatch")
    # a domain, if the wallet signs one, must still be ours
    elsewhere, _ = didauth(params["challenge"], "https://elsewhere.example")
    wrong = post(client, params["vc_request_url"], request_body("direct", elsewhere))
    assert (wrong.status_code, error_code(wrong)) == (401, "domain_mismatch")
    empty = post(client, params["vc_request_url"], b"{}")
    assert (empty.status_code, error_code(empty)) == (400, "bad_exchange_body")
    response = post(client, params["vc_request_url"], request_body("direct", vp))
    assert response.status_code == 200, response.data
    # the wallet's direct flow reads a presentation at the top level: no wrapper (review)
    body = response.get_json()
    shape = FIXTURE["responses"][2]["shape"]
    assert body["type"] == shape["type"] and "verifiablePresentation" not in body
    _check_received(svc, {"verifiablePresentation": body}, did, badges["ada"])
    again = post(client, params["vc_request_url"], request_body("direct", vp))
    assert (again.status_code, error_code(again)) == (410, "exchange_complete")


# -- refusals ----------------------------------------------------------------------------------


def test_the_documented_didauth_verifies_here_but_answers_another_challenge(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    documented = FIXTURE["documentedDidAuth"]
    proof = check_data_integrity(
        documented,
        KeyResolver(),
        Canonicalizer(),
        now=svc.now(),
        leeway=timedelta(minutes=5),
        purpose="authentication",
        controller=documented["holder"],
    )
    assert proof.suite == "Ed25519Signature2020"
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    start(client, svc, exchange_id)
    response = post(client, exchange_url(svc, exchange_id), request_body("didauth", documented))
    assert (response.status_code, error_code(response)) == (401, "challenge_mismatch")


def _other_did() -> str:
    return did_key_from_public_key(generate_key("EdDSA").public)


def _tampered(vp: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(vp)
    bad["proof"]["created"] = "2020-01-01T00:00:00Z"
    return bad


def _unsigned(vp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in vp.items() if k != "proof"}


REFUSALS: list[tuple[str, dict[str, Any], Any, int, str]] = [
    # name, how the wallet signs (options for lcw_didauth.mjs), how it is changed, status, code
    ("wrong challenge", {"challenge": "not-our-challenge"}, None, 401, "challenge_mismatch"),
    ("wrong domain", {"domain": "https://elsewhere.example"}, None, 401, "domain_mismatch"),
    ("no domain", {"domain": None}, None, 401, "domain_mismatch"),
    ("another key than the holder's", {"holder": "OTHER"}, None, 401, "holder_key_mismatch"),
    ("unsigned", {}, _unsigned, 401, "presentation_not_bound"),
    ("signature broken", {}, _tampered, 401, "bad_signature"),
]


@pytest.mark.parametrize(
    ("signing", "change", "status", "code"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_presentations_that_do_not_answer_the_exchange_are_refused(
    svc: Services,
    ada: tuple[FlaskClient, str],
    badges: dict[str, str],
    signing: dict[str, Any],
    change: Any,
    status: int,
    code: str,
) -> None:
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])  # may be a live one, reused
    vpr = start(client, svc, exchange_id)
    with svc.session() as db:
        before = db.get(LcwExchange, exchange_id)
        assert before is not None
        tried = before.attempts
    options = dict(signing)
    challenge = options.pop("challenge", vpr["challenge"])
    domain = options.pop("domain", vpr["domain"])
    if options.get("holder") == "OTHER":
        options["holder"] = _other_did()
    vp, _did = didauth(challenge, domain, **options)
    if change is not None:
        vp = change(vp)
    response = post(client, exchange_url(svc, exchange_id), request_body("didauth", vp))
    assert response.status_code == status, response.data
    assert error_code(response) == code
    # refused, counted, and the exchange is still open for the real wallet
    with svc.session() as db:
        exchange = db.get(LcwExchange, exchange_id)
        assert exchange is not None
        assert (exchange.state, exchange.attempts) == ("pending", tried + 1)
    vp, _did = didauth(vpr["challenge"], vpr["domain"])
    good = post(client, exchange_url(svc, exchange_id), request_body("didauth", vp))
    assert good.status_code == 200, good.data


def test_an_exchange_locks_after_too_many_refused_presentations(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    vpr = start(client, svc, exchange_id)
    wrong, _ = didauth("not-our-challenge", vpr["domain"])
    url = exchange_url(svc, exchange_id)
    for _ in range(MAX_ATTEMPTS):
        assert post(client, url, request_body("didauth", wrong)).status_code == 401
    right, _ = didauth(vpr["challenge"], vpr["domain"])
    locked = post(client, url, request_body("didauth", right))
    assert (locked.status_code, error_code(locked)) == (410, "exchange_locked")
    page = client.get(f"/passport/lcw/{exchange_id}", headers=HTML).data.decode()
    assert "Too many wrong attempts" in page and '<svg class="qr"' not in page


def test_an_expired_exchange_is_refused(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    vpr = start(client, svc, exchange_id)
    vp, _ = didauth(vpr["challenge"], vpr["domain"])
    with svc.session() as db:
        db.execute(
            update(LcwExchange)
            .where(LcwExchange.id == exchange_id)
            .values(expires_at=svc.now() - timedelta(seconds=1))
        )
    for body in (b"{}", request_body("didauth", vp)):
        response = post(client, exchange_url(svc, exchange_id), body)
        assert (response.status_code, error_code(response)) == (410, "exchange_expired")
    page = client.get(f"/passport/lcw/{exchange_id}", headers=HTML).data.decode()
    assert '<svg class="qr"' not in page and "lcw.app" not in page


def test_a_revoked_badge_is_not_delivered(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, token = ada
    refused = client.post(
        f"/passport/badges/{badges['ada_revoked']}/lcw",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 400
    assert "This badge was revoked and cannot be added to a wallet." in refused.data.decode()
    # revoked while the exchange is open: refused at delivery, and nothing is consumed
    with svc.session() as db:
        fresh = issue_credential(
            db, svc, IssueRequest("observability-l2", ADA, "di"), now=svc.now()
        ).id
    exchange_id = open_exchange(ada, fresh)
    vpr = start(client, svc, exchange_id)
    with svc.session() as db:
        change_status(db, svc, fresh, "revoke", reason="test", actor="t", now=svc.now())
    vp, did = didauth(vpr["challenge"], vpr["domain"])
    response = post(client, exchange_url(svc, exchange_id), request_body("didauth", vp))
    assert (response.status_code, error_code(response)) == (400, "credential_revoked")
    with svc.session() as db:
        exchange = db.get(LcwExchange, exchange_id)
        assert exchange is not None and exchange.state == "pending"
        assert db.scalar(select(WalletDelivery).where(WalletDelivery.holder_did == did)) is None


def test_another_users_exchange_and_badge_answer_like_unknown_ones(
    svc: Services,
    ada: tuple[FlaskClient, str],
    bo: tuple[FlaskClient, str],
    badges: dict[str, str],
) -> None:
    exchange_id = open_exchange(ada, badges["ada"])
    bo_client, bo_token = bo
    assert bo_client.get(f"/passport/lcw/{exchange_id}", headers=HTML).status_code == 404
    assert bo_client.get("/passport/lcw/nope", headers=HTML).status_code == 404
    stolen = bo_client.post(
        f"/passport/badges/{badges['ada']}/lcw", data={"csrf_token": bo_token}, headers=HTML
    )
    assert stolen.status_code == 404
    anonymous = ada[0].application.test_client()
    assert anonymous.get(f"/passport/lcw/{exchange_id}", headers=HTML).status_code in (302, 401)
    # a POST without the session's CSRF token opens nothing
    ada_client, _ = ada
    forged = ada_client.post(f"/passport/badges/{badges['ada']}/lcw", headers=HTML)
    assert forged.status_code in (400, 403)


JUNK: list[tuple[str, bytes, str]] = [
    ("not json", b"this is not json", "bad_exchange_body"),
    ("a list", b"[]", "bad_exchange_body"),
    ("a string", b'"verifiablePresentation"', "bad_exchange_body"),
    ("a number", b"42", "bad_exchange_body"),
    ("null", b"null", "bad_exchange_body"),
    ("nan", b'{"a": NaN}', "bad_exchange_body"),
    ("bad utf-8", b'{"a": "\xff"}', "bad_exchange_body"),
    ("too deep", b'{"a":' * 200 + b"1" + b"}" * 200, "bad_exchange_body"),
    ("too big", b'{"a": "' + b"x" * 70_000 + b'"}', "bad_exchange_body"),
    ("unknown member", b'{"foo": 1}', "bad_exchange_body"),
    ("vp not an object", b'{"verifiablePresentation": 5}', "not_a_presentation"),
    (
        "vp a JWT",
        b'{"verifiablePresentation": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"}',
        "not_a_presentation",
    ),
    (
        "vp without type",
        b'{"verifiablePresentation": {"holder": "did:key:z6Mk"}}',
        "not_a_presentation",
    ),
    (
        "vp of another type",
        b'{"verifiablePresentation": {"type": ["VerifiableCredential"]}}',
        "not_a_presentation",
    ),
    (
        "holder a number",
        b'{"verifiablePresentation": {"type": "VerifiablePresentation", "holder": 7}}',
        "no_holder",
    ),
    (
        "holder did:web",
        b'{"verifiablePresentation": {"type": ["VerifiablePresentation"],'
        b' "holder": "did:web:evil.example", "proof": {}}}',
        "bad_holder_did",
    ),
    (
        "holder did:key garbage",
        b'{"verifiablePresentation": {"type": ["VerifiablePresentation"],'
        b' "holder": "did:key:zNotAKey", "proof": {}}}',
        "bad_holder_did",
    ),
    (
        "proof a string",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER", "proof": "x"}',
        "bad_proof",
    ),
    (
        "two proofs",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER", "proof": [{}, {}]}',
        "bad_proof",
    ),
    (
        "proof of an unknown suite",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER",'
        b' "proof": {"type": "RsaSignature2018", "proofPurpose": "authentication"}}',
        "unknown_cryptosuite",
    ),
    (
        "proof for assertion",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER", "proof":'
        b' {"type": "Ed25519Signature2020", "proofPurpose": "assertionMethod"}}',
        "wrong_proof_purpose",
    ),
    (
        "proof without a key",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER", "proof":'
        b' {"type": "Ed25519Signature2020", "proofPurpose": "authentication",'
        b' "challenge": "CHALLENGE", "domain": "DOMAIN"}}',
        "holder_key_mismatch",
    ),
    (
        "proof with junk values",
        b'{"type": ["VerifiablePresentation"], "holder": "HOLDER", "@context": 5, "proof":'
        b' {"type": "Ed25519Signature2020", "proofPurpose": "authentication",'
        b' "challenge": "CHALLENGE", "domain": "DOMAIN", "created": "yesterday",'
        b' "verificationMethod": {"id": "HOLDER#x"}, "proofValue": 12}}',
        "invalid_jsonld",
    ),
]


@pytest.mark.parametrize(("body", "expected"), [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_junk_bodies_get_a_json_error_never_a_500(
    svc: Services,
    ada: tuple[FlaskClient, str],
    badges: dict[str, str],
    body: bytes,
    expected: str,
) -> None:
    client, _ = ada
    exchange_id = open_exchange(ada, badges["ada"])
    vpr = start(client, svc, exchange_id)
    holder = _other_did().encode()
    body = (
        body.replace(b"HOLDER", holder)
        .replace(b"CHALLENGE", vpr["challenge"].encode())
        .replace(b"DOMAIN", vpr["domain"].encode())
    )
    response = post(client, exchange_url(svc, exchange_id), body)
    assert 400 <= response.status_code < 500, response.data[:300]
    assert error_code(response) == expected
    assert "Traceback" not in response.data.decode("utf-8", "replace")
    with svc.session() as db:
        exchange = db.get(LcwExchange, exchange_id)
        assert exchange is not None and exchange.state == "pending"


def test_unknown_exchanges_and_the_protocols_object(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    client, _ = ada
    for bad in ("nope", "x" * 43, "x" * 300):
        response = post(client, exchange_url(svc, bad), b"{}")
        assert (response.status_code, error_code(response)) == (404, "unknown_exchange")
    exchange_id = open_exchange(ada, badges["ada"])
    url = exchange_url(svc, exchange_id)
    protocols = client.get(urlsplit(url).path + "/protocols", headers={"Accept": "*/*"})
    assert protocols.get_json() == {"protocols": {"vcapi": url}}
    wrong_method = client.get(urlsplit(url).path, headers={"Accept": "*/*"})
    assert wrong_method.status_code == 405


def test_the_wallet_endpoints_are_rate_limited(settings: Settings) -> None:
    """Like the other public POST endpoints (the ``api`` category), answered in JSON."""
    app = create_app(settings.with_overrides(rate_limits="api=2/minute"))
    services = get_services(app)
    initialise(services)
    try:
        for n, (path, first) in enumerate(
            (
                ("/workflows/claim/exchanges/nope", 404),
                ("/workflows/claim/exchanges/nope/direct", 400),
            )
        ):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"192.0.2.{70 + n}"
            answers = [client.post(path, data=b"{}", headers=WALLET) for _ in range(3)]
            assert [a.status_code for a in answers[:2]] == [first, first], path
            assert (answers[2].status_code, error_code(answers[2])) == (429, "rate_limited")
    finally:
        services.engine.dispose()


def test_two_wallets_racing_for_one_exchange_get_one_badge(
    lcw_app: Flask, svc: Services, port: int, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    exchange_id = open_exchange(ada, badges["ada"])
    url = exchange_url(svc, exchange_id)
    vpr = start(ada[0], svc, exchange_id)
    bodies = [request_body("didauth", didauth(vpr["challenge"], vpr["domain"])[0]) for _ in "ab"]
    barrier = threading.Barrier(len(bodies))

    def wallet(body: bytes) -> tuple[int, dict[str, Any]]:
        barrier.wait()
        return _live_post(url, body)

    with serving_app(lcw_app, svc, port), ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(pool.map(wallet, bodies))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 410], answers
    assert [a["error"]["code"] for s, a in answers if s == 410] == ["exchange_complete"]
    with svc.session() as db:
        delivered = db.scalars(
            select(WalletDelivery.holder_did).where(
                WalletDelivery.holder_did.in_(
                    [
                        a["verifiablePresentation"]["verifiableCredential"][0]["credentialSubject"][
                            "id"
                        ]
                        for s, a in answers
                        if s == 200
                    ]
                )
            )
        ).all()
    assert len(delivered) == 1


def test_opening_again_reuses_the_live_exchange_and_old_ones_are_purged(
    svc: Services, ada: tuple[FlaskClient, str], badges: dict[str, str]
) -> None:
    """Review: every click inserted a row, kept for ever. A live exchange for the badge is
    reused; one finished long ago is deleted when the next one opens."""
    first = open_exchange(ada, badges["ada"])
    assert open_exchange(ada, badges["ada"]) == first
    with svc.session() as db:  # nearly expired: a new one, so the wallet has time
        db.execute(
            update(LcwExchange)
            .where(LcwExchange.id == first)
            .values(expires_at=svc.now() + timedelta(minutes=1))
        )
    second = open_exchange(ada, badges["ada"])
    assert second != first
    with svc.session() as db:
        db.execute(
            update(LcwExchange)
            .where(LcwExchange.id == first)
            .values(expires_at=svc.now() - timedelta(days=31))
        )
    third = open_exchange(ada, badges["ada"])
    assert third == second
    with svc.session() as db:
        assert db.get(LcwExchange, first) is None
        assert db.get(LcwExchange, second) is not None


def test_a_closed_accounts_exchange_delivers_nothing(
    svc: Services, lcw_app: Flask, badges: dict[str, str]
) -> None:
    """Review: deactivating (or erasing) the account that opened an exchange did not end it."""
    email = "cy.lcw@example.com"
    with svc.session() as db:
        user = create_user(db, email=email, name="Cy Lcw", role="learner", password=PASSWORD)
        user_id = user.id
        badge = issue_credential(
            db, svc, IssueRequest("incident-response-l2", email, "di"), now=svc.now()
        ).id
    cy = _logged_in(lcw_app, email)
    exchange_id = open_exchange(cy, badge)
    vpr = start(cy[0], svc, exchange_id)
    vp, did = didauth(vpr["challenge"], vpr["domain"])
    with svc.session() as db:
        db.execute(update(User).where(User.id == user_id).values(deactivated_at=svc.now()))
    wallet = lcw_app.test_client()  # the wallet has no session of the learner's
    for body in (b"{}", request_body("didauth", vp)):
        response = post(wallet, exchange_url(svc, exchange_id), body)
        assert (response.status_code, error_code(response)) == (410, "exchange_expired")
    with svc.session() as db:
        assert db.scalar(select(WalletDelivery).where(WalletDelivery.holder_did == did)) is None
