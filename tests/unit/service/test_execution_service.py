"""The execute/status use cases over in-memory stores and a fake warehouse."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from tests.support.apps import DEMO, DEMO_CONNECTION, GOOD, OnFakes, on_fakes, with_demo_workflow
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import JobError, State
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest, ExecuteResult


def execute(world: OnFakes, parameters: dict[str, Any] = GOOD, **options: Any) -> ExecuteResult:
    return world.app.admission.execute("demo", "clusters", ExecuteRequest(parameters, **options))


def test_execute_submits_a_typed_parameterised_call() -> None:
    world = with_demo_workflow()
    result = execute(world)
    execution = result.execution
    assert not result.reused
    assert execution.state == State.RUNNING
    job = world.warehouse.jobs[execution.bigquery_job_id]
    assert job.sql.startswith("CALL `demo-project`.`wfapi_demo`.`wfproc_clusters_")
    assert job.sql.endswith(
        "(@number_of_clusters, @buffer_radius, @store_type, @wfapi_output_table)"
    )
    assert [(a.name, a.type, a.value) for a in job.arguments] == [
        ("number_of_clusters", "INT64", 2),
        ("buffer_radius", "FLOAT64", 500.0),
        ("store_type", "STRING", "Supermarket"),
        ("wfapi_output_table", "STRING", execution.output_table),
    ]
    assert job.labels["wfapi_execution"] == execution.id
    assert execution.output_table.startswith("demo-project.wfapi_demo.wfproc_clusters_")
    assert "_out_" in execution.output_table


def test_identical_request_joins_without_a_new_job() -> None:
    world = with_demo_workflow()
    first = execute(world).execution
    second = execute(
        world, {"store_type": "Supermarket", "buffer_radius": 500.0, "number_of_clusters": 2}
    )
    assert second.reused and second.execution.id == first.id
    assert len(world.warehouse.jobs) == 1
    assert len(world.store.executions) == 1  # the loser's record was removed


def test_a_cache_hit_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    world = with_demo_workflow()
    first = execute(world).execution

    def no_write(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a cache hit wrote to the store")

    for write in ("admit_execution", "create_execution", "claim_cache_entry", "delete_execution"):
        monkeypatch.setattr(world.store, write, no_write)
    again = execute(world)
    assert again.reused and again.execution.id == first.id


def test_different_parameters_make_a_different_table() -> None:
    world = with_demo_workflow()
    first = execute(world).execution
    other = execute(world, {**GOOD, "number_of_clusters": 3}).execution
    assert other.output_table != first.output_table
    assert len(world.warehouse.jobs) == 2


def test_cache_off_runs_anew_into_its_own_table() -> None:
    world = with_demo_workflow()
    first = execute(world).execution
    fresh = execute(world, cache=False)
    assert not fresh.reused
    assert fresh.execution.id != first.id
    assert fresh.execution.output_table != first.output_table
    assert len(world.warehouse.jobs) == 2


def test_failed_execution_is_not_reused() -> None:
    world = with_demo_workflow(outcome=JobError("invalidQuery", "boom", "query"))
    failed = execute(world).execution
    assert failed.state == State.FAILED
    assert failed.error == JobError("invalidQuery", "boom", "query")
    retry = execute(world)
    assert not retry.reused and retry.execution.id != failed.id


def test_succeeded_execution_is_reused_until_its_table_expires() -> None:
    world = with_demo_workflow(outcome="succeeded")
    done = execute(world).execution
    assert done.state == State.SUCCEEDED
    assert execute(world).execution.id == done.id
    world.clock.advance(30 * 86400)
    assert execute(world).execution.id != done.id


def test_fifty_concurrent_identical_requests_make_one_job() -> None:
    world = with_demo_workflow()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: execute(world), range(50)))
    assert len({r.execution.id for r in results}) == 1
    assert len(world.warehouse.jobs) == 1
    assert sum(not r.reused for r in results) == 1


def test_bad_parameters_are_all_reported_and_nothing_is_written() -> None:
    world = with_demo_workflow()
    with pytest.raises(ServiceError) as raised:
        execute(world, {"number_of_clusters": "two", "buffer_radius": True, "colour": "red"})
    error = raised.value
    assert (error.kind, error.code) == ("invalid", "invalid_parameters")
    by_parameter = {d["parameter"]: d for d in error.details}
    assert set(by_parameter) == {"number_of_clusters", "buffer_radius", "colour", "store_type"}
    assert "INT64" in by_parameter["number_of_clusters"]["message"]
    assert '"two"' in by_parameter["number_of_clusters"]["message"]
    assert world.store.executions == {} and world.warehouse.submissions == 0


def test_disabled_api_refuses_executions() -> None:
    world = with_demo_workflow()
    world.app.workflows.disable_api("demo", "clusters")
    with pytest.raises(ServiceError) as raised:
        execute(world)
    assert (raised.value.kind, raised.value.code) == ("conflict", "api_disabled")
    assert world.store.executions == {}


def test_idempotency_key_returns_the_same_execution() -> None:
    world = with_demo_workflow()
    first = execute(world, idempotency_key="abc", cache=False).execution
    again = execute(world, idempotency_key="abc", cache=False)
    assert again.reused and again.execution.id == first.id
    assert len(world.warehouse.jobs) == 1
    with pytest.raises(ServiceError) as raised:
        execute(world, {**GOOD, "number_of_clusters": 5}, idempotency_key="abc")
    assert raised.value.code == "idempotency_key_reused"


def test_unsubmitted_execution_is_submitted_when_read() -> None:
    world = with_demo_workflow()
    world.warehouse.fail_submits = 1
    accepted = execute(world).execution
    assert accepted.state == State.CREATED and accepted.bigquery_job_id not in world.warehouse.jobs
    world.clock.advance(2)
    read = world.app.queries.get("demo", accepted.id)
    assert read.state == State.RUNNING
    assert accepted.bigquery_job_id in world.warehouse.jobs


def test_status_reads_reconcile_at_most_once_a_second() -> None:
    world = with_demo_workflow()
    execution = execute(world).execution
    # The first read records the insert's answer, whenever it comes.
    assert world.app.queries.get("demo", execution.id).state == State.RUNNING
    world.warehouse.outcome = "succeeded"
    assert world.app.queries.get("demo", execution.id).state == State.RUNNING  # just reconciled
    world.clock.advance(1.5)
    finished = world.app.queries.get("demo", execution.id)
    assert finished.state == State.SUCCEEDED
    assert finished.ended_at is not None and finished.started_at is not None


def test_wait_seconds_waits_for_a_terminal_state() -> None:
    world = with_demo_workflow()
    world.warehouse.outcome = "running"
    original = world.warehouse.get_job

    def finish_later(connection: Connection, job_id: str) -> Any:
        if world.clock.now > dt.datetime(2026, 3, 1, 12, 0, 3, tzinfo=dt.UTC):
            world.warehouse.outcome = "succeeded"
        return original(connection, job_id)

    world.warehouse.get_job = finish_later  # type: ignore[method-assign]
    done = execute(world, wait_seconds=10).execution
    assert done.state == State.SUCCEEDED


def test_update_changes_every_cache_key() -> None:
    world = with_demo_workflow()
    before = execute(world).execution
    changed = {**DEMO, "settings": {"output_expiration_days": 7}}
    world.app.workflows.put("demo", "clusters", changed)
    assert execute(world).execution.id == before.id  # the API still runs the deployed version
    world.app.workflows.update_api("demo", "clusters")
    after = execute(world).execution
    assert after.cache_key != before.cache_key and after.output_table != before.output_table


def test_unknown_execution_and_other_org() -> None:
    world = with_demo_workflow()
    execution = execute(world).execution
    for org, execution_id in (("demo", "nope"), ("other", execution.id)):
        with pytest.raises(ServiceError) as raised:
            world.app.queries.get(org, execution_id)
        assert (raised.value.kind, raised.value.code) == ("not_found", "execution_not_found")


def test_two_workflows_with_one_definition_do_not_share_a_cache_key() -> None:
    world = with_demo_workflow()
    world.app.workflows.put("demo", "twin", DEMO)
    world.app.workflows.enable_api("demo", "twin")
    first = execute(world).execution
    twin = world.app.admission.execute("demo", "twin", ExecuteRequest(GOOD)).execution
    assert twin.id != first.id and twin.workflow_id == "twin"
    assert twin.procedure != first.procedure


def test_listing_is_newest_first_filtered_and_paged() -> None:
    world = with_demo_workflow()
    made = []
    for clusters in range(1, 8):
        world.clock.advance(1)
        made.append(execute(world, {**GOOD, "number_of_clusters": clusters}).execution)
    newest_first = [e.id for e in reversed(made)]
    seen: list[str] = []
    token = None
    while True:
        page, token = world.app.queries.list_executions(
            "demo", "clusters", page_size=3, page_token=token
        )
        seen += [e.id for e in page]
        if token is None:
            break
    assert seen == newest_first
    world.app.queries.cancel("demo", made[0].id)
    cancelled, _ = world.app.queries.list_executions(
        "demo", "clusters", page_size=10, state=State.CANCELLED
    )
    assert [e.id for e in cancelled] == [made[0].id]
    window, _ = world.app.queries.list_executions(
        "demo",
        "clusters",
        page_size=10,
        created_after=made[2].created_at,
        created_before=made[4].created_at,
    )
    assert [e.id for e in window] == [made[3].id, made[2].id]


def test_cancel_stops_the_job_and_is_final() -> None:
    world = with_demo_workflow()
    running = execute(world).execution
    cancelled = world.app.queries.cancel("demo", running.id)
    assert cancelled.state == State.CANCELLED and cancelled.ended_at is not None
    assert world.warehouse.cancelled == [running.bigquery_job_id]
    world.clock.advance(5)
    assert world.app.queries.get("demo", running.id).state == State.CANCELLED
    with pytest.raises(ServiceError) as raised:
        world.app.queries.cancel("demo", running.id)
    assert (raised.value.kind, raised.value.code) == ("conflict", "execution_finished")
    # A cancelled execution no longer answers its cache key.
    assert execute(world).execution.id != running.id


def test_cancel_of_a_never_submitted_execution_keeps_it_from_running() -> None:
    world = with_demo_workflow()
    world.warehouse.fail_submits = 1
    accepted = execute(world).execution
    world.app.queries.cancel("demo", accepted.id)
    world.clock.advance(5)
    assert world.app.queries.get("demo", accepted.id).state == State.CANCELLED
    assert accepted.bigquery_job_id not in world.warehouse.jobs


def test_results_pages_return_every_row_once_with_geojson() -> None:
    from workflows_api.domain.execution.results import Column

    world = with_demo_workflow(outcome="succeeded")
    world.warehouse.columns = [Column("id", "INTEGER"), Column("geom", "GEOGRAPHY")]
    world.warehouse.rows = [
        {"id": i, "geom": f'{{"type":"Point","coordinates":[{i},0]}}'} for i in range(7)
    ]
    done = execute(world).execution
    rows: list[dict[str, Any]] = []
    token = None
    while True:
        page = world.app.results.page(
            "demo", done.id, page_size=3, page_token=token, geography_format="geojson"
        )
        rows += page.rows
        token = page.next_page_token
        if token is None:
            break
    assert [r["id"] for r in rows] == list(range(7))
    assert rows[2]["geom"] == {"type": "Point", "coordinates": [2, 0]}
    sql = world.warehouse.queries[0][0]
    assert (
        "ST_ASGEOJSON(t.`geom`) AS `geom`" in sql and "ORDER BY t.`id`, ST_ASTEXT(t.`geom`)" in sql
    )


def test_results_need_a_succeeded_execution_and_a_valid_token() -> None:
    world = with_demo_workflow()
    running = execute(world).execution
    with pytest.raises(ServiceError) as raised:
        world.app.results.page(
            "demo", running.id, page_size=5, page_token=None, geography_format="wkt"
        )
    assert raised.value.code == "execution_not_succeeded"
    world.warehouse.outcome = "succeeded"
    world.clock.advance(2)
    with pytest.raises(ServiceError) as bad_token:
        world.app.results.page(
            "demo", running.id, page_size=5, page_token="nope", geography_format="wkt"
        )
    assert bad_token.value.code == "invalid_page_token"


def test_a_caller_limited_to_other_workflows_cannot_see_the_execution() -> None:
    world = with_demo_workflow()
    execution = execute(world).execution
    with pytest.raises(ServiceError) as raised:
        world.app.queries.get("demo", execution.id, lambda workflow_id: workflow_id == "other")
    assert raised.value.code == "execution_not_found"


def test_job_reports_are_idempotent_and_order_proof() -> None:
    from workflows_api.domain.execution.states import JobStatus

    world = with_demo_workflow()
    execution = execute(world).execution
    job = execution.bigquery_job_id
    at = dt.datetime(2026, 3, 1, 12, 0, 9, tzinfo=dt.UTC)
    done = JobStatus(job, "DONE", None, at, at)
    first = world.app.lifecycle.record_job_status("demo", execution.id, done)
    # Duplicated, then an older RUNNING report arriving late: nothing changes.
    again = world.app.lifecycle.record_job_status("demo", execution.id, done)
    late = world.app.lifecycle.record_job_status("demo", execution.id, JobStatus(job, "RUNNING"))
    assert first is not None and again is not None and late is not None
    assert first.state == again.state == late.state == State.SUCCEEDED
    assert late.ended_at == at
    assert world.app.lifecycle.record_job_status("demo", "nope", done) is None
    assert world.app.lifecycle.record_job_status("other", execution.id, done) is None


def test_a_stopped_job_is_cancelled_and_another_error_failed() -> None:
    from workflows_api.domain.execution.states import JobStatus

    world = with_demo_workflow()
    stopped = execute(world).execution
    failed = execute(world, {**GOOD, "number_of_clusters": 9}).execution
    cancel = JobStatus(stopped.bigquery_job_id, "DONE", JobError("stopped", "Job cancelled"))
    error = JobStatus(failed.bigquery_job_id, "DONE", JobError("invalidQuery", "boom", "query"))
    cancelled = world.app.lifecycle.record_job_status("demo", stopped.id, cancel)
    errored = world.app.lifecycle.record_job_status("demo", failed.id, error)
    assert cancelled is not None and cancelled.state == State.CANCELLED
    assert errored is not None and errored.state == State.FAILED and errored.error == error.error


def test_a_report_racing_an_older_one_is_not_lost() -> None:
    """A RUNNING report lands between our read and our write of DONE: DONE still wins."""
    from workflows_api.domain.execution.states import JobStatus

    world = with_demo_workflow()
    world.warehouse.fail_submits = 1
    created = execute(world).execution
    assert created.state == State.CREATED
    store = world.store
    original_save = store.save_execution
    raced: list[bool] = []

    def save_after_a_racing_writer(execution: Any, *, expected_state: str) -> bool:
        if not raced:
            raced.append(True)
            racing = replace(execution, state=State.RUNNING, ended_at=None, error=None)
            assert original_save(racing, expected_state="created")
        return original_save(execution, expected_state=expected_state)

    store.save_execution = save_after_a_racing_writer  # type: ignore[method-assign]
    done = JobStatus(created.bigquery_job_id, "DONE", JobError("invalidQuery", "boom", "query"))
    result = world.app.lifecycle.record_job_status("demo", created.id, done)
    assert raced and result is not None and result.state == State.FAILED
    assert store.executions[("demo", created.id)].state == State.FAILED


@pytest.mark.parametrize(
    ("workflow_cap", "connection_cap", "submitted"),
    [
        (None, None, None),
        (50_000_000, None, 50_000_000),
        (None, 20_000_000, 20_000_000),
        (50_000_000, 20_000_000, 20_000_000),  # the lower of the two
        (10_485_760, 20_000_000, 10_485_760),
    ],
)
def test_the_job_is_capped_at_the_lower_of_the_workflow_and_connection_caps(
    workflow_cap: int | None, connection_cap: int | None, submitted: int | None
) -> None:
    connection = replace(DEMO_CONNECTION, maximum_bytes_billed=connection_cap)
    world = on_fakes(connections=(connection,))
    definition = {**DEMO, "settings": {**DEMO.get("settings", {})}}
    if workflow_cap is not None:
        definition["settings"]["maximum_bytes_billed"] = workflow_cap
    world.app.workflows.put("demo", "clusters", definition)
    world.app.workflows.enable_api("demo", "clusters")
    execution = execute(world).execution
    assert world.warehouse.jobs[execution.bigquery_job_id].maximum_bytes_billed == submitted


def test_a_run_stopped_by_the_cap_fails_with_bigquerys_error() -> None:
    refusal = JobError(
        "bytesBilledLimitExceeded",
        "Query exceeded limit for bytes billed: 1000. 10485760 or higher required.",
    )
    failed = execute(with_demo_workflow(outcome=refusal)).execution
    assert (failed.state, failed.error) == (State.FAILED, refusal)


def test_execute_reads_the_api_states_signature_and_never_parses_the_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    api = world.app.workflows.get("demo", "clusters").api
    assert api is not None and api.signature is not None
    assert [p["name"] for p in api.signature["parameters"]] == [
        "number_of_clusters",
        "buffer_radius",
        "store_type",
    ]

    def no_parsing(definition: object) -> None:
        raise AssertionError("execute parsed the deployed definition")

    monkeypatch.setattr("workflows_api.domain.workflow.validation.parse_workflow", no_parsing)
    first = execute(world).execution
    assert first.state == State.RUNNING
    with pytest.raises(ServiceError) as bad:
        execute(world, {**GOOD, "number_of_clusters": "x"})
    assert bad.value.code == "invalid_parameters"


def test_an_api_state_stored_without_a_signature_still_executes() -> None:
    world = with_demo_workflow()
    record = world.app.workflows.get("demo", "clusters")
    assert record.api is not None
    world.store.put_workflow(replace(record, api=replace(record.api, signature=None)))
    result = execute(world)
    assert result.execution.state == State.RUNNING
    job = world.warehouse.jobs[result.execution.bigquery_job_id]
    assert [a.name for a in job.arguments][:3] == [
        "number_of_clusters",
        "buffer_radius",
        "store_type",
    ]
