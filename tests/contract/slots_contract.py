"""SlotStore: concurrency slots (create-if-absent leases), org limits, the queue's queries."""

from __future__ import annotations

import threading
from dataclasses import replace

from tests.contract.support import ORG, OTHER_ORG, Store, at, execution
from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.states import State


class SlotsContract:
    def test_a_slot_has_one_holder_until_its_holder_releases_it(self, store: Store) -> None:
        assert store.list_slots(ORG) == []
        assert store.claim_slot(ORG, Slot("org-0", "e1", "wf-1", at(1))) is True
        assert store.claim_slot(ORG, Slot("org-0", "e1", "wf-1", at(2))) is True  # its own
        assert store.claim_slot(ORG, Slot("org-0", "e2", "wf-1", at(3))) is False
        assert store.list_slots(ORG) == [Slot("org-0", "e1", "wf-1", at(1))]
        assert store.list_slots(OTHER_ORG) == []

        assert store.release_slot(ORG, "org-0", "e2") is False  # not its holder
        assert store.release_slot(ORG, "org-0", "e1") is True
        assert store.release_slot(ORG, "org-0", "e1") is False  # already free
        assert store.claim_slot(ORG, Slot("org-0", "e2", "wf-1", at(4))) is True
        assert [s.execution_id for s in store.list_slots(ORG)] == ["e2"]

    def test_concurrent_claims_of_one_slot_have_one_winner(self, store: Store) -> None:
        won: list[str] = []

        def claim(execution_id: str) -> None:
            if store.claim_slot(ORG, Slot("org-1", execution_id, "wf-1", at(1))):
                won.append(execution_id)

        threads = [threading.Thread(target=claim, args=(f"e{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
        assert [s.execution_id for s in store.list_slots(ORG)] == won

    def test_workflow_slots_name_their_workflow(self, store: Store) -> None:
        store.claim_slot(ORG, Slot("workflow-0-wf-a-b", "e1", "wf-a-b", at(1)))
        (slot,) = store.list_slots(ORG)
        assert (slot.scope, slot.limited_workflow) == ("workflow", "wf-a-b")

    def test_queued_executions_listed_and_counted_oldest_first(self, store: Store) -> None:
        for i, org in enumerate([ORG, ORG, OTHER_ORG, ORG]):
            run = replace(
                execution(f"q{i}", org=org),
                state=State.QUEUED,
                queue_reason="org_limit",
                created_at=at(10 - i),
            )
            store.create_execution(run, expire_at=at(3600))
        store.create_execution(execution("running"), expire_at=at(3600))

        assert [e.id for e in store.list_queued_executions(ORG, 10)] == ["q3", "q1", "q0"]
        assert [e.id for e in store.list_queued_executions(ORG, 2)] == ["q3", "q1"]
        assert store.list_queued_executions(ORG, 1)[0].queue_reason == "org_limit"
        assert store.count_queued_executions(ORG) == 3
        assert store.count_queued_executions(ORG, before=at(9)) == 1  # q3 (at 7)
        assert store.count_queued_executions(OTHER_ORG) == 1
        assert store.list_queued_orgs(10) == [ORG, OTHER_ORG]  # q3 (ORG) is the oldest

    def test_org_limits_round_trip(self, store: Store) -> None:
        assert store.get_org_limits(ORG) is None
        store.put_org_limits(OrgLimits(ORG, 3, 50))
        assert store.get_org_limits(ORG) == OrgLimits(ORG, 3, 50)
        assert store.get_org_limits(OTHER_ORG) is None
        lowered = OrgLimits(ORG, 2, 50, draining_from=3, lowered_at=at(5))
        store.put_org_limits(lowered)
        assert store.get_org_limits(ORG) == lowered

    def test_replace_org_limits_is_compare_and_swap(self, store: Store) -> None:
        lowered = OrgLimits(ORG, 2, 50, draining_from=3, lowered_at=at(5))
        settled = OrgLimits(ORG, 2, 50)
        assert store.replace_org_limits(lowered, settled) is False  # none stored
        assert store.get_org_limits(ORG) is None
        store.put_org_limits(lowered)
        assert store.replace_org_limits(OrgLimits(ORG, 3, 50), settled) is False
        assert store.get_org_limits(ORG) == lowered
        assert store.replace_org_limits(lowered, settled) is True
        assert store.get_org_limits(ORG) == settled
        assert store.replace_org_limits(lowered, settled) is False  # stale now
