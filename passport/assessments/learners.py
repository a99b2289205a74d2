"""Who an assessment may be for: people this instance knows — its users (learners first) and
the members of its cohorts. A mistyped e-mail must not quietly get a signed badge, so an
address no account has is refused unless the assessor explicitly invites the person as a new
learner (then the learner account is made, without a password).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.audit import record_event
from passport.cohorts.models import CohortMember
from passport.credentials.issuing import checked_email
from passport.errors import InvalidRequest

__all__ = ["KnownLearner", "assessable_learner", "known_learners"]


@dataclass(frozen=True, slots=True)
class KnownLearner:
    email: str
    name: str


def known_learners(session: Session) -> list[KnownLearner]:
    """Active learner accounts and every active cohort member who is a learner, by name."""
    members = select(CohortMember.user_id).where(CohortMember.role == "learner")
    rows = session.execute(
        select(User.email, User.name)
        .where(
            User.deactivated_at.is_(None),
            or_(User.role == "learner", User.id.in_(members)),
        )
        .order_by(User.name, User.email)
    ).all()
    return [KnownLearner(email, name) for email, name in rows]


def assessable_learner(
    session: Session,
    email: str,
    *,
    invite: bool,
    name: str = "",
    actor: str,
    now: datetime,
) -> tuple[str, bool]:
    """The normalised e-mail an assessment may be recorded for, and whether the learner was
    invited (created) just now.

    Raises :class:`InvalidRequest`: ``missing_learner`` for no address, ``bad_email``,
    ``deactivated_learner`` for a deactivated account, and ``unknown_learner`` for an address
    no account has unless ``invite`` is set.
    """
    if not email.strip():
        raise InvalidRequest("Enter the learner's e-mail address.", code="missing_learner")
    email = checked_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        if user.deactivated_at is not None:
            raise InvalidRequest(
                f"The account of {email} is deactivated; an administrator can reactivate it "
                "on the Users page.",
                code="deactivated_learner",
            )
        return email, False
    if not invite:
        raise InvalidRequest(
            f"No learner has the e-mail address {email}. Check the spelling (the list "
            "suggests known learners as you type), or tick “Invite this person as a new "
            "learner” to create their account.",
            code="unknown_learner",
        )
    create_user(session, email=email, name=name[:200], role="learner", password=None, actor=actor)
    record_event(session, actor, "learner.invite", email, {"via": "assessment"}, at=now)
    return email, True
