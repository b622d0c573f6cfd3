"""An execute reads the workflow with its cache entry in one round once its process has
read the workflow before (service/execute_plans.py), and still decides on the record
it reads: an update, a disable or a delete between two executes is seen by the second."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, OnFakes, with_demo_workflow
from workflows_api.domain.access.connections import Connection
from workflows_api.service.errors import ServiceError
from workflows_api.service.execution_requests import ExecuteRequest, ExecuteResult

READS = ("get_workflow", "cache_entry_with_connection", "workflow_with_cache_entry")


def counted(world: OnFakes, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times the store was asked for each of an execute's reads."""
    calls: Counter[str] = Counter()
    for name in READS:
        method = getattr(world.store, name)

        def wrapper(*args: Any, _name: str = name, _method: Any = method) -> Any:
            calls[_name] += 1
            return _method(*args)

        monkeypatch.setattr(world.store, name, wrapper)
    return calls


def execute(world: OnFakes, **parameters: Any) -> ExecuteResult:
    request = ExecuteRequest({**GOOD, **parameters})
    return world.app.admission.execute("demo", "clusters", request)


def test_a_second_execute_reads_the_workflow_and_its_cache_entry_in_one_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    calls = counted(world, monkeypatch)
    first = execute(world)
    assert calls == Counter({"get_workflow": 1, "cache_entry_with_connection": 1})
    calls.clear()
    second = execute(world)  # the same parameters: the first run answers
    assert calls == Counter({"workflow_with_cache_entry": 1})
    assert second.reused and second.execution.id == first.execution.id
    calls.clear()
    third = execute(world, buffer_radius=700)
    assert calls == Counter({"workflow_with_cache_entry": 1})
    assert not third.reused and third.execution.id != first.execution.id


def widened(world: OnFakes) -> tuple[int, str]:
    """Deploy the demo with number_of_clusters allowed 10 higher: (the old maximum, the
    new deployed version)."""
    wider = copy.deepcopy(DEMO)
    clusters = next(p for p in wider["parameters"] if p["name"] == "number_of_clusters")
    limit = int(clusters["maximum"])
    clusters["maximum"] = limit + 10
    world.app.workflows.put("demo", "clusters", wider)
    updated = world.app.workflows.update_api("demo", "clusters")
    assert updated.api is not None
    return limit, updated.api.deployed_version


def test_an_update_between_two_executes_is_what_the_second_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    first = execute(world)
    _, version = widened(world)
    calls = counted(world, monkeypatch)
    second = execute(world)  # the kept record's cache key is the old version's
    assert calls == Counter({"workflow_with_cache_entry": 1, "cache_entry_with_connection": 1})
    assert not second.reused  # not the old version's run
    assert second.execution.version == version != first.execution.version
    assert second.execution.cache_key != first.execution.cache_key


def test_values_the_kept_record_refuses_are_checked_against_the_record_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execute(world)
    limit, version = widened(world)
    calls = counted(world, monkeypatch)
    allowed_now = execute(world, number_of_clusters=limit + 5)
    assert calls == Counter({"get_workflow": 1, "cache_entry_with_connection": 1})
    assert allowed_now.execution.version == version
    assert allowed_now.execution.parameters["number_of_clusters"] == limit + 5


def test_a_disable_or_a_delete_between_two_executes_is_seen() -> None:
    world = with_demo_workflow()
    execute(world)
    world.app.workflows.disable_api("demo", "clusters")
    with pytest.raises(ServiceError) as refused:
        execute(world)
    assert refused.value.kind == "conflict"
    world.app.workflows.enable_api("demo", "clusters")
    assert execute(world).reused
    world.app.workflows.delete("demo", "clusters")
    with pytest.raises(ServiceError) as missing:
        execute(world)
    assert missing.value.kind == "not_found"


def test_a_request_that_looks_no_entry_up_reads_the_workflow_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execute(world)  # the process keeps the record
    calls = counted(world, monkeypatch)
    keyed = ExecuteRequest({**GOOD, "buffer_radius": 650}, idempotency_key="k-1")
    world.app.admission.execute("demo", "clusters", keyed)
    assert calls == Counter({"get_workflow": 1})
    calls.clear()
    fresh = ExecuteRequest({**GOOD, "buffer_radius": 660}, cache=False)
    world.app.admission.execute("demo", "clusters", fresh)
    assert calls == Counter({"get_workflow": 1})


def test_a_connection_found_missing_in_the_batched_read_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = with_demo_workflow()
    execute(world)
    world.store.connections.clear()
    asked: list[str] = []
    original = world.store.get_connection

    def get_connection(org: str, connection_id: str) -> Connection | None:
        asked.append(connection_id)
        return original(org, connection_id)

    monkeypatch.setattr(world.store, "get_connection", get_connection)
    with pytest.raises(ServiceError) as missing:
        execute(world, buffer_radius=910)
    assert missing.value.code == "connection_not_found"
    assert asked == []  # the batch said there is none
