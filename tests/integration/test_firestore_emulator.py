"""The ground under every Firestore adapter: transactions and create-if-absent."""

from __future__ import annotations

import threading

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

pytestmark = pytest.mark.integration


def test_transaction_increments_are_not_lost_under_contention(
    firestore_client: firestore.Client,
) -> None:
    counter = firestore_client.collection("counters").document("c")
    counter.set({"value": 0})

    @firestore.transactional
    def increment(transaction: firestore.Transaction) -> None:
        snapshot = counter.get(transaction=transaction)
        transaction.update(counter, {"value": snapshot.get("value") + 1})

    committed: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        for _ in range(2):
            try:
                # Contended transactions abort and retry; the emulator's lock
                # timeouts make a generous attempt budget necessary.
                increment(firestore_client.transaction(max_attempts=50))
            except Exception as exc:  # recorded, asserted below
                failures.append(exc)
            else:
                committed.append(1)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert counter.get().get("value") == len(committed) == 6


def test_create_if_absent_conflicts_on_second_create(firestore_client: firestore.Client) -> None:
    document = firestore_client.collection("executions").document("exec-1")
    document.create({"state": "created"})
    with pytest.raises(AlreadyExists):
        document.create({"state": "running"})
    assert document.get().to_dict() == {"state": "created"}
