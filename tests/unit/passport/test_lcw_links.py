"""The Learner Credential Wallet's links and the reading of a wallet's message
(passport.wallets.lcw), without a database: the request JSON survives any URL, the older link
carries exactly the documented parameters, and only presentations are taken for one."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from passport.errors import InvalidRequest
from passport.wallets.lcw import LCW_REQUEST_URL, deep_link, direct_link, unverified_presentation

AWKWARD = "https://badges.example.org:8443/sub path/workflows/claim/exchanges/a&b=c?d#e"


def test_the_deep_link_round_trips_any_exchange_url() -> None:
    link = deep_link(AWKWARD, "https://badges.example.org:8443")
    assert link.startswith(LCW_REQUEST_URL + "?request=")
    assert " " not in link and "#" not in link and link.count("&") == 0
    (request,) = parse_qs(urlsplit(link).query)["request"]
    assert json.loads(request) == {
        "credentialRequestOrigin": "https://badges.example.org:8443",
        "protocols": {"vcapi": AWKWARD},
    }


def test_the_older_link_has_the_documented_parameters() -> None:
    link = direct_link(AWKWARD + "/direct", issuer_host="badges.example.org:8443", challenge="c-1")
    assert link.startswith(LCW_REQUEST_URL + "?issuer=")
    params = parse_qs(urlsplit(link).query)
    assert params == {
        "issuer": ["badges.example.org:8443"],
        "auth_type": ["bearer"],
        "challenge": ["c-1"],
        "vc_request_url": [AWKWARD + "/direct"],
    }


VP = {"type": ["VerifiablePresentation"], "holder": "did:key:z6Mk", "proof": {}}


@pytest.mark.parametrize("body", [{"verifiablePresentation": VP}, VP])
def test_a_presentation_wrapped_or_bare_is_read(body: dict[str, Any]) -> None:
    assert unverified_presentation(body) == VP


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"foo": 1}, "bad_exchange_body"),
        ({"verifiablePresentation": None}, "not_a_presentation"),
        ({"verifiablePresentation": []}, "not_a_presentation"),
        ({"verifiablePresentation": {"type": "VerifiableCredential"}}, "not_a_presentation"),
        ({"type": ["VerifiableCredential"], "proof": {}}, "not_a_presentation"),
        ({"type": {"0": "VerifiablePresentation"}}, "not_a_presentation"),
    ],
)
def test_anything_else_is_refused_with_its_code(body: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        unverified_presentation(body)
    assert info.value.code == code
