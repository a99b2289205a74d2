"""The staff's list of issued badges: search by holder, achievement and status, one page at a
time.

A badge's status for people: ``revoked`` (for good), else ``suspended``, else ``expired`` (its
``validUntil`` has passed), else ``active``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition
from passport.credentials.models import Holder, IssuedCredential, StatusEntry

__all__ = [
    "BADGE_STATUSES",
    "badge_status",
    "count_badges",
    "learner_names",
    "search_badges",
    "suspendable_ids",
]

BADGE_STATUSES = ("active", "suspended", "revoked", "expired")


def badge_status(record: IssuedCredential, now: datetime) -> str:
    """``revoked``, ``suspended``, ``expired`` or ``active``."""
    if record.revoked_at is not None:
        return "revoked"
    if record.suspended_at is not None:
        return "suspended"
    if record.valid_until is not None and record.valid_until < now:
        return "expired"
    return "active"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(query: str, status: str, now: datetime) -> list[Any]:
    where: list[Any] = []
    text = query.strip().lower()
    if text:
        pattern = f"%{_escape_like(text)}%"
        learner_names = select(User.holder_id).where(
            User.holder_id.is_not(None), func.lower(User.name).like(pattern, escape="\\")
        )
        where.append(
            or_(
                func.lower(Holder.email).like(pattern, escape="\\"),
                func.lower(Holder.name).like(pattern, escape="\\"),
                Holder.id.in_(learner_names),
                func.lower(AchievementDefinition.name).like(pattern, escape="\\"),
                func.lower(AchievementDefinition.id).like(pattern, escape="\\"),
                func.lower(IssuedCredential.id).like(pattern, escape="\\"),
            )
        )
    not_expired = or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until >= now)
    if status == "revoked":
        where.append(IssuedCredential.revoked_at.is_not(None))
    elif status == "suspended":
        where.append(
            and_(IssuedCredential.revoked_at.is_(None), IssuedCredential.suspended_at.is_not(None))
        )
    elif status == "expired":
        where.append(
            and_(
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                IssuedCredential.valid_until < now,
            )
        )
    elif status == "active":
        where.append(
            and_(
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                not_expired,
            )
        )
    return where


def _joined(statement: Any) -> Any:
    return statement.join(Holder, IssuedCredential.holder_id == Holder.id).join(
        AchievementDefinition, IssuedCredential.achievement_id == AchievementDefinition.id
    )


def count_badges(session: Session, *, query: str = "", status: str = "", now: datetime) -> int:
    """How many badges :func:`search_badges` finds."""
    statement = _joined(select(func.count()).select_from(IssuedCredential))
    return int(session.scalar(statement.where(*_filters(query, status, now))) or 0)


def search_badges(
    session: Session,
    *,
    query: str = "",
    status: str = "",
    now: datetime,
    limit: int,
    offset: int,
) -> Sequence[IssuedCredential]:
    """Badges whose holder (name or e-mail), achievement or id contains ``query``, of one
    status (:data:`BADGE_STATUSES`; empty: any), newest first."""
    statement = (
        _joined(select(IssuedCredential))
        .where(*_filters(query, status, now))
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(statement).all()


def suspendable_ids(session: Session, credential_ids: Sequence[str]) -> set[str]:
    """Which of these badges were issued with a suspension status entry (OB 3.0 has one
    ``credentialStatus``; suspension is an opt-in second entry)."""
    return set(
        session.scalars(
            select(StatusEntry.credential_id).where(
                StatusEntry.credential_id.in_(credential_ids),
                StatusEntry.purpose == "suspension",
            )
        )
    )


def learner_names(session: Session, holder_ids: Sequence[int]) -> dict[int, str]:
    """The names learners gave their accounts, by holder id (a holder may have none)."""
    rows = session.execute(
        select(User.holder_id, User.name).where(User.holder_id.in_(holder_ids))
    ).all()
    return {holder_id: name for holder_id, name in rows if holder_id is not None}
