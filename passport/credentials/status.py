"""Revocation and suspension with W3C Bitstring Status Lists; key rotation and compromise.

Every credential gets a random, unique index in the issuer's current list for each status
purpose it has: revocation always, one ``credentialStatus`` object as OB 3.0 (``[0..1]``) and its
official JSON Schema want; suspension only when asked for (``IssueRequest.suspendable``, ``passport
issue --suspendable``, or ``PASSPORT_STATUS_PURPOSES=revocation,suspension`` for every badge),
which makes ``credentialStatus`` a two-entry list as VC 2.0 allows. One entry cannot carry both
purposes (a ``BitstringStatusListEntry`` has one ``statusPurpose``), so a badge issued without a
suspension entry cannot be suspended: :func:`change_status` says so (``not_suspendable``).
Allocation is race-free on SQLite and PostgreSQL alike: the (list, index) primary key refuses a
duplicate and we draw again in a savepoint. A status change updates its entry row atomically,
bumps the list's version and re-signs the list in the same transaction, so the list served at
``/status/<id>`` is never behind the database and never loses a concurrent change.

Republication (:func:`republish_lists`, run by the ``status-lists`` schedule of
:mod:`passport.jobs.scheduled`) keeps every published list current without a request having to
sign it: it re-signs a list whose stored copy is missing or older than its ``version`` (a
change whose signing did not happen, e.g. it was made by a script or a restore), one signed by
a key that is no longer the issuer's active Ed25519 key (retired or compromised since, the
copy's proof naming the old key), and one signed more than :data:`LIST_MAX_AGE` ago, so its
``validFrom`` says how fresh it is. Our lists carry no ``validUntil`` (a verifier holding an
old copy re-reads it after ``ttl``), so there is no deadline to re-sign before.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer import (
    build_status_list_credential,
    json_bytes,
    new_bitstring,
    set_bit,
    sign_data_integrity,
)
from issuer.statuslist import MIN_ENTRIES, status_entry
from keys import verification_method_id
from passport.audit import AuditEvent
from passport.credentials.models import (
    IssuedCredential,
    Issuer,
    SigningKeyRecord,
    StatusEntry,
    StatusList,
    StatusListSnapshot,
)
from passport.errors import InvalidRequest, NotFound
from passport.jobs.notify import notify_person
from passport.jobs.recipients import holder_recipient
from passport.services import Services

__all__ = [
    "LIST_TTL_MS",
    "StatusClaim",
    "allocate_status",
    "apply_reserved_counts",
    "change_status",
    "draw_status",
    "ensure_status_lists",
    "list_url",
    "purposes_for",
    "release_statuses",
    "republish_lists",
    "reserve_statuses",
    "signed_list",
    "store_status",
]

logger = logging.getLogger(__name__)

#: How long verifiers may cache our lists (Bitstring Status List ``ttl``, milliseconds).
LIST_TTL_MS = 300_000
#: A published list older than this is signed again by :func:`republish_lists`.
LIST_MAX_AGE = timedelta(days=7)
_MAX_DRAWS = 64
ACTIONS = {
    "revoke": ("revocation", True),
    "suspend": ("suspension", True),
    "reinstate": ("suspension", False),
}


def list_url(services: Services, list_id: str) -> str:
    return f"{services.settings.public_url}/status/{list_id}"


def purposes_for(services: Services, *, suspendable: bool = False) -> tuple[str, ...]:
    """The status purposes a new credential gets entries for: the configured ones
    (``PASSPORT_STATUS_PURPOSES``, revocation by default), plus suspension when asked for."""
    purposes = services.settings.status_purposes
    if suspendable and "suspension" not in purposes:
        purposes = (*purposes, "suspension")
    return purposes


def _current_list(session: Session, services: Services, issuer: Issuer, purpose: str) -> StatusList:
    """The list new credentials go into: the newest one less than half full."""
    newest = session.scalar(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.id, StatusList.purpose == purpose)
        .order_by(StatusList.created_at.desc(), StatusList.id.desc())
    )
    if newest is not None and newest.used < newest.size // 2:
        return newest
    # The next number follows from the list just read, not from a second query: a count read
    # after another transaction committed the first list would name a second, empty one, and
    # concurrent issuers would then scatter over two lists (the index race of stop 24's CI).
    # Two transactions that both saw no list (or the same full one) now name the same list,
    # and the primary key lets only one create it.
    number = 1 if newest is None else _list_number(newest.id) + 1
    list_id = f"{issuer.id}-{purpose}-{number}"
    try:
        with session.begin_nested():
            created = StatusList(id=list_id, issuer_id=issuer.id, purpose=purpose, size=MIN_ENTRIES)
            session.add(created)
            session.flush()
            # Published (signed, all bits clear) from the start, so verifiers can read it.
            _sign_list(session, services, created, services.now())
    except IntegrityError:  # another transaction created it first
        created = session.get(StatusList, list_id)  # type: ignore[assignment]
        assert created is not None
    return created


def _list_number(list_id: str) -> int:
    """The sequence number at the end of a list id (``<issuer>-<purpose>-<n>``)."""
    return int(list_id.rsplit("-", 1)[1])


def ensure_status_lists(session: Session, services: Services, issuer: Issuer) -> None:
    """Create (and sign) the issuer's first list per purpose, so issuing never has to."""
    for purpose in services.settings.status_purposes:
        _current_list(session, services, issuer, purpose)


def _list_for(
    session: Session, services: Services, issuer: Issuer, purpose: str
) -> tuple[str, int]:
    status_list = _current_list(session, services, issuer, purpose)
    return status_list.id, status_list.size


_RESERVED = "reserved_status"
_RESERVED_COUNTS = "reserved_status_counts"


@dataclass(frozen=True, slots=True)
class StatusClaim:
    """Status entries drawn for a credential about to be signed (see :func:`draw_status`)."""

    credential_id: str
    #: The credential's ``credentialStatus``, one entry per purpose.
    entries: list[dict[str, Any]]
    #: (status list id, index, purpose) still to be stored; empty when already stored.
    rows: tuple[tuple[str, int, str], ...]


def draw_status(
    session: Session,
    services: Services,
    issuer: Issuer,
    credential_id: str,
    *,
    purposes: tuple[str, ...] | None = None,
) -> StatusClaim:
    """Pick a free index per status purpose for a credential, without writing anything.

    ``purposes`` defaults to the configured ones (see :func:`purposes_for`).

    Issuing signs the credential between :func:`draw_status` and :func:`store_status`, so a
    database write lock (all of SQLite) is held only for the short transaction that stores it,
    not for the signing. A credential id that :func:`reserve_statuses` reserved in this
    transaction gets those (already stored) entries.
    """
    reserved = session.info.get(_RESERVED)
    if reserved is not None and credential_id in reserved:
        return StatusClaim(credential_id, [entry for _, entry in reserved.pop(credential_id)], ())
    entries: list[dict[str, Any]] = []
    rows: list[tuple[str, int, str]] = []
    for purpose in services.settings.status_purposes if purposes is None else purposes:
        list_id, size = _list_for(session, services, issuer, purpose)
        candidates = list({secrets.randbelow(size) for _ in range(4)})
        taken = set(
            session.scalars(
                select(StatusEntry.index).where(
                    StatusEntry.status_list_id == list_id, StatusEntry.index.in_(candidates)
                )
            )
        )
        free = [index for index in candidates if index not in taken]
        if not free:  # pragma: no cover - needs a list more than half full, which we never use
            raise InvalidRequest("No free status index could be found; try again.")
        rows.append((list_id, free[0], purpose))
        entries.append(status_entry(list_url(services, list_id), free[0], purpose))
    return StatusClaim(credential_id, entries, tuple(rows))


def store_status(session: Session, claim: StatusClaim) -> bool:
    """Store the drawn entries; False (nothing stored) when another credential took an index
    since it was drawn — the caller draws again and signs again.
    """
    if not claim.rows:
        return True
    values = [
        {
            "status_list_id": list_id,
            "index": index,
            "credential_id": claim.credential_id,
            "purpose": purpose,
            "is_set": False,
        }
        for list_id, index, purpose in claim.rows
    ]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        # RETURNING tells which rows went in (rowcount is not reliable here on psycopg).
        stored = session.execute(
            dialect_insert(StatusEntry)
            .values(values)
            .on_conflict_do_nothing()
            .returning(StatusEntry.index)
        ).all()
        if len(stored) < len(values):
            session.execute(
                delete(StatusEntry).where(StatusEntry.credential_id == claim.credential_id)
            )
            return False
    else:
        try:
            with session.begin_nested():
                session.execute(insert(StatusEntry), values)
        except IntegrityError:
            return False
    for list_id, _, _ in claim.rows:
        session.execute(
            update(StatusList).where(StatusList.id == list_id).values(used=StatusList.used + 1)
        )
    return True


def allocate_status(
    session: Session, services: Services, issuer: Issuer, credential_id: str
) -> list[dict[str, Any]]:
    """Draw and store a credential's status entries at once; return its ``credentialStatus``."""
    for _ in range(_MAX_DRAWS):
        claim = draw_status(session, services, issuer, credential_id)
        if store_status(session, claim):
            return claim.entries
    raise InvalidRequest(  # pragma: no cover - needs a list more than half full
        "No free status index could be found; try again."
    )


def reserve_statuses(
    session: Session, services: Services, issuer: Issuer, credential_ids: list[str]
) -> None:
    """Reserve status entries for many credentials to come, a few statements per purpose.

    A bulk batch calls this once; :func:`allocate_status` then hands each credential its
    entries. Indexes are drawn at random as one at a time would be, inserted in one
    multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``, and the few that collide are
    drawn again. Entries of credentials that end up not issued are removed with
    :func:`release_statuses`. Databases without ``ON CONFLICT`` reserve nothing here (each
    credential then allocates its own).
    """
    dialect = session.get_bind().dialect.name
    if not credential_ids or dialect not in ("sqlite", "postgresql"):
        return
    dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    # credential id -> [(status list id, credentialStatus entry)], in purpose order
    reserved: dict[str, list[tuple[str, dict[str, Any]]]] = {cid: [] for cid in credential_ids}
    for purpose in services.settings.status_purposes:
        list_id, size = _list_for(session, services, issuer, purpose)
        url = list_url(services, list_id)
        pending = list(credential_ids)
        for _ in range(_MAX_DRAWS):
            if not pending:
                break
            drawn: dict[int, str] = {}
            for cid in pending:
                index = secrets.randbelow(size)
                while index in drawn:
                    index = secrets.randbelow(size)
                drawn[index] = cid
            # One statement with the rows as parameters (SQLAlchemy batches them into
            # multi-row VALUES itself, with a statement compiled once and cached), not a
            # 200-row VALUES clause built and compiled afresh for every batch.
            table = StatusEntry.__table__
            inserted = session.execute(
                dialect_insert(table).on_conflict_do_nothing().returning(table.c.index),
                [
                    {
                        "status_list_id": list_id,
                        "index": index,
                        "credential_id": cid,
                        "purpose": purpose,
                        "is_set": False,
                    }
                    for index, cid in drawn.items()
                ],
            ).scalars()
            placed: set[str] = set()
            for index in inserted:
                cid = drawn[index]
                reserved[cid].append((list_id, status_entry(url, index, purpose)))
                placed.add(cid)
            # The list's ``used`` count is raised by apply_reserved_counts at the end of the
            # batch, not here: that UPDATE locks the list's row until the commit, and taken
            # now it would make a second worker's batch wait for this whole batch's signing.
            counts = session.info.setdefault(_RESERVED_COUNTS, {})
            counts[list_id] = counts.get(list_id, 0) + len(placed)
            pending = [cid for cid in pending if cid not in placed]
        if pending:  # pragma: no cover - needs a list more than half full, which we never use
            raise InvalidRequest("No free status index could be found; try again.")
    session.info.setdefault(_RESERVED, {}).update(reserved)


def apply_reserved_counts(session: Session) -> None:
    """Raise the lists' ``used`` counts by what :func:`reserve_statuses` reserved in this
    transaction. Call it last before the commit (the row locks are then held for an instant)."""
    counts: dict[str, int] = session.info.pop(_RESERVED_COUNTS, None) or {}
    for list_id, count in sorted(counts.items()):  # a fixed order: no deadlock between workers
        session.execute(
            update(StatusList).where(StatusList.id == list_id).values(used=StatusList.used + count)
        )


def release_statuses(session: Session, credential_ids: list[str]) -> None:
    """Give back the status entries of credentials that were not issued after all.

    Deletes their rows (whether or not :func:`allocate_status` already handed them out) and
    lowers the lists' ``used`` counts to match.
    """
    reserved = session.info.get(_RESERVED) or {}
    for cid in credential_ids:
        reserved.pop(cid, None)
    if not credential_ids:
        return
    counts: dict[str, int] = {}
    for list_id in session.scalars(
        delete(StatusEntry)
        .where(StatusEntry.credential_id.in_(credential_ids))
        .returning(StatusEntry.status_list_id)
    ):
        counts[list_id] = counts.get(list_id, 0) + 1
    for list_id, count in counts.items():
        session.execute(
            update(StatusList).where(StatusList.id == list_id).values(used=StatusList.used - count)
        )


def _bits(session: Session, status_list: StatusList) -> bytearray:
    bits = new_bitstring(status_list.size)
    for index in session.scalars(
        select(StatusEntry.index).where(
            StatusEntry.status_list_id == status_list.id, StatusEntry.is_set.is_(True)
        )
    ):
        set_bit(bits, index, True)
    return bits


def _sign_list(
    session: Session, services: Services, status_list: StatusList, now: datetime
) -> bytes:
    issuer = session.get(Issuer, status_list.issuer_id)
    assert issuer is not None  # foreign key
    record = session.scalar(
        select(SigningKeyRecord)
        .where(
            SigningKeyRecord.issuer_id == issuer.id,
            SigningKeyRecord.alg == "EdDSA",
            SigningKeyRecord.status == "active",
        )
        .order_by(SigningKeyRecord.created_at.desc())
    )
    if record is None:
        raise InvalidRequest("The issuer has no active Ed25519 key to sign its status lists.")
    key = services.key_store.load(record.kid)
    credential = build_status_list_credential(
        list_url=list_url(services, status_list.id),
        issuer={"id": issuer.did},
        purpose=status_list.purpose,
        bits=bytes(_bits(session, status_list)),
        valid_from=now,
        ttl_ms=LIST_TTL_MS,
    )
    signed = sign_data_integrity(
        credential,
        key,
        verification_method=verification_method_id(issuer.did, key.kid),
        created=now,
        canonicalizer=services.canonicalizer,
    )
    content = json_bytes(signed)
    if status_list.snapshot is None:
        status_list.snapshot = StatusListSnapshot(
            status_list_id=status_list.id, version=status_list.version, content=content
        )
    else:
        status_list.snapshot.version = status_list.version
        status_list.snapshot.content = content
    status_list.updated_at = now
    return content


def signed_list(
    session: Session, services: Services, list_id: str, now: datetime
) -> tuple[bytes, int]:
    """The list's signed credential and version (signed now if it is behind)."""
    status_list = session.get(StatusList, list_id)
    if status_list is None:
        raise NotFound("No status list with that id.", code="unknown_status_list")
    snapshot = status_list.snapshot
    if snapshot is None or snapshot.version != status_list.version:
        return _sign_list(session, services, status_list, now), status_list.version
    return snapshot.content, snapshot.version


def _signed_by(content: bytes) -> str | None:
    """The verification method a stored list's proof names (None: unreadable)."""
    try:
        proof = json.loads(content).get("proof")
    except (ValueError, AttributeError):
        return None
    if isinstance(proof, list):
        proof = proof[0] if proof else None
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    return method if isinstance(method, str) else None


def _active_method(session: Session, issuer_id: int) -> str | None:
    issuer = session.get(Issuer, issuer_id)
    kid = session.scalar(
        select(SigningKeyRecord.kid)
        .where(
            SigningKeyRecord.issuer_id == issuer_id,
            SigningKeyRecord.alg == "EdDSA",
            SigningKeyRecord.status == "active",
        )
        .order_by(SigningKeyRecord.created_at.desc())
    )
    return None if issuer is None or kid is None else verification_method_id(issuer.did, kid)


def republish_lists(session: Session, services: Services, now: datetime) -> dict[str, str]:
    """Re-sign every list whose published copy is behind, signed by a key no longer active, or
    older than :data:`LIST_MAX_AGE`. Returns ``{list id: why}`` for those re-signed.

    Idempotent: a second run right after finds every copy current and signs nothing. An issuer
    with no active Ed25519 key keeps its lists as they are (nothing could sign them).
    """
    methods: dict[int, str | None] = {}
    done: dict[str, str] = {}
    for status_list in session.scalars(select(StatusList).order_by(StatusList.id)):
        if status_list.issuer_id not in methods:
            methods[status_list.issuer_id] = _active_method(session, status_list.issuer_id)
        method = methods[status_list.issuer_id]
        if method is None:
            continue
        snapshot = status_list.snapshot
        if snapshot is None or snapshot.version != status_list.version:
            why = "behind"
        elif _signed_by(snapshot.content) != method:
            why = "old_key"
        elif status_list.updated_at <= now - LIST_MAX_AGE:
            why = "old"
        else:
            continue
        if why != "behind":  # a new copy: a new version, so HTTP caches (ETag) see it
            session.execute(
                update(StatusList)
                .where(StatusList.id == status_list.id)
                .values(version=StatusList.version + 1)
            )
            session.refresh(status_list)
        _sign_list(session, services, status_list, now)
        services.invalidate_status(list_url(services, status_list.id))
        done[status_list.id] = why
    return done


@dataclass(frozen=True, slots=True)
class StatusChange:
    credential_id: str
    action: str
    changed: bool


def change_status(
    session: Session,
    services: Services,
    credential_id: str,
    action: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> StatusChange:
    """Revoke, suspend or reinstate a credential; re-sign its list in the same transaction."""
    if action not in ACTIONS:
        raise InvalidRequest(f"Unknown action {action!r}.")
    if not reason.strip():
        raise InvalidRequest("A reason is required; it goes into the audit log.", code="no_reason")
    credential = session.get(IssuedCredential, credential_id)
    if credential is None:
        raise NotFound("No credential with that id was issued here.", code="unknown_credential")
    purpose, value = ACTIONS[action]
    if credential.revoked_at is not None and action != "revoke":
        raise InvalidRequest(
            "The credential is revoked; revocation cannot be undone.", code="revoked"
        )
    # Writes first: the row locks (PostgreSQL) / write lock (SQLite) order concurrent changes.
    result = session.execute(
        update(StatusEntry)
        .where(StatusEntry.credential_id == credential_id, StatusEntry.purpose == purpose)
        .values(is_set=value)
        .returning(StatusEntry.status_list_id)
    ).first()
    if result is None:
        if purpose == "suspension":
            # OB 3.0 allows one credentialStatus; suspension is an opt-in second entry.
            raise InvalidRequest(
                "This badge cannot be suspended or reinstated: it was issued without a "
                "suspension status entry (only badges issued as suspendable have one). "
                "Revoke it instead, or issue a suspendable replacement.",
                code="not_suspendable",
            )
        raise InvalidRequest(
            f"This credential has no {purpose} status entry (it was issued without one).",
            code="no_status_entry",
        )
    list_id = result[0]
    session.execute(
        update(StatusList).where(StatusList.id == list_id).values(version=StatusList.version + 1)
    )
    was = {
        "revoke": credential.revoked_at,
        "suspend": credential.suspended_at,
        "reinstate": credential.suspended_at,
    }[action]
    if action == "revoke":
        credential.revoked_at = credential.revoked_at or now
        credential.revocation_reason = reason
    elif action == "suspend":
        credential.suspended_at = credential.suspended_at or now
        credential.suspension_reason = reason
    else:
        credential.suspended_at = None
        credential.suspension_reason = None
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=f"credential.{action}",
            subject=credential_id,
            detail=json.dumps({"reason": reason}, ensure_ascii=False),
        )
    )
    session.flush()
    status_list = session.get(StatusList, list_id)
    assert status_list is not None
    session.refresh(status_list)
    _sign_list(session, services, status_list, now)
    services.invalidate_status(list_url(services, list_id))
    changed = (was is None) if action in ("revoke", "suspend") else (was is not None)
    if changed:
        _tell_holder(session, services, credential, action, reason, now)
    return StatusChange(credential_id, action, changed)


#: The notification kind of each action (the holder is told in the same transaction).
_KINDS = {"revoke": "badge_revoked", "suspend": "badge_suspended", "reinstate": "badge_reinstated"}


def _tell_holder(
    session: Session,
    services: Services,
    credential: IssuedCredential,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    recipient = holder_recipient(session, credential.holder)
    if recipient is None:
        return
    kind = _KINDS[action]
    notify_person(
        session,
        services,
        recipient,
        kind=kind,
        key=f"{kind}:{credential.id}:{now.isoformat()}",
        context={
            "credential_id": credential.id,
            "achievement_name": credential.achievement.name,
            "reason": reason.strip(),
        },
    )
