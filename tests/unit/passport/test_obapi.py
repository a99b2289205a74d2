"""The Open Badges API's domain rules without HTTP: paging values, credential equality,
registration defaults, and the discovery document's shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from passport.errors import InvalidRequest
from passport.wallets.obapi_clients import SCOPES, validate_client_metadata
from passport.wallets.obapi_discovery import (
    ObApiUrls,
    authorization_server_metadata,
    service_description,
    spec_openapi,
)
from passport.wallets.obapi_resources import MAX_LIMIT, _identity_key, parse_paging


@pytest.mark.parametrize(
    ("limit", "offset", "since", "expected"),
    [
        (None, None, None, (MAX_LIMIT, 0, None)),
        ("1", "0", None, (1, 0, None)),
        ("100", "250", None, (100, 250, None)),
        # the spec sets only a minimum: above the maximum is capped, not refused
        ("101", None, None, (MAX_LIMIT, 0, None)),
        ("9" * 40, None, None, (MAX_LIMIT, 0, None)),
        (None, None, "2026-01-31T12:00:00Z", (MAX_LIMIT, 0, datetime(2026, 1, 31, 12, tzinfo=UTC))),
    ],
)
def test_paging_values(
    limit: str | None, offset: str | None, since: str | None, expected: tuple[object, ...]
) -> None:
    assert parse_paging(limit, offset, since) == expected


@pytest.mark.parametrize(
    ("limit", "offset", "since"),
    [
        ("0", None, None),
        ("00", None, None),
        ("-1", None, None),
        ("1.5", None, None),
        (" 1", None, None),
        ("", None, None),
        (None, "-1", None),
        (None, "x", None),
        (None, "9" * 12, None),
        (None, None, "yesterday"),
        (None, None, "2026-01-31T12:00:00"),  # no time zone
        (None, None, ""),
    ],
)
def test_bad_paging_values(limit: str | None, offset: str | None, since: str | None) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_paging(limit, offset, since)
    assert info.value.code == "invalid_query_parameter"


def test_credential_equality_unescapes_and_trims() -> None:
    # OB 3.0 "Credential Equality and Comparison": issuer.id and id, percent-decoded, trimmed
    same = _identity_key("https://issuer.example/a b", " urn:uuid:1 ")
    assert _identity_key("https://issuer.example/a%20b", "urn:uuid:1") == same
    assert _identity_key("https://issuer.example/a b", "urn:uuid:2") != same
    assert _identity_key("https://other.example/a b", "urn:uuid:1") != same


def _metadata(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "client_name": " Platform ",
        "client_uri": "https://platform.example/",
        "logo_uri": "https://platform.example/logo.png",
        "tos_uri": "https://platform.example/tos",
        "policy_uri": "https://platform.example/privacy",
        "software_id": "p",
        "software_version": "1",
        "redirect_uris": ["https://platform.example/cb"],
        "scope": f"{SCOPES['profile.readonly']} {SCOPES['profile.readonly']}",
    }
    data.update(changes)
    return data


def test_registration_defaults_and_normalisation() -> None:
    data = validate_client_metadata(_metadata())
    assert data["client_name"] == "Platform"
    assert data["grant_types"] == ["authorization_code", "refresh_token"]
    assert data["response_types"] == ["code"]
    assert data["token_endpoint_auth_method"] == "client_secret_basic"
    assert data["scope"] == SCOPES["profile.readonly"]  # duplicates dropped
    assert validate_client_metadata(_metadata(grant_types=["authorization_code"]))[
        "grant_types"
    ] == ["authorization_code"]


@pytest.mark.parametrize(
    "changes",
    [
        {"client_uri": "https://user:pw@platform.example/"},
        {"client_uri": "ftp://platform.example/"},
        {"client_uri": "http://192.168.1.2/"},
        {"client_uri": "https://platform.example:notaport/"},
        {"redirect_uris": ["https://platform.example/cb"] * 11},
        {"contacts": "ops@platform.example"},
        {"client_name": "x" * 201},
        "not an object",
    ],
)
def test_registration_refusals(changes: object) -> None:
    unverified = _metadata(**changes) if isinstance(changes, dict) else changes
    with pytest.raises(InvalidRequest) as info:
        validate_client_metadata(unverified)
    assert info.value.code in ("invalid_client_metadata", "invalid_redirect_uri")


URLS = ObApiUrls(
    api_base="https://passport.example/ims/ob/v3p0",
    authorize="https://passport.example/ims/ob/v3p0/oauth/authorize",
    token="https://passport.example/ims/ob/v3p0/oauth/token",
    revoke="https://passport.example/ims/ob/v3p0/oauth/revoke",
    register="https://passport.example/ims/ob/v3p0/oauth/register",
    terms_of_service="https://passport.example/platforms#terms",
    privacy_policy="https://passport.example/platforms#privacy",
)


def test_the_discovery_document_is_the_spec_file_profiled() -> None:
    document = service_description(URLS, title="Skill Passport")
    spec = spec_openapi()
    assert document["paths"] == spec["paths"]
    assert document["components"]["schemas"] == spec["components"]["schemas"]
    assert document["info"]["x-imssf-privacyPolicyUrl"] == URLS.privacy_policy
    # the bundled file itself is left as it was (a deep copy is profiled)
    assert (
        spec["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]["tokenUrl"]
        == "provider.example.com/token"
    )


def test_authorization_server_metadata_names_s256_only() -> None:
    metadata = authorization_server_metadata(URLS, issuer="https://passport.example")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["registration_endpoint"] == URLS.register
    assert sorted(metadata["scopes_supported"]) == sorted(SCOPES.values())
