"""The OpenID Connect relying party: this service asking an identity provider who someone is.

Authorization code flow with PKCE (RFC 7636, ``S256``) as OpenID Connect Core 1.0 §3.1 has
it, with Authlib as the OAuth 2.0 client and joserfc for the ID token's signature:

1. :meth:`OidcClient.start` reads the provider's discovery document
   (``<issuer>/.well-known/openid-configuration``, OpenID Connect Discovery 1.0 §4) and
   returns the authorization URL plus a :class:`PendingLogin` (``state``, ``nonce``, the PKCE
   verifier, where to go afterwards) that the browser's session keeps until it comes back.
2. :meth:`OidcClient.finish` takes the callback's query parameters: a provider error or a
   ``state`` that is not the pending one ends it; else the code is exchanged (client secret
   and PKCE verifier), the ID token is verified (§3.1.3.7: signature with a key of the
   provider's JWKS and an algorithm of :data:`ID_TOKEN_ALGORITHMS`; ``iss``, ``aud``,
   ``azp``, ``exp``, ``iat``, ``nonce``, ``at_hash``), the UserInfo response is read when the
   provider has the endpoint (§5.3; its ``sub`` must be the ID token's), and the person comes
   back as an :class:`OidcIdentity`.

What the service then does with that person (match an account, create one, set the role)
is :mod:`passport.accounts.sso`. Every failure is an :class:`~passport.errors.SsoFailed` with
a stable ``code``; nothing here knows Flask.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from passport.errors import SsoFailed, SsoProviderUnavailable
from passport.settings import OidcSettings

__all__ = [
    "ID_TOKEN_ALGORITHMS",
    "PENDING_LOGIN_SECONDS",
    "OidcClient",
    "OidcIdentity",
    "PendingLogin",
    "ProviderMetadata",
]

logger = logging.getLogger(__name__)

#: Signature algorithms an ID token may use: asymmetric only (never ``none``, never an HMAC
#: keyed with the client secret). The provider's own list can narrow this, never widen it.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
#: How long a started login may take at the provider before its callback is refused.
PENDING_LOGIN_SECONDS = 600
#: Clock skew allowed between us and the provider for ``exp``/``iat``.
LEEWAY_SECONDS = 60
#: Seconds for each request to the provider.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What the discovery document says about the provider (the parts we use)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    id_token_algorithms: tuple[str, ...]

    @classmethod
    def from_document(cls, document: object, *, expected_issuer: str) -> ProviderMetadata:
        """Check and keep a discovery document. Its ``issuer`` must be exactly the configured
        one (Discovery §4.3), and every endpoint an http(s) URL."""
        if not isinstance(document, dict):
            raise SsoProviderUnavailable(code="sso_bad_discovery")
        if document.get("issuer") != expected_issuer:
            logger.warning("OIDC discovery names another issuer: %r", document.get("issuer"))
            raise SsoFailed(
                "The identity provider's configuration names a different issuer; ask your "
                "program's administrator to check the single sign-on settings.",
                code="sso_issuer_mismatch",
            )
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise SsoProviderUnavailable(code="sso_bad_discovery")
            endpoints[name] = value
        userinfo = document.get("userinfo_endpoint")
        supported = document.get("id_token_signing_alg_values_supported")
        algorithms = tuple(
            alg
            for alg in ID_TOKEN_ALGORITHMS
            if not isinstance(supported, list) or alg in supported
        )
        return cls(
            issuer=expected_issuer,
            userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
            id_token_algorithms=algorithms,
            **endpoints,
        )


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A login sent to the provider and not back yet; kept in the browser's session."""

    state: str
    nonce: str
    code_verifier: str
    #: A same-site path to go to afterwards (already checked), or None.
    next: str | None
    #: When it started (POSIX seconds).
    started: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "next": self.next,
            "started": self.started,
        }

    @classmethod
    def from_dict(cls, data: object) -> PendingLogin | None:
        """The pending login a session kept, or None if it holds none (or something else)."""
        if not isinstance(data, dict):
            return None
        try:
            pending = cls(
                state=data["state"],
                nonce=data["nonce"],
                code_verifier=data["code_verifier"],
                next=data.get("next"),
                started=data["started"],
            )
        except KeyError:
            return None
        fields = (pending.state, pending.nonce, pending.code_verifier)
        if not all(isinstance(x, str) and x for x in fields) or not isinstance(
            pending.started, int
        ):
            return None
        return pending


@dataclass(frozen=True, slots=True)
class OidcIdentity:
    """A person as the provider vouched for them (verified ID token + UserInfo)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str
    #: The values of the configured role claim; None when the provider sent no such claim
    #: (then the person's role is left as it is).
    groups: tuple[str, ...] | None


def _claim_at(claims: Mapping[str, Any], path: str) -> object:
    """The value at ``path`` (``groups``, or a dotted path such as ``realm_access.roles``)."""
    value: object = claims
    if path in claims:  # a claim whose name holds dots (some providers use URLs)
        return claims[path]
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _groups(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return None


def _verified(value: object) -> bool:
    # Some providers send the boolean as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _email_verified(claims: Mapping[str, Any], *, trust_email: bool) -> bool:
    """Whether the provider vouches for the e-mail: ``email_verified`` true, or, with
    ``PASSPORT_OIDC_TRUST_EMAIL=on``, no ``email_verified`` claim at all (Entra ID sends none;
    its tenant owns the addresses it issues). An explicit false is never trusted."""
    if "email_verified" not in claims:
        return trust_email
    return _verified(claims["email_verified"])


class OidcClient:
    """The relying party for one configured provider; ``redirect_uri`` is our callback URL
    exactly as registered at the provider."""

    def __init__(self, settings: OidcSettings, redirect_uri: str) -> None:
        self.settings = settings
        self.redirect_uri = redirect_uri

    # -- talking to the provider -----------------------------------------------------------
    def _get_json(self, url: str, **kwargs: Any) -> Any:
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS, **kwargs)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("OIDC provider request failed: %s", type(exc).__name__)
            raise SsoProviderUnavailable() from exc

    def discover(self) -> ProviderMetadata:
        """The provider's metadata, read from its discovery document now."""
        url = f"{self.settings.issuer}/.well-known/openid-configuration"
        return ProviderMetadata.from_document(
            self._get_json(url), expected_issuer=self.settings.issuer
        )

    def _session(self) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scope=" ".join(self.settings.scopes),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        )

    # -- the two steps ---------------------------------------------------------------------
    def start(self, *, next_path: str | None, now: datetime) -> tuple[str, PendingLogin]:
        """Where to send the browser, and what to remember until it comes back."""
        metadata = self.discover()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
            next=next_path,
            started=int(now.timestamp()),
        )
        with self._session() as session:
            url, _ = session.create_authorization_url(
                metadata.authorization_endpoint,
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
            )
        return url, pending

    def finish(
        self, pending: PendingLogin | None, params: Mapping[str, str], *, now: datetime
    ) -> OidcIdentity:
        """The person the provider vouches for, from the callback's query ``params``.

        Raises :class:`~passport.errors.SsoFailed` (``sso_access_denied``,
        ``sso_provider_error``, ``sso_no_login_started``, ``sso_state_mismatch``,
        ``sso_login_expired``, ``sso_token_exchange_failed``, ``sso_bad_id_token``,
        ``sso_bad_userinfo``) or :class:`~passport.errors.SsoProviderUnavailable`.
        """
        error = params.get("error")
        if error:
            # RFC 6749 §4.1.2.1: the provider's description is not ours to show (and may be
            # anything); the error code is logged for the administrator.
            logger.info("OIDC provider answered error=%.64r", error)
            if error == "access_denied":
                raise SsoFailed(
                    "The sign-in was cancelled or refused at the identity provider.",
                    code="sso_access_denied",
                )
            raise SsoFailed(
                "The identity provider refused the sign-in. Try again; if it keeps "
                "happening, tell your program's administrator.",
                code="sso_provider_error",
            )
        if pending is None:
            raise SsoFailed(
                "This sign-in was not started here, or it was already used. Start again "
                "from the login page.",
                code="sso_no_login_started",
            )
        if not secrets.compare_digest(params.get("state", ""), pending.state):
            raise SsoFailed(
                "The sign-in came back with a state that does not match the one we sent, so "
                "it may not be yours. Start again from the login page.",
                code="sso_state_mismatch",
            )
        if int(now.timestamp()) - pending.started > PENDING_LOGIN_SECONDS:
            raise SsoFailed(
                "The sign-in took too long. Start again from the login page.",
                code="sso_login_expired",
            )
        code = params.get("code", "")
        if not code:
            raise SsoFailed(
                "The identity provider sent no authorization code. Start again from the "
                "login page.",
                code="sso_provider_error",
            )
        iss = params.get("iss")
        if iss is not None and iss != self.settings.issuer:
            # RFC 9207: a response from another provider (mix-up attack).
            raise SsoFailed(
                "The sign-in answer came from a different identity provider.",
                code="sso_issuer_mismatch",
            )
        metadata = self.discover()
        token = self._exchange(metadata, code, pending)
        claims = self._verified_id_token(metadata, token, pending, now=now)
        merged: dict[str, Any] = {}
        if metadata.userinfo_endpoint and isinstance(token.get("access_token"), str):
            merged.update(self._userinfo(metadata.userinfo_endpoint, token, claims["sub"]))
        merged.update(claims)  # the signed ID token wins where both speak
        email = merged.get("email")
        name = merged.get("name")
        return OidcIdentity(
            issuer=self.settings.issuer,
            subject=claims["sub"],
            email=email if isinstance(email, str) and email else None,
            email_verified=_email_verified(merged, trust_email=self.settings.trust_email),
            name=name.strip()[:200] if isinstance(name, str) else "",
            groups=_groups(_claim_at(merged, self.settings.role_claim)),
        )

    def _exchange(
        self, metadata: ProviderMetadata, code: str, pending: PendingLogin
    ) -> dict[str, Any]:
        try:
            with self._session() as session:
                token = session.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                    timeout=TIMEOUT_SECONDS,
                )
        except requests.RequestException as exc:
            logger.warning("OIDC token endpoint unreachable: %s", type(exc).__name__)
            raise SsoProviderUnavailable() from exc
        except (AuthlibBaseError, ValueError) as exc:
            logger.info("OIDC code exchange refused: %s", getattr(exc, "error", type(exc)))
            raise SsoFailed(
                "The identity provider did not accept this sign-in's code (it may have been "
                "used already). Start again from the login page.",
                code="sso_token_exchange_failed",
            ) from exc
        if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
            raise SsoFailed(
                "The identity provider sent no ID token; ask your program's administrator "
                "to check that the 'openid' scope is allowed.",
                code="sso_bad_id_token",
            )
        return dict(token)

    def _verified_id_token(
        self,
        metadata: ProviderMetadata,
        token: Mapping[str, Any],
        pending: PendingLogin,
        *,
        now: datetime,
    ) -> dict[str, Any]:
        """The ID token's claims after every check of OpenID Connect Core §3.1.3.7."""
        key_set = KeySet.import_key_set(self._get_json(metadata.jwks_uri))
        return verify_id_token(
            token["id_token"],
            key_set,
            algorithms=metadata.id_token_algorithms,
            issuer=metadata.issuer,
            client_id=self.settings.client_id,
            nonce=pending.nonce,
            access_token=token.get("access_token"),
            now=now,
        )

    def _userinfo(self, endpoint: str, token: Mapping[str, Any], subject: str) -> dict[str, Any]:
        info = self._get_json(
            endpoint, headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        if not isinstance(info, dict) or info.get("sub") != subject:
            # Core §5.3.2: a UserInfo answer about someone else must not be used.
            raise SsoFailed(
                "The identity provider's user information is about someone else.",
                code="sso_bad_userinfo",
            )
        return info


def verify_id_token(
    unverified_id_token: str,
    key_set: KeySet,
    *,
    algorithms: tuple[str, ...],
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: object,
    now: datetime,
) -> dict[str, Any]:
    """Verify an ID token's signature and claims; return the claims.

    Raises :class:`~passport.errors.SsoFailed` (``sso_bad_id_token``) for a bad signature, an
    algorithm outside ``algorithms``, a wrong ``iss``/``aud``/``azp``/``nonce``/``at_hash``,
    or an expired or future-dated token.
    """
    try:
        decoded = jwt.decode(unverified_id_token, key_set, algorithms=list(algorithms))
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client_id},
                "nonce": {"essential": True, "value": nonce},
            },
            {
                "nonce": nonce,
                "client_id": client_id,
                **({"access_token": access_token} if isinstance(access_token, str) else {}),
            },
        )
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        logger.info("OIDC ID token refused: %s", type(exc).__name__)
        raise SsoFailed(
            "The identity provider's answer could not be verified, so nobody was signed in. "
            "Start again from the login page.",
            code="sso_bad_id_token",
        ) from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SsoFailed(
            "The identity provider's answer could not be verified, so nobody was signed in. "
            "Start again from the login page.",
            code="sso_bad_id_token",
        )
    return dict(claims)
