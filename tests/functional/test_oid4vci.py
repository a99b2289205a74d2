"""OpenID4VCI 1.0, issuer side: metadata, offers, tokens, nonces, key proofs, credentials.

Every endpoint over HTTP on one app per module (a real database), and a table of refusals: an
expired or used offer, wrong or too many transaction codes, a wrong PKCE verifier, a redirect
mismatch, a missing or expired token, key proofs with the wrong audience, an old ``iat``, a
wrong or replayed nonce, both ``kid`` and ``jwk``, a private JWK, an algorithm we do not
allow, and a revoked badge. The independent client (``@openid4vc/openid4vci``) is in
tests/oid4vci/.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from keys import SigningKey, did_jwk_from_public_key, did_key_from_public_key, generate_key
from passport.accounts.users import create_user
from passport.audit import AuditEvent
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.credentials.status import change_status
from passport.jobs.models import Notification
from passport.jobs.notify import open_secret
from passport.services import Services
from passport.wallets.models import Oid4vciAccessToken
from passport.wallets.oid4vci import (
    MAX_TX_CODE_ATTEMPTS,
    OFFER_TTL,
    PRE_AUTHORIZED_GRANT,
    create_offer,
)
from passport.web.context import get_services
from tests.conftest import PUBLIC_URL, fresh_app, settings_for

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}
LEA = "lea@example.com"
MO = "mo@example.com"
LDP = "OpenBadgeCredential_ldp_vc"
JWT = "OpenBadgeCredential_jwt_vc_json"
FORM = "application/x-www-form-urlencoded"


# -- factories --------------------------------------------------------------------------------


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_proof(
    key: SigningKey,
    *,
    nonce: str | None,
    by: str = "kid",
    aud: object = PUBLIC_URL,
    iat: float | None = None,
    typ: str = "openid4vci-proof+jwt",
    alg: str | None = None,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    """A key proof JWT (OpenID4VCI 1.0 F.1) signed with ``key``."""
    head: dict[str, Any] = {"typ": typ, "alg": alg or key.public.alg}
    if by == "kid":
        did = did_key_from_public_key(key.public)
        head["kid"] = f"{did}#{did.removeprefix('did:key:')}"
    elif by == "jwk":
        head["jwk"] = {k: v for k, v in key.public.jwk.items() if k not in {"kid", "alg", "use"}}
    head.update(header or {})
    body: dict[str, Any] = {"aud": aud, "iat": int(iat if iat is not None else time.time())}
    if nonce is not None:
        body["nonce"] = nonce
    body.update(claims or {})
    signing_input = (
        _b64u(json.dumps(head).encode()) + "." + _b64u(json.dumps(body).encode())
    ).encode()
    return signing_input.decode() + "." + _b64u(key.sign(signing_input))


@dataclasses.dataclass
class World:
    app: Flask
    services: Services
    lea_badge: str
    lea_jwt_badge: str
    mo_badge: str

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = settings_for(tmp_path_factory.mktemp("oid4vci"))
    app = fresh_app(settings)
    services = get_services(app)
    with services.session() as db:
        for email in (LEA, MO):
            create_user(db, email=email, name=email[:2], role="learner", password=PASSWORD)
    ids = []
    for email, fmt in ((LEA, "data-integrity"), (LEA, "vc-jwt"), (MO, "data-integrity")):
        with services.session() as db:
            record = issue_credential(
                db,
                services,
                IssueRequest("incident-response-l2", email, proof_format=fmt),
                now=services.now() - timedelta(hours=1),
            )
            ids.append(record.id)
    yield World(app, services, *ids)
    services.engine.dispose()


def offer_for(world: World, badge: str, *, tx_code: bool = False, now: Any = None) -> str:
    """A new offer's reference (from its deep link)."""
    services = world.services
    with services.session() as db:
        created = create_offer(
            db,
            services,
            credential_id=badge,
            actor="test",
            with_tx_code=tx_code,
            now=now or services.now(),
        )
    query = parse_qs(urlsplit(created.deep_link).query)
    return query["credential_offer_uri"][0].rsplit("/", 1)[-1]


def pre_auth_token(client: FlaskClient, ref: str, **extra: str) -> Any:
    document = client.get(f"/oid4vci/offers/{ref}").get_json()
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    return client.post(
        "/oid4vci/token",
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, **extra},
        content_type=FORM,
    )


def access_token(world: World, badge: str) -> str:
    response = pre_auth_token(world.client(), offer_for(world, badge))
    assert response.status_code == 200, response.get_json()
    token: str = response.get_json()["access_token"]
    return token


def nonce(client: FlaskClient) -> str:
    response = client.post("/oid4vci/nonce")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    value: str = response.get_json()["c_nonce"]
    return value


def ask(client: FlaskClient, token: str | None, body: object) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/oid4vci/credential", json=body, headers=headers)


def error_of(response: Any) -> str:
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error_description"].endswith("."), body
    code: str = body["error"]
    return code


# -- metadata ---------------------------------------------------------------------------------


def test_credential_issuer_metadata(world: World) -> None:
    response = world.client().get("/.well-known/openid-credential-issuer")
    assert response.status_code == 200
    meta = response.get_json()
    assert meta["credential_issuer"] == PUBLIC_URL
    assert meta["credential_endpoint"] == f"{PUBLIC_URL}/oid4vci/credential"
    assert meta["nonce_endpoint"] == f"{PUBLIC_URL}/oid4vci/nonce"
    assert meta["deferred_credential_endpoint"] == f"{PUBLIC_URL}/oid4vci/deferred"
    assert {d["locale"] for d in meta["display"]} == {"en", "de"}
    configs = meta["credential_configurations_supported"]
    assert configs[LDP]["format"] == "ldp_vc"
    assert configs[LDP]["credential_definition"]["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert configs[LDP]["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert configs[JWT]["format"] == "jwt_vc_json"
    assert configs[JWT]["credential_signing_alg_values_supported"] == ["ES256"]
    for config in configs.values():
        assert config["credential_definition"]["type"] == [
            "VerifiableCredential",
            "OpenBadgeCredential",
        ]
        assert config["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk", "jwk"]
        assert config["proof_types_supported"] == {
            "jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256", "ES384"]}
        }


def test_authorization_server_metadata(world: World) -> None:
    meta = world.client().get("/.well-known/oauth-authorization-server").get_json()
    assert meta["issuer"] == PUBLIC_URL
    assert meta["token_endpoint"] == f"{PUBLIC_URL}/oid4vci/token"
    assert meta["authorization_endpoint"] == f"{PUBLIC_URL}/oid4vci/authorize"
    assert meta["response_types_supported"] == ["code"]
    assert PRE_AUTHORIZED_GRANT in meta["grant_types_supported"]
    assert "authorization_code" in meta["grant_types_supported"]
    assert meta["pre-authorized_grant_anonymous_access_supported"] is True
    assert meta["code_challenge_methods_supported"] == ["S256"]


# -- the pre-authorized code flow -------------------------------------------------------------


@pytest.mark.parametrize(
    ("configuration", "alg", "by"),
    [(LDP, "EdDSA", "kid"), (JWT, "ES256", "jwk"), (LDP, "ES256", "kid"), (JWT, "ES384", "jwk")],
)
def test_pre_authorized_flow_delivers_the_badge_bound_to_the_wallet(
    world: World, configuration: str, alg: str, by: str
) -> None:
    client = world.client()
    ref = offer_for(world, world.lea_badge)
    document = client.get(f"/oid4vci/offers/{ref}").get_json()
    assert document["credential_issuer"] == PUBLIC_URL
    assert document["credential_configuration_ids"] == [LDP, JWT]
    assert set(document["grants"]) == {PRE_AUTHORIZED_GRANT, "authorization_code"}
    assert "tx_code" not in document["grants"][PRE_AUTHORIZED_GRANT]
    token = pre_auth_token(client, ref)
    assert token.status_code == 200, token.get_data(as_text=True)[:500]
    assert token.headers["Cache-Control"] == "no-store"
    body = token.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    key = generate_key(alg)
    holder = (
        did_key_from_public_key(key.public) if by == "kid" else did_jwk_from_public_key(key.public)
    )
    answer = ask(
        client,
        body["access_token"],
        {
            "credential_configuration_id": configuration,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client), by=by)]},
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    credential = answer.get_json()["credentials"][0]["credential"]
    if configuration == JWT:
        assert isinstance(credential, str) and credential.count(".") == 2
        content = credential.encode()
    else:
        assert isinstance(credential, dict)
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
        content = json.dumps(credential).encode()
    with world.services.session() as db:
        verified = world.services.verifier(db).verify(
            content, now=world.services.now() + timedelta(seconds=5)
        )
    assert verified.report.verified
    assert verified.credential.credential_subject.id == holder
    assert verified.credential.id == world.lea_badge
    with world.services.session() as db:
        actions = set(db.scalars(select(AuditEvent.action)))
    assert {"oid4vci.offer", "oid4vci.token", "wallet.deliver"} <= actions


def test_token_may_ask_by_authorization_details(world: World) -> None:
    client = world.client()
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": LDP}])
    response = pre_auth_token(
        client, offer_for(world, world.lea_badge), authorization_details=details
    )
    body = response.get_json()
    assert body["authorization_details"] == [
        {
            "type": "openid_credential",
            "credential_configuration_id": LDP,
            "credential_identifiers": [LDP],
        }
    ]
    key = generate_key("EdDSA")
    by_configuration = ask(
        client,
        body["access_token"],
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
        },
    )
    assert error_of(by_configuration) == "invalid_credential_request"
    by_identifier = ask(
        client,
        body["access_token"],
        {"credential_identifier": LDP, "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]}},
    )
    assert by_identifier.status_code == 200
    unknown = ask(
        client,
        body["access_token"],
        {
            "credential_identifier": "nope",
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
        },
    )
    assert error_of(unknown) == "unknown_credential_identifier"


# -- offers and the token endpoint: refusals --------------------------------------------------


def test_an_offer_is_single_use(world: World) -> None:
    client = world.client()
    ref = offer_for(world, world.lea_badge)
    document = client.get(f"/oid4vci/offers/{ref}").get_json()
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    assert client.post("/oid4vci/token", data=form, content_type=FORM).status_code == 200
    again = client.post("/oid4vci/token", data=form, content_type=FORM)
    assert again.status_code == 400 and error_of(again) == "invalid_grant"
    gone = client.get(f"/oid4vci/offers/{ref}")
    assert gone.status_code == 410 and error_of(gone) == "offer_gone"


def test_an_expired_offer_is_refused(world: World) -> None:
    client = world.client()
    past = world.services.now() - OFFER_TTL - timedelta(seconds=1)
    ref = offer_for(world, world.lea_badge, now=past)
    assert error_of(client.get(f"/oid4vci/offers/{ref}")) == "offer_gone"
    # the code derived from the reference is refused too
    from passport.wallets.oid4vci import _derive

    code = _derive(ref, "pre-authorized_code")
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    refused = client.post("/oid4vci/token", data=form, content_type=FORM)
    assert error_of(refused) == "invalid_grant"
    assert "expired" in refused.get_json()["error_description"]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": PRE_AUTHORIZED_GRANT}, "invalid_request"),
        ({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "x" * 43}, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "x"}, "invalid_request"),
    ],
)
def test_token_endpoint_bad_requests(world: World, form: dict[str, str], code: str) -> None:
    response = world.client().post("/oid4vci/token", data=form, content_type=FORM)
    assert response.status_code == 400
    assert error_of(response) == code


def test_token_endpoint_wants_a_form(world: World) -> None:
    response = world.client().post("/oid4vci/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert error_of(response) == "invalid_request"


def test_transaction_code_is_mailed_to_the_holder_and_checked(world: World) -> None:
    client = world.client()
    ref = offer_for(world, world.lea_badge, tx_code=True)
    document = client.get(f"/oid4vci/offers/{ref}").get_json()
    assert document["grants"][PRE_AUTHORIZED_GRANT]["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "The six-digit code we e-mailed to you",
    }
    with world.services.session() as db:
        row = db.scalars(
            select(Notification)
            .where(Notification.kind == "wallet_tx_code")
            .order_by(Notification.id.desc())
        ).first()
        assert row is not None and row.to == LEA
        tx_code = open_secret(world.services.settings.secret_key, json.loads(row.context))
    assert tx_code is not None and re.fullmatch(r"\d{6}", tx_code)
    missing = pre_auth_token(client, ref)
    assert error_of(missing) == "invalid_request"
    wrong = pre_auth_token(client, ref, tx_code="000000" if tx_code != "000000" else "111111")
    assert error_of(wrong) == "invalid_grant"
    right = pre_auth_token(client, ref, tx_code=tx_code)
    assert right.status_code == 200


def test_too_many_wrong_transaction_codes_burn_the_offer(world: World) -> None:
    client = world.client()
    ref = offer_for(world, world.lea_badge, tx_code=True)
    with world.services.session() as db:
        row = db.scalars(
            select(Notification)
            .where(Notification.kind == "wallet_tx_code")
            .order_by(Notification.id.desc())
        ).first()
        assert row is not None
        tx_code = open_secret(world.services.settings.secret_key, json.loads(row.context))
    assert tx_code is not None
    wrong = "000000" if tx_code != "000000" else "111111"
    for _ in range(MAX_TX_CODE_ATTEMPTS):
        assert error_of(pre_auth_token(client, ref, tx_code=wrong)) == "invalid_grant"
    # the offer is burned: even the right code is refused now, and the offer is gone
    assert client.get(f"/oid4vci/offers/{ref}").status_code == 410
    from passport.wallets.oid4vci import _derive

    code = _derive(ref, "pre-authorized_code")
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": tx_code}
    burned = client.post("/oid4vci/token", data=form, content_type=FORM)
    assert error_of(burned) == "invalid_grant"
    with world.services.session() as db:
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "oid4vci.offer_burned"))


def test_a_transaction_code_for_an_offer_without_one_is_refused(world: World) -> None:
    response = pre_auth_token(world.client(), offer_for(world, world.lea_badge), tx_code="123456")
    assert error_of(response) == "invalid_request"


def test_unknown_offer_reference(world: World) -> None:
    client = world.client()
    assert client.get("/oid4vci/offers/" + "A" * 43).status_code == 404
    assert client.get("/oid4vci/offers/short").status_code == 404


# -- the credential endpoint: refusals ---------------------------------------------------------


def test_missing_unknown_and_expired_tokens(world: World) -> None:
    client = world.client()
    key = generate_key("EdDSA")
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [make_proof(key, nonce="n")]}}
    missing = ask(client, None, body)
    assert missing.status_code == 401 and error_of(missing) == "invalid_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = ask(client, "A" * 43, body)
    assert unknown.status_code == 401 and error_of(unknown) == "invalid_token"
    assert unknown.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    token = access_token(world, world.lea_badge)
    with world.services.session() as db:
        row = db.scalar(
            select(Oid4vciAccessToken).where(
                Oid4vciAccessToken.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        )
        assert row is not None
        row.expires_at = world.services.now() - timedelta(seconds=1)
    expired = ask(client, token, body)
    assert expired.status_code == 401 and error_of(expired) == "invalid_token"


def _bad_proofs() -> list[tuple[str, Any, str]]:
    """(name, proof maker(key, nonce) → proofs object, expected error)."""
    ed = generate_key("EdDSA")
    p256 = generate_key("ES256")
    rsa = generate_key("RS256", rsa_bits=2048)
    jwk_private = {k: v for k, v in p256.public.jwk.items() if k not in {"kid", "alg", "use"}}
    jwk_private["d"] = _b64u(b"\x01" * 32)
    return [
        (
            "wrong aud",
            lambda n: make_proof(ed, nonce=n, aud="https://elsewhere.example"),
            "invalid_proof",
        ),
        ("old iat", lambda n: make_proof(ed, nonce=n, iat=time.time() - 3600), "invalid_proof"),
        ("future iat", lambda n: make_proof(ed, nonce=n, iat=time.time() + 3600), "invalid_proof"),
        # JSON allows NaN and Infinity: every comparison with NaN is false (review)
        (
            "NaN iat",
            lambda n: make_proof(ed, nonce=n, claims={"iat": float("nan")}),
            "invalid_proof",
        ),
        (
            "Infinity iat",
            lambda n: make_proof(ed, nonce=n, claims={"iat": float("inf")}),
            "invalid_proof",
        ),
        (
            "NaN exp",
            lambda n: make_proof(ed, nonce=n, claims={"exp": float("nan")}),
            "invalid_proof",
        ),
        ("wrong nonce", lambda n: make_proof(ed, nonce="A" * 43), "invalid_nonce"),
        ("no nonce", lambda n: make_proof(ed, nonce=None), "invalid_nonce"),
        (
            "kid and jwk",
            lambda n: make_proof(ed, nonce=n, header={"jwk": ed.public.jwk}),
            "invalid_proof",
        ),
        ("neither kid nor jwk", lambda n: make_proof(ed, nonce=n, by="none"), "invalid_proof"),
        (
            "private jwk",
            lambda n: make_proof(p256, nonce=n, by="none", header={"jwk": jwk_private}),
            "invalid_proof",
        ),
        ("RS256", lambda n: make_proof(rsa, nonce=n, by="jwk"), "invalid_proof"),
        ("alg none", lambda n: make_proof(ed, nonce=n, alg="none"), "invalid_proof"),
        ("HS256", lambda n: make_proof(ed, nonce=n, alg="HS256"), "invalid_proof"),
        ("alg not the key's", lambda n: make_proof(ed, nonce=n, alg="ES256"), "invalid_proof"),
        ("wrong typ", lambda n: make_proof(ed, nonce=n, typ="JWT"), "invalid_proof"),
        ("x5c", lambda n: make_proof(ed, nonce=n, header={"x5c": ["MIIB"]}), "invalid_proof"),
        (
            "iss without client",
            lambda n: make_proof(ed, nonce=n, claims={"iss": "w"}),
            "invalid_proof",
        ),
        (
            "did:web kid",
            lambda n: make_proof(ed, nonce=n, by="none", header={"kid": "did:web:evil.example#k"}),
            "invalid_proof",
        ),
        ("bad signature", lambda n: make_proof(ed, nonce=n)[:-4] + "AAAA", "invalid_proof"),
        ("not a JWT", lambda n: "not.a.jwt", "invalid_proof"),
        ("not a string", lambda n: 42, "invalid_proof"),
    ]


@pytest.mark.parametrize(
    ("name", "maker", "code"), _bad_proofs(), ids=[c[0] for c in _bad_proofs()]
)
def test_bad_key_proofs_are_refused(world: World, name: str, maker: Any, code: str) -> None:
    client = world.client()
    token = access_token(world, world.lea_badge)
    response = ask(
        client,
        token,
        {"credential_configuration_id": LDP, "proofs": {"jwt": [maker(nonce(client))]}},
    )
    assert response.status_code == 400, name
    assert error_of(response) == code, name


def test_a_replayed_nonce_is_refused(world: World) -> None:
    """The done-when: a replayed or wrong-nonce key proof is refused."""
    client = world.client()
    token = access_token(world, world.lea_badge)
    key = generate_key("EdDSA")
    proof = make_proof(key, nonce=nonce(client))
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}}
    assert ask(client, token, body).status_code == 200
    replayed = ask(client, token, body)
    assert replayed.status_code == 400 and error_of(replayed) == "invalid_nonce"
    # the same nonce in a new proof (another key, another token) is refused too
    other = make_proof(
        generate_key("EdDSA"),
        nonce=json.loads(base64.urlsafe_b64decode(proof.split(".")[1] + "=="))["nonce"],
    )
    again = ask(
        client,
        access_token(world, world.lea_badge),
        {"credential_configuration_id": LDP, "proofs": {"jwt": [other]}},
    )
    assert error_of(again) == "invalid_nonce"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "invalid_credential_request"),
        ({}, "invalid_credential_request"),
        ({"credential_configuration_id": "mso_mdoc_thing"}, "unknown_credential_configuration"),
        (
            {"credential_configuration_id": LDP, "credential_identifier": LDP},
            "invalid_credential_request",
        ),
        ({"credential_identifier": LDP}, "invalid_credential_request"),
        ({"credential_configuration_id": LDP}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"jwt": []}}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"jwt": ["a", "b"]}}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"attestation": ["a"]}}, "invalid_proof"),
        (
            {"credential_configuration_id": LDP, "proof": {"proof_type": "jwt", "jwt": "x"}},
            "invalid_credential_request",
        ),
        (
            {"credential_configuration_id": LDP, "credential_response_encryption": {}},
            "invalid_encryption_parameters",
        ),
    ],
)
def test_bad_credential_requests(world: World, body: object, code: str) -> None:
    response = ask(world.client(), access_token(world, world.lea_badge), body)
    assert response.status_code == 400
    assert error_of(response) == code


def test_a_revoked_badge_is_not_offered_nor_delivered(world: World) -> None:
    services = world.services
    with services.session() as db:
        badge = issue_credential(
            db, services, IssueRequest("incident-response-l2", MO), now=services.now()
        ).id
    client = world.client()
    token = access_token(world, badge)
    ref = offer_for(world, badge)
    with services.session() as db:
        change_status(
            db, services, badge, "revoke", reason="test", actor="admin", now=services.now()
        )
    key = generate_key("EdDSA")
    denied = ask(
        client,
        token,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
        },
    )
    assert error_of(denied) == "credential_request_denied"
    assert error_of(pre_auth_token(client, ref)) == "invalid_grant"
    from passport.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as info:
        offer_for(world, badge)
    assert info.value.code == "credential_revoked"


# -- the authorization code flow -------------------------------------------------------------


def _login(client: FlaskClient, email: str) -> None:
    page = client.get("/login", headers=HTML).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = _b64u(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


REDIRECT = "https://wallet.example/cb"


def _authorize(client: FlaskClient, challenge: str, **extra: str) -> Any:
    params = {
        "client_id": "wallet-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st-1",
        "scope": LDP,
        **extra,
    }
    return client.get("/oid4vci/authorize", query_string=params, headers=HTML)


def _approve(client: FlaskClient, page: str, decision: str = "approve") -> Any:
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    form = {
        k: v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
        for k, v in form.items()
    }
    badge = re.search(r'name="credential_id" id="badge-1" value="([^"]+)"', page)
    if badge is not None:
        form["credential_id"] = badge.group(1)
    form["decision"] = decision
    return client.post("/oid4vci/authorize", data=form)


def test_authorization_code_flow(world: World) -> None:
    browser = world.client()
    verifier, challenge = _pkce()
    first = _authorize(browser, challenge)
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    _login(browser, LEA)
    page = _authorize(browser, challenge)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "wallet-1" in text and "wallet.example" in text
    assert world.mo_badge not in text  # only the learner's own badges
    decided = _approve(browser, text)
    assert decided.status_code == 303
    target = urlsplit(decided.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["st-1"] and query["iss"] == [PUBLIC_URL]
    code = query["code"][0]
    wallet = world.client()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "wallet-1",
        "code_verifier": verifier,
    }
    wrong_verifier = wallet.post(
        "/oid4vci/token",
        data={**form, "code_verifier": secrets.token_urlsafe(48)},
        content_type=FORM,
    )
    assert error_of(wrong_verifier) == "invalid_grant"
    mismatch = wallet.post(
        "/oid4vci/token", data={**form, "redirect_uri": REDIRECT + "x"}, content_type=FORM
    )
    assert error_of(mismatch) == "invalid_grant"
    other_client = wallet.post(
        "/oid4vci/token", data={**form, "client_id": "other"}, content_type=FORM
    )
    assert error_of(other_client) == "invalid_grant"
    token = wallet.post("/oid4vci/token", data=form, content_type=FORM)
    assert token.status_code == 200, token.get_data(as_text=True)[:500]
    key = generate_key("ES256")
    access = token.get_json()["access_token"]
    wrong_iss = ask(
        wallet,
        access,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(wallet), claims={"iss": "other"})]},
        },
    )
    assert error_of(wrong_iss) == "invalid_proof"
    # the learner approved scope=OpenBadgeCredential_ldp_vc: the token fetches that only
    other_format = ask(
        wallet,
        access,
        {
            "credential_configuration_id": JWT,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(wallet), claims={"iss": "wallet-1"})]},
        },
    )
    assert error_of(other_format) == "unknown_credential_configuration"
    answer = ask(
        wallet,
        access,
        {
            "credential_configuration_id": LDP,
            "proofs": {"jwt": [make_proof(key, nonce=nonce(wallet), claims={"iss": "wallet-1"})]},
        },
    )
    assert answer.status_code == 200, answer.get_json()
    # RFC 6749 §10.5: a code used twice is refused and the token issued for it revoked
    reused = wallet.post("/oid4vci/token", data=form, content_type=FORM)
    assert error_of(reused) == "invalid_grant"
    revoked = ask(wallet, access, {"credential_configuration_id": LDP})
    assert revoked.status_code == 401 and error_of(revoked) == "invalid_token"
    with world.services.session() as db:
        actions = db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.action.in_(["oid4vci.code_replayed", "oid4vci.proof_refused"])
            )
        ).all()
    assert {"oid4vci.code_replayed", "oid4vci.proof_refused"} <= set(actions)


def test_authorization_can_be_denied(world: World) -> None:
    browser = world.client()
    _login(browser, LEA)
    _, challenge = _pkce()
    page = _authorize(browser, challenge).get_data(as_text=True)
    denied = _approve(browser, page, "deny")
    query = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-1"]
    assert "code" not in query


def test_authorization_by_an_offers_issuer_state(world: World) -> None:
    browser = world.client()
    _login(browser, LEA)
    ref = offer_for(world, world.lea_jwt_badge)
    state = (
        world.client()
        .get(f"/oid4vci/offers/{ref}")
        .get_json()["grants"]["authorization_code"]["issuer_state"]
    )
    _, challenge = _pkce()
    page = _authorize(browser, challenge, issuer_state=state).get_data(as_text=True)
    assert page.count('name="credential_id"') == 1 and world.lea_jwt_badge in page
    assert _approve(browser, page).status_code == 303
    # the offer is spent: neither its pre-authorized code nor its issuer_state work again
    assert world.client().get(f"/oid4vci/offers/{ref}").status_code == 410


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"redirect_uri": "javascript:alert(1)"}, "bad_redirect_uri"),
        ({"redirect_uri": "data:text/html,x"}, "bad_redirect_uri"),
        ({"redirect_uri": "http://wallet.example/cb"}, "bad_redirect_uri"),
        ({"redirect_uri": "https://wallet.example/cb#frag"}, "bad_redirect_uri"),
        ({"redirect_uri": "https://user:pw@wallet.example/cb"}, "bad_redirect_uri"),
        ({"redirect_uri": "noscheme"}, "bad_redirect_uri"),
        ({"client_id": ""}, "bad_client_id"),
        ({"response_type": "token"}, "bad_response_type"),
        ({"code_challenge_method": "plain"}, "pkce_required"),
        ({"code_challenge": "short"}, "pkce_required"),
        ({"scope": "openid"}, "bad_scope"),
        ({"authorization_details": '[{"type":"x"}]'}, "bad_authorization_details"),
        ({"issuer_state": "A" * 43}, "offer_gone"),
    ],
)
def test_bad_authorization_requests(world: World, change: dict[str, str], code: str) -> None:
    browser = world.client()
    _login(browser, LEA)
    _, challenge = _pkce()
    response = _authorize(browser, challenge, **change)
    assert response.status_code == 400
    assert f"<code>{code}</code>" in response.get_data(as_text=True) or code in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:8123/cb", "http://[::1]/cb", "com.example.wallet:/cb", REDIRECT]
)
def test_allowed_redirect_uris(uri: str) -> None:
    from passport.wallets.oid4vci import check_redirect_uri

    assert check_redirect_uri(uri) == uri


# -- the learner's "Add to wallet" page ----------------------------------------------------------


def test_add_to_wallet_page(world: World) -> None:
    browser = world.client()
    _login(browser, LEA)
    badge_page = browser.get(f"/passport/badges/{world.lea_badge}", headers=HTML)
    wallet_url = f"/passport/badges/{world.lea_badge}/wallet"
    assert wallet_url in badge_page.get_data(as_text=True)
    page = browser.get(wallet_url, headers=HTML)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token is not None
    made = browser.post(wallet_url, data={"csrf_token": token.group(1), "tx_code": "on"})
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "private, no-store"
    text = made.get_data(as_text=True)
    link = re.search(r'href="(openid-credential-offer://[^"]+)"', text)
    assert link is not None
    offer_url = unquote(link.group(1).replace("&amp;", "&").split("credential_offer_uri=", 1)[1])
    assert offer_url.startswith(f"{PUBLIC_URL}/oid4vci/offers/")
    assert '<svg class="qr" role="img"' in text
    assert "transaction code" in text
    document = world.client().get(urlsplit(offer_url).path).get_json()
    assert "tx_code" in document["grants"][PRE_AUTHORIZED_GRANT]
    # another learner's badge answers like an unknown one
    assert browser.get(f"/passport/badges/{world.mo_badge}/wallet", headers=HTML).status_code == 404


def test_badge_issued_mail_links_to_the_wallet_page(world: World) -> None:
    from passport.jobs.messages import render

    with world.services.session() as db:
        row = db.scalars(
            select(Notification).where(Notification.kind == "badge_issued", Notification.to == LEA)
        ).first()
        assert row is not None
        message = render(world.services, db, row, json.loads(row.context))
    assert message is not None
    assert "/passport/badges/" in message.text and "/wallet" in message.text


def test_cli_prints_one_offer_line(world: World, tmp_path: Path) -> None:
    """``passport wallet offer`` against the module's instance (same settings)."""
    import os
    import subprocess
    import sys

    settings = world.services.settings
    env = {
        **os.environ,
        "PASSPORT_ENV": "test",
        "PASSPORT_INSTANCE_PATH": str(settings.instance_path),
        "PASSPORT_DATABASE_URL": settings.database_url,
        "PASSPORT_PUBLIC_URL": settings.public_url,
        "PASSPORT_SECRET_KEY": settings.secret_key,
        "PASSPORT_KEY_PASSPHRASE": settings.key_passphrase,
    }
    passport = str(Path(sys.executable).with_name("passport"))
    done = subprocess.run(
        [passport, "wallet", "offer", "--credential", world.lea_badge, "--tx-code"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "openid-credential-offer://?credential_offer_uri="
    )
    assert not re.search(r"\b\d{6}\b", done.stdout)  # the code is mailed, never printed
    unknown = subprocess.run(
        [passport, "wallet", "offer", "--credential", "urn:uuid:nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert "[unknown_credential]" in unknown.stderr and "Traceback" not in unknown.stderr
    services = world.services
    with services.session() as db:
        revoked = issue_credential(
            db, services, IssueRequest("incident-response-l2", MO), now=services.now()
        ).id
    with services.session() as db:
        change_status(
            db, services, revoked, "revoke", reason="test", actor="admin", now=services.now()
        )
    refused = subprocess.run(
        [passport, "wallet", "offer", "--credential", revoked],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("Error: This badge was revoked")
    assert "[credential_revoked]" in refused.stderr


def test_token_nonce_and_credential_endpoints_are_rate_limited(world: World) -> None:
    """They count against the ``api`` limit per client address (a guessed code or token costs)."""
    from passport.web import create_app

    app = create_app(world.services.settings.with_overrides(rate_limits="api=3/minute"))
    try:
        client = app.test_client()
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "A" * 43}
        answers = [
            client.post("/oid4vci/token", data=form, content_type=FORM).status_code,
            client.post("/oid4vci/nonce").status_code,
            ask(client, "A" * 43, {}).status_code,
            client.post("/oid4vci/token", data=form, content_type=FORM).status_code,
        ]
        assert answers == [400, 200, 401, 429]
        assert client.post("/oid4vci/nonce").headers["Retry-After"]
    finally:
        get_services(app).engine.dispose()


# -- hostile input: JSON errors with the protocol's codes, never a 500 --------------------------

DEEP = "[" * 5000 + "]" * 5000


def _deep_proof(key: SigningKey, where: str) -> str:
    jwk = {k: v for k, v in key.public.jwk.items() if k not in {"kid", "alg", "use"}}
    header = {"typ": "openid4vci-proof+jwt", "alg": key.public.alg, "jwk": jwk}
    head = _b64u(json.dumps(header).encode())
    body = _b64u(json.dumps({"aud": PUBLIC_URL, "iat": int(time.time())}).encode())
    deep = _b64u(DEEP.encode())
    head, body = (deep, body) if where == "header" else (head, deep)
    signing_input = f"{head}.{body}".encode()
    return signing_input.decode() + "." + _b64u(key.sign(signing_input))


FUZZ_BODIES: list[tuple[str, Any, str]] = [
    (
        "configuration as a list",
        {"credential_configuration_id": [LDP]},
        "invalid_credential_request",
    ),
    (
        "configuration as an object",
        {"credential_configuration_id": {"a": 1}},
        "invalid_credential_request",
    ),
    ("configuration as a number", {"credential_configuration_id": 7}, "invalid_credential_request"),
    ("identifier as a list", {"credential_identifier": [LDP]}, "invalid_credential_request"),
    ("identifier as an object", {"credential_identifier": {}}, "invalid_credential_request"),
    ("proofs as a string", {"credential_configuration_id": LDP, "proofs": "x"}, "invalid_proof"),
    (
        "proof jwt a number",
        {"credential_configuration_id": LDP, "proofs": {"jwt": [7]}},
        "invalid_proof",
    ),
    (
        "proof jwt nested",
        {"credential_configuration_id": LDP, "proofs": {"jwt": [[["x"]]]}},
        "invalid_proof",
    ),
]


@pytest.mark.parametrize(("name", "body", "code"), FUZZ_BODIES, ids=[b[0] for b in FUZZ_BODIES])
def test_fuzzed_credential_requests(world: World, name: str, body: Any, code: str) -> None:
    response = ask(world.client(), access_token(world, world.lea_badge), body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert error_of(response) == code


@pytest.mark.parametrize("path", ["/oid4vci/credential", "/oid4vci/deferred"])
def test_deeply_nested_json_bodies_are_refused(world: World, path: str) -> None:
    token = access_token(world, world.lea_badge)
    response = world.client().post(
        path,
        data='{"a":' + DEEP + "}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert error_of(response) == "invalid_credential_request"


@pytest.mark.parametrize("where", ["header", "payload"])
def test_deeply_nested_key_proofs_are_refused(world: World, where: str) -> None:
    body = {
        "credential_configuration_id": LDP,
        "proofs": {"jwt": [_deep_proof(generate_key("ES256"), where)]},
    }
    response = ask(world.client(), access_token(world, world.lea_badge), body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert error_of(response) == "invalid_proof"


def test_deeply_nested_authorization_details_are_refused(world: World) -> None:
    client = world.client()
    ref = offer_for(world, world.lea_badge)
    token = pre_auth_token(client, ref, authorization_details=DEEP)
    assert token.status_code == 400
    assert error_of(token) == "invalid_authorization_details"
    code = client.post(
        "/oid4vci/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": REDIRECT,
            "client_id": "w",
            "code_verifier": "v" * 43,
            "authorization_details": DEEP,
        },
        content_type=FORM,
    )
    assert code.status_code == 400 and error_of(code) == "invalid_grant"
    browser = world.client()
    _login(browser, LEA)
    _, challenge = _pkce()
    page = _authorize(browser, challenge, authorization_details=DEEP)
    assert page.status_code == 400
    assert "bad_authorization_details" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        (REDIRECT, "https://wallet.example"),
        ("http://127.0.0.1:8123/cb?x=1", "http://127.0.0.1:8123"),
        ("http://[::1]:9000/cb", "http://[::1]:9000"),
        ("com.example.wallet:/cb", "com.example.wallet:"),
    ],
)
def test_the_consent_page_lets_its_forms_redirect_to_the_wallet(
    world: World, uri: str, source: str
) -> None:
    browser = world.client()
    _login(browser, LEA)
    _, challenge = _pkce()
    page = _authorize(browser, challenge, redirect_uri=uri)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {source};" in policy + ";"
    assert policy.count("form-action") == 1
    # every other page keeps form-action 'self' only
    other = browser.get("/passport", headers=HTML).headers["Content-Security-Policy"]
    assert "form-action 'self'" in other and source not in other


# -- review findings (issue #22): races, narrowing, audit --------------------------------------


def _mailed_tx_code(world: World) -> str:
    with world.services.session() as db:
        row = db.scalars(
            select(Notification)
            .where(Notification.kind == "wallet_tx_code")
            .order_by(Notification.id.desc())
        ).first()
        assert row is not None
        tx_code = open_secret(world.services.settings.secret_key, json.loads(row.context))
    assert tx_code is not None
    return str(tx_code)


def test_racing_wrong_transaction_codes_are_limited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N wrong guesses in flight at once: at most MAX_TX_CODE_ATTEMPTS are compared."""
    import threading

    from passport.wallets import oid4vci as module

    ref = offer_for(world, world.lea_badge, tx_code=True)
    tx_code = _mailed_tx_code(world)
    wrong = "000000" if tx_code != "000000" else "111111"
    code = module._derive(ref, "pre-authorized_code")
    slow_hash = module._tx_hash

    def slow(*args: Any) -> str:
        time.sleep(0.15)  # widen the window between reading the offer and comparing
        return slow_hash(*args)

    monkeypatch.setattr(module, "_tx_hash", slow)
    start = threading.Barrier(12)
    answers: list[tuple[int, str]] = []

    def guess() -> None:
        client = world.client()
        start.wait()
        response = client.post(
            "/oid4vci/token",
            data={
                "grant_type": PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": code,
                "tx_code": wrong,
            },
            content_type=FORM,
        )
        answers.append((response.status_code, response.get_json()["error_description"]))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 12 and {status for status, _ in answers} == {400}, answers
    compared = [d for _, d in answers if d == "The transaction code is wrong."]
    assert len(compared) <= MAX_TX_CODE_ATTEMPTS, answers
    from passport.wallets.models import Oid4vciOffer

    with world.services.session() as db:
        offer = db.scalar(select(Oid4vciOffer).where(Oid4vciOffer.code_hash == module._hash(code)))
        assert offer is not None
        assert offer.tx_attempts == MAX_TX_CODE_ATTEMPTS and offer.burned_at is not None


def test_wrong_transaction_codes_are_audited_without_the_code(world: World) -> None:
    ref = offer_for(world, world.lea_badge, tx_code=True)
    tx_code = _mailed_tx_code(world)
    wrong = "000000" if tx_code != "000000" else "111111"
    assert error_of(pre_auth_token(world.client(), ref, tx_code=wrong)) == "invalid_grant"
    with world.services.session() as db:
        detail = db.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "oid4vci.tx_code_wrong")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert detail is not None and wrong not in detail and tx_code not in detail


def test_a_token_fetches_only_the_configurations_it_was_issued_for(world: World) -> None:
    client = world.client()
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": LDP}])
    token = pre_auth_token(
        client, offer_for(world, world.lea_badge), authorization_details=details
    ).get_json()["access_token"]
    key = generate_key("EdDSA")
    other = ask(
        client,
        token,
        {"credential_identifier": JWT, "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]}},
    )
    assert error_of(other) == "unknown_credential_identifier"
    # a pre-authorized offer without authorization_details keeps both configurations
    for configuration in (LDP, JWT):
        both = access_token(world, world.lea_badge)
        answer = ask(
            client,
            both,
            {
                "credential_configuration_id": configuration,
                "proofs": {"jwt": [make_proof(key, nonce=nonce(client))]},
            },
        )
        assert answer.status_code == 200, answer.get_json()


def test_a_denial_is_audited(world: World) -> None:
    browser = world.client()
    _login(browser, LEA)
    _, challenge = _pkce()
    page = _authorize(browser, challenge, client_id="denied-wallet").get_data(as_text=True)
    assert _approve(browser, page, "deny").status_code == 303
    with world.services.session() as db:
        event = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "oid4vci.deny")
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event is not None and event.actor == LEA and "denied-wallet" in (event.detail or "")


def test_expired_rows_are_purged_a_day_later(world: World) -> None:
    from passport.jobs.scheduled import SCHEDULES
    from passport.wallets.models import Oid4vciAccessToken, Oid4vciNonce, Oid4vciOffer
    from passport.wallets.oid4vci import purge_expired

    assert "oid4vci-purge" in {schedule.name for schedule in SCHEDULES}
    services = world.services
    client = world.client()
    fresh_token = access_token(world, world.lea_badge)
    nonce(client)
    later = services.now() + timedelta(days=1, minutes=30)
    with services.session() as db:
        counts = purge_expired(db, later)
    assert counts["nonces"] >= 1 and counts["tokens"] >= 1 and counts["offers"] >= 1
    with services.session() as db:
        assert db.scalar(select(Oid4vciNonce.id).where(Oid4vciNonce.expires_at < later)) is None
        assert db.scalar(select(Oid4vciOffer.id).where(Oid4vciOffer.expires_at < later)) is None
        assert (
            db.scalar(select(Oid4vciAccessToken.id).where(Oid4vciAccessToken.expires_at < later))
            is None
        )
        # the audit trail stays
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "oid4vci.token"))
        again = purge_expired(db, later)
    assert set(again.values()) == {0}
    assert ask(client, fresh_token, {}).status_code == 401


def test_the_tx_code_description_is_in_the_holders_language(world: World) -> None:
    from passport.accounts.models import User

    client = world.client()
    english = client.get(f"/oid4vci/offers/{offer_for(world, world.mo_badge, tx_code=True)}")
    tx_code = english.get_json()["grants"][PRE_AUTHORIZED_GRANT]["tx_code"]
    assert tx_code["description"] == "The six-digit code we e-mailed to you"
    with world.services.session() as db:
        user = db.scalars(select(User).where(User.email == MO)).one()
        user.locale = "de"
    try:
        german = client.get(f"/oid4vci/offers/{offer_for(world, world.mo_badge, tx_code=True)}")
        tx_code = german.get_json()["grants"][PRE_AUTHORIZED_GRANT]["tx_code"]
        assert tx_code["description"] == (
            "Der sechsstellige Code, den wir Ihnen per E-Mail geschickt haben"
        )
        assert len(tx_code["description"]) <= 300
    finally:
        with world.services.session() as db:
            db.scalars(select(User).where(User.email == MO)).one().locale = None
