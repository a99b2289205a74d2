"""The Service Description Document of the Open Badges 3.0 API (``GET /ims/ob/v3p0/discovery``).

OB 3.0 §6 "Service Discovery": the SDD "MUST be a profiled version of the OpenAPI 3.0 (JSON)
file provided with this specification". We take that file (bundled, hash-checked:
``obapi_spec/PROVENANCE.md``) and fill in what is ours: ``info`` (title, terms of service,
``x-imssf-privacyPolicyUrl``, ``x-imssf-image``), ``servers``, and the ``OAuth2ACG`` security
scheme with our authorization, token and refresh URLs and ``x-imssf-registrationUrl``. Paths
and schemas stay the spec's, so a platform reading the document sees exactly the operations
and data model it expects.

:func:`authorization_server_metadata` gives the same endpoints as RFC 8414 fields, for a
``/.well-known/oauth-authorization-server`` document should one be served for this server.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from passport.wallets.obapi_clients import SCOPES

__all__ = [
    "SPEC_OPENAPI",
    "ObApiUrls",
    "authorization_server_metadata",
    "service_description",
    "spec_openapi",
]

SPEC_OPENAPI = Path(__file__).parent / "obapi_spec" / "ob_v3p0_openapi.json"
_SPEC_SHA256 = "850d2addb584b19d1fe0dbfd839c85d0976734f2c3123245e0e84af4ecc50825"


@dataclass(frozen=True, slots=True)
class ObApiUrls:
    """Absolute URLs of everything the document names (the web layer builds them)."""

    api_base: str
    authorize: str
    token: str
    revoke: str
    register: str
    terms_of_service: str
    privacy_policy: str
    image: str | None = None


@cache
def spec_openapi() -> dict[str, Any]:
    """The spec's OpenAPI description, as bundled (checked against its recorded hash)."""
    raw = SPEC_OPENAPI.read_bytes()
    if hashlib.sha256(raw).hexdigest() != _SPEC_SHA256:  # pragma: no cover - packaging error
        raise RuntimeError(f"{SPEC_OPENAPI.name} does not match its recorded hash")
    document: dict[str, Any] = json.loads(raw)
    return document


def service_description(urls: ObApiUrls, *, title: str) -> dict[str, Any]:
    """Our profiled copy of the spec's OpenAPI file."""
    document = copy.deepcopy(spec_openapi())
    info = document["info"]
    info["title"] = title
    info["description"] = "Open Badges 3.0 API (Service Provider) of " + title
    info["termsOfService"] = urls.terms_of_service
    info["x-imssf-privacyPolicyUrl"] = urls.privacy_policy
    if urls.image:
        info["x-imssf-image"] = urls.image
    for key in ("contact", "license"):
        info.pop(key, None)
    document["servers"] = [{"url": urls.api_base, "description": title}]
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    scheme["x-imssf-registrationUrl"] = urls.register
    flow = scheme["flows"]["authorizationCode"]
    flow["authorizationUrl"] = urls.authorize
    flow["tokenUrl"] = urls.token
    flow["refreshUrl"] = urls.token
    flow["scopes"] = {
        uri: spec_openapi()["components"]["securitySchemes"]["OAuth2ACG"]["flows"][
            "authorizationCode"
        ]["scopes"][uri]
        for uri in SCOPES.values()
    }
    return document


def authorization_server_metadata(urls: ObApiUrls, *, issuer: str) -> dict[str, Any]:
    """RFC 8414 metadata of this authorization server (not served on its own route: the
    OpenID4VCI server owns ``/.well-known/oauth-authorization-server``; these fields can be
    merged there or served for the OB API if a platform needs them)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": urls.authorize,
        "token_endpoint": urls.token,
        "registration_endpoint": urls.register,
        "revocation_endpoint": urls.revoke,
        "scopes_supported": list(SCOPES.values()),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }
