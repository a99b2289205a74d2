"""An independent OpenID4VCI wallet (npm ``@openid4vc/openid4vci`` 0.4.6) against our issuer.

The library resolves the offer URI, reads both metadata documents, gets the token (with the
transaction code from the holder's e-mail), asks for nonces, proves its own keys (did:key
Ed25519, did:jwk P-256, a bare P-256 JWK) and receives the badge as ``ldp_vc`` and
``jwt_vc_json``. Each credential must then verify in our verifier as the wallet's (subject id =
the wallet's DID), and the ``ldp_vc`` ones in the Digital Bazaar verifier too. The
authorization code flow runs with the learner's sign-in and consent done over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from passport.jobs.models import Notification
from passport.jobs.notify import open_secret
from tests.interop.harness import harness, requires_node
from tests.oid4vci.conftest import LiveIssuer, live_issuer, sign_in_and_consent, wallet

pytestmark = requires_node

LDP = "OpenBadgeCredential_ldp_vc"
JWT = "OpenBadgeCredential_jwt_vc_json"
KEYS = ["ed25519-did-key", "p256-did-jwk", "p256-jwk"]
REDIRECT = "https://wallet.example/callback"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveIssuer]:
    yield from live_issuer(tmp_path_factory.mktemp("oid4vci-live"))


def check_ours(issuer: LiveIssuer, results: list[dict[str, Any]]) -> None:
    """Every credential verifies in our verifier, bound to the wallet's DID; ldp_vc ones in
    the Digital Bazaar verifier as well."""
    documents = issuer.documents()
    later = issuer.services.now() + timedelta(seconds=5)
    for result in results:
        credential = result["credential"]
        if result["configuration"] == JWT:
            assert isinstance(credential, str)
            content = credential.encode()
        else:
            assert isinstance(credential, dict)
            content = json.dumps(credential).encode()
            reference = harness(
                "verify",
                {"credential": credential, "documents": documents, "skipStatus": True},
            )
            assert reference == {"verified": True, "errors": []}, result["key"]
        with issuer.services.session() as db:
            verified = issuer.services.verifier(db).verify(content, now=later)
        assert verified.report.verified, result["key"]
        assert verified.credential.credential_subject.id == result["holder"], result["key"]
        assert verified.credential.id == issuer.badge


def test_pre_authorized_code_flow_with_transaction_code(issuer: LiveIssuer) -> None:
    offer = issuer.offer(tx_code=True)
    with issuer.services.session() as db:
        row = db.scalars(
            select(Notification)
            .where(Notification.kind == "wallet_tx_code")
            .order_by(Notification.id.desc())
        ).first()
        assert row is not None
        tx_code = open_secret(issuer.services.settings.secret_key, json.loads(row.context))
    answer = wallet(
        "pre-authorized",
        {"offer": offer, "txCode": tx_code, "keys": KEYS, "configurations": [LDP, JWT]},
    )
    assert "error" not in answer, answer
    assert answer["offer"]["credential_issuer"] == issuer.url
    assert answer["issuerMetadata"]["credentialIssuer"]["credential_issuer"] == issuer.url
    assert answer["token"]["token_type"] == "Bearer"
    results = answer["results"]
    assert [(r["configuration"], r["key"]) for r in results] == [
        (c, k) for c in (LDP, JWT) for k in KEYS
    ]
    assert results[0]["holder"].startswith("did:key:z6Mk")
    assert results[1]["holder"].startswith("did:jwk:")
    check_ours(issuer, results)


def test_a_used_offer_is_refused_to_the_client(issuer: LiveIssuer) -> None:
    offer = issuer.offer()
    first = wallet("pre-authorized", {"offer": offer, "keys": KEYS[:1], "configurations": [LDP]})
    assert "error" not in first, first
    check_ours(issuer, first["results"])
    with pytest.raises(AssertionError, match=r"invalid_grant|offer_gone|410"):
        wallet("pre-authorized", {"offer": offer, "keys": KEYS[:1], "configurations": [LDP]})


def test_authorization_code_flow(issuer: LiveIssuer) -> None:
    client_id = "https://wallet.example"
    started = wallet(
        "authorize", {"offer": issuer.offer(), "clientId": client_id, "redirectUri": REDIRECT}
    )
    assert started.get("flow") == "Oauth2Redirect", started
    url = started["authorizationRequestUrl"]
    assert url.startswith(f"{issuer.url}/oid4vci/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and "issuer_state" in query
    redirect = sign_in_and_consent(issuer, url)
    assert redirect.startswith(REDIRECT + "?")
    returned = parse_qs(urlsplit(redirect).query)
    assert returned["iss"] == [issuer.url]
    answer = wallet(
        "redeem-code",
        {
            "credentialOffer": started["credentialOffer"],
            "clientId": client_id,
            "redirectUri": REDIRECT,
            "code": returned["code"][0],
            "pkceCodeVerifier": started["pkceCodeVerifier"],
            "keys": ["ed25519-did-key", "p256-jwk"],
            "configurations": [LDP, JWT],
        },
    )
    assert "error" not in answer, answer
    assert len(answer["results"]) == 4
    check_ours(issuer, answer["results"])
