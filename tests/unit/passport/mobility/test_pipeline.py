"""Build or buy per job family on generated small populations: who counts (consent), the
suppression of small counts, the within-one definition, the recommendation's branches and the
ranking of the skills that would unlock ready candidates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from passport.accounts.models import User
from passport.credentials.models import Holder, IssuedCredential
from passport.errors import NotFound
from passport.mobility.consent import Consent, set_consent
from passport.mobility.models import Discoverability, DiscoverableFamily, OpenRole
from passport.mobility.pipeline import (
    FamilyPipeline,
    ScheduledCohort,
    all_pipelines,
    classify,
    family_pipeline,
    pipeline_json,
    recommend,
)
from passport.mobility.ranking import Candidate, HeldBadge, assess
from passport.mobility.roles import close_role
from passport.outcomes.report import SUPPRESSED
from passport.services import Services
from passport.web.context import get_services
from tests.unit.passport.mobility.population import DATA, cohort, data_role, people, short
from tests.unit.passport.outcomes.fixtures import emptied, module_app

NOW = datetime.now(UTC)
TODAY = NOW.date()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return module_app(Path(tmp_path_factory.mktemp("pipeline")))


@pytest.fixture
def services(shared: Flask) -> Iterator[Services]:
    services = get_services(shared)
    yield from emptied(services)
    with services.session() as session:
        for model in (DiscoverableFamily, Discoverability, OpenRole):
            session.execute(delete(model))


def data_pipeline(services: Services) -> FamilyPipeline:
    with services.session() as session:
        return family_pipeline(session, "data", now=NOW)


# -- the rule, on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("openings", "ready", "within", "scheduled", "expected"),
    [
        (0, 9, 9, True, ("no_open_roles", 0)),
        (4, 4, 0, False, ("move_internally", 0)),
        (4, 5, 0, False, ("move_internally", 0)),
        (4, 1, 3, True, ("train", 0)),
        (4, 1, 3, False, ("hire", 3)),  # no cohort scheduled: only the ready ones move
        (4, 1, 2, True, ("hire", 1)),
        (4, 0, 0, True, ("hire", 4)),
    ],
)
def test_the_recommendation_rule(
    openings: int, ready: int, within: int, scheduled: bool, expected: tuple[str, int]
) -> None:
    assert recommend(openings, ready, within, cohort_scheduled=scheduled) == expected


# -- who counts -------------------------------------------------------------------------------


def test_only_people_who_opted_in_are_ready(services: Services) -> None:
    with services.session() as session:
        data_role(session, 2, NOW)
        people(session, "open", 5, DATA, now=NOW)
        people(session, "quiet", 3, DATA, now=NOW, discoverable=False)
        people(session, "elsewhere", 3, DATA, now=NOW, families=("sre",))
        people(session, "family", 1, DATA, now=NOW, families=("data",))
    found = data_pipeline(services)
    assert found.ready_now == 6
    assert found.openings == 2
    assert found.decision == "move_internally"


def test_withdrawal_and_a_revoked_badge_are_out_of_the_next_view(services: Services) -> None:
    with services.session() as session:
        data_role(session, 3, NOW)
        ids = people(session, "p", 5, DATA, now=NOW)
    assert data_pipeline(services).ready_now == 5
    with services.session() as session:
        set_consent(session, ids[0], Consent(False), actor="p0@example.org", now=NOW)
    assert data_pipeline(services).ready_now is SUPPRESSED
    with services.session() as session:
        set_consent(session, ids[0], Consent(True), actor="p0@example.org", now=NOW)
    assert data_pipeline(services).ready_now == 5
    with services.session() as session:
        holder = session.scalar(select(Holder.id).where(Holder.email == "p1@example.org"))
        session.execute(
            update(IssuedCredential)
            .where(
                IssuedCredential.holder_id == holder,
                IssuedCredential.achievement_id == "ci-cd-l1",
            )
            .values(revoked_at=NOW)
        )
    assert data_pipeline(services).ready_now is SUPPRESSED


def test_small_counts_are_suppressed_and_the_sentence_values_follow(services: Services) -> None:
    with services.session() as session:
        data_role(session, 4, NOW)
        people(session, "ready", 1, DATA, now=NOW)
        people(session, "near", 3, short("data-pipelines"), now=NOW)
        cohort(session, "Pipelines", TODAY + timedelta(days=30), teaches=("data-pipelines-l3",))
    found = data_pipeline(services)
    assert found.ready_now is SUPPRESSED
    assert found.within_one_cohort is SUPPRESSED
    # 1 + 3 >= 4 with a cohort scheduled: computed from the true numbers.
    assert found.decision == "train"
    assert found.next_cohort == ScheduledCohort("Pipelines", TODAY + timedelta(days=30))
    document = pipeline_json(found, "s")
    assert document["readyNow"] == {"suppressed": True}
    assert document["withinOneCohort"] == {"suppressed": True}
    assert document["unlockSkills"] == [
        {
            "skill": "data-pipelines",
            "candidates": {"suppressed": True},
            "nextCohort": {
                "name": "Pipelines",
                "startsOn": (TODAY + timedelta(days=30)).isoformat(),
            },
        }
    ]
    assert "@example.org" not in repr(found) + repr(document)  # counts, never people


def test_within_one_cohort_is_one_skill_short_by_one_level(services: Services) -> None:
    with services.session() as session:
        data_role(session, 20, NOW)
        people(session, "one", 5, short("sql-data-modeling"), now=NOW)  # within
        people(session, "two-levels", 5, short("sql-data-modeling", 2), now=NOW)  # not
        people(session, "two-skills", 5, short("sql-data-modeling", ci_cd=1), now=NOW)  # not
        people(session, "ready", 5, DATA, now=NOW)
        # Teaches the skill all three groups lack; only the one-level gap makes anyone "within".
        cohort(session, "SQL", TODAY + timedelta(days=9), teaches=("sql-data-modeling-l3",))
    found = data_pipeline(services)
    assert found.ready_now == 5
    assert found.within_one_cohort == 5
    assert found.next_cohort == ScheduledCohort("SQL", TODAY + timedelta(days=9))
    # 5 + 5 < 20: hire for the rest (both counts shown, so it is said).
    assert (found.decision, found.hire_for) == ("hire", 10)


def test_within_one_cohort_needs_a_cohort_scheduled_for_that_gap(services: Services) -> None:
    with services.session() as session:
        data_role(session, 12, NOW)
        people(session, "ready", 5, DATA, now=NOW)
        people(session, "pipes", 5, short("data-pipelines"), now=NOW)  # a cohort closes it
        people(session, "sql", 5, short("sql-data-modeling"), now=NOW)  # nothing scheduled
        people(session, "tests", 5, short("software-testing"), now=NOW)  # none that counts
        cohort(session, "Pipelines", TODAY + timedelta(days=10), teaches=("data-pipelines-l3",))
        cohort(session, "Too low", TODAY + timedelta(days=3), teaches=("software-testing-l1",))
        cohort(session, "Running", TODAY - timedelta(days=3), teaches=("software-testing-l2",))
    found = data_pipeline(services)
    # Only the 5 whose gap a scheduled cohort closes are within one cohort: 5 + 5 < 12.
    assert (found.ready_now, found.within_one_cohort) == (5, 5)
    assert (found.decision, found.hire_for) == ("hire", 2)
    assert found.next_cohort == ScheduledCohort("Pipelines", TODAY + timedelta(days=10))
    # The people one level short with nothing scheduled are still in the unlock list.
    unlock = {u.skill: (u.candidates, u.next_cohort) for u in found.unlock}
    assert unlock == {
        "data-pipelines": (5, ScheduledCohort("Pipelines", TODAY + timedelta(days=10))),
        "sql-data-modeling": (5, None),
        "software-testing": (5, None),
    }
    with services.session() as session:
        cohort(session, "SQL", TODAY + timedelta(days=30), teaches=("sql-data-modeling-l4",))
    found = data_pipeline(services)
    assert (found.within_one_cohort, found.decision, found.hire_for) == (10, "train", None)


def test_within_one_for_any_open_role_and_the_family_levels_without_one(
    services: Services,
) -> None:
    with services.session() as session:
        people(session, "lower", 5, short("data-pipelines"), now=NOW)
        cohort(session, "Pipelines", TODAY + timedelta(days=5), teaches=("data-pipelines-l3",))
    found = data_pipeline(services)  # no open role: the family's own levels
    assert (found.openings, found.open_roles, found.decision) == (0, 0, "no_open_roles")
    assert found.within_one_cohort == 5
    with services.session() as session:
        role = data_role(session, 1, NOW, data_pipelines=2)  # a role asking one level less
        data_role(session, 1, NOW)
    found = data_pipeline(services)
    assert (found.openings, found.open_roles) == (2, 2)
    assert found.ready_now == 5
    assert found.within_one_cohort is SUPPRESSED  # ready for one role: not "within"
    assert found.decision == "move_internally"
    with services.session() as session:
        close_role(session, role, actor="hm", now=NOW)
    found = data_pipeline(services)
    assert (found.openings, found.ready_now, found.within_one_cohort) == (1, SUPPRESSED, 5)


def test_the_next_cohort_starts_today_or_later_and_teaches_the_level(services: Services) -> None:
    with services.session() as session:
        data_role(session, 8, NOW)
        people(session, "near", 5, short("data-pipelines"), now=NOW)
        people(session, "ready", 5, DATA, now=NOW)
        cohort(session, "Running", TODAY - timedelta(days=3), teaches=("data-pipelines-l3",))
        cohort(session, "Too low", TODAY + timedelta(days=2), teaches=("data-pipelines-l2",))
        cohort(session, "Later", TODAY + timedelta(days=60), teaches=("data-pipelines-l4",))
        cohort(session, "Sooner", TODAY + timedelta(days=20), teaches=("data-pipelines-l3",))
    found = data_pipeline(services)
    assert found.next_cohort == ScheduledCohort("Sooner", TODAY + timedelta(days=20))
    assert (found.ready_now, found.within_one_cohort, found.decision) == (5, 5, "train")


def test_a_hire_count_is_not_said_when_it_would_reveal_a_suppressed_one(
    services: Services,
) -> None:
    with services.session() as session:
        data_role(session, 9, NOW)
        people(session, "ready", 5, DATA, now=NOW)
        people(session, "near", 2, short("ci-cd"), now=NOW)
        cohort(session, "CI", TODAY + timedelta(days=7), teaches=("ci-cd-l1",))
    found = data_pipeline(services)
    assert (found.decision, found.within_one_cohort, found.hire_for) == ("hire", SUPPRESSED, None)


def test_skills_that_unlock_the_most_candidates_are_ranked(services: Services) -> None:
    with services.session() as session:
        data_role(session, 3, NOW)
        people(session, "tests", 5, short("software-testing", 2), now=NOW)  # any shortfall
        people(session, "sql", 7, short("sql-data-modeling"), now=NOW)
        people(session, "ci", 5, short("ci-cd"), now=NOW)
        people(session, "pipes", 2, short("data-pipelines"), now=NOW)
        people(session, "both", 9, short("ci-cd", sql_data_modeling=1), now=NOW)  # two gaps
        people(session, "quiet", 9, short("data-pipelines"), now=NOW, discoverable=False)
        cohort(session, "Testing", TODAY + timedelta(days=14), teaches=("software-testing-l2",))
        cohort(session, "Testing 1", TODAY + timedelta(days=1), teaches=("software-testing-l1",))
    found = data_pipeline(services)
    assert [(u.skill, u.candidates) for u in found.unlock] == [
        ("sql-data-modeling", 7),
        ("ci-cd", 5),  # ties by skill id
        ("software-testing", 5),
        ("data-pipelines", SUPPRESSED),  # 2 opted in; the 9 quiet ones never count
    ]
    testing = found.unlock[2]
    assert (testing.level, testing.next_cohort) == (
        2,
        ScheduledCohort("Testing", TODAY + timedelta(days=14)),
    )
    assert found.unlock[0].next_cohort is None
    assert found.unlock[0].name != "sql-data-modeling"  # the skill's name, for pages


def test_in_a_cohort_now_counts_only_learners_of_running_cohorts_who_opted_in(
    services: Services,
) -> None:
    learners = tuple(f"l{n}@example.org" for n in range(6))
    quiet = ("quiet0@example.org", "quiet1@example.org", "quiet2@example.org")
    with services.session() as session:
        data_role(session, 1, NOW)
        cohort(
            session,
            "Now",
            TODAY - timedelta(days=7),
            teaches=("sql-data-modeling-l2",),
            learners=learners[:5] + quiet,
        )
        cohort(
            session,
            "Ended",
            TODAY - timedelta(days=90),
            teaches=("ci-cd-l1",),
            learners=learners[5:],
        )
        cohort(session, "Elsewhere", TODAY, teaches=("threat-modeling-l2",), learners=learners[5:])
        users = {u.email: u.id for u in session.scalars(select(User))}
        for email in learners:
            set_consent(session, users[email], Consent(True), actor=email, now=NOW)
        # Opted in, but for another family only: not found for data, so not counted.
        set_consent(session, users[quiet[0]], Consent(True, ("sre",)), actor=quiet[0], now=NOW)
    # The 2 who never opted in and the one found only for sre are in no count.
    assert data_pipeline(services).in_cohort_now == 5
    with services.session() as session:
        session.execute(update(User).where(User.email == learners[0]).values(erased_at=NOW))
    assert data_pipeline(services).in_cohort_now is SUPPRESSED


def test_every_active_family_and_an_unknown_one(services: Services) -> None:
    with services.session() as session:
        families = [p.job_family for p in all_pipelines(session, NOW)]
        assert "data" in families and "sre" in families
        with pytest.raises(NotFound) as caught:
            family_pipeline(session, "nope", now=NOW)
    assert caught.value.code == "unknown_job_family"


# -- the groups, on generated populations (no database) ---------------------------------------

SKILLS = ("a", "b", "c")
levels = st.integers(min_value=0, max_value=4)
requirement_sets = st.lists(
    st.dictionaries(st.sampled_from(SKILLS), st.integers(min_value=1, max_value=4), min_size=1),
    min_size=1,
    max_size=3,
)
populations = st.lists(st.dictionaries(st.sampled_from(SKILLS), levels), max_size=12)


def _candidates(population: list[dict[str, int]]) -> list[Candidate]:
    union = dict.fromkeys(SKILLS, 4)
    return [
        Candidate(
            key=f"k{n}",
            name=f"p{n}",
            email=None,
            skills=assess(
                union,
                [HeldBadge(f"c{n}{s}", s, lvl, NOW) for s, lvl in held.items() if lvl > 0],
            ),
        )
        for n, held in enumerate(population)
    ]


@given(population=populations, sets=requirement_sets)
@settings(max_examples=200, deadline=None)
def test_the_groups_follow_their_definitions(
    population: list[dict[str, int]], sets: list[dict[str, int]]
) -> None:
    split = classify(_candidates(population), sets)
    for n, held in enumerate(population):
        key = f"k{n}"
        # Per set, what is short and by how much, straight from the generated levels.
        short = [
            {s: need - held.get(s, 0) for s, need in req.items() if held.get(s, 0) < need}
            for req in sets
        ]
        is_ready = any(not gaps for gaps in short)
        assert (key in split.ready) == is_ready
        one_level = {
            (s, req[s])
            for req, gaps in zip(sets, short, strict=True)
            for s in gaps
            if len(gaps) == 1 and gaps[s] == 1
        }
        assert split.within.get(key, set()) == (set() if is_ready else one_level)
        for skill in SKILLS:
            only = any(list(gaps) == [skill] for gaps in short)
            assert (key in split.only_gap.get(skill, set())) == (only and not is_ready)
    for skill, level in split.only_gap_level.items():
        assert level == max(
            req[skill]
            for req in sets
            if skill in req
            for n in range(len(population))
            if f"k{n}" in split.only_gap[skill]
            and [s for s, need in req.items() if population[n].get(s, 0) < need] == [skill]
        )
