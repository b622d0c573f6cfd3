"""CARTO's CALL over the in-memory stores: resolved to the same execute as the native API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.fakes import FakeWarehouse, InMemoryStore
from tests.unit.test_execution_service import Clock
from workflows_api.domain.calls import format_call
from workflows_api.domain.executions import State
from workflows_api.service.dialects import DialectService
from workflows_api.service.errors import ServiceError
from workflows_api.service.executions import ExecuteRequest, ExecutionService
from workflows_api.service.ports import Connection
from workflows_api.service.workflows import WorkflowService

DEMO: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "examples" / "store_clusters.yaml").read_text(encoding="utf-8")
)
GOOD = {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}
NAMES = ["number_of_clusters", "buffer_radius", "store_type"]


class World:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.warehouse = FakeWarehouse(outcome="succeeded")
        self.clock = Clock()
        self.store.put_connection(Connection("demo", "local", "demo-project", location="EU"))
        self.store.put_connection(Connection("demo", "second", "demo-project", dataset="other"))
        self.store.put_connection(Connection("other", "local", "other-project"))
        self.workflows = WorkflowService(self.store, self.store, self.warehouse, self.clock)
        self.executions = ExecutionService(
            self.workflows, self.store, self.warehouse, self.clock, sleep=self.clock.advance
        )
        self.dialects = DialectService(self.workflows, self.store, self.executions)
        self.procedure = self.enable("clusters")

    def enable(self, workflow_id: str, definition: Any = DEMO, connection: str = "local") -> str:
        self.workflows.put("demo", workflow_id, definition, connection)
        record = self.workflows.enable_api("demo", workflow_id)
        assert record.api is not None
        return record.api.procedure

    def query(self, names: list[str] = NAMES, procedure: str | None = None) -> str:
        return format_call(procedure or self.procedure, names)

    def call(self, query: str | None = None, parameters: Any = GOOD, **kw: Any) -> Any:
        org = kw.pop("org", "demo")
        connection = kw.pop("connection", "local")
        return self.dialects.execute_call(org, connection, query or self.query(), parameters)

    def refused(self, *args: Any, **kwargs: Any) -> ServiceError:
        before = (dict(self.store.executions), len(self.warehouse.jobs))
        with pytest.raises(ServiceError) as refused:
            self.call(*args, **kwargs)
        assert (dict(self.store.executions), len(self.warehouse.jobs)) == before  # no writes
        return refused.value


def test_the_seeds_call_runs_the_same_job_as_the_native_api() -> None:
    world = World()
    done = world.call()
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
    native = world.executions.execute("demo", "clusters", ExecuteRequest(GOOD))
    assert native.reused and native.execution.id == execution.id  # one cache, both surfaces


def test_identical_calls_share_one_execution_and_output_table() -> None:
    world = World()
    first = world.call().result
    again = world.call(world.query().replace("CALL", "call") + ";").result
    assert again.reused and again.execution.id == first.execution.id
    assert again.execution.output_table == first.execution.output_table
    assert len(world.warehouse.jobs) == 1


def test_the_workflows_cache_setting_applies() -> None:
    world = World()
    procedure = world.enable("uncached", {**DEMO, "settings": {"cache": False}})
    first = world.call(world.query(procedure=procedure)).result
    second = world.call(world.query(procedure=procedure)).result
    assert not second.reused and second.execution.id != first.execution.id
    assert second.execution.output_table != first.execution.output_table


def test_prepare_checks_everything_and_writes_nothing() -> None:
    world = World()
    prepared = world.dialects.prepare_call("demo", "local", world.query(), GOOD)
    assert prepared.workflow_id == "clusters"
    assert prepared.call.parameter_names == NAMES
    assert prepared.parameters == GOOD
    assert world.store.executions == {} and world.warehouse.jobs == {}


def test_unknown_connection_is_not_found() -> None:
    world = World()
    for name in ("nope", "../x", "A" * 300, ""):
        error = world.refused(connection=name)
        assert (error.kind, error.code) == ("not_found", "connection_not_found")


def test_a_query_that_is_not_one_call_is_invalid() -> None:
    world = World()
    for query in ("SELECT 1", f"{world.query()}; SELECT 1", world.query().replace("@", "")):
        error = world.refused(query)
        assert (error.kind, error.code, error.field) == ("invalid", "invalid_query", "query")
        assert "CALL `project.dataset.routine`" in error.message or "argument" in error.message


def test_unknown_procedure_is_not_found() -> None:
    world = World()
    unknown = world.procedure.rsplit(".", 1)[0] + ".wfproc_nothing_here"
    error = world.refused(world.query(procedure=unknown))
    assert (error.kind, error.code, error.field) == ("not_found", "procedure_not_found", "query")
    assert unknown in error.message


def test_another_orgs_procedure_is_not_found() -> None:
    world = World()
    error = world.refused(org="other")
    assert (error.kind, error.code) == ("not_found", "procedure_not_found")


def test_a_procedure_of_another_connection_is_not_found_on_this_one() -> None:
    world = World()
    procedure = world.enable("elsewhere", connection="second")
    error = world.refused(world.query(procedure=procedure))
    assert (error.kind, error.code) == ("not_found", "procedure_not_found")
    assert world.call(world.query(procedure=procedure), connection="second").result.execution


def test_a_disabled_workflows_procedure_is_refused_as_api_disabled() -> None:
    world = World()
    world.workflows.disable_api("demo", "clusters")
    error = world.refused()
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
    world = World()
    parameters = {name: GOOD.get(name, 1) for name in names}
    error = world.refused(world.query(names), parameters)
    assert (error.kind, error.code, error.field) == ("invalid", "call_parameters_mismatch", "query")
    assert "(@number_of_clusters,@buffer_radius,@store_type)" in error.message
    assert "positional" in error.message


def test_query_parameters_must_match_the_calls_names() -> None:
    world = World()
    missing = world.refused(parameters={"number_of_clusters": 2, "buffer_radius": 500})
    assert (missing.code, missing.field) == ("query_parameters_mismatch", "queryParameters")
    assert "missing store_type" in missing.message
    assert [d["parameter"] for d in missing.details] == ["store_type"]

    extra = world.refused(parameters={**GOOD, "zzz": 1, "aaa": 2})
    assert "unexpected aaa, zzz" in extra.message
    assert "expected exactly: number_of_clusters, buffer_radius, store_type" in extra.message

    both = world.refused(parameters={"number_of_clusters": 2, "buffer_radius": 1, "x": 1})
    assert "missing store_type; unexpected x" in both.message

    not_object = world.refused(parameters=[2, 500, "Supermarket"])
    assert not_object.code == "query_parameters_mismatch"


def test_a_parameter_of_the_wrong_type_is_refused_like_the_native_api() -> None:
    world = World()
    error = world.refused(parameters={**GOOD, "number_of_clusters": "2"})
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
    world = World()
    execution = world.call().result.execution
    found = world.dialects.execution_for_connection("demo", "local", execution.id)
    assert found.execution.id == execution.id and found.connection.location == "EU"

    for org, connection, execution_id, code in [
        ("demo", "second", execution.id, "execution_not_found"),
        ("demo", "nope", execution.id, "connection_not_found"),
        ("demo", "local", "0" * 32, "execution_not_found"),
        ("demo", "local", "../../x", "execution_not_found"),
        ("other", "local", execution.id, "execution_not_found"),
    ]:
        with pytest.raises(ServiceError) as refused:
            world.dialects.execution_for_connection(org, connection, execution_id)
        assert (refused.value.kind, refused.value.code) == ("not_found", code)
