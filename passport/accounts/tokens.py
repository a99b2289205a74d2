"""API tokens for integrations: random, shown once, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import ApiToken
from passport.audit import AuditEvent
from passport.errors import Unauthorized

__all__ = ["TOKEN_PREFIX", "authenticate", "create_token", "hash_token"]

TOKEN_PREFIX = "sp_"  # noqa: S105 - a public prefix that makes leaked tokens recognisable
_MAX_TOKEN_LENGTH = 200


def hash_token(token: str) -> str:
    """SHA-256 hex of the token (tokens are 256-bit random, so no salt or KDF is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, *, actor: str = "admin") -> str:
    """Create a token named ``name``; return the plaintext, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token)))
    session.add(AuditEvent(actor=actor, action="token.create", subject=name))
    return token


def authenticate(session: Session, authorization: str | None, *, now: datetime) -> ApiToken:
    """Return the token row for an ``Authorization: Bearer …`` header; raise Unauthorized."""
    if not authorization:
        raise Unauthorized("This endpoint needs an API token (Authorization: Bearer …).")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    digest = hash_token(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the token; compare anyway.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at:
        raise Unauthorized("The API token is not valid.", code="invalid_token")
    row.last_used_at = now
    return row
