"""Errors raised while building and signing credentials.

IssuerError
├── DraftInvalid       code: draft_invalid       the inputs do not make a valid OB 3.0 credential
└── SelfCheckFailed    code: self_check_failed   our own verifier refused what we just signed
"""

from __future__ import annotations

__all__ = ["DraftInvalid", "IssuerError", "SelfCheckFailed"]


class IssuerError(Exception):
    """Root of every error raised by :mod:`issuer`; carries ``code`` and ``message``."""

    code = "issuer_error"
    default_message = "The credential could not be issued."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class DraftInvalid(IssuerError):
    code = "draft_invalid"
    default_message = "The credential's content is not a valid Open Badges 3.0 credential."


class SelfCheckFailed(IssuerError):
    code = "self_check_failed"
    default_message = (
        "The credential was signed but failed our own verification, so it was not released."
    )
