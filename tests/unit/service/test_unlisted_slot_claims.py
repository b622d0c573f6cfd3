"""An execute whose plan read the org's limits claims an org slot without listing the
held ones (service/admission.py `_room`): the slot's create-if-absent decides. It lists
them when that slot was held, while a lowered limit drains, and for a workflow with a
limit of its own; the limits stay exact in every case."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, OnFakes, with_demo_workflow
from workflows_api.domain.execution.limits import OrgLimits, Slot
from workflows_api.domain.execution.states import Execution, State
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api.service.limits import LEASE_GRACE

ORG = "demo"


def _world(limit: int, monkeypatch: pytest.MonkeyPatch) -> tuple[OnFakes, Counter[str]]:
    """The demo workflow (API enabled, read once by an execute) under org limit `limit`,
    and a count of the slot listings from then on."""
    world = with_demo_workflow()
    world.app.lifecycle.limits.set_limits(ORG, max_concurrent=limit)  # lowered: drains
    world.clock.advance(LEASE_GRACE.total_seconds() + 1)
    # Its process has read the workflow (the next plans guess), and its listing of the
    # held slots ended the drain of the lowering from the default limit.
    first = _execute(world, 0)
    world.app.queries.cancel(ORG, first.id)
    assert world.store.get_org_limits(ORG) == OrgLimits(ORG, limit)
    assert world.store.list_slots(ORG) == []
    calls: Counter[str] = Counter()
    listing = world.store.list_slots

    def counted(org: str) -> list[Slot]:
        calls["list_slots"] += 1
        return listing(org)

    monkeypatch.setattr(world.store, "list_slots", counted)
    return world, calls


def _execute(world: OnFakes, i: int, workflow_id: str = "clusters") -> Execution:
    world.clock.advance(0.01)
    params = {**GOOD, "buffer_radius": 500 + i}  # distinct: no cache key shared
    return world.app.admission.execute(ORG, workflow_id, ExecuteRequest(params)).execution


def _running(world: OnFakes) -> int:
    return sum(1 for e in world.store.executions.values() if e.state == State.RUNNING)


def _cancel_all(world: OnFakes) -> None:
    while ongoing := [e for e in world.store.executions.values() if not e.is_terminal]:
        world.app.queries.cancel(ORG, ongoing[0].id)


def test_an_org_with_room_claims_a_slot_without_listing_the_held_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, calls = _world(20, monkeypatch)
    picks = iter(["org-7", "org-3", "org-12"])  # distinct: a random pick may collide
    monkeypatch.setattr("workflows_api.service.limits.random.choice", lambda ids: next(picks))
    runs = [_execute(world, i) for i in range(1, 4)]
    assert [r.state for r in runs] == [State.RUNNING] * 3
    held = world.store.list_slots(ORG)
    assert {s.slot_id: s.execution_id for s in held} == {
        "org-7": runs[0].id,
        "org-3": runs[1].id,
        "org-12": runs[2].id,
    }
    assert calls["list_slots"] == 1  # the line above: no execute listed them


def test_a_held_slot_makes_it_list_them_and_take_a_free_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, calls = _world(2, monkeypatch)
    # Every pick is org-0 when it is among the choices: unlisted, the second execute
    # picks the first's slot; listed, the one free slot.
    monkeypatch.setattr(
        "workflows_api.service.limits.random.choice",
        lambda ids: "org-0" if "org-0" in ids else ids[0],
    )
    first = _execute(world, 1)
    assert calls["list_slots"] == 0
    second = _execute(world, 2)
    assert (first.state, second.state) == (State.RUNNING, State.RUNNING)
    assert calls["list_slots"] == 1
    slots = {s.slot_id: s.execution_id for s in world.store.list_slots(ORG)}
    assert slots == {"org-0": first.id, "org-1": second.id}


def test_a_full_org_queues_after_listing_and_never_runs_past_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, calls = _world(3, monkeypatch)
    runs = [_execute(world, i) for i in range(1, 9)]
    assert [r.state for r in runs[:3]] == [State.RUNNING] * 3
    assert [r.state for r in runs[3:]] == [State.QUEUED] * 5
    assert len(world.warehouse.jobs) == 3 + 1  # and the cancelled first one's
    assert calls["list_slots"] >= 5  # every queued one listed the held slots


def test_a_lowered_limit_is_listed_until_it_drains_then_claimed_unlisted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, calls = _world(3, monkeypatch)
    [_execute(world, i) for i in range(1, 4)]
    [org_0] = [s.execution_id for s in world.store.list_slots(ORG) if s.slot_id == "org-0"]
    world.app.queries.cancel(ORG, org_0)  # org-0, the one slot under the new limit, is free
    world.app.lifecycle.limits.set_limits(ORG, max_concurrent=1)
    stored = world.store.get_org_limits(ORG)
    assert stored is not None and stored.draining_from == 3 and not stored.settled
    calls.clear()
    assert _execute(world, 10).state == State.QUEUED  # 2 held past it: it drains first
    assert calls["list_slots"] >= 1
    _cancel_all(world)  # the queued one is promoted, then cancelled too
    assert world.store.list_slots(ORG) == []
    recent = _execute(world, 11)
    assert recent.state == State.RUNNING  # listed: the drain is recent
    assert world.store.get_org_limits(ORG) == stored  # not ended within the grace
    world.app.queries.cancel(ORG, recent.id)
    world.clock.advance(LEASE_GRACE.total_seconds() + 1)
    ending = _execute(world, 12)
    assert ending.state == State.RUNNING  # listed, and ended the drain
    assert world.store.get_org_limits(ORG) == OrgLimits(ORG, 1, stored.max_queued)
    world.app.queries.cancel(ORG, ending.id)
    calls.clear()
    assert _execute(world, 13).state == State.RUNNING  # settled: claimed unlisted
    assert calls["list_slots"] == 0
    assert _execute(world, 14).state == State.QUEUED  # org-0 held: listed, queued
    assert calls["list_slots"] >= 1


def _limited(world: OnFakes, limit: int) -> None:
    """The demo saved as workflow `limited`, with a limit of its own (not deployed)."""
    limited: dict[str, Any] = copy.deepcopy(DEMO)
    limited.setdefault("settings", {})["max_concurrent_executions"] = limit
    world.app.workflows.put(ORG, "limited", limited)


def test_a_workflow_with_its_own_limit_lists_the_held_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, calls = _world(5, monkeypatch)
    _limited(world, 2)
    world.app.workflows.enable_api(ORG, "limited")
    runs = [_execute(world, i, "limited") for i in range(1, 3)]
    held = world.store.list_slots(ORG)
    [first] = [s.execution_id for s in held if s.slot_id == "workflow-0-limited"]
    world.app.queries.cancel(ORG, first)  # the one slot under the lowered limit is free
    _limited(world, 1)  # lowered: the other run's slot past it drains first
    world.app.workflows.update_api(ORG, "limited")
    calls.clear()
    queued = _execute(world, 3, "limited")  # its plan guessed: it still lists them
    assert queued.state == State.QUEUED and queued.queue_reason == "workflow_limit"
    assert calls["list_slots"] >= 1
    assert [r.state for r in runs] == [State.RUNNING] * 2


def test_changing_a_limit_records_a_drain_only_when_lowered() -> None:
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    later = now + dt.timedelta(hours=1)
    default = OrgLimits(ORG)
    assert default.changed_to(30, 5, now) == OrgLimits(ORG, 30, 5)
    lowered = default.changed_to(5, 5, now)
    assert lowered == OrgLimits(ORG, 5, 5, draining_from=default.max_concurrent, lowered_at=now)
    # Raised, but not past what may still be held: still draining, since the lowering.
    assert lowered.changed_to(10, 5, later) == OrgLimits(ORG, 10, 5, 20, now)
    # Lowered again: the larger of the earlier limits may still be held, from now.
    assert lowered.changed_to(2, 5, later) == OrgLimits(ORG, 2, 5, 20, later)
    assert lowered.changed_to(20, 5, later).settled


def test_a_drain_is_over_once_no_slot_past_the_limit_is_held_after_the_grace() -> None:
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    grace = dt.timedelta(seconds=60)
    lowered = OrgLimits(ORG, 2, 5, draining_from=4, lowered_at=now)
    inside = [Slot("org-1", "a", "w", now), Slot("workflow-3-w", "b", "w", now)]
    past = [*inside, Slot("org-3", "c", "w", now)]
    assert not lowered.drained(inside, now + grace / 2, grace)  # too recent
    assert lowered.drained(inside, now + grace, grace)
    assert not lowered.drained(past, now + grace, grace)
    assert not OrgLimits(ORG).drained([], now + grace, grace)  # no drain to end
