"""Key rotation and compromise, and the offline bundle other organisations verify with.

Rotation never strands a badge: the old key becomes *retired* and stays in the DID document's
``assertionMethod`` (and the JWKS), so everything it signed still verifies. A *compromised* key
stays listed with its ``revoked`` time; verifiers refuse what it signed after that instant and
warn about what it signed before. Status lists are re-signed with the new key at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.audit import AuditEvent
from passport.credentials.models import Issuer, SigningKeyRecord, StatusList
from passport.errors import InvalidRequest, NotFound
from passport.services import Services
from verifier import KeyResolver, NoNetwork, VerificationError, Verifier, parse_json
from verifier.canonical import Canonicalizer
from verifier.fetch import SafeFetcher
from verifier.status import DataIntegrityListVerifier, StatusChecker
from verifier.trust import TrustList
from verifier.validity import DEFAULT_LEEWAY

__all__ = [
    "bundle_verifier",
    "create_signing_key",
    "mark_compromised",
    "offline_bundle",
    "rotate_keys",
    "upgrade_key_files",
]

BUNDLE_FORMAT = "skill-passport-offline-bundle/1"


def create_signing_key(
    session: Session,
    services: Services,
    issuer: Issuer,
    alg: str,
    *,
    now: datetime,
    actor: str,
) -> str:
    """Generate an active key in the key store and record it (public JWK kept for publishing)."""
    key = services.key_store.create(alg)
    session.add(
        SigningKeyRecord(
            kid=key.kid,
            issuer_id=issuer.id,
            alg=alg,
            public_jwk=json.dumps(key.public.jwk, sort_keys=True),
            status="active",
            created_at=now,
        )
    )
    session.add(AuditEvent(at=now, actor=actor, action="key.create", subject=key.kid, detail=alg))
    # ``issuer.keys`` may have been loaded in this session before the new row: read it afresh
    # next time, or a DID document built from it in the same transaction lacks the new key.
    session.expire(issuer, ["keys"])
    return key.kid


def upgrade_key_files(services: Services) -> list[str]:
    """Re-encrypt every key file still in the old form (PBES2, 2,048 iterations) or with a
    cheaper scrypt than the store's; return their kids (``passport keys upgrade``).

    Loading a key does the same for that key; this does all of them at once, e.g. right after
    an upgrade. Raises the key store's errors (a wrong passphrase: ``bad_passphrase``).
    """
    return services.key_store.upgrade()


def _resign_lists(session: Session, services: Services, issuer_id: int) -> None:
    from passport.credentials.status import signed_list

    for row in session.scalars(select(StatusList).where(StatusList.issuer_id == issuer_id)):
        row.version += 1
        session.flush()
        signed_list(session, services, row.id, services.now())


def rotate_keys(
    session: Session, services: Services, *, alg: str | None, now: datetime
) -> Iterator[tuple[str, str]]:
    """Retire active keys (of ``alg``, or all) and create their successors; yield (old, new)."""
    # Our issuers' keys only: a mentor's endorser key (did:web …:mentors:…) is not ours to
    # rotate with the organisation's; it is marked compromised by kid when it must go.
    records = [
        record
        for record in session.scalars(
            select(SigningKeyRecord).where(SigningKeyRecord.status == "active")
        )
        if not services.is_endorser_did(record.issuer.did)
    ]
    rotated: list[tuple[str, str]] = []
    for record in records:
        if alg is not None and record.alg != alg:
            continue
        issuer = session.get(Issuer, record.issuer_id)
        assert issuer is not None
        new_kid = create_signing_key(session, services, issuer, record.alg, now=now, actor="cli")
        record.status = "retired"
        record.retired_at = now
        session.add(AuditEvent(at=now, actor="cli", action="key.rotate", subject=record.kid))
        rotated.append((record.kid, new_kid))
    session.flush()
    services.invalidate_keys()
    for issuer_id in {r.issuer_id for r in records}:
        _resign_lists(session, services, issuer_id)
    return iter(rotated)


def mark_compromised(
    session: Session, services: Services, kid: str, *, at: datetime, now: datetime
) -> str | None:
    """Mark ``kid`` compromised at ``at``; an active key gets a successor (returned)."""
    record = session.get(SigningKeyRecord, kid)
    if record is None:
        raise NotFound(f"No key {kid!r}.", code="unknown_key")
    if at > now:
        raise InvalidRequest("The time of compromise cannot be in the future.")
    replacement = None
    if record.status == "active":
        issuer = session.get(Issuer, record.issuer_id)
        assert issuer is not None
        replacement = create_signing_key(
            session, services, issuer, record.alg, now=now, actor="cli"
        )
    record.status = "compromised"
    record.compromised_at = at
    record.retired_at = record.retired_at or now
    session.add(
        AuditEvent(at=now, actor="cli", action="key.compromise", subject=kid, detail=at.isoformat())
    )
    session.flush()
    services.invalidate_keys()
    _resign_lists(session, services, record.issuer_id)
    return replacement


def offline_bundle(session: Session, services: Services) -> dict[str, Any]:
    """Everything another organisation needs to verify our credentials without reaching us."""
    from passport.credentials.status import list_url, signed_list

    published = services.issuer_documents(session)
    # Mentors' endorser DIDs travel too, so embedded endorsements verify offline; the bundle's
    # reader still knows them as endorsers only (:func:`bundle_verifier`).
    documents = {d.did: d.did_document for d in published}
    jwks = {d.did: d.jwks for d in published}
    lists = {}
    for row in session.scalars(select(StatusList).order_by(StatusList.id)):
        content, _version = signed_list(session, services, row.id, services.now())
        lists[list_url(services, row.id)] = json.loads(content)
    return {
        "format": BUNDLE_FORMAT,
        "created": services.now().isoformat(),
        "didDocuments": documents,
        "jwks": jwks,
        "endorsers": [d.did for d in published if services.is_endorser_did(d.did)]
        + list(services.mentor_own_dids(session)),
        "statusLists": lists,
    }


def bundle_verifier(data: bytes, *, offline: bool, trust_list: TrustList | None = None) -> Verifier:
    """A verifier that trusts the issuers' documents and status lists in a bundle (and the
    issuers ``trust_list`` names)."""
    try:
        bundle = parse_json(data, max_bytes=64 * 1024 * 1024, what="bundle")
    except VerificationError as exc:
        raise InvalidRequest(
            f"The bundle is not readable: {exc.message}", code="bad_bundle"
        ) from exc
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise InvalidRequest("This is not a Skill Passport offline bundle.", code="bad_bundle")
    documents = bundle.get("didDocuments")
    lists = bundle.get("statusLists")
    if not isinstance(documents, dict) or not isinstance(lists, dict):
        raise InvalidRequest("The bundle has no DID documents or status lists.", code="bad_bundle")
    named = bundle.get("endorsers")
    endorsers = {d for d in named if isinstance(d, str)} if isinstance(named, list) else set()
    fetcher = NoNetwork() if offline else SafeFetcher()
    resolver = KeyResolver(documents=documents, fetcher=fetcher)
    canonicalizer = Canonicalizer()
    checker = StatusChecker(
        DataIntegrityListVerifier(resolver, canonicalizer, leeway=DEFAULT_LEEWAY),
        fetcher=fetcher,
        documents=lists,
    )
    return Verifier(
        resolver,
        known_issuers=[did for did in documents if did not in endorsers],
        known_endorsers=sorted(endorsers),
        trust_list=trust_list,
        canonicalizer=canonicalizer,
        status_checker=checker,
    )
