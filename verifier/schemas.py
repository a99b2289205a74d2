"""Load untrusted Open Badges 3.0 JSON into the typed model of :mod:`verifier.model`.

This is the edge where parsed-but-untrusted JSON (``dict``/``list``/``str``/numbers) becomes
frozen, typed objects. Every check of the OB 3.0 data model that can be made without a network
or a JSON-LD processor happens here, once; code past this point trusts the types.

Public entry points (each raises :class:`~verifier.errors.SchemaViolation`, a
:class:`~verifier.errors.SchemaError`, and nothing else for bad input)::

    load_credential(data)               -> AchievementCredential | EndorsementCredential
                                           | ClrCredential
    load_achievement_credential(data)   -> AchievementCredential
    load_clr_credential(data)           -> ClrCredential
    load_endorsement_credential(data)   -> EndorsementCredential
    load_profile(data)                  -> Profile
    load_achievement(data)              -> Achievement

The error ``message`` is one plain sentence naming the first problem and its JSON path ("The
credential's credentialSubject.achievement.name is missing."); ``code`` is one of
``schema_invalid``, ``missing_field``, ``wrong_type``, ``bad_context``, ``bad_date``,
``no_subject_identifier`` or ``too_deep``; ``details`` holds every problem found, as marshmallow's
nested error dict.

Design notes (section numbers are those of the OB 3.0 checklist, ``checklist.md``):

* Schemas are marshmallow 4 schemas built once, at import, and shared: they hold no per-call
  state. Fields are small custom fields that check the exact JSON type (a number is never
  coerced into a string, ``"true"`` is not a boolean) and report a fixed message whose ``code``
  is looked up in ``_CODES``.
* Unknown properties are ignored (OB classes are open, "Mixin Extensions", §1) except in the
  closed classes ``Image`` and ``IdentityObject`` (``additionalProperties: false``, §1).
  Ignored properties are never walked, so an arbitrarily deep extension object costs nothing.
* Single values are accepted wherever an array is allowed and normalised to tuples (§1.2
  "Compacted document form"; the impl-guide's own signed vector has ``"proof": {...}``).
  Empty arrays are accepted too (§1.2 forbids emitting them; DCC fixtures do).
* Recursion is bounded by construction: schemas are built per nesting level, so an endorsement
  nested deeper than ``MAX_ENDORSEMENT_DEPTH`` or a ``parentOrg`` chain longer than
  ``MAX_PARENT_ORG_DEPTH`` is a ``too_deep`` error, never a ``RecursionError``.
* One path: ``_ModelSchema.parse`` is marshmallow's ``Schema.load`` followed by the model
  class's own constructor, so every invariant a model class checks holds for what is loaded.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, Generic, TypeVar, cast

import orjson
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing

from verifier.errors import SchemaViolation
from verifier.model import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    AnyCredential,
    Association,
    ClrCredential,
    ClrSubject,
    CredentialSchema,
    CredentialStatus,
    Criteria,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Proof,
    Result,
    ResultDescription,
    RubricCriterionLevel,
)

__all__ = [
    "MAX_ENDORSEMENT_DEPTH",
    "MAX_PARENT_ORG_DEPTH",
    "load_achievement",
    "load_achievement_credential",
    "load_clr_credential",
    "load_credential",
    "load_endorsement_credential",
    "load_profile",
]

#: Embedded endorsements may nest (an endorsement's issuer may carry endorsements …). The
#: top-level credential is depth 0; an endorsement deeper than this is a ``too_deep`` error.
MAX_ENDORSEMENT_DEPTH: Final = 4
#: Longest ``parentOrg`` chain accepted below a Profile (organisation → parent → …).
MAX_PARENT_ORG_DEPTH: Final = 4

_T = TypeVar("_T")
_M = TypeVar("_M")


# ---------------------------------------------------------------------------------------------
# Messages. Each is the end of a sentence that starts with "The credential's <path>" (plain
# words for the person who sent the credential; ``details`` is for operators). The code is
# looked up by the exact text, so every message is registered with ``_msg`` at import.

_CODES: dict[str, str] = {}


def _msg(code: str, text: str) -> str:
    _CODES[text] = code
    return text


MSG_MISSING: Final = _msg("missing_field", "is missing.")
MSG_NULL: Final = _msg("wrong_type", "is null; leave the property out instead.")
MSG_NOT_OBJECT: Final = _msg("wrong_type", "must be a JSON object.")
MSG_NOT_STRING: Final = _msg("wrong_type", "must be a string.")
MSG_NOT_BOOL: Final = _msg("wrong_type", "must be true or false.")
MSG_NOT_NUMBER: Final = _msg("wrong_type", "must be a finite number.")
MSG_NOT_PROFILE: Final = _msg("wrong_type", "must be a URI string or a Profile object.")
MSG_NOT_TYPES: Final = _msg("wrong_type", "must be a string or a list of strings.")
MSG_NOT_LIST: Final = _msg("wrong_type", "must be a list.")
MSG_KEY_NOT_STRING: Final = _msg("wrong_type", "has a property name that is not a string.")
MSG_EMPTY_TYPES: Final = _msg("schema_invalid", "must not be an empty list.")
MSG_NOT_URI: Final = _msg("schema_invalid", "must be a URI: a scheme, a colon, and no spaces.")
MSG_NOT_JWS: Final = _msg("schema_invalid", "must be a compact JWS: three base64url parts.")
MSG_UNKNOWN: Final = _msg("schema_invalid", "is not allowed here.")
MSG_BAD_DATE: Final = _msg("bad_date", "must be a date and time like 2024-01-31T09:00:00Z.")
MSG_NAIVE_DATE: Final = _msg("bad_date", "must end with a time zone such as Z or +02:00.")
MSG_NO_SUBJECT_ID: Final = _msg("no_subject_identifier", "has neither an id nor an identifier.")
MSG_TOO_DEEP: Final = _msg("too_deep", "is nested too deeply.")
MSG_CONTEXT_ITEM: Final = _msg("wrong_type", "must be a string or a JSON object.")
MSG_CONTEXT_FIRST: Final = _msg(
    "bad_context", "must start with the W3C Verifiable Credentials context (v2 or v1)."
)
MSG_CONTEXT_OB_SECOND: Final = _msg(
    "bad_context", "must be the Open Badges 3.0 context (…/ob/v3p0/context-3.0.x.json)."
)
MSG_CONTEXT_OB_MISSING: Final = _msg("bad_context", "must include the Open Badges 3.0 context.")
MSG_CONTEXT_CLR_VC2: Final = _msg(
    "bad_context", "must start with the W3C Verifiable Credentials v2 context for a CLR 2.0."
)
MSG_CONTEXT_CLR_SECOND: Final = _msg(
    "bad_context", "must be the CLR 2.0 context (…/clr/v2p0/context-2.0.x.json)."
)
MSG_CONTEXT_OB_THIRD: Final = _msg(
    "bad_context", "must be the Open Badges 3.0 context (…/ob/v3p0/context-3.0.x.json)."
)
MSG_TYPE_CLR_AMBIGUOUS: Final = _msg(
    "schema_invalid", "must not name both a ClrCredential and another credential kind."
)
MSG_NOT_EMBEDDED: Final = _msg(
    "wrong_type", "must be a credential object (with a type) or a compact JWS string."
)
MSG_TYPE_AMBIGUOUS: Final = _msg(
    "schema_invalid", "must not name both an Open Badge and an EndorsementCredential."
)
MSG_TYPE_NOT_OB: Final = _msg(
    "schema_invalid",
    'must include "OpenBadgeCredential", "AchievementCredential" or "EndorsementCredential".',
)
MSG_UNREADABLE: Final = _msg("schema_invalid", "could not be read.")


# ---------------------------------------------------------------------------------------------
# Value rules.

#: VC 2.0 / VC 1.1 base contexts: ``@context[0]`` decides the data model (checklist §0, §1.2).
VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
#: Any published OB 3.0 context file (context.json = 3.0.0, context-3.0.1 … 3.0.3; §0, §1.1).
_OB_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json\Z"
)
#: The CLR 2.0 context file(s) (checklist §6.1: ``context-2.0.1.json``; the unversioned alias).
_CLR_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)?\.json\Z"
)
#: A URI is "a scheme, a colon, no whitespace": the RFC 3986 scheme is matched here, and
#: ``str.isprintable()`` plus a test for " " rule out every whitespace and control character
#: (faster than a whole-string regex). Ids may be URLs, URNs, DIDs or data: URIs.
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:").match
#: CompactJws (OB-GH schema ``endorsementJwt`` pattern, anchored).
_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\Z")
#: xsd:dateTime shape; group 1 is the time-zone designator, mandatory for DateTimeZ (§1.1).
_DATETIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?\Z"
)
#: Extension terms of an EnumExt: "MUST start with the prefix ``ext:``" (§1.4). The OB-GH schema
#: pattern is unanchored (it accepts "fooext:bar"); this one is anchored at both ends.
_EXT_TERM: Final = re.compile(r"ext:[A-Za-z0-9._-]+\Z")

#: CLR 2.0 AssociationType (checklist §6.2 ⚠: the CLR 2.0 list plus CLR 1.0's ``exemplar`` and
#: ``hasSkillLevel``, which CLR 2.0 consumers may still send). Not an EnumExt: no ``ext:`` terms.
ASSOCIATION_TYPES: Final = frozenset(
    [
        "exactMatchOf",
        "exemplar",
        "hasSkillLevel",
        "isChildOf",
        "isParentOf",
        "isPartOf",
        "isPeerOf",
        "isRelatedTo",
        "precedes",
        "replacedBy",
    ]
)

#: AchievementType (§1.4).
ACHIEVEMENT_TYPES: Final = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
#: AlignmentTargetType (§1.5).
ALIGNMENT_TARGET_TYPES: Final = frozenset(
    [
        "ceasn:Competency",
        "ceterms:Credential",
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
    ]
)
#: ResultType (§1.6).
RESULT_TYPES: Final = frozenset(
    [
        "GradePointAverage",
        "LetterGrade",
        "Percent",
        "PerformanceLevel",
        "PredictedScore",
        "RawScore",
        "Result",
        "RubricCriterion",
        "RubricCriterionLevel",
        "RubricScore",
        "ScaledScore",
        "Status",
    ]
)
#: ResultStatusType (§1.7): a closed enumeration.
RESULT_STATUSES: Final = frozenset(
    ["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"]
)
#: IdentifierTypeEnum (§1.8). "email" (older impl-guide drafts) is not a member.
IDENTIFIER_TYPES: Final = frozenset(
    [
        "name",
        "sourcedId",
        "systemId",
        "productId",
        "userName",
        "accountId",
        "emailAddress",
        "nationalIdentityNumber",
        "isbn",
        "issn",
        "lisSourcedId",
        "oneRosterSourcedId",
        "sisSourcedId",
        "ltiContextId",
        "ltiDeploymentId",
        "ltiToolId",
        "ltiPlatformId",
        "ltiUserId",
        "identifier",
    ]
)


def _is_mapping(value: object) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def _is_list(value: object) -> bool:
    return type(value) is list or type(value) is tuple


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view of ``value`` (no copy)."""
    return value if type(value) is MappingProxyType else MappingProxyType(value)


# ---------------------------------------------------------------------------------------------
# Fields. Each implements ``load_value(value)``: check one present JSON value and return its
# model value, or raise ``ValidationError``. JSON ``null`` is always an error (serialization
# rules, §1.2: nulls are omitted); a missing required property is MSG_MISSING. The marshmallow
# ``deserialize``/``_deserialize`` API delegates to ``load_value``, so stock ``Schema.load`` and
# the fast loop of ``_ModelSchema`` run the same checks.


class _Field(fields.Field[_T]):
    """Base of the custom fields: no validators, no coercion, exact JSON types."""

    def deserialize(
        self,
        value: Any,
        attr: str | None = None,
        data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> _T:
        if value is missing:
            if self.required:
                raise ValidationError(MSG_MISSING)
            return cast(_T, value)
        return self.load_value(value)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> _T:
        return self.load_value(value)

    def load_value(self, value: Any) -> _T:
        raise NotImplementedError


def _wrong(value: Any, message: str) -> ValidationError:
    return ValidationError(MSG_NULL if value is None else message)


class _Str(_Field[str]):
    """A JSON string."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise _wrong(value, MSG_NOT_STRING)
        return value


class _Uri(_Field[str]):
    """A URI string: a scheme, a colon, no whitespace. Used for every ``id`` and for the
    properties that reference an ``id`` (``requiredLevel``, ``achievedLevel``,
    ``Result.resultDescription``); the OB JSON Schema itself checks no URI format."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise _wrong(value, MSG_NOT_STRING)
        if _SCHEME(value) is None or not value.isprintable() or " " in value:
            raise ValidationError(MSG_NOT_URI)
        return value


class _Enum(_Field[str]):
    """A string from a fixed vocabulary, or (``ext=True``, an OB EnumExt) an ``ext:`` term."""

    def __init__(self, values: frozenset[str], what: str, *, ext: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values = values
        self.ext = ext
        hint = " or an ext: extension term" if ext else ""
        self.message = _msg("schema_invalid", f"is not a known {what}; use a listed value{hint}.")

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise _wrong(value, MSG_NOT_STRING)
        if value in self.values or (self.ext and _EXT_TERM.match(value) is not None):
            return value
        raise ValidationError(self.message)


class _Jws(_Field[str]):
    """A CompactJws string (``endorsementJwt`` items)."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise _wrong(value, MSG_NOT_STRING)
        if _JWS.match(value) is None:
            raise ValidationError(MSG_NOT_JWS)
        return value


class _Bool(_Field[bool]):
    def load_value(self, value: Any) -> bool:
        if type(value) is not bool:
            raise _wrong(value, MSG_NOT_BOOL)
        return value


class _Float(_Field[float]):
    """An OB Float: a JSON number (int or float, never a bool or a string), finite."""

    def load_value(self, value: Any) -> float:
        if type(value) is not int and type(value) is not float:
            raise _wrong(value, MSG_NOT_NUMBER)
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            raise ValidationError(MSG_NOT_NUMBER) from None
        if not math.isfinite(number):
            raise ValidationError(MSG_NOT_NUMBER)
        return number


class _DateTime(_Field[datetime]):
    """An xsd:dateTime string. ``zone=True`` (OB DateTimeZ, the default) requires ``Z`` or an
    offset; OB ``DateTime`` properties (activity dates) may be naive. Fractional seconds of any
    length are accepted (digits past microseconds are dropped by ``fromisoformat``)."""

    def __init__(self, *, zone: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zone = zone

    def load_value(self, value: Any) -> datetime:
        if type(value) is not str:
            raise _wrong(value, MSG_NOT_STRING)
        shape = _DATETIME.match(value)
        if shape is None:
            raise ValidationError(MSG_BAD_DATE)
        if self.zone and shape.group(1) is None:
            raise ValidationError(MSG_NAIVE_DATE)
        try:
            return datetime.fromisoformat(value)
        except ValueError:  # e.g. month 13, hour 24, year 0
            raise ValidationError(MSG_BAD_DATE) from None


class _Types(_Field[tuple[str, ...]]):
    """An OB ``type``: an unordered set of IRIs, compacted to a single string when it has one
    member (§1.2), that must include every name in ``all_of`` and one of ``any_of``."""

    def __init__(
        self, *, all_of: Sequence[str] = (), any_of: Sequence[str] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.all_of = tuple(
            (name, _msg("schema_invalid", f'must include "{name}".')) for name in all_of
        )
        self.any_of = tuple(any_of)
        names = " or ".join(f'"{name}"' for name in any_of)
        self.any_of_message = _msg("schema_invalid", f"must include {names}.")

    def load_value(self, value: Any) -> tuple[str, ...]:
        if type(value) is str:
            types: tuple[str, ...] = (value,)
        elif type(value) is list or type(value) is tuple:
            if not value:
                raise ValidationError(MSG_EMPTY_TYPES)
            for item in value:
                if type(item) is not str:
                    raise ValidationError(MSG_NOT_TYPES)
            types = tuple(value)
        else:
            raise _wrong(value, MSG_NOT_TYPES)
        for name, message in self.all_of:
            if name not in types:
                raise ValidationError(message)
        if self.any_of:
            for name in self.any_of:
                if name in types:
                    return types
            raise ValidationError(self.any_of_message)
        return types


class _SingleType(_Field[tuple[str, ...]]):
    """The ``type`` of a closed class: exactly one IRI as a plain string ("MUST be the IRI
    'Image'", §1.2). No vector uses an array here, so none is accepted."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.name = name
        self.value = (name,)
        self.not_string = _msg("wrong_type", f'must be the single string "{name}".')
        self.wrong = _msg("schema_invalid", f'must be "{name}".')

    def load_value(self, value: Any) -> tuple[str, ...]:
        if value == self.name and type(value) is str:
            return self.value
        if type(value) is not str:
            raise _wrong(value, self.not_string)
        raise ValidationError(self.wrong)


class _RawObject(_Field[Mapping[str, Any]]):
    """An object kept as raw JSON (read-only view), e.g. ``refreshService``, ``termsOfUse``."""

    def load_value(self, value: Any) -> Mapping[str, Any]:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise _wrong(value, MSG_NOT_OBJECT)
        return _freeze(value)


class _Context(_Field[tuple[str | Mapping[str, Any], ...]]):
    """``@context`` (checklist §1.2; OB-GH schema ``@context.items``).

    Item 0 is the VC 2.0 or VC 1.1 base context. With ``require_ob`` an OB 3.0 context must be
    item 1 (VC 2.0; the canonical schema) or anywhere after item 0 (VC 1.1, whose credentials
    put the data-integrity context around it). Other items are strings or objects.
    """

    def __init__(self, *, require_ob: bool, clr: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.require_ob = require_ob
        self.clr = clr

    def load_value(self, value: Any) -> tuple[str | Mapping[str, Any], ...]:
        if type(value) is not list and type(value) is not tuple:
            raise _wrong(value, MSG_NOT_LIST)
        items: list[str | Mapping[str, Any]] = []
        for index, item in enumerate(value):
            if type(item) is str:
                items.append(item)
            elif _is_mapping(item):
                items.append(_freeze(item))
            else:
                raise ValidationError({index: [MSG_CONTEXT_ITEM]})
        if not items or items[0] not in (VC2_CONTEXT, VC1_CONTEXT):
            raise ValidationError({0: [MSG_CONTEXT_FIRST]})
        if self.clr:
            # CLR 2.0 §6.1: VC 2.0, CLR 2.0, OB 3.0, in this order, then anything else.
            if items[0] != VC2_CONTEXT:
                raise ValidationError({0: [MSG_CONTEXT_CLR_VC2]})
            second = items[1] if len(items) > 1 else None
            if type(second) is not str or _CLR_CONTEXT.match(second) is None:
                raise ValidationError({1: [MSG_CONTEXT_CLR_SECOND]})
            third = items[2] if len(items) > 2 else None
            if type(third) is not str or _OB_CONTEXT.match(third) is None:
                raise ValidationError({2: [MSG_CONTEXT_OB_THIRD]})
        elif self.require_ob:
            if items[0] == VC2_CONTEXT:
                second = items[1] if len(items) > 1 else None
                if type(second) is not str or _OB_CONTEXT.match(second) is None:
                    raise ValidationError({1: [MSG_CONTEXT_OB_SECOND]})
            elif not any(type(i) is str and _OB_CONTEXT.match(i) for i in items[1:]):
                raise ValidationError(MSG_CONTEXT_OB_MISSING)
        return tuple(items)


class _Many(_Field[tuple[_T, ...]]):
    """A [0..*] property: a JSON array, or a single value standing for a one-item array (§1.2);
    always a tuple in the model. Empty arrays are accepted (§1.2 forbids emitting them)."""

    def __init__(self, inner: _Field[_T], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def load_value(self, value: Any) -> tuple[_T, ...]:
        load = self.inner.load_value
        if type(value) is not list and type(value) is not tuple:
            return (load(value),)  # a compacted single value: errors carry no index
        out: list[_T] = []
        errors: dict[int, Any] | None = None
        for index, item in enumerate(value):
            try:
                out.append(load(item))
            except ValidationError as exc:
                errors = errors or {}
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        return tuple(out)


class _StatusEntries(_Field[Any]):
    """``credentialStatus``: one object (OB 3.0, [0..1]) or, as VC 2.0 allows, a list of them
    (e.g. a revocation and a suspension entry). Every entry is checked; the model keeps the
    first, and the status check reads them all from ``raw``."""

    def __init__(self, inner: _Field[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def load_value(self, value: Any) -> Any:
        if type(value) is not list:
            return self.inner.load_value(value)
        if not value:
            raise ValidationError(["Must not be an empty list."])
        loaded = _Many(self.inner).load_value(value)
        return loaded[0]


class _PerLevel(_Field[Any]):
    """Marks where a property goes in a base schema whose real field is set by a subclass: the
    credential kinds set ``type`` and ``credentialSubject``; ``_Level`` sets the properties that
    lead to endorsements. (marshmallow keeps a field's first declared position when a subclass
    overrides it, and errors come out in that order.)"""

    def load_value(self, value: Any) -> Any:
        raise TypeError("_PerLevel placeholder was not replaced")


class _TooDeep(_Field[Any]):
    """Stands in for a recursive property past its nesting limit: absent or ``[]`` is fine."""

    def load_value(self, value: Any) -> Any:
        if (type(value) is list or type(value) is tuple) and not value:
            return ()
        raise ValidationError(MSG_TOO_DEEP)


class _EmbeddedCredential(_Field[Mapping[str, Any] | str]):
    """One item of ``ClrSubject.verifiableCredential`` (checklist §6.2): a credential object —
    a Data Integrity credential or a VC 2.0 EnvelopedVerifiableCredential — whose ``type`` is a
    string or a list of strings, or a compact JWS (the VC-JWT CLR vector's form). Kept raw and
    unverified: each is checked as a credential of its own."""

    def load_value(self, value: Any) -> Mapping[str, Any] | str:
        if type(value) is str:
            if _JWS.match(value) is None:
                raise ValidationError(MSG_NOT_JWS)
            return value
        if type(value) is not dict and not isinstance(value, Mapping):
            raise _wrong(value, MSG_NOT_EMBEDDED)
        declared = value.get("type")
        if type(declared) is str or (
            type(declared) is list and declared and all(type(t) is str for t in declared)
        ):
            return _freeze(value)
        raise ValidationError(MSG_NOT_EMBEDDED)


# ---------------------------------------------------------------------------------------------
# Schemas.


class _ModelSchema(Schema, Generic[_M]):
    """A marshmallow schema whose ``parse`` returns a model object.

    ``parse`` is the one way in: marshmallow's own ``Schema.load`` checks every declared field
    and returns its dict of attribute name → value, and ``build`` turns that into the model
    through the dataclass's own ``__init__`` (so the model's ``__post_init__`` invariants hold),
    making the cross-property checks a ``@post_load`` hook would make. Before ``load``, a
    property name that is not a string is refused (marshmallow would silently skip it).
    """

    class Meta:
        unknown = EXCLUDE

    error_messages = {"unknown": MSG_UNKNOWN, "type": MSG_NOT_OBJECT}  # noqa: RUF012
    model: ClassVar[Callable[..., Any]]

    def __init__(self) -> None:
        super().__init__()
        for attr, field_obj in self.load_fields.items():
            if not isinstance(field_obj, _Field) or isinstance(field_obj, _PerLevel):
                raise TypeError(f"{type(self).__name__}.{attr} must be a concrete custom field")

    def parse(self, value: object) -> _M:
        """Load ``value`` (untrusted JSON) and build the model object, or raise
        ``ValidationError`` with marshmallow's error dict."""
        if type(value) is not dict and not isinstance(value, Mapping):
            raise ValidationError([MSG_NOT_OBJECT])
        for key in value:
            if type(key) is not str:
                raise ValidationError([MSG_KEY_NOT_STRING])
        return self.build(self.load(value), value)

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> _M:
        return cast(_M, self.model(**data))


class _Obj(_Field[_M]):
    """A nested object, parsed by ``schema`` into its model class."""

    def __init__(self, schema: _ModelSchema[_M], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema

    def load_value(self, value: Any) -> _M:
        return self.schema.parse(value)


class _SharedObj(_Obj[_M]):
    """A nested object that many credentials share verbatim (an Achievement definition).

    Every holder of a badge carries the same Achievement JSON, and it is most of what a
    credential holds. Its model object is cached under the exact JSON bytes it was built from
    (orjson, key order preserved), so an identical definition is validated once: the cached
    object is frozen and equal to what parsing those bytes gives. Objects carrying endorsements
    are not cached, since their ``raw`` views follow the caller's dicts. Failures are never
    cached. Bounded; cleared when full. Also used for an issuer's Profile, which every
    credential of that issuer repeats. Measured (docs/decisions.md, "Speed tricks that pay"):
    VC-JWT verify of the bench's credentials +40 % for the Achievement, +5.5 % for the Profile.
    """

    _MAX_ENTRIES = 2048

    def __init__(self, schema: _ModelSchema[_M], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._cache: dict[bytes, _M] = {}

    def load_value(self, value: Any) -> _M:
        try:
            key = orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            return self.schema.parse(value)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        loaded = self.schema.parse(value)
        if not _has_endorsements(loaded):
            if len(self._cache) >= self._MAX_ENTRIES:
                self._cache.clear()
            self._cache[key] = loaded
        return loaded


def _has_endorsements(achievement: Any) -> bool:
    creator = getattr(achievement, "creator", None)
    return bool(
        getattr(achievement, "endorsement", ())
        or getattr(achievement, "endorsement_jwt", ())
        or (creator is not None and (creator.endorsement or creator.endorsement_jwt))
    )


class _ProfileRef(_Field[Profile]):
    """``ProfileRef`` (§1.1): a URI string or a Profile object; always a Profile in the model."""

    def __init__(self, schema: _ModelSchema[Profile], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema
        # Every credential of an issuer repeats its Profile verbatim: cached like an Achievement.
        self._shared = _SharedObj(schema)

    def load_value(self, value: Any) -> Profile:
        if type(value) is str:
            if _SCHEME(value) is None or not value.isprintable() or " " in value:
                raise ValidationError(MSG_NOT_URI)
            return Profile(id=value)
        if type(value) is not dict and not isinstance(value, Mapping):
            raise _wrong(value, MSG_NOT_PROFILE)
        return self._shared.load_value(value)


class _ImageSchema(_ModelSchema[Image]):
    """Image (§1.9): closed (``additionalProperties: false``)."""

    class Meta:
        unknown = RAISE

    model = Image
    id = _Uri(required=True)
    type = _SingleType("Image")
    caption = _Str()


class _CriteriaSchema(_ModelSchema[Criteria]):
    """Criteria (§1.4): both properties optional ("SHOULD provide at least one")."""

    model = Criteria
    id = _Uri()
    narrative = _Str()


class _AlignmentSchema(_ModelSchema[Alignment]):
    """Alignment (§1.5): ``targetName`` and ``targetUrl`` required."""

    model = Alignment
    type = _Types(all_of=("Alignment",))
    target_name = _Str(required=True, data_key="targetName")
    target_url = _Str(required=True, data_key="targetUrl")  # display data: any string
    target_code = _Str(data_key="targetCode")
    target_description = _Str(data_key="targetDescription")
    target_framework = _Str(data_key="targetFramework")
    target_type = _Enum(
        ALIGNMENT_TARGET_TYPES, "alignment target type", ext=True, data_key="targetType"
    )


_ALIGNMENT: Final = _AlignmentSchema()
_IMAGE: Final = _ImageSchema()
_CRITERIA: Final = _CriteriaSchema()


def _alignments() -> _Many[Alignment]:
    return _Many(_Obj(_ALIGNMENT))


class _RubricCriterionLevelSchema(_ModelSchema[RubricCriterionLevel]):
    """RubricCriterionLevel (§1.6): ``id``, ``name`` required; ``points`` is a String."""

    model = RubricCriterionLevel
    id = _Uri(required=True)
    type = _Types(all_of=("RubricCriterionLevel",))
    name = _Str(required=True)
    description = _Str()
    level = _Str()
    points = _Str()
    alignment = _alignments()


class _ResultDescriptionSchema(_ModelSchema[ResultDescription]):
    """ResultDescription (§1.6): ``id``, ``name``, ``resultType`` required."""

    model = ResultDescription
    id = _Uri(required=True)
    type = _Types(all_of=("ResultDescription",))
    name = _Str(required=True)
    result_type = _Enum(RESULT_TYPES, "result type", ext=True, required=True, data_key="resultType")
    alignment = _alignments()
    allowed_value = _Many(_Str(), data_key="allowedValue")
    required_level = _Uri(data_key="requiredLevel")
    required_value = _Str(data_key="requiredValue")
    rubric_criterion_level = _Many(
        _Obj(_RubricCriterionLevelSchema()), data_key="rubricCriterionLevel"
    )
    value_max = _Str(data_key="valueMax")
    value_min = _Str(data_key="valueMin")


class _ResultSchema(_ModelSchema[Result]):
    """Result (§1.7)."""

    model = Result
    type = _Types(all_of=("Result",))
    achieved_level = _Uri(data_key="achievedLevel")
    alignment = _alignments()
    result_description = _Uri(data_key="resultDescription")
    status = _Enum(RESULT_STATUSES, "result status", ext=False)
    value = _Str()


class _IdentityObjectSchema(_ModelSchema[IdentityObject]):
    """IdentityObject (§1.8): closed; every property but ``salt`` required."""

    class Meta:
        unknown = RAISE

    model = IdentityObject
    type = _SingleType("IdentityObject")
    hashed = _Bool(required=True)
    identity_hash = _Str(required=True, data_key="identityHash")
    identity_type = _Enum(
        IDENTIFIER_TYPES, "identifier type", ext=True, required=True, data_key="identityType"
    )
    salt = _Str()


class _EvidenceSchema(_ModelSchema[Evidence]):
    """Evidence (§1.9)."""

    model = Evidence
    type = _Types(all_of=("Evidence",))
    id = _Uri()
    narrative = _Str()
    name = _Str()
    description = _Str()
    genre = _Str()
    audience = _Str()


class _ProofSchema(_ModelSchema[Proof]):
    """An embedded proof (§2.4): generic fields only; the raw object is kept for the signature
    check. ``created`` is an xsd:dateTimeStamp in VC Data Integrity, so it needs a time zone."""

    model = Proof
    type = _Types()
    cryptosuite = _Str()
    created = _DateTime()
    verification_method = _Str(data_key="verificationMethod")
    proof_purpose = _Str(data_key="proofPurpose")
    proof_value = _Str(data_key="proofValue")
    challenge = _Str()
    domain = _Str()
    nonce = _Str()

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> Proof:
        return self.model(raw=_freeze(original), **data)


class _CredentialStatusSchema(_ModelSchema[CredentialStatus]):
    """credentialStatus (§3.2-3.3): ``id`` and ``type``; the rest stays in ``raw``."""

    model = CredentialStatus
    id = _Uri(required=True)
    type = _Types()

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> CredentialStatus:
        return self.model(raw=_freeze(original), **data)


class _CredentialSchemaSchema(_ModelSchema[CredentialSchema]):
    """credentialSchema entry (§3.1)."""

    model = CredentialSchema
    id = _Uri(required=True)
    type = _Types()


class _EndorsementSubjectSchema(_ModelSchema[EndorsementSubject]):
    """EndorsementSubject (§1.9)."""

    model = EndorsementSubject
    id = _Uri(required=True)
    type = _Types(all_of=("EndorsementSubject",))
    endorsement_comment = _Str(data_key="endorsementComment")


class _AssociationSchema(_ModelSchema[Association]):
    """CLR 2.0 Association (checklist §6.2): ``type`` is the single string "Association"."""

    model = Association
    type = _SingleType("Association")
    association_type = _Enum(
        ASSOCIATION_TYPES, "association type", ext=False, required=True, data_key="associationType"
    )
    source_id = _Uri(required=True, data_key="sourceId")
    target_id = _Uri(required=True, data_key="targetId")


_RESULT_DESCRIPTION: Final = _ResultDescriptionSchema()
_RESULT: Final = _ResultSchema()
_IDENTITY_OBJECT: Final = _IdentityObjectSchema()
_EVIDENCE: Final = _EvidenceSchema()
_PROOF: Final = _ProofSchema()
_CREDENTIAL_STATUS: Final = _CredentialStatusSchema()
_CREDENTIAL_SCHEMA: Final = _CredentialSchemaSchema()
_ENDORSEMENT_SUBJECT: Final = _EndorsementSubjectSchema()
_ASSOCIATION: Final = _AssociationSchema()


# Classes that reach an EndorsementCredential (Profile, Achievement, AchievementSubject, the
# credentials) are declared without their recursive properties; ``_Level`` adds those per
# nesting level, so the schema graph is finite and every path through it is bounded.


class _ProfileSchema(_ModelSchema[Profile]):
    """Profile (§1.3): ``id`` and ``type`` ∋ "Profile" required when given as an object."""

    model = Profile
    id = _Uri(required=True)
    type = _Types(all_of=("Profile",))
    name = _Str()
    url = _Str()  # the homepage, display data: any string (the OB schema checks no format)
    description = _Str()
    email = _Str()
    phone = _Str()
    official = _Str()
    image = _Obj(_IMAGE)
    parent_org: fields.Field[Any] = _PerLevel()
    endorsement: fields.Field[Any] = _PerLevel()
    endorsement_jwt = _Many(_Jws(), data_key="endorsementJwt")


class _AchievementSchema(_ModelSchema[Achievement]):
    """Achievement (§1.4): ``id``, ``type`` ∋ "Achievement", ``name``, ``description`` and
    ``criteria`` required."""

    model = Achievement
    id = _Uri(required=True)
    type = _Types(all_of=("Achievement",))
    name = _Str(required=True)
    description = _Str(required=True)
    criteria = _Obj(_CRITERIA, required=True)
    achievement_type = _Enum(
        ACHIEVEMENT_TYPES, "achievement type", ext=True, data_key="achievementType"
    )
    alignment = _alignments()
    creator: fields.Field[Any] = _PerLevel()
    credits_available = _Float(data_key="creditsAvailable")
    endorsement: fields.Field[Any] = _PerLevel()
    endorsement_jwt = _Many(_Jws(), data_key="endorsementJwt")
    field_of_study = _Str(data_key="fieldOfStudy")
    human_code = _Str(data_key="humanCode")
    image = _Obj(_IMAGE)
    in_language = _Str(data_key="inLanguage")
    result_description = _Many(_Obj(_RESULT_DESCRIPTION), data_key="resultDescription")
    specialization = _Str()
    tag = _Many(_Str())
    version = _Str()


class _AchievementSubjectSchema(_ModelSchema[AchievementSubject]):
    """AchievementSubject (§1.7): ``type`` ∋ "AchievementSubject" and ``achievement`` required;
    ``id`` or at least one ``identifier`` required (OB 3.0 §9 step 1, checked in ``build``)."""

    model = AchievementSubject
    id = _Uri()
    type = _Types(all_of=("AchievementSubject",))
    achievement: fields.Field[Any] = _PerLevel()
    identifier = _Many(_Obj(_IDENTITY_OBJECT))
    activity_start_date = _DateTime(zone=False, data_key="activityStartDate")
    activity_end_date = _DateTime(zone=False, data_key="activityEndDate")
    credits_earned = _Float(data_key="creditsEarned")
    image = _Obj(_IMAGE)
    license_number = _Str(data_key="licenseNumber")
    narrative = _Str()
    result = _Many(_Obj(_RESULT))
    role = _Str()
    source: fields.Field[Any] = _PerLevel()
    term = _Str()

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> AchievementSubject:
        if "id" not in data and not data.get("identifier"):
            raise ValidationError([MSG_NO_SUBJECT_ID])
        return self.model(**data)


class _CredentialSchemaBase(_ModelSchema[_M]):
    """The Verifiable Credential envelope (§1.1) shared by both credential classes.

    Dates: VC 2.0 requires ``validFrom`` (OB makes it [1]); VC 1.1 requires ``issuanceDate`` and
    maps ``issuanceDate``/``expirationDate`` to ``valid_from``/``valid_until`` (§0, §2.5 step 1).
    The date properties of the other data model are ignored.
    """

    context = _Context(require_ob=True, data_key="@context")
    type: fields.Field[Any] = _PerLevel()
    id = _Uri(required=True)
    name = _Str()
    description = _Str()
    issuer: fields.Field[Any] = _PerLevel()
    valid_from = _DateTime(data_key="validFrom")
    valid_until = _DateTime(data_key="validUntil")
    issuance_date = _DateTime(data_key="issuanceDate")
    expiration_date = _DateTime(data_key="expirationDate")
    awarded_date = _DateTime(data_key="awardedDate")
    credential_subject: fields.Field[Any] = _PerLevel()
    endorsement: fields.Field[Any] = _PerLevel()
    proof = _Many(_Obj(_PROOF))
    credential_schema = _Many(_Obj(_CREDENTIAL_SCHEMA), data_key="credentialSchema")
    credential_status = _StatusEntries(_Obj(_CREDENTIAL_STATUS), data_key="credentialStatus")
    refresh_service = _RawObject(data_key="refreshService")
    terms_of_use = _Many(_RawObject(), data_key="termsOfUse")
    endorsement_jwt = _Many(_Jws(), data_key="endorsementJwt")

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> _M:
        issuance = data.pop("issuance_date", None)
        expiration = data.pop("expiration_date", None)
        if data["context"][0] == VC2_CONTEXT:
            version = "2.0"
            if "valid_from" not in data:
                raise ValidationError({"validFrom": [MSG_MISSING]})
        else:
            version = "1.1"
            data.pop("valid_from", None)
            data.pop("valid_until", None)
            if issuance is None:
                raise ValidationError({"issuanceDate": [MSG_MISSING]})
            data["valid_from"] = issuance
            if expiration is not None:
                data["valid_until"] = expiration
        return cast(_M, self.model(vc_version=version, raw=_freeze(original), **data))


class _AchievementCredentialSchema(_CredentialSchemaBase[AchievementCredential]):
    """AchievementCredential / OpenBadgeCredential (§1.1)."""

    model = AchievementCredential
    type = _Types(
        all_of=("VerifiableCredential",), any_of=("OpenBadgeCredential", "AchievementCredential")
    )
    image = _Obj(_IMAGE)
    evidence = _Many(_Obj(_EVIDENCE))


class _EndorsementCredentialSchema(_CredentialSchemaBase[EndorsementCredential]):
    """EndorsementCredential (§1.9): ``name`` required. Its ``@context`` follows the same rule
    as an AchievementCredential's (OB-GH ``endorsementcredential`` schema ``@context.items``)."""

    model = EndorsementCredential
    type = _Types(all_of=("VerifiableCredential", "EndorsementCredential"))
    name = _Str(required=True)
    credential_subject = _Obj(_ENDORSEMENT_SUBJECT, required=True, data_key="credentialSubject")


class _ClrSubjectSchema(_ModelSchema[ClrSubject]):
    """ClrSubject (checklist §6.2): ``type`` ∋ "ClrSubject"; ``verifiableCredential`` [1..*];
    ``id`` or at least one ``identifier`` required (checked in ``build``)."""

    model = ClrSubject
    id = _Uri()
    type = _Types(all_of=("ClrSubject",))
    identifier = _Many(_Obj(_IDENTITY_OBJECT))
    achievement: fields.Field[Any] = _PerLevel()
    association = _Many(_Obj(_ASSOCIATION))
    verifiable_credential = _Many(
        _EmbeddedCredential(), required=True, data_key="verifiableCredential"
    )

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> ClrSubject:
        if not data["verifiable_credential"]:
            raise ValidationError({"verifiableCredential": [MSG_EMPTY_TYPES]})
        if "id" not in data and not data.get("identifier"):
            raise ValidationError([MSG_NO_SUBJECT_ID])
        return self.model(**data)


class _ClrCredentialSchema(_CredentialSchemaBase[ClrCredential]):
    """ClrCredential (checklist §6.1): contexts VC 2.0, CLR 2.0, OB 3.0 in that order;
    ``name`` required."""

    model = ClrCredential
    context = _Context(require_ob=True, clr=True, data_key="@context")
    type = _Types(all_of=("VerifiableCredential", "ClrCredential"))
    name = _Str(required=True)
    image = _Obj(_IMAGE)


_S = TypeVar("_S", bound=_ModelSchema[Any])


def _extend(base: type[_S], name: str, extra: dict[str, fields.Field[Any]]) -> _S:
    """An instance of a subclass of ``base`` with the ``extra`` fields added."""
    return cast(_S, base.from_dict(extra, name=name)())


class _Level:
    """The schemas of one endorsement-nesting level (0 = the credential being loaded).

    Level ``n`` loads endorsements with the schemas of level ``n + 1``; the last level has a
    ``_TooDeep`` field in their place.
    """

    profile: _ProfileSchema
    achievement: _AchievementSchema
    subject: _AchievementSubjectSchema
    achievement_credential: _AchievementCredentialSchema
    endorsement_credential: _EndorsementCredentialSchema
    endorsements: fields.Field[Any]

    def __init__(self, depth: int) -> None:
        endorsements: fields.Field[Any]
        if depth < MAX_ENDORSEMENT_DEPTH:
            endorsements = _Many(_Obj(_Level(depth + 1).endorsement_credential))
        else:
            endorsements = _TooDeep()
        self.endorsements = endorsements
        self.profile = _profile_chain(depth, endorsements)
        self.achievement = _extend(
            _AchievementSchema,
            f"AchievementSchemaL{depth}",
            {"creator": _Obj(self.profile), "endorsement": endorsements},
        )
        self.subject = _extend(
            _AchievementSubjectSchema,
            f"AchievementSubjectSchemaL{depth}",
            {
                "achievement": _SharedObj(self.achievement, required=True),
                "source": _Obj(self.profile),
            },
        )
        issuer = _ProfileRef(self.profile, required=True)
        self.achievement_credential = _extend(
            _AchievementCredentialSchema,
            f"AchievementCredentialSchemaL{depth}",
            {
                "issuer": issuer,
                "endorsement": endorsements,
                "credential_subject": _Obj(
                    self.subject, required=True, data_key="credentialSubject"
                ),
            },
        )
        self.endorsement_credential = _extend(
            _EndorsementCredentialSchema,
            f"EndorsementCredentialSchemaL{depth}",
            {"issuer": issuer, "endorsement": endorsements},
        )


def _profile_chain(depth: int, endorsements: fields.Field[Any]) -> _ProfileSchema:
    """Profile schemas whose ``parentOrg`` chain ends after MAX_PARENT_ORG_DEPTH links."""
    parent: fields.Field[Any] = _TooDeep(data_key="parentOrg")
    for link in range(MAX_PARENT_ORG_DEPTH, 0, -1):
        parent = _Obj(
            _extend(
                _ProfileSchema,
                f"ProfileSchemaL{depth}P{link}",
                {"parent_org": parent, "endorsement": endorsements},
            ),
            data_key="parentOrg",
        )
    return _extend(
        _ProfileSchema,
        f"ProfileSchemaL{depth}",
        {"parent_org": parent, "endorsement": endorsements},
    )


_TOP: Final = _Level(0)
#: A CLR is only ever the top-level credential (it is not an endorsement): one schema, level 0.
_CLR_CREDENTIAL: Final = _extend(
    _ClrCredentialSchema,
    "ClrCredentialSchemaL0",
    {
        "issuer": _ProfileRef(_TOP.profile, required=True),
        # Added here, not as a class attribute: ``partial`` is also marshmallow's own option.
        "partial": _Bool(),
        "endorsement": _TOP.endorsements,
        "credential_subject": _Obj(
            _extend(
                _ClrSubjectSchema,
                "ClrSubjectSchemaL0",
                {"achievement": _Many(_SharedObj(_TOP.achievement))},
            ),
            required=True,
            data_key="credentialSubject",
        ),
    },
)


# ---------------------------------------------------------------------------------------------
# Public API.


#: Property names shown as-is in a message path; others are quoted (they come from the input).
_PLAIN_KEY: Final = re.compile(r"@?[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


def _first_error(messages: Any) -> tuple[str, str]:
    """The JSON path and the text of the first message in a marshmallow error structure."""
    path = ""
    node = messages
    while True:
        if isinstance(node, dict):
            if not node:
                return path, MSG_UNREADABLE
            key, node = next(iter(node.items()))
            if key == "_schema":
                continue
            if type(key) is int:
                path += f"[{key}]"
            elif type(key) is str and _PLAIN_KEY.match(key):
                path += f".{key}" if path else key
            else:  # an unknown property's name, chosen by the sender: quoted, ASCII, short
                text = str(key)
                text = text if len(text) <= 40 else text[:40] + "..."
                path += f"[{json.dumps(text)}]"
        elif isinstance(node, list):
            if not node:
                return path, MSG_UNREADABLE
            node = node[0]
        else:
            return path, str(node)


def _violation(messages: Any, noun: str) -> SchemaViolation:
    path, text = _first_error(messages)
    where = f"The {noun}'s {path}" if path else f"The {noun}"
    details = messages if isinstance(messages, dict) else {"_schema": messages}
    return SchemaViolation(
        f"{where} {text}", code=_CODES.get(text, "schema_invalid"), details=details
    )


def _run(schema: _ModelSchema[_M], data: object, noun: str) -> _M:
    try:
        return schema.parse(data)
    except ValidationError as exc:
        raise _violation(exc.messages, noun) from None
    except RecursionError:  # cannot happen with bounded schemas; never let it escape
        raise SchemaViolation(
            f"The {noun} {MSG_TOO_DEEP}", code="too_deep", details={"_schema": [MSG_TOO_DEEP]}
        ) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # A bug, not bad input: still a schema failure for the caller; chained for debugging.
        raise SchemaViolation(
            f"The {noun} {MSG_UNREADABLE}",
            code="schema_invalid",
            details={"_schema": [MSG_UNREADABLE]},
        ) from exc


def load_achievement_credential(data: object) -> AchievementCredential:
    """Load an OpenBadgeCredential / AchievementCredential (VC 2.0 or VC 1.1 form)."""
    return _run(_TOP.achievement_credential, data, "credential")


def load_endorsement_credential(data: object) -> EndorsementCredential:
    """Load an EndorsementCredential."""
    return _run(_TOP.endorsement_credential, data, "credential")


def load_clr_credential(data: object) -> ClrCredential:
    """Load a CLR 2.0 ClrCredential (VC 2.0 form); embedded credentials stay raw."""
    return _run(_CLR_CREDENTIAL, data, "credential")


def load_profile(data: object) -> Profile:
    """Load a Profile object (e.g. from ``GET /profile`` or an issuer document)."""
    return _run(_TOP.profile, data, "profile")


def load_achievement(data: object) -> Achievement:
    """Load an Achievement object (e.g. a published achievement definition)."""
    return _run(_TOP.achievement, data, "achievement")


_OB_TYPES: Final = ("OpenBadgeCredential", "AchievementCredential")


def load_credential(data: object) -> AnyCredential:
    """Load an OB 3.0 or CLR 2.0 credential, choosing the class by its ``type``.

    ``type`` must include "VerifiableCredential" and "OpenBadgeCredential" or
    "AchievementCredential" (→ :class:`AchievementCredential`), "EndorsementCredential" (→
    :class:`EndorsementCredential`) or "ClrCredential" (→ :class:`ClrCredential`), one kind only.
    """
    if _is_mapping(data):
        declared = cast(Mapping[str, Any], data).get("type")
        types = (declared,) if type(declared) is str else declared if _is_list(declared) else None
        if types:
            badge = any(name in types for name in _OB_TYPES)
            endorsement = "EndorsementCredential" in types
            if "ClrCredential" in types:
                if badge or endorsement:
                    raise _violation({"type": [MSG_TYPE_CLR_AMBIGUOUS]}, "credential")
                return load_clr_credential(data)
            if badge and endorsement:
                raise _violation({"type": [MSG_TYPE_AMBIGUOUS]}, "credential")
            if endorsement:
                return load_endorsement_credential(data)
            if not badge and all(type(name) is str for name in types):
                raise _violation({"type": [MSG_TYPE_NOT_OB]}, "credential")
    return load_achievement_credential(data)
