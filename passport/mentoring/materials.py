"""Standard materials as JSON: the API's shape of templates and programs, and moving them in
and out (``passport templates import|export``, the starter content ``passport demo`` loads).

The rules of templates and programs themselves live in :mod:`passport.mentoring.templates`;
this module reads and writes their JSON, and every import goes through those use cases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.catalog.models import JobFamily, Skill
from passport.errors import InvalidRequest
from passport.mentoring.models import (
    SessionTemplate,
    TemplateProgram,
    TemplateVersion,
)
from passport.mentoring.templates import (
    _LIMITS,
    PROGRAM_WEEKS,
    STARTER_FILE,
    ProgramDraft,
    ProgramItemDraft,
    TemplateContent,
    _https_url,
    create_program,
    create_template,
    list_programs,
    list_templates,
    parse_content,
    program_items,
    update_program,
    update_template,
    version_content,
)

__all__ = [
    "TemplateImportError",
    "TemplateImportSummary",
    "export_materials",
    "import_materials",
    "load_starter_materials",
    "program_json",
    "template_json",
]


# -- JSON: API shape, import and export --------------------------------------------------------


def _version_json(version: TemplateVersion) -> dict[str, Any]:
    content = version_content(version)
    return {
        "version": version.version,
        "title": content.title,
        "learningOutcome": content.learning_outcome,
        "agenda": content.agenda,
        "handsOnTask": content.hands_on_task,
        "preReading": [{"title": r.title, "url": r.url} for r in content.pre_reading],
        "criteria": list(content.criteria),
        "format": content.format,
        "minutes": content.minutes,
        "createdAt": version.created_at.isoformat(),
    }


def template_json(
    template: SessionTemplate,
    current: TemplateVersion,
    versions: Iterable[TemplateVersion] | None = None,
) -> dict[str, Any]:
    """A template as the API shows it (with every version when ``versions`` is given)."""
    body: dict[str, Any] = {
        "id": template.id,
        "skill": template.skill_id,
        "level": template.level,
        "currentVersion": template.current_version,
        "retired": template.retired_at is not None,
        "current": _version_json(current),
    }
    if versions is not None:
        body["versions"] = [_version_json(v) for v in versions]
    return body


def program_json(session: Session, program: TemplateProgram) -> dict[str, Any]:
    return {
        "id": program.id,
        "name": program.name,
        "description": program.description,
        "weeks": program.weeks,
        "jobFamily": program.job_family_id,
        "retired": program.retired_at is not None,
        "items": [
            {
                "template": template.id,
                "title": version.title,
                "week": item.week,
                "weekday": item.weekday,
            }
            for item, template, version in program_items(session, program.id)
        ],
    }


def export_materials(session: Session) -> dict[str, Any]:
    """Every live template (current version) and program as an importable document."""
    templates = []
    for template, version in list_templates(session):
        content = version_content(version)
        templates.append(
            {
                "key": f"t{template.id}",
                "skill": template.skill_id,
                "level": template.level,
                "title": content.title,
                "learningOutcome": content.learning_outcome,
                "agenda": content.agenda,
                "handsOnTask": content.hands_on_task,
                "preReading": [{"title": r.title, "url": r.url} for r in content.pre_reading],
                "criteria": list(content.criteria),
                "format": content.format,
                "minutes": content.minutes,
            }
        )
    programs = []
    for program in list_programs(session):
        programs.append(
            {
                "name": program.name,
                "description": program.description,
                "weeks": program.weeks,
                "jobFamily": program.job_family_id,
                "items": [
                    {"template": f"t{template.id}", "week": item.week, "weekday": item.weekday}
                    for item, template, _version in program_items(session, program.id)
                ],
            }
        )
    return {"templates": templates, "programs": programs}


class TemplateImportError(InvalidRequest):
    """A materials file with problems; ``problems`` lists each as ``where: what``."""

    code = "bad_templates_file"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
        super().__init__(f"The file has {len(problems)} problem(s): {shown}")


@dataclass(frozen=True, slots=True)
class TemplateImportSummary:
    templates_created: int
    templates_updated: int
    programs_created: int
    programs_updated: int


_JSON_KEYS = {
    "title": "title",
    "learningOutcome": "learning_outcome",
    "agenda": "agenda",
    "handsOnTask": "hands_on_task",
    "preReading": "pre_reading",
    "criteria": "criteria",
    "format": "format",
    "minutes": "minutes",
}


def import_materials(
    session: Session, document: Any, actor: str, *, now: datetime
) -> TemplateImportSummary:
    """Import templates and programs (the :func:`export_materials` format), all or nothing.

    Every problem is found first and reported with its place
    (``templates[2].preReading[0].url: …``) in one :class:`TemplateImportError`. A template
    matching a live one by skill, level and current title writes a new version when its
    content differs; a program matching a live one by name is replaced. ``key`` names a
    template inside the file so programs can refer to it.
    """
    problems: list[str] = []
    if not isinstance(document, dict):
        raise TemplateImportError(
            ["(top): the file is a JSON object with 'templates' and 'programs'"]
        )
    raw_templates = document.get("templates", [])
    raw_programs = document.get("programs", [])
    if not isinstance(raw_templates, list):
        problems.append("templates: must be a list")
        raw_templates = []
    if not isinstance(raw_programs, list):
        problems.append("programs: must be a list")
        raw_programs = []
    checked: list[tuple[str, Skill, int, TemplateContent]] = []
    keys: set[str] = set()
    for index, entry in enumerate(raw_templates):
        where = f"templates[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object")
            continue
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            problems.append(f"{where}.key: a template needs a key (text) programs refer to")
            continue
        if key in keys:
            problems.append(f"{where}.key: {key!r} is used twice")
            continue
        keys.add(key)
        skill_id = entry.get("skill")
        skill = session.get(Skill, skill_id) if isinstance(skill_id, str) else None
        if skill is None:
            problems.append(f"{where}.skill: there is no skill {skill_id!r}")
            continue
        level = entry.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 4:
            problems.append(f"{where}.level: a number from 1 to 4")
            continue
        unknown = sorted(set(entry) - set(_JSON_KEYS) - {"key", "skill", "level"})
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
            continue
        content_raw = {_JSON_KEYS[k]: v for k, v in entry.items() if k in _JSON_KEYS}
        try:
            content = parse_content(content_raw, skill)
        except InvalidRequest as exc:
            field = _field_of(exc.code, entry)
            problems.append(f"{where}{field}: {exc.message}")
            continue
        checked.append((key, skill, level, content))
    programs: list[tuple[dict[str, Any], list[tuple[str, Any, Any]]]] = []
    for index, entry in enumerate(raw_programs):
        where = f"programs[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object")
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(f"{where}.name: text of 1 to 200 characters")
        weeks = entry.get("weeks")
        low, high = PROGRAM_WEEKS
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not low <= weeks <= high:
            problems.append(f"{where}.weeks: a number from {low} to {high}")
            weeks = high
        family = entry.get("jobFamily")
        if family is not None and (
            not isinstance(family, str) or session.get(JobFamily, family) is None
        ):
            problems.append(f"{where}.jobFamily: there is no job family {family!r}")
        items = entry.get("items")
        if not isinstance(items, list) or not items:
            problems.append(f"{where}.items: a non-empty list")
            continue
        refs: list[tuple[str, Any, Any]] = []
        for number, item in enumerate(items):
            at = f"{where}.items[{number}]"
            if not isinstance(item, dict):
                problems.append(f"{at}: must be an object")
                continue
            ref, week, weekday = item.get("template"), item.get("week"), item.get("weekday", 1)
            if ref not in keys:
                problems.append(f"{at}.template: no template with key {ref!r} in this file")
            if isinstance(week, bool) or not isinstance(week, int) or not 1 <= week <= weeks:
                problems.append(f"{at}.week: a number from 1 to {weeks}")
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                problems.append(f"{at}.weekday: a number from 0 (Monday) to 6 (Sunday)")
            refs.append((str(ref), week, weekday))
        programs.append((entry, refs))
    if problems:
        raise TemplateImportError(problems)

    created = updated = 0
    ids: dict[str, int] = {}
    live = {(t.skill_id, t.level, v.title): t.id for t, v in list_templates(session)}
    for key, skill, level, content in checked:
        existing = live.get((skill.id, level, content.title))
        if existing is None:
            template = create_template(
                session, actor, skill_id=skill.id, level=level, content=content.as_dict(), now=now
            )
            ids[key] = template.id
            created += 1
        else:
            ids[key] = existing
            if update_template(session, existing, actor, content=content.as_dict(), now=now):
                updated += 1
    programs_created = programs_updated = 0
    by_name = {p.name: p.id for p in list_programs(session)}
    for entry, refs in programs:
        draft = ProgramDraft(
            name=entry["name"].strip(),
            description=str(entry.get("description") or ""),
            weeks=entry["weeks"],
            job_family_id=entry.get("jobFamily"),
            items=tuple(ProgramItemDraft(ids[ref], week, day) for ref, week, day in refs),
        )
        if draft.name in by_name:
            update_program(session, by_name[draft.name], actor, draft, now=now)
            programs_updated += 1
        else:
            create_program(session, actor, draft, now=now)
            programs_created += 1
    return TemplateImportSummary(created, updated, programs_created, programs_updated)


def _field_of(code: str, entry: Mapping[str, Any]) -> str:
    """The JSON field a :func:`parse_content` error code points at (with the link's index)."""
    if code == "bad_pre_reading_url":
        links = entry.get("preReading") or []
        for number, link in enumerate(links):
            try:
                _https_url(link.get("url") if isinstance(link, Mapping) else None)
            except InvalidRequest:
                return f".preReading[{number}].url"
        return ".preReading"
    fields = {
        "too_many_links": ".preReading",
        "bad_pre_reading": ".preReading",
        "unknown_criterion": ".criteria",
        "bad_format": ".format",
        "bad_minutes": ".minutes",
    }
    if code in fields:
        return fields[code]
    for json_name in ("title", "learningOutcome", "agenda", "handsOnTask"):
        value = entry.get(json_name)
        if code == "missing_field" and json_name in ("title", "learningOutcome") and not value:
            return f".{json_name}"
        too_long = isinstance(value, str) and len(value.strip()) > _LIMITS[_JSON_KEYS[json_name]]
        if code == "field_too_long" and too_long:
            return f".{json_name}"
    return ""


def load_starter_materials(session: Session, *, now: datetime) -> TemplateImportSummary | None:
    """Import the shipped starter templates and program where there are no templates yet
    (``passport demo``); None when some exist."""
    if session.scalar(select(SessionTemplate.id).limit(1)) is not None:
        return None
    document = json.loads(STARTER_FILE.read_text("utf-8"))
    return import_materials(session, document, "system", now=now)
