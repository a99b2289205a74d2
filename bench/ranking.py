"""Ranking a role's internal candidates at scale, beside the bare query that reads their badges.

A throwaway instance (a SQLite file, then a throwaway PostgreSQL database when a server answers:
``--ranking-postgres``, else ``PASSPORT_TEST_DATABASE_URL``, else 127.0.0.1:5432 as CI has it)
gets 10,000 people who opted in to be found (four in five for every job family, the rest naming
the SRE family, some another as well) holding 50,000 badges of ours, five each, over the
family's skills and others, levels 1 to 4, issued over three years; about one in ten is
revoked, suspended or expired. 1,000 more people hold 5,000 badges but never opted in: they
must not be counted. One role: the SRE family's six required levels.

Measured, in interleaved rounds (the median of each reported):

- **ours**: :func:`passport.mobility.candidates.rank_role` — consent, current badges, the best
  badge per skill, met / partly / missing, the rule's order, and what would close each gap —
  exactly what ``GET /api/v1/roles/<id>/candidates`` computes before its JSON;
- **bare**: one SQL query that reads the same people's current badge levels — user, skill and
  level of the current badges of consenting, active people for the role's skills — and
  ``fetchall()``; nothing assessed or ordered.

Target (issue #20): ours ≥ 0.5× the bare query's rate (``bare seconds / ours seconds``). Both
sides must find the same people (checked). No signature is verified at ranking time: our own
badges were checked when issued, and their status is read from our own rows.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from bench.outcomes import on_each_database, throwaway_instance
from passport.accounts.models import User
from passport.catalog.models import AchievementDefinition, JobFamily
from passport.credentials.models import Holder, IssuedCredential, SigningKeyRecord
from passport.mobility.candidates import rank_role
from passport.mobility.models import Discoverability, DiscoverableFamily
from passport.mobility.ranking import consented, current_badge, requirements_of
from passport.mobility.roles import RoleDraft, open_role
from passport.services import Services

FAMILY = "sre"
BADGES_EACH = 5
BATCH = 5_000
#: The ratio the issue asks for.
TARGET = 0.5


def run(
    *,
    people: int = 10_000,
    rounds: int = 7,
    postgres: str | None = None,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
) -> dict[str, dict[str, float]]:
    """Run on SQLite and, when a server answers, on PostgreSQL; print and return the figures
    per database (``ours_seconds``, ``bare_seconds``, ``ratio``, ``candidates``...)."""
    return on_each_database(
        "Ranking",
        lambda url: _run(people=people, rounds=rounds, database_url=url),
        postgres=postgres,
        databases=databases,
    )


def _run(*, people: int, rounds: int, database_url: str | None) -> dict[str, float]:
    with throwaway_instance(database_url) as services:
        begin = time.perf_counter()
        badges = populate(services, people=people, seed=20)
        filled = time.perf_counter() - begin
        with services.session() as session:
            role = open_role(
                session,
                RoleDraft(title="SRE II", job_family=FAMILY),
                actor="bench",
                user_id=None,
                now=services.now(),
            )
            role_id = role.id
        print(
            f"\nRanking ({services.engine.dialect.name}): {people:,} discoverable people, "
            f"{badges:,} badges (+{people // 10:,} people who did not opt in), "
            f"filled in {filled:.1f} s"
        )
        return _measure(services, role_id, rounds=rounds, consenting=people)


def populate(services: Services, *, people: int, seed: int) -> int:
    """Insert ``people`` consenting people with five badges each, and a tenth as many who did
    not opt in (five badges each too); return the consenting people's badge count."""
    rng = random.Random(seed)
    now = services.now()
    with services.session() as session:
        key = session.scalars(select(SigningKeyRecord)).first()
        assert key is not None, "initialise() made no signing key"
        issuer_id, kid = key.issuer_id, key.kid
        family = session.get(JobFamily, FAMILY)
        assert family is not None
        wanted = {req.skill_id for req in family.requirements}
        definitions = session.execute(
            select(
                AchievementDefinition.id,
                AchievementDefinition.skill_id,
                AchievementDefinition.level,
            ).where(AchievementDefinition.level >= 1)
        ).all()
        families = [f for f in session.scalars(select(JobFamily.id)) if f != FAMILY]
    ours = [d.id for d in definitions if d.skill_id in wanted]
    others = [d.id for d in definitions if d.skill_id not in wanted]
    total = people + people // 10
    holders, users, consents, named, credentials = [], [], [], [], []
    for n in range(1, total + 1):
        email = f"person{n}@bench.example"
        holders.append({"id": n, "email": email, "name": f"Person {n}", "created_at": now})
        users.append(
            {
                "id": n,
                "email": email,
                "name": f"Person {n}",
                "role": "learner",
                "holder_id": n,
                "created_at": now,
                "scim_id": uuid.uuid4().hex,
            }
        )
        if n <= people:
            every = rng.random() < 0.8
            consents.append({"user_id": n, "all_families": every, "updated_at": now})
            if not every:
                named.append({"user_id": n, "job_family_id": FAMILY})
                if families and rng.random() < 0.5:
                    named.append({"user_id": n, "job_family_id": rng.choice(families)})
        for _ in range(BADGES_EACH):
            # Four in five badges are for the role's skills.
            achievement = rng.choice(ours if rng.random() < 0.8 else others)
            issued = now - timedelta(days=rng.randrange(1, 3 * 365), seconds=rng.randrange(86400))
            fate = rng.random()
            credentials.append(
                {
                    "id": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                    "issuer_id": issuer_id,
                    "achievement_id": achievement,
                    "holder_id": n,
                    "proof_format": "vc-jwt",
                    "media_type": "application/vc+jwt",
                    "content": b"bench",
                    "kid": kid,
                    "issued_at": issued,
                    "valid_until": (
                        issued + timedelta(days=30) if fate < 0.03 else None
                    ),  # expired
                    "revoked_at": issued + timedelta(days=1) if 0.03 <= fate < 0.08 else None,
                    "suspended_at": issued + timedelta(days=2) if 0.08 <= fate < 0.10 else None,
                }
            )
    with services.engine.begin() as connection:
        for table, rows in (
            (Holder.__table__, holders),
            (User.__table__, users),
            (Discoverability.__table__, consents),
            (DiscoverableFamily.__table__, named),
            (IssuedCredential.__table__, credentials),
        ):
            for start in range(0, len(rows), BATCH):
                connection.execute(insert(table), rows[start : start + BATCH])
        if connection.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; and fresh tables want statistics.
            for table in ("holders", "users"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {total})"
                )
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
    return people * BADGES_EACH


def bare_query(services: Services, role_id: int) -> list[Any]:
    """The bare SQL: user, skill and level of the current badges of the consenting, active
    people, for the role's skills, through SQLAlchemy Core (plain tuples). No assessing, no
    ordering."""
    from passport.mobility.models import OpenRole
    from passport.mobility.roles import find_role

    now = services.now()
    with services.session() as session:
        role: OpenRole = find_role(session, role_id)
        skills = list(requirements_of(role))
        return list(
            session.connection()
            .execute(
                select(User.id, AchievementDefinition.skill_id, AchievementDefinition.level)
                .join(Discoverability, Discoverability.user_id == User.id)
                .join(IssuedCredential, IssuedCredential.holder_id == User.holder_id)
                .join(
                    AchievementDefinition,
                    AchievementDefinition.id == IssuedCredential.achievement_id,
                )
                .where(
                    User.deactivated_at.is_(None),
                    User.erased_at.is_(None),
                    consented(role.job_family_id),
                    current_badge(now),
                    AchievementDefinition.skill_id.in_(skills),
                    AchievementDefinition.level >= 1,
                )
            )
            .fetchall()
        )


def ours(services: Services, role_id: int) -> Any:
    with services.session() as session:
        return rank_role(services, session, role_id)


def _measure(services: Services, role_id: int, *, rounds: int, consenting: int) -> dict[str, float]:
    # Warm both (connection pool, statement caches) before timing.
    result = ours(services, role_id)
    rows = bare_query(services, role_id)
    ranked_people = {c.user_id for c in result.candidates}
    queried_people = {row[0] for row in rows}
    assert ranked_people == queried_people, "the ranking and the bare query disagree on who"
    # Ids 1..consenting opted in; the people after them did not, and must not appear.
    assert all(user_id is not None and user_id <= consenting for user_id in ranked_people)
    people = len(ranked_people)
    ours_seconds: list[float] = []
    bare_seconds: list[float] = []
    gc.collect()
    for _ in range(rounds):
        begin = time.perf_counter()
        bare_query(services, role_id)
        bare_seconds.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        ours(services, role_id)
        ours_seconds.append(time.perf_counter() - begin)
    mine, bare = statistics.median(ours_seconds), statistics.median(bare_seconds)
    ratio = bare / mine
    print(
        f"  bare query (consenting people's current badge levels, fetchall): "
        f"{bare * 1000:7.1f} ms  ({len(rows):,} rows)"
    )
    print(
        f"  rank_role (assess, order, closers):                              "
        f"{mine * 1000:7.1f} ms  ({people:,} candidates; median of {rounds})"
    )
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"  ranking rate / bare query rate {ratio:.2f}   target >= {TARGET:.2f}: {verdict}")
    return {
        "ours_seconds": mine,
        "bare_seconds": bare,
        "ratio": ratio,
        "candidates": float(people),
        "rows": float(len(rows)),
    }
