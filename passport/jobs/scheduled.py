"""The schedules of the notifications and clean-up work (issue #18, part 4).

Each is a :class:`~passport.jobs.schedules.Periodic`; :func:`passport.jobs.schedules.run_due`
runs each once per slot across every worker. Each function takes the time as ``now`` (tests
pass the time they choose) and is idempotent: the notification keys make a reminder once, and
the clean-ups find nothing left the second time.

- ``expiry-reminders`` (hourly): a badge (not revoked, not already earned again by its holder)
  whose ``validUntil`` is 30 days away or less gets ``badge_expiring`` with days=30; 7 days or
  less, days=7. A badge first seen inside 7 days gets only the 7-day one.
- ``session-reminders`` (hourly): each cohort session starting in the next 24 hours gets one
  ``session_reminder`` per learner member and mentor (an ``.ics`` is attached when it is sent);
  each standalone event (not cancelled) one per confirmed sign-up and one for its mentor.
- ``status-lists`` (hourly): :func:`passport.credentials.status.republish_lists` re-signs the
  lists whose published copy is behind, signed with a key no longer active, or a week old.
- ``share-link-cleanup`` (daily): :func:`passport.sharing.links.clean_up_dead_links` empties the
  links dead for more than 30 days (gone from their holders' lists), keeping tombstones.
- ``failed-report`` (daily): when a job, an e-mail or a schedule failed in the last day, each
  active admin gets one ``failed_report`` listing them; nothing failed, no mail.
- ``mentor-recognition`` (daily): :func:`passport.mentoring.recognition.recognise_mentors`
  issues the mentoring badges that are due (5, 20, 50 sessions held per skill), each once.
- ``oid4vci-purge`` (daily): :func:`passport.wallets.oid4vci.purge_expired` deletes the
  OpenID4VCI nonces, tokens, codes, offers and transactions expired for more than a day.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition
from passport.cohorts.models import Cohort, CohortMember, MentoringSession
from passport.credentials.models import IssuedCredential
from passport.credentials.status import republish_lists
from passport.jobs.models import Job, Notification, ScheduleRun
from passport.jobs.notify import notify_person
from passport.jobs.recipients import holder_recipient, pin_holder_recipients, user_recipient
from passport.jobs.schedules import Periodic
from passport.mentoring.freshness import has_successor
from passport.mentoring.models import SessionSignup
from passport.mentoring.recognition import recognise_mentors
from passport.services import Services
from passport.sharing.links import clean_up_dead_links

if TYPE_CHECKING:
    from passport.jobs.queue import JobQueue

__all__ = [
    "EXPIRY_WARNINGS",
    "SCHEDULES",
    "SESSION_NOTICE",
    "expiry_reminders",
    "failed_report",
    "mentor_recognition",
    "republish_status_lists",
    "session_reminders",
    "share_link_cleanup",
]

logger = logging.getLogger(__name__)

#: Days before a badge's ``validUntil`` its holder is reminded, widest first.
EXPIRY_WARNINGS = (30, 7)
#: How long before a cohort session its members are reminded.
SESSION_NOTICE = timedelta(hours=24)
#: What the failed-job report looks back over.
REPORT_WINDOW = timedelta(days=1)
_BATCH = 500


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        found.update(session.scalars(select(Notification.key).where(Notification.key.in_(chunk))))
    return found


def _iso(value: datetime) -> str:
    return value.isoformat()


def expiry_reminders(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Remind holders of badges expiring within 30 and within 7 days (each once)."""
    widest = timedelta(days=max(EXPIRY_WARNINGS))
    made = {days: 0 for days in EXPIRY_WARNINGS}
    newer = aliased(IssuedCredential)
    renewal_of_newer = aliased(IssuedCredential)
    # Earned again: a re-assessment named this badge as its predecessor (``supersedes_id``),
    # or — for badges issued before renewals were recorded, and admin awards — an unrevoked
    # badge of the same achievement that lasts longer and was not itself renewed (a renewal
    # under a shorter freshness period ends before the badge it renews, and is the current one).
    renewed = or_(
        has_successor(),
        select(newer.id)
        .where(
            newer.holder_id == IssuedCredential.holder_id,
            newer.achievement_id == IssuedCredential.achievement_id,
            newer.revoked_at.is_(None),
            or_(newer.valid_until.is_(None), newer.valid_until > IssuedCredential.valid_until),
            ~select(renewal_of_newer.id)
            .where(
                renewal_of_newer.supersedes_id == newer.id,
                renewal_of_newer.revoked_at.is_(None),
            )
            .exists(),
        )
        .exists(),
    )
    with services.session() as session:
        rows = session.execute(
            select(IssuedCredential, AchievementDefinition)
            .join(
                AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id
            )
            .options(selectinload(IssuedCredential.holder))
            .where(
                IssuedCredential.revoked_at.is_(None),
                IssuedCredential.suspended_at.is_(None),
                IssuedCredential.valid_until.is_not(None),
                IssuedCredential.valid_until > now,
                IssuedCredential.valid_until <= now + widest,
                ~renewed,  # the holder has earned it again since: nothing to renew
            )
            .order_by(IssuedCredential.valid_until, IssuedCredential.id)
        ).all()
        due: list[tuple[IssuedCredential, AchievementDefinition, int]] = []
        for credential, definition in rows:
            assert credential.valid_until is not None
            days = min(d for d in EXPIRY_WARNINGS if credential.valid_until <= now + timedelta(d))
            due.append((credential, definition, days))
        pin_holder_recipients(session, {c.holder for c, _, _ in due})
        existing = _existing_keys(session, [f"badge_expiring:{c.id}:{d}" for c, _, d in due])
        for credential, definition, days in due:
            key = f"badge_expiring:{credential.id}:{days}"
            recipient = holder_recipient(session, credential.holder)
            if key in existing or recipient is None:
                continue
            assert credential.valid_until is not None
            notify_person(
                session,
                services,
                recipient,
                kind="badge_expiring",
                key=key,
                context={
                    "credential_id": credential.id,
                    "achievement_id": credential.achievement_id,
                    "achievement_name": definition.name,
                    "valid_until": _iso(credential.valid_until),
                    "days": days,
                    # The invitation links to events teaching the skill at this level or above.
                    **(
                        {"skill_id": definition.skill_id, "level": definition.level or 1}
                        if definition.skill_id
                        else {}
                    ),
                },
                known_new=True,  # looked up above, in this transaction
            )
            made[days] += 1
    return {f"days_{days}": count for days, count in made.items()}


def session_reminders(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Remind every learner and mentor of a cohort session starting in the next 24 hours."""
    made = 0
    with services.session() as session:
        meetings = session.scalars(
            select(MentoringSession)
            .options(
                selectinload(MentoringSession.cohort)
                .selectinload(Cohort.members)
                .selectinload(CohortMember.user)
            )
            .where(
                MentoringSession.starts_at > now,
                MentoringSession.starts_at <= now + SESSION_NOTICE,
            )
            .order_by(MentoringSession.starts_at, MentoringSession.id)
        ).all()
        wanted: list[tuple[str, MentoringSession, User]] = []
        standalone = [m.id for m in meetings if m.cohort is None and m.cancelled_at is None]
        seated: dict[int, list[User]] = {}
        mentors: dict[int, User] = {}
        if standalone:
            # A standalone event (issue #21): its confirmed sign-ups and its mentor.
            for signup, user in session.execute(
                select(SessionSignup, User)
                .join(User, User.id == SessionSignup.user_id)
                .where(
                    SessionSignup.session_id.in_(standalone),
                    SessionSignup.status == "confirmed",
                )
                .order_by(SessionSignup.created_at, SessionSignup.id)
            ):
                seated.setdefault(signup.session_id, []).append(user)
            mentor_ids = {m.mentor_id for m in meetings if m.id in standalone and m.mentor_id}
            mentors = {
                u.id: u for u in session.scalars(select(User).where(User.id.in_(mentor_ids)))
            }
        for meeting in meetings:
            if meeting.cohort is None:
                if meeting.cancelled_at is not None:
                    continue
                people = list(seated.get(meeting.id, []))
                if meeting.mentor_id in mentors:
                    people.append(mentors[meeting.mentor_id])
            else:
                people = [
                    member.user
                    for member in meeting.cohort.members
                    if member.role in ("learner", "mentor")
                ]
            for person in people:
                key = f"session_reminder:{meeting.id}:{person.id}:{_iso(meeting.starts_at)}"
                wanted.append((key, meeting, person))
        existing = _existing_keys(session, [key for key, _, _ in wanted])
        for key, meeting, user in wanted:
            recipient = user_recipient(user)
            if key in existing or recipient is None:
                continue
            notify_person(
                session,
                services,
                recipient,
                kind="session_reminder",
                key=key,
                context={
                    "session_id": meeting.id,
                    "title": meeting.title,
                    "outcome": meeting.learning_outcome,
                    "cohort_name": meeting.cohort.name if meeting.cohort else "",
                    "starts_at": _iso(meeting.starts_at),
                    "ends_at": _iso(meeting.starts_at + timedelta(minutes=meeting.minutes)),
                    "location": ", ".join(p for p in (meeting.place, meeting.meeting_url) if p),
                },
                known_new=True,
            )
            made += 1
    return {"reminders": made}


def republish_status_lists(services: Services, queue: JobQueue, now: datetime) -> dict[str, str]:
    """Re-sign the status lists whose published copy is not current (see
    :func:`passport.credentials.status.republish_lists`)."""
    with services.session() as session:
        return republish_lists(session, services, now)


def share_link_cleanup(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Empty the share links dead for longer than the grace period (tombstones stay)."""
    with services.session() as session:
        return clean_up_dead_links(session, now=now)


def oid4vci_purge(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Delete the OpenID4VCI nonces, tokens, codes, offers and transactions expired for more
    than a day (see :func:`passport.wallets.oid4vci.purge_expired`)."""
    from passport.wallets.oid4vci import purge_expired

    with services.session() as session:
        return purge_expired(session, now)


#: A schedule run that has not finished this long after it began died with its worker.
RUN_LEASE = timedelta(hours=1)


def _failures(session: Session, since: datetime, now: datetime) -> dict[str, Any]:
    jobs = [
        {"id": job.id, "kind": job.kind, "error": job.error or ""}
        for job in session.scalars(
            select(Job)
            .where(Job.status == "failed", func.coalesce(Job.finished_at, Job.created_at) >= since)
            .order_by(Job.created_at, Job.id)
        )
    ]
    mail = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.status == "failed",
            func.coalesce(Notification.claimed_at, Notification.created_at) >= since,
        )
    )
    runs = [
        {
            "name": run.name,
            "slot": run.slot,
            "error": run.error or "It never finished: its worker stopped during the run.",
        }
        for run in session.scalars(
            select(ScheduleRun)
            .where(
                or_(
                    ScheduleRun.error.is_not(None),
                    ScheduleRun.finished_at.is_(None) & (ScheduleRun.started_at < now - RUN_LEASE),
                ),
                ScheduleRun.started_at >= since - RUN_LEASE,
            )
            .order_by(ScheduleRun.started_at, ScheduleRun.name)
        )
    ]
    return {"failed_jobs": jobs, "failed_mail": int(mail or 0), "failed_schedules": runs}


def failed_report(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Tell each active admin what failed in the last day — only when something did."""
    with services.session() as session:
        failures = _failures(session, now - REPORT_WINDOW, now)
        if not (failures["failed_jobs"] or failures["failed_mail"] or failures["failed_schedules"]):
            return {"reports": 0}
        day = now.strftime("%Y-%m-%d")
        admins = session.scalars(
            select(User)
            .where(User.role == "admin", User.deactivated_at.is_(None), User.erased_at.is_(None))
            .order_by(User.id)
        ).all()
        made = 0
        for admin in admins:
            recipient = user_recipient(admin)
            if recipient is None:
                continue
            row = notify_person(
                session,
                services,
                recipient,
                kind="failed_report",
                key=f"failed_report:{admin.id}:{day}",
                context=failures,
            )
            made += row is not None
    return {"reports": made}


def mentor_recognition(services: Services, queue: JobQueue, now: datetime) -> dict[str, int]:
    """Issue the mentoring badges that are due (see :mod:`passport.mentoring.recognition`)."""
    with services.session() as session:
        return {"issued": len(recognise_mentors(session, services, now=now))}


SCHEDULES: tuple[Periodic, ...] = (
    Periodic("expiry-reminders", "hour", expiry_reminders, offset=5),
    Periodic("session-reminders", "hour", session_reminders, offset=10),
    Periodic("status-lists", "hour", republish_status_lists, offset=15),
    Periodic("share-link-cleanup", "day", share_link_cleanup, offset=2),
    Periodic("failed-report", "day", failed_report, offset=6),
    Periodic("mentor-recognition", "day", mentor_recognition, offset=8),
    Periodic("oid4vci-purge", "day", oid4vci_purge, offset=4),
)
