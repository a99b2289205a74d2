"""The OB 3.0 ``image`` of what we issue: the credential, its achievement and the issuer profile.

Wallets and displayers show a badge by its images (OB 3.0 §B.1 ``Image``: ``id``, ``type``
``"Image"``, ``caption``; PNG or SVG for profiles and subjects). Ours are the generated artwork
(:mod:`issuer.artwork`), served by this service under the configured public URL, so every
``id`` is an absolute URL from ``PASSPORT_PUBLIC_URL``:

* the credential: ``/credentials/<id>/badge.png``, the badge baked with the credential itself
  (OB 3.0 "Baked Badge"; a revoked or suspended badge is marked on it);
* the achievement: ``/achievements/<slug>/image.png``, its artwork without a credential;
* the issuer: ``/issuers/<n>/image.png``, an emblem with the issuer's name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from issuer.artwork import badge_png, badge_svg
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import AchievementDefinition
from passport.credentials.models import Issuer

__all__ = [
    "IMAGE_KINDS",
    "achievement_artwork",
    "achievement_image",
    "achievement_with_image",
    "credential_image",
    "issuer_artwork",
    "issuer_image",
]

#: The image formats served: (file extension, media type).
IMAGE_KINDS = {"png": "image/png", "svg": "image/svg+xml"}


def _image(url: str, caption: str) -> dict[str, Any]:
    return {"id": url, "type": "Image", "caption": caption}


def credential_image(credential_id: str, name: str, *, public_url: str) -> dict[str, Any]:
    """The credential's image: its baked badge (``name`` is the achievement's name)."""
    path = quote(credential_id, safe=":")
    return _image(f"{public_url}/credentials/{path}/badge.png", f"The badge {name}")


def achievement_image(slug: str, name: str, *, public_url: str) -> dict[str, Any]:
    """The image of the achievement ``slug`` (its id in our catalog)."""
    return _image(f"{public_url}/achievements/{quote(slug, safe='')}/image.png", name)


def achievement_with_image(
    achievement: AchievementDefinition, *, public_url: str
) -> dict[str, Any]:
    """The achievement's published definition, with our artwork as its ``image`` unless the
    definition names one of its own."""
    document = achievement.document()
    document.setdefault(
        "image", achievement_image(achievement.id, achievement.name, public_url=public_url)
    )
    return document


def issuer_image(issuer: Issuer, *, public_url: str) -> dict[str, Any]:
    """The issuer profile's image: its emblem."""
    return _image(f"{public_url}/issuers/{issuer.id}/image.png", f"{issuer.name} emblem")


def _render(kind: str, *, title: str, subtitle: str, level: int, issuer: str) -> bytes:
    if kind == "png":
        return badge_png(title=title, subtitle=subtitle, level=level, issuer=issuer)
    if kind == "svg":
        svg = badge_svg(title=title, subtitle=subtitle, level=level, issuer=issuer)
        return svg.encode("utf-8")
    raise ValueError(f"unknown image kind {kind!r}")


def achievement_artwork(session: Session, achievement: AchievementDefinition, kind: str) -> bytes:
    """The achievement's artwork as ``kind`` ("png" or "svg"): the skill, its level, the issuer."""
    issuer = session.get(Issuer, achievement.issuer_id)
    level = achievement.level
    return _render(
        kind,
        title=achievement.name.split(" — ")[0],
        subtitle=LEVEL_NAMES.get(level, "") if level else "",
        level=level if level in LEVEL_NAMES else 0,
        issuer=issuer.name if issuer else "",
    )


def issuer_artwork(issuer: Issuer, kind: str) -> bytes:
    """The issuer's emblem as ``kind`` ("png" or "svg"): its name, no level stars."""
    return _render(kind, title=issuer.name, subtitle="Issuer", level=0, issuer="")
