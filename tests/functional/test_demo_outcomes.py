"""``passport demo`` tells the playbook's story through the outcome measures.

The demo is loaded once for the module (signing its badges takes seconds); the figures are
read through :func:`passport.outcomes.measures.compute_outcomes`, as every surface reads them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select

from passport.accounts.models import User
from passport.catalog.models import JobFamily
from passport.instance.demo import (
    COHORTS,
    DISCOVERABLE,
    DOMAIN,
    HIRING_MANAGER_ROLE,
    DemoResult,
    load_demo,
    load_people_events,
)
from passport.mobility.candidates import rank_role
from passport.mobility.models import OpenRole
from passport.outcomes.demo import FAMILIES
from passport.outcomes.measures import compute_outcomes
from passport.outcomes.models import HRPerson, PeopleEvent
from passport.outcomes.report import Outcomes, Suppressed, SurvivalGroup
from passport.services import Services
from passport.web.context import get_services
from tests.conftest import fresh_app, settings_for

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Demo:
    services: Services
    result: DemoResult
    outcomes: Outcomes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    services = get_services(fresh_app(settings_for(tmp_path_factory.mktemp("demo"))))
    result = load_demo(services)
    with services.session() as session:
        outcomes = compute_outcomes(session, as_of=services.now().date())
    yield Demo(services, result, outcomes)
    services.engine.dispose()


def test_sre_onboarding_cuts_median_ramp_time_by_about_40_percent(demo: Demo) -> None:
    sre = demo.outcomes.ramp_time["sre"]
    assert isinstance(sre.participants, SurvivalGroup)
    assert isinstance(sre.others, SurvivalGroup)
    assert sre.participants.n >= 5 and sre.others.n >= 5
    assert sre.participants.median_days is not None and sre.others.median_days is not None
    assert sre.reduction_pct is not None
    assert 30 <= sre.reduction_pct <= 50
    # Every family of the catalog has hires to measure.
    assert set(demo.outcomes.ramp_time) == set(FAMILIES)


def test_cohort_learners_stay_longer(demo: Demo) -> None:
    sre = demo.outcomes.retention["sre"]
    assert isinstance(sre.participants, SurvivalGroup)
    assert isinstance(sre.others, SurvivalGroup)
    assert sre.participants.at365 is not None and sre.others.at365 is not None
    assert sre.participants.at365 > sre.others.at365
    shown = [
        r
        for r in demo.outcomes.retention_by_cohort.values()
        if not isinstance(r.participants, Suppressed)
    ]
    assert len(shown) >= len(demo.outcomes.retention_by_cohort) // 2


def test_the_service_cohorts_count_for_their_linked_learners(demo: Demo) -> None:
    for spec in COHORTS:
        retention = demo.outcomes.retention_by_cohort[spec["name"]]
        assert isinstance(retention.participants, SurvivalGroup)
        assert retention.participants.n == 10


def test_mobility_has_quarters_to_show(demo: Demo) -> None:
    shown = [
        cell
        for quarters in demo.outcomes.mobility.values()
        for cell in quarters.values()
        if not isinstance(cell, Suppressed) and cell.internal > 0
    ]
    assert len(shown) >= 10


def test_every_demo_family_says_what_productive_means(demo: Demo) -> None:
    with demo.services.session() as session:
        families = session.scalars(select(JobFamily).where(JobFamily.id.in_(FAMILIES))).all()
    assert len(families) == len(FAMILIES)
    assert all(family.productive_definition for family in families)


def test_loading_again_changes_nothing_and_the_people_load_fast(demo: Demo) -> None:
    assert demo.result.people_events > 1_000

    def counts() -> tuple[int | None, int | None]:
        with demo.services.session() as session:
            return (
                session.scalar(select(func.count()).select_from(HRPerson)),
                session.scalar(select(func.count()).select_from(PeopleEvent)),
            )

    before = counts()
    again = load_demo(demo.services)
    assert (again.created, again.people_events) == (False, 0)
    assert counts() == before
    # From an empty people table, the generator and the import take well under a second.
    with demo.services.session() as session:
        session.execute(delete(PeopleEvent))
        session.execute(delete(HRPerson))
    begin = time.perf_counter()
    assert load_people_events(demo.services) == demo.result.people_events
    assert time.perf_counter() - begin < 5


def test_the_demo_roles_rank_learners_who_chose_to_be_found_with_gaps(demo: Demo) -> None:
    assert demo.result.roles == 2
    services = demo.services
    with services.session() as session:
        manager = session.scalar(select(User).where(User.email == f"hiring.manager@{DOMAIN}"))
        assert manager is not None and manager.role == HIRING_MANAGER_ROLE
        roles = session.scalars(select(OpenRole).order_by(OpenRole.id)).all()
        assert [(r.job_family_id, r.status) for r in roles] == [
            ("sre", "open"),
            ("platform", "open"),
        ]
        for role in roles:
            result = rank_role(services, session, role.id)
            found = {c.name for c in result.candidates}
            allowed = {
                name
                for name, families in DISCOVERABLE.items()
                if families is None or role.job_family_id in families
            }
            assert len(found) >= 4 and found <= allowed, role.title
            assert result.candidates[0].met > result.candidates[-1].met
            gaps = [gap for c in result.candidates for gap in c.gaps]
            assert gaps and any(result.closers[(g.skill, g.required)] for g in gaps)
    again = load_demo(services)
    assert again.roles == 0
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(OpenRole)) == 2
