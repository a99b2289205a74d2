"""The vocabulary the OB 3.0 model schemas (:mod:`verifier.schemas`) are written in.

Messages, each registered with its stable code (the end of a sentence that starts "The
credential's <path>"); value rules (contexts, URIs, dates, types, the OB and CLR enumerations);
and the field types, each checking one present JSON value exactly — no coercion, JSON ``null``
always an error — and returning its model value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, Generic, TypeVar, cast

import orjson
from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "ASSOCIATION_TYPES",
    "CLR_CONTEXT",
    "DATETIME_PATTERN",
    "EXT_TERM",
    "IDENTIFIER_TYPES",
    "JWS_PATTERN",
    "MSG_BAD_DATE",
    "MSG_CONTEXT_CLR_MISSING",
    "MSG_CONTEXT_CLR_SECOND",
    "MSG_CONTEXT_FIRST",
    "MSG_CONTEXT_ITEM",
    "MSG_CONTEXT_OB_MISSING",
    "MSG_CONTEXT_OB_SECOND",
    "MSG_CONTEXT_OB_THIRD",
    "MSG_EMPTY_TYPES",
    "MSG_KEY_NOT_STRING",
    "MSG_MISSING",
    "MSG_NAIVE_DATE",
    "MSG_NOT_BOOL",
    "MSG_NOT_EMBEDDED",
    "MSG_NOT_JWS",
    "MSG_NOT_LIST",
    "MSG_NOT_NUMBER",
    "MSG_NOT_OBJECT",
    "MSG_NOT_PROFILE",
    "MSG_NOT_STRING",
    "MSG_NOT_TYPES",
    "MSG_NOT_URI",
    "MSG_NULL",
    "MSG_TOO_DEEP",
    "MSG_TYPE_AMBIGUOUS",
    "MSG_TYPE_CLR_AMBIGUOUS",
    "MSG_TYPE_NOT_OB",
    "MSG_UNKNOWN",
    "MSG_UNREADABLE",
    "OB_CONTEXT",
    "RESULT_STATUSES",
    "RESULT_TYPES",
    "SCHEME_PATTERN",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "BoolField",
    "ContextField",
    "DateTimeField",
    "EmbeddedCredentialField",
    "EnumField",
    "FloatField",
    "JwsField",
    "ManyField",
    "ModelField",
    "ModelSchema",
    "ObjectField",
    "PerLevelField",
    "RawObjectField",
    "SharedObjectField",
    "SingleTypeField",
    "StatusEntriesField",
    "StrField",
    "TooDeepField",
    "TypesField",
    "UriField",
    "coded",
    "freeze",
    "is_list",
    "is_mapping",
    "wrong_value",
]

_T = TypeVar("_T")

# ---------------------------------------------------------------------------------------------
# Messages. Each is the end of a sentence that starts with "The credential's <path>" (plain
# words for the person who sent the credential; ``details`` is for operators). The code is
# looked up by the exact text, so every message is registered with ``_msg`` at import.

MESSAGE_CODES: dict[str, str] = {}


def coded(code: str, text: str) -> str:
    """Register ``text`` as a message whose code is ``code``; return the text."""
    MESSAGE_CODES[text] = code
    return text


MSG_MISSING: Final = coded("missing_field", "is missing.")
MSG_NULL: Final = coded("wrong_type", "is null; leave the property out instead.")
MSG_NOT_OBJECT: Final = coded("wrong_type", "must be a JSON object.")
MSG_NOT_STRING: Final = coded("wrong_type", "must be a string.")
MSG_NOT_BOOL: Final = coded("wrong_type", "must be true or false.")
MSG_NOT_NUMBER: Final = coded("wrong_type", "must be a finite number.")
MSG_NOT_PROFILE: Final = coded("wrong_type", "must be a URI string or a Profile object.")
MSG_NOT_TYPES: Final = coded("wrong_type", "must be a string or a list of strings.")
MSG_NOT_LIST: Final = coded("wrong_type", "must be a list.")
MSG_KEY_NOT_STRING: Final = coded("wrong_type", "has a property name that is not a string.")
MSG_EMPTY_TYPES: Final = coded("schema_invalid", "must not be an empty list.")
MSG_NOT_URI: Final = coded("schema_invalid", "must be a URI: a scheme, a colon, and no spaces.")
MSG_NOT_JWS: Final = coded("schema_invalid", "must be a compact JWS: three base64url parts.")
MSG_UNKNOWN: Final = coded("schema_invalid", "is not allowed here.")
MSG_BAD_DATE: Final = coded("bad_date", "must be a date and time like 2024-01-31T09:00:00Z.")
MSG_NAIVE_DATE: Final = coded("bad_date", "must end with a time zone such as Z or +02:00.")
MSG_TOO_DEEP: Final = coded("too_deep", "is nested too deeply.")
MSG_CONTEXT_ITEM: Final = coded("wrong_type", "must be a string or a JSON object.")
MSG_CONTEXT_FIRST: Final = coded(
    "bad_context", "must start with the W3C Verifiable Credentials context (v2 or v1)."
)
MSG_CONTEXT_OB_SECOND: Final = coded(
    "bad_context", "must be the Open Badges 3.0 context (…/ob/v3p0/context-3.0.x.json)."
)
MSG_CONTEXT_OB_MISSING: Final = coded("bad_context", "must include the Open Badges 3.0 context.")
MSG_CONTEXT_CLR_MISSING: Final = coded("bad_context", "must include the CLR 2.0 context.")
MSG_CONTEXT_CLR_SECOND: Final = coded(
    "bad_context", "must be the CLR 2.0 context (…/clr/v2p0/context-2.0.x.json)."
)
MSG_CONTEXT_OB_THIRD: Final = coded(
    "bad_context", "must be the Open Badges 3.0 context (…/ob/v3p0/context-3.0.x.json)."
)
MSG_TYPE_CLR_AMBIGUOUS: Final = coded(
    "schema_invalid", "must not name both a ClrCredential and another credential kind."
)
MSG_NOT_EMBEDDED: Final = coded(
    "wrong_type", "must be a credential object (with a type) or a compact JWS string."
)
MSG_TYPE_AMBIGUOUS: Final = coded(
    "schema_invalid", "must not name both an Open Badge and an EndorsementCredential."
)
MSG_TYPE_NOT_OB: Final = coded(
    "schema_invalid",
    'must include "OpenBadgeCredential", "AchievementCredential" or "EndorsementCredential".',
)
MSG_UNREADABLE: Final = coded("schema_invalid", "could not be read.")


# ---------------------------------------------------------------------------------------------
# Value rules.

#: VC 2.0 / VC 1.1 base contexts: ``@context[0]`` decides the data model (checklist §0, §1.2).
VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
#: Any published OB 3.0 context file (context.json = 3.0.0, context-3.0.1 … 3.0.3; §0, §1.1).
OB_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json\Z"
)
#: The CLR 2.0 context file(s) (checklist §6.1: ``context-2.0.1.json``; the unversioned alias).
CLR_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)?\.json\Z"
)
#: A URI is "a scheme, a colon, no whitespace": the RFC 3986 scheme is matched here, and
#: ``str.isprintable()`` plus a test for " " rule out every whitespace and control character
#: (faster than a whole-string regex). Ids may be URLs, URNs, DIDs or data: URIs.
SCHEME_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:").match
#: CompactJws (OB-GH schema ``endorsementJwt`` pattern, anchored).
JWS_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\Z")
#: xsd:dateTime shape; group 1 is the time-zone designator, mandatory for DateTimeZ (§1.1).
DATETIME_PATTERN: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?\Z"
)
#: Extension terms of an EnumExt: "MUST start with the prefix ``ext:``" (§1.4). The OB-GH schema
#: pattern is unanchored (it accepts "fooext:bar"); this one is anchored at both ends.
EXT_TERM: Final = re.compile(r"ext:[A-Za-z0-9._-]+\Z")

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


def is_mapping(value: object) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def is_list(value: object) -> bool:
    return type(value) is list or type(value) is tuple


def freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only view of ``value`` (no copy)."""
    return value if type(value) is MappingProxyType else MappingProxyType(value)


# ---------------------------------------------------------------------------------------------
# Fields. Each implements ``load_value(value)``: check one present JSON value and return its
# model value, or raise ``ValidationError``. JSON ``null`` is always an error (serialization
# rules, §1.2: nulls are omitted); a missing required property is MSG_MISSING. marshmallow's
# ``deserialize``/``_deserialize`` API delegates to ``load_value``.


class ModelField(fields.Field[_T]):
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


def wrong_value(value: Any, message: str) -> ValidationError:
    return ValidationError(MSG_NULL if value is None else message)


class StrField(ModelField[str]):
    """A JSON string."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise wrong_value(value, MSG_NOT_STRING)
        return value


class UriField(ModelField[str]):
    """A URI string: a scheme, a colon, no whitespace. Used for every ``id`` and for the
    properties that reference an ``id`` (``requiredLevel``, ``achievedLevel``,
    ``Result.resultDescription``); the OB JSON Schema itself checks no URI format."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise wrong_value(value, MSG_NOT_STRING)
        if SCHEME_PATTERN(value) is None or not value.isprintable() or " " in value:
            raise ValidationError(MSG_NOT_URI)
        return value


class EnumField(ModelField[str]):
    """A string from a fixed vocabulary, or (``ext=True``, an OB EnumExt) an ``ext:`` term."""

    def __init__(self, values: frozenset[str], what: str, *, ext: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.values = values
        self.ext = ext
        hint = " or an ext: extension term" if ext else ""
        self.message = coded("schema_invalid", f"is not a known {what}; use a listed value{hint}.")

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise wrong_value(value, MSG_NOT_STRING)
        if value in self.values or (self.ext and EXT_TERM.match(value) is not None):
            return value
        raise ValidationError(self.message)


class JwsField(ModelField[str]):
    """A CompactJws string (``endorsementJwt`` items)."""

    def load_value(self, value: Any) -> str:
        if type(value) is not str:
            raise wrong_value(value, MSG_NOT_STRING)
        if JWS_PATTERN.match(value) is None:
            raise ValidationError(MSG_NOT_JWS)
        return value


class BoolField(ModelField[bool]):
    def load_value(self, value: Any) -> bool:
        if type(value) is not bool:
            raise wrong_value(value, MSG_NOT_BOOL)
        return value


class FloatField(ModelField[float]):
    """An OB Float: a JSON number (int or float, never a bool or a string), finite."""

    def load_value(self, value: Any) -> float:
        if type(value) is not int and type(value) is not float:
            raise wrong_value(value, MSG_NOT_NUMBER)
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            raise ValidationError(MSG_NOT_NUMBER) from None
        if not math.isfinite(number):
            raise ValidationError(MSG_NOT_NUMBER)
        return number


class DateTimeField(ModelField[datetime]):
    """An xsd:dateTime string. ``zone=True`` (OB DateTimeZ, the default) requires ``Z`` or an
    offset; OB ``DateTime`` properties (activity dates) may be naive. Fractional seconds of any
    length are accepted (digits past microseconds are dropped by ``fromisoformat``)."""

    def __init__(self, *, zone: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zone = zone

    def load_value(self, value: Any) -> datetime:
        if type(value) is not str:
            raise wrong_value(value, MSG_NOT_STRING)
        shape = DATETIME_PATTERN.match(value)
        if shape is None:
            raise ValidationError(MSG_BAD_DATE)
        if self.zone and shape.group(1) is None:
            raise ValidationError(MSG_NAIVE_DATE)
        try:
            return datetime.fromisoformat(value)
        except ValueError:  # e.g. month 13, hour 24, year 0
            raise ValidationError(MSG_BAD_DATE) from None


class TypesField(ModelField[tuple[str, ...]]):
    """An OB ``type``: an unordered set of IRIs, compacted to a single string when it has one
    member (§1.2), that must include every name in ``all_of`` and one of ``any_of``."""

    def __init__(
        self, *, all_of: Sequence[str] = (), any_of: Sequence[str] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.all_of = tuple(
            (name, coded("schema_invalid", f'must include "{name}".')) for name in all_of
        )
        self.any_of = tuple(any_of)
        names = " or ".join(f'"{name}"' for name in any_of)
        self.any_of_message = coded("schema_invalid", f"must include {names}.")

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
            raise wrong_value(value, MSG_NOT_TYPES)
        for name, message in self.all_of:
            if name not in types:
                raise ValidationError(message)
        if self.any_of:
            for name in self.any_of:
                if name in types:
                    return types
            raise ValidationError(self.any_of_message)
        return types


class SingleTypeField(ModelField[tuple[str, ...]]):
    """The ``type`` of a closed class: exactly one IRI as a plain string ("MUST be the IRI
    'Image'", §1.2). No vector uses an array here, so none is accepted."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.name = name
        self.value = (name,)
        self.not_string = coded("wrong_type", f'must be the single string "{name}".')
        self.wrong = coded("schema_invalid", f'must be "{name}".')

    def load_value(self, value: Any) -> tuple[str, ...]:
        if value == self.name and type(value) is str:
            return self.value
        if type(value) is not str:
            raise wrong_value(value, self.not_string)
        raise ValidationError(self.wrong)


class RawObjectField(ModelField[Mapping[str, Any]]):
    """An object kept as raw JSON (read-only view), e.g. ``refreshService``, ``termsOfUse``."""

    def load_value(self, value: Any) -> Mapping[str, Any]:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise wrong_value(value, MSG_NOT_OBJECT)
        return freeze(value)


class ContextField(ModelField[tuple[str | Mapping[str, Any], ...]]):
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
            raise wrong_value(value, MSG_NOT_LIST)
        items: list[str | Mapping[str, Any]] = []
        for index, item in enumerate(value):
            if type(item) is str:
                items.append(item)
            elif is_mapping(item):
                items.append(freeze(item))
            else:
                raise ValidationError({index: [MSG_CONTEXT_ITEM]})
        if not items or items[0] not in (VC2_CONTEXT, VC1_CONTEXT):
            raise ValidationError({0: [MSG_CONTEXT_FIRST]})
        if self.clr and items[0] == VC1_CONTEXT:
            # CLR 2.0 in its VC 1.1 form (as the 1EdTech validator reads it): the CLR and OB
            # contexts anywhere after the base context, as VC 1.1 Open Badges put them.
            if not any(type(i) is str and CLR_CONTEXT.match(i) for i in items[1:]):
                raise ValidationError(MSG_CONTEXT_CLR_MISSING)
            if not any(type(i) is str and OB_CONTEXT.match(i) for i in items[1:]):
                raise ValidationError(MSG_CONTEXT_OB_MISSING)
        elif self.clr:
            # CLR 2.0 §6.1: VC 2.0, CLR 2.0, OB 3.0, in this order, then anything else.
            second = items[1] if len(items) > 1 else None
            if type(second) is not str or CLR_CONTEXT.match(second) is None:
                raise ValidationError({1: [MSG_CONTEXT_CLR_SECOND]})
            third = items[2] if len(items) > 2 else None
            if type(third) is not str or OB_CONTEXT.match(third) is None:
                raise ValidationError({2: [MSG_CONTEXT_OB_THIRD]})
        elif self.require_ob:
            if items[0] == VC2_CONTEXT:
                second = items[1] if len(items) > 1 else None
                if type(second) is not str or OB_CONTEXT.match(second) is None:
                    raise ValidationError({1: [MSG_CONTEXT_OB_SECOND]})
            elif not any(type(i) is str and OB_CONTEXT.match(i) for i in items[1:]):
                raise ValidationError(MSG_CONTEXT_OB_MISSING)
        return tuple(items)


class ManyField(ModelField[tuple[_T, ...]]):
    """A [0..*] property: a JSON array, or a single value standing for a one-item array (§1.2);
    always a tuple in the model. Empty arrays are accepted (§1.2 forbids emitting them)."""

    def __init__(self, inner: ModelField[_T], **kwargs: Any) -> None:
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


class StatusEntriesField(ModelField[Any]):
    """``credentialStatus``: one object (OB 3.0, [0..1]) or, as VC 2.0 allows, a list of them
    (e.g. a revocation and a suspension entry). Every entry is checked; the model keeps the
    first, and the status check reads them all from ``raw``."""

    def __init__(self, inner: ModelField[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def load_value(self, value: Any) -> Any:
        if type(value) is not list:
            return self.inner.load_value(value)
        if not value:
            raise ValidationError(["Must not be an empty list."])
        loaded = ManyField(self.inner).load_value(value)
        return loaded[0]


class PerLevelField(ModelField[Any]):
    """Marks where a property goes in a base schema whose real field is set by a subclass: the
    credential kinds set ``type`` and ``credentialSubject``; ``_Level`` sets the properties that
    lead to endorsements. (marshmallow keeps a field's first declared position when a subclass
    overrides it, and errors come out in that order.)"""

    def load_value(self, value: Any) -> Any:
        raise TypeError("_PerLevel placeholder was not replaced")


class TooDeepField(ModelField[Any]):
    """Stands in for a recursive property past its nesting limit: absent or ``[]`` is fine."""

    def load_value(self, value: Any) -> Any:
        if (type(value) is list or type(value) is tuple) and not value:
            return ()
        raise ValidationError(MSG_TOO_DEEP)


class EmbeddedCredentialField(ModelField[Mapping[str, Any] | str]):
    """One item of ``ClrSubject.verifiableCredential`` (checklist §6.2): a credential object —
    a Data Integrity credential or a VC 2.0 EnvelopedVerifiableCredential — whose ``type`` is a
    string or a list of strings, or a compact JWS (the VC-JWT CLR vector's form). Kept raw and
    unverified: each is checked as a credential of its own."""

    def load_value(self, value: Any) -> Mapping[str, Any] | str:
        if type(value) is str:
            if JWS_PATTERN.match(value) is None:
                raise ValidationError(MSG_NOT_JWS)
            return value
        if type(value) is not dict and not isinstance(value, Mapping):
            raise wrong_value(value, MSG_NOT_EMBEDDED)
        declared = value.get("type")
        if type(declared) is str or (
            type(declared) is list and declared and all(type(t) is str for t in declared)
        ):
            return freeze(value)
        raise ValidationError(MSG_NOT_EMBEDDED)


# ---------------------------------------------------------------------------------------------
# Schemas of model objects, and fields holding them.

_M = TypeVar("_M")


class ModelSchema(Schema, Generic[_M]):
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
            if not isinstance(field_obj, ModelField) or isinstance(field_obj, PerLevelField):
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


class ObjectField(ModelField[_M]):
    """A nested object, parsed by ``schema`` into its model class."""

    def __init__(self, schema: ModelSchema[_M], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema

    def load_value(self, value: Any) -> _M:
        return self.schema.parse(value)


class SharedObjectField(ObjectField[_M]):
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

    def __init__(self, schema: ModelSchema[_M], **kwargs: Any) -> None:
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
