"""The resources of the Open Badges 3.0 API (OB 3.0 §6.2): a learner's credentials and profile,
as a platform holding a bearer token for that learner sees them.

- :func:`authenticate_bearer`: the token (hashed, live, not revoked, platform enabled, learner
  active) and its scopes; 401 ``invalid_token`` / 403 ``insufficient_scope`` otherwise.
- :func:`credential_page`: ``getCredentials`` — the learner's badges as stored, oldest first,
  then the credentials platforms pushed into the account; ``since`` keeps those issued after
  it, ``limit``/``offset`` page them (§6.2.1 "Paging").
  Revoked and suspended badges are left out: the spec requires every listed credential to be
  verifiable (certification guide, Host, "Service Provider (Read)"), and a revoked one is
  not. Expired ones are listed: they are authentic and still say what was achieved.
- :func:`upsert_credential`: ``upsertCredential`` — a credential verified by our verifier and
  naming this learner (their e-mail in an identifier, or their DID as the subject id) is kept
  exactly as received, once per (issuer id, credential id) — the OB 3.0 equality rule —,
  201 created / 200 replaced.
- :func:`learner_profile` / :func:`update_profile`: ``getProfile`` / ``putProfile``; only the
  name can be changed through the API.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.credentials.models import Holder, IssuedCredential, Issuer
from passport.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from passport.services import Services
from passport.wallets.models import HeldCredential, ObApiClient, ObApiToken
from passport.wallets.obapi_clients import secret_hash
from verifier import normalize_email, recipient_matches
from verifier.errors import VerifierError
from verifier.model import AchievementCredential

__all__ = [
    "MAX_LIMIT",
    "OB_CONTEXT",
    "AccessGrant",
    "CredentialPage",
    "PlatformAccess",
    "PushedBadge",
    "UpsertResult",
    "authenticate_bearer",
    "credential_page",
    "held_badges",
    "held_credentials",
    "learner_profile",
    "parse_paging",
    "platform_access",
    "revoke_platform",
    "strict_json",
    "update_profile",
    "upsert_credential",
]

logger = logging.getLogger(__name__)

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The largest page a platform may ask for (and the page size when it names none).
MAX_LIMIT = 100
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")
_MAX_NAME = 200
_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_PROFILE_FIELDS = frozenset({"@context", "id", "type", "name", "email"})


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """A bearer token that checked out: for whom, which platform, which scopes."""

    user_id: int
    client_pk: int
    client_id: str
    scopes: frozenset[str]


def authenticate_bearer(
    session: Session, authorization: str | None, scope: str, *, now: datetime
) -> AccessGrant:
    """Check the ``Authorization: Bearer`` header for ``scope``.

    Raises :class:`Unauthorized` (``invalid_token``: missing, unknown, expired, revoked, or its
    platform disabled or learner gone) or :class:`Forbidden` (``insufficient_scope``).
    """
    scheme, _, value = (authorization or "").partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "An access token is required (Authorization: Bearer).", code="invalid_token"
        )
    row = session.execute(
        select(ObApiToken, ObApiClient, User)
        .join(ObApiClient, ObApiClient.id == ObApiToken.client_pk)
        .join(User, User.id == ObApiToken.user_id)
        .where(ObApiToken.access_hash == secret_hash(token))
    ).first()
    if row is None:
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    record, client, user = row
    if record.revoked_at is not None or client.disabled_at is not None:
        raise Unauthorized("The access token was revoked.", code="invalid_token")
    if record.expires_at <= now:
        raise Unauthorized("The access token has expired.", code="invalid_token")
    if user.deactivated_at is not None or user.erased_at is not None:
        raise Unauthorized("The account of this access token is closed.", code="invalid_token")
    scopes = frozenset(record.scope.split())
    if scope not in scopes:
        raise Forbidden(
            "The access token does not grant the scope this needs.", code="insufficient_scope"
        )
    return AccessGrant(user.id, client.id, client.client_id, scopes)


# -- getCredentials ---------------------------------------------------------------------------


def parse_paging(
    limit: str | None, offset: str | None, since: str | None
) -> tuple[int, int, datetime | None]:
    """``limit`` (at least 1; above :data:`MAX_LIMIT` it is capped), ``offset`` (≥ 0) and
    ``since`` (an ISO 8601 date-time with a time zone) from the query;
    :class:`InvalidRequest` (``invalid_query_parameter``)."""

    def integer(name: str, text: str | None, default: int, least: int, cap: bool = False) -> int:
        if text is None:
            return default
        if cap and re.fullmatch(r"[0-9]+", text) and len(text.lstrip("0")) > 9:
            return MAX_LIMIT  # a number this long is above the cap
        if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < least:
            raise InvalidRequest(
                f"“{name}” must be a whole number of at least {least}.",
                code="invalid_query_parameter",
            )
        return int(text)

    # The spec sets only a minimum for "limit": a larger page is answered as the largest we
    # give (the Link header then names that limit).
    page = min(integer("limit", limit, MAX_LIMIT, 1, cap=True), MAX_LIMIT)
    start = integer("offset", offset, 0, 0)
    after: datetime | None = None
    if since is not None:
        try:
            after = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidRequest(
                "“since” must be a date and time such as 2026-01-31T12:00:00Z.",
                code="invalid_query_parameter",
            ) from exc
        if after.tzinfo is None:
            raise InvalidRequest(
                "“since” must give a time zone (such as Z for UTC).",
                code="invalid_query_parameter",
            )
    return page, start, after


@dataclass(frozen=True, slots=True)
class CredentialPage:
    """One page: JSON credentials, compact JWS strings, and the total of all pages."""

    credential: list[dict[str, Any]]
    compact_jws: list[str]
    total: int


def _listed(session: Session, user: User) -> list[tuple[datetime, str, str, bytes]]:
    """(issued, sort key, media type, content) of everything listable, oldest first."""
    items: list[tuple[datetime, str, str, bytes]] = []
    ours: set[str] = set()
    if user.holder_id is not None:
        for record, issuer_did in session.execute(
            select(IssuedCredential, Issuer.did)
            .join(Issuer, Issuer.id == IssuedCredential.issuer_id)
            .where(IssuedCredential.holder_id == user.holder_id)
        ):
            ours.add(_identity_key(issuer_did, record.id))
            if record.revoked_at is None and record.suspended_at is None:
                items.append((record.issued_at, "a" + record.id, record.media_type, record.content))
    for held in held_credentials(session, user.id):
        if held.identity_key in ours:
            continue  # a copy of one of our own badges, pushed in before that was refused
        items.append((held.issued_at, f"b{held.id:012d}", held.media_type, held.content))
    items.sort(key=lambda item: (item[0], item[1]))
    return items


def credential_page(
    session: Session, user_id: int, *, limit: int, offset: int, since: datetime | None
) -> CredentialPage:
    """The learner's credentials (``since``: issued after it), one page of them."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(code="profile_not_found")
    items = [item for item in _listed(session, user) if since is None or item[0] > since]
    page = items[offset : offset + limit]
    credential: list[dict[str, Any]] = []
    compact: list[str] = []
    for _, key, _media_type, content in page:
        try:
            text = content.decode("utf-8")
            if _COMPACT_JWS.match(text.strip()):
                compact.append(text.strip())
                continue
            document = json.loads(text)
        except (ValueError, RecursionError):
            # A row kept before bodies were checked (or damaged): one unreadable credential
            # must not take the whole list down; it is left out and logged.
            logger.warning("OB API: stored credential %s cannot be read; left out", key)
            continue
        if not isinstance(document, dict):
            logger.warning("OB API: stored credential %s is not a JSON object; left out", key)
            continue
        credential.append(document)
    return CredentialPage(credential, compact, len(items))


# -- upsertCredential -------------------------------------------------------------------------


def held_credentials(session: Session, user_id: int) -> list[HeldCredential]:
    """The credentials platforms pushed into this learner's account, newest first."""
    return list(
        session.scalars(
            select(HeldCredential)
            .where(HeldCredential.user_id == user_id)
            .order_by(HeldCredential.issued_at.desc(), HeldCredential.id)
        )
    )


@dataclass(frozen=True, slots=True)
class PushedBadge:
    """A pushed credential as the passport page lists it: what, from whom, sent by which
    platform — so that it cannot pass for one of ours."""

    id: int
    name: str
    issued_at: datetime
    issuer: str
    platform: str | None


def _visible(text: str) -> str:
    """``text`` from a pushed credential as one line for our page: control and format
    characters (bidi overrides, zero-width) dropped, line breaks and spaces collapsed."""
    kept = (c for c in text if c.isspace() or unicodedata.category(c) not in _REFUSED_IN_NAMES)
    return " ".join("".join(kept).split())[:200]


def _issuer_label(held: HeldCredential) -> str:
    """The issuer's name from the credential as received, else the host of its URL id, else
    its id (a DID)."""
    name: object = None
    try:
        text = held.content.decode("utf-8").strip()
        if _COMPACT_JWS.match(text):
            segment = text.split(".")[1]
            payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            document = payload.get("vc", payload) if isinstance(payload, dict) else {}
        else:
            document = json.loads(text)
        issuer = document.get("issuer") if isinstance(document, dict) else None
        name = issuer.get("name") if isinstance(issuer, dict) else None
    except (ValueError, RecursionError):
        name = None
    if isinstance(name, str) and name.strip():
        label = _visible(name)
        if label:
            return label
    parts = urlsplit(held.issuer_id)
    if parts.scheme in ("http", "https") and parts.hostname:
        return parts.hostname
    return held.issuer_id[:200]


def held_badges(session: Session, user_id: int) -> list[PushedBadge]:
    """:func:`held_credentials` with the issuer and the platform that pushed each one."""
    names = {
        client.id: client.client_name
        for client in session.scalars(
            select(ObApiClient).where(
                ObApiClient.id.in_(
                    select(HeldCredential.client_pk).where(HeldCredential.user_id == user_id)
                )
            )
        )
    }
    return [
        PushedBadge(
            id=held.id,
            name=_visible(held.name or "") or _visible(held.credential_id),
            issued_at=held.issued_at,
            issuer=_issuer_label(held),
            platform=names.get(held.client_pk) if held.client_pk is not None else None,
        )
        for held in held_credentials(session, user_id)
    ]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: bool
    media_type: str
    content: bytes


def strict_json(body: bytes, code: str) -> Any:
    """``body`` parsed as JSON (RFC 8259 §8.1: UTF-8, no byte order mark), refusing with
    :class:`InvalidRequest` (``code``) anything else — UTF-16, a BOM, invalid UTF-8, nesting
    deeper than the parser goes."""
    try:
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("byte order mark")
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidRequest("The body is not valid JSON (UTF-8).", code=code) from exc


def _identity_key(issuer_id: str, credential_id: str) -> str:
    # OB 3.0 "Credential Equality and Comparison": issuer.id and id compared after
    # percent-decoding and trimming surrounding whitespace.
    def clean(value: str) -> str:
        return unquote(value).strip()

    joined = json.dumps([clean(issuer_id), clean(credential_id)])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _issued_here(session: Session, holder_id: int, key: str, credential_id: str) -> bool:
    """Whether we issued this credential (``key``: its identity under the OB 3.0 equality
    rule) to this holder."""
    candidates = {credential_id.strip(), unquote(credential_id).strip()}
    rows = session.execute(
        select(IssuedCredential.id, Issuer.did)
        .join(Issuer, Issuer.id == IssuedCredential.issuer_id)
        .where(IssuedCredential.holder_id == holder_id, IssuedCredential.id.in_(candidates))
    )
    return any(_identity_key(did, record_id) == key for record_id, did in rows)


def upsert_credential(
    session: Session,
    services: Services,
    grant: AccessGrant,
    body: bytes,
    media_type: str,
    *,
    now: datetime,
) -> UpsertResult:
    """Verify ``body`` (a JSON credential, or a compact JWS as ``text/plain``), check that it
    names this learner, and keep it exactly as received.

    Raises :class:`InvalidRequest`: ``invalid_credential`` (not JSON / not a compact JWS),
    ``credential_not_verified`` (our verifier refused it; the message says why),
    ``not_this_learner`` (it names someone else, or no one we can match).
    """
    if media_type == "text/plain":
        text = body.decode("utf-8", "replace").strip()
        if not _COMPACT_JWS.match(text):
            raise InvalidRequest(
                "A text/plain body must be one credential in compact JWS form.",
                code="invalid_credential",
            )
        unverified: str | dict[str, Any] = text
    else:
        parsed = strict_json(body, "invalid_credential")
        if not isinstance(parsed, dict):
            raise InvalidRequest(
                "The body must be one credential (a JSON object).", code="invalid_credential"
            )
        unverified = parsed
    try:
        verified = services.verifier(session).verify(unverified, now=now)
    except VerifierError as exc:
        raise InvalidRequest(
            f"The credential could not be verified: {exc.message}",
            code="credential_not_verified",
        ) from exc
    credential = verified.credential
    if not isinstance(credential, AchievementCredential):
        raise InvalidRequest(
            "Only Open Badges 3.0 achievement credentials can be stored here.",
            code="invalid_credential",
        )
    subject = credential.credential_subject
    user = session.get(User, grant.user_id)
    assert user is not None  # authenticate_bearer checked
    holder = session.get(Holder, user.holder_id) if user.holder_id is not None else None
    by_email = recipient_matches(subject.identifier, user.email)
    by_did = bool(holder and holder.did and subject.id == holder.did)
    if not (by_email or by_did):
        raise InvalidRequest(
            "This credential was not awarded to the person this access token is for.",
            code="not_this_learner",
        )
    key = _identity_key(credential.issuer.id, credential.id)
    held = session.scalar(
        select(HeldCredential).where(
            HeldCredential.user_id == user.id, HeldCredential.identity_key == key
        )
    )
    stored_type = "text/plain" if media_type == "text/plain" else "application/json"
    if holder is not None and _issued_here(session, holder.id, key, credential.id):
        # One of our own badges for this learner: it is listed already, and by the spec's
        # equality rule (same issuer, same id) this is that credential — nothing is appended
        # (a copy kept before this rule is dropped).
        if held is not None:
            session.delete(held)
            session.flush()
        return UpsertResult(False, stored_type, body)
    created = held is None
    if held is None:
        held = HeldCredential(user_id=user.id, identity_key=key, received_at=now)
        session.add(held)
    held.credential_id = credential.id[:2048]
    held.issuer_id = credential.issuer.id[:2048]
    held.name = (credential.name or subject.achievement.name or "")[:500] or None
    held.media_type = stored_type
    held.content = body
    held.issued_at = credential.valid_from
    held.client_pk = grant.client_pk
    held.updated_at = now
    session.add(
        AuditEvent(
            actor=f"platform:{grant.client_id}"[:200],
            action="obapi.credential.created" if created else "obapi.credential.replaced",
            subject=credential.id[:200],
            detail=json.dumps({"user": user.id}),
        )
    )
    session.flush()
    return UpsertResult(created, stored_type, body)


# -- getProfile / putProfile ------------------------------------------------------------------


def _profile_id(user: User) -> str:
    # A stable, opaque id for the learner (not their e-mail): the SCIM id is 32 hex digits.
    return UUID(hex=user.scim_id).urn if user.scim_id else f"urn:passport:user:{user.id}"


def learner_profile(session: Session, user_id: int) -> dict[str, Any]:
    """The learner's OB 3.0 Profile (only the OB context, as the spec's example has it)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no profile for this access token.", code="profile_not_found")
    return {
        "@context": [OB_CONTEXT],
        "id": _profile_id(user),
        "type": ["Profile"],
        "name": user.name,
        "email": user.email,
    }


def update_profile(session: Session, grant: AccessGrant, unverified: object) -> dict[str, Any]:
    """Apply a ``putProfile``: the whole Profile, of which only ``name`` may change.

    Raises :class:`InvalidRequest` (``invalid_profile``): not a Profile, another learner's id,
    another e-mail, an empty or overlong name, or properties we do not keep.
    """
    user = session.get(User, grant.user_id)
    if user is None:
        raise NotFound("There is no profile for this access token.", code="profile_not_found")
    if not isinstance(unverified, Mapping):
        raise InvalidRequest("The body must be a Profile (a JSON object).", code="invalid_profile")
    types = unverified.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "Profile" not in types:
        raise InvalidRequest("“type” must include “Profile”.", code="invalid_profile")
    if "id" in unverified and unverified["id"] != _profile_id(user):
        raise InvalidRequest("“id” is not this learner's profile id.", code="invalid_profile")
    if "email" in unverified and (
        not isinstance(unverified["email"], str)
        or normalize_email(unverified["email"]) != normalize_email(user.email)
    ):
        raise InvalidRequest(
            "The e-mail address cannot be changed here; the learner changes it in their account.",
            code="invalid_profile",
        )
    extra = sorted(set(unverified) - _PROFILE_FIELDS)
    if extra:
        raise InvalidRequest(
            f"Only “name” can be changed here; “{extra[0][:100]}” is not kept.",
            code="invalid_profile",
        )
    name = unverified.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > _MAX_NAME:
        raise InvalidRequest(
            f"“name” must be a name of 1 to {_MAX_NAME} characters.", code="invalid_profile"
        )
    # Control, format (bidi overrides, zero-width), line and paragraph separators: a name
    # that looks like something else, or breaks lines, where it is shown.
    if any(unicodedata.category(c) in _REFUSED_IN_NAMES for c in name):
        raise InvalidRequest(
            "“name” must be one line of visible text (no control or formatting characters).",
            code="invalid_profile",
        )
    if name.strip() != user.name:
        session.add(
            AuditEvent(
                actor=f"platform:{grant.client_id}"[:200],
                action="obapi.profile.update",
                subject=user.email[:200],
                detail=json.dumps({"field": "name"}),
            )
        )
        user.name = name.strip()
        session.flush()
    return learner_profile(session, user.id)


# -- the learner's view of platform access ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformAccess:
    """A platform that can act for the learner now (a live token), and what it may do."""

    client_pk: int
    client_name: str
    client_uri: str
    scopes: tuple[str, ...]
    since: datetime


def platform_access(session: Session, user_id: int, *, now: datetime) -> list[PlatformAccess]:
    """The platforms holding a live token (access or refresh) for this learner."""
    rows = session.execute(
        select(ObApiToken, ObApiClient)
        .join(ObApiClient, ObApiClient.id == ObApiToken.client_pk)
        .where(
            ObApiToken.user_id == user_id,
            ObApiToken.revoked_at.is_(None),
            ObApiClient.disabled_at.is_(None),
        )
        .order_by(ObApiToken.issued_at)
    ).all()
    found: dict[int, PlatformAccess] = {}
    for token, client in rows:
        live = token.expires_at > now or (
            token.refresh_expires_at is not None and token.refresh_expires_at > now
        )
        if not live:
            continue
        known = found.get(client.id)
        scopes = set(token.scope.split()) | set(known.scopes if known else ())
        found[client.id] = PlatformAccess(
            client.id,
            client.client_name,
            client.client_uri,
            tuple(sorted(scopes)),
            known.since if known else token.issued_at,
        )
    return sorted(found.values(), key=lambda access: access.client_name.lower())


def revoke_platform(session: Session, user: User, client_pk: int, *, now: datetime) -> int:
    """End a platform's access for this learner (every token); audited. Returns how many
    tokens were revoked (0 when it had none: nothing to do, not an error)."""
    from passport.wallets.obapi_oauth import revoke_client_tokens

    client = session.get(ObApiClient, client_pk)
    if client is None:
        raise NotFound("There is no such platform.", code="platform_not_found")
    count = revoke_client_tokens(session, client_pk, now=now, user_id=user.id)
    if count:
        session.add(
            AuditEvent(
                actor=user.email[:200], action="obapi.access.revoke", subject=client.client_id
            )
        )
    return count
