"""ExecutionStore's executions: round trips, compare-and-swap saves, listing, and the
webhook delivery attempts recorded on them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from google.api_core import exceptions

from tests.contract.support import ORG, OTHER_ORG, Store, at, execution
from workflows_api.domain.execution.delivery_attempts import DeliveryAttempt
from workflows_api.domain.execution.states import JobError, JobStatistics, JobStatus, State


class ExecutionStoreContract:
    def test_execution_round_trip_with_error_and_all_timestamps(self, store: Store) -> None:
        run = replace(
            execution(),
            state=State.FAILED,
            bigquery_job_id="wfapi_exec_x",
            started_at=at(5),
            ended_at=at(9.000001),
            error=JobError("invalidQuery", "Syntax error: Unexpected keyword", "query"),
            cache_enabled=False,
            output_expires_at=at(7 * 86_400),
            reconciled_at=at(11),
            submit_attempts=2,
            statistics=JobStatistics(188416, 10485760, 5312, 9),
        )
        store.create_execution(run, expire_at=at(30 * 86_400))

        got = store.get_execution(ORG, run.id)
        assert got == run
        assert got is not None
        assert list(got.parameters) == ["radius", "city", "ids"]
        assert all(
            type(value) is dt.datetime
            for value in (got.created_at, got.started_at, got.ended_at, got.reconciled_at)
        )
        assert got.state is State.FAILED

    def test_execution_without_error_or_optional_timestamps(self, store: Store) -> None:
        run = execution()
        store.create_execution(run, expire_at=at(3600))
        assert store.get_execution(ORG, run.id) == run
        assert store.get_execution(ORG, "missing") is None

    def test_stored_executions_do_not_share_the_callers_dicts(self, store: Store) -> None:
        run = execution()
        store.create_execution(run, expire_at=at(3600))
        run.parameters["city"] = "changed after create"
        run.labels["wfapi_org"] = "changed after create"
        assert store.get_execution(ORG, run.id) == execution(run.id)

    def test_create_execution_stores_no_delivery_attempts(self, store: Store) -> None:
        attempt = DeliveryAttempt("https://a.example/h", 1, at(2), "succeeded", 200, None)
        run = replace(execution(), deliveries=(attempt,))
        store.create_execution(run, expire_at=at(3600))
        assert store.get_execution(ORG, run.id) == replace(run, deliveries=())

    def test_save_execution_compares_state(self, store: Store) -> None:
        created = execution()
        store.create_execution(created, expire_at=at(3600))
        running = created.transition(State.RUNNING, at=at(5))

        # A stale expectation loses and changes nothing.
        assert store.save_execution(running, expected_state="running") is False
        assert store.get_execution(ORG, created.id) == created

        assert store.save_execution(running, expected_state="created") is True
        assert store.get_execution(ORG, created.id) == running

        # A second writer that also saw `created` now loses.
        failed = created.transition(State.FAILED, at=at(6), error=JobError("x", "y"))
        assert store.save_execution(failed, expected_state=State.CREATED) is False
        assert store.get_execution(ORG, created.id) == running

        done = running.transition(State.SUCCEEDED, at=at(9))
        assert store.save_execution(done, expected_state=State.RUNNING) is True
        assert store.get_execution(ORG, created.id) == done

    def test_save_execution_of_a_missing_execution_is_false(self, store: Store) -> None:
        ghost = execution()
        assert store.save_execution(ghost, expected_state="created") is False
        assert store.get_execution(ORG, ghost.id) is None

    def test_delete_execution(self, store: Store) -> None:
        run = execution()
        store.create_execution(run, expire_at=at(3600))
        store.delete_execution(ORG, run.id)
        assert store.get_execution(ORG, run.id) is None
        store.delete_execution(ORG, run.id)  # deleting again is fine

    def test_list_executions_newest_first_with_filters_and_cursor(self, store: Store) -> None:
        made = []
        for i in range(7):
            run = replace(
                execution(f"exec-{i}"),
                workflow_id="wf-1",
                created_at=at(i),
                state=State.SUCCEEDED if i % 2 else State.FAILED,
            )
            store.create_execution(run, expire_at=at(86_400))
            made.append(run)
        store.create_execution(replace(execution("elsewhere"), workflow_id="wf-2"), at(86_400))
        newest_first = [e.id for e in reversed(made)]

        seen: list[str] = []
        after = None
        while True:
            page = store.list_executions(ORG, "wf-1", limit=3, after_id=after)
            seen += [e.id for e in page]
            if len(page) < 3:
                break
            after = page[-1].id
        assert seen == newest_first
        assert store.list_executions(ORG, "wf-1", limit=10, state="succeeded") == [
            e for e in reversed(made) if e.state == State.SUCCEEDED
        ]
        window = store.list_executions(
            ORG, "wf-1", limit=10, created_after=at(2), created_before=at(5)
        )
        assert [e.id for e in window] == ["exec-4", "exec-3", "exec-2"]
        assert store.list_executions(OTHER_ORG, "wf-1", limit=10) == []
        # A cursor combines with the filters.
        after_five = store.list_executions(
            ORG, "wf-1", limit=10, state="succeeded", after_id="exec-5"
        )
        assert [e.id for e in after_five] == ["exec-3", "exec-1"]

    def test_list_executions_after_an_unknown_id_is_empty(self, store: Store) -> None:
        store.create_execution(execution("exec-1"), expire_at=at(3600))
        assert store.list_executions(ORG, "wf-1", limit=10, after_id="gone") == []
        assert store.list_executions(OTHER_ORG, "wf-1", limit=10, after_id="exec-1") == []

    def test_list_executions_breaks_created_at_ties_by_id(self, store: Store) -> None:
        ids = ["exec-b", "exec-d", "exec-a", "exec-c"]
        for execution_id in ids:
            store.create_execution(execution(execution_id), expire_at=at(3600))
        first = store.list_executions(ORG, "wf-1", limit=2)
        rest = store.list_executions(ORG, "wf-1", limit=10, after_id=first[-1].id)
        assert [e.id for e in first + rest] == sorted(ids, reverse=True)

    def test_unconfirmed_executions_of_every_org_oldest_first_before_a_time(
        self, store: Store
    ) -> None:
        runs = [
            replace(execution("late", org=ORG), created_at=at(30)),
            replace(execution("early", org=OTHER_ORG), created_at=at(10)),
            replace(execution("middle", org=ORG), created_at=at(20), submit_attempts=3),
            replace(execution("too-new", org=ORG), created_at=at(60)),
            replace(execution("running", org=ORG), created_at=at(5), state=State.RUNNING),
            replace(execution("done", org=OTHER_ORG), created_at=at(1), state=State.SUCCEEDED),
            # BigQuery reported its job (queued: still `created`): not the sweep's.
            replace(execution("queued", org=ORG), created_at=at(2), reconciled_at=at(3)),
        ]
        for run in runs:
            store.create_execution(run, expire_at=at(86_400))

        found = store.list_unconfirmed_executions(at(60), limit=10)
        assert [(e.org, e.id) for e in found] == [
            (OTHER_ORG, "early"),
            (ORG, "middle"),
            (ORG, "late"),
        ]
        assert found[0] == runs[1]
        assert [e.id for e in store.list_unconfirmed_executions(at(60), limit=2)] == [
            "early",
            "middle",
        ]
        assert store.list_unconfirmed_executions(at(10), limit=10) == []

    def test_an_execution_leaves_the_unconfirmed_once_a_job_report_is_saved(
        self, store: Store
    ) -> None:
        queued = [replace(execution(f"queued-{i}"), created_at=at(i)) for i in range(3)]
        lost = replace(execution("lost"), created_at=at(3))
        for run in (*queued, lost):
            store.create_execution(run, expire_at=at(86_400))
        assert [e.id for e in store.list_unconfirmed_executions(at(60), limit=3)] == [
            "queued-0",
            "queued-1",
            "queued-2",
        ]

        # BigQuery answers PENDING for each: they stay `created`, marked reconciled.
        for run in queued:
            pending = run.with_job_report(JobStatus(run.id, "PENDING"), at=at(40))
            assert pending.state == State.CREATED
            assert store.save_execution(pending, expected_state=State.CREATED)
        assert [e.id for e in store.list_unconfirmed_executions(at(60), limit=3)] == ["lost"]

    def test_unsettled_executions_are_the_open_confirmed_ones_least_recently_checked_first(
        self, store: Store
    ) -> None:
        runs = [
            replace(execution("running-late", org=ORG), state=State.RUNNING, reconciled_at=at(30)),
            replace(execution("queued", org=OTHER_ORG), reconciled_at=at(10)),
            replace(execution("running-early", org=ORG), state=State.RUNNING, reconciled_at=at(20)),
            replace(execution("just-checked", org=ORG), state=State.RUNNING, reconciled_at=at(60)),
            # Never confirmed: the unconfirmed query's, not this one's.
            replace(execution("unconfirmed", org=ORG), created_at=at(1)),
            replace(execution("done", org=OTHER_ORG), state=State.SUCCEEDED, reconciled_at=at(1)),
            replace(execution("failed", org=ORG), state=State.FAILED, reconciled_at=at(2)),
        ]
        for run in runs:
            store.create_execution(run, expire_at=at(86_400))

        found = store.list_unsettled_executions(at(60), limit=10)
        assert [(e.org, e.id) for e in found] == [
            (OTHER_ORG, "queued"),
            (ORG, "running-early"),
            (ORG, "running-late"),
        ]
        assert found[1] == runs[2]
        assert [e.id for e in store.list_unsettled_executions(at(60), limit=2)] == [
            "queued",
            "running-early",
        ]
        assert store.list_unsettled_executions(at(10), limit=10) == []

    def test_a_recheck_moves_an_execution_to_the_back_of_the_unsettled(self, store: Store) -> None:
        runs = [
            replace(execution(f"running-{i}"), state=State.RUNNING, reconciled_at=at(i))
            for i in range(3)
        ]
        for run in runs:
            store.create_execution(run, expire_at=at(86_400))
        still_running = runs[0].with_job_report(JobStatus(runs[0].id, "RUNNING"), at=at(40))
        assert store.save_execution(still_running, expected_state=State.RUNNING)
        assert [e.id for e in store.list_unsettled_executions(at(50), limit=3)] == [
            "running-1",
            "running-2",
            "running-0",
        ]

    def test_list_org_executions_spans_workflows_newest_first_with_cursor(
        self, store: Store
    ) -> None:
        workflows = ["wf-a", "wf-b", "wf-c"]
        for i in range(6):
            run = replace(execution(f"exec-{i}"), workflow_id=workflows[i % 3], created_at=at(i))
            store.create_execution(run, expire_at=at(86_400))
        store.create_execution(replace(execution("theirs"), org=OTHER_ORG), at(86_400))
        seen: list[str] = []
        after = None
        while True:
            page = store.list_org_executions(ORG, limit=4, after_id=after)
            seen += [e.id for e in page]
            if len(page) < 4:
                break
            after = page[-1].id
        assert seen == [f"exec-{i}" for i in reversed(range(6))]
        limited = store.list_org_executions(ORG, limit=10, workflow_ids=("wf-a", "wf-c"))
        assert [e.id for e in limited] == ["exec-5", "exec-3", "exec-2", "exec-0"]
        after_three = store.list_org_executions(
            ORG, limit=10, workflow_ids=("wf-a", "wf-c"), after_id="exec-3"
        )
        assert [e.id for e in after_three] == ["exec-2", "exec-0"]
        assert store.list_org_executions(ORG, limit=10, workflow_ids=()) == []
        assert [e.id for e in store.list_org_executions(OTHER_ORG, limit=10)] == ["theirs"]
        assert store.list_org_executions(ORG, limit=10, after_id="theirs") == []

    def test_list_org_executions_limited_to_more_workflows_than_one_in_filter_takes(
        self, store: Store
    ) -> None:
        many = tuple(f"wf-{i:02d}" for i in range(31))  # Firestore's `in` takes 30 at most
        for i, workflow_id in enumerate(("wf-00", "wf-30", "wf-other")):
            run = replace(execution(f"exec-{i}"), workflow_id=workflow_id, created_at=at(i))
            store.create_execution(run, expire_at=at(86_400))
        found = store.list_org_executions(ORG, limit=10, workflow_ids=many)
        assert [e.id for e in found] == ["exec-1", "exec-0"]
        assert [e.id for e in store.list_org_executions(ORG, limit=1, workflow_ids=many)] == [
            "exec-1"
        ]

    def test_delivery_attempts_are_appended_and_survive_state_writes(self, store: Store) -> None:
        run = execution()
        store.create_execution(run, expire_at=at(86_400))
        first = DeliveryAttempt("https://a.example/h", 1, at(2), "succeeded", 500, None)
        second = DeliveryAttempt("https://a.example/h", 2, at(3), "succeeded", None, "timeout")
        store.record_delivery_attempt(ORG, run.id, first)
        store.record_delivery_attempt(ORG, run.id, second)
        stored = store.get_execution(ORG, run.id)
        assert stored is not None and stored.deliveries == (first, second)
        # A state write afterwards keeps the recorded attempts.
        assert store.save_execution(replace(stored, deliveries=()), expected_state="created")
        again = store.get_execution(ORG, run.id)
        assert again is not None and again.deliveries == (first, second)

    def test_recording_an_equal_attempt_again_adds_nothing(self, store: Store) -> None:
        run = execution()
        store.create_execution(run, expire_at=at(86_400))
        attempt = DeliveryAttempt("https://a.example/h", 1, at(2), "failed", 503, None)
        store.record_delivery_attempt(ORG, run.id, attempt)
        store.record_delivery_attempt(ORG, run.id, attempt)
        stored = store.get_execution(ORG, run.id)
        assert stored is not None and stored.deliveries == (attempt,)

    def test_delivery_attempt_of_a_missing_execution_raises(self, store: Store) -> None:
        attempt = DeliveryAttempt("https://a.example/h", 1, at(2), "failed", 503, None)
        with pytest.raises(exceptions.NotFound):
            store.record_delivery_attempt(ORG, "missing", attempt)
        assert store.get_execution(ORG, "missing") is None
