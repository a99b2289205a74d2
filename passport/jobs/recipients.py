"""Who a notification goes to: the address, account and language of a learner or a user.

A badge belongs to a :class:`~passport.credentials.models.Holder` (an e-mail address); the
person may also have an account (:class:`~passport.accounts.models.User`, linked by
``holder_id`` or by the same address), which gives the message its language and lets the
person opt out of optional kinds. A deactivated or erased account gets no mail; a holder with
no account at all gets it at the holder's address, in English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.credentials.models import Holder

__all__ = ["Recipient", "holder_recipient", "pin_holder_recipients", "user_recipient"]

_PINNED = "passport.jobs.recipients"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    user_id: int | None
    locale: str


def user_recipient(user: User) -> Recipient | None:
    """``user`` as a recipient; None for an account that is deactivated or erased."""
    if user.deactivated_at is not None or user.erased_at is not None or not user.email:
        return None
    return Recipient(user.email, user.id, user.locale if user.locale in ("en", "de") else "en")


def _account_of(users: Iterable[User], holder: Holder) -> User | None:
    """The holder's account: the one linked to it, else the one with its address."""
    linked = by_address = None
    for user in users:
        if user.holder_id == holder.id:
            linked = user
        elif user.email == holder.email:
            by_address = user
    return linked or by_address


def _recipient(holder: Holder, user: User | None) -> Recipient | None:
    if user is not None:
        return user_recipient(user)
    if not holder.email or "@" not in holder.email:  # an erased holder keeps no address
        return None
    return Recipient(holder.email, None, "en")


def pin_holder_recipients(session: Session, holders: Iterable[Holder]) -> None:
    """Look up the accounts of many holders in one statement and keep the answers for the
    transaction (a bulk batch), so :func:`holder_recipient` asks nothing more."""
    pinned: dict[int, Recipient | None] = session.info.setdefault(_PINNED, {})
    wanted = {holder.id: holder for holder in holders if holder.id not in pinned}
    if not wanted:
        return
    emails = {holder.email for holder in wanted.values()}
    users = list(
        session.scalars(select(User).where(or_(User.holder_id.in_(wanted), User.email.in_(emails))))
    )
    for holder_id, holder in wanted.items():
        pinned[holder_id] = _recipient(holder, _account_of(users, holder))


def holder_recipient(session: Session, holder: Holder) -> Recipient | None:
    """Where mail about ``holder``'s badges goes (None: nowhere)."""
    pinned: dict[int, Recipient | None] = session.info.setdefault(_PINNED, {})
    if holder.id not in pinned:
        users = session.scalars(
            select(User).where(or_(User.holder_id == holder.id, User.email == holder.email))
        )
        pinned[holder.id] = _recipient(holder, _account_of(users, holder))
    return pinned[holder.id]
