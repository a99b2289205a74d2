"""The relying party's checks that need no provider: ID tokens, discovery, the callback's
early refusals (each a stable code), and reading the role claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from passport.accounts.oidc import (
    ID_TOKEN_ALGORITHMS,
    OidcClient,
    PendingLogin,
    ProviderMetadata,
    _claim_at,
    _groups,
    verify_id_token,
)
from passport.errors import SsoFailed, SsoProviderUnavailable
from passport.settings import OidcSettings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ISSUER = "https://idp.example.org"
CLIENT = "skill-passport"
NONCE = "n-0S6_WzA2Mj"
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
KEYS = KeySet([RSA, EC])


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT,
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "nonce": NONCE,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(claims: dict[str, Any], key: Any = RSA, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def _verify(token: str, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "algorithms": ID_TOKEN_ALGORITHMS,
        "issuer": ISSUER,
        "client_id": CLIENT,
        "nonce": NONCE,
        "access_token": None,
        "now": NOW,
    }
    arguments.update(changes)
    return verify_id_token(token, KEYS, **arguments)


def test_a_good_id_token_gives_its_claims() -> None:
    assert _verify(_token(_claims()))["sub"] == "248289761001"
    assert _verify(_token(_claims(aud=[CLIENT]), EC, "ES256"))["sub"] == "248289761001"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(_claims(iss="https://evil.example"), id="another issuer"),
        pytest.param(_claims(aud="someone-else"), id="another audience"),
        pytest.param(_claims(aud=["someone-else", CLIENT], azp="someone-else"), id="azp"),
        pytest.param(_claims(aud=["someone-else", CLIENT]), id="several audiences, no azp"),
        pytest.param(_claims(nonce="replayed"), id="another nonce"),
        pytest.param(_claims(nonce=None), id="no nonce"),
        pytest.param(_claims(exp=int((NOW - timedelta(minutes=2)).timestamp())), id="expired"),
        pytest.param(_claims(exp=None), id="no exp"),
        pytest.param(_claims(iat=int((NOW + timedelta(hours=1)).timestamp())), id="future iat"),
        pytest.param(_claims(iat=None), id="no iat"),
        pytest.param(_claims(sub=None), id="no sub"),
    ],
)
def test_an_id_token_with_a_wrong_claim_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(SsoFailed) as caught:
        _verify(_token(claims))
    assert caught.value.code == "sso_bad_id_token"


def test_a_wrong_at_hash_is_refused() -> None:
    token = _token(_claims(at_hash="AAAAAAAAAAAAAAAAAAAAAA"))
    with pytest.raises(SsoFailed, match="could not be verified"):
        _verify(token, access_token="the-access-token")


def test_a_token_signed_by_another_key_is_refused() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})  # same kid, other key
    with pytest.raises(SsoFailed) as caught:
        _verify(_token(_claims(), stranger))
    assert caught.value.code == "sso_bad_id_token"


def test_hmac_with_the_client_secret_and_alg_none_are_refused() -> None:
    secret = OctKey.import_key("the-client-secret-the-provider-also-knows-xx")
    hmac_token = jwt.encode({"alg": "HS256"}, _claims(), secret, algorithms=["HS256"])
    with pytest.raises(SsoFailed):
        verify_id_token(
            hmac_token,
            KeySet([secret]),
            algorithms=ID_TOKEN_ALGORITHMS,
            issuer=ISSUER,
            client_id=CLIENT,
            nonce=NONCE,
            access_token=None,
            now=NOW,
        )
    header, payload, _ = _token(_claims()).split(".")
    none_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    for token in (f"{none_header}.{payload}.", f"{header}.{payload}."):
        with pytest.raises(SsoFailed):
            _verify(token)


def test_the_providers_algorithm_list_narrows_ours_never_widens() -> None:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "id_token_signing_alg_values_supported": ["none", "HS256", "ES256"],
    }
    metadata = ProviderMetadata.from_document(document, expected_issuer=ISSUER)
    assert metadata.id_token_algorithms == ("ES256",)
    assert metadata.userinfo_endpoint is None
    with pytest.raises(SsoFailed):  # RS256 is not among the provider's algorithms
        _verify(_token(_claims()), algorithms=metadata.id_token_algorithms)


def test_discovery_must_name_the_configured_issuer() -> None:
    document = {"issuer": "https://evil.example", "authorization_endpoint": "https://e/a"}
    with pytest.raises(SsoFailed) as caught:
        ProviderMetadata.from_document(document, expected_issuer=ISSUER)
    assert caught.value.code == "sso_issuer_mismatch"
    with pytest.raises(SsoProviderUnavailable):
        ProviderMetadata.from_document({"issuer": ISSUER}, expected_issuer=ISSUER)
    with pytest.raises(SsoProviderUnavailable):
        ProviderMetadata.from_document(["not", "an", "object"], expected_issuer=ISSUER)


@pytest.mark.parametrize(
    "kept",
    [
        None,
        "text",
        {},
        {"state": "s", "nonce": "n"},
        {"state": "", "nonce": "n", "code_verifier": "v", "started": 1},
        {"state": "s", "nonce": "n", "code_verifier": "v", "started": "1"},
    ],
)
def test_a_session_without_a_proper_pending_login_holds_none(kept: object) -> None:
    assert PendingLogin.from_dict(kept) is None


def _client() -> OidcClient:
    # An address nothing listens on: the refusals below happen before any request.
    settings = OidcSettings(issuer="https://127.0.0.1:9", client_id=CLIENT, client_secret="s")
    return OidcClient(settings, "https://badges.example.org/login/oidc/callback")


PENDING = PendingLogin(
    state="the-state",
    nonce=NONCE,
    code_verifier="v" * 43,
    next=None,
    started=int(NOW.timestamp()),
)


@pytest.mark.parametrize(
    ("pending", "params", "code"),
    [
        (PENDING, {"error": "access_denied", "state": "the-state"}, "sso_access_denied"),
        (PENDING, {"error": "server_error", "error_description": "<b>x</b>"}, "sso_provider_error"),
        (None, {"code": "c", "state": "the-state"}, "sso_no_login_started"),
        (PENDING, {"code": "c", "state": "another-state"}, "sso_state_mismatch"),
        (PENDING, {"code": "c"}, "sso_state_mismatch"),
        (PENDING, {"state": "the-state"}, "sso_provider_error"),
        (
            PENDING,
            {"code": "c", "state": "the-state", "iss": "https://evil"},
            "sso_issuer_mismatch",
        ),
    ],
)
def test_the_callback_refuses_early_with_a_stable_code(
    pending: PendingLogin | None, params: dict[str, str], code: str
) -> None:
    with pytest.raises(SsoFailed) as caught:
        _client().finish(pending, params, now=NOW)
    assert caught.value.code == code
    assert "<b>" not in caught.value.message  # the provider's words are never shown


def test_a_login_that_took_too_long_is_refused() -> None:
    later = NOW + timedelta(minutes=11)
    with pytest.raises(SsoFailed) as caught:
        _client().finish(PENDING, {"code": "c", "state": "the-state"}, now=later)
    assert caught.value.code == "sso_login_expired"


def test_an_unreachable_provider_is_its_own_error() -> None:
    with pytest.raises(SsoProviderUnavailable) as caught:
        _client().start(next_path=None, now=NOW)
    assert caught.value.code == "sso_provider_unavailable"


def test_the_role_claim_may_be_nested_or_a_single_string() -> None:
    claims = {"groups": "sp-admins", "realm_access": {"roles": ["a", 3, "b"]}, "x.y": ["z"]}
    assert _groups(_claim_at(claims, "groups")) == ("sp-admins",)
    assert _groups(_claim_at(claims, "realm_access.roles")) == ("a", "b")
    assert _groups(_claim_at(claims, "x.y")) == ("z",)
    assert _groups(_claim_at(claims, "missing.path")) is None
    assert _groups(_claim_at(claims, "realm_access")) is None  # an object is no group list


@pytest.mark.parametrize(
    ("claims", "trust_email", "verified"),
    [
        ({"email_verified": True}, False, True),
        ({"email_verified": "true"}, False, True),
        ({}, False, False),  # no claim: not verified by default
        ({}, True, True),  # Entra ID sends none; PASSPORT_OIDC_TRUST_EMAIL=on trusts the tenant
        ({"email_verified": False}, True, False),  # an explicit false is never trusted
        ({"email_verified": "false"}, True, False),
    ],
)
def test_email_verified_and_the_trust_email_switch(
    claims: dict[str, object], trust_email: bool, verified: bool
) -> None:
    from passport.accounts.oidc import _email_verified

    assert _email_verified(claims, trust_email=trust_email) is verified
