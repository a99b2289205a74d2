"""A person's consent to be found for internal moves: off until they turn it on, for every job
family or for the ones they name, withdrawn by turning it off.

Turning it off deletes the consent row, so every candidate list, count and export built after
that leaves them out (rankings are computed on each request; nothing keeps an old list). Their
manager is never told: consent is read only to rank candidates for roles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passport.audit import record_event
from passport.catalog.models import JobFamily
from passport.errors import InvalidRequest
from passport.mobility.models import Discoverability, DiscoverableFamily

__all__ = [
    "MAX_FAMILIES",
    "Consent",
    "consent_of",
    "parse_consent",
    "set_consent",
    "withdraw_consent",
]


#: More job families than any catalog holds is not a choice but a mistake (or an attack on the
#: query that checks them).
MAX_FAMILIES = 200


@dataclass(frozen=True, slots=True)
class Consent:
    """``discoverable`` for ``job_families`` (None: every family)."""

    discoverable: bool
    job_families: tuple[str, ...] | None = None
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "discoverable": self.discoverable,
            "jobFamilies": list(self.job_families) if self.job_families is not None else None,
            "updatedAt": (
                self.updated_at.isoformat().replace("+00:00", "Z") if self.updated_at else None
            ),
        }


def parse_consent(body: object) -> Consent:
    """``{"discoverable": true|false, "jobFamilies": [ID…] | null}`` as sent; InvalidRequest for
    anything else (families are checked against the catalog by :func:`set_consent`)."""
    if not isinstance(body, dict):
        raise InvalidRequest(
            'Send a JSON object like {"discoverable": true, "jobFamilies": null}.',
            code="invalid_body",
        )
    unknown = sorted(set(body) - {"discoverable", "jobFamilies"})
    if unknown:
        raise InvalidRequest(f"Unknown field {unknown[0]!r}.", code="unknown_field")
    discoverable = body.get("discoverable")
    if not isinstance(discoverable, bool):
        raise InvalidRequest("'discoverable' must be true or false.", code="invalid_discoverable")
    families = body.get("jobFamilies")
    if families is None:
        return Consent(discoverable, None)
    if (
        not isinstance(families, list)
        or len(families) > MAX_FAMILIES
        or not all(isinstance(f, str) for f in families)
    ):
        raise InvalidRequest(
            f"'jobFamilies' must be a list of at most {MAX_FAMILIES} job family ids, or null for "
            "all of them.",
            code="invalid_job_families",
        )
    return Consent(discoverable, tuple(dict.fromkeys(families)))


def consent_of(session: Session, user_id: int) -> Consent:
    """What ``user_id`` has chosen (not discoverable when they never chose)."""
    row = session.get(Discoverability, user_id)
    if row is None:
        return Consent(False)
    if row.all_families:
        return Consent(True, None, row.updated_at)
    families = tuple(
        session.scalars(
            select(DiscoverableFamily.job_family_id)
            .where(DiscoverableFamily.user_id == user_id)
            .order_by(DiscoverableFamily.job_family_id)
        )
    )
    return Consent(True, families, row.updated_at)


def _check_families(session: Session, families: Sequence[str]) -> None:
    if not families:
        raise InvalidRequest(
            "Name at least one job family, or send null to be discoverable for all of them.",
            code="no_job_families",
        )
    known = set(
        session.scalars(
            select(JobFamily.id).where(JobFamily.id.in_(families), JobFamily.retired_at.is_(None))
        )
    )
    missing = [f for f in families if f not in known]
    if missing:
        raise InvalidRequest(
            f"No job family with the id {missing[0]!r}.", code="unknown_job_family"
        )


def withdraw_consent(session: Session, user_id: int, *, actor: str, now: datetime) -> Consent:
    """Be discoverable no more, at once (idempotent)."""
    session.execute(delete(DiscoverableFamily).where(DiscoverableFamily.user_id == user_id))
    removed = session.execute(delete(Discoverability).where(Discoverability.user_id == user_id))
    if getattr(removed, "rowcount", 0):
        record_event(session, actor, "mobility.withdraw", user_id, None, at=now)
    return Consent(False)


def set_consent(
    session: Session, user_id: int, consent: Consent, *, actor: str, now: datetime
) -> Consent:
    """Store ``consent`` for ``user_id``. The caller commits."""
    if not consent.discoverable:
        return withdraw_consent(session, user_id, actor=actor, now=now)
    if consent.job_families is not None:
        _check_families(session, consent.job_families)
    row = session.get(Discoverability, user_id)
    if row is None:
        row = Discoverability(user_id=user_id)
        session.add(row)
    row.all_families = consent.job_families is None
    row.updated_at = now
    session.execute(delete(DiscoverableFamily).where(DiscoverableFamily.user_id == user_id))
    session.flush()
    for family in consent.job_families or ():
        session.add(DiscoverableFamily(user_id=user_id, job_family_id=family))
    session.flush()
    record_event(
        session,
        actor,
        "mobility.consent",
        user_id,
        {"jobFamilies": list(consent.job_families) if consent.job_families is not None else None},
        at=now,
    )
    return consent_of(session, user_id)
