"""Separation of duties: an assessor does not assess themselves.

A security review found that an assessor could award themselves any badge (finding 15 of
issue 17). :func:`check_not_self_assessment` refuses an assessment whose learner is the
assessor: the learner's e-mail is the assessor's own, or the holder record of the assessor's
account. It is called by :func:`passport.assessments.record.prepare_assessment`, so the form,
the bulk import (web and ``passport bulk``) and the API all refuse with the code
``self_assessment``. An administrator may allow it (a one-person programme) on
``/admin/settings``: the organisation setting ``allow_self_assessment``, audited when changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import OrgSetting, User
from passport.audit import record_event
from passport.credentials.models import Holder
from passport.errors import InvalidRequest

__all__ = [
    "ALLOW_SELF_ASSESSMENT_KEY",
    "SELF_ASSESSMENT",
    "check_not_self_assessment",
    "self_assessment_allowed",
    "set_self_assessment_allowed",
]

ALLOW_SELF_ASSESSMENT_KEY = "allow_self_assessment"
SELF_ASSESSMENT = (
    "You cannot assess yourself: another assessor has to record this assessment (an "
    "administrator can allow self-assessment in the organisation settings)."
)


def self_assessment_allowed(session: Session) -> bool:
    """Whether an administrator allowed assessors to assess themselves (not by default)."""
    row = session.get(OrgSetting, ALLOW_SELF_ASSESSMENT_KEY)
    return row is not None and row.value == "yes"


def set_self_assessment_allowed(
    session: Session, allowed: bool, *, actor: str, at: datetime
) -> bool:
    """Allow or forbid self-assessment; audited when it changes. Returns the new value."""
    value = "yes" if allowed else "no"
    row = session.get(OrgSetting, ALLOW_SELF_ASSESSMENT_KEY)
    old = "no" if row is None else row.value
    if row is None:
        session.add(OrgSetting(key=ALLOW_SELF_ASSESSMENT_KEY, value=value))
    else:
        row.value = value
    if old != value:
        record_event(
            session,
            actor,
            "org.allow_self_assessment",
            ALLOW_SELF_ASSESSMENT_KEY,
            {"from": old, "to": value},
            at=at,
        )
    return allowed


def _own_addresses(session: Session, assessor: str) -> set[str]:
    """The e-mail addresses that are the assessor's own: theirs and their holder record's."""
    name = assessor.strip().casefold()
    own = {name}
    user = session.scalar(select(User).where(User.email == name))
    if user is not None and user.holder_id is not None:
        holder = session.get(Holder, user.holder_id)
        if holder is not None and holder.email:
            own.add(holder.email.casefold())
    return own


def check_not_self_assessment(session: Session, *, assessor: str, learner_email: str) -> None:
    """Raise InvalidRequest (``self_assessment``) when the learner is the assessor, unless an
    administrator allowed it (:func:`self_assessment_allowed`)."""
    if learner_email.casefold() not in _own_addresses(session, assessor):
        return
    if self_assessment_allowed(session):
        return
    raise InvalidRequest(SELF_ASSESSMENT, code="self_assessment")
