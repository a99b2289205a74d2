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
``schema_invalid``, ``missing_field``, ``wrong_type``, ``bad_context``, ``bad_date``
or ``too_deep``; ``details`` holds every problem found, as marshmallow's
nested error dict.

Design notes (section numbers are those of the OB 3.0 checklist, ``checklist.md``):

* Schemas are marshmallow 4 schemas built once, at import, and shared: they hold no per-call
  state. Fields are small custom fields that check the exact JSON type (a number is never
  coerced into a string, ``"true"`` is not a boolean) and report a fixed message whose ``code``
  is looked up in ``MESSAGE_CODES`` (:mod:`verifier.schema_fields`).
* Unknown properties are ignored (OB classes are open, "Mixin Extensions", §1) except in the
  closed classes ``Image`` and ``IdentityObject`` (``additionalProperties: false``, §1).
  Ignored properties are never walked, so an arbitrarily deep extension object costs nothing.
* Single values are accepted wherever an array is allowed and normalised to tuples (§1.2
  "Compacted document form"; the impl-guide's own signed vector has ``"proof": {...}``).
  Empty arrays are accepted too (§1.2 forbids emitting them; DCC fixtures do).
* Recursion is bounded by construction: schemas are built per nesting level, so an endorsement
  nested deeper than ``MAX_ENDORSEMENT_DEPTH`` or a ``parentOrg`` chain longer than
  ``MAX_PARENT_ORG_DEPTH`` is a ``too_deep`` error, never a ``RecursionError``.
* One path: ``ModelSchema.parse`` is marshmallow's ``Schema.load`` followed by the model
  class's own constructor, so every invariant a model class checks holds for what is loaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, TypeVar, cast

from marshmallow import RAISE, ValidationError, fields

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
from verifier.schema_fields import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    ASSOCIATION_TYPES,
    IDENTIFIER_TYPES,
    MESSAGE_CODES,
    MSG_EMPTY_TYPES,
    MSG_MISSING,
    MSG_NOT_PROFILE,
    MSG_NOT_URI,
    MSG_TOO_DEEP,
    MSG_TYPE_AMBIGUOUS,
    MSG_TYPE_CLR_AMBIGUOUS,
    MSG_TYPE_NOT_OB,
    MSG_UNREADABLE,
    RESULT_STATUSES,
    RESULT_TYPES,
    SCHEME_PATTERN,
    VC2_CONTEXT,
    BoolField,
    ContextField,
    DateTimeField,
    EmbeddedCredentialField,
    EnumField,
    FloatField,
    JwsField,
    ManyField,
    ModelField,
    ModelSchema,
    ObjectField,
    PerLevelField,
    RawObjectField,
    SharedObjectField,
    SingleTypeField,
    StatusEntriesField,
    StrField,
    TooDeepField,
    TypesField,
    UriField,
    freeze,
    is_list,
    is_mapping,
    wrong_value,
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
# Schemas.


class _ProfileRef(ModelField[Profile]):
    """``ProfileRef`` (§1.1): a URI string or a Profile object; always a Profile in the model."""

    def __init__(self, schema: ModelSchema[Profile], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema
        # Every credential of an issuer repeats its Profile verbatim: cached like an Achievement.
        self._shared = SharedObjectField(schema)

    def load_value(self, value: Any) -> Profile:
        if type(value) is str:
            if SCHEME_PATTERN(value) is None or not value.isprintable() or " " in value:
                raise ValidationError(MSG_NOT_URI)
            return Profile(id=value)
        if type(value) is not dict and not isinstance(value, Mapping):
            raise wrong_value(value, MSG_NOT_PROFILE)
        return self._shared.load_value(value)


class _ImageSchema(ModelSchema[Image]):
    """Image (§1.9): closed (``additionalProperties: false``)."""

    class Meta:
        unknown = RAISE

    model = Image
    id = UriField(required=True)
    type = SingleTypeField("Image")
    caption = StrField()


class _CriteriaSchema(ModelSchema[Criteria]):
    """Criteria (§1.4): both properties optional ("SHOULD provide at least one")."""

    model = Criteria
    id = UriField()
    narrative = StrField()


class _AlignmentSchema(ModelSchema[Alignment]):
    """Alignment (§1.5): ``targetName`` and ``targetUrl`` required."""

    model = Alignment
    type = TypesField(all_of=("Alignment",))
    target_name = StrField(required=True, data_key="targetName")
    target_url = StrField(required=True, data_key="targetUrl")  # display data: any string
    target_code = StrField(data_key="targetCode")
    target_description = StrField(data_key="targetDescription")
    target_framework = StrField(data_key="targetFramework")
    target_type = EnumField(
        ALIGNMENT_TARGET_TYPES, "alignment target type", ext=True, data_key="targetType"
    )


_ALIGNMENT: Final = _AlignmentSchema()
_IMAGE: Final = _ImageSchema()
_CRITERIA: Final = _CriteriaSchema()


def _alignments() -> ManyField[Alignment]:
    return ManyField(ObjectField(_ALIGNMENT))


class _RubricCriterionLevelSchema(ModelSchema[RubricCriterionLevel]):
    """RubricCriterionLevel (§1.6): ``id``, ``name`` required; ``points`` is a String."""

    model = RubricCriterionLevel
    id = UriField(required=True)
    type = TypesField(all_of=("RubricCriterionLevel",))
    name = StrField(required=True)
    description = StrField()
    level = StrField()
    points = StrField()
    alignment = _alignments()


class _ResultDescriptionSchema(ModelSchema[ResultDescription]):
    """ResultDescription (§1.6): ``id``, ``name``, ``resultType`` required."""

    model = ResultDescription
    id = UriField(required=True)
    type = TypesField(all_of=("ResultDescription",))
    name = StrField(required=True)
    result_type = EnumField(
        RESULT_TYPES, "result type", ext=True, required=True, data_key="resultType"
    )
    alignment = _alignments()
    allowed_value = ManyField(StrField(), data_key="allowedValue")
    required_level = UriField(data_key="requiredLevel")
    required_value = StrField(data_key="requiredValue")
    rubric_criterion_level = ManyField(
        ObjectField(_RubricCriterionLevelSchema()), data_key="rubricCriterionLevel"
    )
    value_max = StrField(data_key="valueMax")
    value_min = StrField(data_key="valueMin")


class _ResultSchema(ModelSchema[Result]):
    """Result (§1.7)."""

    model = Result
    type = TypesField(all_of=("Result",))
    achieved_level = UriField(data_key="achievedLevel")
    alignment = _alignments()
    result_description = UriField(data_key="resultDescription")
    status = EnumField(RESULT_STATUSES, "result status", ext=False)
    value = StrField()


class _IdentityObjectSchema(ModelSchema[IdentityObject]):
    """IdentityObject (§1.8): closed; every property but ``salt`` required."""

    class Meta:
        unknown = RAISE

    model = IdentityObject
    type = SingleTypeField("IdentityObject")
    hashed = BoolField(required=True)
    identity_hash = StrField(required=True, data_key="identityHash")
    identity_type = EnumField(
        IDENTIFIER_TYPES, "identifier type", ext=True, required=True, data_key="identityType"
    )
    salt = StrField()


class _EvidenceSchema(ModelSchema[Evidence]):
    """Evidence (§1.9)."""

    model = Evidence
    type = TypesField(all_of=("Evidence",))
    id = UriField()
    narrative = StrField()
    name = StrField()
    description = StrField()
    genre = StrField()
    audience = StrField()


class _ProofSchema(ModelSchema[Proof]):
    """An embedded proof (§2.4): generic fields only; the raw object is kept for the signature
    check. ``created`` is an xsd:dateTimeStamp in VC Data Integrity, so it needs a time zone."""

    model = Proof
    type = TypesField()
    cryptosuite = StrField()
    created = DateTimeField()
    verification_method = StrField(data_key="verificationMethod")
    proof_purpose = StrField(data_key="proofPurpose")
    proof_value = StrField(data_key="proofValue")
    challenge = StrField()
    domain = StrField()
    nonce = StrField()

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> Proof:
        return self.model(raw=freeze(original), **data)


class _CredentialStatusSchema(ModelSchema[CredentialStatus]):
    """credentialStatus (§3.2-3.3): ``id`` and ``type``; the rest stays in ``raw``."""

    model = CredentialStatus
    id = UriField(required=True)
    type = TypesField()

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> CredentialStatus:
        return self.model(raw=freeze(original), **data)


class _CredentialSchemaSchema(ModelSchema[CredentialSchema]):
    """credentialSchema entry (§3.1)."""

    model = CredentialSchema
    id = UriField(required=True)
    type = TypesField()


class _EndorsementSubjectSchema(ModelSchema[EndorsementSubject]):
    """EndorsementSubject (§1.9)."""

    model = EndorsementSubject
    id = UriField(required=True)
    type = TypesField(all_of=("EndorsementSubject",))
    endorsement_comment = StrField(data_key="endorsementComment")


class _AssociationSchema(ModelSchema[Association]):
    """CLR 2.0 Association (checklist §6.2): ``type`` is the single string "Association"."""

    model = Association
    type = SingleTypeField("Association")
    association_type = EnumField(
        ASSOCIATION_TYPES, "association type", ext=False, required=True, data_key="associationType"
    )
    source_id = UriField(required=True, data_key="sourceId")
    target_id = UriField(required=True, data_key="targetId")


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


class _ProfileSchema(ModelSchema[Profile]):
    """Profile (§1.3): ``id`` and ``type`` ∋ "Profile" required when given as an object."""

    model = Profile
    id = UriField(required=True)
    type = TypesField(all_of=("Profile",))
    name = StrField()
    url = StrField()  # the homepage, display data: any string (the OB schema checks no format)
    description = StrField()
    email = StrField()
    phone = StrField()
    official = StrField()
    image = ObjectField(_IMAGE)
    parent_org: fields.Field[Any] = PerLevelField()
    endorsement: fields.Field[Any] = PerLevelField()
    endorsement_jwt = ManyField(JwsField(), data_key="endorsementJwt")


class _AchievementSchema(ModelSchema[Achievement]):
    """Achievement (§1.4): ``id``, ``type`` ∋ "Achievement", ``name``, ``description`` and
    ``criteria`` required."""

    model = Achievement
    id = UriField(required=True)
    type = TypesField(all_of=("Achievement",))
    name = StrField(required=True)
    description = StrField(required=True)
    criteria = ObjectField(_CRITERIA, required=True)
    achievement_type = EnumField(
        ACHIEVEMENT_TYPES, "achievement type", ext=True, data_key="achievementType"
    )
    alignment = _alignments()
    creator: fields.Field[Any] = PerLevelField()
    credits_available = FloatField(data_key="creditsAvailable")
    endorsement: fields.Field[Any] = PerLevelField()
    endorsement_jwt = ManyField(JwsField(), data_key="endorsementJwt")
    field_of_study = StrField(data_key="fieldOfStudy")
    human_code = StrField(data_key="humanCode")
    image = ObjectField(_IMAGE)
    in_language = StrField(data_key="inLanguage")
    result_description = ManyField(ObjectField(_RESULT_DESCRIPTION), data_key="resultDescription")
    specialization = StrField()
    tag = ManyField(StrField())
    version = StrField()


class _AchievementSubjectSchema(ModelSchema[AchievementSubject]):
    """AchievementSubject (§1.7): ``type`` ∋ "AchievementSubject" and ``achievement`` required.
    OB 3.0 also wants an ``id`` or an ``identifier``; one with neither names no recipient, which
    :mod:`verifier.conformance` reports (a deviation, not a forgery)."""

    model = AchievementSubject
    id = UriField()
    type = TypesField(all_of=("AchievementSubject",))
    achievement: fields.Field[Any] = PerLevelField()
    identifier = ManyField(ObjectField(_IDENTITY_OBJECT))
    activity_start_date = DateTimeField(zone=False, data_key="activityStartDate")
    activity_end_date = DateTimeField(zone=False, data_key="activityEndDate")
    credits_earned = FloatField(data_key="creditsEarned")
    image = ObjectField(_IMAGE)
    license_number = StrField(data_key="licenseNumber")
    narrative = StrField()
    result = ManyField(ObjectField(_RESULT))
    role = StrField()
    source: fields.Field[Any] = PerLevelField()
    term = StrField()


class _CredentialSchemaBase(ModelSchema[_M]):
    """The Verifiable Credential envelope (§1.1) shared by both credential classes.

    Dates: VC 2.0 requires ``validFrom`` (OB makes it [1]); VC 1.1 requires ``issuanceDate`` and
    maps ``issuanceDate``/``expirationDate`` to ``valid_from``/``valid_until`` (§0, §2.5 step 1).
    The date properties of the other data model are ignored.
    """

    context = ContextField(require_ob=True, data_key="@context")
    type: fields.Field[Any] = PerLevelField()
    id = UriField(required=True)
    name = StrField()
    description = StrField()
    issuer: fields.Field[Any] = PerLevelField()
    valid_from = DateTimeField(data_key="validFrom")
    valid_until = DateTimeField(data_key="validUntil")
    issuance_date = DateTimeField(data_key="issuanceDate")
    expiration_date = DateTimeField(data_key="expirationDate")
    awarded_date = DateTimeField(data_key="awardedDate")
    credential_subject: fields.Field[Any] = PerLevelField()
    endorsement: fields.Field[Any] = PerLevelField()
    proof = ManyField(ObjectField(_PROOF))
    credential_schema = ManyField(ObjectField(_CREDENTIAL_SCHEMA), data_key="credentialSchema")
    credential_status = StatusEntriesField(
        ObjectField(_CREDENTIAL_STATUS), data_key="credentialStatus"
    )
    refresh_service = RawObjectField(data_key="refreshService")
    terms_of_use = ManyField(RawObjectField(), data_key="termsOfUse")
    endorsement_jwt = ManyField(JwsField(), data_key="endorsementJwt")

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
        return cast(_M, self.model(vc_version=version, raw=freeze(original), **data))


class _AchievementCredentialSchema(_CredentialSchemaBase[AchievementCredential]):
    """AchievementCredential / OpenBadgeCredential (§1.1)."""

    model = AchievementCredential
    type = TypesField(
        all_of=("VerifiableCredential",), any_of=("OpenBadgeCredential", "AchievementCredential")
    )
    image = ObjectField(_IMAGE)
    evidence = ManyField(ObjectField(_EVIDENCE))


class _EndorsementCredentialSchema(_CredentialSchemaBase[EndorsementCredential]):
    """EndorsementCredential (§1.9): ``name`` required. Its ``@context`` follows the same rule
    as an AchievementCredential's (OB-GH ``endorsementcredential`` schema ``@context.items``)."""

    model = EndorsementCredential
    type = TypesField(all_of=("VerifiableCredential", "EndorsementCredential"))
    name = StrField(required=True)
    credential_subject = ObjectField(
        _ENDORSEMENT_SUBJECT, required=True, data_key="credentialSubject"
    )


class _ClrSubjectSchema(ModelSchema[ClrSubject]):
    """ClrSubject (checklist §6.2): ``type`` ∋ "ClrSubject"; ``verifiableCredential`` [1..*].
    Without ``id`` and ``identifier`` it names no recipient (a :mod:`verifier.conformance` note)."""

    model = ClrSubject
    id = UriField()
    type = TypesField(all_of=("ClrSubject",))
    identifier = ManyField(ObjectField(_IDENTITY_OBJECT))
    achievement: fields.Field[Any] = PerLevelField()
    association = ManyField(ObjectField(_ASSOCIATION))
    verifiable_credential = ManyField(
        EmbeddedCredentialField(), required=True, data_key="verifiableCredential"
    )

    def build(self, data: dict[str, Any], original: Mapping[str, Any]) -> ClrSubject:
        if not data["verifiable_credential"]:
            raise ValidationError({"verifiableCredential": [MSG_EMPTY_TYPES]})
        return self.model(**data)


class _ClrCredentialSchema(_CredentialSchemaBase[ClrCredential]):
    """ClrCredential (checklist §6.1): contexts VC 2.0, CLR 2.0, OB 3.0 in that order;
    ``name`` required."""

    model = ClrCredential
    context = ContextField(require_ob=True, clr=True, data_key="@context")
    type = TypesField(all_of=("VerifiableCredential", "ClrCredential"))
    name = StrField(required=True)
    image = ObjectField(_IMAGE)


_S = TypeVar("_S", bound=ModelSchema[Any])


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
            endorsements = ManyField(ObjectField(_Level(depth + 1).endorsement_credential))
        else:
            endorsements = TooDeepField()
        self.endorsements = endorsements
        self.profile = _profile_chain(depth, endorsements)
        self.achievement = _extend(
            _AchievementSchema,
            f"AchievementSchemaL{depth}",
            {"creator": ObjectField(self.profile), "endorsement": endorsements},
        )
        self.subject = _extend(
            _AchievementSubjectSchema,
            f"AchievementSubjectSchemaL{depth}",
            {
                "achievement": SharedObjectField(self.achievement, required=True),
                "source": ObjectField(self.profile),
            },
        )
        issuer = _ProfileRef(self.profile, required=True)
        self.achievement_credential = _extend(
            _AchievementCredentialSchema,
            f"AchievementCredentialSchemaL{depth}",
            {
                "issuer": issuer,
                "endorsement": endorsements,
                "credential_subject": ObjectField(
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
    parent: fields.Field[Any] = TooDeepField(data_key="parentOrg")
    for link in range(MAX_PARENT_ORG_DEPTH, 0, -1):
        parent = ObjectField(
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
        "partial": BoolField(),
        "endorsement": _TOP.endorsements,
        "credential_subject": ObjectField(
            _extend(
                _ClrSubjectSchema,
                "ClrSubjectSchemaL0",
                {"achievement": ManyField(SharedObjectField(_TOP.achievement))},
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
        f"{where} {text}", code=MESSAGE_CODES.get(text, "schema_invalid"), details=details
    )


def _run(schema: ModelSchema[_M], data: object, noun: str) -> _M:
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
    if is_mapping(data):
        declared = cast(Mapping[str, Any], data).get("type")
        types = (declared,) if type(declared) is str else declared if is_list(declared) else None
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
