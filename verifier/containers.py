"""Verifying what holds several credentials: a presentation, a CLR, a passport export.

Each credential inside is verified on its own by the same :class:`~verifier.verify.Verifier`
(never trusted because the container around it looks fine), and the container gets a report of
its own:

* **Verifiable Presentation** (VCDM 2.0 §4.13): if it carries a proof, it must be a Data
  Integrity ``eddsa-rdfc-2022`` proof with ``proofPurpose`` ``authentication`` made with a key
  the ``holder`` controls (VC Data Integrity §2.1; our learners sign with a did:key). An unsigned
  presentation is said to be unsigned — ``could_not_check``, never a pass: it proves nothing
  about who handed the badges over, only the badges themselves are proven.
* **CLR 2.0 ClrCredential**: the outer credential is verified like any credential (its proof,
  model, dates, status), and each embedded credential separately.
* **Passport JSON export** (``{"holder", "count", "credentials"}``, ``passport.exports``): not
  signed by anyone; each credential is also checked against the holder e-mail it names.

``verified`` for the whole is true only when the container check passed or could not be checked
without failing, and *every* credential verified. Enveloped VC-JWTs
(``EnvelopedVerifiableCredential`` with a ``data:application/vc+jwt,`` id) are unwrapped.

The same containers also come as a compact JWS (:func:`verify_container_jwt`): a presentation
as a VP-JWT — VC Data Model 1.1 §6.3.1 style (``vp`` claim, ``iss`` the holder, ``nonce`` /
``aud`` for challenge / domain) or a VC-JOSE-COSE payload that *is* the presentation — whose
JWS must be made with a key the holder's DID lists for ``authentication``; and a CLR as a VC-JWT,
verified as a credential like any VC-JWT, then split like its JSON form.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, TypeGuard

from keys.errors import InvalidSignature
from verifier.dataintegrity import check_data_integrity
from verifier.errors import (
    BadSignature,
    FormatError,
    KeyNotResolved,
    MalformedJwt,
    VerificationError,
)
from verifier.jsonparse import b64url_decode
from verifier.jwt import UnverifiedJwt, check_jose_header, decode_vc_jwt
from verifier.report import NOTE_CHECKS, Check, CheckLine, Report
from verifier.verify import CredentialInput, Verifier

__all__ = [
    "MAX_CONTAINER_CREDENTIALS",
    "MAX_CONTAINER_NESTING",
    "ContainerCheck",
    "ContainerKind",
    "ContainerReport",
    "OutcomeKind",
    "container_kind",
    "jwt_container_kind",
    "verify_container",
    "verify_container_jwt",
]

logger = logging.getLogger(__name__)

ContainerKind = Literal["presentation", "clr", "passport_export"]
#: What :func:`verifier.inputs.verify_any` reports on: a container, or one credential alone.
OutcomeKind = Literal["credential", "presentation", "clr", "passport_export"]

#: A passport of a few hundred badges is plenty; the request size limit bounds it anyway.
MAX_CONTAINER_CREDENTIALS: Final = 500
_ENVELOPED_PREFIXES: Final = ("data:application/vc+jwt,", "data:application/jwt,")
_AUTHENTICATION: Final = "authentication"
#: Proofs a holder may sign a presentation with: eddsa-rdfc-2022, and Ed25519Signature2020 (what
#: the Learner Credential Wallet signs its presentations with, on VC 1.1 and VC 2.0 alike; the
#: report notes the legacy suite, as it does for credentials).
_PRESENTATION_SUITES: Final = frozenset(
    {("DataIntegrityProof", "eddsa-rdfc-2022"), ("Ed25519Signature2020", None)}
)
#: `typ` of a VP-JWT (VC-JOSE-COSE §3.1.2 and drafts; plain JWT for VC 1.1 style).
_VP_TYP: Final = frozenset({"JWT", "vp+jwt", "vp+ld+jwt", "vp+ld+json+jwt"})
#: The holder's key comes from the holder's DID, never from the token (no ``jwk``).
_VP_HEADERS: Final = frozenset({"alg", "kid", "typ", "cty"})
#: Words a container payload must contain; a plain credential's payload is not JSON-parsed twice.
_CONTAINER_MARKERS: Final = (b'"vp"', b"VerifiablePresentation", b"ClrCredential")
#: A CLR in a presentation is split into its credentials, a CLR in that CLR too …; no further.
MAX_CONTAINER_NESTING: Final = 3


#: One line of a container's report: the same shape (and status rule) as a credential's check.
ContainerCheck = CheckLine


@dataclass(frozen=True, slots=True)
class ContainerReport:
    """The outcome for a container and, one by one, for every credential it holds.

    One credential handed over alone is a container of one (``kind`` ``credential``, no
    container checks): every caller reads ``credentials`` and never asks which it got.
    """

    kind: OutcomeKind
    verified: bool
    checks: tuple[ContainerCheck, ...]
    credentials: tuple[Report, ...]
    #: A CLR is itself a credential: its full report (None for presentations and exports).
    outer: Report | None = None
    #: Labels for the credentials, in order ("credential 1" …).
    labels: tuple[str, ...] = field(default=())

    @classmethod
    def of_one(cls, report: Report) -> ContainerReport:
        """The outcome of one credential handed over alone."""
        return cls("credential", report.verified, (), (report,), labels=("credential",))

    @property
    def is_container(self) -> bool:
        """True for a presentation, CLR or passport export; False for a lone credential."""
        return self.kind != "credential"

    def check(self, check_id: str) -> ContainerCheck | None:
        """The container check with that id, or None."""
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """A lone credential's report as it is; for a container ``{verified, kind,
        container: <report>, credentials: [<report>…]}``."""
        if not self.is_container:
            return self.credentials[0].to_dict()
        container: dict[str, Any] = {
            "verified": self.verified,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.outer is not None:
            container["credential"] = self.outer.to_dict()
        out: dict[str, Any] = {
            "verified": self.verified,
            "kind": self.kind,
            "container": container,
            "credentials": [r.to_dict() for r in self.credentials],
        }
        if self.outer is not None and "credential" in container["credential"]:
            # A CLR is also one credential: its summary where a single report keeps it.
            out["credential"] = container["credential"]["credential"]
        return out


def container_kind(document: Mapping[str, Any]) -> ContainerKind | None:
    """Which container ``document`` is, or None when it is (at most) one credential."""
    types = document.get("type")
    names = (types,) if isinstance(types, str) else tuple(types) if isinstance(types, list) else ()
    if "VerifiablePresentation" in names:
        return "presentation"
    if "ClrCredential" in names:
        return "clr"
    if not names and isinstance(document.get("credentials"), list):
        return "passport_export"
    return None


def _unwrap(item: Any) -> Mapping[str, Any] | str | None:
    """A credential as the Verifier takes it (JSON object or compact JWS), or None."""
    if isinstance(item, str):
        return item.strip()
    if not isinstance(item, Mapping):
        return None
    types = item.get("type")
    if types == "EnvelopedVerifiableCredential" or (
        isinstance(types, list) and "EnvelopedVerifiableCredential" in types
    ):
        ident = item.get("id")
        if isinstance(ident, str):
            for prefix in _ENVELOPED_PREFIXES:
                if ident.startswith(prefix):
                    return ident[len(prefix) :]
        return None
    return item


def _members(kind: ContainerKind, document: Mapping[str, Any]) -> Any:
    if kind == "presentation":
        return document.get("verifiableCredential")
    if kind == "clr":
        subject = document.get("credentialSubject")
        return subject.get("verifiableCredential") if isinstance(subject, Mapping) else None
    return document.get("credentials")


def verify_container(
    verifier: Verifier,
    document: Mapping[str, Any],
    *,
    now: datetime,
    recipient: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    carrier: str | None = None,
) -> ContainerReport:
    """Verify a presentation, CLR or passport export and each credential in it.

    Never raises for bad input: every problem is a check in the returned report. ``challenge``
    and ``domain``, when given, must match a signed presentation's proof (replay protection).
    ``carrier`` names the baked image a CLR came in ("baked PNG"), for its report. Raises
    ``ValueError`` only when ``document`` is no container at all (see :func:`container_kind`).
    """
    kind = container_kind(document)
    if kind is None:
        raise ValueError("not a presentation, CLR or passport export")
    outer: Report | None = None
    holder: str | None = None
    if kind == "clr":
        outer = verifier.report(CredentialInput(document, carrier), now=now, recipient=recipient)
        first = _outer_check(outer)
    elif kind == "presentation":
        first = _presentation_proof(verifier, document, now, challenge, domain)
        holder = _holder_id(document) if first.status == "passed" else None
    else:
        first = ContainerCheck(
            "signature",
            "could_not_check",
            "export_unsigned",
            "A passport export is a plain file: nobody signed the collection, only each "
            "badge in it is signed by its issuer.",
        )
    return _with_members(
        verifier, kind, document, first, outer, now=now, recipient=recipient, holder=holder
    )


def jwt_container_kind(
    token: str, *, max_bytes: int, max_depth: int
) -> tuple[ContainerKind, UnverifiedJwt, Mapping[str, Any]] | None:
    """For a compact JWS holding a presentation or a CLR: its kind, the decoded token and the
    (unverified) container document; None for anything else, a plain VC-JWT or an unreadable
    token included (the Verifier reports those)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = b64url_decode(parts[1].encode("ascii", "replace"), what="payload")
    except FormatError:
        return None
    if not any(marker in payload for marker in _CONTAINER_MARKERS):
        return None  # the common case, a badge: decided without parsing JSON
    try:
        jwt = decode_vc_jwt(token, max_bytes=max_bytes, max_depth=max_depth)
    except FormatError:
        return None
    vp = jwt.claims.get("vp")
    if isinstance(vp, Mapping) and container_kind(vp) == "presentation":
        return "presentation", jwt, vp  # VC 1.1 style: the presentation in the vp claim
    kind = container_kind(jwt.unverified_credential)
    if kind in ("presentation", "clr"):
        return kind, jwt, jwt.unverified_credential
    return None


def verify_container_jwt(
    verifier: Verifier,
    token: str,
    *,
    now: datetime,
    recipient: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    max_bytes: int | None = None,
    carrier: str | None = None,
) -> ContainerReport:
    """Verify a presentation (VP-JWT) or a CLR (VC-JWT) sent as a compact JWS, and each
    credential in it. The outer JWS of a presentation must be the holder's; a CLR's is checked
    as any VC-JWT's. ``max_bytes`` bounds the token (default: the verifier's limit for one
    credential); ``carrier`` names the baked image a CLR came in. Never raises for bad input;
    raises ``ValueError`` only when the token holds no presentation or CLR within that limit
    (see :func:`jwt_container_kind`)."""
    found = jwt_container_kind(
        token, max_bytes=max_bytes or verifier.max_bytes, max_depth=verifier.max_depth
    )
    if found is None:
        raise ValueError("not a presentation or CLR token")
    kind, jwt, document = found
    outer: Report | None = None
    holder: str | None = None
    if kind == "clr":
        outer = verifier.report(
            CredentialInput(token.strip(), carrier), now=now, recipient=recipient
        )
        first = _outer_check(outer)
    else:
        first = _presentation_jws(verifier, jwt, document, now, challenge, domain)
        if first.status == "passed":
            iss = jwt.claims.get("iss")
            holder = _holder_id(document) or (iss if isinstance(iss, str) else None)
    return _with_members(
        verifier, kind, document, first, outer, now=now, recipient=recipient, holder=holder
    )


def _with_members(
    verifier: Verifier,
    kind: ContainerKind,
    document: Mapping[str, Any],
    first: ContainerCheck,
    outer: Report | None,
    *,
    now: datetime,
    recipient: str | None,
    holder: str | None = None,
    nesting: int = 0,
) -> ContainerReport:
    checks = [first]
    raw_members = _members(kind, document)
    items = raw_members if isinstance(raw_members, list) else []
    if recipient is None and kind == "passport_export":
        owner = document.get("holder")  # an export names its holder by e-mail
        recipient = owner if isinstance(owner, str) and "@" in owner else None
    reports: list[Report] = []
    labels: list[str] = []
    nested_ok = True
    unreadable = 0
    if len(items) > MAX_CONTAINER_CREDENTIALS:
        checks.append(
            ContainerCheck(
                "credentials",
                "failed",
                "too_many_credentials",
                f"The file holds {len(items)} credentials; at most "
                f"{MAX_CONTAINER_CREDENTIALS} are verified in one go.",
            )
        )
        items = []
    for n, item in enumerate(items, 1):
        credential = _unwrap(item)
        if credential is None:
            unreadable += 1
            credential = "not a credential"  # reported as an unreadable input
        inner = _nested_clr(verifier, credential, now=now, recipient=recipient, nesting=nesting)
        if inner is None:
            report = verifier.report(credential, now=now, recipient=recipient)
            reports.append(report)
            labels.append(_label(report, n))
            continue
        # A CLR inside a container is a container too: the CLR's proof and each credential
        # it holds are verified, each on its own, and listed here in the CLR's place.
        nested_ok = nested_ok and inner.verified
        assert inner.outer is not None
        reports.append(inner.outer)
        labels.append(_label(inner.outer, n))
        reports.extend(inner.credentials)
        labels.extend(f"{n}.{label}" for label in inner.labels)
    checks.append(_members_check(kind, reports, raw_members, document))
    if holder is not None and reports:
        checks.append(_binding_check(holder, reports))
    verified = (
        all(c.status != "failed" for c in checks)
        and bool(reports)
        and all(r.verified for r in reports)
        and (outer is None or outer.verified)
        and nested_ok
    )
    return ContainerReport(kind, verified, tuple(checks), tuple(reports), outer, tuple(labels))


def _nested_clr(
    verifier: Verifier,
    credential: Mapping[str, Any] | str,
    *,
    now: datetime,
    recipient: str | None,
    nesting: int,
) -> ContainerReport | None:
    """The outcome of a CLR held in a container (JSON or VC-JWT), or None for anything else."""
    if isinstance(credential, str):
        found = jwt_container_kind(
            credential, max_bytes=verifier.max_bytes, max_depth=verifier.max_depth
        )
        if found is None or found[0] != "clr":
            return None
        kind, _, document = found
    elif container_kind(credential) == "clr":
        kind, document = "clr", credential
    else:
        return None
    if nesting >= MAX_CONTAINER_NESTING:
        refused = Report.from_outcomes(
            {
                "format": Check(
                    "format",
                    "failed",
                    "too_deep",
                    "A CLR held in a container held in another this deeply is not verified.",
                )
            },
            proof_format=None,
            credential=None,
            skipped_reason="The input could not be read, so this was not checked.",
        )
        return ContainerReport("clr", False, (), (), refused, ())
    outer = verifier.report(credential, now=now, recipient=recipient)
    return _with_members(
        verifier,
        kind,
        document,
        _outer_check(outer),
        outer,
        now=now,
        recipient=recipient,
        nesting=nesting + 1,
    )


def _holder_id(document: Mapping[str, Any]) -> str | None:
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return holder if isinstance(holder, str) and holder else None


def _binding_check(holder: str, reports: Sequence[Report]) -> ContainerCheck:
    """Are the badges the holder's own? Each credential's subject ``id`` against the holder
    whose signature on the presentation held (VC Data Model 2.0 §"Subject-Holder
    Relationships": a verifier decides; a hiring manager is asking about this candidate)."""
    mismatched = named_by_other_means = 0
    for report in reports:
        subject = getattr(report.credential, "credential_subject", None)
        subject_id = getattr(subject, "id", None)
        if subject_id is None:
            named_by_other_means += 1
        elif subject_id != holder:
            mismatched += 1
    total = len(reports)
    if mismatched:
        return ContainerCheck(
            "holder_binding",
            "failed",
            "subject_not_holder",
            f"{mismatched} of {total} credentials name someone other than the presentation's "
            "holder as their subject.",
            hint=f"holder {holder}",
        )
    if named_by_other_means:
        return ContainerCheck(
            "holder_binding",
            "could_not_check",
            "subject_not_a_did",
            f"{named_by_other_means} of {total} credentials do not name their subject by a DID "
            "(an e-mail address or nothing), so the holder's signature cannot show they are "
            "the holder's own; check the recipient instead.",
            hint=f"holder {holder}",
        )
    return ContainerCheck(
        "holder_binding",
        "passed",
        "holder_is_subject",
        "Every credential names the presentation's holder as its subject.",
        hint=f"holder {holder}",
    )


def _label(report: Report, n: int) -> str:
    credential = report.credential
    name = getattr(credential, "name", None) if credential is not None else None
    return f"{n}. {name}" if name else f"{n}. credential"


def _outer_check(outer: Report) -> ContainerCheck:
    if outer.verified:
        return ContainerCheck(
            "signature",
            "passed",
            "clr_verified",
            "The CLR itself is signed by its issuer and verified.",
        )
    first = outer.first_failure
    failed = any(c.status == "failed" and c.id not in NOTE_CHECKS for c in outer.checks)
    status = "failed" if failed else "could_not_check"
    return ContainerCheck(
        "signature",
        status,
        "clr_not_verified",
        "The CLR itself did not verify: " + (first.message if first else "see its report."),
    )


def _members_check(
    kind: ContainerKind, reports: Sequence[Report], raw: Any, document: Mapping[str, Any]
) -> ContainerCheck:
    if not isinstance(raw, list) or not reports:
        return ContainerCheck(
            "credentials",
            "failed",
            "no_credentials",
            "The file holds no credentials to verify.",
        )
    if kind == "passport_export":
        count = document.get("count")
        if isinstance(count, int) and count != len(reports):
            return ContainerCheck(
                "credentials",
                "failed",
                "count_mismatch",
                f"The export says it holds {count} credentials but holds {len(reports)}.",
            )
    good = sum(1 for r in reports if r.verified)
    if good == len(reports):
        return ContainerCheck(
            "credentials",
            "passed",
            "all_verified",
            f"All {len(reports)} credentials verified on their own.",
        )
    return ContainerCheck(
        "credentials",
        "failed",
        "some_not_verified",
        f"{len(reports) - good} of {len(reports)} credentials did not verify; the others did.",
    )


def _presentation_proof(
    verifier: Verifier,
    document: Mapping[str, Any],
    now: datetime,
    challenge: str | None,
    domain: str | None,
) -> ContainerCheck:
    """The holder's proof on a presentation (VC Data Integrity §2.1, purpose authentication)."""
    proof = document.get("proof")
    if proof is None and (challenge is not None or domain is not None):
        # The caller asked for a presentation made for their challenge: an unsigned one
        # answers nothing and could be a copy replayed from anyone (issue #15, item 5).
        return ContainerCheck(
            "signature",
            "failed",
            "presentation_not_bound",
            "The presentation is not signed by its holder, so it does not answer your "
            "challenge: it could be a copy made for someone else.",
        )
    if proof is None:
        return ContainerCheck(
            "signature",
            "could_not_check",
            "presentation_unsigned",
            "The presentation is not signed by its holder, so who handed these badges over is "
            "not proven; each badge is still checked on its own.",
        )
    proofs = proof if isinstance(proof, list) and proof else [proof]
    first_error: VerificationError | None = None
    holder: str | None = None
    for item in proofs:  # a proof set: any one valid proof suffices (VC Data Integrity §2.1.1)
        try:
            holder = _check_presentation_proof(verifier, document, item, now, challenge, domain)
            break
        except VerificationError as exc:
            first_error = first_error or exc
    if holder is None:
        assert first_error is not None
        status = "could_not_check" if first_error.inconclusive else "failed"
        return ContainerCheck(
            "signature", status, first_error.code, first_error.message, first_error.hint
        )
    return ContainerCheck(
        "signature",
        "passed",
        "presentation_signed",
        "The presentation is signed by its holder.",
        hint=f"holder {holder}",
    )


def _check_presentation_proof(
    verifier: Verifier,
    document: Mapping[str, Any],
    proof: Any,
    now: datetime,
    challenge: str | None,
    domain: str | None,
) -> str:
    if not isinstance(proof, Mapping):
        raise BadSignature("The presentation's proof is not readable.", code="bad_proof")
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if not isinstance(holder, str):
        raise BadSignature("A signed presentation must name its holder.", code="no_holder")
    suite = (proof.get("type"), proof.get("cryptosuite"))
    if not all(isinstance(part, str | None) for part in suite) or suite not in _PRESENTATION_SUITES:
        raise BadSignature(
            "The presentation's proof uses a signature suite we do not accept.",
            code="unknown_cryptosuite",
        )
    if proof.get("proofPurpose") != _AUTHENTICATION:
        raise BadSignature(
            "The presentation's proof was not made for authentication.",
            code="wrong_proof_purpose",
        )
    if challenge is not None and proof.get("challenge") != challenge:
        raise BadSignature(
            "The presentation was made for another request (its challenge differs).",
            code="challenge_mismatch",
        )
    if domain is not None and proof.get("domain") != domain:
        raise BadSignature(
            "The presentation was made for another verifier (its domain differs).",
            code="domain_mismatch",
        )
    # The eddsa-rdfc-2022 rules (dates, key of the holder listed for authentication, proof
    # value, canonical hashes) are the credentials' own, applied to this one proof.
    single = {**{k: v for k, v in document.items() if k != "proof"}, "proof": proof}
    check_data_integrity(
        single,
        verifier.resolver,
        verifier.canonicalizer,
        now=now,
        leeway=verifier.leeway,
        purpose=_AUTHENTICATION,
        controller=holder,
    )
    return holder


def _presentation_jws(
    verifier: Verifier,
    jwt: UnverifiedJwt,
    document: Mapping[str, Any],
    now: datetime,
    challenge: str | None,
    domain: str | None,
) -> ContainerCheck:
    """The holder's signature on a VP-JWT, as a container check (never raises)."""
    try:
        holder = _check_presentation_jws(verifier, jwt, document, now, challenge, domain)
    except VerificationError as exc:
        status = "could_not_check" if exc.inconclusive else "failed"
        return ContainerCheck("signature", status, exc.code, exc.message, exc.hint)
    return ContainerCheck(
        "signature",
        "passed",
        "presentation_signed",
        "The presentation is signed by its holder.",
        hint=f"holder {holder} (JWT)",
    )


def _check_presentation_jws(
    verifier: Verifier,
    jwt: UnverifiedJwt,
    document: Mapping[str, Any],
    now: datetime,
    challenge: str | None,
    domain: str | None,
) -> str:
    """Check a VP-JWT's header, holder, key, signature and claims; return the holder id.

    VC Data Model 1.1 §6.3.1 (``iss`` is the holder, ``nonce``/``aud`` carry the challenge and
    domain) and VC-JOSE-COSE §3.1.2 (the payload is the presentation, ``holder`` inside). The
    alg must be allowed and match the holder's key; the key is taken from the holder's DID
    (``authentication``), never from the token.
    """
    header, claims = jwt.header, jwt.claims
    alg = check_jose_header(
        header,
        algorithms=verifier.algorithms,
        known=_VP_HEADERS,
        accepted_typ=_VP_TYP,
        what="presentation",
        allowed_by="a presentation token",
    )
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    iss = claims.get("iss")
    if holder is None:
        holder = iss
    if not isinstance(holder, str) or not holder:
        raise BadSignature("A signed presentation must name its holder.", code="no_holder")
    if iss is not None and iss != holder:
        raise BadSignature(
            "The presentation token's issuer is not the presentation's holder.",
            code="holder_mismatch",
            hint=f"iss {iss!r}; holder {holder!r}.",
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith("did:"):
        raise KeyNotResolved(
            "The presentation token does not name the holder's key (a DID URL kid).",
            code="unknown_kid",
        )
    key = verifier.resolver.verification_method(kid, holder, relationship=_AUTHENTICATION)
    if key.alg != alg:
        raise KeyNotResolved(
            f"The holder's key is for {key.alg}, but the token says {alg}.",
            code="key_alg_mismatch",
        )
    try:
        key.verify(jwt.signature, jwt.signing_input)
    except InvalidSignature as exc:
        raise BadSignature(
            "The presentation's signature does not match its content.", code="bad_signature"
        ) from exc
    # Signed: now its claims mean something.
    if challenge is not None and claims.get("nonce", document.get("nonce")) != challenge:
        raise BadSignature(
            "The presentation was made for another request (its challenge differs).",
            code="challenge_mismatch",
        )
    if domain is not None:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if domain not in audiences:
            raise BadSignature(
                "The presentation was made for another verifier (its domain differs).",
                code="domain_mismatch",
            )
    _check_vp_times(claims, now, verifier.leeway.total_seconds())
    return holder


def _check_vp_times(claims: Mapping[str, Any], now: datetime, leeway: float) -> None:
    stamp = now.timestamp()
    for name in ("iat", "nbf"):
        value = claims.get(name)
        if _numeric(value) and value > stamp + leeway:
            raise BadSignature(
                "The presentation says it was made in the future.", code="created_in_future"
            )
    exp = claims.get("exp")
    if exp is not None and not _numeric(exp):
        raise MalformedJwt("The presentation token's exp claim is not a date.", code="bad_exp")
    if _numeric(exp) and exp < stamp - leeway:
        raise BadSignature(
            "The presentation expired; ask the holder to present the badges again.",
            code="presentation_expired",
        )


def _numeric(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
