"""The application's errors: one tree, each leaf with a stable ``code`` and a message safe to show.

    PassportError               code: bad_request            the root
    ├── ConfigError             code: config                 (start-up, commands: the settings)
    ├── InvalidRequest          code: invalid_request        the input cannot be used
    ├── Unauthorized            code: unauthorized           who is asking is not known
    ├── Forbidden               code: forbidden              they may not do this
    ├── NotFound                code: not_found              there is no such thing
    ├── Conflict                code: conflict               its state does not allow this
    ├── NotAcceptable           code: not_acceptable         no form the client accepts exists
    ├── UnsupportedMediaType    code: unsupported_media_type a body of a kind we do not read
    ├── ShareLinkGone           code: share_link_gone        a link that no longer shows anything
    │   ├── ShareLinkRevoked    code: share_link_revoked
    │   └── ShareLinkExpired    code: share_link_expired
    ├── SsoFailed               code: sso_failed             a single sign-on that did not complete
    │   └── SsoProviderUnavailable code: sso_provider_unavailable  the provider did not answer
    ├── PresentationRequestGone code: presentation_request_gone  a challenge that answers no more
    │   ├── ChallengeExpired    code: challenge_expired
    │   └── ChallengeUsed       code: challenge_used
    ├── BackupError             code: backup (and more)      an archive cannot be made or restored
    └── TooManyAttempts         code: too_many_attempts      sign-in throttled (``retry_after``)

Nothing here knows HTTP: :mod:`passport.web.errors` maps each class to a status in one table,
and the CLI prints ``message``. A ``code`` passed to the constructor refines the class's own
(``InvalidRequest("…", code="bad_email")``); codes are part of the API and never change meaning.
Errors of the library packages (``issuer.IssuerError``, ``verifier.VerificationError``,
``keys.errors.KeysError``) keep their own trees.
"""

from __future__ import annotations

__all__ = [
    "BackupError",
    "ChallengeExpired",
    "ChallengeUsed",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotAcceptable",
    "NotFound",
    "PassportError",
    "PresentationRequestGone",
    "ShareLinkExpired",
    "ShareLinkGone",
    "ShareLinkRevoked",
    "SsoFailed",
    "SsoProviderUnavailable",
    "TooManyAttempts",
    "Unauthorized",
    "UnsupportedMediaType",
]


class PassportError(Exception):
    """Root of the application's errors: a stable ``code`` and a plain-sentence ``message``."""

    code = "bad_request"
    default_message = "The request could not be handled."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class ConfigError(PassportError):
    code = "config"
    default_message = "The service is not configured correctly."


class InvalidRequest(PassportError):
    code = "invalid_request"
    default_message = "The request is missing something or has a value we cannot use."


class Unauthorized(PassportError):
    code = "unauthorized"
    default_message = "A valid access token is required."


class Forbidden(PassportError):
    code = "forbidden"
    default_message = "You are not allowed to do that."


class NotFound(PassportError):
    code = "not_found"
    default_message = "There is nothing here."


class Conflict(PassportError):
    """The thing exists but its state does not allow this (a role already closed)."""

    code = "conflict"
    default_message = "That cannot be done in the current state."


class NotAcceptable(PassportError):
    """The thing exists, but in no form the client's ``Accept`` allows (we never convert a
    credential's stored form into another)."""

    code = "not_acceptable"
    default_message = "This resource is not available in the form the request accepts."


class UnsupportedMediaType(PassportError):
    code = "unsupported_media_type"
    default_message = "This kind of request body is not supported here."


class ShareLinkGone(PassportError):
    """The link existed but no longer shows anything."""

    code = "share_link_gone"
    default_message = "This share link no longer shows anything."


class ShareLinkRevoked(ShareLinkGone):
    code = "share_link_revoked"
    default_message = "This share link was revoked by the person who shared it."


class ShareLinkExpired(ShareLinkGone):
    code = "share_link_expired"
    default_message = "This share link has expired."


class SsoFailed(PassportError):
    """A single sign-on (OpenID Connect) login that cannot complete: the provider refused or
    answered something we cannot trust, the browser came back without the login it started,
    or the person may not have an account here. ``code`` says which (``sso_access_denied``,
    ``sso_state_mismatch``, ``sso_bad_id_token``, ``sso_domain_not_allowed`` …)."""

    code = "sso_failed"
    default_message = "Single sign-on did not complete. Try again."


class SsoProviderUnavailable(SsoFailed):
    """The identity provider could not be reached or answered with an error page."""

    code = "sso_provider_unavailable"
    default_message = (
        "The identity provider could not be reached. Try again in a moment; if it keeps "
        "happening, tell your program's administrator."
    )


class PresentationRequestGone(PassportError):
    """A presentation request (a challenge handed to a wallet) that can answer no presentation:
    whatever is handed over against it now may be a replay."""

    code = "presentation_request_gone"
    default_message = "This presentation request can no longer be answered; make a new one."


class ChallengeExpired(PresentationRequestGone):
    code = "challenge_expired"
    default_message = (
        "This presentation request has expired; make a new one and ask the candidate again."
    )


class ChallengeUsed(PresentationRequestGone):
    code = "challenge_used"
    default_message = (
        "A presentation was already checked against this request; a second one may be a "
        "replay. Make a new request."
    )


class BackupError(PassportError):
    """A backup could not be written, or an archive may not be restored (``code`` says why)."""

    code = "backup"
    default_message = "The backup could not be made or restored."


class TooManyAttempts(PassportError):
    """Too many failed sign-in attempts (or reset requests) for an account or an address:
    refused for ``retry_after`` more seconds (:mod:`passport.accounts.throttle`)."""

    code = "too_many_attempts"
    default_message = "Too many attempts; wait a little and try again."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
