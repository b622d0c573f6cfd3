"""CARTO's CALL (service/carto.py) on fakes: resolved to the same execute as the native API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, OnFakes, on_fakes
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.execution.states import State
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest

NAMES = ["number_of_clusters", "buffer_radius", "store_type"]
CONNECTIONS = (
    Connection(
        "demo", "local", "demo-project", location="EU", read_allowlist=("demo-project.retail",)
    ),
    Connection(
        "demo", "second", "demo-project", dataset="other", read_allowlist=("demo-project.*",)
    ),
    Connection("other", "local", "other-project"),
)


def carto_world() -> OnFakes:
    world = on_fakes(outcome="succeeded", connections=CONNECTIONS)
    enable(world, "clusters")
    return world


def enable(
    world: OnFakes, workflow_id: str, definition: Any = DEMO, connection: str = "local"
) -> str:
    world.app.workflows.put("demo", workflow_id, definition, connection)
    record = world.app.workflows.enable_api("demo", workflow_id)
    assert record.api is not None
    return record.api.procedure


def procedure_of(world: OnFakes, workflow_id: str = "clusters") -> str:
    api = world.app.workflows.get("demo", workflow_id).api
    assert api is not None
    return api.procedure


def call_query(world: OnFakes, names: list[str] = NAMES, procedure: str | None = None) -> str:
    return format_call(procedure or procedure_of(world), names)


def call(world: OnFakes, query_text: str | None = None, parameters: Any = GOOD, **kw: Any) -> Any:
    org = kw.pop("org", "demo")
    connection = kw.pop("connection", "local")
    return world.app.carto.execute_call(
        org, connection, query_text or call_query(world), parameters
    )


def refused(world: OnFakes, *args: Any, **kwargs: Any) -> ServiceError:
    before = (dict(world.store.executions), len(world.warehouse.jobs))
    with pytest.raises(ServiceError) as raised:
        call(world, *args, **kwargs)
    assert (dict(world.store.executions), len(world.warehouse.jobs)) == before  # no writes
    return raised.value


def test_the_seeds_call_runs_the_same_job_as_the_native_api() -> None:
    world = carto_world()
    done = call(world)
    execution = done.result.execution
    assert done.connection.id == "local" and done.connection.location == "EU"
    assert execution.workflow_id == "clusters" and execution.state == State.SUCCEEDED
    assert execution.parameters == {
        "number_of_clusters": 2,
        "buffer_radius": 500.0,
        "store_type": "Supermarket",
    }
    job = world.warehouse.jobs[execution.bigquery_job_id]
    assert job.sql.endswith(
        "(@number_of_clusters, @buffer_radius, @store_type, @wfapi_output_table)"
    )
    native = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD))
    assert native.reused and native.execution.id == execution.id  # one cache, both surfaces


def test_identical_calls_share_one_execution_and_output_table() -> None:
    world = carto_world()
    first = call(world).result
    again = call(world, call_query(world).replace("CALL", "call") + ";").result
    assert again.reused and again.execution.id == first.execution.id
    assert again.execution.output_table == first.execution.output_table
    assert len(world.warehouse.jobs) == 1


def test_the_workflows_cache_setting_applies() -> None:
    world = carto_world()
    procedure = enable(world, "uncached", {**DEMO, "settings": {"cache": False}})
    first = call(world, call_query(world, procedure=procedure)).result
    second = call(world, call_query(world, procedure=procedure)).result
    assert not second.reused and second.execution.id != first.execution.id
    assert second.execution.output_table != first.execution.output_table


def test_prepare_checks_everything_and_writes_nothing() -> None:
    world = carto_world()
    prepared = world.app.carto.prepare_call("demo", "local", call_query(world), GOOD)
    assert prepared.workflow_id == "clusters"
    assert prepared.call.parameter_names == NAMES
    assert prepared.parameters == GOOD
    assert world.store.executions == {} and world.warehouse.jobs == {}


def test_unknown_connection_is_not_found() -> None:
    world = carto_world()
    for name in ("nope", "../x", "A" * 300, ""):
        error = refused(world, connection=name)
        assert (error.kind, error.code) == ("not_found", "connection_not_found")


def test_a_query_that_is_not_one_call_is_invalid() -> None:
    world = carto_world()
    for query in ("SELECT 1", f"{call_query(world)}; SELECT 1", call_query(world).replace("@", "")):
        error = refused(world, query)
        assert (error.kind, error.code, error.field) == ("invalid", "invalid_query", "query")
        assert "CALL `project.dataset.routine`" in error.message or "argument" in error.message


def test_unknown_procedure_is_not_found() -> None:
    world = carto_world()
    unknown = procedure_of(world).rsplit(".", 1)[0] + ".wfproc_nothing_here"
    error = refused(world, call_query(world, procedure=unknown))
    assert (error.kind, error.code, error.field) == ("not_found", "procedure_not_found", "query")
    assert unknown in error.message


def test_another_orgs_procedure_is_not_found() -> None:
    world = carto_world()
    error = refused(world, org="other")
    assert (error.kind, error.code) == ("not_found", "procedure_not_found")


def test_a_procedure_of_another_connection_is_not_found_on_this_one() -> None:
    world = carto_world()
    procedure = enable(world, "elsewhere", connection="second")
    error = refused(world, call_query(world, procedure=procedure))
    assert (error.kind, error.code) == ("not_found", "procedure_not_found")
    assert call(world, call_query(world, procedure=procedure), connection="second").result.execution


def test_a_disabled_workflows_procedure_is_refused_as_api_disabled() -> None:
    world = carto_world()
    world.app.workflows.disable_api("demo", "clusters")
    error = refused(world)
    assert (error.kind, error.code) == ("conflict", "api_disabled")


@pytest.mark.parametrize(
    "names",
    [
        ["buffer_radius", "number_of_clusters", "store_type"],  # order
        ["number_of_clusters", "buffer_radius"],  # one missing
        [*NAMES, "extra"],  # one too many
        [*NAMES, "wfapi_output_table"],  # the reserved output argument
        ["Number_of_clusters", "buffer_radius", "store_type"],  # case
        [],
    ],
)
def test_call_names_must_be_the_declared_parameters_in_order(names: list[str]) -> None:
    world = carto_world()
    parameters = {name: GOOD.get(name, 1) for name in names}
    error = refused(world, call_query(world, names), parameters)
    assert (error.kind, error.code, error.field) == ("invalid", "call_parameters_mismatch", "query")
    assert "(@number_of_clusters,@buffer_radius,@store_type)" in error.message
    assert "positional" in error.message


def test_query_parameters_must_match_the_calls_names() -> None:
    world = carto_world()
    missing = refused(world, parameters={"number_of_clusters": 2, "buffer_radius": 500})
    assert (missing.code, missing.field) == ("query_parameters_mismatch", "queryParameters")
    assert "missing store_type" in missing.message
    assert [d["parameter"] for d in missing.details] == ["store_type"]

    extra = refused(world, parameters={**GOOD, "zzz": 1, "aaa": 2})
    assert "unexpected aaa, zzz" in extra.message
    assert "expected exactly: number_of_clusters, buffer_radius, store_type" in extra.message

    both = refused(world, parameters={"number_of_clusters": 2, "buffer_radius": 1, "x": 1})
    assert "missing store_type; unexpected x" in both.message

    not_object = refused(world, parameters=[2, 500, "Supermarket"])
    assert not_object.code == "query_parameters_mismatch"


def test_a_parameter_of_the_wrong_type_is_refused_like_the_native_api() -> None:
    world = carto_world()
    error = refused(world, parameters={**GOOD, "number_of_clusters": "2"})
    assert (error.kind, error.code, error.field) == (
        "invalid",
        "invalid_parameters",
        "number_of_clusters",
    )
    assert error.details == [
        {
            "code": "invalid_type",
            "parameter": "number_of_clusters",
            "message": 'number_of_clusters: expected INT64, got the string "2"',
            "expected": "INT64",
        }
    ]


def test_an_execution_is_read_through_its_own_connection_only() -> None:
    world = carto_world()
    execution = call(world).result.execution
    found = world.app.carto.execution_for_connection("demo", "local", execution.id)
    assert found.execution.id == execution.id and found.connection.location == "EU"

    for org, connection, execution_id, code in [
        ("demo", "second", execution.id, "execution_not_found"),
        ("demo", "nope", execution.id, "connection_not_found"),
        ("demo", "local", "0" * 32, "execution_not_found"),
        ("demo", "local", "../../x", "execution_not_found"),
        ("other", "local", execution.id, "execution_not_found"),
    ]:
        with pytest.raises(ServiceError) as refused:
            world.app.carto.execution_for_connection(org, connection, execution_id)
        assert (refused.value.kind, refused.value.code) == ("not_found", code)


def test_jobs_list_across_connections_with_each_jobs_connection() -> None:
    world = carto_world()
    procedure = enable(world, "elsewhere", connection="second")
    first = call(world).result.execution
    world.clock.advance(1)
    second = call(world, call_query(world, procedure=procedure), connection="second")
    jobs, next_token = world.app.carto.list_jobs(
        "demo", page_size=10, page_token=None, workflow_ids=None
    )
    listed = [(job.execution.id, job.connection.id, job.connection.location) for job in jobs]
    assert listed == [(second.result.execution.id, "second", "US"), (first.id, "local", "EU")]
    assert next_token is None
    only, _ = world.app.carto.list_jobs(
        "demo", page_size=10, page_token=None, workflow_ids=("clusters",)
    )
    assert [job.execution.id for job in only] == [first.id]
    # A connection removed since still names its jobs (location unknown: BigQuery's default).
    del world.store.connections[("demo", "local")]
    jobs, _ = world.app.carto.list_jobs("demo", page_size=10, page_token=None, workflow_ids=None)
    assert [(job.connection.id, job.connection.location) for job in jobs][-1] == ("local", "US")
