"""Assembling and signing a CLR 2.0 ``ClrCredential``: a learner's badges in one signed record.

The organisation attests "these badges belong to this learner" (checklist §6.1-6.3). The CLR
embeds every badge exactly as issued, lists each badge's achievement plus one achievement per
job family those badges serve, and links each job family to its skill achievements with
``isParentOf`` associations. Output rules, as for badges (:mod:`issuer.build`): ``@context`` =
VC 2.0, CLR ``context-2.0.1.json``, OB ``context-3.0.3.json``, OB ``extensions.json`` (for the
``1EdTechJsonSchemaValidator2019`` type of the ``credentialSchema`` entry naming the official CLR
2.0 ClrCredential JSON Schema, checklist §3.1); arrays for ``type``; no nulls or empty arrays;
only terms the contexts define (safe mode refuses anything else when signing, checklist §1.10).

Embedded badges (ClrSubject ``verifiableCredential``, checklist §6.2):

* Data Integrity badges are the signed JSON objects, unchanged.
* VC-JWT badges are VCDM 2.0 ``EnvelopedVerifiableCredential`` objects whose ``id`` is
  ``data:application/vc+jwt,<compact JWS>`` (VCDM 2.0 §4.13 / VC-JOSE-COSE), not bare strings:
  a string is not a credential object in the VC 2.0 model, and an object keeps the 1EdTech
  validator's per-credential walk working (docs/decisions.md, "CLR 2.0 export").

Before release, :class:`ClrIssuer` verifies every embedded badge (proof, data model, validity,
issued to this learner), signs the CLR with ``eddsa-rdfc-2022`` and verifies the result with
:mod:`verifier` — the same discipline as :class:`issuer.CredentialIssuer`.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from issuer.build import (
    JSON_SCHEMA_VALIDATOR,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC2_CONTEXT,
    format_datetime,
    json_bytes,
    new_credential_id,
    recipient_identifier,
)
from issuer.dataintegrity import sign_data_integrity
from issuer.errors import DraftInvalid, SelfCheckFailed
from issuer.service import SignedCredential
from keys import SigningKey
from verifier import SchemaError, VerificationError, Verifier, load_credential, recipient_matches
from verifier.errors import DataLoss
from verifier.jsonparse import b64url_decode
from verifier.model import AchievementCredential, ClrCredential

__all__ = [
    "CLR_CONTEXT",
    "CLR_CREDENTIAL_SCHEMA",
    "ENVELOPED_VC_JWT_PREFIX",
    "ClrDraft",
    "ClrIssuer",
    "EmbeddedBadge",
    "JobFamilyGoal",
    "build_clr",
    "enveloped_credential",
]

logger = logging.getLogger(__name__)

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
#: The official CLR 2.0 ClrCredential JSON Schema (checklist §3.1; the 1EdTech validator's own
#: CLR example cites it).
CLR_CREDENTIAL_SCHEMA = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)
#: VCDM 2.0 / VC-JOSE-COSE: an enveloped VC-JWT is named by a data: URL of this media type.
ENVELOPED_VC_JWT_PREFIX = "data:application/vc+jwt,"
#: CLR 2.0 AssociationType: the job family achievement is the parent of each skill achievement.
PARENT_OF = "isParentOf"


def enveloped_credential(token: str) -> dict[str, Any]:
    """A VC-JWT as a VCDM 2.0 ``EnvelopedVerifiableCredential`` object."""
    return {
        "@context": VC2_CONTEXT,
        "id": ENVELOPED_VC_JWT_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }


@dataclass(frozen=True, slots=True)
class EmbeddedBadge:
    """One badge exactly as issued: its stored text (JSON credential or compact JWS)."""

    content: str
    proof_format: Literal["data-integrity", "vc-jwt"]

    def embedded(self) -> dict[str, Any]:
        """The badge as a ``verifiableCredential`` item (see the module docstring)."""
        if self.proof_format == "vc-jwt":
            return enveloped_credential(self.content.strip())
        return self.credential_json()

    def credential_json(self) -> dict[str, Any]:
        """The credential as JSON: the object itself, or a VC-JWT's payload (unverified here;
        :class:`ClrIssuer` verifies every badge before using it)."""
        if self.proof_format == "vc-jwt":
            payload = self.content.strip().split(".")[1].encode("ascii")
            text = b64url_decode(payload, what="payload")
        else:
            text = self.content.encode("utf-8")
        value: dict[str, Any] = json.loads(text)
        return value


@dataclass(frozen=True, slots=True)
class JobFamilyGoal:
    """A job family the badges serve, as a CLR achievement over its skill achievements."""

    id: str
    name: str
    description: str
    criteria_narrative: str
    #: Achievement ids (of embedded badges) that count towards this family.
    skill_achievement_ids: Sequence[str]
    alignment: Sequence[Mapping[str, Any]] = ()

    def achievement(self) -> dict[str, Any]:
        """The OB 3.0 Achievement standing for this job family (``achievementType`` ext term,
        as the badges' own job-family alignments use ``targetType: ext:JobFamily``)."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": ["Achievement"],
            "achievementType": "ext:JobFamily",
            "name": self.name,
            "description": self.description,
            "criteria": {"id": self.id, "narrative": self.criteria_narrative},
        }
        if self.alignment:
            out["alignment"] = [dict(a) for a in self.alignment]
        return out


@dataclass(frozen=True, slots=True)
class ClrDraft:
    """Everything that goes into one CLR, before it is built and signed.

    ``partial`` must be true when the learner has badges known to the issuer that are not in
    ``badges`` (CLR 2.0 ``partial``: "does not contain all the assertions known by the
    publisher"); the caller knows, this module cannot.
    """

    issuer: Mapping[str, Any]
    recipient_email: str
    name: str
    valid_from: datetime
    badges: Sequence[EmbeddedBadge]
    partial: bool
    job_families: Sequence[JobFamilyGoal] = ()
    description: str | None = None
    credential_id: str = field(default_factory=new_credential_id)
    salt: str = field(default_factory=lambda: secrets.token_hex(16))


def build_clr(
    draft: ClrDraft, badge_credentials: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Return the unsigned ClrCredential for ``draft`` as a JSON-ready dict.

    ``badge_credentials`` are the badges' credential JSON (for a VC-JWT, its payload); their
    achievements are listed. By default they are read from ``draft.badges``. Raises
    :class:`DraftInvalid` for an empty draft or a bad e-mail.
    """
    if not draft.badges:
        raise DraftInvalid("A CLR needs at least one badge.")
    if badge_credentials is None:
        badge_credentials = [badge.credential_json() for badge in draft.badges]
    achievements: dict[str, dict[str, Any]] = {}
    for credential in badge_credentials:
        achievement = credential.get("credentialSubject", {}).get("achievement")
        if isinstance(achievement, Mapping) and isinstance(achievement.get("id"), str):
            achievements.setdefault(achievement["id"], dict(achievement))
    associations: list[dict[str, Any]] = []
    for family in draft.job_families:
        members = [aid for aid in family.skill_achievement_ids if aid in achievements]
        if not members:
            continue  # a family no included badge serves is not listed
        achievements.setdefault(family.id, family.achievement())
        associations.extend(
            {
                "type": "Association",
                "associationType": PARENT_OF,
                "sourceId": family.id,
                "targetId": aid,
            }
            for aid in members
        )
    subject: dict[str, Any] = {
        "type": ["ClrSubject"],
        "identifier": [recipient_identifier(draft.recipient_email, draft.salt)],
        "verifiableCredential": [badge.embedded() for badge in draft.badges],
        "achievement": list(achievements.values()),
    }
    if associations:
        subject["association"] = associations
    clr: dict[str, Any] = {
        "@context": [VC2_CONTEXT, CLR_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": draft.credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": draft.name,
        "issuer": dict(draft.issuer),
        "validFrom": format_datetime(draft.valid_from),
        "partial": draft.partial,
        "credentialSubject": subject,
        "credentialSchema": [{"id": CLR_CREDENTIAL_SCHEMA, "type": JSON_SCHEMA_VALIDATOR}],
    }
    if draft.description:
        clr["description"] = draft.description
    return clr


class ClrIssuer:
    """Builds, signs and self-checks CLRs; ``verifier`` must know the issuers' keys locally."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    def issue(
        self, draft: ClrDraft, key: SigningKey, *, verification_method: str, now: datetime
    ) -> SignedCredential:
        """Check the badges, build, sign with eddsa-rdfc-2022 and self-verify the CLR.

        Raises :class:`DraftInvalid` (a badge that is not this learner's Open Badge, or a CLR
        the data model refuses) or :class:`SelfCheckFailed` (a badge or the signed CLR does not
        verify).
        """
        badge_credentials = [self._check_badge(b, draft.recipient_email, now) for b in draft.badges]
        clr = build_clr(draft, badge_credentials)
        try:
            loaded = load_credential(clr)
        except SchemaError as exc:
            raise DraftInvalid(f"The CLR would be invalid: {exc.message}") from exc
        assert isinstance(loaded, ClrCredential)
        try:
            signed = sign_data_integrity(
                clr,
                key,
                verification_method=verification_method,
                created=now,
                canonicalizer=self._verifier.canonicalizer,
            )
        except DataLoss as exc:
            raise DraftInvalid(f"The CLR would be invalid: {exc.message}") from exc
        content = json_bytes(signed)
        try:
            # A CLR signed a moment ago has no status of its own to check.
            verified = self._verifier.verify(content, now=now, check_status=False)
        except VerificationError as exc:
            logger.error("CLR self-check failed for %s: %s (%s)", clr["id"], exc.code, exc.hint)
            raise SelfCheckFailed(f"{SelfCheckFailed.default_message} ({exc.message})") from exc
        if not isinstance(verified.credential, ClrCredential):  # pragma: no cover - defensive
            raise SelfCheckFailed()
        return SignedCredential(
            id=clr["id"],
            proof_format="data-integrity",
            media_type="application/vc+ld+json",
            content=content,
            credential=signed,
            kid=key.kid,
        )

    def _check_badge(self, badge: EmbeddedBadge, email: str, now: datetime) -> Mapping[str, Any]:
        """Verify one badge as a credential of its own; return its credential JSON.

        Status is the caller's business (it knows which badges it left out and why); proof,
        data model and validity window are checked here, and that it names this learner.
        """
        try:
            verified = self._verifier.verify(badge.content, now=now, check_status=False)
        except VerificationError as exc:
            raise SelfCheckFailed(
                f"A badge in the CLR does not verify, so the CLR was not released ({exc.message})"
            ) from exc
        credential = verified.credential
        if not isinstance(credential, AchievementCredential):
            raise DraftInvalid("Only Open Badges can be put into a CLR.")
        if recipient_matches(credential.credential_subject.identifier, email) is not True:
            raise DraftInvalid(f"The badge {credential.id} was not issued to this learner.")
        return badge.credential_json()
