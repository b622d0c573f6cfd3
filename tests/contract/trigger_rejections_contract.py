"""TriggerRejectionStore: the behaviour every implementation shares."""

from __future__ import annotations

from dataclasses import replace

from tests.contract.support import ORG, OTHER_ORG, Store, at
from workflows_api.domain.execution.records import TriggerRejection


class TriggerRejectionsContract:
    def test_trigger_rejection_round_trip(self, store: Store) -> None:
        rejection = TriggerRejection(
            org=ORG,
            message_id="m-1",
            topic="projects/p/topics/t",
            code="invalid_parameters",
            message="number_of_clusters: expected INT64",
            received_at=at(5),
            workflow_id="wf-1",
        )
        store.record_trigger_rejection(rejection, expire_at=at(86_400))
        assert store.get_trigger_rejection(ORG, "m-1") == rejection
        assert store.get_trigger_rejection(OTHER_ORG, "m-1") is None
        assert store.get_trigger_rejection(ORG, "m-2") is None

        # A message that named no (readable) workflow.
        unreadable = replace(rejection, message_id="m-2", code="invalid_message", workflow_id=None)
        store.record_trigger_rejection(unreadable, expire_at=at(86_400))
        assert store.get_trigger_rejection(ORG, "m-2") == unreadable
