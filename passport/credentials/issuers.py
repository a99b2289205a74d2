"""Our issuers: the Profile embedded in every credential, and making sure this deployment's
issuer and its signing keys exist (``passport init``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import did_web_from_url
from passport.audit import AuditEvent
from passport.credentials.images import issuer_image
from passport.credentials.keyring import create_signing_key
from passport.credentials.models import Issuer, SigningKeyRecord
from passport.errors import NotFound
from passport.services import Services

__all__ = [
    "DEFAULT_KEY_ALGS",
    "ensure_issuer",
    "ensure_keys",
    "issuer_profile",
    "own_issuer",
]


#: ES256 for VC-JWT (the default) and RS256 (``--alg RS256``; OB 3.0's baseline): the two the
#: 1EdTech validator accepts; EdDSA for Data Integrity proofs and status lists.
DEFAULT_KEY_ALGS = ("ES256", "EdDSA", "RS256")


def issuer_profile(issuer: Issuer, *, public_url: str) -> dict[str, Any]:
    """The OB 3.0 Profile of one of our issuers, as embedded in credentials.

    ``public_url`` (``PASSPORT_PUBLIC_URL``) is the base of the profile's ``image`` URL.
    """
    profile: dict[str, Any] = {"id": issuer.did, "type": ["Profile"], "name": issuer.name}
    if issuer.url:
        profile["url"] = issuer.url
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.description:
        profile["description"] = issuer.description
    profile["image"] = issuer_image(issuer, public_url=public_url)
    return profile


def ensure_issuer(session: Session, services: Services, *, name: str) -> tuple[Issuer, bool]:
    """Return the issuer for this deployment's public URL, creating it when absent."""
    did = did_web_from_url(services.settings.public_url)
    issuer = session.scalar(select(Issuer).where(Issuer.did == did))
    if issuer is not None:
        return issuer, False
    issuer = Issuer(did=did, name=name, url=services.settings.public_url)
    session.add(issuer)
    session.flush()
    session.add(AuditEvent(actor="system", action="issuer.create", subject=did))
    return issuer, True


def ensure_keys(session: Session, services: Services, issuer: Issuer) -> tuple[str, ...]:
    """Create an active key for each default algorithm the issuer lacks; return new kids."""
    created: list[str] = []
    for alg in DEFAULT_KEY_ALGS:
        active = session.scalar(
            select(SigningKeyRecord).where(
                SigningKeyRecord.issuer_id == issuer.id,
                SigningKeyRecord.alg == alg,
                SigningKeyRecord.status == "active",
            )
        )
        if active is not None:
            continue
        created.append(
            create_signing_key(session, services, issuer, alg, now=services.now(), actor="system")
        )
    return tuple(created)


def own_issuer(session: Session, services: Services) -> Issuer:
    """This deployment's issuer: the one whose DID the public URL names.

    Raises :class:`~passport.errors.NotFound` before ``passport init`` has created it.
    """
    did = did_web_from_url(services.settings.public_url)
    issuer = session.scalar(select(Issuer).where(Issuer.did == did))
    if issuer is None:
        raise NotFound("This deployment has no issuer yet; run `passport init`.", code="no_issuer")
    return issuer
