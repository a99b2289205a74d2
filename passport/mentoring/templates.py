"""Standard materials: versioned session templates, template programs, cohorts made from them.

A session template is a reusable session for one skill at one level. Its content (title,
learning outcome, agenda, hands-on task, pre-reading links, the rubric criteria it serves,
format and minutes) lives in numbered versions that are never changed: an edit writes version
n+1 and moves ``current_version``; a template is retired, never deleted. A template program is
an ordered plan of templates over 1–12 weeks ("SRE foundations, 7 weeks"); a cohort created
from it gets one session per item, copied from each template's *current* version.

After a template changes, the upcoming sessions still made from an older version are listed
(:func:`outdated_sessions`) and can be brought up to date (:func:`update_sessions_to_current`),
which raises each changed session's iCalendar ``sequence``. Past sessions never change.

Every rule here raises :class:`~passport.errors.InvalidRequest` with a stable code; the web
pages, the API and the CLI only translate. Their JSON (the API's shape, import and export,
the starter content) is :mod:`passport.mentoring.materials`. See
``docs/mentoring/templates.md``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.audit import record_event
from passport.catalog.models import AchievementDefinition, JobFamily, Skill
from passport.cohorts.cohorts import create_cohort, default_mentor
from passport.cohorts.models import Cohort, CohortSkill, MentoringSession
from passport.errors import InvalidRequest, NotFound
from passport.mentoring.models import (
    ProgramItem,
    SessionTemplate,
    TemplateProgram,
    TemplateVersion,
)

__all__ = [
    "CONTENT_FIELDS",
    "FORMATS",
    "MAX_PRE_READING",
    "MINUTES",
    "PROGRAM_WEEKS",
    "STARTER_FILE",
    "OutdatedSession",
    "ProgramDraft",
    "ProgramItemDraft",
    "ReadingLink",
    "TemplateContent",
    "TemplateFieldChange",
    "cohort_from_program",
    "create_program",
    "create_template",
    "find_program",
    "find_template",
    "list_programs",
    "list_templates",
    "outdated_sessions",
    "parse_content",
    "program_items",
    "retire_program",
    "retire_template",
    "session_date",
    "skill_criteria",
    "update_program",
    "update_sessions_to_current",
    "update_template",
    "version_content",
    "version_diff",
    "versions_of",
]

logger = logging.getLogger(__name__)

#: The formats a session can take (a shadow rotation is ``shadow``).
FORMATS = ("talk", "pairing", "hands_on", "shadow")
#: A micro-mentoring session lasts 15 to 90 minutes (issue #21).
MINUTES = (15, 90)
#: At most this many pre-reading links per template.
MAX_PRE_READING = 20
#: A program runs 1 to 12 weeks (cohorts are planned for 6–8).
PROGRAM_WEEKS = (1, 12)
#: How far from today a cohort made from a program may start (either way).
AHEAD = timedelta(days=731)
#: The starter templates and the "SRE foundations, 7 weeks" program (``passport demo``).
STARTER_FILE = Path(__file__).parent / "data" / "starter_materials.json"
#: The fields a version holds, in the order a diff lists them.
CONTENT_FIELDS = (
    "title",
    "learning_outcome",
    "agenda",
    "hands_on_task",
    "pre_reading",
    "criteria",
    "format",
    "minutes",
)
_LIMITS = {"title": 200, "learning_outcome": 2000, "agenda": 5000, "hands_on_task": 5000}


# -- Content -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadingLink:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class TemplateContent:
    """One version's content, checked (see :func:`parse_content`)."""

    title: str
    learning_outcome: str
    agenda: str
    hands_on_task: str
    pre_reading: tuple[ReadingLink, ...]
    criteria: tuple[str, ...]
    format: str
    minutes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "learning_outcome": self.learning_outcome,
            "agenda": self.agenda,
            "hands_on_task": self.hands_on_task,
            "pre_reading": [{"title": r.title, "url": r.url} for r in self.pre_reading],
            "criteria": list(self.criteria),
            "format": self.format,
            "minutes": self.minutes,
        }


def _text(raw: Mapping[str, Any], name: str, label: str, *, required: bool) -> str:
    value = raw.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} must be text.", code="invalid_field")
    value = value.strip()
    if required and not value:
        raise InvalidRequest(f"{label} is required.", code="missing_field")
    if len(value) > _LIMITS[name]:
        raise InvalidRequest(
            f"{label} is longer than {_LIMITS[name]} characters.", code="field_too_long"
        )
    return value


def _https_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequest("Each pre-reading link needs a URL.", code="bad_pre_reading_url")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 2000 or " " in url:
        raise InvalidRequest(
            f"The pre-reading link {url[:100]!r} is not an https:// address.",
            code="bad_pre_reading_url",
        )
    return url


def _pre_reading(value: object) -> tuple[ReadingLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidRequest(
            "Pre-reading is a list of links, each with a title and a URL.",
            code="bad_pre_reading",
        )
    if len(value) > MAX_PRE_READING:
        raise InvalidRequest(
            f"A template has at most {MAX_PRE_READING} pre-reading links.",
            code="too_many_links",
        )
    links = []
    for entry in value:
        if not isinstance(entry, Mapping):
            raise InvalidRequest(
                "Each pre-reading link has a title and a URL.", code="bad_pre_reading"
            )
        url = _https_url(entry.get("url"))
        title = entry.get("title") or url
        if not isinstance(title, str) or len(title.strip()) > 200:
            raise InvalidRequest(
                "A pre-reading link's title is text of at most 200 characters.",
                code="bad_pre_reading",
            )
        links.append(ReadingLink(title.strip() or url, url))
    return tuple(links)


def skill_criteria(skill: Skill) -> list[str]:
    """The ids of a skill's rubric criteria, in the catalog's order."""
    try:
        criteria = json.loads(skill.criteria or "[]")
    except ValueError:
        return []
    return [c["id"] for c in criteria if isinstance(c, dict) and isinstance(c.get("id"), str)]


def parse_content(raw: Mapping[str, Any], skill: Skill) -> TemplateContent:
    """Check one version's content (snake_case keys) against the rules and ``skill``.

    Raises :class:`InvalidRequest`: ``missing_field`` / ``field_too_long`` (texts),
    ``bad_pre_reading_url`` (not https), ``too_many_links`` (over 20), ``bad_pre_reading``,
    ``unknown_criterion`` (not one of the skill's rubric criteria), ``bad_format``,
    ``bad_minutes`` (outside 15–90).
    """
    title = _text(raw, "title", "The title", required=True)
    outcome = _text(raw, "learning_outcome", "The learning outcome", required=True)
    agenda = _text(raw, "agenda", "The agenda", required=False)
    task = _text(raw, "hands_on_task", "The hands-on task", required=False)
    links = _pre_reading(raw.get("pre_reading"))
    criteria_raw = raw.get("criteria") or []
    if not isinstance(criteria_raw, list) or not all(isinstance(c, str) for c in criteria_raw):
        raise InvalidRequest("Criteria are a list of criterion ids.", code="unknown_criterion")
    known = skill_criteria(skill)
    for criterion in criteria_raw:
        if criterion not in known:
            raise InvalidRequest(
                f"{criterion!r} is not a rubric criterion of {skill.name} "
                f"(its criteria: {', '.join(known) or 'none'}).",
                code="unknown_criterion",
            )
    criteria = tuple(c for c in known if c in criteria_raw)  # the rubric's order, each once
    session_format = raw.get("format") or "talk"
    if session_format not in FORMATS:
        raise InvalidRequest(f"The format must be one of: {', '.join(FORMATS)}.", code="bad_format")
    minutes = raw.get("minutes", 60)
    low, high = MINUTES
    if isinstance(minutes, str) and re.fullmatch(r"[0-9]{1,9}", minutes.strip()):
        minutes = int(minutes.strip())
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        raise InvalidRequest(f"A session lasts from {low} to {high} minutes.", code="bad_minutes")
    return TemplateContent(
        title, outcome, agenda, task, links, criteria, str(session_format), minutes
    )


def version_content(version: TemplateVersion) -> TemplateContent:
    """A stored version as :class:`TemplateContent` (stored versions were checked once)."""
    links = tuple(
        ReadingLink(str(r.get("title", "")), str(r.get("url", "")))
        for r in json.loads(version.pre_reading or "[]")
    )
    return TemplateContent(
        version.title,
        version.learning_outcome,
        version.agenda,
        version.hands_on_task,
        links,
        tuple(json.loads(version.criteria or "[]")),
        version.format,
        version.minutes,
    )


# -- Templates ---------------------------------------------------------------------------------


def _skill(session: Session, skill_id: str) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise InvalidRequest(f"There is no skill {skill_id!r}.", code="unknown_skill")
    return skill


def _check_level(level: object) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 4:
        raise InvalidRequest("The level is a number from 1 to 4.", code="bad_level")
    return level


def _version_row(
    template_id: int, number: int, content: TemplateContent, actor: str, now: datetime
) -> TemplateVersion:
    data = content.as_dict()
    return TemplateVersion(
        template_id=template_id,
        version=number,
        title=content.title,
        learning_outcome=content.learning_outcome,
        agenda=content.agenda,
        hands_on_task=content.hands_on_task,
        pre_reading=json.dumps(data["pre_reading"]),
        criteria=json.dumps(data["criteria"]),
        format=content.format,
        minutes=content.minutes,
        created_by=actor[:320],
        created_at=now,
    )


def create_template(
    session: Session,
    actor: str,
    *,
    skill_id: str,
    level: int,
    content: Mapping[str, Any],
    now: datetime,
) -> SessionTemplate:
    """A new template for ``skill_id`` at ``level`` with version 1 (audited
    ``template.create``). Raises :class:`InvalidRequest` (``unknown_skill``, ``bad_level``,
    and :func:`parse_content`'s codes)."""
    skill = _skill(session, skill_id)
    if skill.retired_at is not None:
        raise InvalidRequest(f"The skill {skill.name} is retired.", code="retired_skill")
    level = _check_level(level)
    checked = parse_content(content, skill)
    template = SessionTemplate(skill_id=skill.id, level=level, current_version=1, created_at=now)
    session.add(template)
    session.flush()
    session.add(_version_row(template.id, 1, checked, actor, now))
    session.flush()
    record_event(
        session,
        actor,
        "template.create",
        template.id,
        {"skill": skill.id, "level": level, "title": checked.title},
        at=now,
    )
    return template


def find_template(session: Session, template_id: int) -> SessionTemplate:
    template = session.get(SessionTemplate, template_id)
    if template is None:
        raise NotFound("No session template with that id.", code="unknown_template")
    return template


def versions_of(session: Session, template_id: int) -> list[TemplateVersion]:
    """Every version of a template, newest first."""
    return list(
        session.scalars(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version.desc())
        )
    )


def _version(session: Session, template_id: int, number: int) -> TemplateVersion:
    version = session.get(TemplateVersion, (template_id, number))
    if version is None:
        raise NotFound("No such version of this template.", code="unknown_version")
    return version


def update_template(
    session: Session,
    template_id: int,
    actor: str,
    *,
    content: Mapping[str, Any],
    now: datetime,
) -> TemplateVersion | None:
    """Write version n+1 from ``content`` and make it current (audited ``template.update``
    with the changed fields). Returns the new version, or None when nothing changed.
    A retired template cannot be edited (``retired_template``)."""
    template = find_template(session, template_id)
    if template.retired_at is not None:
        raise InvalidRequest("This template is retired.", code="retired_template")
    checked = parse_content(content, _skill(session, template.skill_id))
    current = _version(session, template.id, template.current_version)
    changed = [c.field for c in _diff(version_content(current), checked)]
    if not changed:
        return None
    number = template.current_version + 1
    version = _version_row(template.id, number, checked, actor, now)
    session.add(version)
    template.current_version = number
    session.flush()
    record_event(
        session,
        actor,
        "template.update",
        template.id,
        {"version": number, "changed": changed},
        at=now,
    )
    return version


def retire_template(session: Session, template_id: int, actor: str, *, now: datetime) -> None:
    """Retire a template: kept (sessions and programs name it), offered for nothing new."""
    template = find_template(session, template_id)
    if template.retired_at is None:
        template.retired_at = now
        record_event(session, actor, "template.retire", template.id, at=now)


def list_templates(
    session: Session, *, include_retired: bool = False
) -> list[tuple[SessionTemplate, TemplateVersion]]:
    """Templates with their current version, by skill, level and title."""
    statement = select(SessionTemplate, TemplateVersion).join(
        TemplateVersion,
        (TemplateVersion.template_id == SessionTemplate.id)
        & (TemplateVersion.version == SessionTemplate.current_version),
    )
    if not include_retired:
        statement = statement.where(SessionTemplate.retired_at.is_(None))
    statement = statement.order_by(
        SessionTemplate.skill_id, SessionTemplate.level, TemplateVersion.title, SessionTemplate.id
    )
    return [(t, v) for t, v in session.execute(statement)]


@dataclass(frozen=True, slots=True)
class TemplateFieldChange:
    """One field that differs between two versions (values as shown: text, or joined lists)."""

    field: str
    old: str
    new: str


def _shown(content: TemplateContent, name: str) -> str:
    value = content.as_dict()[name]
    if name == "pre_reading":
        return "\n".join(f"{r['title']} <{r['url']}>" for r in value)
    if name == "criteria":
        return ", ".join(value)
    return str(value)


def _diff(old: TemplateContent, new: TemplateContent) -> list[TemplateFieldChange]:
    changes = []
    for name in CONTENT_FIELDS:
        before, after = _shown(old, name), _shown(new, name)
        if before != after:
            changes.append(TemplateFieldChange(name, before, after))
    return changes


def version_diff(session: Session, template_id: int, number: int) -> list[TemplateFieldChange]:
    """What version ``number`` changed against the one before it (empty for version 1)."""
    version = _version(session, template_id, number)
    if number <= 1:
        return []
    previous = _version(session, template_id, number - 1)
    return _diff(version_content(previous), version_content(version))


# -- Sessions made from an older version -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutdatedSession:
    """An upcoming session made from an older version of a template."""

    session: MentoringSession
    #: the cohort's name, or None for a standalone event
    cohort_name: str | None


def outdated_sessions(
    session: Session, template_id: int, *, now: datetime
) -> list[OutdatedSession]:
    """Upcoming sessions (not started, not cancelled) made from a version of the template
    older than its current one, by date."""
    template = find_template(session, template_id)
    rows = session.execute(
        select(MentoringSession, Cohort.name)
        .outerjoin(Cohort, Cohort.id == MentoringSession.cohort_id)
        .where(
            MentoringSession.template_id == template.id,
            MentoringSession.template_version < template.current_version,
            MentoringSession.starts_at > now,
            MentoringSession.cancelled_at.is_(None),
        )
        .order_by(MentoringSession.starts_at, MentoringSession.id)
    )
    return [OutdatedSession(meeting, name) for meeting, name in rows]


def update_sessions_to_current(
    session: Session,
    template_id: int,
    actor: str,
    *,
    session_ids: Collection[int] | None,
    now: datetime,
) -> int:
    """Bring outdated upcoming sessions (all, or those in ``session_ids``) to the current
    version: copy title, outcome, minutes and format, set ``template_version``, and raise
    ``sequence`` and ``updated_at`` on each session whose calendar entry changed. Past and
    cancelled sessions are never touched. Returns how many sessions moved to the current
    version (audited ``template.sessions_update``)."""
    template = find_template(session, template_id)
    current = _version(session, template.id, template.current_version)
    moved = []
    for row in outdated_sessions(session, template.id, now=now):
        meeting = row.session
        if session_ids is not None and meeting.id not in session_ids:
            continue
        before = (meeting.title, meeting.learning_outcome, meeting.minutes, meeting.format)
        meeting.title = current.title
        meeting.learning_outcome = current.learning_outcome
        meeting.minutes = current.minutes
        meeting.format = current.format
        meeting.template_version = current.version
        after = (meeting.title, meeting.learning_outcome, meeting.minutes, meeting.format)
        if after != before:
            # A changed session is sent to calendars again (the description holds the outcome).
            meeting.sequence = (meeting.sequence or 0) + 1
            meeting.updated_at = now
        moved.append(meeting.id)
    if moved:
        record_event(
            session,
            actor,
            "template.sessions_update",
            template.id,
            {"version": current.version, "sessions": moved},
            at=now,
        )
    return len(moved)


# -- Programs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramItemDraft:
    template_id: int
    week: int
    weekday: int


@dataclass(frozen=True, slots=True)
class ProgramDraft:
    name: str
    description: str
    weeks: int
    job_family_id: str | None
    items: tuple[ProgramItemDraft, ...]


def _check_program(session: Session, draft: ProgramDraft) -> None:
    if not draft.name.strip():
        raise InvalidRequest("The name is required.", code="missing_field")
    if len(draft.name) > 200:
        raise InvalidRequest("The name is longer than 200 characters.", code="field_too_long")
    low, high = PROGRAM_WEEKS
    if isinstance(draft.weeks, bool) or not low <= draft.weeks <= high:
        raise InvalidRequest(f"A program runs {low} to {high} weeks.", code="bad_weeks")
    if draft.job_family_id and session.get(JobFamily, draft.job_family_id) is None:
        raise InvalidRequest(
            f"There is no job family {draft.job_family_id!r}.", code="unknown_job_family"
        )
    if not draft.items:
        raise InvalidRequest("A program needs at least one session.", code="empty_program")
    for number, item in enumerate(draft.items, start=1):
        template = session.get(SessionTemplate, item.template_id)
        if template is None:
            raise InvalidRequest(
                f"Session {number}: there is no template {item.template_id}.",
                code="unknown_template",
            )
        if template.retired_at is not None:
            raise InvalidRequest(
                f"Session {number}: template {item.template_id} is retired.",
                code="retired_template",
            )
        if not 1 <= item.week <= draft.weeks:
            raise InvalidRequest(
                f"Session {number}: the week must be from 1 to {draft.weeks}.", code="bad_week"
            )
        if not 0 <= item.weekday <= 6:
            raise InvalidRequest(
                f"Session {number}: the weekday must be from 0 (Monday) to 6 (Sunday).",
                code="bad_weekday",
            )


def _set_items(program: TemplateProgram, session: Session, draft: ProgramDraft) -> None:
    for old in session.scalars(select(ProgramItem).where(ProgramItem.program_id == program.id)):
        session.delete(old)
    session.flush()
    ordered = sorted(draft.items, key=lambda i: (i.week, i.weekday))  # stable: keeps ties
    for position, item in enumerate(ordered, start=1):
        session.add(
            ProgramItem(
                program_id=program.id,
                position=position,
                template_id=item.template_id,
                week=item.week,
                weekday=item.weekday,
            )
        )


def create_program(
    session: Session, actor: str, draft: ProgramDraft, *, now: datetime
) -> TemplateProgram:
    """A new template program (audited ``program.create``); items are kept in week and
    weekday order."""
    _check_program(session, draft)
    program = TemplateProgram(
        name=draft.name.strip(),
        description=draft.description.strip(),
        weeks=draft.weeks,
        job_family_id=draft.job_family_id or None,
        created_at=now,
    )
    session.add(program)
    session.flush()
    _set_items(program, session, draft)
    session.flush()
    record_event(
        session,
        actor,
        "program.create",
        program.id,
        {"name": program.name, "items": len(draft.items)},
        at=now,
    )
    return program


def find_program(session: Session, program_id: int) -> TemplateProgram:
    program = session.get(TemplateProgram, program_id)
    if program is None:
        raise NotFound("No template program with that id.", code="unknown_program")
    return program


def update_program(
    session: Session, program_id: int, actor: str, draft: ProgramDraft, *, now: datetime
) -> TemplateProgram:
    """Replace a program's name, description, weeks, job family and items (audited
    ``program.update``). Cohorts already made from it keep their sessions."""
    program = find_program(session, program_id)
    if program.retired_at is not None:
        raise InvalidRequest("This program is retired.", code="retired_program")
    _check_program(session, draft)
    program.name, program.description = draft.name.strip(), draft.description.strip()
    program.weeks, program.job_family_id = draft.weeks, draft.job_family_id or None
    _set_items(program, session, draft)
    session.flush()
    record_event(session, actor, "program.update", program.id, {"name": program.name}, at=now)
    return program


def retire_program(session: Session, program_id: int, actor: str, *, now: datetime) -> None:
    program = find_program(session, program_id)
    if program.retired_at is None:
        program.retired_at = now
        record_event(session, actor, "program.retire", program.id, at=now)


def list_programs(session: Session, *, include_retired: bool = False) -> list[TemplateProgram]:
    statement = select(TemplateProgram).order_by(TemplateProgram.name, TemplateProgram.id)
    if not include_retired:
        statement = statement.where(TemplateProgram.retired_at.is_(None))
    return list(session.scalars(statement))


def program_items(
    session: Session, program_id: int
) -> list[tuple[ProgramItem, SessionTemplate, TemplateVersion]]:
    """A program's items in order, each with its template and that template's current
    version."""
    rows = session.execute(
        select(ProgramItem, SessionTemplate, TemplateVersion)
        .join(SessionTemplate, SessionTemplate.id == ProgramItem.template_id)
        .join(
            TemplateVersion,
            (TemplateVersion.template_id == SessionTemplate.id)
            & (TemplateVersion.version == SessionTemplate.current_version),
        )
        .where(ProgramItem.program_id == program_id)
        .order_by(ProgramItem.position)
    )
    return list(rows)


# -- A cohort from a program -------------------------------------------------------------------


def session_date(starts_on: date, week: int, weekday: int) -> date:
    """The day of an item: the first ``weekday`` on or after the start of week ``week``,
    where week 1 starts on ``starts_on`` and each week 7 days later."""
    week_start = starts_on + timedelta(weeks=week - 1)
    return week_start + timedelta(days=(weekday - week_start.weekday()) % 7)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"{name!r} is not a time zone (use an IANA name such as Europe/Berlin).",
            code="bad_time_zone",
        ) from None


def cohort_from_program(
    session: Session,
    actor: User,
    *,
    program_id: int,
    name: str,
    starts_on: date,
    at: time,
    time_zone: str,
    now: datetime,
) -> Cohort:
    """Create a cohort from a program in one transaction (the caller's).

    The cohort runs from ``starts_on`` for the program's weeks (``ends_on`` = start + weeks)
    with ``program_id`` set; its target skills are the achievements for each template's skill
    at its level, where the catalog has one (not retired); it gets one session per item,
    copied from the template's current version, starting at ``at`` local time in
    ``time_zone`` on :func:`session_date` (so a session after a DST change keeps its local
    time). The sessions are led by the cohort's mentor when it has exactly one (a mentor
    creating it). Audited ``cohort.create`` and ``program.cohort_create``.
    """
    program = find_program(session, program_id)
    if program.retired_at is not None:
        raise InvalidRequest("This program is retired.", code="retired_program")
    zone = _zone(time_zone)
    if not now.date() - AHEAD <= starts_on <= now.date() + AHEAD:
        # Far dates overflow the week arithmetic or the move to UTC (a 500 before).
        raise InvalidRequest(
            "The start date must lie within two years of today.", code="bad_start_date"
        )
    items = program_items(session, program.id)
    if not items:
        raise InvalidRequest("This program has no sessions.", code="empty_program")
    cohort = create_cohort(
        session,
        actor,
        name=name,
        description=program.description or None,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=program.weeks),
        now=now,
    )
    cohort.program_id = program.id
    # A mentor creating the cohort is its one mentor: they lead its sessions (feedback, load
    # and recognition follow ``mentor_id``).
    mentor_id = default_mentor(cohort)
    targets: list[str] = []
    for item, template, version in items:
        achievement_id = session.scalar(
            select(AchievementDefinition.id).where(
                AchievementDefinition.skill_id == template.skill_id,
                AchievementDefinition.level == template.level,
                AchievementDefinition.retired_at.is_(None),
            )
        )
        if achievement_id is not None and achievement_id not in targets:
            targets.append(achievement_id)
        day = session_date(starts_on, item.week, item.weekday)
        local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
        cohort.sessions.append(
            MentoringSession(
                title=version.title,
                learning_outcome=version.learning_outcome,
                starts_at=local.astimezone(ZoneInfo("UTC")),
                minutes=version.minutes,
                format=version.format,
                skill_id=template.skill_id,
                level=template.level,
                template_id=template.id,
                template_version=version.version,
                time_zone=time_zone,
                mentor_id=mentor_id,
                updated_at=now,
            )
        )
    for achievement_id in targets:
        cohort.target_skills.append(CohortSkill(achievement_id=achievement_id))
    session.flush()
    record_event(
        session,
        actor.email,
        "program.cohort_create",
        program.id,
        {"cohort": cohort.id, "sessions": len(items)},
        at=now,
    )
    return cohort
