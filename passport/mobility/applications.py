"""Applications to open roles: a learner applies with chosen badges, the hiring manager reads
the fit report and decides, and a ``moved`` decision becomes a people event.

**Applying** (:func:`apply`) shares the chosen badges — the learner's own, current ones, at
least one — through an ordinary share link (:func:`passport.sharing.links.create_share_link`,
audience "Application: <role title>", the usual expiry and revoke), and tells the role's
creator by e-mail. That e-mail is the only time anyone hears of the candidate: consent to be
found (:mod:`passport.mobility.consent`) tells nobody, and nor does withdrawing. The learner's
optional message travels in the link's audience note, so revoking the link deletes it too.

**Withdrawing** (:func:`withdraw`) revokes the link at once; applying again later reopens the
same application with a new link.

**The fit report** (:func:`application_fit`) reads the badges from the share link — nothing
when the link is revoked or expired, and it says so — and assesses only the current ones with
the ranking's own rule (:func:`passport.mobility.ranking.assess`); each badge shows its status.

**Deciding** (:func:`decide`): ``shortlisted``, ``declined`` or ``moved``. ``moved`` writes one
``moved`` people event (the person with the applicant's e-mail, or a new one keyed
``passport-user-<scim id>``; the role's job family; today in the organisation's time zone), so
mobility is measured from real decisions. Deciding ``moved`` again changes nothing; a moved
application takes no other decision, and a withdrawn one takes none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import record_event
from passport.catalog.models import AchievementDefinition, Skill
from passport.credentials.listing import badge_status
from passport.credentials.models import IssuedCredential
from passport.db import utcnow
from passport.errors import Conflict, InvalidRequest, NotFound
from passport.jobs.notify import notify_person
from passport.jobs.recipients import user_recipient
from passport.mobility.models import Application, OpenRole
from passport.mobility.ranking import (
    Candidate,
    GapCloser,
    HeldBadge,
    assess,
    closers_for,
    current_badge,
    requirements_of,
)
from passport.mobility.roles import can_manage, find_managed_role, find_role, list_roles
from passport.outcomes.models import HRPerson
from passport.outcomes.people import PeopleRow, import_events, org_today, row_key
from passport.services import Services
from passport.sharing.links import (
    MAX_AUDIENCE_CHARS,
    MAX_DAYS,
    create_share_link,
    revoke_share_link,
)
from passport.sharing.links import link_state as share_link_state
from passport.sharing.models import ShareLink, ShareLinkCredential

__all__ = [
    "DECISIONS",
    "DEFAULT_DAYS",
    "MAX_MESSAGE_CHARS",
    "MAX_NOTE_CHARS",
    "ApplicationFit",
    "ApplicationRow",
    "Applied",
    "OwnBadge",
    "RoleFit",
    "SharedBadge",
    "application_fit",
    "applications_for",
    "apply",
    "decide",
    "my_applications",
    "open_roles_for",
    "own_current_badges",
    "withdraw",
]

logger = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; the pages translate it where it is shown."""
    return message


#: What a hiring manager may record about an application.
DECISIONS = ("shortlisted", "declined", "moved")
#: How long an application's share link lasts unless the learner chooses otherwise.
DEFAULT_DAYS = 30
MAX_NOTE_CHARS = 2000
_AUDIENCE_PREFIX = "Application: "
#: The message shares the link's audience note with the prefix and the role's title.
MAX_MESSAGE_CHARS = 280

#: A shared badge's status now (:func:`passport.credentials.listing.badge_status`).
BadgeStatus = str


# -- what the learner holds -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnBadge:
    """One of the learner's current badges that has a skill and a level."""

    credential_id: str
    name: str
    skill: str
    level: int
    issued_at: datetime

    @property
    def held(self) -> HeldBadge:
        return HeldBadge(self.credential_id, self.skill, self.level, self.issued_at)


def own_current_badges(session: Session, user: User, *, now: datetime) -> list[OwnBadge]:
    """``user``'s current badges (not revoked, suspended or expired) for a skill, newest first."""
    if user.holder_id is None:
        return []
    rows = session.execute(
        select(
            IssuedCredential.id,
            AchievementDefinition.name,
            AchievementDefinition.skill_id,
            AchievementDefinition.level,
            IssuedCredential.issued_at,
        )
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            IssuedCredential.holder_id == user.holder_id,
            current_badge(now),
            AchievementDefinition.skill_id.is_not(None),
            AchievementDefinition.level >= 1,
        )
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
    ).all()
    return [
        OwnBadge(cid, name, str(skill), int(level or 0), issued)
        for cid, name, skill, level, issued in rows
    ]


@dataclass(frozen=True, slots=True)
class RoleFit:
    """An open role and how the learner's own current badges fit it."""

    role: OpenRole
    candidate: Candidate
    application: Application | None


def open_roles_for(session: Session, user: User, *, now: datetime) -> list[RoleFit]:
    """Every open role, newest first, with the learner's fit and their application (if any)."""
    held = [b.held for b in own_current_badges(session, user, now=now)]
    roles = list_roles(session, status="open")
    mine = {
        a.role_id: a
        for a in session.scalars(select(Application).where(Application.user_id == user.id))
    }
    return [
        RoleFit(
            role,
            Candidate(
                key=f"user:{user.id}",
                name=user.name,
                email=user.email,
                skills=assess(requirements_of(role), held),
                user_id=user.id,
            ),
            mine.get(role.id),
        )
        for role in roles
    ]


def my_applications(session: Session, user: User) -> list[tuple[Application, OpenRole]]:
    """The learner's applications with their roles, newest first."""
    rows = session.execute(
        select(Application, OpenRole)
        .join(OpenRole, OpenRole.id == Application.role_id)
        .where(Application.user_id == user.id)
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    return [(application, role) for application, role in rows]


# -- applying and withdrawing ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """A new (or reopened) application and the token of its share link (shown nowhere: the
    hiring manager reads the badges from the application)."""

    application: Application
    token: str


def _message(message: str | None) -> str | None:
    if message is None:
        return None
    text = message.strip()
    if not text:
        return None
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidRequest(N_("Keep the message to 280 characters."), code="message_too_long")
    return text


def _audience(role: OpenRole, message: str | None) -> str:
    head = f"{_AUDIENCE_PREFIX}{role.title}"
    return head if message is None else f"{head}\n\n{message}"[:MAX_AUDIENCE_CHARS]


def application_message(link: ShareLink | None) -> str | None:
    """The learner's message, kept in the link's audience note (gone once it is revoked)."""
    if link is None or link.revoked_at is not None or not link.audience:
        return None
    _, sep, rest = link.audience.partition("\n\n")
    return (rest.strip() or None) if sep else None


def apply(
    session: Session,
    services: Services,
    user: User,
    role_id: int,
    credential_ids: Sequence[str],
    *,
    message: str | None = None,
    expires_days: int = DEFAULT_DAYS,
    now: datetime,
) -> Applied:
    """Apply ``user`` to the open role ``role_id`` with the chosen badges. The caller commits.

    Raises NotFound (``unknown_role``); Conflict ``role_closed`` (a closed role) and
    ``already_applied`` (a live application to the role); InvalidRequest ``no_badges_chosen``,
    ``not_current_badge`` (a badge not the user's own, or not current: the same answer),
    ``invalid_expiry`` and ``message_too_long``.
    """
    role = find_role(session, role_id)
    if role.status != "open":
        raise Conflict(N_("This role is closed: it takes no applications."), code="role_closed")
    chosen = list(dict.fromkeys(str(i).strip() for i in credential_ids if str(i).strip()))
    if not chosen:
        raise InvalidRequest(N_("Choose at least one badge to share."), code="no_badges_chosen")
    if not 1 <= expires_days <= MAX_DAYS:
        raise InvalidRequest(N_("A link lasts between 1 and 365 days."), code="invalid_expiry")
    text = _message(message)
    current = {b.credential_id for b in own_current_badges(session, user, now=now)}
    if not set(chosen) <= current:
        raise InvalidRequest(
            N_("Only your own current badges can be shared with an application."),
            code="not_current_badge",
        )
    existing = session.scalar(
        select(Application).where(Application.role_id == role.id, Application.user_id == user.id)
    )
    if existing is not None and existing.status != "withdrawn":
        raise Conflict(N_("You have already applied to this role."), code="already_applied")
    created = create_share_link(
        session,
        holder_id=user.holder_id,
        credential_ids=chosen,
        audience=_audience(role, text),
        days=expires_days,
        now=now,
    )
    if existing is None:
        application = Application(
            role_id=role.id,
            user_id=user.id,
            share_link_id=created.link.id,
            status="applied",
            created_at=now,
        )
        try:
            # Two tabs applying at once: the unique (role, user) key lets one through.
            with session.begin_nested():
                session.add(application)
                session.flush()
        except IntegrityError as exc:
            raise Conflict(
                N_("You have already applied to this role."), code="already_applied"
            ) from exc
    else:
        application = existing
        application.status = "applied"
        application.share_link_id = created.link.id
        application.created_at = now
        application.note = None
        application.decided_at = None
        application.decided_by = None
        session.flush()
    record_event(
        session,
        user.email,
        "application.create",
        application.id,
        {"role": role.id, "badges": len(chosen), "days": expires_days},
        at=now,
    )
    _tell_creator(session, services, role, user, application, now)
    return Applied(application, created.token)


def _tell_creator(
    session: Session,
    services: Services,
    role: OpenRole,
    user: User,
    application: Application,
    now: datetime,
) -> None:
    """E-mail the role's creator — only while they still manage it: an active account that is
    still a hiring manager or an admin (someone moved to another role hears nothing)."""
    creator = session.get(User, role.created_by_id) if role.created_by_id is not None else None
    manages = creator is not None and can_manage(role, creator)
    recipient = user_recipient(creator) if creator is not None and manages else None
    if recipient is None:
        logger.info("application %s: the role's creator gets no mail", application.id)
        return
    notify_person(
        session,
        services,
        recipient,
        kind="role_application",
        key=f"role_application:{application.id}:{now.isoformat()}",
        context={
            "title": role.title,
            "applicant": user.name,
            "application_id": application.id,
            "applied_at": now.isoformat(),
        },
    )


def _own_application(session: Session, user: User, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.user_id != user.id:
        raise NotFound(N_("You have no application with that number."), code="unknown_application")
    return application


def withdraw(session: Session, user: User, application_id: int, *, now: datetime) -> Application:
    """Withdraw ``user``'s application: status ``withdrawn``, its share link revoked at once
    (withdrawing twice changes nothing). Conflict ``already_moved`` once moved."""
    application = _own_application(session, user, application_id)
    if application.status == "moved":
        raise Conflict(
            N_("This application was decided: you moved to the role."), code="already_moved"
        )
    if application.status == "withdrawn":
        return application
    application.status = "withdrawn"
    if application.share_link_id is not None:
        revoke_share_link(
            session, holder_id=user.holder_id, link_id=application.share_link_id, now=now
        )
    record_event(
        session,
        user.email,
        "application.withdraw",
        application.id,
        {"role": application.role_id},
        at=now,
    )
    return application


# -- the hiring manager's side ----------------------------------------------------------------


def link_state(link: ShareLink | None, now: datetime) -> str:
    """Whether the application's link still shows its badges (``active``, ``expired``,
    ``revoked``; no link at all counts as revoked) — the sharing pages' own rule."""
    return "revoked" if link is None else share_link_state(link, now)


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """One line of a role's list of applications."""

    application: Application
    name: str
    email: str
    badges: int
    link: str


def applications_for(
    session: Session,
    role_id: int,
    *,
    now: datetime | None = None,
    manager: User | None = None,
) -> list[ApplicationRow]:
    """The role's applications, newest first, with their links' state at ``now`` (default: the
    present). NotFound ``unknown_role`` (also for a role ``manager``, when given, does not
    manage)."""
    now = now or utcnow()
    if manager is None:
        find_role(session, role_id)
    else:
        find_managed_role(session, role_id, manager)
    badges = (
        select(ShareLinkCredential.share_link_id, func.count().label("n"))
        .group_by(ShareLinkCredential.share_link_id)
        .subquery()
    )
    rows = session.execute(
        select(Application, User.name, User.email, ShareLink, badges.c.n)
        .join(User, User.id == Application.user_id)
        .outerjoin(ShareLink, ShareLink.id == Application.share_link_id)
        .outerjoin(badges, badges.c.share_link_id == Application.share_link_id)
        .where(Application.role_id == role_id)
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    out = []
    for application, name, email, link, count in rows:
        state = link_state(link, now)
        shown = (count or 0) if state == "active" else 0
        out.append(ApplicationRow(application, name, email, shown, state))
    return out


@dataclass(frozen=True, slots=True)
class SharedBadge:
    """A badge the application's link shows, with its status now."""

    credential_id: str
    name: str
    skill: str | None
    level: int | None
    issued_at: datetime
    status: BadgeStatus


@dataclass(frozen=True, slots=True)
class ApplicationFit:
    """The fit report: the shared badges against the role's requirements."""

    application: Application
    role: OpenRole
    applicant: User
    link: str
    message: str | None
    badges: tuple[SharedBadge, ...]
    #: The current shared badges, assessed with the ranking's rule (met/partly/missing).
    fit: Candidate
    closers: dict[tuple[str, int], list[GapCloser]]
    skill_names: dict[str, str]


def find_application(
    session: Session, application_id: int, *, manager: User | None = None
) -> Application:
    """The application ``application_id``; NotFound ``unknown_application`` — also when
    ``manager`` is given and does not manage its role, so numbers cannot be probed."""
    application = session.get(Application, application_id)
    if application is not None and manager is not None:
        role = session.get(OpenRole, application.role_id)
        if role is None or not can_manage(role, manager):
            application = None
    if application is None:
        raise NotFound(N_("No application with that number."), code="unknown_application")
    return application


def application_fit(
    services: Services, session: Session, application_id: int, *, manager: User | None = None
) -> ApplicationFit:
    """The fit report of application ``application_id`` now (NotFound ``unknown_application``,
    also for an application of a role ``manager``, when given, does not manage).

    Reads the badges from the share link only while it is live; revoked, suspended and expired
    badges are listed with their status and do not count."""
    now = services.now()
    application = find_application(session, application_id, manager=manager)
    role = find_role(session, application.role_id)
    applicant = session.get(User, application.user_id)
    if applicant is None:  # pragma: no cover - the row cascades with the account
        raise NotFound(N_("No application with that number."), code="unknown_application")
    link = (
        session.get(ShareLink, application.share_link_id)
        if application.share_link_id is not None
        else None
    )
    state = link_state(link, now)
    badges: list[SharedBadge] = []
    held: list[HeldBadge] = []
    if link is not None and state == "active":
        rows = session.execute(
            select(IssuedCredential, AchievementDefinition)
            .join(ShareLinkCredential, ShareLinkCredential.credential_id == IssuedCredential.id)
            .outerjoin(
                AchievementDefinition,
                AchievementDefinition.id == IssuedCredential.achievement_id,
            )
            .where(ShareLinkCredential.share_link_id == link.id)
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id)
        ).all()
        for record, definition in rows:
            status = badge_status(record, now)
            skill = definition.skill_id if definition is not None else None
            level = definition.level if definition is not None else None
            badges.append(
                SharedBadge(
                    record.id,
                    definition.name if definition is not None else record.achievement_id,
                    skill,
                    level,
                    record.issued_at,
                    status,
                )
            )
            if status == "active" and skill is not None and level:
                held.append(HeldBadge(record.id, skill, int(level), record.issued_at))
    requirements = requirements_of(role)
    fit = Candidate(
        key=f"application:{application.id}",
        name=applicant.name,
        email=applicant.email,
        skills=assess(requirements, held),
        user_id=applicant.id,
    )
    closers = closers_for(
        session, {(g.skill, g.required) for g in fit.gaps}, today=org_today(session, now)
    )
    names = {
        skill_id: name
        for skill_id, name in session.execute(
            select(Skill.id, Skill.name).where(Skill.id.in_(list(requirements)))
        )
    }
    return ApplicationFit(
        application,
        role,
        applicant,
        state,
        application_message(link),
        tuple(badges),
        fit,
        closers,
        names,
    )


def _note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidRequest(N_("Keep the note to 2000 characters."), code="note_too_long")
    return text or None


def _person_key(session: Session, user: User) -> str:
    """The HR person with the user's e-mail, else an opaque key for a new one."""
    email = user.email.lower()
    known = session.scalar(
        select(HRPerson.person_key).where(HRPerson.email == email).order_by(HRPerson.id).limit(1)
    )
    return known or f"passport-user-{user.scim_id or user.id}"


def _write_moved(
    session: Session, user: User, role: OpenRole, *, secret_key: str, actor: str, now: datetime
) -> None:
    today = org_today(session, now)
    person_key = _person_key(session, user)
    row = PeopleRow(
        row=1,
        person_key=person_key,
        email=user.email.lower(),
        event="moved",
        occurred_on=today,
        job_family=role.job_family_id,
        cohort=None,
        row_key=row_key(person_key, "moved", today, role.job_family_id, ""),
    )
    result = import_events(session, [row], secret_key=secret_key, now=now, actor=actor, audit=False)
    if result.errors:
        raise Conflict(
            N_("This person's people records were erased: the move cannot be recorded."),
            code="erased_person",
        )


def decide(
    session: Session,
    application_id: int,
    status: str,
    *,
    actor: str,
    note: str | None = None,
    now: datetime,
    secret_key: str,
    manager: User | None = None,
) -> Application:
    """Record the hiring manager's decision on an application. The caller commits. With
    ``manager``, only on an application of a role they manage. A closed role's applications
    still take decisions: recording ``moved`` after closing the filled role is the usual order.

    ``moved`` also writes one ``moved`` people event (``secret_key``: the instance secret the
    people import checks erased people with). Deciding ``moved`` on a moved application changes
    nothing. Raises InvalidRequest ``invalid_decision`` / ``note_too_long``, NotFound
    ``unknown_application``, Conflict ``application_withdrawn`` and ``already_moved``.
    """
    if status not in DECISIONS:
        raise InvalidRequest(
            N_("Choose a decision: shortlist, decline or moved."), code="invalid_decision"
        )
    text = _note(note)
    application = find_application(session, application_id, manager=manager)
    if application.status == "withdrawn":
        raise Conflict(
            N_("The applicant withdrew this application: it takes no decision."),
            code="application_withdrawn",
        )
    if application.status == "moved":
        if status == "moved":
            return application
        raise Conflict(
            N_("This applicant has moved to the role: the decision is final."),
            code="already_moved",
        )
    role = find_role(session, application.role_id)
    if status == "moved":
        user = session.get(User, application.user_id)
        if user is None:  # pragma: no cover - the row cascades with the account
            raise NotFound(N_("No application with that number."), code="unknown_application")
        _write_moved(session, user, role, secret_key=secret_key, actor=actor, now=now)
    application.status = status
    application.note = text
    application.decided_at = now
    application.decided_by = actor
    record_event(
        session,
        actor,
        "application.decide",
        application.id,
        {"role": role.id, "status": status, "jobFamily": role.job_family_id},
        at=now,
    )
    return application
