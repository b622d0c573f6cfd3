"""A cached result is served only while its sources are unchanged (issue 28), on fakes:
the fake warehouse's tables.get (`touch_table`) stands for a DML, load or overwrite."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from tests.support.apps import GOOD, OnFakes, with_demo_workflow
from workflows_api.domain.execution.freshness import CacheMiss, TableMetadata, cache_miss
from workflows_api.domain.execution.states import Execution, JobStatus, State
from workflows_api.service.execution_requests import ExecuteRequest, ExecuteResult

STORES = "demo-project.retail.stores"


def execute(world: OnFakes, parameters: dict[str, Any] = GOOD, **options: Any) -> ExecuteResult:
    return world.app.admission.execute("demo", "clusters", ExecuteRequest(parameters, **options))


def succeeding(outcome: str = "succeeded") -> OnFakes:
    """The demo workflow; each job starts when first seen (the fake clock) and succeeds
    (or keeps running)."""
    world = with_demo_workflow(outcome=outcome)
    original = world.warehouse.get_job
    started: dict[str, dt.datetime] = {}

    def get_job(connection: Any, job_id: str) -> JobStatus | None:
        status = original(connection, job_id)
        if status is None:
            return None
        at = started.setdefault(job_id, world.clock.now)
        return replace(status, started_at=at, ended_at=at + dt.timedelta(seconds=3))

    world.warehouse.get_job = get_job  # type: ignore[method-assign]
    return world


def test_the_sources_are_kept_with_the_api_state() -> None:
    world = with_demo_workflow()
    record = world.app.workflows.get("demo", "clusters")
    assert record.api is not None and record.api.signature is not None
    assert record.api.signature["sources"] == [STORES]


def test_a_hit_on_unchanged_sources_says_when_it_was_computed() -> None:
    world = succeeding()
    first = execute(world).execution
    world.clock.advance(60)
    dry_runs: list[str] = []

    def dry_run(connection: object, table: str) -> list[object]:
        dry_runs.append(table)
        return []

    world.warehouse.table_columns = dry_run  # type: ignore[method-assign,assignment]
    again = execute(world)
    assert again.reused and again.execution.id == first.id
    assert again.cached_at == first.started_at and again.cache_miss is None
    # One round, on the hit only: its sources and the output table it answers with.
    assert world.warehouse.table_reads == [(STORES, first.output_table)]
    assert dry_runs == []


def test_new_parameters_read_no_table_metadata() -> None:
    world = succeeding()
    execute(world)
    execute(world, {**GOOD, "number_of_clusters": 3})
    assert world.warehouse.table_reads == []


def test_a_changed_source_is_a_miss_naming_it_then_the_new_run_is_a_hit() -> None:
    world = succeeding()
    first = execute(world).execution
    world.clock.advance(60)
    world.warehouse.touch_table(STORES, world.clock.now)  # an INSERT into retail.stores
    world.clock.advance(1)
    second = execute(world)
    assert not second.reused and second.execution.id != first.id
    assert first.started_at is not None
    changed_at = first.started_at + dt.timedelta(seconds=60)
    assert second.cache_miss == CacheMiss("source_changed", STORES, changed_at)
    # The stale run's table keeps its rows: the new run writes a table of its own.
    assert second.execution.output_table != first.output_table
    assert len(world.warehouse.jobs) == 2
    world.clock.advance(5)
    third = execute(world)
    assert third.reused and third.execution.id == second.execution.id
    assert third.cache_miss is None


def test_a_change_during_a_run_is_a_miss_but_a_run_not_started_is_joined() -> None:
    world = with_demo_workflow(outcome="running")  # the fake's jobs started 2026-01-01
    running = execute(world).execution
    assert running.state == State.RUNNING
    world.clock.advance(1)
    world.warehouse.touch_table(STORES, world.clock.now)
    after = execute(world)
    assert not after.reused and after.cache_miss is not None
    assert after.cache_miss.reason == "source_changed"
    # The new run has not been seen to start (created): it reads the data when it runs.
    queued = replace(after.execution, state=State.CREATED, started_at=None)
    assert cache_miss(queued, {}, now=world.clock.now) is None


def test_a_view_or_an_external_source_is_never_served_from_the_cache() -> None:
    for kind in ("VIEW", "EXTERNAL", "MATERIALIZED_VIEW"):
        world = succeeding()
        world.warehouse.touch_table(STORES, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), kind)
        first = execute(world).execution
        again = execute(world)
        assert not again.reused and again.execution.id != first.id
        assert again.cache_miss == CacheMiss("source_not_cacheable", STORES)


def test_a_missing_source_is_a_miss() -> None:
    world = succeeding()
    execute(world)
    world.warehouse.missing_tables.add(STORES)
    again = execute(world)
    assert not again.reused and again.cache_miss == CacheMiss("source_missing", STORES)


def test_a_bounded_age_refuses_an_older_result() -> None:
    world = succeeding()
    first = execute(world).execution
    world.clock.advance(600)
    assert execute(world, cache_max_age_seconds=601).execution.id == first.id
    younger = execute(world, cache_max_age_seconds=599)
    assert not younger.reused and younger.cache_miss == CacheMiss("too_old")


def test_an_idempotent_request_checks_freshness_in_its_claim() -> None:
    world = succeeding()
    first = execute(world).execution
    world.clock.advance(60)
    world.warehouse.touch_table(STORES, world.clock.now)
    world.clock.advance(1)
    keyed = execute(world, idempotency_key="k1")
    assert not keyed.reused and keyed.execution.output_table != first.output_table
    assert keyed.cache_miss is not None and keyed.cache_miss.source == STORES
    replayed = execute(world, idempotency_key="k1")
    assert replayed.reused and replayed.execution.id == keyed.execution.id
    stored = world.store.executions
    assert len(stored) == 2  # the moved record was rewritten, not duplicated


def test_identical_requests_after_a_change_make_one_new_job() -> None:
    world = succeeding("running")
    execute(world)
    world.clock.advance(1)
    world.warehouse.touch_table(STORES, world.clock.now)
    world.clock.advance(1)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: execute(world), range(8)))
    assert len({r.execution.id for r in results}) == 1
    assert len(world.warehouse.jobs) == 2


def test_an_api_state_without_sources_derives_them() -> None:
    world = succeeding()
    record = world.app.workflows.get("demo", "clusters")
    assert record.api is not None and record.api.signature is not None
    older = {k: v for k, v in record.api.signature.items() if k != "sources"}
    world.store.put_workflow(replace(record, api=replace(record.api, signature=older)))
    execute(world)
    world.clock.advance(60)
    world.warehouse.touch_table(STORES, world.clock.now)
    assert execute(world).cache_miss == CacheMiss("source_changed", STORES, world.clock.now)


def test_the_decision_itself() -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    done = Execution(
        id="e" * 32, org="o", workflow_id="w", version="v", parameters={}, cache_key="k",
        output_table="p.d.t", procedure="p.d.r", connection="c", created_at=start,
        bigquery_job_id="j", state=State.SUCCEEDED, started_at=start + dt.timedelta(seconds=2),
    )  # fmt: skip
    same = {STORES: TableMetadata(STORES, "TABLE", start + dt.timedelta(seconds=2))}
    later = {STORES: TableMetadata(STORES, "TABLE", start + dt.timedelta(seconds=3))}
    now = start + dt.timedelta(hours=1)
    assert cache_miss(done, same, now=now) is None  # modified no later than the start
    assert cache_miss(done, later, now=now) == CacheMiss(
        "source_changed", STORES, start + dt.timedelta(seconds=3)
    )
    assert cache_miss(done, same, now=now, max_age=dt.timedelta(hours=2)) is None
    assert cache_miss(done, same, now=now, max_age=dt.timedelta(minutes=5)) == CacheMiss("too_old")
    queued = replace(done, state=State.QUEUED, started_at=None)
    assert cache_miss(queued, later, now=now) is None
