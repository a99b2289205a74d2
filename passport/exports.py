"""Portable exports of a learner's badges: JSON as issued, baked PNG/SVG images, QR codes.

Every export carries the credentials exactly as signed and stored (never re-serialised): the
JSON export lists Data Integrity credentials as objects and VC-JWTs as their compact strings;
baked images embed the same text (OB 3.0 "Baked Badge": PNG iTXt ``openbadgecredential``, SVG
``openbadges:credential``). A revoked or suspended badge is still exported, and marked so in
the artwork's subtitle — the embedded credential says the rest when verified.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.artwork import badge_png, badge_svg
from issuer.baking import bake_png, bake_svg
from passport.catalog import LEVELS
from passport.errors import NotFound
from passport.models import Achievement, Holder, IssuedCredential, Issuer
from verifier import normalize_email

__all__ = [
    "baked_image",
    "credential_text",
    "export_json",
    "holder_credentials",
    "qr_png",
    "qr_svg",
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
    achievement = session.get(Achievement, record.achievement_id)
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
