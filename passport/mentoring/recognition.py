"""Mentor recognition: badges for mentoring, earned at 5, 20 and 50 sessions held per skill.

A session counts as *held* by its mentor (``MentoringSession.mentor_id``; a cohort session
without a mentor, by every mentor of its cohort) when it has a skill, has ended (start plus its
minutes is past), was not cancelled, and at least one person came: a learner marked present, or
a confirmed sign-up for a standalone event. For each mentor, skill and
threshold reached, the achievement "Mentor — <skill>, <n> sessions" (made on first need, type
``Award`` — a term of the OB 3.0 AchievementType enumeration; it has no skill level, so it never
counts as a skill badge) is issued through the normal issuing path to the mentor's e-mail: it
lands in their passport and the "your badge is here" mail goes out. A
:class:`~passport.mentoring.models.MentorRecognition` row (primary key: mentor and achievement)
makes it once only. Run daily by the ``mentor-recognition`` schedule and by
``passport mentors recognise``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition, Skill
from passport.cohorts.cohorts import session_leaders
from passport.cohorts.models import Attendance, MentoringSession
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.credentials.issuing import IssueRequest, issue_credential
from passport.mentoring.models import MentorRecognition, SessionSignup
from passport.services import Services

__all__ = [
    "RECOGNITION_THRESHOLDS",
    "Recognised",
    "mentor_achievement",
    "recognise_mentors",
    "recognition_id",
    "sessions_held",
]

logger = logging.getLogger(__name__)

RECOGNITION_THRESHOLDS = (5, 20, 50)
ACHIEVEMENT_TYPE = "Award"


@dataclass(frozen=True, slots=True)
class Recognised:
    email: str
    achievement_id: str
    achievement_name: str
    credential_id: str
    sessions: int


def recognition_id(skill_id: str, threshold: int) -> str:
    return f"mentor-{skill_id}-{threshold}"


def sessions_held(session: Session, *, now: datetime) -> Counter[tuple[int, str]]:
    """(mentor id, skill id) → how many sessions of that skill the mentor held (module doc)."""
    someone_came = or_(
        exists().where(Attendance.session_id == MentoringSession.id, Attendance.present.is_(True)),
        exists().where(
            SessionSignup.session_id == MentoringSession.id,
            SessionSignup.status == "confirmed",
            MentoringSession.cohort_id.is_(None),
        ),
    )
    held: Counter[tuple[int, str]] = Counter()
    meetings = [
        m
        for m in session.scalars(
            select(MentoringSession).where(
                or_(
                    MentoringSession.mentor_id.is_not(None), MentoringSession.cohort_id.is_not(None)
                ),
                MentoringSession.skill_id.is_not(None),
                MentoringSession.cancelled_at.is_(None),
                MentoringSession.starts_at <= now,
                someone_came,
            )
        )
        if m.starts_at + timedelta(minutes=m.minutes) <= now
    ]
    leaders = session_leaders(session, meetings)
    for meeting in meetings:
        assert meeting.skill_id is not None
        for mentor_id in leaders[meeting.id]:
            held[(mentor_id, meeting.skill_id)] += 1
    return held


def _definition(
    skill: Skill, threshold: int, *, public_url: str, profile: dict[str, Any]
) -> dict[str, Any]:
    aid = f"{public_url}/achievements/{recognition_id(skill.id, threshold)}"
    return {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": f"Mentor — {skill.name}, {threshold} sessions",
        "description": (
            f"Led {threshold} micro-mentoring sessions on {skill.name} that learners attended."
        ),
        "criteria": {
            "id": f"{aid}#criteria",
            "narrative": (
                f"The mentor held at least {threshold} sessions teaching {skill.name}: each "
                "ended, was not cancelled, and had at least one learner present."
            ),
        },
        "creator": profile,
        "tag": ["mentoring", skill.name],
    }


def mentor_achievement(
    session: Session, services: Services, skill: Skill, threshold: int
) -> AchievementDefinition:
    """The recognition achievement for ``skill`` at ``threshold`` sessions, made on first need."""
    aid = recognition_id(skill.id, threshold)
    row = session.get(AchievementDefinition, aid)
    if row is not None:
        return row
    issuer = own_issuer(session, services)
    definition = _definition(
        skill,
        threshold,
        public_url=services.settings.public_url,
        profile=issuer_profile(issuer, public_url=services.settings.public_url),
    )
    row = AchievementDefinition(
        id=aid,
        issuer_id=issuer.id,
        skill_id=None,  # not a skill level: never counted as a skill badge
        level=None,
        name=definition["name"],
        achievement_type=ACHIEVEMENT_TYPE,
        definition=json.dumps(definition, ensure_ascii=False),
    )
    session.add(row)
    session.flush()
    return row


def recognise_mentors(session: Session, services: Services, *, now: datetime) -> list[Recognised]:
    """Issue every recognition that is due and not yet issued; return what was issued.

    The caller commits (each badge's record, its recognition row and its mail go together)."""
    held = sessions_held(session, now=now)
    if not held:
        return []
    done = {
        (r.user_id, r.achievement_id)
        for r in session.scalars(
            select(MentorRecognition).where(MentorRecognition.user_id.in_({m for m, _ in held}))
        )
    }
    issued = []
    for (mentor_id, skill_id), count in sorted(held.items()):
        mentor = session.get(User, mentor_id)
        skill = session.get(Skill, skill_id)
        if mentor is None or skill is None or mentor.erased_at is not None:
            continue
        for threshold in RECOGNITION_THRESHOLDS:
            if count < threshold or (mentor_id, recognition_id(skill_id, threshold)) in done:
                continue
            achievement = mentor_achievement(session, services, skill, threshold)
            record = issue_credential(
                session,
                services,
                IssueRequest(
                    achievement_id=achievement.id,
                    recipient_email=mentor.email,
                    recipient_name=mentor.name,
                    reason=f"Held {count} mentoring sessions on {skill.name}.",
                    actor="system",
                ),
                now=now,
            )
            session.add(
                MentorRecognition(
                    user_id=mentor_id,
                    achievement_id=achievement.id,
                    credential_id=record.id,
                    sessions=count,
                    issued_at=now,
                )
            )
            session.flush()
            issued.append(
                Recognised(mentor.email, achievement.id, achievement.name, record.id, count)
            )
            logger.info("recognised %s: %s", mentor.email, achievement.id)
    return issued
