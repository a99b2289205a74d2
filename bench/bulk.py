"""Bulk issuance from a CSV, end to end with the database, beside the bare sign rate.

A throwaway instance (SQLite file in a temporary folder, or ``--database-url``) is initialised,
learners are registered, and a CSV of passing results is previewed and committed through
:mod:`passport.assessments.bulk` — validation, assessment rows, evidence, credential assembly,
signing, the issuer's self-check, storage and audit, in batches. The baseline, measured in the
same run, signs credentials of the same shape without any of that (same achievement, results,
evidence and status entries): build + eddsa-rdfc-2022 proof, in slices interleaved with the bulk
run's batches so that both see the same machine.
Target (issue #4): end-to-end ≥ 0.7× the bare sign rate.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from issuer import CredentialDraft, build_credential, sign_data_integrity, status_entry
from keys import verification_method_id
from passport.accounts.models import User
from passport.assessments.bulk import DEFAULT_BATCH_SIZE as BATCH_SIZE
from passport.assessments.bulk import commit_rows, preview_csv
from passport.assessments.record import _results, validate_levels
from passport.catalog.models import AchievementDefinition
from passport.credentials.issuers import issuer_profile
from passport.credentials.models import Issuer, SigningKeyRecord
from passport.credentials.status import list_url
from passport.instance.setup import initialise
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from verifier.canonical import Canonicalizer

ACHIEVEMENTS = [
    "incident-response-l2",
    "observability-l2",
    "kubernetes-operations-l2",
    "infrastructure-as-code-l2",
    "ci-cd-l2",
]


def run(*, rows: int, postgres: str | None = None) -> None:
    """Run on a SQLite file, or (``postgres``: a server URL) on a throwaway PostgreSQL database."""
    if postgres is None:
        _run(rows=rows, database_url=None)
        return
    with _throwaway_database(postgres) as url:
        _run(rows=rows, database_url=url)


@contextlib.contextmanager
def _throwaway_database(server_url: str) -> Iterator[str]:
    """A uniquely named database on the server ``server_url`` points at, dropped afterwards."""
    import psycopg

    admin = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"passport_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(*, rows: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        settings = Settings(
            env="test",
            instance_path=instance,
            database_url=database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
            public_url="https://badges.bench.example",
            secret_key="bench",
            key_passphrase="bench passphrase",
        )
        services = get_services(create_app(settings))
        initialise(services)
        learners = max(1, rows // len(ACHIEVEMENTS))
        with services.session() as session:
            session.add_all(
                User(email=f"learner{i}@bench.example", name=f"Learner {i}", role="learner")
                for i in range(learners)
            )
        lines = ["email,achievement,level,evidence_narrative"]
        for i in range(rows):
            lines.append(
                f"learner{i % learners}@bench.example,{ACHIEVEMENTS[(i // learners) % 5]},2,"
                f"Assessed task {i}"
            )
        data = ("\n".join(lines) + "\n").encode()

        # Baseline: the same credentials, built and signed, nothing else.
        with services.session() as session:
            issuer = session.scalars(select(Issuer)).one()
            profile = issuer_profile(issuer, public_url=services.settings.public_url)
            definitions = {
                a.id: json.loads(a.definition)
                for a in session.scalars(
                    select(AchievementDefinition).where(AchievementDefinition.id.in_(ACHIEVEMENTS))
                )
            }
            kid = session.scalars(
                select(SigningKeyRecord.kid).where(SigningKeyRecord.alg == "EdDSA")
            ).one()
            did = issuer.did
            # The same result objects and status entries the bulk path puts in its badges,
            # so both sides sign credentials of the same shape and size.
            results = {
                a.id: _results(a, validate_levels(a, session, {"*": 2}))
                for a in session.scalars(
                    select(AchievementDefinition).where(AchievementDefinition.id.in_(ACHIEVEMENTS))
                )
            }
            statuses = [
                status_entry(list_url(services, f"bench-{purpose}"), 4242, purpose)
                for purpose in services.settings.status_purposes
            ]
        key = services.key_store.load(kid)
        canonicalizer = Canonicalizer()
        now = services.now()
        signed = 0

        def bare_sign(count: int) -> float:
            """Sign ``count`` more credentials of the bulk run's shape; return the seconds."""
            nonlocal signed
            begin = time.perf_counter()
            for i in range(signed, signed + count):
                achievement_id = ACHIEVEMENTS[(i // learners) % 5]
                draft = CredentialDraft(
                    issuer=profile,
                    achievement=definitions[achievement_id],
                    recipient_email=f"learner{i % learners}@bench.example",
                    valid_from=now,
                    valid_until=now + timedelta(days=730),
                    awarded_date=now,
                    results=results[achievement_id],
                    evidence=[
                        {
                            "type": ["Evidence"],
                            "genre": "Assessment evidence",
                            "narrative": f"Assessed task {i}",
                        }
                    ],
                    credential_status=statuses,
                )
                sign_data_integrity(
                    build_credential(draft),
                    key,
                    verification_method=verification_method_id(did, kid),
                    created=now,
                    canonicalizer=canonicalizer,
                )
            signed += count
            return time.perf_counter() - begin

        # The baseline is interleaved with the bulk run: a slice of bare signing after every
        # committed batch (through commit_rows' progress callback, its time kept out of the
        # bulk figure), plus one before and one after. Load on a shared machine drifts over a
        # run of minutes; interleaving makes both figures see the same drift.
        slice_size = BATCH_SIZE // 2
        bare_seconds = bare_sign(slice_size)
        paused = 0.0

        def between_batches(done: int, total: int) -> None:
            nonlocal bare_seconds, paused
            begin = time.perf_counter()
            bare_seconds += bare_sign(slice_size)
            paused += time.perf_counter() - begin

        start = time.perf_counter()
        with services.session() as session:
            preview = preview_csv(session, data)
        result = commit_rows(
            services,
            preview,
            assessor="bench@bench.example",
            now=services.now(),
            batch_size=BATCH_SIZE,
            progress=between_batches,
        )
        elapsed = time.perf_counter() - start - paused
        assert result.issued == rows, (result.issued, result.errors[:3])
        rate = rows / elapsed
        bare_seconds += bare_sign(slice_size)
        bare = signed / bare_seconds
        services.engine.dispose()
    print(f"\nBulk issuance: {rows}-row CSV end to end ({services.engine.dialect.name})")
    print(
        f"  bare sign (build + eddsa-rdfc-2022): {bare:8.0f} credentials/s "
        f"({signed} signed, {slice_size} after each batch of {BATCH_SIZE} and before and after)"
    )
    print(f"  CSV -> stored, self-checked badges:  {rate:8.0f} credentials/s ({elapsed:.1f} s)")
    ratio = rate / bare
    print(f"  ratio {ratio:.2f}   target >= 0.70: {'met' if ratio >= 0.7 else 'NOT met'}")
