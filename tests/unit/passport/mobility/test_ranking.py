"""The ranking rule, consent and currentness of badges, on a real database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.credentials.models import IssuedCredential
from passport.errors import Conflict, InvalidRequest
from passport.mobility.candidates import candidates_json, rank_role
from passport.mobility.consent import Consent, consent_of, parse_consent, set_consent
from passport.mobility.models import Discoverability, DiscoverableFamily, OpenRole
from passport.mobility.ranking import Candidate, HeldBadge, SkillFit, assess, rank
from passport.mobility.roles import RoleDraft, close_role, open_role, role_json
from passport.services import Services
from passport.web.context import get_services
from tests.unit.passport.outcomes.fixtures import add_badge, emptied, module_app

#: The service's own clock (badges below are dated in 2026, before it).
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return module_app(Path(tmp_path_factory.mktemp("mobility")))


@pytest.fixture
def services(shared: Flask) -> Iterator[Services]:
    services = get_services(shared)
    yield from emptied(services)
    with services.session() as session:
        for model in (DiscoverableFamily, Discoverability, OpenRole):
            session.execute(delete(model))


def person(
    services: Services,
    email: str,
    name: str,
    *,
    families: list[str] | None = None,
    discoverable: bool = True,
) -> int:
    with services.session() as session:
        user = create_user(session, email=email, name=name, role="learner", password=None)
        session.flush()
        if discoverable:
            set_consent(
                session,
                user.id,
                Consent(True, tuple(families) if families else None),
                actor=email,
                now=NOW,
            )
        return user.id


def badge(services: Services, email: str, skill: str, level: int, issued: date, **kw: date) -> None:
    with services.session() as session:
        add_badge(session, email, f"{skill}-l{level}", issued, **kw)


def sre_role(services: Services, **levels: int) -> int:
    with services.session() as session:
        role = open_role(
            session,
            RoleDraft(
                title="SRE II",
                job_family="sre",
                openings=2,
                levels={k.replace("_", "-"): v for k, v in levels.items()},
            ),
            actor="hm@example.org",
            user_id=None,
            now=NOW,
        )
        return role.id


def ranked(services: Services, role_id: int) -> list[str]:
    with services.session() as session:
        return [c.email or c.name for c in rank_role(services, session, role_id).candidates]


# -- roles ------------------------------------------------------------------------------------


def test_a_role_starts_from_its_family_and_adjusts_levels(services: Services) -> None:
    role_id = sre_role(services, networking=0, ci_cd=1, observability=4)
    with services.session() as session:
        role = session.get(OpenRole, role_id)
        assert role is not None
        levels = role_json(role)["levels"]
    assert levels == {
        "linux-administration": 3,
        "incident-response": 3,
        "observability": 4,
        "kubernetes-operations": 2,
        "infrastructure-as-code": 2,
        "ci-cd": 1,
    }


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (RoleDraft(title="", job_family="sre"), "missing_title"),
        (RoleDraft(title="x", job_family="nope"), "unknown_job_family"),
        (RoleDraft(title="x", job_family="sre", openings=0), "invalid_openings"),
        (RoleDraft(title="x", job_family="sre", openings=True), "invalid_openings"),
        # str.isdigit() takes these, int() does not: a clear error, never a 500
        (RoleDraft(title="x", job_family="sre", openings="²"), "invalid_openings"),
        (RoleDraft(title="x", job_family="sre", levels={"networking": "¹"}), "invalid_level"),
        (RoleDraft(title="x", job_family="sre", openings="9" * 40), "invalid_openings"),
        (RoleDraft(title="x", job_family="sre", levels={"networking": -1}), "invalid_level"),
        (RoleDraft(title="x", job_family="sre", levels={"networking": 5}), "invalid_level"),
        (RoleDraft(title="x", job_family="sre", levels={"networking": 2.5}), "invalid_level"),
        (RoleDraft(title="x", job_family="sre", levels={"cooking": 2}), "unknown_skill"),
        (
            RoleDraft(
                title="x",
                job_family="data",
                levels={
                    "data-pipelines": 0,
                    "sql-data-modeling": 0,
                    "software-testing": 0,
                    "ci-cd": 0,
                },
            ),
            "no_requirements",
        ),
    ],
)
def test_bad_roles_are_refused_with_a_code(services: Services, draft: RoleDraft, code: str) -> None:
    with services.session() as session, pytest.raises(InvalidRequest) as caught:
        open_role(session, draft, actor="hm", user_id=None, now=NOW)
    assert caught.value.code == code


def test_closing_twice_is_a_conflict(services: Services) -> None:
    role_id = sre_role(services)
    with services.session() as session:
        assert close_role(session, role_id, actor="hm", now=NOW).status == "closed"
    with services.session() as session, pytest.raises(Conflict):
        close_role(session, role_id, actor="hm", now=NOW)


# -- consent ----------------------------------------------------------------------------------


def test_nobody_who_has_not_opted_in_appears(services: Services) -> None:
    person(services, "quiet@example.org", "Quiet", discoverable=False)
    person(services, "open@example.org", "Open")
    person(services, "elsewhere@example.org", "Elsewhere", families=["security"])
    for email in ("quiet@example.org", "open@example.org", "elsewhere@example.org"):
        badge(services, email, "linux-administration", 3, date(2026, 5, 1))
    role_id = sre_role(services)
    assert ranked(services, role_id) == ["open@example.org"]
    with services.session() as session:
        document = candidates_json(rank_role(services, session, role_id))
    assert "quiet@example.org" not in repr(document)
    assert "elsewhere@example.org" not in repr(document)


def test_consent_for_the_family_counts_and_withdrawal_is_immediate(services: Services) -> None:
    uid = person(services, "sre@example.org", "Sre", families=["sre", "platform"])
    badge(services, "sre@example.org", "observability", 2, date(2026, 5, 1))
    role_id = sre_role(services)
    assert ranked(services, role_id) == ["sre@example.org"]
    with services.session() as session:
        assert consent_of(session, uid) == Consent(True, ("platform", "sre"), NOW)
        set_consent(session, uid, Consent(False), actor="sre@example.org", now=NOW)
    assert ranked(services, role_id) == []
    with services.session() as session:
        assert consent_of(session, uid) == Consent(False)


def test_deactivated_and_erased_accounts_never_appear(services: Services) -> None:
    a = person(services, "gone@example.org", "Gone")
    b = person(services, "erased@example.org", "Erased")
    for email in ("gone@example.org", "erased@example.org"):
        badge(services, email, "networking", 2, date(2026, 5, 1))
    with services.session() as session:
        session.get(User, a).deactivated_at = NOW  # type: ignore[union-attr]
        session.get(User, b).erased_at = NOW  # type: ignore[union-attr]
    assert ranked(services, sre_role(services)) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "invalid_body"),
        ({"discoverable": "yes"}, "invalid_discoverable"),
        ({"discoverable": True, "jobFamilies": "sre"}, "invalid_job_families"),
        ({"discoverable": True, "extra": 1}, "unknown_field"),
    ],
)
def test_bad_consent_bodies(body: object, code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_consent(body)
    assert caught.value.code == code


def test_consent_names_known_families(services: Services) -> None:
    uid = person(services, "x@example.org", "X", discoverable=False)
    with services.session() as session:
        for families, code in (((), "no_job_families"), (("sre", "bakery"), "unknown_job_family")):
            with pytest.raises(InvalidRequest) as caught:
                set_consent(session, uid, Consent(True, families), actor="x", now=NOW)
            assert caught.value.code == code


# -- current badges ---------------------------------------------------------------------------


def test_revoked_suspended_and_expired_badges_do_not_count(services: Services) -> None:
    person(services, "a@example.org", "A")
    person(services, "b@example.org", "B")
    badge(services, "a@example.org", "linux-administration", 3, date(2026, 1, 1))
    badge(services, "a@example.org", "incident-response", 3, date(2026, 1, 1))
    badge(services, "b@example.org", "linux-administration", 3, date(2026, 2, 1))
    badge(
        services,
        "b@example.org",
        "incident-response",
        3,
        date(2026, 2, 1),
        valid_until=date(2026, 11, 30),
    )
    badge(
        services, "b@example.org", "observability", 3, date(2026, 2, 1), suspended=date(2026, 6, 1)
    )
    role_id = sre_role(services)
    assert ranked(services, role_id) == ["a@example.org", "b@example.org"]
    # Revoke one of A's badges: A falls behind B (same met count, B is fresher) on the next
    # ranking, with no cache in between.
    with services.session() as session:
        cred = session.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.achievement_id == "incident-response-l3")
            .order_by(IssuedCredential.issued_at)
        ).first()
        assert cred is not None
        cred.revoked_at = NOW - timedelta(minutes=1)
    assert ranked(services, role_id) == ["b@example.org", "a@example.org"]
    with services.session() as session:
        result = rank_role(services, session, role_id)
    a = result.candidates[1]
    assert (a.met, a.shortfall) == (1, 3 + 3 + 2 + 2 + 2)
    assert {g.skill: g.held for g in a.gaps}["incident-response"] == 0


def test_gaps_name_what_would_close_them_at_the_right_level(services: Services) -> None:
    from passport.cohorts.models import Cohort, CohortSkill

    person(services, "p@example.org", "P")
    badge(services, "p@example.org", "networking", 1, date(2026, 3, 1))
    today = NOW.date()
    with services.session() as session:
        for name, starts, ends, achievement in (
            (
                "Net deep dive",
                today + timedelta(days=30),
                today + timedelta(days=80),
                "networking-l3",
            ),
            ("Net basics", today + timedelta(days=10), today + timedelta(days=60), "networking-l1"),
            (
                "Net last year",
                today - timedelta(days=400),
                today - timedelta(days=350),
                "networking-l2",
            ),
            ("Net now", today - timedelta(days=10), today + timedelta(days=40), "networking-l2"),
        ):
            cohort = Cohort(name=name, starts_on=starts, ends_on=ends)
            session.add(cohort)
            session.flush()
            session.add(CohortSkill(cohort_id=cohort.id, achievement_id=achievement))
    role_id = sre_role(services)
    with services.session() as session:
        result = rank_role(services, session, role_id)
        (only,) = result.candidates
        net = next(g for g in only.gaps if g.skill == "networking")
        assert (net.status, net.required, net.held) == ("partly", 2, 1)
        closers = result.closers[("networking", 2)]
        session.execute(delete(CohortSkill))
        session.execute(delete(Cohort))
    # The badge at the required level, then the cohorts not yet ended that reach level 2 or above,
    # soonest first: not the one teaching level 1, not the one that ended.
    assert [(c.kind, c.name) for c in closers] == [
        ("achievement", "Networking — Practitioner"),
        ("cohort", "Net now"),
        ("cohort", "Net deep dive"),
    ]


# -- the rule, on generated populations --------------------------------------------------------

SKILLS = ("a", "b", "c", "d")
badges_st = st.lists(
    st.tuples(
        st.sampled_from(SKILLS),
        st.integers(min_value=0, max_value=4),
        st.integers(min_value=0, max_value=400),
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(
    requirements=st.dictionaries(
        st.sampled_from(SKILLS), st.integers(min_value=1, max_value=4), min_size=1
    ),
    people=st.lists(st.tuples(badges_st, st.booleans()), min_size=1, max_size=12),
)
def test_ranking_follows_the_rule(
    requirements: dict[str, int], people: list[tuple[list[tuple[str, int, int]], bool]]
) -> None:
    candidates = []
    for n, (held, verified) in enumerate(people):
        badges = [
            HeldBadge(f"c{n}-{i}", skill, level, NOW - timedelta(days=age))
            for i, (skill, level, age) in enumerate(held)
        ]
        candidates.append(
            Candidate(
                key=f"k{n}",
                name=f"p{n % 3}",
                email=None,
                skills=assess(requirements, badges),
                verified=verified,
            )
        )
    order = rank(candidates)
    assert sorted(c.key for c in order) == sorted(c.key for c in candidates)
    for c, (held, _) in zip(candidates, people, strict=True):
        # Independently: the best level per skill, met count and shortfall from the raw tuples.
        best = {s: max([lvl for sk, lvl, _ in held if sk == s] or [0]) for s in requirements}
        assert c.met == sum(best[s] >= r for s, r in requirements.items())
        assert c.shortfall == sum(max(0, r - best[s]) for s, r in requirements.items())
    for first, second in itertools.pairwise(order):
        if first.verified != second.verified:
            assert first.verified
            continue
        if first.met != second.met:
            assert first.met > second.met
        elif first.shortfall != second.shortfall:
            assert first.shortfall < second.shortfall
        elif first.freshest != second.freshest:
            assert second.freshest is None or (
                first.freshest is not None and first.freshest > second.freshest
            )


def test_freshness_is_the_newest_badge_that_counts() -> None:
    requirements = {"a": 2, "b": 1}
    old = NOW - timedelta(days=300)
    new = NOW - timedelta(days=3)
    fits = assess(
        requirements,
        [
            HeldBadge("x", "a", 2, old),
            HeldBadge("y", "a", 1, new),  # lower level: not the one that counts for a
            HeldBadge("z", "c", 4, new),  # not required: never counts
        ],
    )
    candidate = Candidate(key="k", name="n", email=None, skills=fits)
    assert candidate.badges == ("x",)
    assert candidate.freshest == old
    assert [s.status for s in fits] == ["met", "missing"]
    assert SkillFit("b", 3, 1).status == "partly"


def test_erasing_an_account_removes_its_consent(services: Services) -> None:
    from passport.accounts.users import erase_user

    uid = person(services, "leaving@example.org", "Leaving")
    badge(services, "leaving@example.org", "networking", 2, date(2026, 5, 1))
    role_id = sre_role(services)
    assert ranked(services, role_id) == ["leaving@example.org"]
    with services.session() as session:
        user = session.get(User, uid)
        assert user is not None
        erase_user(session, user, actor="admin", now=NOW, secret_key="s")
    with services.session() as session:
        assert session.get(Discoverability, uid) is None
    assert ranked(services, role_id) == []
