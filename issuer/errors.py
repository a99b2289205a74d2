"""Errors raised while building, signing and baking credentials.

Every error carries a stable machine-readable ``code``, a ``message`` that is safe to show a user
and an optional ``hint`` for an operator. The tree::

    IssuerError               code: issuer_error
    ├── DraftInvalid          code: draft_invalid      the inputs do not make a valid OB 3.0
    │                                                  credential (or CLR, or presentation)
    ├── SelfCheckFailed       code: self_check_failed  our own verifier refused what we just signed
    └── CredentialNotBakeable code: unbakeable         the credential text cannot be written into
                                                       the image (empty, not Unicode, too large,
                                                       JSON/JWT mismatch)

Two kinds of :mod:`verifier` error pass through unchanged, on purpose: baking checks the input
image with the verifier's own readers, so a damaged PNG or an unsafe SVG is refused with the
verifier's ``FormatError`` (``bad_png``, ``bad_svg``, ``unsafe_svg``), the codes a verifier
would give for that image; and :func:`issuer.sign_data_integrity` lets the verifier's
``DataLoss`` (``undefined_term`` …) through, which :class:`issuer.CredentialIssuer` turns into
:class:`DraftInvalid`.
"""

from __future__ import annotations

__all__ = ["CredentialNotBakeable", "DraftInvalid", "IssuerError", "SelfCheckFailed"]


class IssuerError(Exception):
    """Root of every error raised by :mod:`issuer`: ``code``, ``message`` and ``hint``."""

    code = "issuer_error"
    default_message = "The credential could not be issued."

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        self.message = message or self.default_message
        #: What an operator should look at; never shown to a user.
        self.hint = hint
        super().__init__(self.message)


class DraftInvalid(IssuerError):
    code = "draft_invalid"
    default_message = "The credential's content is not a valid Open Badges 3.0 credential."


class SelfCheckFailed(IssuerError):
    code = "self_check_failed"
    default_message = (
        "The credential was signed but failed our own verification, so it was not released."
    )


class CredentialNotBakeable(IssuerError):
    """The credential text cannot be written into this image (:mod:`issuer.baking`)."""

    code = "unbakeable"
    default_message = "The credential cannot be baked into the image."
