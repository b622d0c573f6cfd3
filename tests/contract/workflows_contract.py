"""ConnectionStore and WorkflowStore: the behaviour every implementation shares."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from tests.contract.support import ORG, OTHER_ORG, Store, at, workflow
from workflows_api.domain.access.connections import Connection


class WorkflowStoreContract:
    def test_connection_round_trip_and_listing(self, store: Store) -> None:
        impersonating = Connection(ORG, "b-conn", "proj-b", "EU", "wf_tmp", "sa@proj-b.iam")
        impersonating = replace(
            impersonating, read_allowlist=("proj-b.retail", "proj-c.*"), maximum_bytes_billed=10**9
        )
        default = Connection(ORG, "a-conn", "proj-a")
        store.put_connection(impersonating)
        store.put_connection(default)
        store.put_connection(Connection(OTHER_ORG, "c-conn", "proj-c"))

        assert store.get_connection(ORG, "b-conn") == impersonating
        assert store.get_connection(ORG, "a-conn") == default
        assert store.get_connection(ORG, "missing") is None
        assert store.list_connections(ORG) == [default, impersonating]

    def test_put_connection_replaces(self, store: Store) -> None:
        store.put_connection(Connection(ORG, "main", "proj-a"))
        moved = Connection(ORG, "main", "proj-b", "EU")
        store.put_connection(moved)
        assert store.get_connection(ORG, "main") == moved
        assert store.list_connections(ORG) == [moved]

    def test_a_dataset_is_claimed_by_one_org_only(self, store: Store) -> None:
        dataset = f"ds_{uuid.uuid4().hex[:8]}"
        assert store.claim_dataset("proj-a", dataset, ORG) == ORG
        assert store.claim_dataset("proj-a", dataset, OTHER_ORG) == ORG
        assert store.claim_dataset("proj-a", dataset, ORG) == ORG
        assert store.claim_dataset("proj-b", dataset, OTHER_ORG) == OTHER_ORG

    def test_workflow_round_trip_keeps_key_order(self, store: Store) -> None:
        record = workflow()
        store.put_workflow(record)

        got = store.get_workflow(ORG, "wf-1")
        assert got == record
        assert got is not None and got.api is not None
        assert list(got.definition) == ["version", "parameters", "nodes", "edges"]
        assert list(got.definition["nodes"]) == ["z_last", "a_first"]
        assert list(got.api.deployed_definition) == ["zeta", "alpha"]
        assert list(got.api.deployed_definition["alpha"]) == ["y", "b"]
        assert type(got.created_at) is dt.datetime and got.created_at.tzinfo == dt.UTC

    def test_stored_workflows_do_not_share_the_callers_dicts(self, store: Store) -> None:
        record = workflow()
        store.put_workflow(record)
        record.definition["nodes"]["z_last"]["table"] = "changed.after.put"
        got = store.get_workflow(ORG, "wf-1")
        assert got == workflow()
        assert got is not None
        got.definition["edges"].append("changed after get")
        assert store.get_workflow(ORG, "wf-1") == workflow()

    def test_workflow_without_api_state_and_replacement(self, store: Store) -> None:
        store.put_workflow(workflow())
        replaced = replace(workflow(api=False), version="v-def", updated_at=at(10))
        store.put_workflow(replaced)
        assert store.get_workflow(ORG, "wf-1") == replaced

    def test_delete_workflow_reports_whether_it_existed(self, store: Store) -> None:
        store.put_workflow(workflow())
        assert store.delete_workflow(ORG, "wf-1") is True
        assert store.get_workflow(ORG, "wf-1") is None
        assert store.delete_workflow(ORG, "wf-1") is False

    def test_list_workflows_pages_by_id(self, store: Store) -> None:
        ids = sorted(uuid.uuid4().hex for _ in range(7))
        for workflow_id in reversed(ids):  # insertion order must not matter
            store.put_workflow(workflow(workflow_id))
        store.put_workflow(workflow("other-org-wf", org=OTHER_ORG))

        pages: list[list[str]] = []
        after: str | None = None
        while True:
            page = store.list_workflows(ORG, limit=3, after=after)
            if not page:
                break
            pages.append([record.id for record in page])
            after = page[-1].id

        assert pages == [ids[0:3], ids[3:6], ids[6:7]]
        assert store.list_workflows(ORG, limit=10)[0] == workflow(ids[0])
        # The cursor need not be a stored id: the page starts after it in id order.
        assert [r.id for r in store.list_workflows(ORG, limit=10, after=ids[2] + "-")] == ids[3:]

    def test_find_workflow_by_procedure(self, store: Store) -> None:
        store.put_workflow(workflow("wf-1"))
        store.put_workflow(replace(workflow("wf-2"), api=None))
        found = store.find_workflow_by_procedure(ORG, "proj.workflows_temp.wfproc_abc")
        assert found is not None and found.id == "wf-1"
        assert found == workflow("wf-1")
        assert store.find_workflow_by_procedure(ORG, "proj.workflows_temp.wfproc_other") is None
        assert store.find_workflow_by_procedure(OTHER_ORG, "proj.workflows_temp.wfproc_abc") is None

    def test_naive_datetimes_are_refused(self, store: Store) -> None:
        with pytest.raises(ValueError, match="naive"):
            store.put_workflow(replace(workflow(), created_at=dt.datetime(2024, 1, 1)))
        assert store.get_workflow(ORG, "wf-1") is None
