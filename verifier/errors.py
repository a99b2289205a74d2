"""Errors raised while deciding whether a credential someone hands us is valid.

Each error names the report check it belongs to (``check``), a stable machine-readable ``code``
and a ``message``: one plain sentence a non-specialist can read. An optional ``hint`` tells an
operator what to look at. The tree::

    VerificationError
    ├── FormatError             check: format            unreadable input
    │   ├── InputTooLarge       code: too_large
    │   ├── NestingTooDeep      code: too_deep
    │   ├── MalformedJson       code: bad_json
    │   ├── MalformedJwt        code: bad_jwt / bad_base64
    │   ├── UnsupportedFormat   code: unsupported_format
    │   └── TrustListError      code: trust_list_unreadable / trust_list_bad_json /
    │                                 trust_list_invalid / trust_list_bad_id /
    │                                 trust_list_duplicate   (the verifier's own trust list)
    ├── SchemaError             check: schema            not an OB 3.0 credential
    ├── SignatureError          check: signature         proof does not hold
    │   ├── AlgorithmNotAllowed code: alg_not_allowed
    │   ├── KeyNotResolved      code: unknown_kid / untrusted_jwk / issuer_key_mismatch
    │   │   └── KeyUnreachable  code: key_unreachable     (inconclusive: could_not_check)
    │   ├── ProofNotChecked     code: proof_not_supported  (inconclusive: could_not_check)
    │   └── BadSignature        code: bad_signature / no_proof / unknown_cryptosuite
    ├── ClaimsMismatch          check: signature         JWT claims disagree with the credential
    └── ValidityError           check: validity_window
        ├── Expired             code: expired
        └── NotYetValid         code: not_yet_valid
"""

from __future__ import annotations

__all__ = [
    "AlgorithmNotAllowed",
    "BadSignature",
    "ClaimsMismatch",
    "Expired",
    "FormatError",
    "InputTooLarge",
    "KeyNotResolved",
    "KeyUnreachable",
    "MalformedJson",
    "MalformedJwt",
    "NestingTooDeep",
    "NotYetValid",
    "ProofNotChecked",
    "SchemaError",
    "SignatureError",
    "TrustListError",
    "UnsupportedFormat",
    "ValidityError",
    "VerificationError",
]


class VerificationError(Exception):
    """Root of every verification failure. Carries ``check``, ``code``, ``message``, ``hint``."""

    check = "format"
    code = "verification_error"
    #: True when the failure means "we could not tell" rather than "this is wrong".
    inconclusive = False
    default_message = "The credential could not be verified."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, hint: str | None = None
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.hint = hint
        super().__init__(self.message)


class FormatError(VerificationError):
    check = "format"
    code = "bad_format"
    default_message = "The input is not a credential we can read."


class InputTooLarge(FormatError):
    code = "too_large"
    default_message = "The input is larger than the size limit."


class NestingTooDeep(FormatError):
    code = "too_deep"
    default_message = "The input is nested too deeply to be a credential."


class MalformedJson(FormatError):
    code = "bad_json"
    default_message = "The input is not valid JSON."


class MalformedJwt(FormatError):
    code = "bad_jwt"
    default_message = "The input is not a well-formed signed token (JWT)."


class UnsupportedFormat(FormatError):
    code = "unsupported_format"
    default_message = "This kind of input is not supported."


class TrustListError(FormatError):
    """The trust list given to the verifier (a file of trusted issuers) is unusable.

    Raised while loading configuration, never for a credential: the operator must fix the file.
    """

    code = "trust_list_invalid"
    default_message = "The trust list is not in the expected shape."


class SchemaError(VerificationError):
    check = "schema"
    code = "schema_invalid"
    default_message = "The credential does not follow the Open Badges 3.0 data model."


class SignatureError(VerificationError):
    check = "signature"
    code = "bad_signature"
    default_message = "The credential's signature is not valid."


class AlgorithmNotAllowed(SignatureError):
    code = "alg_not_allowed"
    default_message = "The credential is signed with an algorithm we do not accept."


class KeyNotResolved(SignatureError):
    code = "unknown_kid"
    default_message = "The key that signed the credential could not be found for its issuer."


class KeyUnreachable(KeyNotResolved):
    """The issuer's keys could not be fetched: we cannot tell, so the check is inconclusive."""

    code = "key_unreachable"
    inconclusive = True
    default_message = (
        "The issuer's published keys could not be reached, so the signature could not be checked."
    )


class ProofNotChecked(SignatureError):
    """A proof of a kind this version cannot check: inconclusive, never a pass."""

    code = "proof_not_supported"
    inconclusive = True
    default_message = "This kind of proof cannot be checked here, so the signature is unverified."


class BadSignature(SignatureError):
    code = "bad_signature"
    default_message = "The credential's signature does not match its content."


class ClaimsMismatch(SignatureError):
    code = "claims_mismatch"
    default_message = "The signed token's claims disagree with the credential inside it."


class ValidityError(VerificationError):
    check = "validity_window"
    code = "outside_validity"
    default_message = "The credential is not valid at this time."


class Expired(ValidityError):
    code = "expired"
    default_message = "The credential has expired."


class NotYetValid(ValidityError):
    code = "not_yet_valid"
    default_message = "The credential is not valid yet."
