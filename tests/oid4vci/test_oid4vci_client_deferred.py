"""Deferred issuance with the npm wallet: the credential endpoint answers 202 with a
``transaction_id``; the library polls the deferred credential endpoint while our job queue's
worker (here a thread running :meth:`JobQueue.run_pending`) signs the copy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from passport.jobs.queue import queue_for
from tests.interop.harness import requires_node
from tests.oid4vci.conftest import LiveIssuer, live_issuer, wallet
from tests.oid4vci.test_oid4vci_client import JWT, LDP, check_ours

pytestmark = requires_node


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveIssuer]:
    yield from live_issuer(tmp_path_factory.mktemp("oid4vci-deferred"), oid4vci_deferred=True)


@pytest.fixture
def worker(issuer: LiveIssuer) -> Iterator[list[int]]:
    """A worker thread: runs due jobs every 100 ms; yields how many it ran."""
    queue = queue_for(issuer.services)
    stop = threading.Event()
    ran: list[int] = []

    def work() -> None:
        while not stop.wait(0.1):
            ran.append(queue.run_pending())

    thread = threading.Thread(target=work, name="oid4vci-worker", daemon=True)
    thread.start()
    try:
        yield ran
    finally:
        stop.set()
        thread.join(10)


def test_deferred_issuance_with_the_client(issuer: LiveIssuer, worker: list[int]) -> None:
    answer = wallet(
        "pre-authorized",
        {
            "offer": issuer.offer(),
            "keys": ["ed25519-did-key", "p256-jwk"],
            "configurations": [LDP, JWT],
        },
    )
    assert "error" not in answer, answer
    results = answer["results"]
    assert len(results) == 4
    for result in results:
        assert result["transactionId"] and result["interval"] > 0
        assert "credential" in result, result
    assert sum(worker) >= 4
    check_ours(issuer, results)
