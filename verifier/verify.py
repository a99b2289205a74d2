"""Verifying one credential: the OB 3.0 §9 steps, each recorded as a report check.

:class:`Verifier` runs the steps once and keeps both the outcome of each (for the report) and the
exception that ended it (so :meth:`Verifier.verify` can raise it). Order of work:

1. ``format`` — read the input (compact VC-JWT or a JSON credential), within size/depth limits.
2. ``signature`` — resolve the issuer's key and check the proof; a failure stops here.
3. ``schema`` — load the credential into the typed OB 3.0 model; ``conformance`` — the
   deviations from the OB 3.0 data model that leave the claim plain, the official OB 3.0 JSON
   Schema's findings among them (:mod:`verifier.conformance`; never decides ``verified``); then,
   for a JWT, check that its registered claims agree with the credential (under ``signature``).
4. ``issuer`` — is the issuer one this service knows (trust list)?
5. ``validity_window`` — ``validFrom`` / ``validUntil`` against ``now`` with clock skew.
6. ``status`` — revocation / suspension lists.
7. ``endorsements`` — every embedded endorsement is verified with this same pipeline.
8. ``recipient`` — only when asked: does an identifier match the given e-mail address?

An Open Badges 2.0 assertion (JSON, signed JWS, or baked) is recognised after step 1 and checked
by :mod:`verifier.ob2` under the same check ids; ``issuer`` and ``recipient`` are decided here,
the same way for both.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from keys import ALLOWED_ALGORITHMS, PublicKey
from verifier.baked import extract_baked
from verifier.canonical import Canonicalizer
from verifier.conformance import ReviewedCredential, review_credential
from verifier.dataintegrity import check_data_integrity
from verifier.errors import (
    BadSignature,
    Expired,
    FormatError,
    MalformedJson,
    NotYetValid,
    SchemaError,
    StatusError,
    UnsupportedFormat,
    VerificationError,
)
from verifier.jsonparse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_json
from verifier.jwt import check_jwt_claims, check_jwt_signature, decode_vc_jwt
from verifier.model import (
    AnyCredential,
    ClrCredential,
    EndorsementCredential,
    IdentityObject,
    Profile,
)
from verifier.ob2 import Ob2Assertion, Ob2Checker, Ob2Input, recognise_ob2
from verifier.recipient import recipient_matches
from verifier.report import NOTE_CHECKS, Check, Report
from verifier.resolve import KeyResolver
from verifier.status import DataIntegrityListVerifier, StatusChecker
from verifier.trust import TrustList
from verifier.validity import DEFAULT_LEEWAY, check_validity

__all__ = ["CredentialInput", "VerifiedCredential", "Verifier", "read_credential"]

logger = logging.getLogger(__name__)

#: Endorsements can carry endorsements; stop following them here.
_MAX_NESTING = 3


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A credential whose proof, data model and validity window were checked."""

    credential: AnyCredential
    proof_format: str
    key: PublicKey
    report: Report


@dataclass(slots=True)
class _Run:
    outcomes: dict[str, Check]
    errors: dict[str, VerificationError]
    proof_format: str | None = None
    credential: AnyCredential | None = None
    key: PublicKey | None = None
    #: "baked PNG" / "baked SVG" when the credential came inside an image.
    container: str | None = None
    #: The credential JSON whose proof held (for reporting when the model refuses it).
    unverified: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()
    children: tuple[Report, ...] = ()
    #: An Open Badges 2.0 assertion, when that is what was handed over (then ``credential``
    #: stays None: it is no OB 3.0 credential).
    ob2: Ob2Assertion | None = None

    def passed(self, check_id: str, code: str, message: str, hint: str | None = None) -> None:
        self.outcomes[check_id] = Check(check_id, "passed", code, message, hint)

    def unknown(self, check_id: str, code: str, message: str, hint: str | None = None) -> None:
        self.outcomes[check_id] = Check(check_id, "could_not_check", code, message, hint)

    def reviewed(self, reviewed: ReviewedCredential) -> None:
        """The credential as the model reads it, and the ``conformance`` check of its review."""
        self.credential = reviewed.credential
        self.passed("schema", "ob3_model", _schema_message(reviewed.credential))
        deviations = reviewed.deviations
        if not deviations:
            self.passed(
                "conformance",
                "conformant",
                "No deviations from the Open Badges 3.0 data model were found.",
            )
            return
        count = f"{len(deviations)} deviation{'s' if len(deviations) != 1 else ''}"
        self.outcomes["conformance"] = Check(
            "conformance",
            "failed",
            "deviations",
            f"{count} from the Open Badges 3.0 data model; none changes who issued what to "
            "whom, so they do not decide whether the credential is verified.",
            deviations=deviations,
        )

    def failed(self, error: VerificationError, check_id: str | None = None) -> None:
        check_id = check_id or error.check
        status = "could_not_check" if error.inconclusive else "failed"
        self.outcomes[check_id] = Check(check_id, status, error.code, error.message, error.hint)
        self.errors[check_id] = error

    def report(self) -> Report:
        return Report.from_outcomes(
            self.outcomes,
            proof_format=self.proof_format,
            credential=self.credential if self.credential is not None else self.ob2,
            notes=self.notes,
            children=self.children,
        )


_NO_STATUS = Check(
    "status", "passed", "no_status", "The issuer published no revocation list for this credential."
)
_NO_ENDORSEMENTS = Check(
    "endorsements", "passed", "no_endorsements", "The credential carries no endorsements."
)


class Verifier:
    """Verifies OB 3.0 credentials (VC-JWT and Data Integrity JSON) into reports.

    ``resolver`` finds issuer keys; ``known_issuers`` are issuer ids this deployment trusts
    (the ``issuer`` check: its own issuers); ``known_endorsers`` are ids it knows as the
    issuers of endorsements only (an organisation's mentors: an OpenBadgeCredential they
    signed stays "unknown issuer"); ``trust_list`` names other issuers it vouches for
    (:mod:`verifier.trust`); ``algorithms`` may narrow, never widen, the keys allow-list.
    """

    def __init__(
        self,
        resolver: KeyResolver,
        *,
        known_issuers: Collection[str] = (),
        known_endorsers: Collection[str] = (),
        trust_list: TrustList | None = None,
        algorithms: Collection[str] = ALLOWED_ALGORITHMS,
        leeway: timedelta = DEFAULT_LEEWAY,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        canonicalizer: Canonicalizer | None = None,
        status_checker: StatusChecker | None = None,
    ) -> None:
        self.resolver = resolver
        self.canonicalizer = canonicalizer or Canonicalizer()
        # Without a checker of the caller's, status lists are read through the resolver's
        # fetcher (none by default: foreign lists are then "could not check").
        self.status_checker = status_checker or StatusChecker(
            DataIntegrityListVerifier(resolver, self.canonicalizer, leeway=leeway),
            fetcher=resolver.fetcher,
            leeway=leeway,
        )
        self.known_issuers = frozenset(known_issuers)
        self.known_endorsers = frozenset(known_endorsers)
        self.trust_list = trust_list
        self.algorithms = tuple(a for a in algorithms if a in ALLOWED_ALGORITHMS)
        self.leeway = leeway
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.ob2 = Ob2Checker(resolver.fetcher, algorithms=self.algorithms, leeway=leeway)

    # -- public ----------------------------------------------------------------------------
    def verify(
        self,
        data: str | bytes | Mapping[str, Any] | CredentialInput,
        *,
        now: datetime,
        check_status: bool = True,
    ) -> VerifiedCredential:
        """Verify and return the :class:`VerifiedCredential`, or raise the first failure.

        Raises a :class:`~verifier.errors.VerificationError` subclass: the error of the first
        failed check (or of the first deciding check that could not be completed). An Open
        Badges 2.0 assertion is never returned (a :class:`VerifiedCredential` is an OB 3.0 or
        CLR 2.0 credential signed by a key): it raises ``UnsupportedFormat``
        (``ob2_report_only``) even when it verified; :meth:`report` reports it.
        """
        run = self._run(data, now=now, recipient=None, depth=0, check_status=check_status)
        report = run.report()
        if not report.verified:
            first = report.first_failure
            assert first is not None
            error = run.errors.get(first.id)
            if error is None:
                # A check that never ran: the error that stopped the run explains it.
                error = next(iter(run.errors.values()), None) or VerificationError(first.message)
            raise error
        if run.ob2 is not None:
            raise UnsupportedFormat(
                "An Open Badges 2.0 badge can be reported on but not used as a verified "
                "Open Badges 3.0 credential.",
                code="ob2_report_only",
            )
        assert run.credential is not None and run.key is not None and run.proof_format
        return VerifiedCredential(run.credential, run.proof_format, run.key, report)

    def report(
        self,
        data: str | bytes | Mapping[str, Any] | CredentialInput,
        *,
        now: datetime,
        recipient: str | None = None,
    ) -> Report:
        """Verify and return the :class:`Report`; never raises for bad input."""
        return self._run(data, now=now, recipient=recipient, depth=0).report()

    # -- the steps ---------------------------------------------------------------------------
    def _run(
        self,
        data: str | bytes | Mapping[str, Any] | CredentialInput,
        *,
        now: datetime,
        recipient: str | None,
        depth: int,
        check_status: bool = True,
    ) -> _Run:
        run = _Run(outcomes={}, errors={})
        try:
            given = (
                data
                if isinstance(data, CredentialInput)
                else read_credential(data, max_bytes=self.max_bytes, max_depth=self.max_depth)
            )
            run.container = given.carrier
            ob2 = recognise_ob2(
                given.value,
                baked_ob2=given.ob2,
                max_bytes=self.max_bytes,
                max_depth=self.max_depth,
            )
            if ob2 is not None:
                self._run_ob2(ob2, run, now=now, recipient=recipient)
                return run
            self._verify_proof_and_model(given, run, now=now)
        except VerificationError as exc:
            run.failed(exc)
            if exc.check == "schema" and run.unverified is not None:
                # Signed but not OB 3.0: still say whether its dates hold, from the raw JSON.
                self._check_raw_validity(run.unverified, run, now=now)
            return run
        credential = run.credential
        assert credential is not None
        self._check_issuer(
            credential.issuer, run, endorsement=isinstance(credential, EndorsementCredential)
        )
        try:
            check_validity(credential, now=now, leeway=self.leeway)
            run.passed("validity_window", *_window_message(credential))
        except VerificationError as exc:
            run.failed(exc)
        if check_status:
            self._check_status(credential, run, now=now)
        else:
            run.unknown("status", "status_not_checked", "Status was not checked (not asked to).")
        assert run.unverified is not None
        self._check_endorsements(run.unverified, run, now=now, depth=depth)
        if recipient is not None:
            identifiers = getattr(credential.credential_subject, "identifier", ())
            self._check_recipient(identifiers, recipient, run)
        return run

    def _run_ob2(self, given: Ob2Input, run: _Run, *, now: datetime, recipient: str | None) -> None:
        """An Open Badges 2.0 assertion: :mod:`verifier.ob2` checks it; issuer and recipient
        are judged here like any credential's."""
        outcome = self.ob2.check(given, now=now, carrier=run.container)
        run.outcomes.update(outcome.checks)
        run.errors.update(outcome.errors)
        run.proof_format = outcome.proof_format
        run.key = outcome.key
        run.notes = tuple(outcome.notes)
        assertion = outcome.assertion
        if assertion is None:
            return
        run.unknown(
            "conformance",
            "ob2_not_reviewed",
            "An Open Badges 2.0 badge is not reviewed against the Open Badges 3.0 data model; "
            "its departures from Open Badges 2.0, if any, are listed as notes.",
        )
        run.ob2 = assertion
        self._check_issuer(assertion.issuer, run)
        if recipient is not None:
            subject = assertion.credential_subject
            self._check_recipient(subject.identifier, recipient, run, allow_md5=True)

    def _verify_proof_and_model(self, given: CredentialInput, run: _Run, *, now: datetime) -> None:
        if isinstance(given.value, str):
            if len(given.value) > self.max_bytes:  # decided elsewhere, under a container's limit
                raise FormatError(
                    f"The input is larger than the limit of {self.max_bytes} bytes.",
                    code="too_large",
                )
            self._verify_jwt(given.value, run)
        else:
            self._verify_json(given.value, run, now=now)

    def _verify_jwt(self, token: str, run: _Run) -> None:
        try:
            jwt = decode_vc_jwt(token, max_bytes=self.max_bytes, max_depth=self.max_depth)
        except FormatError:
            # Only now tell "a broken token" from "not a token at all" (the happy path skips
            # this scan of every character).
            if not _looks_like_jws(token):
                raise UnsupportedFormat(
                    "The input is neither a JSON credential nor a signed token (JWT).",
                    hint="Expected a JSON object or a compact JWS of three base64url parts.",
                ) from None
            raise
        run.proof_format = "vc-jwt"
        run.passed("format", "vc_jwt", _read(run, "a signed token (VC-JWT) holding a credential"))
        run.key = check_jwt_signature(jwt, self.resolver, algorithms=self.algorithms)
        run.unverified = jwt.unverified_credential
        try:
            reviewed = review_credential(jwt.unverified_credential)
        except SchemaError as exc:
            # The signature holds but the content is not OB 3.0: report it, stop here.
            run.passed("signature", *_signature_message(run.key))
            _not_reviewed(run)
            raise exc
        run.reviewed(reviewed)
        assert run.credential is not None
        run.notes = check_jwt_claims(jwt, run.credential)
        self._check_compromise(run, _jwt_signed_at(jwt.claims))
        run.passed("signature", *_signature_message(run.key))

    def _verify_json(self, document: Mapping[str, Any], run: _Run, *, now: datetime) -> None:
        run.proof_format = "data-integrity"
        run.passed(
            "format", "json_credential", _read(run, "a JSON credential with an embedded proof")
        )
        checked = check_data_integrity(
            document, self.resolver, self.canonicalizer, now=now, leeway=self.leeway
        )
        run.key = checked.key
        run.notes = (*run.notes, *checked.notes)
        self._check_compromise(run, checked.created)
        run.passed("signature", *_signature_message(run.key))
        run.unverified = document
        try:
            reviewed = review_credential(document)
        except SchemaError:
            _not_reviewed(run)
            raise
        run.reviewed(reviewed)

    def _check_compromise(self, run: _Run, signed_at: datetime | None) -> None:
        """A key its issuer reported compromised: refuse what it signed after that time.

        What it signed before stays valid with a warning (the signing time is the signer's own
        claim, which a thief could backdate — so the warning is always shown).
        """
        assert run.key is not None
        revoked = self.resolver.revoked_at(run.key)
        if revoked is None:
            return
        if signed_at is None or signed_at >= revoked:
            raise BadSignature(
                "The credential was signed with a key its issuer reported compromised.",
                code="key_compromised",
                hint=f"Key {run.key.kid} compromised at {revoked.isoformat()}; signed at "
                f"{signed_at.isoformat() if signed_at else 'an unstated time'}.",
            )
        run.notes = (
            *run.notes,
            f"Signed on {signed_at.date().isoformat()}, before the issuer reported this key "
            f"compromised on {revoked.date().isoformat()}; ask the issuer to re-issue it.",
        )

    def _check_raw_validity(self, document: Mapping[str, Any], run: _Run, *, now: datetime) -> None:
        """The validity window from raw ``validFrom``/``validUntil`` (or VC 1.1 names)."""
        start = _raw_date(document, "validFrom", "issuanceDate")
        end = _raw_date(document, "validUntil", "expirationDate")
        if start is not None and now + self.leeway < start:
            run.failed(NotYetValid(f"The credential is not valid until {start.isoformat()}."))
        elif end is not None and now - self.leeway > end:
            run.failed(Expired(f"The credential expired on {end.isoformat()}."))

    def _check_issuer(self, issuer: Profile, run: _Run, *, endorsement: bool = False) -> None:
        label = issuer.name or issuer.id
        if issuer.id in self.known_issuers:
            run.passed(
                "issuer", "issuer_known", f"Issued by {label}, an issuer this service knows."
            )
            return
        if endorsement and issuer.id in self.known_endorsers:
            run.passed(
                "issuer",
                "endorser_known",
                f"Endorsed by {label}, an endorser this service knows.",
            )
            return
        entry = self.trust_list.lookup(issuer.id) if self.trust_list is not None else None
        if entry is not None:
            assert self.trust_list is not None
            # The list's own name for the issuer: the credential's is the issuer's claim.
            run.passed(
                "issuer",
                "issuer_trusted",
                f"Issued by {entry.name or label}, a trusted issuer listed in "
                f"{entry.source(self.trust_list.name)}.",
                hint=f"Issuer id {issuer.id}" + (f"; {entry.note}" if entry.note else "") + ".",
            )
            return
        # Unknown is never shown as good: not failed, not passed.
        run.unknown(
            "issuer",
            "issuer_unknown",
            f"Signed by {label}, which is not on this service's list of known issuers.",
            hint=f"Issuer id {issuer.id}. Add it to the trust list if you trust it.",
        )

    def _check_status(
        self,
        credential: AnyCredential,
        run: _Run,
        *,
        now: datetime,
    ) -> None:
        raw = credential.raw.get("credentialStatus")
        if raw is None:
            run.outcomes["status"] = _NO_STATUS
            return
        try:
            result = self.status_checker.check(
                raw, credential_id=credential.id, issuer_id=credential.issuer.id, now=now
            )
        except StatusError as exc:
            run.failed(exc)  # revoked / suspended: failed; anything unknown: could_not_check
            return
        run.passed(
            "status",
            "not_revoked",
            result.summary,
            hint="; ".join(f"{e.purpose}: {e.list_url} #{e.index}" for e in result.entries),
        )

    def _check_endorsements(
        self,
        source: Mapping[str, Any],
        run: _Run,
        *,
        now: datetime,
        depth: int,
    ) -> None:
        embedded = _embedded_endorsements(source)
        if not embedded:
            run.outcomes["endorsements"] = _NO_ENDORSEMENTS
            return
        if depth >= _MAX_NESTING:
            run.unknown(
                "endorsements",
                "endorsements_too_deep",
                "Endorsements nested this deeply are not checked.",
            )
            return
        runs = [self._run(item, now=now, recipient=None, depth=depth + 1) for item in embedded]
        children = tuple(child.report() for child in runs)
        run.children = children
        failed = sum(1 for child in children if child.first_failure and not child.verified)
        # An endorsement speaks for what its subject names. One whose subject is none of the
        # objects it may sit on here (this credential, its issuer, its achievement, that
        # achievement's creator) was made for something else and copied in: a genuine signature
        # must not lend this credential someone's word (OB 3.0 §9 step 6 verifies each one;
        # this asks what it is about).
        endorsable = _endorsable_ids(source)
        unrelated = sum(
            1
            for child in runs
            if child.unverified is not None
            and _endorsed_id(child.unverified) is not None
            and _endorsed_id(child.unverified) not in endorsable
        )
        if unrelated:
            run.outcomes["endorsements"] = Check(
                "endorsements",
                "failed",
                "endorsement_unrelated",
                f"{unrelated} of {len(children)} endorsements endorse something other than this "
                "credential, its issuer or its achievement.",
            )
        elif any(
            c.status == "failed" and c.id not in NOTE_CHECKS
            for child in children
            for c in child.checks
        ):
            run.outcomes["endorsements"] = Check(
                "endorsements",
                "failed",
                "endorsement_invalid",
                f"{failed} of {len(children)} endorsements could not be verified.",
            )
        elif all(child.verified for child in children):
            run.passed(
                "endorsements",
                "endorsements_verified",
                f"All {len(children)} endorsements verified.",
            )
        else:
            run.unknown(
                "endorsements",
                "endorsements_unchecked",
                "Some endorsements could not be checked.",
            )

    def _check_recipient(
        self,
        identifiers: tuple[IdentityObject, ...],
        recipient: str,
        run: _Run,
        *,
        allow_md5: bool = False,
    ) -> None:
        match = recipient_matches(identifiers, recipient, allow_md5=allow_md5)
        if match is True:
            run.passed("recipient", "recipient_match", "The credential was issued to that address.")
        elif match is False:
            run.outcomes["recipient"] = Check(
                "recipient",
                "failed",
                "recipient_mismatch",
                "The credential was not issued to that address.",
            )
        else:
            run.unknown(
                "recipient",
                "no_email_identifier",
                "The credential does not name its recipient by an e-mail address we can check.",
            )


_JWS_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@dataclass(frozen=True, slots=True)
class CredentialInput:
    """One credential with its form decided: a JSON document or a compact JWS (``value``), and
    the baked image that carried it (``carrier``: "baked PNG" / "baked SVG"), if any.

    :func:`read_credential` makes one; :func:`verifier.inputs.classify` makes one while it
    sorts what a visitor handed over, so the form is decided once, never again by the Verifier.
    """

    value: Mapping[str, Any] | str
    carrier: str | None = None
    #: It came out of an Open Badges 2.0 baked image (then a bare URL is the hosted
    #: assertion's address, which :mod:`verifier.ob2` fetches).
    ob2: bool = False


def read_credential(
    data: str | bytes | Mapping[str, Any], *, max_bytes: int, max_depth: int
) -> CredentialInput:
    """Decide what one credential is: a JSON object, a compact JWS, or one of those baked
    into a PNG or SVG. Raises a :class:`~verifier.errors.FormatError` for anything else."""
    carrier = None
    ob2 = False
    if isinstance(data, str) and data.lstrip()[:1] == "<":
        data = data.encode("utf-8")  # a pasted SVG
    if isinstance(data, bytes) and _looks_like_image(data):
        # A baked badge (OB 3.0 "Baked Badge"): the credential it carries.
        extracted = extract_baked(data)
        carrier = f"baked {extracted.container.upper()}"
        data = extracted.content
        ob2 = extracted.kind == "ob2"
    if isinstance(data, Mapping):
        return CredentialInput(data, carrier)
    text = data.strip()
    if len(text) > max_bytes:
        raise FormatError(
            f"The input is larger than the limit of {max_bytes} bytes.", code="too_large"
        )
    if text[:1] in ("{", "[", b"{", b"["):
        document = parse_json(text, max_bytes=max_bytes, max_depth=max_depth, what="credential")
        if not isinstance(document, Mapping):
            raise MalformedJson("The credential is not a JSON object.")
        return CredentialInput(document, carrier, ob2)
    token = text if isinstance(text, str) else text.decode("ascii", "replace")
    return CredentialInput(token, carrier, ob2)


def _looks_like_jws(token: str) -> bool:
    """Three non-empty base64url parts (RFC 7515 §7.1), checked at C speed (no regex)."""
    if token.count(".") != 2 or not token.isascii():
        return False
    head, payload, signature = token.split(".")
    if not (head and payload and signature):
        return False
    return not token.encode("ascii").translate(None, _JWS_ALPHABET)


def _looks_like_image(data: bytes) -> bool:
    head = data[:64].lstrip()
    return data[1:4] == b"PNG" or head.startswith((b"<", b"\xef\xbb\xbf<"))


def _read(run: _Run, what: str) -> str:
    if run.container:
        return f"Read a {run.container} badge holding {what}."
    return f"Read {what}."


def _jwt_signed_at(claims: Mapping[str, Any]) -> datetime | None:
    for name in ("iat", "nbf"):
        value = claims.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, ValueError, OSError):
                # Outside the years a datetime holds: no usable signing time, which the
                # compromised-key check treats as unstated (and so refuses).
                return None
    return None


def _raw_date(document: Mapping[str, Any], *names: str) -> datetime | None:
    for name in names:
        value = document.get(name)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo is not None else None
    return None


def _embedded_endorsements(
    document: Mapping[str, Any],
) -> list[Mapping[str, Any] | str]:
    """Endorsements on the credential, its issuer, its achievement and the achievement's creator.

    OB 3.0 §9 step 6 asks for every embedded EndorsementCredential to be verified; they can sit
    on each of these objects (checklist §2.5; the 1EdTech validator walks ``$..endorsement``).
    Read from the JSON whose proof held, never from the model: the model reads a benign deviation
    as what it plainly means (:mod:`verifier.conformance`), and an endorsement so read would no
    longer match its own signature. The model has already accepted every one of these shapes.
    """
    holders: list[Any] = [document, document.get("issuer")]
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    # A CLR lists many achievements; its embedded credentials carry their own endorsements and
    # are verified as credentials of their own, not here.
    achievements = achievement if isinstance(achievement, list | tuple) else (achievement,)
    for item in achievements:
        if isinstance(item, Mapping):
            holders.append(item)
            holders.append(item.get("creator"))
    found: list[Mapping[str, Any] | str] = []
    for holder in holders:
        if not isinstance(holder, Mapping):
            continue
        for name, kind in (("endorsement", Mapping), ("endorsementJwt", str)):
            value = holder.get(name)
            items = value if isinstance(value, list | tuple) else (value,)
            found.extend(item for item in items if isinstance(item, kind))
    return found


def _endorsable_ids(document: Mapping[str, Any]) -> set[str]:
    """The ids of the objects an endorsement embedded in ``document`` may be about: the
    credential, its issuer, its achievement(s) and their creators (see
    :func:`_embedded_endorsements`)."""
    ids: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str):
            ids.add(value)
        elif isinstance(value, Mapping) and isinstance(value.get("id"), str):
            ids.add(value["id"])

    add(document.get("id"))
    add(document.get("issuer"))
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    for item in achievement if isinstance(achievement, list | tuple) else (achievement,):
        add(item)
        if isinstance(item, Mapping):
            add(item.get("creator"))
    return ids


def _endorsed_id(endorsement: Mapping[str, Any]) -> str | None:
    """What an endorsement is about: its ``credentialSubject.id`` (None when it has none)."""
    subject = endorsement.get("credentialSubject")
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def _not_reviewed(run: _Run) -> None:
    run.unknown(
        "conformance",
        "not_reviewed",
        "The content is not a credential of the Open Badges 3.0 data model, so it was not "
        "reviewed for deviations.",
    )


def _signature_message(key: PublicKey) -> tuple[str, str, str]:
    return (
        "signature_valid",
        "The signature is valid and was made with a key the issuer publishes.",
        f"{key.alg} key {key.kid}",
    )


def _schema_message(credential: AnyCredential) -> str:
    if isinstance(credential, ClrCredential):
        return "The content is a Comprehensive Learner Record in the CLR 2.0 data model."
    kind = "an endorsement" if isinstance(credential, EndorsementCredential) else "an Open Badge"
    return f"The content is {kind} in the Open Badges 3.0 data model."


def _window_message(
    credential: AnyCredential,
) -> tuple[str, str]:
    if credential.valid_until is None:
        return "valid_no_expiry", "The credential is valid now and does not expire."
    return (
        "valid_now",
        f"The credential is valid until {credential.valid_until.date().isoformat()}.",
    )
