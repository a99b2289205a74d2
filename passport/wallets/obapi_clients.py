"""Platforms of the Open Badges 3.0 API: OAuth 2.0 Dynamic Client Registration (RFC 7591).

OB 3.0 §6 "Security" (1EdTech Security Framework profile): a platform registers itself by
POSTing its metadata, without an initial access token, to the ``x-imssf-registrationUrl`` the
Service Description Document names. Required there: ``client_name``, ``client_uri``,
``logo_uri``, ``tos_uri``, ``policy_uri``, ``software_id``, ``software_version``,
``redirect_uris`` and ``scope``; optional ``token_endpoint_auth_method`` (only
``client_secret_basic``), ``grant_types`` (``authorization_code``, ``refresh_token``),
``response_types`` (``code``) and ``contacts``. Every URL is https on the client's own host
(http only on a loopback address, RFC 8252 §7.3, for platforms under test on one machine).

The answer (RFC 7591 §3.2.1, 201) echoes the metadata plus ``client_id``, ``client_secret``,
``client_id_issued_at`` and ``client_secret_expires_at`` (0: never). The secret is shown once
and kept only as a SHA-256 hash. A refused registration raises
:class:`~passport.errors.InvalidRequest` with the RFC 7591 §3.2.2 error code
(``invalid_client_metadata`` or ``invalid_redirect_uri``) as ``code``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.audit import AuditEvent
from passport.errors import InvalidRequest, NotFound
from passport.wallets.models import ObApiClient

__all__ = [
    "SCOPES",
    "SCOPE_BASE",
    "RegisteredClient",
    "client_metadata",
    "disable_client",
    "find_client",
    "list_clients",
    "register_client",
    "secret_hash",
    "validate_client_metadata",
]

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
#: The four scopes of OB 3.0 §6 (short name → scope URI), in the order the spec lists them.
SCOPES: dict[str, str] = {
    name: SCOPE_BASE + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
}
_REQUIRED_TEXT = {"client_name": 200, "software_id": 200, "software_version": 100}
_REQUIRED_URLS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_MAX_URL = 2048
_MAX_REDIRECTS = 10
_LOOPBACK_NAMES = frozenset({"localhost"})
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def secret_hash(secret: str) -> str:
    """The stored form of a client secret or token: hex SHA-256 (the value is 256 random
    bits, so a fast hash is enough; nothing to stretch)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _metadata_error(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_client_metadata")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str) -> bool:
    """A DNS host name of letters, digits and hyphens (RFC 1123 §2.1; an internationalized
    one checked in its IDNA form), or an IP address literal. Nothing else reaches a page
    or a header (the consent page puts the redirect origin into its CSP)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return False
    ascii_host = ascii_host.lower()
    return len(ascii_host) <= 253 and all(
        _LABEL.fullmatch(label) for label in ascii_host.split(".")
    )


def _url(name: str, value: object, *, redirect: bool = False) -> str:
    """An absolute https URL (http on loopback only), without fragment or credentials."""
    error = InvalidRequest
    code = "invalid_redirect_uri" if redirect else "invalid_client_metadata"
    if not isinstance(value, str) or not value or len(value) > _MAX_URL:
        raise error(f"“{name}” must be a URL.", code=code)
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise error(f"“{name}” is not a valid URL.", code=code) from exc
    if any(ord(c) < 0x21 or c in '\\<>"' for c in value):
        raise error(f"“{name}” is not a valid URL.", code=code)
    if not host or parts.username is not None or parts.password is not None:
        raise error(f"“{name}” must be an absolute URL with a host.", code=code)
    if not _valid_host(host):
        raise error(f"“{name}” does not have a valid host name.", code=code)
    if parts.fragment or "#" in value:
        raise error(f"“{name}” must not have a fragment.", code=code)
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return value
    raise error(f"“{name}” must use https (http is allowed only on a loopback address).", code=code)


def _string_list(name: str, value: object) -> list[str]:
    # RFC 7591 and the OB profile: arrays even for one value.
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _metadata_error(f"“{name}” must be an array of strings.")
    return list(value)


def validate_client_metadata(unverified: object) -> dict[str, Any]:
    """Check a registration request; return the metadata we register (defaults filled in).

    Raises :class:`InvalidRequest` (``invalid_client_metadata`` / ``invalid_redirect_uri``).
    """
    if not isinstance(unverified, Mapping):
        raise _metadata_error("The registration must be a JSON object.")
    data: dict[str, Any] = {}
    for name, limit in _REQUIRED_TEXT.items():
        value = unverified.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _metadata_error(f"“{name}” is required.")
        if len(value) > limit:
            raise _metadata_error(f"“{name}” is longer than {limit} characters.")
        data[name] = value.strip()
    for name in _REQUIRED_URLS:
        if name not in unverified:
            raise _metadata_error(f"“{name}” is required.")
        data[name] = _url(name, unverified[name])
    host = urlsplit(data["client_uri"]).hostname
    # OB 3.0 security: the client's URLs are on the client's own host.
    for name in _REQUIRED_URLS[1:]:
        if urlsplit(data[name]).hostname != host:
            raise _metadata_error(f"“{name}” must be on the same host as “client_uri”.")
    redirects = unverified.get("redirect_uris")
    if not isinstance(redirects, list) or not redirects:
        raise InvalidRequest(
            "“redirect_uris” must be a non-empty array of URLs.", code="invalid_redirect_uri"
        )
    if len(redirects) > _MAX_REDIRECTS:
        raise InvalidRequest(
            f"At most {_MAX_REDIRECTS} redirect URIs can be registered.",
            code="invalid_redirect_uri",
        )
    data["redirect_uris"] = [_url("redirect_uris", uri, redirect=True) for uri in redirects]
    for uri in data["redirect_uris"]:
        if urlsplit(uri).hostname != host:
            raise InvalidRequest(
                "Each redirect URI must be on the same host as “client_uri”.",
                code="invalid_redirect_uri",
            )
    method = unverified.get("token_endpoint_auth_method", "client_secret_basic")
    if method != "client_secret_basic":
        raise _metadata_error("“token_endpoint_auth_method” must be “client_secret_basic”.")
    data["token_endpoint_auth_method"] = method
    grants = _string_list(
        "grant_types", unverified.get("grant_types", ["authorization_code", "refresh_token"])
    )
    if "authorization_code" not in grants or not set(grants) <= {
        "authorization_code",
        "refresh_token",
    }:
        raise _metadata_error(
            "“grant_types” must be “authorization_code”, optionally with “refresh_token”."
        )
    data["grant_types"] = list(dict.fromkeys(grants))
    responses = _string_list("response_types", unverified.get("response_types", ["code"]))
    if set(responses) != {"code"}:
        raise _metadata_error("“response_types” must be [“code”].")
    data["response_types"] = ["code"]
    scope = unverified.get("scope")
    if not isinstance(scope, str) or not scope.split():
        raise _metadata_error("“scope” is required: the scopes asked for, separated by spaces.")
    asked = scope.split()
    unknown = [s for s in asked if s not in SCOPES.values()]
    if unknown:
        raise _metadata_error(f"Unknown scope: {unknown[0][:200]}.")
    data["scope"] = " ".join(dict.fromkeys(asked))
    if "contacts" in unverified:
        contacts = _string_list("contacts", unverified["contacts"])
        if len(contacts) > 10 or any(len(c) > 320 for c in contacts):
            raise _metadata_error("“contacts” must be at most ten e-mail addresses.")
        data["contacts"] = contacts
    return data


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """A registration that succeeded: ``response`` is the RFC 7591 §3.2.1 body (with the
    secret, which is never available again)."""

    client_id: str
    response: dict[str, Any]


def register_client(
    session: Session, unverified: object, *, now: datetime, actor: str
) -> RegisteredClient:
    """Register a platform (validated by :func:`validate_client_metadata`) and audit it."""
    data = validate_client_metadata(unverified)
    client_id = secrets.token_urlsafe(24)
    client_secret = secrets.token_urlsafe(32)
    client = ObApiClient(
        client_id=client_id,
        secret_hash=secret_hash(client_secret),
        client_name=data["client_name"],
        client_uri=data["client_uri"],
        redirect_uris="\n".join(data["redirect_uris"]),
        scope=data["scope"],
        metadata_json=json.dumps(data, ensure_ascii=False),
        issued_at=now,
    )
    session.add(client)
    session.add(
        AuditEvent(
            actor=actor[:200],
            action="obapi.client.register",
            subject=client_id,
            detail=json.dumps(
                {"client_name": data["client_name"], "client_uri": data["client_uri"]},
                ensure_ascii=False,
            ),
        )
    )
    session.flush()
    response = {
        "client_id": client_id,
        "client_secret": client_secret,
        "client_id_issued_at": int(now.timestamp()),
        "client_secret_expires_at": 0,
        **data,
    }
    return RegisteredClient(client_id=client_id, response=response)


def client_metadata(client: ObApiClient) -> dict[str, Any]:
    """The metadata a platform registered."""
    data: dict[str, Any] = json.loads(client.metadata_json)
    return data


def find_client(session: Session, client_id: str) -> ObApiClient | None:
    """The enabled platform with this ``client_id``, or None."""
    if not client_id or len(client_id) > 64:
        return None
    return session.scalar(
        select(ObApiClient).where(
            ObApiClient.client_id == client_id, ObApiClient.disabled_at.is_(None)
        )
    )


def check_secret(client: ObApiClient, secret: str) -> bool:
    """Whether ``secret`` is the platform's secret (constant-time on the hashes)."""
    return hmac.compare_digest(client.secret_hash, secret_hash(secret))


def list_clients(session: Session) -> list[ObApiClient]:
    """Every registered platform, newest first (for the admins' page)."""
    return list(
        session.scalars(select(ObApiClient).order_by(ObApiClient.issued_at.desc(), ObApiClient.id))
    )


def disable_client(session: Session, client_pk: int, *, now: datetime, actor: str) -> ObApiClient:
    """Disable a platform: its tokens stop working at once and it cannot ask again."""
    from passport.wallets.obapi_oauth import revoke_client_tokens

    client = session.get(ObApiClient, client_pk)
    if client is None:
        raise NotFound("There is no such platform.", code="platform_not_found")
    if client.disabled_at is None:
        client.disabled_at = now
        revoke_client_tokens(session, client.id, now=now)
        session.add(
            AuditEvent(actor=actor[:200], action="obapi.client.disable", subject=client.client_id)
        )
    return client
