"""Moving the catalog in and out: the starter catalog, JSON import/export of the whole
catalog, and the job-family CSV (cells neutralised against formula injection).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.audit import AuditEvent, record_event
from passport.catalog.achievements import (
    CATALOG_FILE,
    LEVELS,
    ONET_SUMMARY,
    default_texts_of,
    level_info,
    rebuild_achievements,
)
from passport.catalog.models import JobFamily, JobFamilySkill, Skill
from passport.credentials.issuers import issuer_profile, own_issuer
from passport.credentials.models import Issuer
from passport.errors import InvalidRequest
from passport.services import Services

__all__ = [
    "CSV_COLUMNS",
    "catalog_template",
    "export_catalog",
    "export_job_families_csv",
    "import_catalog",
    "import_catalog_file",
    "import_job_families_csv",
    "job_families_csv_template",
    "load_default_catalog",
    "safe_cell",
]

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
CSV_COLUMNS = ("job_family", "name", "framework", "code", "occupation", "skill", "min_level")


def _apply_catalog(session: Session, catalog: dict[str, Any], *, actor: str) -> None:
    """Upsert skills and job families (with their requirements) from a catalog document."""
    known_skills = {s["id"] for s in catalog.get("skills", [])} | set(
        session.scalars(select(Skill.id))
    )
    for entry in catalog.get("skills", []):
        _check_entry(entry, "skill")
        criteria = entry.get("criteria", [])
        if not isinstance(criteria, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("name"), str)
            for c in criteria
        ):
            raise InvalidRequest(
                f"Skill '{entry['id']}': criteria must be a list of {{id, name}} objects.",
                code="bad_catalog",
            )
        for criterion in criteria:
            levels = criterion.get("levels", {})
            if not isinstance(levels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in levels.items()
            ):
                raise InvalidRequest(
                    f"Skill '{entry['id']}': a criterion's levels must map level numbers "
                    '("1", "2" …) to rubric descriptions.',
                    code="bad_catalog",
                )
        skill = session.get(Skill, entry["id"]) or Skill(id=entry["id"])
        skill.name = entry["name"]
        skill.description = entry["description"]
        skill.alignments = json.dumps(entry.get("alignments", []), ensure_ascii=False)
        skill.tags = json.dumps(entry.get("tags", []), ensure_ascii=False)
        skill.criteria = json.dumps(entry.get("criteria", []), ensure_ascii=False)
        skill.valid_for_days = int(entry.get("valid_for_days", 730))
        session.add(skill)
    session.flush()
    for entry in catalog.get("job_families", []):
        _check_entry(entry, "job family")
        required = [r.get("skill") for r in entry.get("requirements", []) if isinstance(r, dict)]
        if len(required) != len(set(required)):
            raise InvalidRequest(
                f"Job family '{entry['id']}' lists the same skill twice.", code="bad_catalog"
            )
        family = session.get(JobFamily, entry["id"]) or JobFamily(id=entry["id"])
        for attr in (
            "name",
            "description",
            "framework",
            "code",
            "occupation",
            "url",
            "productive_definition",
        ):
            setattr(family, attr, entry.get(attr))
        family.requirements.clear()
        session.add(family)
        session.flush()
        for req in entry.get("requirements", []):
            if req["skill"] not in known_skills:
                raise InvalidRequest(
                    f"Job family '{entry['id']}' requires unknown skill '{req['skill']}'.",
                    code="unknown_skill",
                )
            level = int(req["min_level"])
            level_info(level)
            family.requirements.append(
                JobFamilySkill(job_family_id=family.id, skill_id=req["skill"], min_level=level)
            )
        session.add(AuditEvent(actor=actor, action="job_family.update", subject=family.id))


def _check_entry(entry: object, what: str) -> None:
    if not isinstance(entry, dict):
        raise InvalidRequest(f"Each {what} must be a JSON object.", code="bad_catalog")
    for name in ("id", "name"):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequest(
                f"A {what} is missing its {name} (or it is not text).", code="bad_catalog"
            )
    if not _ID.fullmatch(entry["id"]):
        raise InvalidRequest(
            f"The {what} id {entry['id']!r} may use only a-z, 0-9 and '-'.", code="bad_catalog"
        )


def load_default_catalog(
    session: Session, issuer: Issuer, *, public_url: str, issuer_profile: dict[str, Any]
) -> int:
    """Load the shipped IT catalog where the database has none; return achievements added."""
    if session.scalar(select(Skill.id).limit(1)) is None:
        _apply_catalog(session, json.loads(CATALOG_FILE.read_text("utf-8")), actor="system")
    return rebuild_achievements(
        session, issuer, public_url=public_url, issuer_profile=issuer_profile
    )


def import_catalog(
    session: Session,
    issuer: Issuer,
    document: Any,
    *,
    public_url: str,
    issuer_profile: dict[str, Any],
    actor: str,
) -> int:
    """Import a catalog JSON document (the export format); return achievements changed."""
    if not isinstance(document, dict) or not isinstance(document.get("job_families", []), list):
        raise InvalidRequest("A catalog is a JSON object with 'skills' and 'job_families'.")
    # The skills' default achievement words before the import, so achievements whose words
    # an administrator never changed follow a renamed skill.
    previous = default_texts_of(session)
    try:
        _apply_catalog(session, document, actor=actor)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"The catalog is missing or has a wrong value: {exc}", code="bad_catalog"
        ) from exc
    imported = {e["id"] for e in document.get("skills", []) if isinstance(e, dict)}
    return rebuild_achievements(
        session,
        issuer,
        public_url=public_url,
        issuer_profile=issuer_profile,
        create_for=imported,
        previous=previous,
    )


def export_catalog(session: Session) -> dict[str, Any]:
    """The whole catalog as a JSON document (importable again)."""
    skills = [
        {
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "criteria": json.loads(s.criteria),
            "alignments": json.loads(s.alignments),
            "tags": json.loads(s.tags),
            "valid_for_days": s.valid_for_days,
        }
        for s in session.scalars(select(Skill).order_by(Skill.id))
    ]
    families = [
        {
            "id": f.id,
            "name": f.name,
            "description": f.description,
            "framework": f.framework,
            "code": f.code,
            "occupation": f.occupation,
            "url": f.url,
            "productive_definition": f.productive_definition,
            "requirements": [
                {"skill": r.skill_id, "min_level": r.min_level} for r in f.requirements
            ],
        }
        for f in session.scalars(select(JobFamily).order_by(JobFamily.id))
    ]
    return {"levels": list(LEVELS), "skills": skills, "job_families": families}


def catalog_template() -> dict[str, Any]:
    """A small catalog to start from: one skill with a rubric described at every level, and
    one job family requiring it — the import format, filled in with an example."""
    return {
        "_about": (
            "Example catalog: edit it and import it under Admin > Job families > Import. Ids use "
            "a-z, 0-9 and '-'. Each rubric criterion describes every level; job families "
            "require existing skills at a minimum level."
        ),
        "levels": list(LEVELS),
        "skills": [
            {
                "id": "customer-support",
                "name": "Customer support",
                "description": "Answers customers' questions and solves their problems.",
                "criteria": [
                    {
                        "id": "diagnose",
                        "name": "Find the cause of a customer's problem",
                        "levels": {
                            "1": "Follows the troubleshooting guide with help.",
                            "2": "Finds the cause of common problems alone.",
                            "3": "Finds the cause of unusual problems and improves the guide.",
                            "4": "Designs the troubleshooting process for the whole team.",
                        },
                    },
                    {
                        "id": "communicate",
                        "name": "Explain the solution clearly",
                        "levels": {
                            "1": "Uses the prepared answers correctly.",
                            "2": "Writes clear answers of their own.",
                            "3": "Handles upset customers and difficult news calmly.",
                            "4": "Coaches others and sets the team's writing style.",
                        },
                    },
                ],
                "alignments": [],
                "tags": ["support"],
                "valid_for_days": 730,
            }
        ],
        "job_families": [
            {
                "id": "support-agent",
                "name": "Support agent",
                "description": "First line of customer support.",
                "framework": "O*NET-SOC 2019",
                "code": "43-4051.00",
                "occupation": "Customer Service Representatives",
                "url": ONET_SUMMARY + "43-4051.00",
                "requirements": [{"skill": "customer-support", "min_level": 2}],
            }
        ],
    }


def job_families_csv_template() -> str:
    """The job-family CSV with its header and one example row per required skill."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(
        [
            "support-agent",
            "Support agent",
            "O*NET-SOC 2019",
            "43-4051.00",
            "Customer Service Representatives",
            "customer-support",
            2,
        ]
    )
    return out.getvalue()


def safe_cell(value: object) -> str:
    """Neutralise spreadsheet formula injection (OWASP "CSV injection") in an exported cell.

    A cell whose first non-blank character could start a formula gets a leading apostrophe.
    """
    text = "" if value is None else str(value)
    first = text.lstrip(" \t\r\n")[:1]
    return "'" + text if first in ("=", "+", "-", "@") or text[:1] in ("\t", "\r") else text


def export_job_families_csv(session: Session) -> str:
    """Job families as CSV: one row per requirement."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for family in session.scalars(select(JobFamily).order_by(JobFamily.id)):
        for req in family.requirements:
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        family.id,
                        family.name,
                        family.framework,
                        family.code,
                        family.occupation,
                        req.skill_id,
                        req.min_level,
                    )
                ]
            )
    return out.getvalue()


def import_job_families_csv(
    session: Session,
    issuer: Issuer,
    text: str,
    *,
    public_url: str,
    issuer_profile: dict[str, Any],
    actor: str,
) -> int:
    """Import job families from CSV (the export format). Errors name the row."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(CSV_COLUMNS) - set(rows[0]):
        raise InvalidRequest(
            f"The CSV needs the columns: {', '.join(CSV_COLUMNS)}.", code="bad_columns"
        )
    families: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows, start=2):
        try:
            level = int(row["min_level"])
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(
                f"Row {number}: min_level must be a number from 1 to {len(LEVELS)}.",
                code="bad_row",
            ) from exc
        family = families.setdefault(
            row["job_family"],
            {
                "id": row["job_family"],
                "name": row["name"],
                "framework": row["framework"],
                "code": row["code"],
                "occupation": row["occupation"],
                "url": ONET_SUMMARY + row["code"] if row["code"] else None,
                "requirements": [],
            },
        )
        family["requirements"].append({"skill": row["skill"], "min_level": level})
    return import_catalog(
        session,
        issuer,
        {"job_families": list(families.values())},
        public_url=public_url,
        issuer_profile=issuer_profile,
        actor=actor,
    )


def import_catalog_file(
    session: Session,
    services: Services,
    filename: str,
    data: bytes,
    *,
    actor: str,
    now: datetime,
) -> int:
    """Import an uploaded catalog file: job-family CSV (``*.csv``) or catalog JSON (anything
    else). Returns how many achievement definitions changed; leaves one audit event.

    Raises :class:`InvalidRequest` for text that is not UTF-8, JSON that does not parse, a
    catalog that does not fit, or one the database refuses (a job family listing a skill twice,
    a family or skill without a name).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The file is not UTF-8 text.", code="bad_encoding") from None
    issuer = own_issuer(session, services)
    options: dict[str, Any] = {
        "public_url": services.settings.public_url,
        "issuer_profile": issuer_profile(issuer, public_url=services.settings.public_url),
        "actor": actor,
    }
    try:
        if filename.lower().endswith(".csv"):
            changed = import_job_families_csv(session, issuer, text, **options)
        else:
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidRequest(
                    f"The file is not valid JSON (line {exc.lineno}): {exc.msg}.",
                    code="bad_json",
                ) from None
            changed = import_catalog(session, issuer, document, **options)
        session.flush()
    except IntegrityError as exc:
        # _apply_catalog leaves these to the database's constraints.
        raise InvalidRequest(
            "The file could not be imported: a job family lists the same skill twice, or a "
            "job family or skill has no name.",
            code="bad_catalog",
        ) from exc
    record_event(
        session, actor, "catalog.import", filename, {"achievements_changed": changed}, at=now
    )
    return changed
