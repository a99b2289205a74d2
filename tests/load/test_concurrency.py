"""Concurrent issuers and verifiers against gunicorn (3 workers) on PostgreSQL.

Bounded: 4 issuing threads x 12 credentials and 4 verifying threads x 20 checks. Every 2xx
issuance must be stored exactly once, no status slot (list, index) may be handed out twice,
and no request may end in a 5xx.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.load import harness

pytestmark = pytest.mark.slow

ISSUERS, PER_ISSUER = 4, 12
VERIFIERS, PER_VERIFIER = 4, 20


def test_concurrent_issuers_and_verifiers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    harness.require_gunicorn()
    with harness.throwaway_database() as database_url:
        port = harness.free_port()
        env = harness.service_env(tmp_path / "instance", database_url, port, workers=3)
        token = harness.prepared_instance(env)
        with harness.gunicorn(env, tmp_path / "gunicorn.log") as server:
            first = harness.call(
                port,
                "POST",
                "/api/v1/credentials",
                {"achievement": harness.ACHIEVEMENT, "recipient": "first@load.example"},
                token=token,
            )
            assert first.status == 201, first.body
            sample = first.body["credential"]
            issued: list[dict[str, Any]] = [first.body]
            answers: list[tuple[str, int]] = []
            failures: list[BaseException] = []
            lock = threading.Lock()
            people = harness.learners(5)

            def issue(n: int) -> None:
                try:
                    for i in range(PER_ISSUER):
                        body = {
                            "achievement": harness.ACHIEVEMENT,
                            "recipient": people[(n + i) % len(people)],
                            "format": "jwt" if i % 3 == 2 else "di",
                        }
                        answer = harness.call(
                            port, "POST", "/api/v1/credentials", body, token=token
                        )
                        with lock:
                            answers.append(("issue", answer.status))
                            if 200 <= answer.status < 300:
                                issued.append(answer.body)
                except BaseException as exc:  # reported below, with the thread's failure
                    failures.append(exc)
                    raise

            def verify() -> None:
                try:
                    for _ in range(PER_VERIFIER):
                        answer = harness.call(port, "POST", "/api/v1/verify", sample)
                        with lock:
                            answers.append(("verify", answer.status))
                        assert answer.status == 200, answer.body
                        assert answer.body["verified"] is True, answer.body
                except BaseException as exc:
                    failures.append(exc)
                    raise

            threads = [threading.Thread(target=issue, args=(n,)) for n in range(ISSUERS)]
            threads += [threading.Thread(target=verify) for _ in range(VERIFIERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=180)
            assert not any(t.is_alive() for t in threads), "load threads did not finish"
            assert not failures, failures
            log = server.log()

        statuses = Counter(status for _, status in answers)
        assert not [s for s in statuses if s >= 500], (statuses, log)
        assert len(answers) == ISSUERS * PER_ISSUER + VERIFIERS * PER_VERIFIER
        assert statuses[201] == ISSUERS * PER_ISSUER, statuses

        state = harness.stored_state(database_url)
        ids = [body["id"] for body in issued]
        assert len(set(ids)) == len(ids)
        stored = Counter(state["ids"])
        assert all(stored[i] == 1 for i in ids), "a 2xx issuance is not stored exactly once"
        assert len(stored) == len(ids), "something stored without a 2xx answer"
        assert state["duplicate_slots"] == []
        # Each credential owns its own entries, and the slots in the credentials are distinct.
        owners = Counter((e.status_list_id, e.index) for e in state["entries"])
        assert max(owners.values()) == 1
        assert {e.credential_id for e in state["entries"]} == set(ids)
        slots = [
            slot
            for body in issued
            if isinstance(body["credential"], dict)
            for slot in harness.status_slots(body["credential"])
        ]
        assert slots and len(slots) == len(set(slots)), "a status slot was handed out twice"
