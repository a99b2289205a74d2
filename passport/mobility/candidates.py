"""A role's candidates, ranked: the consenting internal people (read from our own records) and
the external passports uploaded to it (verified each time, against the trust list).

An external passport counts only for what verifies: each credential must pass verification and
its issuer must be us or on the trust list (``PASSPORT_TRUST_LIST``); anything else leaves the
passport *unverified* — shown, marked, and ranked below every verified candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.catalog.achievements import achievement_id
from passport.catalog.models import Skill
from passport.errors import Conflict, InvalidRequest
from passport.jobs.messages import N_
from passport.mobility.models import ExternalCandidate, OpenRole
from passport.mobility.ranking import (
    Candidate,
    GapCloser,
    SkillFit,
    closers_for,
    gaps_of,
    internal_candidates,
    rank,
    requirements_of,
)
from passport.mobility.roles import find_managed_role, find_role, role_json
from passport.services import Services
from verifier import Report
from verifier.fit import FitReport, fit, parse_job_family

__all__ = [
    "CANDIDATES_CSV_COLUMNS",
    "EXTERNAL_MAX_BYTES",
    "RoleCandidates",
    "add_external",
    "candidates_csv",
    "candidates_json",
    "external_candidate",
    "rank_role",
    "role_requirements_document",
]

#: The largest passport file a hiring manager may upload (a baked image included). It stays
#: well under the app's request limit (``max_request_bytes``, 2 MB by default), so a file that
#: is too large gets the role page's own ``file_too_large`` answer rather than a bare 413.
EXTERNAL_MAX_BYTES = 1024 * 1024
TRUSTED_ISSUER_CODES = frozenset({"issuer_known", "issuer_trusted"})


@dataclass(frozen=True, slots=True)
class RoleCandidates:
    """A role, its candidates in rank order, and what would close each gap."""

    role: OpenRole
    candidates: tuple[Candidate, ...]
    closers: dict[tuple[str, int], list[GapCloser]]


def role_requirements_document(
    session: Session, role: OpenRole, *, public_url: str
) -> dict[str, Any]:
    """The role's requirements in the published job-family shape, so the verifier's own fit
    rule (:func:`verifier.fit.fit`) reads an external passport against them."""
    requirements = []
    for skill_id, level in requirements_of(role).items():
        skill = session.get(Skill, skill_id)
        requirements.append(
            {
                "skill": skill_id,
                "skillName": skill.name if skill is not None else skill_id,
                "minLevel": level,
                "achievement": f"{public_url}/achievements/{achievement_id(skill_id, level)}",
            }
        )
    return {
        "id": f"{public_url}/roles/{role.id}",
        "type": "JobFamily",
        "name": role.title,
        "requirements": requirements,
    }


def _issuer_trusted(report: Report) -> bool:
    return any(
        check.id == "issuer" and check.status == "passed" and check.code in TRUSTED_ISSUER_CODES
        for check in report.checks
    )


def external_candidate(
    services: Services, session: Session, role: OpenRole, external: ExternalCandidate
) -> Candidate:
    """``external`` against ``role``: verified with the trust list; badges count only when
    every credential verifies and comes from a trusted issuer."""
    from passport.verifying.verify import verify_input

    now = services.now()
    requirements = requirements_of(role)
    try:
        outcome = verify_input(services, external.content)
    except Exception as exc:  # noqa: BLE001 - any unreadable upload is "unverified", never a 500
        message = getattr(exc, "message", None) or N_("The passport could not be read.")
        return _unverified(external, requirements, (str(message),))
    reports = list(outcome.credentials)
    notes = []
    for report in reports:
        if not report.verified:
            first = report.first_failure
            notes.append(first.message if first else "A credential did not verify.")
        elif not _issuer_trusted(report):
            notes.append(
                N_("A credential's issuer is neither this organisation nor on the trust list.")
            )
    if not outcome.verified or not reports or notes:
        return _unverified(external, requirements, tuple(notes) or (N_("Nothing in it verified."),))
    document = role_requirements_document(session, role, public_url=services.settings.public_url)
    coverage: FitReport = fit(parse_job_family(document), reports, now=now)
    issued = {
        r.credential.id: r.credential.valid_from
        for r in reports
        if r.credential is not None and isinstance(getattr(r.credential, "id", None), str)
    }
    skills = []
    for row in coverage.rows:
        held = (row.level or 0) if row.status != "missing" else 0
        skills.append(
            SkillFit(
                row.requirement.skill,
                row.requirement.min_level,
                held,
                row.credential_id if held else None,
                issued.get(row.credential_id) if held and row.credential_id else None,
            )
        )
    return Candidate(
        key=f"external:{external.id}",
        name=external.label,
        email=None,
        skills=tuple(skills),
        external_id=external.id,
        external=True,
        notes=tuple(text for _, text in coverage.not_counted),
    )


def _unverified(
    external: ExternalCandidate, requirements: dict[str, int], notes: tuple[str, ...]
) -> Candidate:
    return Candidate(
        key=f"external:{external.id}",
        name=external.label,
        email=None,
        skills=tuple(SkillFit(skill, level, 0) for skill, level in requirements.items()),
        external_id=external.id,
        external=True,
        verified=False,
        notes=notes,
    )


def _role(session: Session, role_id: int, manager: User | None) -> OpenRole:
    if manager is None:
        return find_role(session, role_id)
    return find_managed_role(session, role_id, manager)


def rank_role(
    services: Services, session: Session, role_id: int, *, manager: User | None = None
) -> RoleCandidates:
    """Everyone who counts for the role, ranked now (nothing is cached). With ``manager``, only
    a role they manage (NotFound ``unknown_role`` otherwise)."""
    now: datetime = services.now()
    role = _role(session, role_id, manager)
    requirements = requirements_of(role)
    found = internal_candidates(session, role.job_family_id, requirements, now=now)
    externals = session.scalars(
        select(ExternalCandidate)
        .where(ExternalCandidate.role_id == role.id)
        .order_by(ExternalCandidate.id)
    )
    found.extend(external_candidate(services, session, role, e) for e in externals)
    ranked = rank(found)
    today = now.date()
    return RoleCandidates(role, tuple(ranked), closers_for(session, gaps_of(ranked), today=today))


def add_external(
    session: Session,
    role_id: int,
    *,
    label: str,
    filename: str | None,
    content: bytes,
    actor: str,
    now: datetime,
    manager: User | None = None,
) -> ExternalCandidate:
    """Attach another organisation's passport to an open role (checked when ranked). With
    ``manager``, only a role they manage (NotFound ``unknown_role``); Conflict ``role_closed``
    for a closed role; InvalidRequest ``missing_label``, ``invalid_label``, ``missing_file``,
    ``file_too_large``."""
    from passport.audit import record_event

    role = _role(session, role_id, manager)
    if role.status != "open":
        raise Conflict("This role is closed: it takes no new candidates.", code="role_closed")
    name = " ".join((label or "").split())
    if not name:
        raise InvalidRequest("Name the candidate (a name or a reference).", code="missing_label")
    if len(name) > 200:
        raise InvalidRequest("The name is too long: at most 200 characters.", code="invalid_label")
    if not content:
        raise InvalidRequest("Choose the passport file to upload.", code="missing_file")
    if len(content) > EXTERNAL_MAX_BYTES:
        raise InvalidRequest("The file is too large: at most 1 MB.", code="file_too_large")
    external = ExternalCandidate(
        role_id=role.id,
        label=name,
        filename=(filename or None) and str(filename)[:200],
        content=content,
        status="applied",
        added_by=actor,
        added_at=now,
    )
    session.add(external)
    session.flush()
    record_event(session, actor, "role.external_add", role.id, {"external": external.id}, at=now)
    return external


#: The columns of a role's ranked list as CSV (one row per candidate, in rank order).
CANDIDATES_CSV_COLUMNS = (
    "rank",
    "name",
    "email",
    "external",
    "verified",
    "met",
    "required",
    "shortfall",
    "newest_badge",
    "gaps",
    "badges",
)


def candidates_csv(result: RoleCandidates) -> str:
    """The ranked list as CSV (the same people, order and figures as the role's page and the
    API; gaps as ``skill held/required`` joined by ``; ``). Every cell is neutralised against
    formula injection."""
    import csv
    import io

    from passport.catalog.transfer import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CANDIDATES_CSV_COLUMNS)
    for rank_number, c in enumerate(result.candidates, start=1):
        fresh = c.freshest
        writer.writerow(
            safe_cell(value)
            for value in (
                rank_number,
                c.name,
                c.email or "",
                "yes" if c.external else "no",
                "yes" if c.verified else "no",
                c.met,
                c.required,
                c.shortfall,
                fresh.date().isoformat() if fresh is not None else "",
                "; ".join(f"{g.skill} {g.held}/{g.required}" for g in c.gaps),
                " ".join(c.badges),
            )
        )
    return out.getvalue()


def candidates_json(result: RoleCandidates) -> dict[str, Any]:
    """``GET /api/v1/roles/<id>/candidates``: the role and its candidates in rank order."""
    return {
        "role": role_json(result.role),
        "candidates": [
            {
                "holder": {"name": c.name, "email": c.email},
                "met": c.met,
                "required": c.required,
                "shortfall": c.shortfall,
                "gaps": [
                    {"skill": g.skill, "required": g.required, "held": g.held} for g in c.gaps
                ],
                "badges": list(c.badges),
                "external": c.external,
                "verified": c.verified,
            }
            for c in result.candidates
        ],
    }
