"""Every error :mod:`verifier` raises, in one tree.

Each error carries a stable machine-readable ``code``, a ``message`` (one plain sentence a
non-specialist can read, with no addresses or document bodies in it) and an optional ``hint``
telling an operator what to look at; ``inconclusive`` is True when it means "we could not tell"
rather than "this is wrong". A :class:`VerificationError` also names the report check it belongs
to (``check``). Where a class is raised with several codes the common ones are listed; the
tables in :mod:`verifier.fetch` and :mod:`verifier.status` list all of theirs. The tree::

    VerifierError                     code: verifier_error
    ├── VerificationError             code: verification_error  (a verdict on a credential)
    │   ├── FormatError               check: format  code: bad_format / bad_job_family
    │   │   ├── InputTooLarge         code: too_large
    │   │   ├── NestingTooDeep        code: too_deep
    │   │   ├── MalformedJson         code: bad_json / invalid_jsonld /
    │   │   │                               protected_term_redefinition
    │   │   ├── MalformedJwt          code: bad_jwt / bad_base64 / missing_signature /
    │   │   │                               unexpected_header / bad_exp / vc_claim_mismatch
    │   │   ├── UnsupportedFormat     code: unsupported_format
    │   │   │   └── NotAnImage        code: not_an_image
    │   │   ├── QrImageError          code: qr_unreadable / bad_image / bad_png / image_too_large
    │   │   ├── BakedImageError       code: bad_baked_image      (a baked badge image)
    │   │   │   ├── MalformedPng      code: bad_png
    │   │   │   ├── MalformedSvg      code: bad_svg
    │   │   │   ├── UnsafeSvg         code: unsafe_svg
    │   │   │   ├── NoBakedCredential code: baked_none
    │   │   │   ├── MultipleBakedCredentials  code: baked_multiple
    │   │   │   ├── BakedCompressed   code: baked_compressed
    │   │   │   ├── BakedNotItxt      code: baked_not_itxt
    │   │   │   ├── BakedCredentialEmpty      code: baked_empty
    │   │   │   └── BakedLegacyBadge  code: baked_legacy   (pre-2.0 baking: a URL in tEXt)
    │   │   ├── UnknownContext        code: unknown_context      (contexts are never fetched)
    │   │   └── ContextIntegrityError code: context_integrity    (a bundled file was altered)
    │   ├── SchemaError               check: schema  code: schema_invalid
    │   │   └── SchemaViolation       code: schema_invalid / missing_field / wrong_type /
    │   │                                   bad_context / bad_date / too_deep
    │   │                                   (+ ``details``; the official JSON Schema's
    │   │                                   findings are conformance notes, verifier.conformance)
    │   ├── SignatureError            check: signature  code: bad_signature
    │   │   ├── AlgorithmNotAllowed   code: alg_not_allowed
    │   │   ├── KeyNotResolved        code: unknown_kid / untrusted_jwk / issuer_key_mismatch /
    │   │   │   │                           invalid_did / … + a refused fetch's code
    │   │   │   └── KeyUnreachable    code: key_unreachable + an unreachable fetch's code
    │   │   │                                                              (inconclusive)
    │   │   ├── ProofNotChecked       code: proof_not_supported          (inconclusive)
    │   │   ├── Ob2Unreachable        code: ob2_document_unreachable + the fetch's code
    │   │   │                               (an OB 2.0 hosted assertion, BadgeClass, issuer
    │   │   │                               Profile or key could not be had; inconclusive)
    │   │   ├── BadSignature          code: bad_signature / no_proof / unknown_cryptosuite / …
    │   │   ├── ClaimsMismatch        code: claims_mismatch / iss_mismatch / sub_mismatch /
    │   │   │                               jti_mismatch  (the JWT's claims disagree with its VC)
    │   │   ├── DataLoss              code: undefined_term / relative_iri / invalid_iri
    │   │   └── CanonicalizationUnsupported  code: unsupported_characters  (inconclusive)
    │   ├── ValidityError             check: validity_window  code: outside_validity
    │   │   ├── Expired               code: expired
    │   │   └── NotYetValid           code: not_yet_valid
    │   └── StatusError               check: status  code: status_error  (``entry``, ``result``)
    │       ├── Revoked               code: revoked
    │       ├── Suspended             code: suspended
    │       ├── StatusUnavailable     code: status_unreachable / status_stale / …  (inconclusive)
    │       └── StatusListInvalid     code: status_list_malformed / status_list_unverified /
    │                                       status_list_too_large / …         (inconclusive)
    ├── FetchError                    code: fetch_error   (a document could not be fetched)
    │   ├── FetchRefused              code: fetch_refused_url / fetch_refused_scheme /
    │   │   │                               fetch_refused_encoding / redirect_refused
    │   │   └── AddressRefused        code: fetch_refused_address  (private, loopback, …)
    │   ├── DocumentTooLarge          code: document_too_large
    │   ├── BadDocument               code: bad_key_document  (not a JSON media type, not JSON)
    │   └── FetchUnreachable          code: fetch_connect_error / fetch_dns_error /
    │       │                               fetch_tls_error / fetch_http_error  (inconclusive)
    │       ├── FetchTimeout          code: fetch_timeout
    │       ├── FetchGone             code: fetch_http_error  (HTTP 410: OB 2.0 "revoked")
    │       └── NetworkDisabled       code: network_disabled  (``NoNetwork``: nothing is fetched)
    └── ConfigurationError            code: configuration_error  (the verifier's own settings)
        └── TrustListError            code: trust_list_invalid / trust_list_unreadable /
                                            trust_list_bad_json / trust_list_bad_id /
                                            trust_list_duplicate

Why three branches under one root. Code that builds a report catches
:class:`VerificationError`: each one is an answer about the credential, shown as a check line.
A :class:`FetchError` is not an answer yet: the same failure means "the signature could not be
checked" to the key resolver and "the status could not be checked" to the status checker, so
each translates it into its own check's error (``raise KeyUnreachable(…) from exc``,
``raise StatusUnavailable(…) from exc``) and the code the report shows stays the fetch's. A
:class:`ConfigurationError` is the operator's to fix and is raised while loading
configuration, never for a credential; kept out of :class:`VerificationError`, it cannot be
swallowed by an ``except VerificationError`` that turns failures into "bad input" (a report
line, HTTP 400), so start-up stops instead. :class:`VerifierError` catches all three.

Private control flow, defined here too and never raised out of the package::

    TimeoutError
    └── _OutOfTime                    a fetch's time budget is spent (verifier.fetch)
    Exception
    ├── _TooMuchData                  a server sent more bytes than any answer needs (fetch)
    └── _NotCacheable                 wraps a StatusError not to be remembered per list (status)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.status import EntryStatus, StatusResult

__all__ = [
    "AddressRefused",
    "AlgorithmNotAllowed",
    "BadDocument",
    "BadSignature",
    "BakedCompressed",
    "BakedCredentialEmpty",
    "BakedImageError",
    "BakedLegacyBadge",
    "BakedNotItxt",
    "CanonicalizationUnsupported",
    "ClaimsMismatch",
    "ConfigurationError",
    "ContextIntegrityError",
    "DataLoss",
    "DocumentTooLarge",
    "Expired",
    "FetchError",
    "FetchGone",
    "FetchRefused",
    "FetchTimeout",
    "FetchUnreachable",
    "FormatError",
    "InputTooLarge",
    "KeyNotResolved",
    "KeyUnreachable",
    "MalformedJson",
    "MalformedJwt",
    "MalformedPng",
    "MalformedSvg",
    "MultipleBakedCredentials",
    "NestingTooDeep",
    "NetworkDisabled",
    "NoBakedCredential",
    "NotAnImage",
    "NotYetValid",
    "Ob2Unreachable",
    "ProofNotChecked",
    "QrImageError",
    "Revoked",
    "SchemaError",
    "SchemaViolation",
    "SignatureError",
    "StatusError",
    "StatusListInvalid",
    "StatusUnavailable",
    "Suspended",
    "TrustListError",
    "UnknownContext",
    "UnsafeSvg",
    "UnsupportedFormat",
    "ValidityError",
    "VerificationError",
    "VerifierError",
]


class VerifierError(Exception):
    """Root of every error raised by :mod:`verifier`. Carries ``code``, ``message``, ``hint``."""

    code = "verifier_error"
    #: True when the failure means "we could not tell" rather than "this is wrong".
    inconclusive = False
    default_message = "The verifier could not do what was asked."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, hint: str | None = None
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.hint = hint
        super().__init__(self.message)


# -- verdicts on a credential --------------------------------------------------------------------
class VerificationError(VerifierError):
    """Root of every verification failure: also names the report ``check`` it belongs to."""

    check = "format"
    code = "verification_error"
    default_message = "The credential could not be verified."


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


class NotAnImage(UnsupportedFormat):
    code = "not_an_image"
    default_message = "The file is neither a PNG nor an SVG image."


class QrImageError(FormatError):
    """An image that is not a baked badge and holds no QR code we can read (or may not read)."""

    code = "qr_unreadable"
    default_message = "The image holds neither a badge nor a QR code we can read."


class BakedImageError(FormatError):
    """Root of the errors about a baked badge image (:mod:`verifier.baked`; check: format)."""

    code = "bad_baked_image"
    default_message = "The image does not hold a badge we can read."


class MalformedPng(BakedImageError):
    code = "bad_png"
    default_message = "The file is not a valid PNG image (it is damaged or incomplete)."


class MalformedSvg(BakedImageError):
    code = "bad_svg"
    default_message = "The file is not a valid SVG image."


class UnsafeSvg(BakedImageError):
    code = "unsafe_svg"
    default_message = (
        "The SVG image contains XML features that are refused for safety "
        "(entity declarations or external references)."
    )


class NoBakedCredential(BakedImageError):
    code = "baked_none"
    default_message = "The image does not contain a badge credential."


class MultipleBakedCredentials(BakedImageError):
    code = "baked_multiple"
    default_message = "The image contains more than one badge credential, so it is ambiguous."


class BakedCompressed(BakedImageError):
    code = "baked_compressed"
    default_message = (
        "The badge credential in the image is compressed, which the Open Badges "
        "specification does not allow."
    )


class BakedNotItxt(BakedImageError):
    code = "baked_not_itxt"
    default_message = (
        "The badge credential is stored in a kind of PNG text chunk the Open Badges "
        "specification does not allow (it must be an iTXt chunk)."
    )


class BakedCredentialEmpty(BakedImageError):
    code = "baked_empty"
    default_message = "The image has a place for a badge credential, but it is empty."


class BakedLegacyBadge(BakedImageError):
    code = "baked_legacy"
    default_message = (
        "The image holds a badge baked the pre-2.0 way (a link in a tEXt chunk), which is "
        "not read; Open Badges 2.0 and 3.0 badges and CLR 2.0 credentials are."
    )


class UnknownContext(FormatError):
    """A credential names a JSON-LD context that is not bundled: we never fetch one."""

    code = "unknown_context"
    default_message = "The credential refers to a JSON-LD context we do not have a copy of."

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"The credential refers to a JSON-LD context we do not have a copy of: {url}",
            hint=(
                "Only the context documents bundled with the verifier are used; contexts are "
                "never fetched from the network. docs/contexts.md explains how to add one."
            ),
        )


class ContextIntegrityError(FormatError):
    """A bundled context file is missing, unreadable, or differs from its recorded SHA-256."""

    code = "context_integrity"
    default_message = "A JSON-LD context bundled with the verifier has been altered."

    def __init__(self, url: str, file: str, problem: str) -> None:
        self.url = url
        self.file = file
        super().__init__(
            f"The verifier's own copy of the JSON-LD context {url} cannot be trusted, "
            "so it was not used.",
            hint=(
                f"The bundled file {file} {problem}. The installation may have been altered: "
                "reinstall the verifier."
            ),
        )


class SchemaError(VerificationError):
    check = "schema"
    code = "schema_invalid"
    default_message = "The credential does not follow the Open Badges 3.0 data model."


class SchemaViolation(SchemaError):
    """A :class:`SchemaError` that also carries every problem found (:mod:`verifier.schemas`).

    ``details`` is marshmallow's nested error dict (JSON property names as keys, list indexes as
    ``int`` keys, lists of messages as leaves), for operators; ``message`` names only the first.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        details: Mapping[Any, Any] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.details: Mapping[Any, Any] = details if details is not None else {}


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


class Ob2Unreachable(SignatureError):
    """An Open Badges 2.0 document the verification needs could not be fetched (inconclusive).

    The hosted assertion, its BadgeClass, the issuer Profile or the signing key
    (:mod:`verifier.ob2`); the fetch's code is kept in ``hint``.
    """

    code = "ob2_document_unreachable"
    inconclusive = True
    default_message = (
        "A document the issuer publishes for this badge could not be fetched, so the badge "
        "could not be checked."
    )


class BadSignature(SignatureError):
    code = "bad_signature"
    default_message = "The credential's signature does not match its content."


class ClaimsMismatch(SignatureError):
    code = "claims_mismatch"
    default_message = "The signed token's claims disagree with the credential inside it."


class DataLoss(SignatureError):
    """JSON-LD processing would drop or rebase data, so a proof would not cover it.

    VC Data Integrity §4 ("DATA_LOSS_DETECTION_ERROR"). ``code`` is ``undefined_term``,
    ``relative_iri`` or ``invalid_iri``; ``term`` names the offending term or value.
    """

    code = "undefined_term"
    default_message = (
        "The credential contains data that no context defines, so it cannot be signed."
    )

    def __init__(
        self, message: str | None = None, *, code: str | None = None, term: str = ""
    ) -> None:
        super().__init__(
            message, code=code, hint=f"Offending term or value: {term!r}" if term else None
        )
        self.term = term


class CanonicalizationUnsupported(SignatureError):
    """A dataset we cannot canonicalize the way other implementations do: inconclusive."""

    code = "unsupported_characters"
    inconclusive = True
    default_message = (
        "The credential contains control characters in a form this verifier cannot "
        "canonicalize the way other verifiers do (an embedded signed credential, or the same "
        "statement twice); its signature cannot be checked here."
    )


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


class StatusError(VerificationError):
    """Root of the status errors; ``result`` holds every entry's outcome when known."""

    check = "status"
    code = "status_error"
    default_message = "The credential's status could not be checked."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        #: The entry this error is about (set by :class:`~verifier.status.StatusChecker`).
        self.entry: EntryStatus | None = None
        #: All entries of the credential, when raised by ``StatusChecker.check``.
        self.result: StatusResult | None = None


class Revoked(StatusError):
    code = "revoked"
    default_message = "The issuer has revoked this credential."


class Suspended(StatusError):
    code = "suspended"
    default_message = "The issuer has suspended this credential."


class StatusUnavailable(StatusError):
    """No usable status list could be had: we cannot tell (inconclusive)."""

    code = "status_unreachable"
    inconclusive = True
    default_message = (
        "The issuer's status list could not be fetched, so we could not check whether the "
        "credential was revoked."
    )


class StatusListInvalid(StatusError):
    """The status list, or the credential's entry, cannot be used: we cannot tell."""

    code = "status_list_malformed"
    inconclusive = True
    default_message = (
        "The issuer's status list is not a valid status list, so we could not check whether "
        "the credential was revoked."
    )


# -- fetching a document -------------------------------------------------------------------------
class FetchError(VerifierError):
    """A document could not be fetched. Not a verdict until the check that needed it says so.

    Raised by :class:`~verifier.fetch.SafeFetcher` and :class:`~verifier.resolve.NoNetwork`
    (the :class:`~verifier.resolve.DocumentFetcher` seam); the key resolver and the status
    checker translate it into their own check's error, keeping ``code``.
    """

    code = "fetch_error"
    default_message = "The document could not be fetched."


class FetchRefused(FetchError):
    """A policy refusal: the address, scheme, redirect or encoding is one we never fetch."""

    code = "fetch_refused_url"
    default_message = "The document's address is not one we will fetch."


class AddressRefused(FetchRefused):
    """The host resolves to an address we never connect to (private, loopback, link-local …)."""

    code = "fetch_refused_address"
    default_message = (
        "The document is on a private or reserved network address, so it was not fetched."
    )


class DocumentTooLarge(FetchError):
    code = "document_too_large"
    default_message = "The document is larger than the size limit, so it was not read."


class BadDocument(FetchError):
    """Fetched, but not a JSON media type or not valid JSON: a wrong answer, not "unknown"."""

    code = "bad_key_document"
    default_message = "The document is not valid JSON."


class FetchUnreachable(FetchError):
    """The server could not be reached or gave no usable answer: we cannot tell."""

    code = "fetch_connect_error"
    inconclusive = True
    default_message = "The document's server could not be reached."


class FetchTimeout(FetchUnreachable):
    code = "fetch_timeout"
    default_message = "The document's server did not answer in time."


class FetchGone(FetchUnreachable):
    """HTTP 410 Gone. Still "could not fetch" to every caller, except Open Badges 2.0, where a
    hosted assertion answering 410 is revoked (OB 2.0 "Revoking Hosted Assertions")."""

    code = "fetch_http_error"


class NetworkDisabled(FetchUnreachable):
    """No network access was given (:class:`~verifier.resolve.NoNetwork`): nothing is fetched."""

    code = "network_disabled"
    default_message = "The document is not available offline, so it was not fetched."


# -- the verifier's own configuration ------------------------------------------------------------
class ConfigurationError(VerifierError):
    """The verifier's own configuration is unusable: the operator must fix it."""

    code = "configuration_error"
    default_message = "The verifier is not configured correctly."


class TrustListError(ConfigurationError):
    """The trust list given to the verifier (a file of trusted issuers) is unusable.

    Raised while loading configuration, never for a credential: the operator must fix the file.
    """

    code = "trust_list_invalid"
    default_message = "The trust list is not in the expected shape."


# -- private control flow (never raised out of the package) ---------------------------------------
class _OutOfTime(TimeoutError):
    """A fetch's wall-clock budget is spent (:mod:`verifier.fetch`)."""


class _TooMuchData(Exception):
    """More bytes arrived on the socket than any acceptable answer needs (:mod:`verifier.fetch`)."""


class _NotCacheable(Exception):
    """Wraps a StatusError that depends on the credential, so it is not remembered per list."""

    def __init__(self, error: StatusError) -> None:
        super().__init__(error.message)
        self.error = error
