"""API tokens for integrations: random, shown once, stored as SHA-256 hashes, each with scopes,
an optional expiry, and a record of who made it.

A token may do only what its scopes name (:data:`SCOPES`, the one list; later features add
theirs here). A token without a scope can do nothing. Every action a token takes is audited
under ``token:<id>`` (:func:`token_actor`), whatever the request body says about who it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import ApiToken
from passport.audit import record_event
from passport.db import utcnow
from passport.errors import Forbidden, InvalidRequest, NotFound, Unauthorized

__all__ = [
    "MAX_EXPIRES_DAYS",
    "MIGRATED_SCOPES",
    "SCOPES",
    "TOKEN_PREFIX",
    "TokenSummary",
    "authenticate",
    "create_token",
    "hash_token",
    "list_tokens",
    "parse_scopes",
    "revoke_token",
    "token_actor",
]

TOKEN_PREFIX = "sp_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable
_MAX_TOKEN_LENGTH = 200
MAX_NAME_LENGTH: Final = 100
#: The longest life a token may be given (ten years); no expiry at all is allowed too.
MAX_EXPIRES_DAYS: Final = 3650

#: Every scope a token can carry, and what it allows. The one list: the API, the CLI, the
#: admin pages and the OpenAPI description all name these.
SCOPES: Final[dict[str, str]] = {
    "credentials:issue": "Issue badges (POST /api/v1/credentials, and from a CSV file as a job: "
    "POST /api/v1/bulk-issuances, following and cancelling its own jobs).",
    "credentials:status": "Revoke, suspend and reinstate badges "
    "(POST /api/v1/credentials/{id}/revoke|suspend|reinstate).",
    "credentials:endorse": "Endorse badges for a mentor (POST /api/v1/credentials/{id}/"
    "endorsements): the mentor's signed EndorsementCredential is embedded in the badge.",
    "assessments:write": "Record assessments; a pass issues the badge (POST /api/v1/assessments).",
    "verify": "Verify credentials as an identified integration (POST /api/v1/verify).",
    "scim": "Provision people from an identity provider (SCIM 2.0 under /scim/v2).",
    "people:write": "Import people events from an HR system (POST /api/v1/people-events).",
    "outcomes:read": "Read the program's outcome measures, small groups suppressed "
    "(GET /api/v1/outcomes).",
    "roles:write": "Open and close roles for internal mobility (POST /api/v1/roles, "
    "POST /api/v1/roles/{id}/close), and read them.",
    "roles:read": "Read open roles and their ranked, consenting candidates (GET /api/v1/roles, "
    "GET /api/v1/roles/{id}, GET /api/v1/roles/{id}/candidates).",
    "read": "Read through the API (GET /api/v1/token: the token's own name, scopes and expiry; "
    "GET /api/v1/jobs/{id}: any job's progress).",
}

#: What a token made before scopes existed could do, and so keeps (migration 0007): any token
#: could issue, change status and record assessments, and was accepted (ignored) on verify, so
#: an integration that sends it there keeps working. Not ``scim``: that came later.
MIGRATED_SCOPES: Final = (
    "credentials:issue",
    "credentials:status",
    "assessments:write",
    "verify",
    "read",
)


def hash_token(token: str) -> str:
    """SHA-256 hex of the token (tokens are 256-bit random, so no salt or KDF is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_actor(token: ApiToken) -> str:
    """The audit actor of everything ``token`` does: ``token:<id>`` (ids are never reused)."""
    return f"token:{token.id}"


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """The known scopes among ``scopes``, in :data:`SCOPES` order, each once.

    Raises InvalidRequest ``unknown_scope`` naming the first unknown one, ``no_scope`` when
    none is given (a token without a scope could do nothing).
    """
    given = [scope.strip() for scope in scopes if scope.strip()]
    for scope in given:
        if scope not in SCOPES:
            raise InvalidRequest(
                f"Unknown scope {scope!r}; the scopes are: {', '.join(SCOPES)}.",
                code="unknown_scope",
            )
    if not given:
        raise InvalidRequest(
            f"Give the token at least one scope ({', '.join(SCOPES)}): a token without a "
            "scope can do nothing.",
            code="no_scope",
        )
    return tuple(scope for scope in SCOPES if scope in given)


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidRequest("Give the token a name.", code="missing_name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"A token name is at most {MAX_NAME_LENGTH} characters long.", code="name_too_long"
        )
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidRequest(
            "A token name may not contain control or invisible characters.", code="bad_name"
        )
    return name


def _checked_expiry(expires_days: int | None) -> int | None:
    if expires_days is None:
        return None
    if (
        isinstance(expires_days, bool)
        or not isinstance(expires_days, int)
        or not 1 <= expires_days <= MAX_EXPIRES_DAYS
    ):
        raise InvalidRequest(
            f"A token expires after 1 to {MAX_EXPIRES_DAYS} days (or never, when no expiry "
            "is given).",
            code="bad_expiry",
        )
    return expires_days


def create_token(
    session: Session,
    name: str,
    *,
    scopes: Iterable[str],
    expires_days: int | None = None,
    actor: str,
    now: datetime | None = None,
) -> str:
    """Create a token named ``name`` with ``scopes``; return the plaintext, which is never stored.

    Raises InvalidRequest for a bad or taken name (``duplicate_token``), an unknown scope or none,
    or an expiry outside 1 to :data:`MAX_EXPIRES_DAYS` days.
    """
    now = now or utcnow()
    name = _checked_name(name)
    granted = parse_scopes(scopes)
    days = _checked_expiry(expires_days)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise InvalidRequest(
            f"A token named {name!r} already exists; choose another name (names stay taken "
            "after a token is revoked, so the audit log stays unambiguous).",
            code="duplicate_token",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_hash=hash_token(token),
        scopes=" ".join(granted),
        created_at=now,
        created_by=actor[:200],
        expires_at=None if days is None else now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "token.create",
        name,
        {
            "token": row.id,
            "scopes": list(granted),
            "expires_at": None if row.expires_at is None else row.expires_at.isoformat(),
        },
        at=now,
    )
    return token


@dataclass(frozen=True, slots=True)
class TokenSummary:
    """One token as the list shows it (never the token itself, which is not stored)."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    #: ``active``, ``expired`` or ``revoked``.
    status: str


def _status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def list_tokens(session: Session, *, now: datetime) -> list[TokenSummary]:
    """Every token, newest first, with its status at ``now``."""
    rows = session.scalars(
        select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [
        TokenSummary(
            id=row.id,
            name=row.name,
            scopes=row.scope_set,
            created_at=row.created_at,
            created_by=row.created_by,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            status=_status(row, now),
        )
        for row in rows
    ]


def revoke_token(session: Session, name: str, *, actor: str, now: datetime) -> bool:
    """Revoke the token named ``name`` from ``now`` on; True if it was not revoked already.

    Raises NotFound ``unknown_token``.
    """
    row = session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))
    if row is None:
        raise NotFound(f"No token is named {name.strip()!r}.", code="unknown_token")
    if row.revoked_at is not None:
        return False
    row.revoked_at = now
    record_event(session, actor, "token.revoke", row.name, {"token": row.id}, at=now)
    return True


def authenticate(
    session: Session, authorization: str | None, *, now: datetime, scope: str
) -> ApiToken:
    """Return the token row for an ``Authorization: Bearer …`` header that may use ``scope``.

    Raises Unauthorized (no header, not a bearer token, unknown, expired or revoked token) or
    Forbidden ``insufficient_scope`` naming the scope the request needs.
    """
    if scope not in SCOPES:  # a programming error: every caller names a scope of the list
        raise ValueError(f"unknown scope {scope!r}")
    if not authorization:
        raise Unauthorized("This endpoint needs an API token (Authorization: Bearer …).")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    digest = hash_token(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the token; compare anyway.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise Unauthorized("The API token is not valid.", code="invalid_token")
    if row.revoked_at is not None:
        raise Unauthorized("The API token was revoked.", code="invalid_token")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized(
            "The API token has expired; ask an administrator for a new one.", code="invalid_token"
        )
    if scope not in row.scope_set:
        raise Forbidden(
            f"This API token lacks the scope {scope!r} that this request needs; ask an "
            f"administrator for a token with it.",
            code="insufficient_scope",
        )
    row.last_used_at = now
    return row
