"""Session feedback, the mentors' aggregates of it, and the curriculum triage per template.

After a session has ended (start plus its minutes), a person who attended it — a cohort session:
their attendance recorded as present; a standalone event: a confirmed sign-up — may say whether
its outcome was reached (yes, partly, no), how useful it was (1 to 5) and add a comment of at most
2,000 characters. One answer per person and session; it may be changed for 14 days after it was
first given. Aggregates of fewer than 5 responses show no figures and no comments, so nobody's
answer can be told from a small group. A total over several sessions (a mentor's "all sessions",
a template's feedback) is built only from the sessions that are themselves shown (5 responses or
more), so subtracting a shown session from it reveals nothing of a hidden one; it carries no
comments (they appear under their own session). See ``docs/mentoring/mentors.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.assessments.models import Assessment
from passport.catalog.models import AchievementDefinition, Skill
from passport.cohorts.cohorts import led_by, session_leaders
from passport.cohorts.models import Attendance, MentoringSession
from passport.errors import Conflict, Forbidden, InvalidRequest, NotFound
from passport.mentoring.models import (
    SessionFeedback,
    SessionSignup,
    SessionTemplate,
    TemplateVersion,
)

__all__ = [
    "CHANGE_DAYS",
    "COMMENT_LIMIT",
    "MIN_GROUP",
    "OUTCOMES",
    "FeedbackSummary",
    "MentorFeedback",
    "SessionFeedbackRow",
    "TemplateTriage",
    "attended",
    "feedback_of",
    "feedback_session",
    "give_feedback",
    "mentor_feedback",
    "shown_total",
    "summarise",
    "template_triage",
]

OUTCOMES = ("yes", "partly", "no")
CHANGE_DAYS = 14
COMMENT_LIMIT = 2000
#: Groups smaller than this show "fewer than 5 responses" and no figures or comments.
MIN_GROUP = 5


def _ended(meeting: MentoringSession, now: datetime) -> bool:
    return meeting.starts_at + timedelta(minutes=meeting.minutes) <= now


def attended(session: Session, meeting: MentoringSession, user_id: int) -> bool:
    """Whether the person came: present in the attendance of a cohort session, or holding a
    confirmed sign-up for a standalone event."""
    if meeting.cohort_id is not None:
        return bool(
            session.scalar(
                select(Attendance.present).where(
                    Attendance.session_id == meeting.id, Attendance.user_id == user_id
                )
            )
        )
    return (
        session.scalar(
            select(SessionSignup.id).where(
                SessionSignup.session_id == meeting.id,
                SessionSignup.user_id == user_id,
                SessionSignup.status == "confirmed",
            )
        )
        is not None
    )


def feedback_session(
    session: Session, session_id: int, user: User, *, now: datetime
) -> MentoringSession:
    """The session ``user`` may give feedback on, or the reason they may not: NotFound,
    ``session_cancelled``/``session_not_ended`` (Conflict), ``not_an_attendee`` (Forbidden)."""
    meeting = session.get(MentoringSession, session_id)
    if meeting is None:
        raise NotFound("There is no such session.", code="unknown_session")
    if meeting.cancelled_at is not None:
        raise Conflict("This session was cancelled.", code="session_cancelled")
    if not _ended(meeting, now):
        raise Conflict("Feedback opens when the session has ended.", code="session_not_ended")
    if not attended(session, meeting, user.id):
        raise Forbidden(
            "Only people who attended this session can give feedback on it.",
            code="not_an_attendee",
        )
    return meeting


def feedback_of(session: Session, session_id: int, user_id: int) -> SessionFeedback | None:
    return session.get(SessionFeedback, (session_id, user_id))


def give_feedback(
    session: Session,
    session_id: int,
    user: User,
    *,
    outcome: str,
    usefulness: int,
    comment: str | None,
    now: datetime,
) -> SessionFeedback:
    """Record (or, within 14 days of first giving it, change) ``user``'s feedback."""
    feedback_session(session, session_id, user, now=now)
    if outcome not in OUTCOMES:
        raise InvalidRequest(
            "Say whether the outcome was reached: yes, partly or no.", code="bad_outcome"
        )
    if not 1 <= usefulness <= 5:
        raise InvalidRequest("Usefulness is rated from 1 to 5.", code="bad_usefulness")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_LIMIT:
        raise InvalidRequest(
            "The comment is too long (at most 2,000 characters).", code="field_too_long"
        )
    row = feedback_of(session, session_id, user.id)
    if row is None:
        row = SessionFeedback(session_id=session_id, user_id=user.id, created_at=now)
        session.add(row)
    elif row.created_at + timedelta(days=CHANGE_DAYS) < now:
        raise Conflict(
            "Feedback can be changed for 14 days after it was given; that time has passed.",
            code="feedback_closed",
        )
    row.outcome = outcome
    row.usefulness = usefulness
    row.comment = comment
    session.flush()
    return row


# -- Aggregates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    """``n`` responses; when ``n`` ≥ 5: the share answering yes/partly/no (0 to 1), the mean
    usefulness and the comments. Below 5 every figure is None and no comment is given."""

    n: int
    yes: float | None = None
    partly: float | None = None
    no: float | None = None
    mean_usefulness: float | None = None
    comments: tuple[str, ...] = ()

    @property
    def suppressed(self) -> bool:
        return self.n < MIN_GROUP


def summarise(rows: Sequence[SessionFeedback], *, comments: bool = True) -> FeedbackSummary:
    """The summary of ``rows`` (suppressed under 5); ``comments=False`` leaves the comments out
    (totals over several sessions)."""
    n = len(rows)
    if n < MIN_GROUP:
        return FeedbackSummary(n)
    counts = {o: sum(1 for r in rows if r.outcome == o) for o in OUTCOMES}
    return FeedbackSummary(
        n,
        yes=counts["yes"] / n,
        partly=counts["partly"] / n,
        no=counts["no"] / n,
        mean_usefulness=sum(r.usefulness for r in rows) / n,
        # Sorted, not in answer order, so their order says nothing about who wrote them.
        comments=tuple(sorted(r.comment for r in rows if r.comment)) if comments else (),
    )


def shown_total(
    groups: Iterable[Sequence[SessionFeedback]],
) -> tuple[FeedbackSummary, int]:
    """The total over the groups (sessions) that are themselves shown — 5 responses or more —
    without comments, and how many groups it covers. Hidden groups never enter a total, so
    "total minus the shown groups" is always zero."""
    shown = [list(g) for g in groups if len(g) >= MIN_GROUP]
    return summarise([r for g in shown for r in g], comments=False), len(shown)


@dataclass(frozen=True, slots=True)
class SessionFeedbackRow:
    session_id: int
    title: str
    starts_at: datetime
    summary: FeedbackSummary


@dataclass(frozen=True, slots=True)
class MentorFeedback:
    """``overall`` is built over the ``overall_sessions`` sessions with 5 or more responses
    only, without comments; ``sessions`` lists every session with a response."""

    user_id: int
    name: str
    overall: FeedbackSummary
    overall_sessions: int
    sessions: tuple[SessionFeedbackRow, ...]


def mentor_feedback(session: Session, mentor_ids: Iterable[int]) -> list[MentorFeedback]:
    """Per mentor (by name): the feedback on the sessions they led (a cohort session without a
    mentor counts for each mentor of its cohort), per session (latest first, each suppressed
    under 5 responses) and overall over the shown sessions only (:func:`shown_total`)."""
    ids = list(mentor_ids)
    if not ids:
        return []
    people = session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)).all()
    meetings = session.scalars(
        select(MentoringSession).where(led_by(ids)).order_by(MentoringSession.starts_at.desc())
    ).all()
    leaders = session_leaders(session, meetings)
    answers: dict[int, list[SessionFeedback]] = defaultdict(list)
    for row in session.scalars(
        select(SessionFeedback).where(SessionFeedback.session_id.in_([m.id for m in meetings]))
    ):
        answers[row.session_id].append(row)
    report = []
    for person in people:
        led = [m for m in meetings if person.id in leaders[m.id]]
        overall, counted = shown_total(answers.get(m.id, []) for m in led)
        report.append(
            MentorFeedback(
                person.id,
                person.name,
                overall,
                counted,
                tuple(
                    SessionFeedbackRow(m.id, m.title, m.starts_at, summarise(answers[m.id]))
                    for m in led
                    if m.id in answers
                ),
            )
        )
    return report


# -- Curriculum triage ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateTriage:
    """One session template: its feedback (over the ``feedback_sessions`` of its sessions with 5
    or more responses, :func:`shown_total`) and the assessment results of its skill at its level
    for the people who attended its sessions (``assessed`` people, ``pass_rate`` None under 5)."""

    template_id: int
    title: str
    skill_name: str
    level: int
    sessions: int
    feedback: FeedbackSummary
    feedback_sessions: int
    assessed: int
    pass_rate: float | None

    @property
    def assessed_suppressed(self) -> bool:
        return self.assessed < MIN_GROUP


def _attendees(session: Session, meetings: Sequence[MentoringSession]) -> dict[int, set[int]]:
    """Session id → user ids who attended (present, or a confirmed sign-up)."""
    ids = [m.id for m in meetings]
    people: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return people
    for session_id, user_id in session.execute(
        select(Attendance.session_id, Attendance.user_id).where(
            Attendance.session_id.in_(ids), Attendance.present.is_(True)
        )
    ):
        people[session_id].add(user_id)
    standalone = [m.id for m in meetings if m.cohort_id is None]
    for session_id, user_id in session.execute(
        select(SessionSignup.session_id, SessionSignup.user_id).where(
            SessionSignup.session_id.in_(standalone), SessionSignup.status == "confirmed"
        )
    ):
        people[session_id].add(user_id)
    return people


def template_triage(session: Session, *, now: datetime) -> list[TemplateTriage]:
    """Per session template with at least one session that has ended (by title): feedback on
    its sessions, and the latest assessment of each attendee for the template's skill at its
    level taken after the first session they attended (passed or not)."""
    templates = session.scalars(select(SessionTemplate).order_by(SessionTemplate.id)).all()
    rows = []
    for template in templates:
        meetings = [
            m
            for m in session.scalars(
                select(MentoringSession).where(
                    MentoringSession.template_id == template.id,
                    MentoringSession.cancelled_at.is_(None),
                )
            )
            if _ended(m, now)
        ]
        if not meetings:
            continue
        version = session.get(TemplateVersion, (template.id, template.current_version))
        skill = session.get(Skill, template.skill_id)
        answers: dict[int, list[SessionFeedback]] = defaultdict(list)
        for answer in session.scalars(
            select(SessionFeedback).where(SessionFeedback.session_id.in_([m.id for m in meetings]))
        ):
            answers[answer.session_id].append(answer)
        feedback, feedback_sessions = shown_total(answers.values())
        came = _attendees(session, meetings)
        first_attended: dict[int, datetime] = {}
        for meeting in meetings:
            for user_id in came.get(meeting.id, ()):
                seen = first_attended.get(user_id)
                if seen is None or meeting.starts_at < seen:
                    first_attended[user_id] = meeting.starts_at
        outcome = _assessment_outcomes(session, template, first_attended)
        assessed = len(outcome)
        rows.append(
            TemplateTriage(
                template_id=template.id,
                title=version.title if version else f"#{template.id}",
                skill_name=skill.name if skill else template.skill_id,
                level=template.level,
                sessions=len(meetings),
                feedback=feedback,
                feedback_sessions=feedback_sessions,
                assessed=assessed,
                pass_rate=(sum(outcome.values()) / assessed if assessed >= MIN_GROUP else None),
            )
        )
    return sorted(rows, key=lambda r: (r.title.casefold(), r.template_id))


def _assessment_outcomes(
    session: Session, template: SessionTemplate, first_attended: dict[int, datetime]
) -> dict[int, bool]:
    """User id → whether their latest assessment of the template's skill at its level, taken
    after the first of its sessions they attended, passed."""
    if not first_attended:
        return {}
    holders = dict(
        session.execute(
            select(User.id, User.holder_id).where(
                User.id.in_(list(first_attended)), User.holder_id.is_not(None)
            )
        ).all()
    )
    if not holders:
        return {}
    latest: dict[int, tuple[datetime, int, bool]] = {}
    for holder_id, assessed_at, assessment_id, passed in session.execute(
        select(Assessment.holder_id, Assessment.assessed_at, Assessment.id, Assessment.passed)
        .join(AchievementDefinition, AchievementDefinition.id == Assessment.achievement_id)
        .where(
            Assessment.holder_id.in_(list(holders.values())),
            AchievementDefinition.skill_id == template.skill_id,
            AchievementDefinition.level == template.level,
        )
    ):
        key = (assessed_at, assessment_id, bool(passed))
        kept = latest.get(holder_id)
        if kept is None or key > kept:
            latest[holder_id] = key
    result = {}
    for user_id, holder_id in holders.items():
        found = latest.get(holder_id)
        if found is not None and found[0] >= first_attended[user_id]:
            result[user_id] = found[2]
    return result
