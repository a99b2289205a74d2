"""Finding 9: fetch error messages revealed internal DNS.

Reproduced: verifying a credential whose issuer was ``did:web:vm`` answered
``vm resolves to 127.0.0.1 (loopback)``. Now a refused address says only "refused: not a public
address" and any other failure to reach a server only "could not be reached" (the stable codes
are kept); what resolved to what goes to the operator's log only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from issuer import sign_vc_jwt
from keys import generate_key
from passport.instance.setup import initialise
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from verifier.errors import FetchError
from verifier.fetch import FetchPolicy, SafeFetcher

ASSETS = Path(__file__).resolve().parents[1] / "assets"
LEAKS = ("127.0.0.1", "10.0.0.5", "resolves", "loopback", "private", "Name or service")


def _badge(issuer: str) -> dict[str, Any]:
    badge: dict[str, Any] = json.loads((ASSETS / "ob3" / "validator-simple.json").read_text())
    badge.pop("proof")
    badge = copy.deepcopy(badge)
    badge["issuer"]["id"] = issuer
    return badge


@pytest.fixture
def production_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(env="production", public_url="https://sp.example"))
    initialise(get_services(app))
    yield app
    get_services(app).engine.dispose()


def test_verify_api_does_not_say_where_an_issuer_name_resolves(production_app: Flask) -> None:
    key = generate_key("ES256")
    token = sign_vc_jwt(_badge("did:web:localhost"), key, kid="did:web:localhost#key-1")
    answer = production_app.test_client().post(
        "/api/v1/verify", data=token, content_type="application/jwt"
    )
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    signature = next(c for c in answer.get_json()["checks"] if c["id"] == "signature")
    assert signature["status"] != "passed"
    assert "refused: not a public address" in json.dumps(signature)
    for leak in LEAKS:
        assert leak not in text, leak


class _Resolver:
    """Answers like an internal DNS would: ``vm`` is loopback, ``intranet`` private."""

    def __call__(self, host: str, port: int) -> list[str]:
        names = {"vm": ["127.0.0.1"], "intranet": ["10.0.0.5"]}
        if host not in names:
            raise OSError(-2, "Name or service not known")
        return names[host]


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        (
            "https://vm/.well-known/did.json",
            "fetch_refused_address",
            "refused: not a public address",
        ),
        ("https://intranet/x.json", "fetch_refused_address", "refused: not a public address"),
        ("https://nowhere/x.json", "fetch_dns_error", "could not be reached"),
    ],
)
def test_fetch_errors_say_only_refused_or_unreachable(url: str, code: str, says: str) -> None:
    fetcher = SafeFetcher(FetchPolicy(timeout=5.0), resolver=_Resolver())
    with pytest.raises(FetchError) as failed:
        fetcher.fetch_json(url)
    error = failed.value
    assert error.code == code  # the stable codes are kept
    assert error.hint == f"{says}."
    for leak in LEAKS:
        assert leak not in f"{error.message} {error.hint}", leak
