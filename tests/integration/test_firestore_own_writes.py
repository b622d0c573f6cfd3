"""save_execution after this process's own write: the update is conditioned on that
write's update time without reading it first, and Firestore, not the memo, decides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference

from tests.contract.support import ORG, at, execution
from workflows_api.adapters.firestore import FirestoreStore
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import State

pytestmark = pytest.mark.integration


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The path of every document read (DocumentReference.get) while the test runs."""
    seen: list[str] = []
    original = DocumentReference.get

    def counted(self: DocumentReference, *args: object, **kwargs: object) -> object:
        seen.append(self.path)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(DocumentReference, "get", counted)
    yield seen


def stored_state(client: firestore.Client, execution_id: str) -> str:
    doc = client.document(f"orgs/{ORG}/executions/{execution_id}").get()
    return str(doc.get("state"))


def test_a_save_after_its_own_create_reads_nothing(
    firestore_client: firestore.Client, reads: list[str]
) -> None:
    store = FirestoreStore(firestore_client)
    created = execution()
    store.create_execution(created, expire_at=at(3600))
    running = created.transition(State.RUNNING, at=at(5))
    assert store.save_execution(running, expected_state=State.CREATED) is True
    done = running.transition(State.SUCCEEDED, at=at(9))
    assert store.save_execution(done, expected_state=State.RUNNING) is True
    assert not [path for path in reads if created.id in path]
    assert stored_state(firestore_client, created.id) == "succeeded"


def test_another_writer_in_between_wins(firestore_client: firestore.Client) -> None:
    ours, theirs = FirestoreStore(firestore_client), FirestoreStore(firestore_client)
    created = execution()
    ours.create_execution(created, expire_at=at(3600))
    cancelled = created.transition(State.CANCELLED, at=at(3))
    assert theirs.save_execution(cancelled, expected_state=State.CREATED) is True

    running = created.transition(State.RUNNING, at=at(5))
    assert ours.save_execution(running, expected_state=State.CREATED) is False
    assert stored_state(firestore_client, created.id) == "cancelled"


def test_a_write_that_moved_no_state_is_read_and_compared(
    firestore_client: firestore.Client, reads: list[str]
) -> None:
    ours, theirs = FirestoreStore(firestore_client), FirestoreStore(firestore_client)
    created = execution()
    ours.create_execution(created, expire_at=at(3600))
    attempt = DeliveryAttempt("https://example.com/hook", 1, at(2), "created", 200)
    theirs.record_delivery_attempt(ORG, created.id, attempt)

    running = created.transition(State.RUNNING, at=at(5))
    assert ours.save_execution(running, expected_state=State.CREATED) is True
    assert [path for path in reads if created.id in path]  # its update time had moved
    assert stored_state(firestore_client, created.id) == "running"
    assert ours.get_execution(ORG, created.id) is not None


def test_a_deleted_execution_is_not_saved(firestore_client: firestore.Client) -> None:
    ours, theirs = FirestoreStore(firestore_client), FirestoreStore(firestore_client)
    created = execution()
    ours.create_execution(created, expire_at=at(3600))
    theirs.delete_execution(ORG, created.id)
    running = created.transition(State.RUNNING, at=at(5))
    assert ours.save_execution(running, expected_state=State.CREATED) is False
    assert ours.get_execution(ORG, created.id) is None
