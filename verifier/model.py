"""Typed, immutable Open Badges 3.0 data model used by the verifier.

Instances are built only by :mod:`verifier.schemas` from untrusted JSON ("parse, don't validate"):
once an object exists, its promises hold. The promises that span properties are also checked by
the classes' own constructors (``__post_init__``, raising ``ValueError``), which the loader
calls. Every class is a frozen, slotted dataclass; every multi-valued property is a tuple (never
a list), and every ``type`` is a ``tuple[str, ...]`` even when the JSON gave a single string
(OB 3.0 "Compacted document form", checklist §1.2). Dates are timezone-aware
:class:`~datetime.datetime` objects, except the two OB ``DateTime`` (not ``DateTimeZ``)
properties of :class:`AchievementSubject`, which may be naive.

Raw JSON kept for later checks (``raw``, ``context``, ``terms_of_use``, ``refresh_service``) is
wrapped in read-only :class:`types.MappingProxyType` views. Those fields take no part in
``hash()``, so every object stays hashable; the top-level ``raw`` is not compared either (two
credentials are equal when their modelled fields are).

Property names follow Python style (``valid_from`` for ``validFrom`` …). The classes and their
cardinalities follow checklist §1 (OB-SRC ``common_credentials.lines``); the CLR 2.0 classes
(:class:`ClrCredential`, :class:`ClrSubject`, :class:`Association`) follow checklist §6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Alignment",
    "AnyCredential",
    "Association",
    "ClrCredential",
    "ClrSubject",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "IdentityObject",
    "Image",
    "Profile",
    "Proof",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "VcVersion",
]

VcVersion = Literal["2.0", "1.1"]
"""Which Verifiable Credentials data model the credential uses, decided by ``@context[0]``."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


def _raw(*, compare: bool = True) -> Any:
    """A raw-JSON field: not part of ``hash()`` (mappings are unhashable), hidden from ``repr``."""
    return field(default_factory=_empty, repr=False, compare=compare, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """OB 3.0 Image (checklist §1.9). Closed class: ``type`` is the single IRI "Image"."""

    id: str
    type: tuple[str, ...] = ("Image",)
    caption: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """OB 3.0 Profile (checklist §1.3): issuer, creator, source, endorser or parent organisation.

    A ``ProfileRef`` given as a bare URI becomes ``Profile(id=uri, type=("Profile",))``.
    """

    id: str
    type: tuple[str, ...] = ("Profile",)
    name: str | None = None
    url: str | None = None
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    official: str | None = None
    image: Image | None = None
    parent_org: Profile | None = None
    endorsement: tuple[EndorsementCredential, ...] = ()
    endorsement_jwt: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Criteria:
    """OB 3.0 Criteria (checklist §1.4): a criteria page URI and/or a Markdown narrative."""

    id: str | None = None
    narrative: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alignment:
    """OB 3.0 Alignment to an external framework item (checklist §1.5)."""

    type: tuple[str, ...]
    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricCriterionLevel:
    """OB 3.0 RubricCriterionLevel (checklist §1.6). ``points`` is a String in OB."""

    id: str
    type: tuple[str, ...]
    name: str
    description: str | None = None
    level: str | None = None
    points: str | None = None
    alignment: tuple[Alignment, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultDescription:
    """OB 3.0 ResultDescription (checklist §1.6); levels and values are ordered low → high."""

    id: str
    type: tuple[str, ...]
    name: str
    result_type: str
    alignment: tuple[Alignment, ...] = ()
    allowed_value: tuple[str, ...] = ()
    required_level: str | None = None
    required_value: str | None = None
    rubric_criterion_level: tuple[RubricCriterionLevel, ...] = ()
    value_max: str | None = None
    value_min: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Achievement:
    """OB 3.0 Achievement (checklist §1.4)."""

    id: str
    type: tuple[str, ...]
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    alignment: tuple[Alignment, ...] = ()
    creator: Profile | None = None
    credits_available: float | None = None
    endorsement: tuple[EndorsementCredential, ...] = ()
    endorsement_jwt: tuple[str, ...] = ()
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | None = None
    in_language: str | None = None
    result_description: tuple[ResultDescription, ...] = ()
    specialization: str | None = None
    tag: tuple[str, ...] = ()
    version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityObject:
    """OB 3.0 IdentityObject (checklist §1.8). Closed class; ``identity_hash`` is plaintext when
    ``hashed`` is false, else ``"sha256$<hex>"`` / ``"md5$<hex>"``."""

    type: tuple[str, ...]
    hashed: bool
    identity_hash: str
    identity_type: str
    salt: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """OB 3.0 Result (checklist §1.7); ``result_description`` / ``achieved_level`` are ids."""

    type: tuple[str, ...]
    achieved_level: str | None = None
    alignment: tuple[Alignment, ...] = ()
    result_description: str | None = None
    status: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AchievementSubject:
    """OB 3.0 AchievementSubject (checklist §1.7). ``id`` or at least one ``identifier`` is set.

    ``activity_start_date`` / ``activity_end_date`` are OB ``DateTime`` values: unlike every other
    date in the model they may be naive when the issuer gave no time zone.
    """

    type: tuple[str, ...]
    achievement: Achievement
    id: str | None = None
    identifier: tuple[IdentityObject, ...] = ()
    activity_start_date: datetime | None = None
    activity_end_date: datetime | None = None
    credits_earned: float | None = None
    image: Image | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: tuple[Result, ...] = ()
    role: str | None = None
    source: Profile | None = None
    term: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """OB 3.0 Evidence (checklist §1.9)."""

    type: tuple[str, ...]
    id: str | None = None
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Proof:
    """An embedded proof (checklist §2.4): the generic Data Integrity fields plus the raw object,
    which the signature check needs in full."""

    type: tuple[str, ...]
    cryptosuite: str | None = None
    created: datetime | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None
    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialStatus:
    """``credentialStatus`` (checklist §3.2-3.3): ``id`` and ``type`` plus the raw object, which
    holds the method-specific properties (``statusListIndex`` …)."""

    id: str
    type: tuple[str, ...]
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialSchema:
    """``credentialSchema`` entry (checklist §3.1)."""

    id: str
    type: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EndorsementSubject:
    """OB 3.0 EndorsementSubject (checklist §1.9): ``id`` is the endorsed entity."""

    id: str
    type: tuple[str, ...]
    endorsement_comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Credential:
    """The Verifiable Credential envelope shared by both OB credential classes (checklist §1.1).

    For a VC 1.1 credential ``valid_from`` / ``valid_until`` hold ``issuanceDate`` /
    ``expirationDate``. ``endorsement`` / ``endorsementJwt`` are accepted on both classes (the OB
    schema lists them only on AchievementCredential); nesting is bounded by the loader.
    """

    context: tuple[str | Mapping[str, Any], ...] = field(hash=False)
    vc_version: VcVersion
    id: str
    type: tuple[str, ...]
    issuer: Profile
    valid_from: datetime
    valid_until: datetime | None = None
    awarded_date: datetime | None = None
    name: str | None = None
    description: str | None = None
    proof: tuple[Proof, ...] = ()
    credential_schema: tuple[CredentialSchema, ...] = ()
    credential_status: CredentialStatus | None = None
    refresh_service: Mapping[str, Any] | None = field(default=None, hash=False)
    terms_of_use: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    endorsement: tuple[EndorsementCredential, ...] = ()
    endorsement_jwt: tuple[str, ...] = ()
    raw: Mapping[str, Any] = _raw(compare=False)

    def __post_init__(self) -> None:
        if self.vc_version not in ("2.0", "1.1"):
            raise ValueError(f"unknown VC data model version {self.vc_version!r}")
        if self.valid_from.tzinfo is None or (
            self.valid_until is not None and self.valid_until.tzinfo is None
        ):
            raise ValueError("a credential's validity dates carry a time zone")


@dataclass(frozen=True, slots=True, kw_only=True)
class AchievementCredential(_Credential):
    """OB 3.0 AchievementCredential, alias OpenBadgeCredential (checklist §1.1)."""

    credential_subject: AchievementSubject
    image: Image | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EndorsementCredential(_Credential):
    """OB 3.0 EndorsementCredential (checklist §1.9); ``name`` is required here."""

    name: str
    credential_subject: EndorsementSubject


@dataclass(frozen=True, slots=True, kw_only=True)
class Association:
    """CLR 2.0 Association (checklist §6.2): a typed link between two achievement ids."""

    type: tuple[str, ...]
    association_type: str
    source_id: str
    target_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClrSubject:
    """CLR 2.0 ClrSubject (checklist §6.2). ``id`` or at least one ``identifier`` is set.

    ``verifiable_credential`` holds the embedded credentials as they were given — JSON objects
    (raw, read-only) or compact JWS strings — unverified: each is a credential of its own, checked
    by its own issuer's proof, never trusted because the CLR around it verified.
    """

    type: tuple[str, ...]
    verifiable_credential: tuple[Mapping[str, Any] | str, ...] = field(hash=False)
    id: str | None = None
    identifier: tuple[IdentityObject, ...] = ()
    achievement: tuple[Achievement, ...] = ()
    association: tuple[Association, ...] = ()

    def __post_init__(self) -> None:
        if not self.verifiable_credential:
            raise ValueError("a ClrSubject holds at least one verifiable credential")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClrCredential(_Credential):
    """CLR 2.0 ClrCredential (checklist §6.1); ``name`` is required here."""

    name: str
    credential_subject: ClrSubject
    partial: bool | None = None
    image: Image | None = None


AnyCredential = AchievementCredential | EndorsementCredential | ClrCredential
"""Every credential class :func:`verifier.schemas.load_credential` can return."""
