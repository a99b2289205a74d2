"""Cohorts: planning a micro-mentoring cohort and running it week by week.

Who may do what: administrators manage every cohort; a mentor manages the cohorts they mentor
(creating one makes them its mentor) and cannot remove themselves. A cohort is planned for 6 to
8 weeks — other lengths are allowed, with a warning. Members are existing users: mentors must be
mentors or administrators, learners must be learners. Every change leaves an audit event under
the acting user's e-mail.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import EllipsisType
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.audit import record_event
from passport.catalog.models import AchievementDefinition, Skill
from passport.cohorts.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSkill,
    MentoringSession,
    MentorNote,
)
from passport.errors import Forbidden, InvalidRequest, NotFound
from verifier import normalize_email

__all__ = [
    "COHORT_DAYS",
    "DEFAULT_COHORT_WEEKS",
    "SESSION_MINUTES",
    "CohortOverview",
    "CohortRow",
    "DeletionSummary",
    "add_member",
    "add_note",
    "add_session",
    "add_target",
    "cohort_overview",
    "count_cohorts",
    "create_cohort",
    "default_mentor",
    "default_target",
    "delete_cohort",
    "delete_session",
    "deletion_summary",
    "duration_warning",
    "learners",
    "led_by",
    "managed_cohort",
    "managed_session",
    "mentors",
    "record_attendance",
    "remove_member",
    "remove_target",
    "session_deletion_summary",
    "session_leaders",
    "session_targets",
    "update_cohort",
    "update_session",
    "visible_cohorts",
]

DEFAULT_COHORT_WEEKS = 7
COHORT_DAYS = (6 * 7, 8 * 7)  # a cohort is planned for 6 to 8 weeks
SESSION_MINUTES = (5, 480)
SKILL_LEVELS = (1, 4)


def mentors(cohort: Cohort) -> list[CohortMember]:
    return [m for m in cohort.members if m.role == "mentor"]


def learners(cohort: Cohort) -> list[CohortMember]:
    return sorted((m for m in cohort.members if m.role == "learner"), key=lambda m: m.user.email)


def session_leaders(
    session: Session, meetings: Iterable[MentoringSession]
) -> dict[int, frozenset[int]]:
    """Session id → the user ids who led it: its mentor; a cohort session without a mentor
    (older data, or planned before its cohort had one) counts for every mentor member of its
    cohort. A standalone event without a mentor has no leader."""
    meetings = list(meetings)
    cohort_ids = {m.cohort_id for m in meetings if m.mentor_id is None and m.cohort_id}
    members: dict[int, set[int]] = {}
    if cohort_ids:
        for cohort_id, user_id in session.execute(
            select(CohortMember.cohort_id, CohortMember.user_id).where(
                CohortMember.cohort_id.in_(cohort_ids), CohortMember.role == "mentor"
            )
        ):
            members.setdefault(cohort_id, set()).add(user_id)
    return {
        m.id: (
            frozenset({m.mentor_id})
            if m.mentor_id is not None
            else frozenset(members.get(m.cohort_id, ()) if m.cohort_id else ())
        )
        for m in meetings
    }


def led_by(mentor_ids: Iterable[int]) -> ColumnElement[bool]:
    """The SQL condition "one of ``mentor_ids`` led this session", by the rule of
    :func:`session_leaders`."""
    ids = list(mentor_ids)
    mentored = select(CohortMember.cohort_id).where(
        CohortMember.user_id.in_(ids), CohortMember.role == "mentor"
    )
    return or_(
        MentoringSession.mentor_id.in_(ids),
        and_(MentoringSession.mentor_id.is_(None), MentoringSession.cohort_id.in_(mentored)),
    )


def managed_cohort(session: Session, cohort_id: int, actor: User) -> Cohort:
    """The cohort, if ``actor`` may manage it: admins all, mentors the ones they mentor.

    Raises :class:`NotFound` for an unknown id, :class:`Forbidden` for someone else's cohort.
    """
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound("No cohort with that id.", code="unknown_cohort")
    if actor.role != "admin" and not any(m.user_id == actor.id for m in mentors(cohort)):
        raise Forbidden("You do not mentor this cohort.", code="not_your_cohort")
    return cohort


def duration_warning(starts_on: date, ends_on: date) -> str | None:
    """A sentence when the cohort is not planned for 6 to 8 weeks, else None."""
    days = (ends_on - starts_on).days
    low, high = COHORT_DAYS
    if low <= days <= high:
        return None
    return (
        f"This cohort runs {days} days ({days / 7:.1f} weeks); "
        f"cohorts are planned for {low // 7} to {high // 7} weeks."
    )


@dataclass(frozen=True, slots=True)
class CohortRow:
    cohort: Cohort
    mentors: int
    learners: int


def _visible(actor: User, text: str) -> list[Any]:
    where: list[Any] = []
    if actor.role != "admin":
        mine = select(CohortMember.cohort_id).where(
            CohortMember.user_id == actor.id, CohortMember.role == "mentor"
        )
        where.append(Cohort.id.in_(mine))
    text = text.strip().lower()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(Cohort.name).like(f"%{escaped}%", escape="\\"))
    return where


def count_cohorts(session: Session, actor: User, *, query: str = "") -> int:
    """How many cohorts :func:`visible_cohorts` lists."""
    where = _visible(actor, query)
    return int(session.scalar(select(func.count()).select_from(Cohort).where(*where)) or 0)


def visible_cohorts(
    session: Session,
    actor: User,
    *,
    query: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> list[CohortRow]:
    """The cohorts ``actor`` manages whose name contains ``query``, newest first, with their
    member counts."""
    statement = (
        select(Cohort)
        .where(*_visible(actor, query))
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        CohortRow(cohort, len(mentors(cohort)), len(learners(cohort)))
        for cohort in session.scalars(statement)
    ]


def create_cohort(
    session: Session,
    actor: User,
    *,
    name: str,
    description: str | None,
    starts_on: date,
    ends_on: date | None,
    now: datetime,
) -> Cohort:
    """A new cohort (``ends_on`` defaults to seven weeks on); a mentor creating it mentors it."""
    ends_on = ends_on or starts_on + timedelta(weeks=DEFAULT_COHORT_WEEKS)
    if ends_on < starts_on:
        raise InvalidRequest("The end date is before the start date.", code="bad_dates")
    cohort = Cohort(
        name=name, description=description or None, starts_on=starts_on, ends_on=ends_on
    )
    if actor.role == "mentor":
        cohort.members.append(CohortMember(user_id=actor.id, role="mentor"))
    session.add(cohort)
    session.flush()
    record_event(session, actor.email, "cohort.create", cohort.id, {"name": name}, at=now)
    return cohort


def update_cohort(
    session: Session,
    cohort: Cohort,
    actor: User,
    *,
    name: str,
    description: str | None,
    starts_on: date,
    ends_on: date,
    now: datetime,
) -> str | None:
    """Change a cohort's name, description and dates; returns a duration warning, if any."""
    if ends_on < starts_on:
        raise InvalidRequest("The end date is before the start date.", code="bad_dates")
    changes = {
        key: [str(old), str(new)]
        for key, old, new in (
            ("name", cohort.name, name),
            ("description", cohort.description, description or None),
            ("starts_on", cohort.starts_on, starts_on),
            ("ends_on", cohort.ends_on, ends_on),
        )
        if old != new
    }
    cohort.name, cohort.description = name, description or None
    cohort.starts_on, cohort.ends_on = starts_on, ends_on
    if changes:
        record_event(session, actor.email, "cohort.update", cohort.id, changes, at=now)
    return duration_warning(starts_on, ends_on)


@dataclass(frozen=True, slots=True)
class DeletionSummary:
    """What deleting a cohort (or one session) removes, and what it keeps."""

    sessions: int
    attendance: int
    notes: int
    members: int
    targets: int
    #: assessments that name the cohort: kept, no longer linked to it
    assessments: int


def deletion_summary(session: Session, cohort: Cohort) -> DeletionSummary:
    notes = session.scalar(
        select(func.count()).select_from(MentorNote).where(MentorNote.cohort_id == cohort.id)
    )
    assessments = session.scalar(
        select(func.count()).select_from(Assessment).where(Assessment.cohort_id == cohort.id)
    )
    return DeletionSummary(
        sessions=len(cohort.sessions),
        attendance=sum(1 for s in cohort.sessions for a in s.attendance if a.present),
        notes=int(notes or 0),
        members=len(cohort.members),
        targets=len(cohort.target_skills),
        assessments=int(assessments or 0),
    )


def delete_cohort(session: Session, cohort: Cohort, actor: User, *, now: datetime) -> str:
    """Delete a cohort with its sessions, attendance, notes, members and targets.

    Assessments recorded in it — and the badges they issued — stay; they only lose the link
    to the cohort. Returns the cohort's name.
    """
    summary = deletion_summary(session, cohort)
    name = cohort.name
    session.execute(
        update(Assessment).where(Assessment.cohort_id == cohort.id).values(cohort_id=None)
    )
    for note in session.scalars(select(MentorNote).where(MentorNote.cohort_id == cohort.id)):
        session.delete(note)
    record_event(
        session,
        actor.email,
        "cohort.delete",
        cohort.id,
        {
            "name": name,
            "sessions": summary.sessions,
            "notes": summary.notes,
            "members": summary.members,
        },
        at=now,
    )
    session.delete(cohort)
    session.flush()
    return name


def managed_session(cohort: Cohort, session_id: int) -> MentoringSession:
    meeting = next((s for s in cohort.sessions if s.id == session_id), None)
    if meeting is None:
        raise NotFound("No such session in this cohort.", code="unknown_session")
    return meeting


def session_deletion_summary(meeting: MentoringSession) -> int:
    """How many attendance marks deleting the session removes."""
    return sum(1 for a in meeting.attendance if a.present)


def _check_session_fields(
    session: Session,
    cohort: Cohort,
    *,
    minutes: int,
    mentor_id: int | None,
    skill_id: str | None,
    level: int | None,
) -> None:
    """Refuse a length out of range, a mentor who is neither a mentor of the cohort nor an
    administrator, an unknown skill, a level outside 1 to 4, or a skill without a level."""
    low, high = SESSION_MINUTES
    if not low <= minutes <= high:
        raise InvalidRequest(
            f"The length in minutes must be from {low} to {high}.", code="bad_number"
        )
    if mentor_id is not None and not any(m.user_id == mentor_id for m in mentors(cohort)):
        user = session.get(User, mentor_id)
        if user is None or user.role != "admin":
            raise InvalidRequest(
                "The session's mentor must be a mentor of this cohort or an administrator.",
                code="not_a_mentor",
            )
    if (skill_id is None) != (level is None):
        raise InvalidRequest(
            "Choose both the skill and the level the session teaches, or neither.",
            code="bad_skill",
        )
    if skill_id is not None and session.get(Skill, skill_id) is None:
        raise InvalidRequest("There is no such skill.", code="unknown_skill")
    first, last = SKILL_LEVELS
    if level is not None and not first <= level <= last:
        raise InvalidRequest(f"The level must be from {first} to {last}.", code="bad_level")


def update_session(
    session: Session,
    cohort: Cohort,
    actor: User,
    *,
    session_id: int,
    title: str,
    learning_outcome: str,
    starts_at: datetime,
    minutes: int,
    now: datetime,
    mentor_id: int | EllipsisType | None = ...,
    skill_id: str | EllipsisType | None = ...,
    level: int | EllipsisType | None = ...,
) -> str | None:
    """Change a session — with its mentor, skill and level (None: none; left out: unchanged) —
    and return a warning when it falls outside the cohort's dates."""
    meeting = managed_session(cohort, session_id)
    if isinstance(mentor_id, EllipsisType):
        mentor_id = meeting.mentor_id
    if isinstance(skill_id, EllipsisType):
        skill_id = meeting.skill_id
    if isinstance(level, EllipsisType):
        level = meeting.level
    _check_session_fields(
        session, cohort, minutes=minutes, mentor_id=mentor_id, skill_id=skill_id, level=level
    )
    # Calendars update an entry whose SEQUENCE rose (issue #21): a change of the title, the
    # time, the length or the mentor (the entry's ORGANIZER) raises it; the outcome, skill and
    # level do not.
    before = (meeting.title, meeting.starts_at, meeting.minutes, meeting.mentor_id)
    if before != (title, starts_at, minutes, mentor_id):
        meeting.sequence = (meeting.sequence or 0) + 1
        meeting.updated_at = now
    meeting.title, meeting.learning_outcome = title, learning_outcome
    meeting.starts_at, meeting.minutes = starts_at, minutes
    meeting.mentor_id, meeting.skill_id, meeting.level = mentor_id, skill_id, level
    record_event(
        session,
        actor.email,
        "cohort.session_update",
        cohort.id,
        {"session": meeting.id, "title": title, "mentor": mentor_id},
        at=now,
    )
    if not cohort.starts_on <= starts_at.date() <= cohort.ends_on:
        return "The session is outside the cohort's dates."
    return None


def delete_session(
    session: Session, cohort: Cohort, actor: User, *, session_id: int, now: datetime
) -> str:
    """Delete one session and its attendance; returns its title."""
    meeting = managed_session(cohort, session_id)
    cohort.sessions.remove(meeting)
    record_event(
        session,
        actor.email,
        "cohort.session_delete",
        cohort.id,
        {"session": session_id, "title": meeting.title},
        at=now,
    )
    session.flush()
    return meeting.title


@dataclass(frozen=True, slots=True)
class CohortOverview:
    """What a cohort's page shows: members, attendance, notes, and what it still may target."""

    cohort: Cohort
    mentors: list[CohortMember]
    learners: list[CohortMember]
    #: (session id, user id) → present
    present: dict[tuple[int, int], bool]
    #: learner's user id → sessions attended
    attended: dict[int, int]
    notes: Sequence[MentorNote]
    #: authors and subjects of the notes, by user id
    people: dict[int, User]
    warnings: list[str]


def cohort_overview(session: Session, cohort: Cohort) -> CohortOverview:
    members = learners(cohort)
    present = {(a.session_id, a.user_id): a.present for s in cohort.sessions for a in s.attendance}
    attended = {
        m.user_id: sum(1 for s in cohort.sessions if present.get((s.id, m.user_id)))
        for m in members
    }
    notes = session.scalars(
        select(MentorNote)
        .where(MentorNote.cohort_id == cohort.id)
        .order_by(MentorNote.at.desc(), MentorNote.id.desc())
    ).all()
    people_ids = {n.author_id for n in notes} | {n.learner_id for n in notes if n.learner_id}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people_ids)))}
    warnings = []
    if not mentors(cohort):
        warnings.append("This cohort has no mentor yet; add one below.")
    duration = duration_warning(cohort.starts_on, cohort.ends_on)
    if duration:
        warnings.append(duration)
    return CohortOverview(
        cohort, mentors(cohort), members, present, attended, notes, people, warnings
    )


def add_member(
    session: Session, cohort: Cohort, actor: User, *, email: str, role: str, now: datetime
) -> None:
    if role not in ("mentor", "learner"):
        raise InvalidRequest("Choose whether the person joins as a mentor or a learner.")
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise InvalidRequest(
            f"There is no user with e-mail {email}. An administrator must create the "
            "account first (Users page).",
            code="unknown_user",
        )
    if role == "mentor" and user.role not in ("mentor", "admin"):
        raise InvalidRequest(
            f"{email} is a {user.role}; only mentors and administrators can mentor a cohort.",
            code="wrong_role",
        )
    if role == "learner" and user.role != "learner":
        raise InvalidRequest(
            f"{email} is a {user.role}, not a learner; only learners can join as learners.",
            code="wrong_role",
        )
    if any(m.user_id == user.id for m in cohort.members):
        raise InvalidRequest(f"{email} is already in this cohort.", code="duplicate_member")
    cohort.members.append(CohortMember(user_id=user.id, user=user, role=role))
    record_event(
        session, actor.email, "cohort.member_add", cohort.id, {"user": email, "role": role}, at=now
    )
    if role == "mentor" and default_mentor(cohort) == user.id:
        _give_upcoming_sessions(session, cohort, actor, user, now=now)


def _give_upcoming_sessions(
    session: Session, cohort: Cohort, actor: User, mentor: User, *, now: datetime
) -> None:
    """The cohort's first mentor leads its upcoming sessions that have no mentor (not cancelled;
    each one's SEQUENCE rises: its ORGANIZER changed)."""
    given = []
    for meeting in cohort.sessions:
        if meeting.mentor_id is None and meeting.cancelled_at is None and meeting.starts_at >= now:
            meeting.mentor_id = mentor.id
            meeting.sequence = (meeting.sequence or 0) + 1
            meeting.updated_at = now
            given.append(meeting.id)
    if given:
        record_event(
            session,
            actor.email,
            "cohort.session_mentor",
            cohort.id,
            {"user": mentor.email, "sessions": given},
            at=now,
        )


def remove_member(
    session: Session, cohort: Cohort, actor: User, *, user_id: int, now: datetime
) -> None:
    if user_id == actor.id and actor.role != "admin":
        raise InvalidRequest("You cannot remove yourself; ask another mentor or an administrator.")
    member = next((m for m in cohort.members if m.user_id == user_id), None)
    if member is None:
        raise InvalidRequest("That person is not in this cohort.", code="not_a_member")
    cohort.members.remove(member)
    record_event(
        session, actor.email, "cohort.member_remove", cohort.id, {"user": member.user.email}, at=now
    )


def add_target(
    session: Session, cohort: Cohort, actor: User, *, achievement_id: str, now: datetime
) -> None:
    """Make a skill at a level (an assessable achievement) a target of the cohort."""
    achievement = session.get(AchievementDefinition, achievement_id)
    if achievement is None or achievement.skill_id is None:
        raise InvalidRequest("Choose a skill level to target.", code="unknown_achievement")
    if any(t.achievement_id == achievement_id for t in cohort.target_skills):
        raise InvalidRequest(f"{achievement.name} is already a target of this cohort.")
    cohort.target_skills.append(CohortSkill(achievement_id=achievement_id))
    record_event(
        session, actor.email, "cohort.skill_add", cohort.id, {"achievement": achievement_id}, at=now
    )


def remove_target(
    session: Session, cohort: Cohort, actor: User, *, achievement_id: str, now: datetime
) -> None:
    target = next((t for t in cohort.target_skills if t.achievement_id == achievement_id), None)
    if target is None:
        raise InvalidRequest("That skill is not a target of this cohort.")
    cohort.target_skills.remove(target)
    record_event(
        session,
        actor.email,
        "cohort.skill_remove",
        cohort.id,
        {"achievement": achievement_id},
        at=now,
    )


def session_targets(cohort: Cohort) -> list[tuple[str, int, str]]:
    """The cohort's target achievements as (skill id, level, achievement name), by name."""
    return sorted(
        {
            (t.achievement.skill_id, t.achievement.level, t.achievement.name)
            for t in cohort.target_skills
            if t.achievement.skill_id is not None and t.achievement.level is not None
        },
        key=lambda t: (t[2].casefold(), t[0], t[1]),
    )


def default_target(cohort: Cohort) -> tuple[str, int] | None:
    """(skill id, level) of the cohort's only target, when it has exactly one."""
    targets = session_targets(cohort)
    return (targets[0][0], targets[0][1]) if len(targets) == 1 else None


def default_mentor(cohort: Cohort) -> int | None:
    """The user id of the cohort's only mentor, when it has exactly one."""
    found = mentors(cohort)
    return found[0].user_id if len(found) == 1 else None


def add_session(
    session: Session,
    cohort: Cohort,
    actor: User,
    *,
    title: str,
    learning_outcome: str,
    starts_at: datetime,
    minutes: int,
    now: datetime,
    mentor_id: int | None = None,
    skill_id: str | None = None,
    level: int | None = None,
) -> str | None:
    """Plan a mentoring session led by ``mentor_id`` (default: the cohort's only mentor, when it
    has exactly one) teaching ``skill_id`` at ``level`` (default: the cohort's only target, when
    it has exactly one); returns a warning when it falls outside the cohort's dates."""
    if mentor_id is None:
        mentor_id = default_mentor(cohort)
    if skill_id is None and level is None:
        skill_id, level = default_target(cohort) or (None, None)
    _check_session_fields(
        session, cohort, minutes=minutes, mentor_id=mentor_id, skill_id=skill_id, level=level
    )
    cohort.sessions.append(
        MentoringSession(
            title=title,
            learning_outcome=learning_outcome,
            starts_at=starts_at,
            minutes=minutes,
            mentor_id=mentor_id,
            skill_id=skill_id,
            level=level,
            updated_at=now,
        )
    )
    record_event(session, actor.email, "cohort.session_add", cohort.id, {"title": title}, at=now)
    if not cohort.starts_on <= starts_at.date() <= cohort.ends_on:
        return "The session is outside the cohort's dates."
    return None


def record_attendance(
    session: Session,
    cohort: Cohort,
    actor: User,
    *,
    session_id: int,
    present: Collection[int],
    now: datetime,
) -> int:
    """Mark which learners (user ids in ``present``) came to one session; returns how many."""
    meeting = next((s for s in cohort.sessions if s.id == session_id), None)
    if meeting is None:
        raise NotFound("No such session in this cohort.", code="unknown_session")
    existing = {a.user_id: a for a in meeting.attendance}
    count = 0
    for member in learners(cohort):
        came = member.user_id in present
        count += came
        row = existing.get(member.user_id)
        if row is None:
            meeting.attendance.append(Attendance(user_id=member.user_id, present=came))
        else:
            row.present = came
    record_event(
        session,
        actor.email,
        "cohort.attendance",
        cohort.id,
        {"session": meeting.id, "present": count},
        at=now,
    )
    return count


def add_note(
    session: Session,
    cohort: Cohort,
    actor: User,
    *,
    text: str,
    learner_id: int | None,
    now: datetime,
) -> None:
    """A mentor's note on the cohort, or on one of its learners."""
    if learner_id is not None and not any(m.user_id == learner_id for m in learners(cohort)):
        raise InvalidRequest("That learner is not in this cohort.", code="not_a_member")
    session.add(
        MentorNote(
            cohort_id=cohort.id, author_id=actor.id, learner_id=learner_id, text=text, at=now
        )
    )
    record_event(session, actor.email, "cohort.note_add", cohort.id, at=now)
