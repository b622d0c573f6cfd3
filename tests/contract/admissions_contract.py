"""ExecutionStore.admit_execution: an uncontended admission's creates in one atomic
commit; any of them already there and none is written."""

from __future__ import annotations

import threading
from dataclasses import replace

from tests.contract.support import ORG, Store, at, execution
from workflows_api.domain.execution.admissions import Admission, IdempotencyClaim
from workflows_api.domain.execution.limits import Slot


def admission(execution_id: str, *, slot_id: str = "org-0", key: str = "key-hash") -> Admission:
    run = execution(execution_id)
    return Admission(
        run,
        at(3600),
        (Slot(slot_id, run.id, run.workflow_id, at(0)),),
        cache_entry_expire_at=at(7200),
        idempotency_key=IdempotencyClaim(key, "fingerprint", at(3600)),
    )


class AdmissionsContract:
    def test_an_admission_creates_everything_it_names(self, store: Store) -> None:
        admitted = admission("e1")
        assert store.admit_execution(admitted) is True
        assert store.get_execution(ORG, "e1") == admitted.execution
        assert [s.execution_id for s in store.list_slots(ORG)] == ["e1"]
        assert store.get_cache_entry(ORG, admitted.execution.cache_key) == "e1"
        assert store.get_idempotency_key(ORG, "key-hash") == ("e1", "fingerprint")
        # Saved as one created by create_execution is.
        running = admitted.execution.transition(admitted.execution.state.RUNNING, at=at(5))
        assert store.save_execution(running, expected_state="created") is True

    def test_an_admission_without_cache_entry_or_key_creates_neither(self, store: Store) -> None:
        bare = replace(admission("e1"), cache_entry_expire_at=None, idempotency_key=None)
        assert store.admit_execution(bare) is True
        assert store.get_cache_entry(ORG, bare.execution.cache_key) is None
        assert store.get_idempotency_key(ORG, "key-hash") is None

    def test_a_taken_slot_cache_entry_or_key_writes_nothing(self, store: Store) -> None:
        assert store.admit_execution(admission("first", slot_id="org-0", key="k1")) is True
        for loser, slot_id, key in (
            ("e-slot", "org-0", "k2"),  # the slot is held
            ("e-key", "org-1", "k1"),  # the idempotency key is recorded
        ):
            assert store.admit_execution(admission(loser, slot_id=slot_id, key=key)) is False
            assert store.get_execution(ORG, loser) is None
        entry_taken = admission("e-entry", slot_id="org-2", key="k3")  # same cache key
        assert store.admit_execution(entry_taken) is False
        assert store.get_execution(ORG, "e-entry") is None
        assert {s.slot_id for s in store.list_slots(ORG)} == {"org-0"}
        assert store.get_idempotency_key(ORG, "k3") is None
        assert store.get_cache_entry(ORG, entry_taken.execution.cache_key) == "first"

    def test_concurrent_admissions_for_one_slot_have_one_winner(self, store: Store) -> None:
        contenders = [f"e{i}" for i in range(8)]
        results: dict[str, bool] = {}
        start = threading.Barrier(len(contenders))

        def admit(execution_id: str) -> None:
            start.wait()
            no_entry = replace(
                admission(execution_id, key=f"k-{execution_id}"), cache_entry_expire_at=None
            )
            results[execution_id] = store.admit_execution(no_entry)

        threads = [threading.Thread(target=admit, args=(c,)) for c in contenders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [c for c, won in results.items() if won]
        assert len(winners) == 1
        assert [s.execution_id for s in store.list_slots(ORG)] == winners
        assert [c for c in contenders if store.get_execution(ORG, c) is not None] == winners
