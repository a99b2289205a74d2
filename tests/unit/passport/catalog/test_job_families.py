"""Editing a job family's required skills: levels, removals, one addition; definitions rebuilt,
one audit event, and the edits that are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from passport.audit import AuditEvent
from passport.catalog.job_families import JobFamilyEdit, find_job_family, update_job_family
from passport.catalog.models import AchievementDefinition
from passport.errors import InvalidRequest, NotFound
from passport.services import Services

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _requirements(services: Services, family_id: str) -> dict[str, int]:
    with services.session() as db:
        return {r.skill_id: r.min_level for r in find_job_family(db, family_id).requirements}


def test_an_edit_changes_levels_removes_and_adds_and_is_audited(services: Services) -> None:
    before = _requirements(services, "sre")
    kept, dropped = sorted(before)[:2]
    edit = JobFamilyEdit(
        levels={kept: 4 if before[kept] != 4 else 3},
        remove=frozenset({dropped}),
        add=("networking", 2) if "networking" not in before else None,
    )
    with services.session() as db:
        rebuilt = update_job_family(db, services, "sre", edit, actor="admin@x", now=NOW)
    assert rebuilt is not None and rebuilt > 0
    after = _requirements(services, "sre")
    assert dropped not in after and after[kept] == edit.levels[kept]
    with services.session() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.actor == "admin@x").order_by(AuditEvent.id)
        ).one()
        assert event.action == "job_family.update"
        detail = json.loads(event.detail or "{}")
        assert detail["removed"] == [dropped] and event.actor == "admin@x"
        # The published definitions follow: the dropped skill counts towards the family no more.
        family = find_job_family(db, "sre").name
        for level in (1, 2, 3, 4):
            definition = db.get(AchievementDefinition, f"{dropped}-l{level}")
            assert definition is not None
            names = [a.get("targetName") for a in definition.document().get("alignment", [])]
            assert family not in names


def test_an_edit_that_changes_nothing_returns_none(services: Services) -> None:
    with services.session() as db:
        events = db.scalar(select(func.count()).select_from(AuditEvent))
        assert update_job_family(db, services, "sre", JobFamilyEdit(), actor="a", now=NOW) is None
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize(
    ("make_edit", "code"),
    [
        (lambda reqs: JobFamilyEdit(add=("no-such-skill", 2)), "unknown_skill"),
        (lambda reqs: JobFamilyEdit(add=(next(iter(reqs)), 2)), "duplicate_skill"),
        (lambda reqs: JobFamilyEdit(remove=frozenset(reqs)), "no_skills"),
    ],
)
def test_refused_edits_change_nothing(services: Services, make_edit, code: str) -> None:  # type: ignore[no-untyped-def]
    before = _requirements(services, "sre")
    with pytest.raises(InvalidRequest) as caught, services.session() as db:
        update_job_family(db, services, "sre", make_edit(before), actor="a", now=NOW)
    assert caught.value.code == code
    assert _requirements(services, "sre") == before


def test_an_unknown_family_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound), services.session() as db:
        update_job_family(db, services, "astronaut", JobFamilyEdit(), actor="a", now=NOW)
