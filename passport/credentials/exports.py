"""Portable exports of a learner's badges: JSON as issued, baked PNG/SVG images, QR codes, a
signed CLR 2.0 (JSON or baked PNG/SVG) and a Verifiable Presentation.

Every export carries the credentials exactly as signed and stored (never re-serialised): the
JSON export lists Data Integrity credentials as objects and VC-JWTs as their compact strings;
baked images embed the same text (OB 3.0 "Baked Badge": PNG iTXt ``openbadgecredential``, SVG
``openbadges:credential``). A revoked or suspended badge is still exported, and marked so in
the artwork's subtitle — the embedded credential says the rest when verified.

A CLR is the organisation's signed statement that these badges are this learner's, so it only
holds badges that are good now: revoked, suspended and expired ones are left out, and then (or
when the learner chose a subset) ``partial`` is true. A presentation is the learner's own: it
holds what they chose, and is signed only with their own key (:mod:`passport.holders`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.artwork import badge_png, badge_svg
from issuer.baking import bake_clr_png, bake_clr_svg, bake_png, bake_svg
from issuer.clr import ClrDraft, ClrIssuer, EmbeddedBadge, JobFamilyGoal
from issuer.presentation import build_presentation, sign_presentation
from keys import SigningKey, did_key_from_public_key, verification_method_id
from passport.audit import AuditEvent
from passport.catalog.achievements import LEVELS, ONET_SUMMARY
from passport.catalog.models import AchievementDefinition, JobFamily, JobFamilySkill
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.credentials.issuing import active_signing_key
from passport.credentials.models import Holder, IssuedCredential, Issuer
from passport.db import utcnow
from passport.errors import InvalidRequest, NotFound
from passport.services import Services
from verifier import normalize_email
from verifier.canonical import Canonicalizer

__all__ = [
    "baked_image",
    "credential_text",
    "export_clr",
    "export_clr_png",
    "export_clr_svg",
    "export_json",
    "export_vp",
    "holder_credentials",
    "qr_png",
    "qr_svg",
    "select_credentials",
]


def holder_credentials(session: Session, email: str) -> list[IssuedCredential]:
    """The learner's credentials, oldest first; NotFound when nobody has that e-mail."""
    holder = session.scalar(select(Holder).where(Holder.email == normalize_email(email)))
    if holder is None:
        raise NotFound("No learner with that e-mail has badges here.", code="unknown_holder")
    return list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.holder_id == holder.id)
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)
        )
    )


def credential_text(record: IssuedCredential) -> str:
    """The credential exactly as stored: JSON text or a compact JWS."""
    return record.content.decode("utf-8").strip()


def export_json(records: list[IssuedCredential], *, holder: str) -> bytes:
    """One file with every credential as issued (objects for JSON, strings for VC-JWT)."""
    items: list[Any] = [
        credential_text(r) if r.proof_format == "vc-jwt" else json.loads(r.content) for r in records
    ]
    document = {"holder": normalize_email(holder), "count": len(items), "credentials": items}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Art:
    title: str
    subtitle: str
    level: int
    issuer: str


def _art(session: Session, record: IssuedCredential) -> _Art:
    achievement = session.get(AchievementDefinition, record.achievement_id)
    assert achievement is not None  # foreign key
    issuer = session.get(Issuer, record.issuer_id)
    level = achievement.level or 1
    level_name = next((lv["name"] for lv in LEVELS if lv["level"] == level), "")
    skill_name = achievement.name.split(" — ")[0]
    state = "REVOKED" if record.revoked_at else "SUSPENDED" if record.suspended_at else ""
    return _Art(
        title=skill_name,
        subtitle=f"{state} · {level_name}" if state else level_name,  # the state first: it shows
        level=level,
        issuer=issuer.name if issuer else "",
    )


def baked_image(session: Session, record: IssuedCredential, kind: str) -> bytes:
    """The badge artwork with the credential baked in; ``kind`` is "png" or "svg"."""
    art = _art(session, record)
    text = credential_text(record)
    if kind == "png":
        image = badge_png(
            title=art.title, subtitle=art.subtitle, level=art.level, issuer=art.issuer
        )
        return bake_png(image, text)
    if kind == "svg":
        svg = badge_svg(title=art.title, subtitle=art.subtitle, level=art.level, issuer=art.issuer)
        return bake_svg(svg, text, jwt=record.proof_format == "vc-jwt").encode("utf-8")
    raise ValueError(f"unknown image kind {kind!r}")


def select_credentials(
    session: Session, holder: Holder, ids: Sequence[str] | None = None
) -> list[IssuedCredential]:
    """The learner's credentials (oldest first), or the ones named by ``ids`` in that order.

    Raises InvalidRequest (``no_badges``, ``empty_selection``) or NotFound
    (``unknown_credential``: no such badge, or another learner's — the two are not told apart).
    """
    records = list(
        session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.holder_id == holder.id)
            .order_by(IssuedCredential.issued_at, IssuedCredential.id)
        )
    )
    if not records:
        raise InvalidRequest("This learner has no badges yet.", code="no_badges")
    if ids is None:
        return records
    if not ids:
        raise InvalidRequest("No badges were chosen.", code="empty_selection")
    by_id = {r.id: r for r in records}
    chosen: dict[str, IssuedCredential] = {}
    for credential_id in ids:
        record = by_id.get(credential_id)
        if record is None:
            raise NotFound(
                f"No badge {credential_id!r} among this learner's badges.",
                code="unknown_credential",
            )
        chosen.setdefault(credential_id, record)
    return list(chosen.values())


def _own_records(holder: Holder, records: Sequence[IssuedCredential]) -> None:
    if not records:
        raise InvalidRequest("No badges were chosen.", code="empty_selection")
    for record in records:
        if record.holder_id != holder.id:
            raise NotFound(
                f"No badge {record.id!r} among this learner's badges.", code="unknown_credential"
            )


def _good_now(record: IssuedCredential, now: datetime) -> bool:
    expired = record.valid_until is not None and record.valid_until <= now
    return record.revoked_at is None and record.suspended_at is None and not expired


def _embedded(record: IssuedCredential) -> EmbeddedBadge:
    fmt = "vc-jwt" if record.proof_format == "vc-jwt" else "data-integrity"
    return EmbeddedBadge(credential_text(record), fmt)


def _job_families(
    session: Session, records: Sequence[IssuedCredential], public_url: str
) -> list[JobFamilyGoal]:
    """Each job family at least one badge counts towards (its skill at or above the minimum)."""
    held: dict[str, list[tuple[int, str]]] = {}  # skill → (level, achievement id)
    for record in records:
        achievement = session.get(AchievementDefinition, record.achievement_id)
        if achievement is None or achievement.skill_id is None:
            continue
        aid = achievement.document()["id"]
        held.setdefault(achievement.skill_id, []).append((achievement.level or 0, aid))
    if not held:
        return []
    families = session.scalars(
        select(JobFamily)
        .join(JobFamilySkill)
        .where(JobFamilySkill.skill_id.in_(held))
        .distinct()
        .order_by(JobFamily.id)
    ).all()
    goals = []
    level_names = {lv["level"]: lv["name"] for lv in LEVELS}
    for family in families:
        members = [
            aid
            for req in family.requirements
            for level, aid in held.get(req.skill_id, [])
            if level >= req.min_level
        ]
        if not members:
            continue
        needs = "; ".join(
            f"{req.skill.name} at level {req.min_level} "
            f"({level_names.get(req.min_level, '')}) or above"
            for req in family.requirements
        )
        alignment = []
        if family.code or family.url:
            alignment.append(
                {
                    "type": ["Alignment"],
                    "targetType": "ext:JobFamily",
                    "targetName": family.occupation or family.name,
                    "targetFramework": family.framework or "O*NET-SOC 2019",
                    "targetCode": family.code,
                    "targetUrl": family.url or ONET_SUMMARY + (family.code or ""),
                }
            )
        goals.append(
            JobFamilyGoal(
                id=f"{public_url}/job-families/{family.id}",
                name=family.name,
                description=family.description or f"The {family.name} job family.",
                criteria_narrative=f"The {family.name} job family asks for: {needs}.",
                skill_achievement_ids=members,
                alignment=[{k: v for k, v in a.items() if v is not None} for a in alignment],
            )
        )
    return goals


def export_clr(
    services: Services, session: Session, holder: Holder, records: Sequence[IssuedCredential]
) -> bytes:
    """A CLR 2.0 ClrCredential of ``records`` (the learner's chosen badges), signed by the
    organisation and verified before release; JSON bytes.

    Badges that are revoked, suspended or expired are left out; ``partial`` is true whenever
    any of the learner's badges is not in the CLR. Raises InvalidRequest / NotFound for a bad
    selection (``empty_selection``, ``unknown_credential``, ``nothing_to_export``) and
    :class:`issuer.IssuerError` if signing or the self-check fails.
    """
    _own_records(holder, records)
    now = services.now()
    included = [r for r in dict.fromkeys(records) if _good_now(r, now)]
    if not included:
        raise InvalidRequest(
            "None of the chosen badges can go into a CLR: they are revoked, suspended or expired.",
            code="nothing_to_export",
        )
    all_ids = set(
        session.scalars(select(IssuedCredential.id).where(IssuedCredential.holder_id == holder.id))
    )
    partial = all_ids != {r.id for r in included}
    issuer = own_issuer(session, services)
    draft = ClrDraft(
        issuer=issuer_profile(issuer, public_url=services.settings.public_url),
        recipient_email=holder.email,
        name=f"Skill passport from {issuer.name}",
        description=(
            f"{len(included)} skill badge{'s' if len(included) != 1 else ''} issued by "
            f"{issuer.name} to one learner"
            + (" (a selection of their badges)." if partial else " (all of their badges).")
        ),
        valid_from=now,
        badges=[_embedded(r) for r in included],
        partial=partial,
        job_families=_job_families(session, included, services.settings.public_url),
    )
    key = active_signing_key(session, services, issuer, "EdDSA")
    issued = ClrIssuer(services.verifier(session)).issue(
        draft, key, verification_method=verification_method_id(issuer.did, key.kid), now=now
    )
    session.add(
        AuditEvent(
            at=now,
            actor=holder.email,
            action="passport.export_clr",
            subject=issued.id,
            detail=json.dumps({"badges": [r.id for r in included], "partial": partial}),
        )
    )
    return issued.content


def _clr_art(session: Session, services: Services, clr: bytes) -> dict[str, Any]:
    count = len(json.loads(clr)["credentialSubject"]["verifiableCredential"])
    issuer = own_issuer(session, services)
    return {
        "title": "Skill Passport",
        "subtitle": f"{count} badge{'s' if count != 1 else ''} · CLR",
        "level": 4,
        "issuer": issuer.name,
    }


def export_clr_png(
    services: Services, session: Session, holder: Holder, records: Sequence[IssuedCredential]
) -> bytes:
    """:func:`export_clr` baked into passport artwork: PNG with an uncompressed iTXt chunk,
    keyword ``clrcredential`` (checklist §4)."""
    clr = export_clr(services, session, holder, records)
    return bake_clr_png(badge_png(**_clr_art(session, services, clr)), clr.decode("utf-8"))


def export_clr_svg(
    services: Services, session: Session, holder: Holder, records: Sequence[IssuedCredential]
) -> bytes:
    """:func:`export_clr` baked into SVG artwork (``credential`` element in the CLR 2.0
    namespace ``https://purl.imsglobal.org/clr/v2p0``, checklist §4)."""
    clr = export_clr(services, session, holder, records)
    svg = badge_svg(**_clr_art(session, services, clr))
    return bake_clr_svg(svg, clr.decode("utf-8"), jwt=False).encode("utf-8")


def export_vp(
    session: Session,
    holder: Holder,
    records: Sequence[IssuedCredential],
    *,
    holder_key: SigningKey | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> bytes:
    """A Verifiable Presentation of the chosen badges, as issued; JSON bytes.

    Unsigned without ``holder_key`` (``holder`` = the registered did:key, if any). With it, the
    key's did:key must be the learner's registered one, and the presentation gets the learner's
    ``authentication`` proof (with ``challenge`` / ``domain``). Raises InvalidRequest
    (``empty_selection``, ``no_holder_did``, ``holder_key_mismatch``, ``challenge_needs_key``)
    or NotFound (``unknown_credential``).
    """
    _own_records(holder, records)
    badges = [_embedded(r) for r in dict.fromkeys(records)]
    if holder_key is None:
        if challenge is not None or domain is not None:
            raise InvalidRequest(
                "A challenge or domain only means something in a presentation the learner signs.",
                code="challenge_needs_key",
            )
        presentation = build_presentation(badges, holder=holder.did)
    else:
        if holder.did is None:
            raise InvalidRequest(
                "Register the learner's did:key first (passport holders set-did); a presentation"
                " is signed only with the key of the registered did:key.",
                code="no_holder_did",
            )
        if did_key_from_public_key(holder_key.public) != holder.did:
            raise InvalidRequest(
                "That key is not the key of the learner's registered did:key.",
                code="holder_key_mismatch",
            )
        presentation = sign_presentation(
            build_presentation(badges, holder=holder.did),
            holder_key,
            created=utcnow(),
            canonicalizer=Canonicalizer(),
            challenge=challenge,
            domain=domain,
        )
    return json.dumps(presentation, ensure_ascii=False, indent=2).encode("utf-8")


def _qr(url: str) -> Any:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_svg(url: str) -> bytes:
    """A QR code for ``url`` as a standalone SVG (served same-origin: no inline script)."""
    image = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """A QR code for ``url`` as PNG."""
    image = _qr(url).make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
