"""internal_candidates (the fast path) against a plain reference implementation, on a
generated population with ties, expired / revoked / suspended badges, people who never opted
in and people who opted in for another family only.

The oracle is the ranking's first, simple form: read every current badge of every consenting
active person through the ORM (the column types convert every date), keep the best per skill
with :func:`assess`, build the candidates, :func:`rank` them. The fast path must give the same
candidates in the same order, with the same badges and dates.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passport.accounts.models import User
from passport.accounts.users import create_user
from passport.catalog.models import AchievementDefinition
from passport.credentials.models import Holder, IssuedCredential, SigningKeyRecord
from passport.mobility.consent import Consent, set_consent
from passport.mobility.models import Discoverability, DiscoverableFamily
from passport.mobility.ranking import (
    Candidate,
    HeldBadge,
    assess,
    consented,
    current_badge,
    internal_candidates,
    rank,
)
from passport.services import Services
from passport.web.context import get_services
from tests.unit.passport.outcomes.fixtures import emptied, module_app

NOW = datetime.now(UTC)
REQUIREMENTS = {
    "linux-administration": 3,
    "incident-response": 3,
    "observability": 2,
    "networking": 2,
}
#: A few fixed instants, so equal levels issued at the very same time are common.
INSTANTS = [NOW - timedelta(days=d, microseconds=m) for d in (3, 40, 400) for m in (0, 7)]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return module_app(Path(tmp_path_factory.mktemp("ranking-oracle")))


@pytest.fixture
def services(shared: Flask) -> Iterator[Services]:
    services = get_services(shared)
    yield from emptied(services)
    with services.session() as session:
        for model in (DiscoverableFamily, Discoverability):
            session.execute(delete(model))


def reference(
    session: Session, job_family_id: str, requirements: dict[str, int]
) -> list[Candidate]:
    """The simple form: ORM rows (typed dates), assess() per person, then rank()."""
    rows = session.execute(
        select(User, IssuedCredential, AchievementDefinition)
        .join(Discoverability, Discoverability.user_id == User.id)
        .join(IssuedCredential, IssuedCredential.holder_id == User.holder_id)
        .join(AchievementDefinition, AchievementDefinition.id == IssuedCredential.achievement_id)
        .where(
            User.deactivated_at.is_(None),
            User.erased_at.is_(None),
            consented(job_family_id),
            current_badge(NOW),
        )
    ).all()
    people: dict[int, tuple[User, list[HeldBadge]]] = {}
    for user, credential, definition in rows:
        _, badges = people.setdefault(user.id, (user, []))
        badges.append(
            HeldBadge(credential.id, definition.skill_id, definition.level, credential.issued_at)
        )
    found = []
    for user, badges in people.values():
        fits = assess(requirements, badges)
        if any(fit.held > 0 for fit in fits):
            found.append(
                Candidate(
                    key=f"user:{user.id}",
                    name=user.name,
                    email=user.email,
                    skills=fits,
                    user_id=user.id,
                )
            )
    return rank(found)


def populate(services: Services, seed: int, count: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible population, not a secret
    definitions = {}
    with services.session() as session:
        for definition in session.scalars(select(AchievementDefinition)):
            definitions[(definition.skill_id, definition.level)] = definition.id
        key = session.scalars(select(SigningKeyRecord)).first()
        assert key is not None
        skills = [*REQUIREMENTS, "software-testing"]  # the last one is never required
        for n in range(count):
            email = f"p{n}@example.org"
            # Shared names make the name-then-key tie-break matter.
            user = create_user(
                session, email=email, name=f"Person {n % 4}", role="learner", password=None
            )
            session.flush()
            choice = rng.random()
            if choice < 0.6:
                set_consent(session, user.id, Consent(True, None), actor=email, now=NOW)
            elif choice < 0.75:
                set_consent(session, user.id, Consent(True, ("sre",)), actor=email, now=NOW)
            elif choice < 0.85:
                set_consent(session, user.id, Consent(True, ("security",)), actor=email, now=NOW)
            # else: never opted in
            holder = session.scalar(select(Holder).where(Holder.email == email))
            if holder is None:
                holder = Holder(email=email)
                session.add(holder)
                session.flush()
            user.holder_id = holder.id
            for _ in range(rng.randrange(0, 7)):
                skill = rng.choice(skills)
                level = rng.randrange(1, 5)
                achievement = definitions.get((skill, level))
                if achievement is None:
                    continue
                issued = rng.choice(INSTANTS)
                fate = rng.random()
                # One badge in four has a current twin: same achievement, same instant.
                copies = 2 if fate >= 0.35 and rng.random() < 0.25 else 1
                for _ in range(copies):
                    session.add(
                        IssuedCredential(
                            id=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                            issuer_id=key.issuer_id,
                            achievement_id=achievement,
                            holder_id=holder.id,
                            proof_format="vc-jwt",
                            media_type="application/vc+jwt",
                            content=b"test",
                            kid=key.kid,
                            issued_at=issued,
                            valid_until=(
                                NOW - timedelta(days=1)
                                if fate < 0.1
                                else NOW + timedelta(days=30)
                                if fate < 0.2
                                else None
                            ),
                            revoked_at=NOW - timedelta(hours=1) if 0.2 <= fate < 0.3 else None,
                            suspended_at=NOW - timedelta(hours=2) if 0.3 <= fate < 0.35 else None,
                        )
                    )
            if rng.random() < 0.05:
                user.deactivated_at = NOW
        session.flush()


def shape(candidates: list[Candidate]) -> list[tuple[object, ...]]:
    return [
        (
            c.key,
            c.name,
            c.email,
            c.user_id,
            tuple((f.skill, f.required, f.held, f.credential_id, f.issued_at) for f in c.skills),
        )
        for c in candidates
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_path_ranks_exactly_as_the_reference(services: Services, seed: int) -> None:
    populate(services, seed, count=60)
    with services.session() as session:
        expected = reference(session, "sre", REQUIREMENTS)
        found = rank(internal_candidates(session, "sre", REQUIREMENTS, now=NOW))
    # The population is rich enough to test something: candidates, ties and exclusions.
    assert len(expected) >= 20
    assert shape(found) == shape(expected)
    dates = [f.issued_at for c in found for f in c.skills if f.issued_at is not None]
    assert dates and all(d.utcoffset() == timedelta(0) for d in dates)
    # Exactly equal badges (same skill, level and instant) exist, so the tie rule was used.
    with services.session() as session:
        triples = [
            (c.holder_id, c.achievement_id, c.issued_at)
            for c in session.scalars(select(IssuedCredential).where(current_badge(NOW)))
        ]
    assert len(triples) > len(set(triples))


def test_equal_badges_at_the_same_instant_keep_the_greatest_credential_id(
    services: Services,
) -> None:
    with services.session() as session:
        user = create_user(
            session, email="tie@example.org", name="Tie", role="learner", password=None
        )
        session.flush()
        set_consent(session, user.id, Consent(True, None), actor="tie@example.org", now=NOW)
        assert user.holder_id is not None
        key = session.scalars(select(SigningKeyRecord)).first()
        assert key is not None
        for suffix in ("b", "c", "a"):
            session.add(
                IssuedCredential(
                    id=f"urn:uuid:tie-{suffix}",
                    issuer_id=key.issuer_id,
                    achievement_id="networking-l2",
                    holder_id=user.holder_id,
                    proof_format="vc-jwt",
                    media_type="application/vc+jwt",
                    content=b"test",
                    kid=key.kid,
                    issued_at=INSTANTS[0],
                )
            )
        session.flush()
        (only,) = internal_candidates(session, "sre", {"networking": 2}, now=NOW)
    assert only.badges == ("urn:uuid:tie-c",)
    assert only.freshest == INSTANTS[0]
