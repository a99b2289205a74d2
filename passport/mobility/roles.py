"""Open roles: opened by a hiring manager (or an admin, or a token with ``roles:write``) in a
job family, with the family's required levels adjusted per role, and closed when filled.

Who manages a role (:func:`can_manage`): the hiring manager who opened it and every admin.
The hiring pages find a role through :func:`find_managed_role`, which answers anyone else as if
the role did not exist (NotFound ``unknown_role``), so role ids cannot be probed. A role opened
through the API (no account behind it: ``created_by_id`` is NULL) is managed by admins only;
the API itself, with its token scopes, stays organisation-wide.

Levels: a role starts from its job family's requirements; ``levels`` given with it set a
skill's level (1 up to the top level of the catalog), add a skill the family does not ask
for, or — with 0 — drop one. A level below 0 or above the top level is refused, as is a role
that would require nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from passport.accounts.models import User
from passport.audit import record_event
from passport.catalog.achievements import LEVELS
from passport.catalog.models import JobFamily, Skill
from passport.errors import Conflict, InvalidRequest, NotFound
from passport.mobility.models import OpenRole, RoleLevel

__all__ = [
    "MAX_OPENINGS",
    "RoleDraft",
    "can_manage",
    "close_role",
    "find_managed_role",
    "find_role",
    "list_roles",
    "open_role",
    "role_json",
    "top_level",
    "whole_number",
]

#: More openings than this in one role is a typing error, not a role.
MAX_OPENINGS = 1000
TITLE_MAX = 200
TEXT_MAX = 200


def top_level() -> int:
    """The highest level of the catalog's scale."""
    return max(int(level["level"]) for level in LEVELS)


@dataclass(frozen=True, slots=True)
class RoleDraft:
    """What a role is opened with (as typed: it is checked by :func:`open_role`)."""

    title: str
    job_family: str
    openings: object = 1
    levels: Mapping[str, object] = field(default_factory=dict)
    team: str | None = None
    location: str | None = None


def _text(value: object, name: str, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidRequest(f"Give the role a {name}.", code=f"missing_{name}")
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The {name} must be text.", code=f"invalid_{name}")
    text = " ".join(value.split())
    if len(text) > limit:
        raise InvalidRequest(
            f"The {name} is too long: at most {limit} characters.", code=f"invalid_{name}"
        )
    return text


#: A whole number as typed: ASCII digits only (``str.isdigit`` also accepts "²", which ``int``
#: refuses).
_WHOLE = re.compile(r"-?[0-9]{1,9}")


def whole_number(value: object) -> object:
    """``value`` as an int when it is text holding a whole number, else unchanged."""
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _openings(value: object) -> int:
    value = whole_number(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_OPENINGS:
        raise InvalidRequest(
            f"The number of openings must be a whole number from 1 to {MAX_OPENINGS}.",
            code="invalid_openings",
        )
    return value


def _level(skill: str, value: object) -> int:
    top = top_level()
    value = whole_number(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise InvalidRequest(
            f"The level for {skill!r} must be a whole number from 0 (not required) to {top}.",
            code="invalid_level",
        )
    return value


def _levels(session: Session, family: JobFamily, adjusted: Mapping[str, object]) -> dict[str, int]:
    if not isinstance(adjusted, Mapping):
        raise InvalidRequest(
            "The levels must be an object of skill ids and levels.", code="invalid_levels"
        )
    levels = {req.skill_id: req.min_level for req in family.requirements}
    for skill_id, value in adjusted.items():
        if not isinstance(skill_id, str):
            raise InvalidRequest("A skill id must be text.", code="unknown_skill")
        skill = session.get(Skill, skill_id)
        if skill is None or (skill.retired_at is not None and skill_id not in levels):
            raise InvalidRequest(f"No skill with the id {skill_id!r}.", code="unknown_skill")
        level = _level(skill_id, value)
        if level == 0:
            levels.pop(skill_id, None)
        else:
            levels[skill_id] = level
    if not levels:
        raise InvalidRequest(
            "A role must require at least one skill at level 1 or above.", code="no_requirements"
        )
    return levels


def open_role(
    session: Session,
    draft: RoleDraft,
    *,
    actor: str,
    user_id: int | None,
    now: datetime,
) -> OpenRole:
    """Check ``draft`` and store the role (open). The caller commits."""
    title = _text(draft.title, "title", TITLE_MAX, required=True)
    if not isinstance(draft.job_family, str) or not draft.job_family:
        raise InvalidRequest("Choose the role's job family.", code="missing_job_family")
    family = session.get(JobFamily, draft.job_family)
    if family is None or family.retired_at is not None:
        raise InvalidRequest(
            f"No job family with the id {draft.job_family!r}.", code="unknown_job_family"
        )
    levels = _levels(session, family, draft.levels)
    role = OpenRole(
        title=title,
        job_family_id=family.id,
        team=_text(draft.team, "team", TEXT_MAX, required=False),
        location=_text(draft.location, "location", TEXT_MAX, required=False),
        openings=_openings(draft.openings),
        status="open",
        created_by_id=user_id,
        created_by=actor,
        created_at=now,
        levels=[RoleLevel(skill_id=s, min_level=lvl) for s, lvl in levels.items()],
    )
    session.add(role)
    session.flush()
    record_event(
        session,
        actor,
        "role.open",
        role.id,
        {"title": role.title, "jobFamily": family.id, "openings": role.openings, "levels": levels},
        at=now,
    )
    return role


def find_role(session: Session, role_id: int) -> OpenRole:
    """The role with ``role_id`` (its levels loaded); NotFound ``unknown_role``."""
    role = session.scalar(
        select(OpenRole).where(OpenRole.id == role_id).options(selectinload(OpenRole.levels))
    )
    if role is None:
        raise NotFound("No role with that id.", code="unknown_role")
    return role


def can_manage(role: OpenRole, user: User) -> bool:
    """Whether ``user`` manages ``role``: an admin always; a hiring manager only the roles they
    opened themselves (never one opened through the API, which has no ``created_by_id``)."""
    if user.role == "admin":
        return True
    return (
        user.role == "hiring_manager"
        and role.created_by_id is not None
        and role.created_by_id == user.id
    )


def find_managed_role(session: Session, role_id: int, user: User) -> OpenRole:
    """The role ``role_id`` when ``user`` manages it; NotFound ``unknown_role`` otherwise —
    the same answer as for a role that does not exist, so ids cannot be probed."""
    role = find_role(session, role_id)
    if not can_manage(role, user):
        raise NotFound("No role with that id.", code="unknown_role")
    return role


def _role_for(session: Session, role_id: int, manager: User | None) -> OpenRole:
    """The role, checked against ``manager`` when one is given (the API passes none)."""
    if manager is None:
        return find_role(session, role_id)
    return find_managed_role(session, role_id, manager)


def close_role(
    session: Session,
    role_id: int,
    *,
    actor: str,
    now: datetime,
    manager: User | None = None,
) -> OpenRole:
    """Close an open role (closing a closed one again is refused: ``role_closed``). With
    ``manager``, only a role they manage (NotFound ``unknown_role`` otherwise)."""
    role = _role_for(session, role_id, manager)
    if role.status == "closed":
        raise Conflict("The role is already closed.", code="role_closed")
    role.status = "closed"
    role.closed_at = now
    record_event(session, actor, "role.close", role.id, None, at=now)
    return role


def list_roles(
    session: Session,
    *,
    status: str | None = None,
    job_family: str | None = None,
    managed_by: User | None = None,
) -> list[OpenRole]:
    """Roles, open ones first, newest first; ``status`` ``open``/``closed`` narrows them, and
    ``managed_by`` to the roles that user manages (an admin: all; a hiring manager: their own)."""
    query = select(OpenRole).options(selectinload(OpenRole.levels))
    if managed_by is not None and managed_by.role != "admin":
        if managed_by.role != "hiring_manager":
            return []
        query = query.where(OpenRole.created_by_id == managed_by.id)
    if status is not None:
        query = query.where(OpenRole.status == status)
    if job_family is not None:
        query = query.where(OpenRole.job_family_id == job_family)
    return list(
        session.scalars(
            query.order_by(
                (OpenRole.status == "closed"), OpenRole.created_at.desc(), OpenRole.id.desc()
            )
        )
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def role_json(role: OpenRole) -> dict[str, Any]:
    """The API's form of a role."""
    return {
        "id": role.id,
        "title": role.title,
        "jobFamily": role.job_family_id,
        "team": role.team,
        "location": role.location,
        "openings": role.openings,
        "status": role.status,
        "levels": {
            level.skill_id: level.min_level
            for level in sorted(role.levels, key=lambda x: x.skill_id)
        },
        "createdAt": _iso(role.created_at),
        "closedAt": _iso(role.closed_at),
    }
