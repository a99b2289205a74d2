"""The OAuth 2.0 authorization server of the Open Badges 3.0 API, on Authlib's
framework-independent classes (``authlib.oauth2.rfc6749``, ``rfc7636``, ``rfc7009``).

OB 3.0 §6 "Security" asks for the authorization code grant only, with:

1. an authorization request carrying ``response_type=code``, ``client_id``, ``redirect_uri``
   (required, compared exactly with a registered one), ``scope`` (within what the platform
   registered), ``state`` (required) and PKCE (RFC 7636) with ``code_challenge_method=S256``
   (required: :class:`S256Required`);
2. codes used once, within :data:`CODE_SECONDS`; a code presented a second time is refused
   and the tokens it gave are revoked (RFC 6749 §4.1.2);
3. the token request authenticated with ``client_secret_basic``; access tokens for
   :data:`ACCESS_SECONDS` (the spec's recommended 3600), refresh tokens that rotate
   (each refresh revokes the pair it came from);
4. revocation (RFC 7009) of either token, which ends the whole pair.

Tokens, codes and secrets are stored only as SHA-256 hashes. What is Flask-specific
(Authlib's ``flask_oauth2.AuthorizationServer`` that reads the request) lives in
:mod:`passport.web.ob_api`, which hands each request an :class:`OAuthContext` (the database
session and the clock) through ``server.context``; everything else is here.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import AuditEvent
from passport.db import claim
from passport.wallets.models import ObApiAuthorizationCode, ObApiClient, ObApiToken
from passport.wallets.obapi_clients import (
    SCOPES,
    check_secret,
    client_metadata,
    find_client,
    secret_hash,
)

__all__ = [
    "ACCESS_SECONDS",
    "CODE_SECONDS",
    "REFRESH_SECONDS",
    "CodeGrant",
    "OAuthContext",
    "ObRevocationEndpoint",
    "RefreshGrant",
    "S256Required",
    "TokenOwner",
    "query_client",
    "revoke_chain",
    "revoke_client_tokens",
    "save_token",
    "token_generator",
]

logger = logging.getLogger(__name__)

#: Lifetimes (OB 3.0 §6: codes 600 s recommended, access tokens 3600 s recommended).
CODE_SECONDS = 600
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class OAuthContext:
    """What one request of the authorization server works with."""

    session: Session
    now: datetime


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """The learner a grant is for (Authlib's ``request.user``)."""

    id: int
    email: str


class _Client(ClientMixin):  # type: ignore[misc]
    """A registered platform as Authlib asks about it."""

    def __init__(self, row: ObApiClient) -> None:
        self.row = row
        self.grant_types = tuple(client_metadata(row).get("grant_types", ()))

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OB 3.0: redirect_uri is REQUIRED in the authorization request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        # Every scope asked for must be one the platform registered; none asked is an error
        # too (a token for nothing is of no use, and consent must name something).
        asked = (scope or "").split()
        allowed = set(self.row.scope.split())
        if not asked or not set(asked) <= allowed:
            return None
        return " ".join(dict.fromkeys(asked))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris.split("\n")

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class _Code:
    """A stored authorization code as Authlib's grant reads it."""

    def __init__(self, row: ObApiAuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: ObApiToken, now: datetime) -> None:
        self.row = row
        self.now = now

    def check_client(self, client: _Client) -> bool:
        return bool(client.row.id == self.row.client_pk)

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


def _context(server: Any) -> OAuthContext:
    context: OAuthContext = server.context
    return context


def query_client(context: OAuthContext, client_id: str) -> _Client | None:
    """Authlib's ``query_client``: an enabled platform, or None."""
    row = find_client(context.session, client_id)
    return _Client(row) if row is not None else None


def _owner(session: Session, user_id: int) -> TokenOwner | None:
    user = session.get(User, user_id)
    if user is None or user.deactivated_at is not None or user.erased_at is not None:
        return None
    return TokenOwner(id=user.id, email=user.email)


def save_token(context: OAuthContext, token: dict[str, Any], request: Any) -> None:
    """Authlib's ``save_token``: keep the pair as hashes, tied to the learner and platform."""
    now = context.now
    code = getattr(request, "authorization_code", None)
    previous = getattr(request, "refresh_token", None)
    # Every token of a chain carries the code it started from: a replayed code (RFC 6749
    # §4.1.2) or a reused refresh token (RFC 9700 §4.14.2) then ends the whole chain.
    if isinstance(code, _Code):
        code_id: int | None = code.row.id
    elif isinstance(previous, _Token):
        code_id = previous.row.code_id
    else:
        code_id = None
    refresh = token.get("refresh_token")
    context.session.add(
        ObApiToken(
            client_pk=request.client.row.id,
            user_id=request.user.id,
            access_hash=secret_hash(token["access_token"]),
            refresh_hash=secret_hash(refresh) if refresh else None,
            scope=token.get("scope", ""),
            issued_at=now,
            expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=now + timedelta(seconds=REFRESH_SECONDS) if refresh else None,
            code_id=code_id,
        )
    )
    context.session.flush()


def token_generator() -> Any:
    """Bearer tokens of 256 random bits, access tokens for :data:`ACCESS_SECONDS`."""

    def generate(client: Any, grant_type: str, user: Any, scope: str | None) -> str:
        return secrets.token_urlsafe(32)

    def expires_in(client: Any, grant_type: str) -> int:
        return ACCESS_SECONDS

    return BearerTokenGenerator(generate, generate, expires_in)


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE as OB 3.0 has it: a ``code_challenge`` is required, and only with
    ``code_challenge_method=S256`` (RFC 7636 §4.3; ``plain`` is not accepted)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.",
                redirect_uri=redirect_uri,
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "'code_challenge_method' must be 'S256'.", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization code grant (RFC 6749 §4.1) with OB 3.0's rules."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 - Authlib's attribute

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        state = self.request.payload.state
        if not state:
            raise InvalidRequestError("'state' is required.", redirect_uri=redirect_uri)
        if len(state) > 1024:
            raise InvalidRequestError("'state' is too long.", redirect_uri=redirect_uri)
        return redirect_uri

    def validate_requested_scope(self) -> None:
        scope = self.request.payload.scope or ""
        if not scope.split() or not set(scope.split()) <= set(SCOPES.values()):
            raise InvalidScopeError()

    def save_authorization_code(self, code: str, request: Any) -> None:
        context = _context(self.server)
        data = request.payload.data
        context.session.add(
            ObApiAuthorizationCode(
                code_hash=secret_hash(code),
                client_pk=request.client.row.id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                created_at=context.now,
                expires_at=context.now + timedelta(seconds=CODE_SECONDS),
            )
        )
        context.session.add(
            AuditEvent(
                actor=request.user.email[:200],
                action="obapi.consent",
                subject=request.client.row.client_id,
                detail=json.dumps({"scope": request.scope}),
            )
        )
        context.session.flush()

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        context = _context(self.server)
        row = context.session.scalar(
            select(ObApiAuthorizationCode).where(
                ObApiAuthorizationCode.code_hash == secret_hash(code),
                ObApiAuthorizationCode.client_pk == client.row.id,
            )
        )
        if row is None:
            return None
        # One use, decided by one conditional UPDATE (two racing requests: one wins). A code
        # presented again may have leaked: what it gave is revoked (RFC 6749 §4.1.2).
        if not claim(
            context.session,
            row,
            ObApiAuthorizationCode.used_at.is_(None),
            used_at=context.now,
        ):
            logger.warning("OB API: authorization code replayed by %s", client.row.client_id)
            context.session.execute(
                update(ObApiToken)
                .where(ObApiToken.code_id == row.id, ObApiToken.revoked_at.is_(None))
                .values(revoked_at=context.now)
            )
            return None
        if row.expires_at <= context.now:
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        # Already marked used when it was claimed (query_authorization_code).
        return None

    def authenticate_user(self, authorization_code: _Code) -> TokenOwner | None:
        return _owner(_context(self.server).session, authorization_code.row.user_id)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """The refresh token grant (RFC 6749 §6), rotating: a new pair each time, the old revoked."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 - Authlib's attribute
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        context = _context(self.server)
        row = context.session.scalar(
            select(ObApiToken).where(ObApiToken.refresh_hash == secret_hash(refresh_token))
        )
        if row is None:
            return None
        if row.revoked_at is not None:
            # A rotated (or revoked) refresh token presented again: it may have leaked, and
            # either the platform or an attacker holds the live successor. RFC 9700 §4.14.2:
            # every live token of the chain is revoked.
            logger.warning("OB API: refresh token reused by %s", row.client_pk)
            revoke_chain(context.session, row, now=context.now)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= context.now:
            return None
        return _Token(row, context.now)

    def authenticate_user(self, refresh_token: _Token) -> TokenOwner | None:
        return _owner(_context(self.server).session, refresh_token.row.user_id)

    def save_token(self, token: dict[str, Any]) -> None:
        context = _context(self.server)
        old: _Token = self.request.refresh_token
        # Rotation, decided by one conditional UPDATE before the new pair is kept: of two
        # refreshes racing with the same token, one wins; the other gets invalid_grant.
        if not claim(
            context.session, old.row, ObApiToken.revoked_at.is_(None), revoked_at=context.now
        ):
            raise InvalidGrantError("The refresh token was already used.")
        super().save_token(token)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        return None  # revoked by save_token, before the new pair was kept


class ObRevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009 token revocation: either token of a pair ends the pair."""

    CLIENT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 - Authlib's attribute

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        context = _context(self.server)
        digest = secret_hash(token_string)
        row = context.session.scalar(
            select(ObApiToken).where(
                or_(ObApiToken.access_hash == digest, ObApiToken.refresh_hash == digest)
            )
        )
        return _Token(row, context.now) if row is not None else None

    def revoke_token(self, token: _Token, request: Any) -> None:
        context = _context(self.server)
        if token.row.revoked_at is None:
            token.row.revoked_at = context.now
            context.session.flush()


def revoke_chain(session: Session, row: ObApiToken, *, now: datetime) -> int:
    """Revoke every live token descending from the same authorization code as ``row``."""
    where = [
        ObApiToken.client_pk == row.client_pk,
        ObApiToken.user_id == row.user_id,
        ObApiToken.revoked_at.is_(None),
    ]
    if row.code_id is not None:
        where.append(ObApiToken.code_id == row.code_id)
    else:
        where.append(ObApiToken.id == row.id)
    result = session.execute(update(ObApiToken).where(*where).values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_client_tokens(
    session: Session, client_pk: int, *, now: datetime, user_id: int | None = None
) -> int:
    """Revoke every live token of a platform (for one learner when ``user_id`` is given);
    returns how many were revoked."""
    where = [ObApiToken.client_pk == client_pk, ObApiToken.revoked_at.is_(None)]
    if user_id is not None:
        where.append(ObApiToken.user_id == user_id)
    result = session.execute(update(ObApiToken).where(*where).values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def client_row(client: object) -> ObApiClient:
    """The stored platform behind one of Authlib's client objects (for the consent page)."""
    assert isinstance(client, _Client)
    return client.row
