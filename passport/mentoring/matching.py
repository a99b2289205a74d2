"""Mentors matched by verified skill: who may teach a skill at a level, how loaded they are,
and which mentors to suggest for a cohort.

A mentor (an active user whose role is mentor or admin) is *eligible* to teach skill S at level
L when they hold a current badge of ours (not revoked, not suspended, ``valid_until`` unset or
in the future) for S at level L + 1 or above, or when an administrator granted them a
:class:`MentorException` for S whose ``max_level`` is L or above. The top level can only be
taught by exception (there is no badge above it). Ineligible mentors are never suggested.

A mentor's *load* is the hours of the sessions they lead (``MentoringSession.mentor_id``; a
cohort session without a mentor counts for every mentor of its cohort; not cancelled) that
start in the current calendar month (UTC) and in the next, beside their hours per month, and
the learners of each cohort they mentor that has not ended, beside their cap of
learners per cohort. Suggestions rank eligible mentors: by badge before by exception, then the
lowest share of this month's hours used, then the best mean usefulness of their past sessions'
feedback (used only from 5 responses; mentors with fewer come after those with a figure), then
by name. See ``docs/mentoring/mentors.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import record_event
from passport.catalog.achievements import LEVEL_NAMES
from passport.catalog.models import AchievementDefinition, Skill
from passport.cohorts import cohorts as cohort_cases
from passport.cohorts.cohorts import led_by, session_leaders
from passport.cohorts.models import Cohort, CohortMember, MentoringSession
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import Forbidden, InvalidRequest, NotFound
from passport.mentoring.models import MentorException, MentorProfile, SessionFeedback
from passport.mobility.ranking import current_badge
from verifier import normalize_email

__all__ = [
    "DEFAULT_HOURS_PER_MONTH",
    "DEFAULT_LEARNERS_PER_COHORT",
    "FEEDBACK_MIN_RESPONSES",
    "LEARNER_CAP_WITHOUT_ADMIN",
    "MENTOR_ROLES",
    "TOP_LEVEL",
    "CapWarning",
    "CohortLoad",
    "Eligibility",
    "MentorLoad",
    "MentorSuggestion",
    "ProfileValues",
    "add_cohort_member",
    "cohort_targets",
    "eligibility",
    "grant_exception",
    "held_levels",
    "mentor_loads",
    "mentor_profile",
    "mentors",
    "suggest_mentors",
    "update_profile",
    "withdraw_exception",
]

MENTOR_ROLES = ("mentor", "admin")
TOP_LEVEL = max(LEVEL_NAMES)
DEFAULT_HOURS_PER_MONTH = 8
DEFAULT_LEARNERS_PER_COHORT = 5
#: A mentor may set their own cap up to this; only an administrator raises it beyond.
LEARNER_CAP_WITHOUT_ADMIN = 5
#: Feedback is shown and used for ranking from this many responses on.
FEEDBACK_MIN_RESPONSES = 5
HOURS_LIMIT = 200
LEARNERS_LIMIT = 50


# -- Eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Why a mentor may (or may not) teach a skill at a level.

    ``basis`` is ``badge`` (a current badge at ``badge_level`` ≥ level + 1), ``exception``
    (an administrator's exception up to ``exception_level``, for ``exception_reason``) or None.
    ``badge_level`` is the best current badge level held, even when too low.
    """

    skill_id: str
    level: int
    basis: Literal["badge", "exception"] | None
    badge_level: int | None = None
    exception_level: int | None = None
    exception_reason: str | None = None

    @property
    def eligible(self) -> bool:
        return self.basis is not None


def _check_level(level: int) -> None:
    if not 1 <= level <= TOP_LEVEL:
        raise InvalidRequest(f"Levels are 1 to {TOP_LEVEL}.", code="bad_level")


def mentors(session: Session) -> list[User]:
    """Active mentors and administrators, by name."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.role.in_(MENTOR_ROLES),
                User.deactivated_at.is_(None),
                User.erased_at.is_(None),
            )
            .order_by(User.name, User.id)
        )
    )


def held_levels(
    session: Session, user_ids: Iterable[int], skill_id: str, *, now: datetime
) -> dict[int, int]:
    """User id → the highest level of a current badge of ours for ``skill_id`` they hold.

    A badge is a person's when it was issued to their holder record or to their e-mail (mentors
    and administrators have no holder link; their badges are found by address).
    """
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, func.max(AchievementDefinition.level))
        .join(Holder, or_(Holder.id == User.holder_id, Holder.email == User.email))
        .join(IssuedCredential, IssuedCredential.holder_id == Holder.id)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            User.id.in_(ids),
            AchievementDefinition.skill_id == skill_id,
            AchievementDefinition.level.is_not(None),
            current_badge(now),
        )
        .group_by(User.id)
    )
    return {user_id: int(level) for user_id, level in rows if level is not None}


def _exceptions(
    session: Session, user_ids: Iterable[int], skill_id: str
) -> dict[int, MentorException]:
    ids = list(user_ids)
    if not ids:
        return {}
    return {
        e.user_id: e
        for e in session.scalars(
            select(MentorException).where(
                MentorException.user_id.in_(ids), MentorException.skill_id == skill_id
            )
        )
    }


def _eligibilities(
    session: Session, user_ids: Sequence[int], skill_id: str, level: int, *, now: datetime
) -> dict[int, Eligibility]:
    _check_level(level)
    held = held_levels(session, user_ids, skill_id, now=now)
    excepted = _exceptions(session, user_ids, skill_id)
    result = {}
    for user_id in user_ids:
        badge = held.get(user_id)
        exception = excepted.get(user_id)
        basis: Literal["badge", "exception"] | None = None
        if badge is not None and badge >= level + 1:
            basis = "badge"
        elif exception is not None and exception.max_level >= level:
            basis = "exception"
        result[user_id] = Eligibility(
            skill_id=skill_id,
            level=level,
            basis=basis,
            badge_level=badge,
            exception_level=exception.max_level if exception else None,
            exception_reason=exception.reason if exception else None,
        )
    return result


def eligibility(
    session: Session, user: User, skill_id: str, level: int, *, now: datetime
) -> Eligibility:
    """Whether ``user`` may teach ``skill_id`` at ``level`` (raises InvalidRequest for a level
    outside 1 to the top). Someone who is not an active mentor or administrator never is."""
    found = _eligibilities(session, [user.id], skill_id, level, now=now)[user.id]
    if user.role not in MENTOR_ROLES or user.deactivated_at is not None:
        return Eligibility(skill_id, level, None, found.badge_level)
    return found


def _require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise Forbidden("Only an administrator can do this.", code="admin_only")


def _mentor(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role not in MENTOR_ROLES or user.erased_at is not None:
        raise NotFound("There is no such mentor.", code="unknown_mentor")
    return user


def grant_exception(
    session: Session,
    actor: User,
    *,
    user_id: int,
    skill_id: str,
    max_level: int,
    reason: str,
    now: datetime,
) -> MentorException:
    """An administrator lets a mentor teach ``skill_id`` up to ``max_level`` without the badge
    one level above (replacing an earlier exception for the skill). Audited
    (``mentor.exception.grant``); the reason is required."""
    _require_admin(actor)
    mentor = _mentor(session, user_id)
    _check_level(max_level)
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("An exception needs a written reason.", code="no_reason")
    if len(reason) > 2000:
        raise InvalidRequest("The reason is too long (at most 2,000 characters).")
    if session.get(Skill, skill_id) is None:
        raise NotFound(f"No skill with id {skill_id!r}.", code="unknown_skill")
    row = session.get(MentorException, (mentor.id, skill_id))
    if row is None:
        row = MentorException(user_id=mentor.id, skill_id=skill_id)
        session.add(row)
    row.max_level = max_level
    row.reason = reason
    row.granted_by = actor.email
    row.granted_at = now
    record_event(
        session,
        actor.email,
        "mentor.exception.grant",
        mentor.email,
        {"skill": skill_id, "max_level": max_level, "reason": reason},
        at=now,
    )
    session.flush()
    return row


def withdraw_exception(
    session: Session, actor: User, *, user_id: int, skill_id: str, now: datetime
) -> None:
    """An administrator withdraws an exception (audited: ``mentor.exception.withdraw``)."""
    _require_admin(actor)
    mentor = _mentor(session, user_id)
    row = session.get(MentorException, (mentor.id, skill_id))
    if row is None:
        raise NotFound("That mentor has no exception for this skill.", code="unknown_exception")
    session.delete(row)
    record_event(
        session, actor.email, "mentor.exception.withdraw", mentor.email, {"skill": skill_id}, at=now
    )
    session.flush()


# -- Profiles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileValues:
    hours_per_month: int
    max_learners_per_cohort: int


def mentor_profile(session: Session, user_id: int) -> ProfileValues:
    """A mentor's capacity (the defaults when they never set it)."""
    row = session.get(MentorProfile, user_id)
    if row is None:
        return ProfileValues(DEFAULT_HOURS_PER_MONTH, DEFAULT_LEARNERS_PER_COHORT)
    return ProfileValues(row.hours_per_month, row.max_learners_per_cohort)


def update_profile(
    session: Session,
    actor: User,
    *,
    user_id: int,
    hours_per_month: int,
    max_learners_per_cohort: int,
    now: datetime,
) -> ProfileValues:
    """Set a mentor's capacity: the mentor their own, an administrator anyone's. Only an
    administrator sets more than 5 learners per cohort. Audited (``mentor.profile.update``)."""
    if actor.role != "admin" and actor.id != user_id:
        raise Forbidden("You can change only your own mentoring capacity.", code="forbidden")
    mentor = _mentor(session, user_id)
    if not 0 <= hours_per_month <= HOURS_LIMIT:
        raise InvalidRequest(f"Hours per month must be from 0 to {HOURS_LIMIT}.", code="bad_number")
    if not 1 <= max_learners_per_cohort <= LEARNERS_LIMIT:
        raise InvalidRequest(
            f"Learners per cohort must be from 1 to {LEARNERS_LIMIT}.", code="bad_number"
        )
    if max_learners_per_cohort > LEARNER_CAP_WITHOUT_ADMIN and actor.role != "admin":
        raise Forbidden(
            f"More than {LEARNER_CAP_WITHOUT_ADMIN} learners per cohort needs an administrator.",
            code="learner_cap_admin_only",
        )
    row = session.get(MentorProfile, mentor.id)
    if row is None:
        row = MentorProfile(user_id=mentor.id)
        session.add(row)
    row.hours_per_month = hours_per_month
    row.max_learners_per_cohort = max_learners_per_cohort
    row.updated_at = now
    record_event(
        session,
        actor.email,
        "mentor.profile.update",
        mentor.email,
        {"hours_per_month": hours_per_month, "max_learners_per_cohort": max_learners_per_cohort},
        at=now,
    )
    session.flush()
    return ProfileValues(hours_per_month, max_learners_per_cohort)


# -- Load -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortLoad:
    cohort_id: int
    name: str
    learners: int
    cap: int

    @property
    def over(self) -> bool:
        return self.learners > self.cap


@dataclass(frozen=True, slots=True)
class MentorLoad:
    """A mentor's hours led this month and next (UTC months), beside their capacity, and the
    learners of each running cohort they mentor beside their per-cohort cap."""

    user_id: int
    name: str
    email: str
    hours_this_month: float
    hours_next_month: float
    hours_per_month: int
    cohorts: tuple[CohortLoad, ...]

    @property
    def share_used(self) -> float:
        """This month's hours over capacity (infinite when the capacity is 0 hours)."""
        if self.hours_per_month <= 0:
            return float("inf") if self.hours_this_month else 1.0
        return self.hours_this_month / self.hours_per_month


def _month_starts(now: datetime) -> tuple[datetime, datetime, datetime]:
    now = now.astimezone(UTC)
    this = datetime(now.year, now.month, 1, tzinfo=UTC)
    following = (this + timedelta(days=32)).replace(day=1)
    after = (following + timedelta(days=32)).replace(day=1)
    return this, following, after


def mentor_loads(session: Session, users: Sequence[User], *, now: datetime) -> list[MentorLoad]:
    """The load of each of ``users``, in the order given."""
    ids = [u.id for u in users]
    if not ids:
        return []
    this, following, after = _month_starts(now)
    minutes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    meetings = session.scalars(
        select(MentoringSession).where(
            led_by(ids),
            MentoringSession.cancelled_at.is_(None),
            MentoringSession.starts_at >= this,
            MentoringSession.starts_at < after,
        )
    ).all()
    leaders = session_leaders(session, meetings)
    for meeting in meetings:
        for mentor_id in leaders[meeting.id]:
            month = 0 if meeting.starts_at < following else 1
            minutes[mentor_id][month] += meeting.minutes
    today: date = now.astimezone(UTC).date()
    learner_counts = dict(
        session.execute(
            select(CohortMember.cohort_id, func.count())
            .where(CohortMember.role == "learner")
            .group_by(CohortMember.cohort_id)
        ).all()
    )
    mentored: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, cohort_id, name in session.execute(
        select(CohortMember.user_id, Cohort.id, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(
            CohortMember.user_id.in_(ids),
            CohortMember.role == "mentor",
            Cohort.ends_on >= today,
        )
        .order_by(Cohort.starts_on, Cohort.id)
    ):
        mentored[user_id].append((cohort_id, name))
    loads = []
    for user in users:
        profile = mentor_profile(session, user.id)
        this_minutes, next_minutes = minutes.get(user.id, [0, 0])
        loads.append(
            MentorLoad(
                user_id=user.id,
                name=user.name,
                email=user.email,
                hours_this_month=round(this_minutes / 60, 2),
                hours_next_month=round(next_minutes / 60, 2),
                hours_per_month=profile.hours_per_month,
                cohorts=tuple(
                    CohortLoad(
                        cohort_id,
                        name,
                        int(learner_counts.get(cohort_id, 0)),
                        profile.max_learners_per_cohort,
                    )
                    for cohort_id, name in mentored.get(user.id, [])
                ),
            )
        )
    return loads


# -- Suggestions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentorSuggestion:
    """One mentor offered for the targets, with why: their eligibility per target, their load
    and their past feedback (``feedback_mean`` None below 5 responses)."""

    user_id: int
    name: str
    email: str
    reasons: tuple[Eligibility, ...]
    load: MentorLoad
    feedback_responses: int
    feedback_mean: float | None

    @property
    def by_exception(self) -> bool:
        return any(r.basis == "exception" for r in self.reasons if r.eligible)

    @property
    def covered(self) -> int:
        return sum(r.eligible for r in self.reasons)

    def sort_key(self) -> tuple[int, bool, float, bool, float, str, int]:
        mean = self.feedback_mean
        return (
            -self.covered,
            self.by_exception,
            self.load.share_used,
            mean is None,
            -(mean or 0.0),
            self.name.casefold(),
            self.user_id,
        )


def cohort_targets(cohort: Cohort) -> list[tuple[str, int]]:
    """The cohort's target skills as (skill, level), from its target achievements."""
    return sorted(
        {
            (t.achievement.skill_id, t.achievement.level)
            for t in cohort.target_skills
            if t.achievement.skill_id is not None and t.achievement.level is not None
        }
    )


def _feedback(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, float]]:
    """Mentor id → (responses, mean usefulness) over the sessions they led (the rule of
    :func:`~passport.cohorts.cohorts.session_leaders`)."""
    meetings = session.scalars(select(MentoringSession).where(led_by(ids))).all()
    leaders = session_leaders(session, meetings)
    scores: dict[int, list[int]] = defaultdict(list)
    for session_id, usefulness in session.execute(
        select(SessionFeedback.session_id, SessionFeedback.usefulness).where(
            SessionFeedback.session_id.in_([m.id for m in meetings])
        )
    ):
        for mentor_id in leaders[session_id] & set(ids):
            scores[mentor_id].append(usefulness)
    return {m: (len(v), sum(v) / len(v)) for m, v in scores.items() if v}


def suggest_mentors(
    session: Session, targets: Sequence[tuple[str, int]], *, now: datetime
) -> list[MentorSuggestion]:
    """Mentors eligible for at least one of ``targets`` (skill, level), ranked (module doc).

    Raises InvalidRequest when there is no target or a level is out of range."""
    if not targets:
        raise InvalidRequest("Name a skill and a level to find mentors for.", code="no_target")
    people = mentors(session)
    ids = [p.id for p in people]
    per_target = [_eligibilities(session, ids, skill, level, now=now) for skill, level in targets]
    offered = [p for p in people if any(t[p.id].eligible for t in per_target)]
    loads = {load.user_id: load for load in mentor_loads(session, offered, now=now)}
    feedback = _feedback(session, [p.id for p in offered])
    suggestions = []
    for person in offered:
        responses, mean = feedback.get(person.id, (0, 0.0))
        suggestions.append(
            MentorSuggestion(
                user_id=person.id,
                name=person.name,
                email=person.email,
                reasons=tuple(t[person.id] for t in per_target),
                load=loads[person.id],
                feedback_responses=responses,
                feedback_mean=round(mean, 2) if responses >= FEEDBACK_MIN_RESPONSES else None,
            )
        )
    return sorted(suggestions, key=MentorSuggestion.sort_key)


# -- Adding people to a cohort ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapWarning:
    """A cohort with more learners than its mentors' summed per-cohort caps take."""

    learners: int
    cap: int

    def __str__(self) -> str:
        return (
            f"This cohort now has {self.learners} learners, more than its mentors take "
            f"together ({self.cap}). Add a mentor or raise a mentor's cap."
        )


def add_cohort_member(
    session: Session, cohort: Cohort, actor: User, *, email: str, role: str, now: datetime
) -> CapWarning | None:
    """Add a member the way :func:`passport.cohorts.cohorts.add_member` does, with the matching
    rules: a mentor must be eligible for at least one of the cohort's target skills (refused
    with ``mentor_not_eligible``; a cohort without targets takes any mentor). A learner beyond
    the summed per-cohort caps of its mentors is added, and the warning returned."""
    targets = cohort_targets(cohort)
    normalised = normalize_email(email)
    if role == "mentor" and targets:
        user = session.scalar(select(User).where(User.email == normalised))
        if (
            user is not None
            and user.role in MENTOR_ROLES
            and not any(
                eligibility(session, user, skill, level, now=now).eligible
                for skill, level in targets
            )
        ):
            raise InvalidRequest(
                f"{user.name} holds no current badge one level above any of this cohort's "
                "target skills and has no exception for them, so cannot mentor it.",
                code="mentor_not_eligible",
            )
    cohort_cases.add_member(session, cohort, actor, email=email, role=role, now=now)
    if role != "learner":
        return None
    cap = sum(
        mentor_profile(session, m.user_id).max_learners_per_cohort
        for m in cohort.members
        if m.role == "mentor"
    )
    count = sum(1 for m in cohort.members if m.role == "learner")
    return CapWarning(count, cap) if count > cap else None
