"""Open Badges 2.0, read-only: hosted and signed assertions, checked as the OB 2.0 spec says.

Most badges in circulation (Credly, Badgr, Open Badge Factory, Moodle) are OB 2.0 assertions,
often baked into a PNG or SVG (:mod:`verifier.baked`). This module checks one and reports it with
the same check ids as an OB 3.0 credential (:mod:`verifier.report`), so pages and JSON consumers
read it unchanged; :class:`verifier.verify.Verifier` hands OB 2.0 input here and adds the checks
that are the same for every credential (``issuer``, ``recipient``).

One module, past 800 lines, on purpose: OB 2.0 verification is one algorithm read top to
bottom (recognise → read the three documents → hosted or signed rule → revocation), and the
checker shares some twenty reading helpers with the reading half; a split would turn those
private helpers into a public seam that nothing else should call.

What is checked (1EdTech "Open Badges Specification v2.0", §§ "Verification", "HostedBadge
Verification", "SignedBadge Verification", "Revoking Hosted Assertions", "Revocation List";
examples from its "Examples" document):

1. ``format`` — an assertion: JSON whose ``@context`` is ``https://w3id.org/openbadges/v2``, a
   compact JWS whose payload is one, or the hosted assertion's URL (an SVG ``verify``
   attribute). Open Badges 1.x is named and refused.
2. ``signature`` — authenticity, by the method the assertion declares in ``verification``
   (alias ``verify``):

   * **hosted** (``hosted`` / ``HostedBadge``): "the input data should only be trusted to
     identify the URI of the hosted verification file": the assertion is fetched from its
     ``id`` and the hosted copy is what is reported. What was handed over must agree with it
     (recipient, badge, dates, evidence: :data:`_COMPARED`), else ``hosted_mismatch``. The
     BadgeClass and the issuer Profile are fetched from their ids, and the assertion ``id`` must
     be in the scope the issuer's ``verification`` object allows (``startsWith``,
     ``allowedOrigins``), by default the issuer Profile's origin. There is no signature: the
     check's message says "hosted verification".
   * **signed** (``signed`` / ``SignedBadge``): a JWS over the assertion. Its ``alg`` must be on
     the verifier's allow-list (RS256 is OB 2.0's; ES256 and EdDSA if the key is of that type).
     The issuer Profile is always fetched from its id ("publicKeys referenced in an embedded
     issuer Profile should not be trusted"); the key is ``verification.creator`` if given — it
     must be one of the Profile's ``publicKey`` entries — else each of those. A key document is
     a ``CryptographicKey`` whose ``owner`` (when stated) is the issuer and whose
     ``publicKeyPem`` holds the key.

3. ``schema`` — the assertion, BadgeClass and issuer Profile have what their meaning needs
   (ids, recipient, badge, issuer, dates with a time zone). Properties the spec requires but
   that do not change who awarded what to whom (BadgeClass ``description``/``image``/
   ``criteria``, issuer ``name``/``url``/``email``) are reported as notes, not failures.
4. ``validity_window`` — ``issuedOn`` not in the future, ``expires`` not past.
5. ``status`` — hosted: HTTP 410 or ``revoked: true`` on the hosted copy; signed: the issuer
   Profile's ``revocationList`` (by ``id``, or legacy ``uid``).
6. ``endorsements`` — OB 2.0 endorsements are separate documents; when a badge object carries
   any they are reported as not checked.

Every document is fetched through the verifier's fetcher (:class:`verifier.fetch.SafeFetcher`
in the app: https only, no private addresses, size and time limits). No JSON-LD processing is
done: OB 2.0 verification does not need it, and the context is never fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from keys import PublicKey, check_algorithm
from keys.errors import InvalidKey, InvalidSignature, UnsupportedAlgorithm
from verifier.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    FetchError,
    FetchGone,
    FetchUnreachable,
    FormatError,
    KeyNotResolved,
    MalformedJwt,
    Ob2Unreachable,
    Revoked,
    SchemaViolation,
    StatusListInvalid,
    StatusUnavailable,
    UnsupportedFormat,
    VerificationError,
)
from verifier.jsonparse import b64url_decode, b64url_json
from verifier.model import (
    Achievement,
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
)
from verifier.report import Check
from verifier.resolve import DocumentFetcher
from verifier.validity import check_validity

__all__ = [
    "OB2_CONTEXTS",
    "Ob2Assertion",
    "Ob2Checker",
    "Ob2Input",
    "Ob2Outcome",
    "Ob2Subject",
    "recognise_ob2",
]

logger = logging.getLogger(__name__)

#: The OB 2.0 JSON-LD context (and the address it was first published at).
OB2_CONTEXTS: Final = frozenset(
    {"https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json"}
)
_OB1_CONTEXTS: Final = frozenset(
    {"https://w3id.org/openbadges/v1", "https://openbadgespec.org/v1/context.json"}
)
_HOSTED: Final = frozenset({"hosted", "HostedBadge"})
_SIGNED: Final = frozenset({"signed", "SignedBadge"})
#: Properties of a handed-over hosted assertion that must equal the hosted copy's. ``badge`` is
#: compared by id (one copy may embed the BadgeClass, the other link it); ``image`` is not
#: compared (a baked copy may carry the image as a data URI).
_COMPARED: Final = ("id", "recipient", "badge", "issuedOn", "expires", "evidence", "narrative")
#: Keys tried when a Profile lists several and the assertion names none.
_MAX_KEYS: Final = 5
#: OB 2.0 "Profile Identifier Properties" → OB 3.0 IdentifierTypeEnum (e-mail only differs).
_IDENTITY_TYPES: Final = {"email": "emailAddress"}

Ob2Kind = Literal["json", "jws", "url"]


# -- what was handed over -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ob2Input:
    """An OB 2.0 assertion as handed over, not yet checked: its JSON (``json``), the compact JWS
    (``jws``, with the decoded payload), or the hosted assertion's URL (``url``)."""

    kind: Ob2Kind
    unverified: Mapping[str, Any] | None
    text: str | None = None


def _contexts(document: Mapping[str, Any]) -> set[str]:
    context = document.get("@context")
    items = context if isinstance(context, list) else [context]
    return {c for c in items if isinstance(c, str)}


def _is_ob1(document: Mapping[str, Any]) -> bool:
    if _contexts(document) & _OB1_CONTEXTS:
        return True
    # OB 1.0: no @context, a plain-string recipient or a ``verify`` object with a ``url``.
    verify = document.get("verify")
    return (
        "@context" not in document
        and "badge" in document
        and "recipient" in document
        and (isinstance(document.get("recipient"), str) or isinstance(verify, Mapping))
    )


def _is_ob2(document: Mapping[str, Any]) -> bool:
    if _contexts(document) & OB2_CONTEXTS:
        return True
    # Without a context: an Assertion with OB 2.0's verification object (some issuers omit it).
    return (
        "@context" not in document
        and document.get("type") == "Assertion"
        and isinstance(document.get("verification"), Mapping)
    )


def _refuse_ob1() -> UnsupportedFormat:
    return UnsupportedFormat(
        "This is an Open Badges 1.x assertion; only Open Badges 2.0 and 3.0 badges are read.",
        code="ob1_unsupported",
    )


def recognise_ob2(
    value: Mapping[str, Any] | str, *, baked_ob2: bool, max_bytes: int, max_depth: int
) -> Ob2Input | None:
    """The OB 2.0 input ``value`` is, or None when it is no OB 2.0 assertion.

    ``baked_ob2`` says the value came out of an OB 2.0 baked image: only then is a bare URL an
    assertion's address (a pasted link is the caller's to follow or not). Raises
    :class:`~verifier.errors.UnsupportedFormat` (``ob1_unsupported``) for Open Badges 1.x.
    """
    if isinstance(value, Mapping):
        if _is_ob2(value):
            return Ob2Input("json", value)
        if _is_ob1(value):
            raise _refuse_ob1()
        return None
    text = value.strip()
    if baked_ob2 and text.startswith(("https://", "http://")):
        return Ob2Input("url", None, text)
    if text.count(".") != 2:
        return None
    payload_part = text.split(".")[1].encode("ascii", "replace")
    try:
        payload = b64url_decode(payload_part, what="payload")
    except FormatError:
        return None
    # Most tokens are OB 3.0 VC-JWTs: look for the OB 2.0 words before parsing anything.
    if b"openbadges" not in payload and b"Assertion" not in payload:
        return None
    try:
        document = b64url_json(
            payload_part, what="payload", max_bytes=max_bytes, max_depth=max_depth
        )
    except FormatError:
        return None
    if _is_ob2(document):
        return Ob2Input("jws", document, text)
    if _is_ob1(document):
        raise _refuse_ob1()
    return None


# -- the model ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Ob2Subject:
    """The recipient of an OB 2.0 assertion, shaped like an OB 3.0 AchievementSubject for the
    report and pages: the BadgeClass as ``achievement``, the IdentityObject as ``identifier``."""

    achievement: Achievement
    identifier: tuple[IdentityObject, ...]
    type: tuple[str, ...] = ("AchievementSubject",)
    id: str | None = None
    result: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ob2Assertion:
    """An OB 2.0 Assertion with its BadgeClass and issuer Profile, as the issuer publishes them
    (hosted) or signed them (signed). Named like the OB 3.0 model where the meaning is the same:
    ``valid_from`` is ``issuedOn``, ``valid_until`` is ``expires``."""

    id: str
    type: tuple[str, ...]
    verification: Literal["hosted", "signed"]
    issuer: Profile
    valid_from: datetime
    credential_subject: Ob2Subject
    valid_until: datetime | None = None
    image: Image | None = None
    evidence: tuple[Evidence, ...] = ()
    narrative: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def name(self) -> str:
        return self.credential_subject.achievement.name

    @property
    def description(self) -> str:
        return self.credential_subject.achievement.description


@dataclass(slots=True)
class Ob2Outcome:
    """What :meth:`Ob2Checker.check` found: report lines per check id, the errors behind the
    failed ones, the assertion (when it could be read) and notes."""

    checks: dict[str, Check] = field(default_factory=dict)
    errors: dict[str, VerificationError] = field(default_factory=dict)
    proof_format: str | None = None
    assertion: Ob2Assertion | None = None
    key: PublicKey | None = None
    notes: list[str] = field(default_factory=list)
    #: The BadgeClass and issuer Profile documents read (scanned for endorsements).
    linked: tuple[Mapping[str, Any], ...] = ()

    def passed(self, check_id: str, code: str, message: str, hint: str | None = None) -> None:
        self.checks[check_id] = Check(check_id, "passed", code, message, hint)

    def unknown(self, check_id: str, code: str, message: str, hint: str | None = None) -> None:
        self.checks[check_id] = Check(check_id, "could_not_check", code, message, hint)

    def failed(self, error: VerificationError, check_id: str | None = None) -> None:
        check_id = check_id or error.check
        status = "could_not_check" if error.inconclusive else "failed"
        self.checks[check_id] = Check(check_id, status, error.code, error.message, error.hint)
        self.errors[check_id] = error


# -- reading the documents ----------------------------------------------------------------------
def _bad(message: str, code: str, hint: str | None = None) -> SchemaViolation:
    return SchemaViolation(message, code=code, hint=hint)


def _types(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(v for v in items if isinstance(v, str))


def _text(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _id_of(value: object) -> str | None:
    """The id of an ``@id`` property given as an IRI string or an embedded object."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Mapping):
        found = value.get("id")
        return found.strip() if isinstance(found, str) and found.strip() else None
    return None


def _date(document: Mapping[str, Any], name: str, what: str) -> datetime | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(
            f"The {what}'s {name} is not a date with a time zone (Open Badges 2.0 requires one).",
            "bad_date",
            hint=f"{name}: {str(value)[:40]!r}; numeric (Unix) dates are Open Badges 1.x.",
        )
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _bad(
            f"The {what}'s {name} is not a date with a time zone (Open Badges 2.0 requires one).",
            "bad_date",
            hint=f"{name}: {value[:40]!r}",
        )
    return parsed


def _image(value: object) -> Image | None:
    if isinstance(value, str) and value.strip():
        return Image(id=value.strip())
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        caption = value.get("caption")
        return Image(id=value["id"], caption=caption if isinstance(caption, str) else None)
    return None


def _many(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _evidence(value: object) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    for item in _many(value):
        if isinstance(item, str) and item.strip():
            found.append(Evidence(type=("Evidence",), id=item.strip()))
        elif isinstance(item, Mapping):
            fields = {
                k: item[k]
                for k in ("id", "narrative", "name", "description", "genre", "audience")
                if isinstance(item.get(k), str)
            }
            found.append(Evidence(type=("Evidence",), **fields))
    return tuple(found)


def _alignments(value: object, notes: list[str]) -> tuple[Alignment, ...]:
    found: list[Alignment] = []
    for item in _many(value):
        if not isinstance(item, Mapping):
            continue
        name, url = _text(item, "targetName"), _text(item, "targetUrl")
        if name is None or url is None:
            notes.append("An alignment of the BadgeClass lacks its targetName or targetUrl.")
            continue
        found.append(
            Alignment(
                type=("AlignmentObject",),
                target_name=name,
                target_url=url,
                target_code=_text(item, "targetCode"),
                target_description=_text(item, "targetDescription"),
                target_framework=_text(item, "targetFramework"),
            )
        )
    return tuple(found)


def _criteria(value: object) -> Criteria | None:
    if isinstance(value, str) and value.strip():
        return Criteria(id=value.strip())
    if isinstance(value, Mapping):
        return Criteria(id=_text(value, "id"), narrative=_text(value, "narrative"))
    return None


def _recipient(document: Mapping[str, Any], notes: list[str]) -> IdentityObject:
    recipient = document.get("recipient")
    if not isinstance(recipient, Mapping):
        raise _bad("The assertion does not name its recipient.", "missing_field", "recipient")
    identity, kind = recipient.get("identity"), recipient.get("type")
    if not isinstance(identity, str) or not identity or not isinstance(kind, str) or not kind:
        raise _bad(
            "The assertion's recipient has no identity or no identity type.",
            "missing_field",
            "recipient.identity / recipient.type",
        )
    hashed = recipient.get("hashed")
    algorithm = identity.partition("$")[0].lower() if "$" in identity else ""
    if not isinstance(hashed, bool):
        # Required by OB 2.0; some issuers leave it out. The identity's form says which it is.
        hashed = algorithm in ("sha256", "md5")
        notes.append("The recipient does not say whether its identity is hashed (inferred).")
    if hashed and algorithm not in ("sha256", "md5"):
        raise _bad(
            "The recipient's identity hash names no algorithm Open Badges 2.0 allows.",
            "bad_identity_hash",
            hint="Expected 'sha256$<hex>' or 'md5$<hex>'.",
        )
    salt = recipient.get("salt")
    return IdentityObject(
        type=("IdentityObject",),
        hashed=hashed,
        identity_hash=identity,
        identity_type=_IDENTITY_TYPES.get(kind, kind),
        salt=salt if isinstance(salt, str) else None,
    )


def _profile(document: Mapping[str, Any], notes: list[str]) -> Profile:
    profile_id = _text(document, "id")
    if profile_id is None:
        raise _bad("The issuer's profile has no id.", "missing_field", "issuer.id")
    types = _types(document.get("type"))
    if not {"Issuer", "Profile"} & set(types):
        raise _bad(
            "The issuer's profile is not an Open Badges Profile (type Issuer or Profile).",
            "wrong_type",
            hint=f"type: {list(types)}",
        )
    missing = [name for name in ("name", "url", "email") if _text(document, name) is None]
    if missing:
        notes.append(f"The issuer's profile lacks {', '.join(missing)}, which OB 2.0 requires.")
    return Profile(
        id=profile_id,
        type=types,
        name=_text(document, "name"),
        url=_text(document, "url"),
        email=_text(document, "email"),
        phone=_text(document, "telephone"),
        description=_text(document, "description"),
        image=_image(document.get("image")),
    )


def _badge_class(document: Mapping[str, Any], notes: list[str]) -> Achievement:
    badge_id = _text(document, "id")
    if badge_id is None:
        raise _bad("The badge (BadgeClass) has no id.", "missing_field", "badge.id")
    types = _types(document.get("type"))
    if "BadgeClass" not in types:
        raise _bad(
            "The assertion's badge is not an Open Badges BadgeClass.",
            "wrong_type",
            hint=f"type: {list(types)}",
        )
    name = _text(document, "name")
    if name is None:
        raise _bad("The badge (BadgeClass) has no name.", "missing_field", "badge.name")
    criteria = _criteria(document.get("criteria"))
    image = _image(document.get("image"))
    description = _text(document, "description")
    missing = [
        label
        for label, value in (("description", description), ("image", image), ("criteria", criteria))
        if value is None
    ]
    if missing:
        notes.append(f"The BadgeClass lacks {', '.join(missing)}, which OB 2.0 requires.")
    tags = tuple(t for t in _many(document.get("tags")) if isinstance(t, str))
    return Achievement(
        id=badge_id,
        type=types,
        name=name,
        description=description or "",
        criteria=criteria or Criteria(),
        alignment=_alignments(document.get("alignment"), notes),
        image=image,
        tag=tags,
    )


def _verification_type(document: Mapping[str, Any]) -> Literal["hosted", "signed"] | None:
    verification = document.get("verification", document.get("verify"))
    if not isinstance(verification, Mapping):
        return None
    types = set(_types(verification.get("type")))
    if types & _HOSTED:
        return "hosted"
    if types & _SIGNED:
        return "signed"
    return None


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port or default


def _in_scope(assertion_id: str, profile_id: str, policy: object) -> tuple[bool, str]:
    """OB 2.0 "HostedBadge Verification": is the assertion id within the issuer's scope?

    Returns (ok, what the scope was, for the message's hint).
    """
    origin = _origin(assertion_id)
    if origin is None:
        return False, "an http(s) address"
    rules = policy if isinstance(policy, Mapping) else {}
    prop = rules.get("verificationProperty")
    if prop not in (None, "id", "@id"):
        return False, f"verificationProperty {str(prop)[:40]!r} (only id is supported)"
    starts = [s for s in _many(rules.get("startsWith")) if isinstance(s, str) and s]
    allowed = [o.lower() for o in _many(rules.get("allowedOrigins")) if isinstance(o, str) and o]
    if starts or allowed:
        ok = True
        if starts:
            ok = any(assertion_id.startswith(prefix) for prefix in starts)
        if allowed:
            ok = ok and origin[1] in allowed
        scope = ", ".join([*(f"starts with {s}" for s in starts), *allowed])
        return ok, scope
    # No verification policy: the assertion must be on the issuer Profile's own origin.
    issuer_origin = _origin(profile_id)
    return origin == issuer_origin, f"the origin of {profile_id}"


def _compare(handed: Mapping[str, Any], hosted: Mapping[str, Any]) -> list[str]:
    """Names of the compared properties on which the two copies disagree."""
    differ: list[str] = []
    for name in _COMPARED:
        mine, theirs = handed.get(name), hosted.get(name)
        if name == "badge":
            mine, theirs = _id_of(mine), _id_of(theirs)
        if mine != theirs:
            differ.append(name)
    return differ


def _jws_parts(token: str) -> tuple[dict[str, Any], bytes]:
    """A compact JWS's header and signature (RFC 7515 §7.1); raises a ``FormatError``."""
    head_b64, _, rest = token.partition(".")
    signature_b64 = rest.rpartition(".")[2]
    header = b64url_json(
        head_b64.encode("ascii", "replace"), what="header", max_bytes=4096, max_depth=8
    )
    signature = b64url_decode(signature_b64.encode("ascii", "replace"), what="signature")
    if not signature:
        raise MalformedJwt("The token carries no signature.", code="missing_signature")
    return header, signature


# -- the checker --------------------------------------------------------------------------------
class Ob2Checker:
    """Checks OB 2.0 assertions with documents from ``fetcher``.

    ``algorithms`` is the verifier's JWS allow-list (already narrowed); ``leeway`` the clock
    skew allowed on ``issuedOn`` and ``expires``.
    """

    def __init__(
        self, fetcher: DocumentFetcher, *, algorithms: Collection[str], leeway: timedelta
    ) -> None:
        self._fetcher = fetcher
        self._algorithms = tuple(algorithms)
        self._leeway = leeway

    def check(self, given: Ob2Input, *, now: datetime, carrier: str | None = None) -> Ob2Outcome:
        """Run every OB 2.0 check on ``given``; never raises for bad input."""
        out = Ob2Outcome()
        try:
            self._check(given, out, now=now, carrier=carrier)
        except VerificationError as exc:
            out.failed(exc)
        return out

    # -- steps ---------------------------------------------------------------------------------
    def _check(
        self, given: Ob2Input, out: Ob2Outcome, *, now: datetime, carrier: str | None
    ) -> None:
        handed = given.unverified
        declared = "hosted" if given.kind == "url" else None
        if handed is not None:
            declared = _verification_type(handed)
        if given.kind == "jws":
            assert given.text is not None
            _jws_parts(given.text)  # a broken token is a format failure
            out.proof_format = "ob2-signed"
            what = "an Open Badges 2.0 signed assertion (JWS)"
        elif given.kind == "url":
            out.proof_format = "ob2-hosted"
            what = "the address of an Open Badges 2.0 hosted assertion"
        else:
            out.proof_format = "ob2-hosted" if declared != "signed" else "ob2-signed"
            what = "an Open Badges 2.0 assertion (JSON)"
        out.passed(
            "format",
            out.proof_format.replace("-", "_"),
            f"Read a {carrier} badge holding {what}." if carrier else f"Read {what}.",
        )
        if declared is None:
            raise BadSignature(
                "The Open Badges 2.0 assertion does not say how to verify it (hosted or signed).",
                code="ob2_no_verification",
                hint="verification.type must be HostedBadge or SignedBadge.",
            )
        if given.kind == "jws" and declared != "signed":
            raise BadSignature(
                "The signed token holds an assertion that declares hosted verification.",
                code="ob2_verification_mismatch",
            )
        if given.kind == "json" and declared == "signed":
            raise BadSignature(
                "This signed Open Badges 2.0 assertion came without its signature; hand over "
                "the signed token (JWS) or the baked image instead.",
                code="no_proof",
            )
        if declared == "hosted":
            self._hosted(given, out, now=now)
        else:
            assert given.text is not None and handed is not None
            self._signed(given.text, handed, out, now=now)

    def _finish(self, out: Ob2Outcome, assertion: Ob2Assertion, *, now: datetime) -> None:
        """The checks after authenticity and schema: validity window and endorsements."""
        try:
            check_validity(assertion, now=now, leeway=self._leeway)
            if assertion.valid_until is None:
                out.passed("validity_window", "valid_no_expiry", "The badge does not expire.")
            else:
                out.passed(
                    "validity_window",
                    "valid_now",
                    f"The badge is valid until {assertion.valid_until.date().isoformat()}.",
                )
        except VerificationError as exc:
            out.failed(exc)
        endorsed = any(holder.get("endorsement") for holder in (assertion.raw, *out.linked))
        if endorsed:
            out.unknown(
                "endorsements",
                "ob2_endorsements_not_checked",
                "The badge carries Open Badges 2.0 endorsements, which are not checked here.",
            )
        else:
            out.passed("endorsements", "no_endorsements", "The badge carries no endorsements.")

    # -- hosted ----------------------------------------------------------------------------------
    def _hosted(self, given: Ob2Input, out: Ob2Outcome, *, now: datetime) -> None:
        handed = given.unverified
        url = given.text if given.kind == "url" else (handed or {}).get("id")
        if not isinstance(url, str) or _origin(url) is None:
            raise BadSignature(
                "A hosted Open Badges 2.0 assertion must have the web address it is published "
                "at as its id.",
                code="hosted_bad_id",
                hint=f"id: {str(url)[:80]!r}",
            )
        try:
            hosted = self._fetch(url, "hosted assertion")
        except FetchGone:
            self._revoked_hosted(out, url, None)
            return
        if not isinstance(hosted, Mapping) or not _is_ob2(hosted):
            raise BadSignature(
                "The issuer's server does not serve an Open Badges 2.0 assertion at the badge's "
                "address.",
                code="hosted_not_assertion",
                hint=url,
            )
        if hosted.get("revoked") is True:
            self._revoked_hosted(out, url, hosted)
            return
        if hosted.get("id") != url:
            raise BadSignature(
                "The assertion the issuer's server hosts has another id than its address.",
                code="hosted_id_mismatch",
                hint=f"fetched {url}; it says {str(hosted.get('id'))[:80]!r}",
            )
        if handed is not None:
            differ = _compare(handed, hosted)
            if differ:
                raise BadSignature(
                    "The badge handed over differs from the copy its issuer hosts, so it was "
                    "altered or replaced.",
                    code="hosted_mismatch",
                    hint=f"Different: {', '.join(differ)} (the hosted copy is authoritative).",
                )
        if _verification_type(hosted) != "hosted":
            raise BadSignature(
                "The hosted copy of the assertion does not declare hosted verification.",
                code="ob2_verification_mismatch",
            )
        assertion, profile_doc = self._read(hosted, out, signed=False)
        ok, scope = _in_scope(url, assertion.issuer.id, profile_doc.get("verification"))
        if not ok:
            raise BadSignature(
                "The badge is hosted at an address its issuer does not vouch for.",
                code="hosted_wrong_origin",
                hint=f"{url} is not within {scope}.",
            )
        out.passed(
            "signature",
            "hosted_verified",
            "Hosted verification (Open Badges 2.0, no digital signature): the issuer's server "
            f"at {urlsplit(url).netloc} publishes this badge, at an address the issuer allows.",
            hint=url,
        )
        self._schema_passed(out, assertion)
        out.passed(
            "status",
            "not_revoked",
            "The issuer's hosted copy of the badge does not mark it revoked.",
        )
        self._finish(out, assertion, now=now)

    def _revoked_hosted(self, out: Ob2Outcome, url: str, hosted: Mapping[str, Any] | None) -> None:
        reason = _text(hosted, "revocationReason") if hosted is not None else None
        out.passed(
            "signature",
            "hosted_revoked",
            "Hosted verification (Open Badges 2.0): the issuer's server answers for this "
            "badge's address, and says the badge was revoked.",
            hint=url,
        )
        out.failed(
            Revoked(
                "The issuer has revoked this badge" + (f" ({reason[:200]})." if reason else "."),
                hint=f"{url} answered HTTP 410 Gone." if hosted is None else f"{url}: revoked.",
            )
        )

    # -- signed ----------------------------------------------------------------------------------
    def _signed(
        self, token: str, payload: Mapping[str, Any], out: Ob2Outcome, *, now: datetime
    ) -> None:
        header, signature = _jws_parts(token)
        if "crit" in header:
            raise MalformedJwt(
                "The token's header has critical parameters we do not understand.",
                code="unexpected_header",
            )
        try:
            alg = check_algorithm(header.get("alg"), self._algorithms)
        except UnsupportedAlgorithm as exc:
            raise AlgorithmNotAllowed(
                "The badge is signed with an algorithm we do not accept.",
                hint=f"alg {str(header.get('alg'))[:20]!r}; "
                f"allowed: {', '.join(self._algorithms)}.",
            ) from exc
        assertion, profile_doc = self._read(payload, out, signed=True)
        key = self._signing_key(payload, assertion.issuer.id, profile_doc, alg, token, signature)
        out.key = key
        out.passed(
            "signature",
            "signature_valid",
            "The signature is valid and was made with a key the issuer's profile publishes.",
            hint=f"{key.alg} key {key.kid}",
        )
        self._schema_passed(out, assertion)
        self._revocation_list(out, assertion, profile_doc, now=now)
        self._finish(out, assertion, now=now)

    def _signing_key(
        self,
        payload: Mapping[str, Any],
        issuer_id: str,
        profile_doc: Mapping[str, Any],
        alg: str,
        token: str,
        signature: bytes,
    ) -> PublicKey:
        """OB 2.0 SignedBadge steps 4-6: the issuer's keys, then the JWS check."""
        published = _many(profile_doc.get("publicKey"))
        listed = [_id_of(item) for item in published]
        verification = payload.get("verification", payload.get("verify"))
        creator = _id_of(verification.get("creator")) if isinstance(verification, Mapping) else None
        if creator is not None:
            if creator not in listed:
                raise KeyNotResolved(
                    "The badge was signed with a key its issuer's profile does not list.",
                    code="issuer_key_mismatch",
                    hint=f"creator {creator[:120]} is not in the publicKey of {issuer_id}.",
                )
            candidates = [published[listed.index(creator)]]
        else:
            candidates = published[:_MAX_KEYS]
        if not candidates:
            raise KeyNotResolved(
                "The issuer's profile publishes no key, so the signature cannot be checked.",
                code="no_issuer_key",
                hint=f"{issuer_id} has no publicKey.",
            )
        signing_input = token.rsplit(".", 1)[0].encode("ascii")
        for item in candidates:
            key = self._key(item, issuer_id, alg)
            try:
                key.verify(signature, signing_input)
            except InvalidSignature:
                continue
            return key
        raise BadSignature(
            "The signature does not match the badge: it was altered after signing, or signed "
            "by someone else."
        )

    def _key(self, item: object, issuer_id: str, alg: str) -> PublicKey:
        document: object = item
        key_id = _id_of(item)
        if not (isinstance(item, Mapping) and isinstance(item.get("publicKeyPem"), str)):
            if key_id is None:
                raise KeyNotResolved(
                    "The issuer's profile lists a key without an address.", code="bad_issuer_key"
                )
            document = self._fetch(key_id, "signing key")
            if not isinstance(document, Mapping) or document.get("id", key_id) != key_id:
                raise KeyNotResolved(
                    "The issuer's key document is not the key its profile names.",
                    code="bad_issuer_key",
                    hint=key_id,
                )
        assert isinstance(document, Mapping)
        owner = document.get("owner")
        if owner is not None and _id_of(owner) != issuer_id:
            raise KeyNotResolved(
                "The issuer's key document names another owner than the issuer.",
                code="issuer_key_mismatch",
                hint=f"owner {str(owner)[:120]}; issuer {issuer_id}",
            )
        pem = document.get("publicKeyPem")
        if not isinstance(pem, str):
            raise KeyNotResolved(
                "The issuer's key document holds no public key (publicKeyPem).",
                code="bad_issuer_key",
                hint=key_id,
            )
        try:
            return PublicKey.from_pem(pem, alg)
        except InvalidKey as exc:
            raise KeyNotResolved(
                "The issuer's published key cannot check this signature.",
                code="bad_issuer_key",
                hint=f"{key_id}: {exc.message} (alg {alg})",
            ) from exc

    def _revocation_list(
        self,
        out: Ob2Outcome,
        assertion: Ob2Assertion,
        profile_doc: Mapping[str, Any],
        *,
        now: datetime,
    ) -> None:
        url = _id_of(profile_doc.get("revocationList"))
        if url is None:
            out.passed(
                "status",
                "no_status",
                "The issuer publishes no revocation list for its signed badges.",
            )
            return
        try:
            document = self._fetch(url, "revocation list")
        except VerificationError as exc:
            out.failed(
                StatusUnavailable(
                    "The issuer's revocation list could not be fetched, so we could not check "
                    "whether the badge was revoked.",
                    code="status_unreachable",
                    hint=f"{url}: {exc.code}",
                )
            )
            return
        if not isinstance(document, Mapping) or not isinstance(
            document.get("revokedAssertions", []), list
        ):
            out.failed(
                StatusListInvalid(
                    "The issuer's revocation list is not a valid Open Badges 2.0 list, so we "
                    "could not check whether the badge was revoked.",
                    hint=url,
                )
            )
            return
        list_issuer = _id_of(document.get("issuer"))
        if list_issuer is not None and list_issuer != assertion.issuer.id:
            out.failed(
                StatusListInvalid(
                    "The revocation list belongs to another issuer, so we could not check "
                    "whether the badge was revoked.",
                    code="status_list_wrong_issuer",
                    hint=f"{url} names {list_issuer[:120]}",
                )
            )
            return
        uid = assertion.raw.get("uid")
        for entry in document.get("revokedAssertions", []):
            entry_id = _id_of(entry)
            entry_uid = entry.get("uid") if isinstance(entry, Mapping) else None
            if entry_id == assertion.id or (isinstance(uid, str) and entry_uid == uid):
                revoked = not (isinstance(entry, Mapping) and entry.get("revoked") is False)
                if revoked:
                    reason = (
                        _text(entry, "revocationReason") if isinstance(entry, Mapping) else None
                    )
                    out.failed(
                        Revoked(
                            "The issuer has revoked this badge"
                            + (f" ({reason[:200]})." if reason else "."),
                            hint=url,
                        )
                    )
                    return
        out.passed(
            "status",
            "not_revoked",
            "The badge is not on its issuer's revocation list.",
            hint=url,
        )

    # -- shared ------------------------------------------------------------------------------
    def _schema_passed(self, out: Ob2Outcome, assertion: Ob2Assertion) -> None:
        out.assertion = assertion
        out.passed(
            "schema",
            "ob2_model",
            "The content is an Open Badges 2.0 assertion with its BadgeClass and issuer profile.",
        )

    def _read(
        self, document: Mapping[str, Any], out: Ob2Outcome, *, signed: bool
    ) -> tuple[Ob2Assertion, Mapping[str, Any]]:
        """The assertion with its BadgeClass and the issuer's hosted Profile document."""
        notes = out.notes
        assertion_id = _text(document, "id")
        if assertion_id is None:
            raise _bad("The assertion has no id.", "missing_field", "id")
        types = _types(document.get("type"))
        if "Assertion" not in types:
            raise _bad("The document is not an Open Badges Assertion.", "wrong_type", f"{types}")
        recipient = _recipient(document, notes)
        issued = _date(document, "issuedOn", "assertion")
        if issued is None:
            raise _bad(
                "The assertion does not say when it was issued.", "missing_field", "issuedOn"
            )
        expires = _date(document, "expires", "assertion")
        badge = document.get("badge")
        badge_id = _id_of(badge)
        if badge_id is None:
            raise _bad("The assertion does not name its badge.", "missing_field", "badge")
        linked: list[Mapping[str, Any]] = []
        if isinstance(badge, Mapping) and (signed or badge.get("issuer") is not None):
            badge_doc: object = badge
        else:
            badge_doc = self._fetch(badge_id, "badge description (BadgeClass)")
        if not isinstance(badge_doc, Mapping) or _id_of(badge_doc) != badge_id:
            raise _bad(
                "The badge description (BadgeClass) at the badge's address is not that badge.",
                "bad_badge_class",
                hint=badge_id,
            )
        linked.append(badge_doc)
        achievement = _badge_class(badge_doc, notes)
        issuer_ref = badge_doc.get("issuer")
        issuer_id = _id_of(issuer_ref)
        if issuer_id is None:
            raise _bad("The badge does not name its issuer.", "missing_field", "badge.issuer")
        if _origin(issuer_id) is None:
            raise _bad(
                "The badge's issuer is not identified by a web address, so its profile cannot "
                "be read.",
                "bad_issuer",
                hint=issuer_id[:120],
            )
        # The issuer's own published profile, never an embedded copy: it holds the keys, the
        # revocation list and the hosting policy (OB 2.0 Examples, "Linked Data" notes).
        profile_doc = self._fetch(issuer_id, "issuer profile")
        if not isinstance(profile_doc, Mapping) or _id_of(profile_doc) != issuer_id:
            raise _bad(
                "The issuer's profile at its address is not that issuer's profile.",
                "bad_issuer",
                hint=issuer_id,
            )
        linked.append(profile_doc)
        out.linked = tuple(linked)
        issuer = _profile(profile_doc, notes)
        narrative = _text(document, "narrative")
        assertion = Ob2Assertion(
            id=assertion_id,
            type=types,
            verification="signed" if signed else "hosted",
            issuer=issuer,
            valid_from=issued,
            valid_until=expires,
            credential_subject=Ob2Subject(achievement=achievement, identifier=(recipient,)),
            image=_image(document.get("image")),
            evidence=_evidence(document.get("evidence")),
            narrative=narrative,
            raw=document,
        )
        return assertion, profile_doc

    def _fetch(self, url: str, what: str) -> Any:
        """``url`` through the fetcher, its errors turned into this check's verdicts."""
        if _origin(url) is None:
            raise _bad(
                f"The {what} is not identified by a web address, so it cannot be read.",
                "bad_reference",
                hint=url[:120],
            )
        try:
            return self._fetcher.fetch_json(url)
        except FetchGone:
            raise
        except FetchUnreachable as exc:
            raise Ob2Unreachable(
                f"The issuer's {what} could not be fetched, so the badge could not be checked.",
                hint=f"{url}: {exc.code}" + (f" ({exc.hint})" if exc.hint else ""),
            ) from exc
        except FetchError as exc:
            raise KeyNotResolved(
                f"The issuer's {what} could not be used: {exc.message}",
                code=exc.code,
                hint=f"{url}" + (f" ({exc.hint})" if exc.hint else ""),
            ) from exc
